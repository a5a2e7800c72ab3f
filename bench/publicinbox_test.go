package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestPiPrefixQuery(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Jugendamt", "Jugendamt*"},
		{"Kitaplatz Köln", "Kitaplatz* Köln*"},
		{`"Düsseldorfer Tabelle"`, `"Düsseldorfer Tabelle"`},
		{`Frist "formlosen Antrag" Widerspruch`, `Frist* "formlosen Antrag" Widerspruch*`},
		{"Unterhalt*", "Unterhalt*"},
		{"im Amt", "im Amt*"}, // listd's prefixes start at three letters
		{"Kita OR Hort", "Kita* OR Hort*"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := piPrefixQuery(tt.in); got != tt.want {
			t.Errorf("piPrefixQuery(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestWithin(t *testing.T) {
	tests := []struct {
		a, b int
		want bool
	}{{100, 100, true}, {100, 91, true}, {91, 100, true}, {100, 89, false}, {0, 0, true}, {0, 1, false}, {-1, 5, false}}
	for _, tt := range tests {
		if got := within(tt.a, tt.b, 0.1); got != tt.want {
			t.Errorf("within(%d, %d) = %v", tt.a, tt.b, got)
		}
	}
}

// TestPublicInboxCompare runs the public-inbox side of `-compare public-inbox` on a
// small corpus: the import, every page the benchmark asks for (each must answer),
// the hit counts and the IMAP fetches. It needs public-inbox 1.9 with Xapian
// (Debian: public-inbox libsearch-xapian-perl); without it the test is skipped, or
// fails when CI is set.
func TestPublicInboxCompare(t *testing.T) {
	if testing.Short() {
		t.Skip("starts public-inbox's daemons")
	}
	ctx := context.Background()
	if why := publicInboxMissing(ctx); why != "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("public-inbox is needed: %s", why)
		}
		t.Skipf("public-inbox is not installed here: %s", why)
	}
	const n = 120
	dir := t.TempDir()
	mbox := filepath.Join(dir, "corpus.mbox")
	if err := genCorpus(mbox, n, archiveSeed); err != nil {
		t.Fatal(err)
	}
	e := &env{stderr: io.Discard}
	if testing.Verbose() {
		e.stderr = os.Stderr
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	qs := archiveQueries()
	figs, err := runPublicInbox(ctx, e, dir, mbox, n, planArchivePages(n), make([]int, len(qs)))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range figs {
		got[f.Name] = f.Value
	}
	for _, name := range []string{"pi.import120.seconds", "pi.inbox120.mb", "pi.message120.p50_ms", "pi.thread120.p99_ms",
		"pi.search120.p50_ms", "pi.search_20hits_120.p99_ms", "pi.list120.p50_ms", "pi.httpd120.peak_rss_mb",
		"pi.imap120.envelope_newest1000_ms", "pi.imap120.headers_newest1000_ms"} {
		v, err := strconv.ParseFloat(got[name], 64)
		if err != nil || v <= 0 {
			t.Errorf("%s = %q, want a positive number", name, got[name])
		}
	}
	if got["pi.hits120.queries"] != strconv.Itoa(len(qs)) {
		t.Errorf("pi.hits120.queries = %q", got["pi.hits120.queries"])
	}
	// The machine's own public-inbox config was neither read nor written: everything
	// is below dir.
	cfg, err := os.ReadFile(filepath.Join(dir, "public-inbox", "config"))
	if err != nil || !strings.Contains(string(cfg), filepath.Join(dir, "public-inbox", "inbox")) {
		t.Errorf("config %q, %v", cfg, err)
	}
}

// TestPiHitsParse reads the exact count from public-inbox's page past the last hit.
func TestPiHitsParse(t *testing.T) {
	if m := piNoMore.FindSubmatch([]byte("<pre id=t>No more results, only 5591</pre>")); m == nil || string(m[1]) != "5591" {
		t.Errorf("got %q", m)
	}
}
