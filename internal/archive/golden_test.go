package archive

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/parse.golden from the current Parse")

// TestParseGolden runs Parse over every file in the repository's testdata
// directories (messages, mboxes message by message, fuzz corpus entries) and
// compares a digest of what the archive keeps (the text, the attachment types, the
// names, the threading and policy fields, and whether the message was refused)
// with testdata/parse.golden. The texts of Errors are left out: they name the
// parser's own findings, which may be worded differently.
func TestParseGolden(t *testing.T) {
	// Each input is known by a digest of its bytes (its path follows for people):
	// a fixture that another package rewrites is a new input, not a changed result.
	var got []string
	seen := map[string]bool{}
	for name, raw := range goldenInputs(t) {
		sum := sha256.Sum256(raw)
		key := fmt.Sprintf("%x", sum[:12])
		if !seen[key] {
			seen[key] = true
			got = append(got, key+"\t"+parseDigest(raw)+"\t"+name)
		}
	}
	slices.Sort(got)
	const golden = "testdata/parse.golden"
	if *updateGolden {
		if err := os.WriteFile(golden, []byte(strings.Join(got, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	b, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to write it)", err)
	}
	want := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	wantBy := map[string]string{}
	for _, l := range want {
		k, v, _ := strings.Cut(l, "\t")
		v, _, _ = strings.Cut(v, "\t")
		wantBy[k] = v
	}
	// Inputs added or removed since (other packages' testdata change) are only
	// logged: the test pins what Parse makes of the inputs it knows.
	compared := 0
	for _, l := range got {
		k, v, _ := strings.Cut(l, "\t")
		v, name, _ := strings.Cut(v, "\t")
		w, ok := wantBy[k]
		switch {
		case !ok:
			t.Logf("%s: not in %s (run with -update)", name, golden)
		case w != v:
			t.Errorf("%s: Parse gives %s, want %s", name, v, w)
		}
		if ok {
			compared++
		}
		delete(wantBy, k)
	}
	for k := range wantBy {
		t.Logf("%s: in %s but not found", k, golden)
	}
	if compared < len(want)*9/10 {
		t.Errorf("only %d of the %d inputs of %s found", compared, len(want), golden)
	}
}

// parseDigest is a short digest of what Parse makes of raw.
func parseDigest(raw []byte) string {
	p, err := Parse(raw)
	if err != nil {
		return "refused"
	}
	h := sha256.New()
	fmt.Fprintf(h, "%q\n%q\n%q\n%q\n%s\n%q\n%q\n%q\n", p.MessageID, p.Subject, p.FromName, p.FromAddr,
		p.Date.Format("2006-01-02T15:04:05Z07:00"), p.InReplyTo, p.References, p.Text)
	fmt.Fprintf(h, "%q\n%q\n%q\n%q\n%q\n%v\n%q\n", p.ListID, p.XLoop, p.AutoSubmitted, p.Precedence,
		p.Attachments, p.AutoReply, p.AutoResponseSuppress)
	return fmt.Sprintf("%x", h.Sum(nil)[:12])
}

// goldenInputs yields every message found in the testdata directories below the
// repository root, named by path (and number in an mbox or a fuzz corpus file).
func goldenInputs(t testing.TB) func(func(string, []byte) bool) {
	root := filepath.Join("..", "..")
	var files []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		rel, _ := filepath.Rel(root, path)
		if !d.IsDir() && slices.Contains(strings.Split(filepath.ToSlash(rel), "/"), "testdata") &&
			!strings.HasSuffix(rel, "parse.golden") {
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return func(yield func(string, []byte) bool) {
		for _, rel := range files {
			b, err := os.ReadFile(filepath.Join(root, rel))
			if err != nil {
				t.Fatal(err)
			}
			name := filepath.ToSlash(rel)
			if !yield(name, b) {
				return
			}
			if bytes.HasPrefix(b, []byte("go test fuzz v1\n")) {
				for i, v := range fuzzValues(b) {
					if !yield(fmt.Sprintf("%s#%d", name, i), v) {
						return
					}
				}
			}
			if bytes.HasPrefix(b, []byte("From ")) {
				r := NewMboxReader(bytes.NewReader(b))
				for i := 1; ; i++ {
					m, err := r.Next()
					var me *MboxError
					if errors.As(err, &me) {
						continue
					}
					if err != nil {
						break
					}
					if !yield(fmt.Sprintf("%s#%d", name, i), m.Raw) {
						return
					}
				}
			}
		}
	}
}

// fuzzValues reads the string and []byte values of a fuzz corpus file.
func fuzzValues(b []byte) [][]byte {
	var out [][]byte
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		l := sc.Text()
		for _, prefix := range []string{"[]byte(", "string("} {
			if v, ok := strings.CutPrefix(l, prefix); ok {
				if s, err := strconv.Unquote(strings.TrimSuffix(v, ")")); err == nil {
					out = append(out, []byte(s))
				}
			}
		}
	}
	if err := sc.Err(); err != nil && !errors.Is(err, io.EOF) {
		return out
	}
	return out
}
