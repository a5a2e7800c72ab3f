package modreply

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// notice is the held-post notice as moderators get it (templates/mail/de/moderate.txt,
// filled in). Its instructions name every keyword, so a reply that quotes it must
// only be read outside the quote.
const notice = `Ein Beitrag an kita@lists.example.org wartet auf Ihre Entscheidung.
A post to kita@lists.example.org waits for your decision.

Grund / reason: erster Beitrag / first post
Von / from: Bea Beispiel <bea@example.net>
Betreff / subject: Kinderwagen abzugeben

Antworten Sie auf diese Mail / reply to this mail:
  (leer / empty), ok, ja        -> freigeben / approve
  ablehnen GRUND                -> ablehnen, GRUND geht an den Absender /
  reject REASON                    reject, REASON goes to the sender
  verwerfen / discard           -> still löschen / drop silently
  immer / always                -> freigeben und Absender vertrauen /
                                   approve and trust the sender
  übernehmen / claim            -> "ich kümmere mich" / mark as yours
Kurzgründe / short reasons: namen, thema, ton, werbung, doppelt

Der Beitrag verfällt am 1. Dezember 2026, wenn niemand entscheidet.
The post expires on 1 December 2026 if nobody decides.
Im Web / on the web: https://lists.example.org/mod/kita/42

---------- Beitrag / post ----------
Hallo zusammen,
ok, wer möchte einen Kinderwagen? Abzuholen in Leipzig.
Bea
`

// quote quotes s as mail programs do: "> " before each line, ">" before empty ones.
func quote(s string) string {
	var b strings.Builder
	for l := range strings.Lines(s) {
		l = strings.TrimSuffix(l, "\n")
		if l == "" {
			b.WriteString(">\n")
		} else {
			b.WriteString("> " + l + "\n")
		}
	}
	return b.String()
}

func crlf(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }

const (
	gmailDE        = "Am Di., 24. Nov. 2026 um 10:00 Uhr schrieb Kita-Liste <kita-moderate@lists.example.org>:\n\n"
	gmailDEWrapped = "Am Di., 24. Nov. 2026 um 10:00 Uhr schrieb Kita-Liste <\nkita-moderate@lists.example.org>:\n\n"
	gmailEN        = "On Tue, Nov 24, 2026 at 10:00 AM Kita-Liste <kita-moderate@lists.example.org> wrote:\n\n"
	gmailENWrapped = "On Tue, Nov 24, 2026 at 10:00 AM Kita-Liste <\nkita-moderate@lists.example.org> wrote:\n\n"
	appleAttrib    = "> Am 24.11.2026 um 10:00 schrieb Liste <kita-moderate+a1b2c3@lists.example.org>:\n> \n"
	outlookDE      = "Von: Kita-Liste <kita-moderate@lists.example.org>\nGesendet: Dienstag, 24. November 2026 10:00\nAn: Anna Muster <anna@example.net>\nBetreff: [kita] Beitrag wartet auf Freigabe\n\n"
	outlookEN      = "From: Kita-Liste <kita-moderate@lists.example.org>\nSent: Tuesday, November 24, 2026 10:00 AM\nTo: Anna Muster <anna@example.net>\nSubject: [kita] Held post\n\n"
	gmxBlock       = "Gesendet: Dienstag, 24. November 2026 um 10:00 Uhr\nVon: \"Kita-Liste\" <kita-moderate@lists.example.org>\nAn: anna@web.de\nBetreff: [kita] Beitrag wartet auf Freigabe\n\n"
)

func reply(a Action, reason, line string) Reply { return Reply{Action: a, Reason: reason, Line: line} }

var empty = Reply{Action: Approve}

type parseTest struct {
	name string
	text string
	want Reply
}

var parseTests = []parseTest{
	// Empty replies approve: the moderator hit reply and send.
	{"nothing", "", empty},
	{"blank lines only", "\n \r\n\t\n\u00a0\n", empty},
	{"gmail de, only the quote", "\r\n\r\n" + crlf(gmailDE+quote(notice)), empty},
	{"gmail de wrapped attribution, only the quote", "\n" + gmailDEWrapped + quote(notice), empty},
	{"gmail en wrapped attribution, only the quote", "\n\n" + gmailENWrapped + quote(notice), empty},
	{"iphone, only footer and quote", "\n\nVon meinem iPhone gesendet\n\n" + appleAttrib + quote(notice), empty},
	{"outlook, only the header block", crlf("\n\n" + outlookDE + notice), empty},
	{"quote only, no attribution", quote(notice), empty},
	{"only a signature", "-- \nAnna Muster\nElternbeirat Kita Sonnenschein\n", empty},
	{"only a sign-off", "LG Anna\n\n" + gmailDE + quote(notice), empty},
	{"thanks and sign-off", "Danke!\n\nLiebe Grüße\nAnna\n" + quote(notice), empty},
	{"greeting only", "Hallo zusammen,\n\n" + quote(notice), empty},
	// The notice below the reply without ">" or a header: its fixed lines stop reading.
	{"unquoted notice", "\n\n" + notice, empty},
	{"html blockquote without >, only the notice", "\u00a0\n\n" + gmailDE + notice, empty},
	{"html blockquote without >, reason", "ablehnen: werbung\n\n" + gmailDE + notice, reply(Reject, "werbung", "ablehnen: werbung")},
	{"unquoted notice, english line first", "ablehnen namen\n\nA post to kita@lists.example.org waits for your decision.\nok", reply(Reject, "namen", "ablehnen namen")},
	{"unquoted notice, instructions", "ablehnen\nAntworten Sie auf diese Mail / reply to this mail:\n  (leer / empty), ok, ja        -> freigeben / approve", reply(Reject, "", "ablehnen")},

	// Top-posted, as phones and webmail do.
	{"gmail de ok", "ok\n\n" + gmailDE + quote(notice), reply(Approve, "", "ok")},
	{"gmail de wrapped before the name", "verwerfen\n\nAm Di., 24. Nov. 2026 um 10:00 Uhr\nschrieb Kita-Liste <kita-moderate@lists.example.org>:\n" + quote(notice),
		reply(Discard, "", "verwerfen")},
	{"gmail en reject with reason", "reject off topic\n\n" + gmailEN + quote(notice), reply(Reject, "off topic", "reject off topic")},
	{"iphone ok", "Ok\n\nVon meinem iPhone gesendet\n\n" + appleAttrib + quote(notice), reply(Approve, "", "Ok")},
	// Decision: a closing "Danke!" is for the moderators' tool, not the poster; it is
	// not part of the reason, nor is the sign-off below it.
	{"iphone reject, thanks and sign-off", "Ablehnen: Bitte keine vollen Namen nennen.\nDanke!\nLG Anna\n\nGesendet von meinem iPhone\n\n" + appleAttrib + quote(notice),
		reply(Reject, "Bitte keine vollen Namen nennen.", "Ablehnen: Bitte keine vollen Namen nennen.")},
	{"english iphone footer", "spam\n\nSent from my iPhone\n\n> On Nov 24, 2026, at 10:00, Kita-Liste <kita-moderate@lists.example.org> wrote:\n" + quote(notice),
		reply(Discard, "", "spam")},
	{"outlook desktop, notice below header block", crlf("Verwerfen\n\n" + outlookDE + notice), reply(Discard, "", "Verwerfen")},
	{"outlook separator line", crlf("immer\n\n________________________________\n" + outlookDE + notice), reply(Always, "", "immer")},
	{"outlook english, reason up to the header", crlf("Reject - spam-like advertising\n\n" + outlookEN + notice),
		reply(Reject, "spam-like advertising", "Reject - spam-like advertising")},
	{"outlook for android", "Übernehmen\n\nHolen Sie sich Outlook für Android<https://aka.ms/AAb9ysg>\n________________________________\n" + outlookDE + notice,
		reply(Claim, "", "Übernehmen")},
	{"outlook for android, reason", "nein keine Werbung hier\n\nSent from Outlook for Android\n" + outlookEN + notice,
		reply(Reject, "keine Werbung hier", "nein keine Werbung hier")},
	{"gmx block starts with Gesendet", "ablehnen\nZu persönlich für die Liste.\n\n" + gmxBlock + notice, reply(Reject, "Zu persönlich für die Liste.", "ablehnen")},
	{"samsung footer and original message", "Nein, das ist Werbung\n\nVon meinem Samsung Galaxy-Smartphone gesendet.\n\n-------- Ursprüngliche Nachricht --------\n" + outlookDE + notice,
		reply(Reject, "das ist Werbung", "Nein, das ist Werbung")},
	{"original message separator", "reject duplicate\n-----Original Message-----\n" + outlookEN + notice, reply(Reject, "duplicate", "reject duplicate")},
	{"thunderbird", "ja\n\nOn 24.11.26 10:00, Kita-Liste wrote:\n" + quote(notice), reply(Approve, "", "ja")},
	{"k-9", "spam\n\nAm 24. November 2026 10:00:00 MEZ schrieb Kita-Liste <kita-moderate@lists.example.org>:\n" + quote(notice),
		reply(Discard, "", "spam")},
	{"fairemail, only the quote", "\n\n24.11.2026 10:00, Kita-Liste:\n" + quote(notice), empty},
	{"attribution without date", "mine\n\nKita-Liste schrieb:\n" + quote(notice), reply(Claim, "", "mine")},
	{"gmail android, only the quote", "\n\nKita-Liste <kita-moderate@lists.example.org> schrieb am Di., 24. Nov. 2026, 10:00:\n\n" + quote(notice), empty},
	{"yahoo, only the quote", "\n\nAm Dienstag, 24. November 2026, 10:00:00 MEZ hat Kita-Liste <kita-moderate@lists.example.org> Folgendes geschrieben:\n\n\n" + quote(notice), empty},
	{"proton, reason up to the original", "Nein: bitte im Flohmarkt-Thread posten\n\nSent with Proton Mail secure email.\n\n------- Original Message -------\nOn Tuesday, November 24th, 2026 at 10:00, Kita-Liste <kita-moderate@lists.example.org> wrote:\n\n" + quote(notice),
		reply(Reject, "bitte im Flohmarkt-Thread posten", "Nein: bitte im Flohmarkt-Thread posten")},
	{"roundcube, reason up to the attribution", "ablehnen\nDoppelt.\nAm 24.11.2026 10:00, schrieb Kita-Liste:\n" + quote(notice), reply(Reject, "Doppelt.", "ablehnen")},

	// Bottom-posted: the reply below the quoted notice.
	{"bottom-posted ok", quote(notice) + "\nok\n", reply(Approve, "", "ok")},
	{"bottom-posted directly below the quote", quote(notice) + "ablehnen\n", reply(Reject, "", "ablehnen")},
	{"bottom-posted with greeting and attribution", "Hallo,\n\nAm 24.11.2026 um 10:00 schrieb Kita-Liste <kita-moderate@lists.example.org>:\n" + quote(notice) + "\nverwerfen\n\nLG Anna\n",
		reply(Discard, "", "verwerfen")},
	{"bottom-posted thunderbird with reason and signature", "Am 24.11.26 um 10:00 schrieb Kita-Liste:\n" + quote(notice) + "\nablehnen, bitte nicht über andere Eltern lästern\n\n-- \nAnna\n",
		reply(Reject, "bitte nicht über andere Eltern lästern", "ablehnen, bitte nicht über andere Eltern lästern")},
	// A client wrapped a long quoted line and lost the ">" of its tail, which names
	// keywords; it is part of the quote, not the reply.
	{"wrapped quote tail", "> Antworte auf diese Mail mit einem Wort, zum Beispiel ok oder ablehnen\nverwerfen oder immer; eine leere Antwort gibt den Beitrag frei.\n> Danke!\n", empty},

	// HTML-only replies converted to text.
	{"html bold ok with nbsp", "*ok*\u00a0\n\u00a0\n\n" + gmailDEWrapped + quote(notice), reply(Approve, "", "*ok*")},
	{"html reject with image and bold header", "\u00a0*Ablehnen:* Werbung für einen Shop\u00a0\n\n[image: Logo Kita Sonnenschein]\n\n*Von:* Kita-Liste <kita-moderate@lists.example.org>\n*Gesendet:* Dienstag, 24. November 2026 10:00\n" + notice,
		reply(Reject, "Werbung für einen Shop", "*Ablehnen:* Werbung für einen Shop")},
	{"html quotes rendered with nbsp", "passt\n\n\u00a0> Am 24.11.2026 um 10:00 schrieb Kita-Liste:\n\u00a0> ok – freigeben\n   > ablehnen GRUND\n", reply(Approve, "", "passt")},
	{"html image before the reply", "[image: Kita Sonnenschein]\n\nweg\n", reply(Discard, "", "weg")},

	// The words.
	{"ja", "ja", reply(Approve, "", "ja")},
	{"Ja, passt.", "Ja, passt.", reply(Approve, "", "Ja, passt.")},
	{"thumbs up", "👍", reply(Approve, "", "👍")},
	{"thumbs up with skin tone", "👍🏽", reply(Approve, "", "👍🏽")},
	{"thumbs up twice", "👍👍", reply(Approve, "", "👍👍")},
	{"ok with emoji glued", "ok👍", reply(Approve, "", "ok👍")},
	{"plus one", "+1", reply(Approve, "", "+1")},
	{"y", "Y", reply(Approve, "", "Y")},
	{"in ordnung", "In Ordnung!", reply(Approve, "", "In Ordnung!")},
	{"freigeben with greeting line", "Guten Morgen,\nfreigeben bitte", reply(Approve, "", "freigeben bitte")},
	// The first word decides: "ok aber …" is an approval with a remark.
	{"ok aber", "ok, aber bitte beim nächsten Mal den Ort nennen", reply(Approve, "", "ok, aber bitte beim nächsten Mal den Ort nennen")},
	// Decision: a plain yes followed directly by another action agrees to that action.
	{"ja, ablehnen", "Ja, ablehnen: zu privat", reply(Reject, "zu privat", "Ja, ablehnen: zu privat")},
	{"ok verwerfen", "ok verwerfen", reply(Discard, "", "ok verwerfen")},
	{"ablehnen Bitte ohne Namen", "ablehnen Bitte ohne Namen", reply(Reject, "Bitte ohne Namen", "ablehnen Bitte ohne Namen")},
	// Decision: polite words alone are no reason.
	{"nein danke", "Nein danke", reply(Reject, "", "Nein danke")},
	{"nein danke, reason below", "Nein danke\nDas ist Werbung.\n", reply(Reject, "Das ist Werbung.", "Nein danke")},
	{"nein, bitte nicht", "Nein, bitte nicht.", reply(Reject, "", "Nein, bitte nicht.")},
	{"reject, thanks and name", "reject\nNot appropriate for this list.\nThanks,\nTom\n", reply(Reject, "Not appropriate for this list.", "reject")},
	{"reject multi-line reason with sign-off", "Ablehnen\n\nDer Beitrag nennt den vollen Namen des Kindes.\nBitte ohne Namen nochmal schicken.\n\nViele Grüße\nAnna\n" + quote(notice),
		reply(Reject, "Der Beitrag nennt den vollen Namen des Kindes.\nBitte ohne Namen nochmal schicken.", "Ablehnen")},
	{"zurückweisen with colon", "Zurückweisen: Doppelt gepostet", reply(Reject, "Doppelt gepostet", "Zurückweisen: Doppelt gepostet")},
	{"reject glued to colon", "reject:off-topic", reply(Reject, "off-topic", "reject:off-topic")},
	{"nicht freigeben", "nicht freigeben, Werbung", reply(Reject, "Werbung", "nicht freigeben, Werbung")},
	{"nö", "nö", reply(Reject, "", "nö")},
	{"thumbs down", "👎", reply(Reject, "", "👎")},
	{"verwerfen", "verwerfen", reply(Discard, "", "verwerfen")},
	{"spam", "SPAM!", reply(Discard, "", "SPAM!")},
	{"löschen", "Löschen.", reply(Discard, "", "Löschen.")},
	{"loeschen", "loeschen", reply(Discard, "", "loeschen")},
	{"weg damit", "Weg damit", reply(Discard, "", "Weg damit")},
	{"immer", "immer", reply(Always, "", "immer")},
	{"immer erlauben", "Immer erlauben", reply(Always, "", "Immer erlauben")},
	{"whitelist", "whitelist", reply(Always, "", "whitelist")},
	{"immer erlauben für diese Absenderin", "immer erlauben für diese Absenderin, danke", reply(Always, "", "immer erlauben für diese Absenderin, danke")},
	{"ja, immer", "Ja, immer", reply(Always, "", "Ja, immer")},
	// Decision: Always lasts, so it takes nothing after it but words that repeat it.
	{"immer as an adverb", "Immer wieder dieselbe Person", reply(Unknown, "", "Immer wieder dieselbe Person")},
	{"übernehmen", "übernehmen", reply(Claim, "", "übernehmen")},
	{"übernehmen decomposed", "u\u0308bernehmen", reply(Claim, "", "u\u0308bernehmen")},
	{"ich mach das", "Ich mach das!", reply(Claim, "", "Ich mach das!")},
	{"ich übernehme", "ich übernehme", reply(Claim, "", "ich übernehme")},
	{"greeting then decision", "Hallo,\n\nablehnen\n", reply(Reject, "", "ablehnen")},
	{"greeting on the same line", "Hallo Anna, ablehnen bitte", reply(Reject, "", "Hallo Anna, ablehnen bitte")},
	{"moin then ok", "Moin\n\nok", reply(Approve, "", "ok")},
	{"bitte verwerfen", "Bitte verwerfen", reply(Discard, "", "Bitte verwerfen")},

	// Not understood.
	{"question", "Hä? Was ist das?\n\n" + gmailDE + quote(notice), reply(Unknown, "", "Hä? Was ist das?")},
	{"greeting with a question", "Hallo, was ist das?", reply(Unknown, "", "Hallo, was ist das?")},
	{"ok with question mark", "Ok?", reply(Unknown, "", "Ok?")},
	{"spam question", "Spam ?", reply(Unknown, "", "Spam ?")},
	{"negated", "kein Spam", reply(Unknown, "", "kein Spam")},
	{"prose", "Ich weiß nicht, frag mal Bea", reply(Unknown, "", "Ich weiß nicht, frag mal Bea")},
	{"thanks then prose", "Danke für den Hinweis, ist Spam", reply(Unknown, "", "Danke für den Hinweis, ist Spam")},
	// The first word decides, even against a later negation; replies are one word.
	{"first word against a later negation", "Spam ist das nicht", reply(Discard, "", "Spam ist das nicht")},
	// Decision: a name after a lone "Danke" is not skipped; not understood is safer than
	// an approval nobody typed.
	{"thanks then a name", "Danke,\nAnna\n", reply(Unknown, "", "Anna")},

	// What is passed on is clean.
	{"reason nbsp and control characters", "ablehnen\u00a0zu\u00a0privat\x07", reply(Reject, "zu privat", "ablehnen zu privat")},
	{"bidi override dropped", "ablehnen \u202eeniL", reply(Reject, "eniL", "ablehnen eniL")},
	{"invalid utf-8", "ablehnen \xff", reply(Reject, "\ufffd", "ablehnen \ufffd")},
	{"line clipped", strings.Repeat("ä", 150), reply(Unknown, "", strings.Repeat("ä", 100))},
	{"reason clipped", "ablehnen " + strings.Repeat("x", 600) + "\n" + strings.Repeat("y", 600),
		reply(Reject, strings.Repeat("x", 600)+"\n"+strings.Repeat("y", 399), "ablehnen "+strings.Repeat("x", 191))},
}

func TestParse(t *testing.T) {
	for _, tt := range parseTests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Parse(tt.text); got != tt.want {
				t.Errorf("Parse(%q)\n got %+q\nwant %+q", tt.text, got, tt.want)
			}
		})
	}
}

func TestLimits(t *testing.T) {
	tests := []struct {
		name string
		text string
		want Action
	}{
		{"line 300 is read", strings.Repeat("\n", 299) + "ablehnen", Reject},
		{"line 301 is not", strings.Repeat("\n", 300) + "ablehnen", Approve},
		{"64 KiB", strings.Repeat(" ", maxText) + "\nablehnen", Approve},
		{"cut line dropped", "\n" + strings.Repeat(" ", maxText-3) + "nein", Approve},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Parse(tt.text); got.Action != tt.want {
				t.Errorf("got %+q, want %s", got, tt.want)
			}
		})
	}
}

// corpusWant is what the realistic replies in testdata/ hold.
var corpusWant = map[string]Reply{
	"gmail-de.txt":    reply(Approve, "", "Passt, danke!"),
	"iphone.txt":      reply(Reject, "Bitte ohne den Nachnamen der Kinder nochmal schicken.", "Ablehnen: Bitte ohne den Nachnamen der Kinder nochmal schicken."),
	"outlook.txt":     reply(Discard, "", "Verwerfen"),
	"html.txt":        reply(Always, "", "*Immer erlauben*"),
	"bottom.txt":      reply(Claim, "", "übernehmen"),
	"thunderbird.txt": empty,
}

func TestCorpus(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil || len(files) != len(corpusWant) {
		t.Fatalf("testdata: %v, %v", files, err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			want, ok := corpusWant[filepath.Base(f)]
			if !ok {
				t.Fatal("no expectation")
			}
			if got := Parse(string(b)); got != want {
				t.Errorf("got %+q\nwant %+q", got, want)
			}
		})
	}
}
