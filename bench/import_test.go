package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	"listd/internal/lists"
	"listd/internal/store"
	"listd/internal/token"
	"listd/templates"
)

// The archive benchmark's work in process, for profiles and per-query figures:
//
//	go test -tags sqlite_fts5 -run '^$' -bench ArchiveImport -benchtime 1x -cpuprofile cpu.out ./bench
//	go tool pprof -top -nodecount 40 bench.test cpu.out
//	LISTD_BENCH_DIR=/some/dir go test -tags sqlite_fts5 -run '^$' -bench ArchiveSearch ./bench
//
// LISTD_BENCH_POSTS sets the corpus size (20,000); LISTD_BENCH_DIR keeps the imported
// database there, and ArchiveSearch reuses one it finds (otherwise it imports into a
// temp dir first).

func benchPosts(b *testing.B) int {
	if s := os.Getenv("LISTD_BENCH_POSTS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			b.Fatalf("LISTD_BENCH_POSTS=%q: %v", s, err)
		}
		return n
	}
	return 20000
}

// benchImport imports the corpus of n posts from mbox into a new database in dir and
// returns how long ImportArchive took.
func benchImport(b *testing.B, dir, mbox string, n int) time.Duration {
	ctx := context.Background()
	db, err := store.Open(ctx, dir)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	svc, err := lists.New(db, token.NewSigner([]byte("0123456789abcdef0123456789abcdef"), nil),
		lists.Config{Domain: "lists.example.org", BaseURL: "http://127.0.0.1:8080", Language: "de",
			Templates: templates.FS(""), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	l := &store.List{Name: corpusList, Archive: "public", Moderation: "none"}
	if err := db.CreateList(ctx, l); err != nil {
		b.Fatal(err)
	}
	f, err := os.Open(mbox)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	t := time.Now()
	sum, err := svc.ImportArchive(ctx, l, f, mbox, nil)
	d := time.Since(t)
	if err != nil {
		b.Fatal(err)
	}
	if sum.Imported != n {
		b.Fatalf("imported %d of %d (%d duplicates, %d unreadable)", sum.Imported, n, sum.Duplicates, sum.Unreadable)
	}
	return d
}

// BenchmarkArchiveImport imports the archive benchmark's corpus (German list mail) as
// `listd archive import` does.
func BenchmarkArchiveImport(b *testing.B) {
	n := benchPosts(b)
	tmp := b.TempDir()
	mbox := filepath.Join(tmp, "corpus.mbox")
	if err := genCorpus(mbox, n, archiveSeed); err != nil {
		b.Fatal(err)
	}
	var total time.Duration
	for i := range b.N {
		dir := filepath.Join(tmp, "data"+strconv.Itoa(i))
		if keep := os.Getenv("LISTD_BENCH_DIR"); keep != "" && i == 0 {
			dir = keep
		}
		total += benchImport(b, dir, mbox, n)
	}
	b.ReportMetric(total.Seconds()/float64(b.N), "s/import")
	b.ReportMetric(float64(n*b.N)/total.Seconds(), "posts/s")
}

// BenchmarkArchiveSearch times each of the archive benchmark's queries on its own,
// through store.SearchArchive (first page, 20 hits, as the search page asks).
func BenchmarkArchiveSearch(b *testing.B) {
	n := benchPosts(b)
	dir := os.Getenv("LISTD_BENCH_DIR")
	if dir == "" {
		dir = filepath.Join(b.TempDir(), "data")
	}
	if _, err := os.Stat(filepath.Join(dir, "listd.db")); err != nil {
		mbox := filepath.Join(b.TempDir(), "corpus.mbox")
		if err := genCorpus(mbox, n, archiveSeed); err != nil {
			b.Fatal(err)
		}
		benchImport(b, dir, mbox, n)
	}
	ctx := context.Background()
	db, err := store.Open(ctx, dir)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	l, err := db.ListByName(ctx, corpusList)
	if err != nil {
		b.Fatal(err)
	}
	for _, q := range archiveQueries() {
		b.Run(q, func(b *testing.B) {
			var ds []time.Duration
			cpu0 := processCPU(b)
			for range b.N {
				t := time.Now()
				if _, err := db.SearchArchive(ctx, store.SearchQuery{ListIDs: []int64{l.ID}, Text: q, Limit: 20}); err != nil {
					b.Fatal(err)
				}
				ds = append(ds, time.Since(t))
			}
			cpu := processCPU(b) - cpu0
			slices.Sort(ds)
			b.ReportMetric(float64(ds[len(ds)/2].Microseconds())/1000, "p50_ms")
			b.ReportMetric(float64(ds[len(ds)-1].Microseconds())/1000, "max_ms")
			// On a shared machine the wall times above include the waits for a core;
			// the CPU time of the process (user and system, the runtime's own work
			// included) does not.
			b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu_ms/op")
		})
	}
}

// processCPU is the CPU time the process has used, user and system.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestArchiveImportSame: the import with its parallel workers, batches and deferred
// index merge stores what importing the posts one at a time stores (each post its
// own import, in file order, so every one is threaded through the database): the
// same ids, threads, parents, text and bytes, and the same search hits and snippets.
// archiveDigest also matches the figure of the import before it was made parallel
// at this level (goldenArchiveDigest), so that both paths are checked against it.
func TestArchiveImportSame(t *testing.T) {
	const n = 600
	dir := t.TempDir()
	mbox := filepath.Join(dir, "corpus.mbox")
	if err := genCorpus(mbox, n, archiveSeed); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	bulk, err := importForTest(ctx, filepath.Join(dir, "bulk"), mbox, false)
	if err != nil {
		t.Fatal(err)
	}
	one, err := importForTest(ctx, filepath.Join(dir, "one"), mbox, true)
	if err != nil {
		t.Fatal(err)
	}
	if bulk != one {
		t.Errorf("the bulk import stored or found other things than one post at a time:\n%s\n%s", bulk, one)
	}
	if bulk != goldenArchiveDigest {
		t.Errorf("archive digest %s, want %s", bulk, goldenArchiveDigest)
	}
}

// goldenArchiveDigest is archiveDigest of the 600-post corpus.
const goldenArchiveDigest = "c495ddba9702440cf13af6d2ec53d554a8476cccf4d9dbcf835564a070faeaa6"

// importForTest imports mbox into a new database in dir, all at once or one message
// at a time, and returns archiveDigest of the result.
func importForTest(ctx context.Context, dir, mbox string, oneByOne bool) (string, error) {
	db, err := store.Open(ctx, dir)
	if err != nil {
		return "", err
	}
	defer db.Close()
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	svc, err := lists.New(db, token.NewSigner([]byte("0123456789abcdef0123456789abcdef"), nil),
		lists.Config{Domain: "lists.example.org", BaseURL: "http://127.0.0.1:8080", Language: "de",
			Templates: templates.FS(""), Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return now }})
	if err != nil {
		return "", err
	}
	l := &store.List{Name: corpusList, Archive: "public", Moderation: "none"}
	if err := db.CreateList(ctx, l); err != nil {
		return "", err
	}
	data, err := os.ReadFile(mbox)
	if err != nil {
		return "", err
	}
	chunks := [][]byte{data}
	if oneByOne {
		chunks = splitMbox(data)
	}
	for _, c := range chunks {
		if _, err := svc.ImportArchive(ctx, l, bytes.NewReader(c), mbox, nil); err != nil {
			return "", err
		}
	}
	return archiveDigest(ctx, db, l.ID)
}

// splitMbox cuts an mbox (as genCorpus writes it: "From " lines only at message
// starts) into one mbox per message.
func splitMbox(data []byte) [][]byte {
	var out [][]byte
	for len(data) > 0 {
		i := bytes.Index(data[1:], []byte("\nFrom "))
		if i < 0 {
			out = append(out, data)
			break
		}
		out = append(out, data[:i+2])
		data = data[i+2:]
	}
	return out
}

// archiveDigest hashes what a reader of the list sees: every post's id, Message-ID,
// thread, parent, subject, author, dates, size, text and bytes, and the hits of the
// benchmark's queries (ids and snippets, first two pages).
func archiveDigest(ctx context.Context, db *store.DB, listID int64) (string, error) {
	h := sha256.New()
	for id := int64(1); ; id++ {
		m, err := db.Message(ctx, listID, id)
		if errors.Is(err, store.ErrNotFound) {
			break
		}
		if err != nil {
			return "", err
		}
		raw, err := db.Raw(ctx, id)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%d %q %d %d %q %q %q %d %d %d %q %x\n", m.ID, m.MessageID, m.ThreadID, m.ParentID, m.Subject,
			m.FromName, m.FromAddr, m.Date.Unix(), m.ReceivedAt.Unix(), m.Size, m.Text, sha256.Sum256(raw))
	}
	for _, q := range archiveQueries() {
		for _, off := range []int{0, 20} {
			res, err := db.SearchArchive(ctx, store.SearchQuery{ListIDs: []int64{listID}, Text: q, Limit: 20, Offset: off})
			if err != nil {
				return "", err
			}
			fmt.Fprintf(h, "%q %d %v:", q, off, res.More)
			for _, hit := range res.Hits {
				fmt.Fprintf(h, " %d %q", hit.ID, hit.Snippet)
			}
			fmt.Fprintln(h)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
