package archive

import (
	"strings"
	"testing"
	"unicode/utf8"

	"listd/internal/mailview"
)

// TestParseCharset: the search text reads a body's bytes as the web page does: valid
// UTF-8 without a declared charset (or declared as US-ASCII or Latin-1) is UTF-8,
// other 8-bit bytes are Windows-1252, and a real declaration is trusted.
func TestParseCharset(t *testing.T) {
	const head = "From: Anna <anna@example.net>\r\nSubject: Einschulung\r\nMessage-ID: <c@x>\r\n"
	tests := []struct {
		name, raw, want string
	}{
		{"no Content-Type", head + "\r\nDie Zuckertüte ist fertig.\r\n", "Zuckertüte"},
		{"MIME-Version without Content-Type", head + "MIME-Version: 1.0\r\nContent-Transfer-Encoding: 8bit\r\n\r\nDie Zuckertüte ist fertig.\r\n", "Zuckertüte"},
		{"text/plain without charset", head + "MIME-Version: 1.0\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: 8bit\r\n\r\nDie Zuckertüte ist fertig.\r\n", "Zuckertüte"},
		{"format=flowed without charset", head + "MIME-Version: 1.0\r\nContent-Type: text/plain; format=flowed\r\n\r\nDie Zuckertüte ist fertig.\r\n", "Zuckertüte"},
		{"us-ascii declared, UTF-8 sent", head + "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nDie Zuckertüte ist fertig.\r\n", "Zuckertüte"},
		{"latin-1 declared, UTF-8 sent", head + "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=\"ISO-8859-1\"\r\n\r\nDie Zuckertüte ist fertig.\r\n", "Zuckertüte"},
		{"latin-1 declared and sent", head + "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\nDie Zuckert\xfcte ist fertig.\r\n", "Zuckertüte"},
		{"undeclared latin-1", head + "\r\nDie Zuckert\xfcte ist fertig.\r\n", "Zuckertüte"},
		{"undeclared windows-1252 quotes", head + "Content-Type: text/plain\r\n\r\n\x84Zuckert\xfcte\x93\r\n", "„Zuckertüte“"},
		{"declared utf-8", head + "Content-Type: text/plain; charset=utf-8\r\n\r\nDie Zuckertüte ist fertig.\r\n", "Zuckertüte"},
		{"declared iso-8859-15", head + "Content-Type: text/plain; charset=iso-8859-15\r\n\r\nDie Zuckert\xfcte kostet 5 \xa4.\r\n", "Zuckertüte kostet 5 €"},
		{"quoted-printable without charset", head + "Content-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nDie Zuckert=C3=BCte ist fertig.\r\n", "Zuckertüte"},
		{"multipart part without charset", head + "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: 8bit\r\n\r\nDie Zuckertüte ist fertig.\r\n--b--\r\n", "Zuckertüte"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse([]byte(tt.raw))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(p.Text, tt.want) || !utf8.ValidString(p.Text) {
				t.Errorf("Text = %q, want it to hold %q", p.Text, tt.want)
			}
			// The page shows the same words the index holds.
			v, err := mailview.Render([]byte(tt.raw), mailview.Options{Lang: "de"})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(v.Body), tt.want) {
				t.Errorf("page body = %q, want it to hold %q", v.Body, tt.want)
			}
		})
	}
}
