package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

const (
	archiveSeed = 2026
	// Requests per kind of page; each kind is warmed up with archiveWarmup requests
	// first (other pages than those measured, where there are enough).
	archiveSearches = 50
	archiveThreads  = 50
	archiveMessages = 100
	archiveLists    = 50
	// archiveIMAPNewest is how many of the newest messages an IMAP client fetches, as
	// a mail program does when it opens a large folder.
	archiveIMAPNewest = 1000
	archiveWarmup     = 20
)

// runArchive measures the archive at each size of -archive-sizes: `listd archive
// import` of a generated mbox (genCorpus: threads up to 150 posts and 35 levels,
// German and English, encoded headers and bodies, HTML, attachments), the database's
// size, then with `listd serve` on the imported data the pages people read, one
// client on 127.0.0.1, sequentially, after a warm-up:
//
//   - importN.seconds: wall time of `listd -config F archive import forum FILE`
//     (process start, reading, parsing, threading, storing and indexing).
//   - importN.messages_per_second
//   - importN.cpu_seconds: the import's user and system CPU time (on a shared
//     machine the wall time moves with the others' work, the CPU time much less).
//   - dbN.mb: all files of the data dir after the import (database, WAL), MiB.
//   - searchN.p50_ms, .p99_ms: GET /forum/search?q=... over 50 queries: single
//     words, two words, "phrases" and compounds by prefix (Unterhalt*).
//   - threadN.p50_ms, .p99_ms: GET /forum/t/ID over 50 threads, the biggest one
//     (150 posts) among them.
//   - messageN.p50_ms, .p99_ms: GET /forum/m/ID over 100 messages.
//   - messageN/threadN/searchN.first_ms: the first request of each kind, before the
//     warm-up: what the first reader after the import waits.
//   - listN.p50_ms, .p99_ms: GET /forum/ (the newest threads and the months), 50
//     requests.
//   - imapN.select_ms: SELECT of the list's folder by a member over IMAP;
//     imapN.envelope_newest1000_ms and .headers_newest1000_ms: UID FETCH of the
//     newest 1,000 messages' ENVELOPE and FETCH of their headers (BODY.PEEK[HEADER]),
//     the median of three after one to warm up.
//   - serveN.peak_rss_mb: listd serve's peak resident set after the pages.
//
// Every page must answer 200; anything else fails the benchmark (after the other
// kinds of page were measured).
//
// With -repeat N each size runs N times, each with a fresh data dir and listd, and
// each figure is the median of its N values.
func runArchive(ctx context.Context, e *env) ([]figure, error) {
	var figs []figure
	var errs []error
	for _, n := range e.archiveSizes {
		var runs [][]figure
		for i := range e.repeat {
			if e.repeat > 1 {
				e.logf("archive: %d messages, run %d of %d", n, i+1, e.repeat)
			}
			f, err := archiveOnce(ctx, e, n)
			if err != nil {
				figs = append(figs, f...)
				errs = append(errs, fmt.Errorf("%d messages: %w", n, err))
				break
			}
			runs = append(runs, f)
		}
		if ctx.Err() != nil {
			break
		}
		if len(runs) == e.repeat {
			figs = append(figs, medianFigures(runs)...)
		}
	}
	return figs, errors.Join(errs...)
}

// medianFigures is each figure's median over runs (the middle value, as that run
// printed it); the names and their order are the first run's.
func medianFigures(runs [][]figure) []figure {
	if len(runs) == 1 {
		return runs[0]
	}
	var out []figure
	for k, f := range runs[0] {
		var vals []string
		for _, r := range runs {
			if k < len(r) && r[k].Name == f.Name {
				vals = append(vals, r[k].Value)
			}
		}
		sort.Slice(vals, func(i, j int) bool {
			a, _ := strconv.ParseFloat(vals[i], 64)
			b, _ := strconv.ParseFloat(vals[j], 64)
			return a < b
		})
		out = append(out, figure{Name: f.Name, Value: vals[(len(vals)-1)/2]})
	}
	return out
}

var archiveImportOutput = regexp.MustCompile(`^imported (\d+) messages into forum \((\d+) duplicates skipped, (\d+) unreadable\)`)

func archiveOnce(ctx context.Context, e *env, n int) ([]figure, error) {
	in, err := newInstance(e, "archive")
	if err != nil {
		return nil, err
	}
	defer in.close()
	var figs []figure
	suffix := strconv.Itoa(n)

	mbox := filepath.Join(in.dir, fmt.Sprintf("corpus-%d.mbox", n))
	t := time.Now()
	if err := genCorpus(mbox, n, archiveSeed); err != nil {
		return nil, fmt.Errorf("corpus: %w", err)
	}
	st, err := os.Stat(mbox)
	if err != nil {
		return nil, err
	}
	e.logf("archive: corpus of %d messages, %.1f MiB, made in %s", n, float64(st.Size())/(1<<20), time.Since(t).Round(time.Millisecond))
	if err := in.listd(ctx, "list", "create", corpusList, "-title", "Forum", "-archive", "public", "-anonymous", "no"); err != nil {
		return nil, err
	}

	imapAddr, err := enableIMAP(in)
	if err != nil {
		return nil, err
	}
	t = time.Now()
	// 15 minutes, or 6 ms a message for the largest corpora on a busy machine.
	out, cpu, err := runCmdCPU(ctx, max(15*time.Minute, time.Duration(n)*6*time.Millisecond), nil, e.listd, "-config", in.cfgPath,
		"archive", "import", corpusList, mbox)
	secs := time.Since(t).Seconds()
	if err != nil {
		return nil, err
	}
	e.logf("archive: %s", strings.TrimSpace(out))
	m := archiveImportOutput.FindStringSubmatch(out)
	if m == nil {
		return nil, fmt.Errorf("archive import: unexpected output %q", strings.TrimSpace(out))
	}
	if got, _ := strconv.Atoi(m[1]); got != n || m[2] != "0" || m[3] != "0" {
		return nil, fmt.Errorf("archive import took %s of %d messages (%s duplicates, %s unreadable)", m[1], n, m[2], m[3])
	}
	figs = append(figs, fig("import"+suffix+".seconds", "%.2f", secs), fig("import"+suffix+".messages_per_second", "%.0f", float64(n)/secs),
		fig("import"+suffix+".cpu_seconds", "%.2f", cpu.Seconds()))
	size, err := dirSize(filepath.Join(in.dir, "data"))
	if err != nil {
		return figs, err
	}
	figs = append(figs, fig("db"+suffix+".mb", "%.1f", float64(size)/(1<<20)))
	if e.compare == "" {
		os.Remove(mbox) // the disk holds one corpus at a time
	} else {
		defer os.Remove(mbox) // public-inbox imports the same file after listd's pages
	}

	// A member who reads the list over IMAP.
	if err := in.listd(ctx, "member", "add", corpusList, imapReader, "-mode", "nomail"); err != nil {
		return figs, err
	}
	pw, err := runCmd(ctx, time.Minute, e.listd, "-config", in.cfgPath, "user", "password", imapReader)
	if err != nil {
		return figs, err
	}
	if err := in.startServe(ctx); err != nil {
		return figs, err
	}
	// A fresh database numbers the posts in file order from 1: post i is id i+1 and
	// its thread is its first post's id. Checked here, so that the pages asked for
	// are the ones meant.
	for _, i := range []int{0, n / 2, n - 1} {
		if err := checkArchiveID(ctx, in.base, i+1, corpusMsgID(i, archiveSeed)); err != nil {
			return figs, err
		}
	}
	pages := planArchivePages(n)
	var errs []error
	measure := func(kind string, paths []string) {
		f, err := measurePages(ctx, e, in.base, kind, suffix, "", paths, onlyOK)
		figs = append(figs, f...)
		if err != nil {
			errs = append(errs, err)
		}
	}
	// Post i is archive id i+1; a thread is its first post's id.
	var msgPaths, threadPaths, searchPaths, listPaths []string
	for _, i := range pages.messages {
		msgPaths = append(msgPaths, fmt.Sprintf("/%s/m/%d", corpusList, i+1))
	}
	measure("message", msgPaths)
	for _, i := range pages.threads {
		threadPaths = append(threadPaths, fmt.Sprintf("/%s/t/%d", corpusList, i+1))
	}
	measure("thread", threadPaths)
	for _, q := range pages.searches {
		searchPaths = append(searchPaths, fmt.Sprintf("/%s/search?q=%s", corpusList, url.QueryEscape(q)))
	}
	measure("search", searchPaths)
	// The list page: the newest threads and the months.
	for range pages.lists {
		listPaths = append(listPaths, "/"+corpusList+"/")
	}
	measure("list", listPaths)

	if err := waitTCP(ctx, imapAddr, in.serve, 30*time.Second); err != nil {
		return figs, err
	}
	f, err := archiveIMAP(imapAddr, imapReader, strings.TrimSpace(pw), corpusList, n)
	for _, x := range f {
		x.Name = strings.Replace(x.Name, "imap", "imap"+suffix, 1)
		figs = append(figs, x)
	}
	if err != nil {
		errs = append(errs, err)
	} else {
		e.logf("archive: IMAP, the newest %d messages: %v", archiveIMAPNewest, f)
	}

	figs = append(figs, fig("serve"+suffix+".peak_rss_mb", "%s", rssFigure(in.peakRSSKB())))
	if len(errs) > 0 {
		return figs, fmt.Errorf("%w; last lines of listd's log:\n%s", errors.Join(errs...), in.logTail())
	}
	if e.compare == comparePublicInbox {
		hits, err := listdHits(ctx, in.base, archiveQueries())
		if err != nil {
			return figs, err
		}
		// listd's part is done: it leaves the machine to public-inbox.
		if err := in.serve.stop(30 * time.Second); err != nil {
			e.logf("archive: warning: %v", err)
		}
		f, err := runPublicInbox(ctx, e, in.dir, mbox, n, pages, hits)
		figs = append(figs, f...)
		if err != nil {
			return figs, fmt.Errorf("public-inbox: %w", err)
		}
	}
	return figs, nil
}

// archivePages are the requests of one corpus size, by corpus post index (post i
// has Message-ID corpusMsgID(i, archiveSeed)): each list holds the warm-up requests
// first (archiveWarmup of them, see measurePages), then the measured ones.
type archivePages struct {
	messages []int    // message pages
	threads  []int    // thread pages, by the thread's first post
	searches []string // queries
	lists    int      // requests of the list page
}

// planArchivePages picks the pages of a corpus of n posts: random messages, random
// threads of more than one post and the biggest thread (thread 0, last), the queries
// of archiveQueries in turn.
func planArchivePages(n int) archivePages {
	var p archivePages
	rng := rand.New(rand.NewPCG(archiveSeed, uint64(n)))
	for range archiveWarmup + archiveMessages {
		p.messages = append(p.messages, rng.IntN(n))
	}
	var threads []int
	for first, size := range corpusThreadSizes(planCorpus(n, archiveSeed)) {
		if size > 1 && first != 0 {
			threads = append(threads, first)
		}
	}
	sort.Ints(threads)
	rng.Shuffle(len(threads), func(i, j int) { threads[i], threads[j] = threads[j], threads[i] })
	p.threads = append(threads[:min(len(threads), archiveWarmup+archiveThreads-1):min(len(threads), archiveWarmup+archiveThreads-1)], 0)
	qs := archiveQueries()
	for k := range archiveWarmup + archiveSearches {
		p.searches = append(p.searches, qs[k%len(qs)])
	}
	p.lists = archiveWarmup + archiveLists
	return p
}

// onlyOK accepts HTTP 200 alone.
func onlyOK(code int) bool { return code == 200 }

// measurePages fetches paths from base one after another and returns kind's figures
// (kind+suffix+".first_ms", ".p50_ms", ".p99_ms", each name after prefix): when there
// are more than 2*archiveWarmup paths, the first archiveWarmup warm up and the rest
// are measured; otherwise all of them are fetched twice, the second time measured.
// first_ms is the very first request's time. ok says which HTTP statuses are answers.
func measurePages(ctx context.Context, e *env, base, kind, suffix, prefix string, paths []string, ok func(int) bool) ([]figure, error) {
	warm := paths
	if len(paths) > 2*archiveWarmup {
		warm, paths = paths[:archiveWarmup], paths[archiveWarmup:]
	}
	name := prefix + kind + suffix
	first, err := timeGets(ctx, base, warm, ok)
	if err != nil {
		return nil, fmt.Errorf("%s%s (warm-up): %w", prefix, kind, err)
	}
	// The first request after the import pays for what the server builds on first
	// use (listd's word list for the search, for one), and for a cold cache.
	figs := []figure{fig(name+".first_ms", "%.2f", float64(first[0])/float64(time.Millisecond))}
	// The driver's own garbage (the corpus plan of a million posts is hundreds of
	// MB) is collected now, not by a cycle that lands in a timed request.
	runtime.GC()
	ds, err := timeGets(ctx, base, paths, ok)
	if err != nil {
		return figs, fmt.Errorf("%s%s: %w", prefix, kind, err)
	}
	figs = append(figs, fig(name+".p50_ms", "%.2f", percentileMS(ds, 50)), fig(name+".p99_ms", "%.2f", percentileMS(ds, 99)))
	e.logf("archive: %s%s pages, %d requests: p50 %.2f ms, p99 %.2f ms, max %.2f ms", prefix, kind, len(ds),
		percentileMS(ds, 50), percentileMS(ds, 99), percentileMS(ds, 100))
	return figs, nil
}

// archiveIMAP logs in as user, selects mailbox, which must hold n messages with the
// UIDs 1 to n, and fetches the newest archiveIMAPNewest of them: ENVELOPE by UID, then
// the headers by sequence number, each once to warm up and then three times (the
// median).
func archiveIMAP(addr, user, password, mailbox string, n int) ([]figure, error) {
	c, err := imapclient.DialInsecure(addr, nil)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if err := c.Login(user, password).Wait(); err != nil {
		return nil, fmt.Errorf("imap login: %w", err)
	}
	t := time.Now()
	sel, err := c.Select(mailbox, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		return nil, fmt.Errorf("imap select: %w", err)
	}
	figs := []figure{fig("imap.select_ms", "%.2f", float64(time.Since(t))/float64(time.Millisecond))}
	if int(sel.NumMessages) != n {
		return figs, fmt.Errorf("imap: the mailbox has %d messages, want %d", sel.NumMessages, n)
	}
	first := uint32(max(1, n-archiveIMAPNewest+1))
	newest := imap.SeqSet{imap.SeqRange{Start: first, Stop: uint32(n)}}
	newestUIDs := imap.UIDSet{imap.UIDRange{Start: imap.UID(first), Stop: imap.UID(n)}} // ids follow the file from 1
	header := &imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader, Peek: true}
	for _, k := range []struct {
		name   string
		numSet imap.NumSet
		opts   *imap.FetchOptions
	}{
		{"envelope", newestUIDs, &imap.FetchOptions{UID: true, Envelope: true}},
		{"headers", newest, &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{header}}},
	} {
		var ms []float64
		for run := 0; run <= 3; run++ {
			t := time.Now()
			got, _, err := fetchAll(c, k.numSet, k.opts)
			if err != nil {
				return figs, fmt.Errorf("imap %s: %w", k.name, err)
			}
			if want := n - int(first) + 1; got != want {
				return figs, fmt.Errorf("imap %s: %d messages answered, want %d", k.name, got, want)
			}
			if run > 0 {
				ms = append(ms, float64(time.Since(t))/float64(time.Millisecond))
			}
		}
		sort.Float64s(ms)
		figs = append(figs, fig(fmt.Sprintf("imap.%s_newest%d_ms", k.name, archiveIMAPNewest), "%.1f", ms[len(ms)/2]))
	}
	return figs, nil
}

// archiveQueries are what people look for in the forum: single words, two words,
// phrases and German compounds by their first part. 25 of them: the warm-up takes the
// first 20, the measured run all of them twice.
func archiveQueries() []string {
	return []string{
		"Jugendamt", "Unterhaltsvorschuss", "Kitaplatz", "Düsseldorf", "Widerspruch", "Beratungsstelle", "custody",
		"Eingangsbestätigung",
		"Kitaplatz Köln", "Unterhaltsvorschuss Jugendamt", "Wohngeld Bescheid", "Umgangsrecht Ferien", "daycare Berlin",
		`"Düsseldorfer Tabelle"`, `"formlosen Antrag"`, `"youth welfare office"`, `"Frist für den Widerspruch"`,
		"Unterhalt*", "Kita*", "Umgangs*", "Sorge*", "Eltern*", "Wohn*",
		"Akteneinsicht", "Bescheid abgelehnt",
	}
}

// checkArchiveID checks that archive id holds the corpus post with Message-ID mid.
func checkArchiveID(ctx context.Context, base string, id int, mid string) error {
	code, body, err := httpGet(ctx, fmt.Sprintf("%s/api/v1/lists/%s/messages/%d", base, corpusList, id))
	if err != nil || code != 200 {
		return fmt.Errorf("GET message %d: HTTP %d %v", id, code, err)
	}
	var m struct {
		MessageID string `json:"message_id"`
	}
	if err := json.Unmarshal(body, &m); err != nil {
		return fmt.Errorf("message %d: %w", id, err)
	}
	if m.MessageID != mid {
		return fmt.Errorf("archive id %d holds %q, not the corpus post %q: ids do not follow the file", id, m.MessageID, mid)
	}
	return nil
}

// timeGets fetches each path in turn and returns the time of each, from sending the
// request to the end of the body. A status ok does not accept is an error.
func timeGets(ctx context.Context, base string, paths []string, ok func(int) bool) ([]time.Duration, error) {
	ds := make([]time.Duration, 0, len(paths))
	for _, p := range paths {
		t := time.Now()
		code, body, err := httpGet(ctx, base+p)
		d := time.Since(t)
		if err != nil {
			return nil, fmt.Errorf("GET %s: %w", p, err)
		}
		if !ok(code) {
			return nil, fmt.Errorf("GET %s: HTTP %d (%d bytes)", p, code, len(body))
		}
		ds = append(ds, d)
	}
	return ds, nil
}

// percentileMS is the p-th percentile of ds (nearest rank), in milliseconds.
func percentileMS(ds []time.Duration, p float64) float64 {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	k := int(math.Ceil(p/100*float64(len(s)))) - 1
	return float64(s[min(max(k, 0), len(s)-1)]) / float64(time.Millisecond)
}

// dirSize adds up the sizes of the files below dir.
func dirSize(dir string) (int64, error) {
	var total int64
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			info, err := d.Info()
			if err != nil {
				return err
			}
			total += info.Size()
		}
		return nil
	})
	return total, err
}

// parseSizes reads -archive-sizes: message counts, comma-separated.
func parseSizes(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 10 {
			return nil, fmt.Errorf("-archive-sizes %q: want message counts of at least 10, comma-separated", s)
		}
		out = append(out, n)
	}
	return out, nil
}
