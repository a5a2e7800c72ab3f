package main

import (
	"bytes"
	"crypto/sha256"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"listd/internal/archive"
)

func TestPlanCorpus(t *testing.T) {
	plan := planCorpus(20000, 1)
	sizes := corpusThreadSizes(plan)
	biggest, single, maxDepth := 0, 0, 0
	for _, n := range sizes {
		biggest = max(biggest, n)
		if n == 1 {
			single++
		}
	}
	for i, p := range plan {
		maxDepth = max(maxDepth, p.depth)
		if p.parent >= i || (p.parent < 0) != (p.thread == i) || (p.parent >= 0 && plan[p.parent].thread != p.thread) {
			t.Fatalf("post %d: %+v", i, p)
		}
		if i > 0 && p.date.Before(plan[i-1].date) {
			t.Fatalf("post %d is dated before the one before it", i)
		}
	}
	if biggest != corpusMaxThread || sizes[0] != corpusMaxThread || maxDepth != corpusMaxDepth {
		t.Errorf("biggest thread %d (thread 0: %d), deepest %d", biggest, sizes[0], maxDepth)
	}
	// A long tail: many single posts and short threads, some long ones.
	if single < len(sizes)/3 || len(sizes) < 20000/8 || len(sizes) > 20000/3 {
		t.Errorf("%d threads, %d of one post", len(sizes), single)
	}
}

func TestGenCorpus(t *testing.T) {
	dir := t.TempDir()
	const n = 1500
	var sums [2][32]byte
	for k := range sums {
		path := filepath.Join(dir, "c.mbox")
		if err := genCorpus(path, n, 7); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		sums[k] = sha256.Sum256(b)
		if k == 1 {
			break
		}
		checkCorpus(t, b, n)
	}
	if sums[0] != sums[1] {
		t.Error("the same seed made different files")
	}
}

func checkCorpus(t *testing.T, b []byte, n int) {
	t.Helper()
	r := archive.NewMboxReader(bytes.NewReader(b))
	var sizes []int
	kinds := map[string]int{}
	var umlauts, replies, threadedBySubject int
	for {
		m, err := r.Next()
		if err != nil {
			if err.Error() != "EOF" {
				t.Fatal(err)
			}
			break
		}
		p, err := archive.Parse(m.Raw)
		if err != nil {
			t.Fatalf("message %d: %v", m.Number, err)
		}
		for _, e := range p.Errors {
			// enmime guesses charsets of short texts and warns when it guesses otherwise.
			if !strings.Contains(e, "Character Set Declaration Mismatch") {
				t.Fatalf("message %d: %s", m.Number, e)
			}
		}
		if p.MessageID == "" || p.FromAddr == "" || p.Date.IsZero() || strings.TrimSpace(p.Text) == "" {
			t.Fatalf("message %d: %+v", m.Number, p)
		}
		if strings.ContainsAny(p.Text+p.Subject+p.FromName, "äöüßÄÖÜ") {
			umlauts++
		}
		if strings.Contains(p.Subject, "=?") {
			t.Fatalf("message %d: subject not decoded: %q", m.Number, p.Subject)
		}
		if _, isReply := archive.SubjectKey(p.Subject); isReply {
			replies++
			if len(p.InReplyTo) == 0 {
				threadedBySubject++
			}
		}
		for _, a := range p.Attachments {
			kinds[a]++
		}
		for _, k := range []string{"multipart/alternative", "quoted-printable", "base64", "iso-8859-1", "=?utf-8?b?", "=?utf-8?q?"} {
			if bytes.Contains(bytes.ToLower(m.Raw), []byte(k)) {
				kinds[k]++
			}
		}
		sizes = append(sizes, len(m.Raw))
	}
	if len(sizes) != n {
		t.Fatalf("%d messages, want %d", len(sizes), n)
	}
	sort.Ints(sizes)
	total := 0
	for _, s := range sizes {
		total += s
	}
	t.Logf("sizes: min %d, median %d, p90 %d, p99 %d, max %d, mean %d; kinds %v; %d replies, %d without In-Reply-To",
		sizes[0], sizes[n/2], sizes[n*9/10], sizes[n*99/100], sizes[n-1], total/n, kinds, replies, threadedBySubject)
	if sizes[0] < 1500 || sizes[n/2] < 2500 || sizes[n/2] > 8000 || sizes[n*95/100] > 24000 {
		t.Errorf("sizes out of the intended range: min %d median %d p95 %d", sizes[0], sizes[n/2], sizes[n*95/100])
	}
	for _, k := range []string{"multipart/alternative", "quoted-printable", "base64", "iso-8859-1", "=?utf-8?b?", "=?utf-8?q?", "application/pdf", "image/png"} {
		if kinds[k] == 0 {
			t.Errorf("no message has %s", k)
		}
	}
	if umlauts < n/2 || threadedBySubject == 0 {
		t.Errorf("%d of %d messages with umlauts; %d replies without In-Reply-To", umlauts, n, threadedBySubject)
	}
}
