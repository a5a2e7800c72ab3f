#!/usr/bin/env python3
"""The demo's threads, posted through listd's SMTP port (argument HOST:PORT, default
127.0.0.1:2525) as members would post them."""
import email.utils
import smtplib
import sys
from email.message import EmailMessage

SMTP = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:2525"


def post(sender, name, lst, subject, body, reply_to=None):
    m = EmailMessage()
    m["From"] = email.utils.formataddr((name, sender))
    m["To"] = f"{lst}@lists.example.org"
    m["Subject"] = subject
    m["Date"] = email.utils.formatdate(localtime=True)
    m["Message-ID"] = email.utils.make_msgid(domain="example.net")
    if reply_to:
        m["In-Reply-To"] = reply_to
        m["References"] = reply_to
    m.set_content(body)
    host, port = SMTP.rsplit(":", 1)
    with smtplib.SMTP(host, int(port)) as s:
        s.send_message(m)
    return m["Message-ID"]

a = post("sonnenblume@example.net", "Sonnenblume", "kita", "Kitaplatz ab August – wer hat Tipps?",
         "Hallo zusammen,\n\nich suche für meine Tochter (2) einen Kitaplatz ab August und\nbekomme nur Absagen. Wie seid ihr vorgegangen?\n\nLiebe Grüße\nSonnenblume\n")
post("tom@example.com", "Papa Tom", "kita", "Re: [kita] Kitaplatz ab August – wer hat Tipps?",
     "Hallo Sonnenblume,\n\nbeim Jugendamt kannst du den Rechtsanspruch geltend machen.\nBei uns hat das nach drei Wochen geklappt.\n\nTom\n", a)
b = post("lena@example.net", "Lena", "unterhalt", "Unterhaltsvorschuss beantragt – wie lange dauert das?",
         "Hallo,\n\nich habe vor sechs Wochen Unterhaltsvorschuss beantragt und noch\nnichts gehört. Ist das normal?\n\nLena\n")
post("sonnenblume@example.net", "Sonnenblume", "unterhalt", "Re: [unterhalt] Unterhaltsvorschuss beantragt – wie lange dauert das?",
     "Bei mir waren es acht Wochen. Nachfragen lohnt sich!\n", b)
post("tom@example.com", "Papa Tom", "job", "Teilzeit in der Probezeit?",
     "Hat jemand Erfahrung damit, schon in der Probezeit Teilzeit zu verlangen?\n")
# A first post on the Umgang list waits for the moderators (first-post moderation): /mod
# shows it to moderation@example.org.
post("sonnenblume@example.net", "Sonnenblume", "umgang", "Übergabe am Wochenende",
     "Wie regelt ihr die Übergabe, wenn das Kind nicht zum anderen Elternteil will?\n")
