package compose

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/emersion/go-message"
)

// FuzzPrepare checks that Prepare never panics and that whatever it accepts
// comes out as a readable message with list headers. A post that go-message
// can read completely must also be completely readable after Prepare. The
// post is compared in its CRLF form: with mixed line endings, turning bare
// LF into CRLF (which Prepare must do) can change what a parser sees, as in
// testdata/fuzz/FuzzPrepare/14ac57f9e0a2dd6f.
func FuzzPrepare(f *testing.F) {
	addSampleMails(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		p, err := Prepare(raw, testList, 1)
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if _, err := p.WriteTo(&buf, testUnsub); err != nil {
			t.Fatalf("WriteTo: %v", err)
		}
		out := buf.Bytes()
		e, err := message.Read(bytes.NewReader(out))
		if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
			t.Fatalf("message.Read: %v\n%q", err, out)
		}
		if e.Header.Get("List-Id") == "" {
			t.Fatalf("no List-Id in\n%q", out)
		}
		if _, err := walk(ToCRLF(raw)); err == nil {
			if _, err := walk(out); err != nil {
				t.Fatalf("input is readable, output is not: %v\ninput  %q\noutput %q", err, raw, out)
			}
		}
	})
}

// addSampleMails seeds a fuzz target with the sample mails in testdata.
func addSampleMails(f *testing.F) {
	f.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "*.eml"))
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}
