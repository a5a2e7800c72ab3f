package bounce

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// fluflDir is where Debian's python3-flufl.bounce installs Mailman's bounce
// library, with its test bounces and the table of what each one reports.
const fluflDir = "/usr/lib/python3/dist-packages/flufl/bounce"

// fluflCase is one row of flufl.bounce's truth table (testing/helpers.py, DATA):
// a sample file, the addresses its detector must report, and whether they are
// temporary failures (warnings) rather than permanent ones.
type fluflCase struct {
	detector, file string
	addrs          []string
	temporary      bool
}

var (
	reFluflRow  = regexp.MustCompile(`\(\s*'(\w+)',\s*'([\w.-]+\.txt)',\s*\[([^\]]*)\]\s*(,\s*True\s*)?\)`)
	reFluflAddr = regexp.MustCompile(`b'([^']*)'`)
)

// fluflTable reads the truth table from the installed package; it skips the test
// when the package is missing, except in CI (.ci/run installs it).
func fluflTable(t *testing.T) []fluflCase {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(fluflDir, "testing", "helpers.py"))
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("flufl.bounce test data missing (apt-get install python3-flufl.bounce): %v", err)
		}
		t.Skipf("flufl.bounce not installed: %v", err)
	}
	s := string(src)
	i := strings.Index(s, "DATA = (")
	if i < 0 {
		t.Fatal("helpers.py has no DATA table")
	}
	var out []fluflCase
	for _, m := range reFluflRow.FindAllStringSubmatch(s[i:], -1) {
		c := fluflCase{detector: m[1], file: m[2], temporary: m[4] != ""}
		for _, a := range reFluflAddr.FindAllStringSubmatch(m[3], -1) {
			c.addrs = append(c.addrs, strings.ToLower(a[1]))
		}
		out = append(out, c)
	}
	if len(out) < 100 {
		t.Fatalf("read %d rows of flufl.bounce's table, want over 100", len(out))
	}
	return out
}

// fluflMinHard is how many of the corpus's permanent failures are classed Hard
// (the rest are soft: mostly full mailboxes, which this package counts soft on
// purpose). It only goes up.
const fluflMinHard = 68

// fluflNotBounces are samples in the corpus that are no delivery report: an
// auto-reply and a person's reply.
var fluflNotBounces = []string{"qmail_08.txt", "groupwise_03.txt"}

// TestFluflCorpus runs the bounces that Mailman's bounce library is tested with:
// qmail, Postfix, Exim, Exchange, Yahoo, Sina, SMTP32 and many free-text formats.
// Every sample flufl.bounce reads as a permanent failure must count (hard or
// soft), a warning must never count hard, and its auto-reply and human reply
// must not count at all.
func TestFluflCorpus(t *testing.T) {
	perm, temp := map[string]bool{}, map[string]bool{}
	for _, r := range fluflTable(t) {
		switch {
		case len(r.addrs) == 0:
		case r.temporary:
			temp[r.file] = true
		default:
			perm[r.file] = true
		}
	}
	if len(perm) != 98 || len(temp) != 11 {
		t.Fatalf("flufl.bounce lists %d permanent and %d temporary samples, want 98 and 11", len(perm), len(temp))
	}
	classify := func(file string) map[string]*Report {
		raw, err := os.ReadFile(filepath.Join(fluflDir, "tests", "data", file))
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]*Report{}
		for name, in := range lineEndings(raw) {
			rep, err := Parse(in)
			if err != nil {
				t.Fatalf("%s (%s): %v", file, name, err)
			}
			out[name] = rep
		}
		return out
	}
	counted, hard := 0, 0
	for file := range perm {
		for name, rep := range classify(file) {
			if rep.Class() == NotABounce {
				t.Errorf("%s (%s): a permanent failure classed %v", file, name, rep.Class())
			}
			if name == "lf" && rep.Class() != NotABounce {
				counted++
			}
			if name == "lf" && rep.Class() == Hard {
				hard++
			}
		}
	}
	if hard < fluflMinHard {
		t.Errorf("%d of %d permanent failures hard, want at least %d", hard, len(perm), fluflMinHard)
	}
	for file := range temp {
		for name, rep := range classify(file) {
			if c := rep.Class(); c != NotABounce && c != Soft {
				t.Errorf("%s (%s): a warning classed %v", file, name, c)
			}
		}
	}
	for _, file := range fluflNotBounces {
		for name, rep := range classify(file) {
			if c := rep.Class(); c != NotABounce {
				t.Errorf("%s (%s): not a bounce, classed %v %+v", file, name, c, rep.Recipients)
			}
		}
	}
	t.Logf("flufl.bounce corpus: %d of %d permanent failures counted, %d hard", counted, len(perm), hard)
}
