package compose

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/textproto"
)

// FuzzPrepare checks that Prepare never panics and that whatever it accepts
// comes out as a readable message with list headers. A post that go-message
// can read completely must also be completely readable after Prepare. The
// post is compared in its CRLF form: with mixed line endings, turning bare
// LF into CRLF (which Prepare must do) can change what a parser sees, as in
// testdata/fuzz/FuzzPrepare/14ac57f9e0a2dd6f.
//
// On an anonymous list the header must hold only the fields of the allow-list,
// every part only partFields, each kept field at most once, and nothing that go-message could read before may
// become unreadable.
func FuzzPrepare(f *testing.F) {
	addSampleMails(f)
	f.Add([]byte(leakyPost))
	f.Fuzz(func(t *testing.T, raw []byte) {
		prepareAnonymous(t, raw)
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

// prepareAnonymous checks Prepare of raw on an anonymous list (see FuzzPrepare).
func prepareAnonymous(t *testing.T, raw []byte) {
	t.Helper()
	p, err := Prepare(raw, anonList, 1)
	if err != nil {
		return
	}
	var buf bytes.Buffer
	if _, err := p.WriteTo(&buf, testUnsub); err != nil {
		t.Fatalf("WriteTo: %v", err)
	}
	out := buf.Bytes()
	h, err := headerOf(out)
	if err != nil {
		t.Fatalf("anonymous copy has no header: %v\n%q", err, out)
	}
	checkAllowList(t, h, append(append([]string{}, KeptFields...), WrittenFields...))
	if k := fieldsOnce(h, KeptFields); k != "" {
		t.Fatalf("anonymous copy has %s twice:\n%q", k, out)
	}
	parts, err := walk(out)
	if _, errIn := walk(ToCRLF(raw)); errIn == nil && err != nil {
		t.Fatalf("input is readable, anonymous output is not: %v\ninput  %q\noutput %q", err, raw, out)
	}
	for _, part := range parts {
		if part.depth >= maxScrubDepth {
			continue // followed no deeper than mail readers do
		}
		if k := partTwice(part); k != "" {
			t.Fatalf("a part has %s twice:\n%q", k, out)
		}
		for _, k := range part.keys {
			if !slices.ContainsFunc(partFields, func(f string) bool { return strings.EqualFold(f, k) }) &&
				!slices.ContainsFunc(KeptFields, func(f string) bool { return strings.EqualFold(f, k) }) &&
				!slices.ContainsFunc(WrittenFields, func(f string) bool { return strings.EqualFold(f, k) }) {
				t.Fatalf("a part keeps %s:\n%q", k, out)
			}
		}
	}
}

// partTwice returns a field of partFields that part has more than once, or "".
func partTwice(part walkedPart) string {
	for _, f := range partFields {
		n := 0
		for _, k := range part.keys {
			if strings.EqualFold(f, k) {
				n++
			}
		}
		if n > 1 {
			return f
		}
	}
	return ""
}

// checkAllowList fails when h has a field that allowed lacks.
func checkAllowList(t *testing.T, h textproto.Header, allowed []string) {
	t.Helper()
	fields := h.Fields()
	for fields.Next() {
		if !slices.ContainsFunc(allowed, func(f string) bool { return strings.EqualFold(f, fields.Key()) }) {
			t.Fatalf("anonymous copy keeps %s", fields.Key())
		}
	}
}
