package archive

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"mime/quotedprintable"
	"strings"
	"testing"
)

// benchMessage is a post as a phone or desktop client writes it: German text as
// quoted-printable, the same as HTML, and a photo of about 200 KB in base64.
func benchMessage() []byte {
	var b bytes.Buffer
	b.WriteString("From: =?utf-8?q?J=C3=BCrgen_M=C3=BCller?= <juergen@example.org>\r\n" +
		"To: kita@lists.example.org\r\n" +
		"Subject: =?utf-8?q?Re=3A_Kitapl=C3=A4tze_und_Unterhalt?=\r\n" +
		"Date: Tue, 24 Nov 2026 10:00:00 +0100\r\n" +
		"Message-ID: <b@example.org>\r\n" +
		"In-Reply-To: <a@example.org>\r\n" +
		"References: <root@example.org> <a@example.org>\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"mixed\"\r\n\r\n" +
		"--mixed\r\nContent-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n")
	var text strings.Builder
	for i := range 60 {
		fmt.Fprintf(&text, "Zeile %d: Grüße aus Köln, die Kitaplätze sind knapp und der Unterhalt bleibt aus.\r\n", i)
	}
	var qp bytes.Buffer
	w := quotedprintable.NewWriter(&qp)
	w.Write([]byte(text.String()))
	w.Close()
	b.WriteString("--alt\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n")
	b.Write(qp.Bytes())
	b.WriteString("\r\n--alt\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n")
	qp.Reset()
	w = quotedprintable.NewWriter(&qp)
	w.Write([]byte("<html><body><p>" + strings.ReplaceAll(text.String(), "\r\n", "<br>\r\n") + "</p></body></html>"))
	w.Close()
	b.Write(qp.Bytes())
	b.WriteString("\r\n--alt--\r\n\r\n--mixed\r\nContent-Type: image/jpeg; name=\"foto.jpg\"\r\n" +
		"Content-Disposition: attachment; filename=\"foto.jpg\"\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	photo := make([]byte, 200<<10)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range photo {
		photo[i] = byte(r.Uint32())
	}
	enc := base64.StdEncoding.EncodeToString(photo)
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n--mixed--\r\n")
	return b.Bytes()
}

func BenchmarkParse(b *testing.B) {
	raw := benchMessage()
	if p, err := Parse(raw); err != nil || len(p.Attachments) != 1 || !strings.Contains(p.Text, "Kitaplätze") {
		b.Fatalf("Parse: %v, %+v", err, p)
	}
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(raw); err != nil {
			b.Fatal(err)
		}
	}
}
