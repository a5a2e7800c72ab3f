#!/usr/bin/env bash
# Runs listd on its built-in defaults (SMTP 127.0.0.1:2525, web http://127.0.0.1:8080,
# no relay: mail stays in the outbox) with a fresh data dir, example lists and members,
# and a few threads posted through its own SMTP port.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=./listd
rm -rf demo-data
mkdir -p demo-data
cd demo-data   # the defaults keep data in ./data, relative to here

L() { ../$BIN "$@" >/dev/null; }
L list create kita -title "Kita und Schule" -description "Kitaplätze, Eingewöhnung, Schule, Hort" -topics kita,schule
L list create unterhalt -title "Unterhalt" -description "Unterhalt, Unterhaltsvorschuss, Düsseldorfer Tabelle" -topics unterhalt,finanzen
L list create umgang -title "Umgang und Sorgerecht" -description "Umgangsregelungen und gemeinsames Sorgerecht" -topics umgang,sorgerecht -archive members
L list create job -title "Job und Alltag" -description "Arbeit, Teilzeit, Wiedereinstieg" -topics beruf
for l in kita unterhalt umgang job; do
  L member add $l "Moderation <moderation@example.org>" -role moderator
  L member add $l "Sonnenblume <sonnenblume@example.net>" -postal 10115
  L member add $l "Lena <lena@example.net>" -mode digest -postal 50667
  L member add $l "Papa Tom <tom@example.com>"
  L member add $l "Leserin <leserin@example.com>" -mode nomail
done

# The counselling directory: example centres, and German postal codes: the whole table
# when the shared test data is next to the project, else the tests' excerpt (the areas
# of the example centres). An operator imports the GeoNames file instead.
L centers import ../examples/centers.example.csv
GEO=../../shared/data/geo/DE.txt
[ -f "$GEO" ] || GEO=../testdata/geo/DE.txt
L geo import "$GEO"
L list set umgang -moderation first-post

../$BIN serve &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null' EXIT INT TERM
for i in $(seq 1 100); do
  curl -fsS http://127.0.0.1:8080/healthz >/dev/null 2>&1 && break
  kill -0 $PID 2>/dev/null || { echo "listd did not start"; exit 1; }
  sleep 0.1
done

python3 - <<'PY'
import smtplib, email.utils
from email.message import EmailMessage

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
    with smtplib.SMTP("127.0.0.1", 2525) as s:
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
PY

cat <<MSG

listd is running with demo data (Ctrl-C stops it).

  Web archive     http://127.0.0.1:8080/
  A thread        http://127.0.0.1:8080/kita/
  JSON API        http://127.0.0.1:8080/api/v1/lists
  Join a list     http://127.0.0.1:8080/kita/subscribe
  Find counselling http://127.0.0.1:8080/beratung?plz=10115
  Outbox          http://127.0.0.1:8080/outbox   (no relay is set: copies and notices wait here)
  Search          http://127.0.0.1:8080/kita/search?q=kita
  Atom feed       http://127.0.0.1:8080/kita/atom.xml
  IMAP            127.0.0.1:1143, user tom@example.com, password: $(../$BIN user password tom@example.com)
  Metrics         http://127.0.0.1:8080/metrics

Post your own message as a member (swaks or curl):

  swaks --server 127.0.0.1:2525 --from tom@example.com --to kita@lists.example.org \\
        --header "Subject: Hallo" --body "Hallo zusammen!"

  printf 'From: tom@example.com\r\nSubject: Hallo\r\n\r\nHallo!\r\n' > /tmp/post.eml
  curl smtp://127.0.0.1:2525 --mail-from tom@example.com \\
       --mail-rcpt kita@lists.example.org --upload-file /tmp/post.eml

Operator commands work while it runs:  (cd demo-data && ../listd list ls)
MSG
wait $PID
