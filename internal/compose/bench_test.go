package compose

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// plainPost returns a text/plain post of about size bytes.
func plainPost(size int) []byte {
	var b strings.Builder
	b.WriteString("Received: from mail.example.net (mail.example.net [192.0.2.10])\r\n\tby mx.lists.example.org (Postfix) with ESMTPS id 4F1A2B3C4D\r\n\tfor <kita@lists.example.org>; Tue, 14 May 2024 08:12:01 +0200 (CEST)\r\n")
	b.WriteString("From: Anna Beispiel <anna@example.net>\r\nTo: kita@lists.example.org\r\nSubject: Elternabend am Donnerstag\r\n")
	b.WriteString("Date: Tue, 14 May 2024 08:11:58 +0200\r\nMessage-ID: <20240514061158.GA1234@example.net>\r\n")
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
	for b.Len() < size {
		b.WriteString("Liebe Eltern, der Elternabend ist am Donnerstag um 19 Uhr im kleinen Saal.\r\n")
	}
	return []byte(b.String())
}

func BenchmarkWriteTo(b *testing.B) {
	p, err := Prepare(plainPost(4096), testList, 1)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("discard", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := p.WriteTo(io.Discard, testUnsub); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("buffer", func(b *testing.B) {
		var buf bytes.Buffer
		buf.Grow(p.Size())
		b.SetBytes(int64(p.Size()))
		b.ReportAllocs()
		for b.Loop() {
			buf.Reset()
			if _, err := p.WriteTo(&buf, testUnsub); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkPrepare(b *testing.B) {
	inputs := map[string][]byte{"plain-4k": plainPost(4096)}
	for _, name := range []string{"alternative", "mixed-pdf", "qp-latin1", "signed-pgp"} {
		raw, err := os.ReadFile(filepath.Join("testdata", name+".eml"))
		if err != nil {
			b.Fatal(err)
		}
		inputs[name] = raw
	}
	for _, name := range []string{"plain-4k", "alternative", "mixed-pdf", "qp-latin1", "signed-pgp"} {
		raw := inputs[name]
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Prepare(raw, testList, 1); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
