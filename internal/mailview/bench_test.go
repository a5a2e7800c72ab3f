package mailview

import (
	"fmt"
	"strings"
	"testing"
)

// typicalReply is a 10 KB format=flowed reply: paragraphs with umlauts and links, a
// long nested quote, a signature.
func typicalReply() []byte {
	var b strings.Builder
	b.WriteString("From: Alice Beispiel <alice@example.org>\r\nTo: kita@lists.example.org\r\n" +
		"Subject: =?UTF-8?Q?Re:_Elternabend_am_Donnerstag_=E2=80=93_Tagesordnung?=\r\n" +
		"Date: Tue, 3 Mar 2026 09:12:00 +0100\r\nMessage-ID: <reply-1@example.org>\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8; format=flowed\r\n" +
		"Content-Transfer-Encoding: 8bit\r\n\r\n")
	for i := range 12 {
		fmt.Fprintf(&b, "Hallo zusammen, zu Punkt %d der Tagesordnung möchte ich noch etwas ergänzen: \r\n"+
			"die Kita-Leitung hat gestern geschrieben, dass die Räume ab 19 Uhr frei sind, \r\n"+
			"und die Unterlagen liegen unter https://kita.example.org/elternabend/%d bereit. \r\n"+
			"Wer Fragen hat, kann sich gern bei mir melden (bob@example.org hat auch Infos).\r\n\r\n", i, i)
	}
	b.WriteString("Am 02.03.2026 um 18:03 schrieb Bob:\r\n")
	for i := range 60 {
		if i%15 < 5 {
			fmt.Fprintf(&b, ">> Zeile %d aus der älteren Nachricht mit etwas Text, damit es realistisch ist\r\n", i)
		} else {
			fmt.Fprintf(&b, "> Zeile %d der zitierten Nachricht, mit Umlauten äöü und einem Link https://example.org/x?i=%d\r\n", i, i)
		}
	}
	b.WriteString("\r\nViele Grüße\r\nAlice\r\n\r\n-- \r\nAlice Beispiel\r\nElternvertretung Gruppe Sonne\r\nhttps://kita.example.org\r\n")
	return []byte(b.String())
}

// typicalHTML is a 20 KB newsletter in HTML only: layout tables, styles, remote
// images and tracking, many links.
func typicalHTML() []byte {
	var b strings.Builder
	b.WriteString("From: Verband <news@verband.example>\r\nSubject: Newsletter März\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: text/html; charset=utf-8\r\n\r\n" +
		`<!DOCTYPE html><html><head><meta charset="utf-8"><title>Newsletter</title><style>body{font-family:Arial} .btn{color:#fff}</style></head>` +
		`<body style="margin:0"><table width="600" align="center" class="wrapper" cellpadding="0"><tr><td>` +
		`<img src="https://cdn.verband.example/logo.png" width="200" height="60" alt="Verband">`)
	for i := range 30 {
		fmt.Fprintf(&b, `<tr><td class="content" style="padding:10px;font-size:14px"><h2 style="color:#333">Thema %d: Neuigkeiten aus dem Verband</h2>`+
			`<p style="margin:0 0 10px">Liebe Mitglieder, hier sind die wichtigsten Neuigkeiten für Sie. Wir freuen uns über Rückmeldungen und Fragen. `+
			`<a href="https://verband.example/artikel/%d?utm_source=newsletter" style="color:#06c">Weiterlesen</a></p>`+
			`<img src="https://cdn.verband.example/bild%d.jpg" width="560" alt="Bild %d"></td></tr>`, i, i, i, i)
	}
	b.WriteString(`<tr><td><p style="font-size:11px">Abmelden: <a href="https://verband.example/abmelden?e=mitglied%40example.org">hier</a></p>` +
		`<img src="https://track.verband.example/open.gif?id=123" width="1" height="1"></td></tr></table></body></html>`)
	return []byte(b.String())
}

// typicalAlternative is a 15 KB multipart/alternative message; the text part is shown.
func typicalAlternative() []byte {
	html := strings.SplitN(string(typicalHTML()), "\r\n\r\n", 2)[1]
	text := strings.SplitN(string(typicalReply()), "\r\n\r\n", 2)[1]
	return []byte("From: Alice <alice@example.org>\r\nSubject: Re: Elternabend\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/alternative; boundary=\"b1\"\r\n\r\n" +
		"--b1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + text[:6000] + "\r\n" +
		"--b1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + html[:9000] + "\r\n--b1--\r\n")
}

func BenchmarkRender(b *testing.B) {
	for _, bm := range []struct {
		name string
		raw  []byte
		opt  Options
	}{
		{"text", typicalReply(), Options{MaskAddresses: true}},
		{"alternative", typicalAlternative(), Options{MaskAddresses: true}},
		{"html", typicalHTML(), Options{MaskAddresses: true}},
	} {
		b.Run(fmt.Sprintf("%s-%dKB", bm.name, len(bm.raw)/1024), func(b *testing.B) {
			b.SetBytes(int64(len(bm.raw)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Render(bm.raw, bm.opt); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestTypicalMailsAreSafe keeps the benchmark inputs honest.
func TestTypicalMailsAreSafe(t *testing.T) {
	for _, raw := range [][]byte{typicalReply(), typicalAlternative(), typicalHTML()} {
		v, err := Render(raw, Options{MaskAddresses: true})
		if err != nil {
			t.Fatal(err)
		}
		if err := checkSafe(string(v.Body), true); err != nil {
			t.Fatal(err)
		}
		if len(v.Errors) > 0 {
			t.Errorf("errors %q", v.Errors)
		}
	}
}
