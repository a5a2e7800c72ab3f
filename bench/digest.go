package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"mime"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	digestList    = "bench"
	digestPoster  = "poster@example.net"
	digestPosts   = 500
	digestThreads = 60
	digestMembers = 10000 // digest readers member00001 ... member10000@example.net
	digestSeed    = 2026
	// The first arrival at the sink is watched this often (the sink itself only
	// keeps the last arrival's time).
	digestFirstPoll = time.Millisecond
)

// runDigest measures a weekly digest: digestPosts posts in digestThreads threads reach
// the list while every member but the poster reads the digest, then `listd digest
// send bench` makes the issue and queues one row per digest reader, and listd serve
// renders and sends each reader's copy. It runs e.repeat times (each time with a fresh
// temp dir, database, listd and sink) and reports the run with the median
// seconds_compose_and_queue:
//
//   - posts, members: the posts (500) and digest readers (10,000).
//   - sink: which SMTP sink took the copies.
//   - seconds_compose_and_queue: wall time of `listd -config F digest send bench`
//     (process start, opening the database, making the issue and its queue rows in one
//     transaction).
//   - seconds_first_copy: from the end of digest send to the sink's first arrival:
//     listd serve's wait for its next look at the queue (at most 2 s: nothing tells it
//     about rows another process queued), claiming rows, composing the body
//     once, rendering and sending the first copy.
//   - seconds_to_last: from the end of digest send to the sink's last arrival.
//   - deliveries_per_second: members / seconds_to_last.
//   - bytes_per_copy: the average copy as the Go sink received it (Go sink only).
//   - peak_rss_mb: listd serve's peak resident set (VmHWM), MiB, read at the end
//     (the largest of all runs).
func runDigest(ctx context.Context, e *env) ([]figure, error) {
	runs, figs, err := repeated(ctx, e, "digest", digestOnce)
	if err != nil {
		return figs, err
	}
	sort.Slice(runs, func(i, j int) bool { return runs[i].composeSecs < runs[j].composeSecs })
	med := runs[(len(runs)-1)/2]
	if len(runs) > 1 {
		var comp, first, last []string
		for _, r := range runs {
			comp = append(comp, fmt.Sprintf("%.2f", r.composeSecs))
			first = append(first, fmt.Sprintf("%.2f", r.firstSecs))
			last = append(last, fmt.Sprintf("%.2f", r.lastSecs))
			med.rssKB = max(med.rssKB, r.rssKB)
		}
		e.logf("digest: seconds_compose_and_queue of the %d runs: %s (first copy: %s; last copy: %s); reporting the median",
			len(runs), strings.Join(comp, " "), strings.Join(first, " "), strings.Join(last, " "))
	}
	figs = med.figures()
	if len(runs) > 1 {
		figs = append(figs, fig("runs", "%d", len(runs)))
	}
	return figs, nil
}

// digestResult is one run's outcome.
type digestResult struct {
	posts       int // accepted by listd
	members     int // digest readers the issue was queued for
	sink        string
	composeSecs float64 // wall time of digest send; 0: not run
	firstSecs   float64 // end of digest send to the sink's first arrival; 0: none
	lastSecs    float64 // end of digest send to the sink's last arrival; 0: not all
	copies      int64   // sent (/metrics)
	failed      int64
	deferred    int64
	bytesPer    int64 // -1: not known
	rssKB       int64 // -1: not known
}

func (r *digestResult) figures() []figure {
	figs := []figure{
		fig("posts", "%d", r.posts),
		fig("members", "%d", r.members),
		fig("sink", "%s", r.sink),
	}
	if r.composeSecs > 0 {
		figs = append(figs, fig("seconds_compose_and_queue", "%.2f", r.composeSecs))
	}
	if r.firstSecs > 0 {
		figs = append(figs, fig("seconds_first_copy", "%.2f", r.firstSecs))
	}
	if r.lastSecs > 0 {
		figs = append(figs, fig("seconds_to_last", "%.2f", r.lastSecs),
			fig("deliveries_per_second", "%.0f", float64(r.copies)/r.lastSecs))
	}
	if r.bytesPer >= 0 {
		figs = append(figs, fig("bytes_per_copy", "%d", r.bytesPer))
	}
	figs = append(figs, fig("peak_rss_mb", "%s", rssFigure(r.rssKB)))
	if r.failed > 0 {
		figs = append(figs, fig("failed", "%d", r.failed))
	}
	if r.deferred > 0 {
		figs = append(figs, fig("deferred_attempts", "%d", r.deferred))
	}
	return figs
}

// digestSendOutput matches digest send's line for the list.
var digestSendOutput = regexp.MustCompile(`(?m)^` + digestList + `: volume (\d+) issue (\d+), (\d+) posts, queued for (\d+) digest readers$`)

// parseDigestSend returns the posts and readers digest send reported.
func parseDigestSend(out string) (posts, readers int, err error) {
	m := digestSendOutput.FindStringSubmatch(out)
	if m == nil {
		return 0, 0, fmt.Errorf("digest send: unexpected output %q", strings.TrimSpace(out))
	}
	posts, _ = strconv.Atoi(m[3])
	readers, _ = strconv.Atoi(m[4])
	return posts, readers, nil
}

// digestOnce is one run of the digest benchmark.
func digestOnce(ctx context.Context, e *env) (res *digestResult, err error) {
	in, err := newInstance(e, "digest")
	if err != nil {
		return nil, err
	}
	defer in.close()
	res = &digestResult{bytesPer: -1, rssKB: -1}

	// The list: weekly digests and no early issue at a number of posts (the default
	// is 50), so that listd serve's scheduler never makes the issue itself.
	e.logf("digest: creating list %s with %d digest members and a nomail poster", digestList, digestMembers)
	if err := in.listd(ctx, "list", "create", digestList, "-title", "Bench"); err != nil {
		return nil, err
	}
	if err := in.listd(ctx, "list", "set", digestList, "-digest", "weekly", "-digest-max-posts", "0"); err != nil {
		return nil, err
	}
	membersPath := filepath.Join(in.dir, "members.txt")
	if err := writeMembers(membersPath, digestMembers); err != nil {
		return nil, err
	}
	t := time.Now()
	if err := in.listd(ctx, "member", "import", digestList, membersPath, "-mode", "digest"); err != nil {
		return nil, err
	}
	e.logf("digest: imported %d digest members in %s", digestMembers, time.Since(t).Round(time.Millisecond))
	if err := in.listd(ctx, "member", "add", digestList, digestPoster, "-mode", "nomail"); err != nil {
		return nil, err
	}

	if err := in.startWithSink(ctx); err != nil {
		return nil, err
	}
	serve, sk := in.serve, in.sink
	res.sink = sk.Name()
	fail := func(err error) (*digestResult, error) {
		if !serve.exited() {
			res.rssKB = in.peakRSSKB()
		}
		if ctx.Err() != nil {
			return res, errors.New("interrupted")
		}
		if serve.exited() {
			return res, serve.exitError()
		}
		return res, fmt.Errorf("%w; last lines of listd's log:\n%s", err, in.logTail())
	}

	// The posts, over one kept-open connection.
	rcpt := digestList + "@" + benchDomain
	posts := digestThread(digestPosts, digestThreads, digestSeed, digestPoster, rcpt, time.Now())
	var size int
	for _, p := range posts {
		size += len(p)
	}
	e.logf("digest: %d posts (%d bytes, %d on average) to %s over one connection", len(posts), size, size/len(posts), rcpt)
	c, err := dialSMTP(ctx, in.smtpAddr)
	if err != nil {
		return fail(fmt.Errorf("connecting to listd on %s: %w", in.smtpAddr, err))
	}
	stop := context.AfterFunc(ctx, func() { c.Close() })
	t = time.Now()
	for i, p := range posts {
		if stage, _, err := sendOne(c, digestPoster, rcpt, p); err != nil {
			stop()
			c.Close()
			return fail(fmt.Errorf("post %d of %d: %s: %w", i+1, len(posts), stage, err))
		}
		res.posts++
	}
	took := time.Since(t)
	stop()
	_ = c.Quit()
	e.logf("digest: %d posts answered 250 in %.2f s (%.0f/s)", res.posts, took.Seconds(), float64(res.posts)/took.Seconds())

	// Nothing may go out per post: the poster reads nothing, everyone else the digest.
	code, body, err := httpGet(ctx, in.base+"/metrics")
	if err != nil || code != 200 {
		return fail(fmt.Errorf("GET /metrics after the posts: HTTP %d %v", code, err))
	}
	q := queueFromMetrics(string(body))
	if q.rows["queued"] != 0 || q.pending != 0 || q.total != 0 {
		return fail(fmt.Errorf("the posts queued mail of their own: queue %s", q))
	}
	sinkBase, _ := sk.Count()
	if sinkBase != 0 {
		return fail(fmt.Errorf("the sink received %d mails before the digest", sinkBase))
	}
	e.logf("digest: queue after the posts: %s (no per-post copies)", q)

	// Watch for the first arrival at the sink from before digest send starts.
	var (
		firstMu sync.Mutex
		first   time.Time
	)
	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	go func() {
		tick := time.NewTicker(digestFirstPoll)
		defer tick.Stop()
		for {
			if n, last := sk.Count(); n > sinkBase {
				firstMu.Lock()
				first = last // the latest arrival, at most one tick after the first
				firstMu.Unlock()
				return
			}
			select {
			case <-watchCtx.Done():
				return
			case <-tick.C:
			}
		}
	}()

	// digest send: compose the issue and queue a row per reader.
	t = time.Now()
	out, err := runCmd(ctx, e.timeout, e.listd, "-config", in.cfgPath, "digest", "send", digestList)
	t0 := time.Now()
	if err != nil {
		return fail(err)
	}
	res.composeSecs = t0.Sub(t).Seconds()
	e.logf("digest: %s in %.2f s; waiting for the copies (at most %s)", strings.TrimSpace(out), res.composeSecs, e.timeout)
	nPosts, readers, err := parseDigestSend(out)
	if err != nil {
		return fail(err)
	}
	res.members = readers
	if nPosts != digestPosts || readers != digestMembers {
		return fail(fmt.Errorf("digest send made an issue of %d posts for %d readers, want %d and %d", nPosts, readers, digestPosts, digestMembers))
	}

	q, doneAt, err := waitDelivered(ctx, e, in.base+"/metrics", serve, sk, sinkBase, t0, int64(readers), "digest send returned")
	stopWatch()
	if err != nil {
		return fail(err)
	}
	res.copies, res.failed, res.deferred = q.sent, q.failed, q.deferred
	res.rssKB = in.peakRSSKB()
	sinkN, sinkLast := sk.Count()
	got := sinkN - sinkBase
	firstMu.Lock()
	if !first.IsZero() {
		res.firstSecs = first.Sub(t0).Seconds()
	}
	firstMu.Unlock()
	if gs, ok := sk.(*goSink); ok && got > 0 {
		res.bytesPer = gs.bytes.Load() / got
		e.logf("digest: the go sink received %d bytes, %d per copy on average", gs.bytes.Load(), res.bytesPer)
	}
	last := sinkLast
	if got >= q.sent && q.sent > 0 {
		e.logf("digest: clock: the sink's first and last arrivals; /metrics showed completion %s after the last",
			doneAt.Sub(sinkLast).Round(time.Millisecond))
	} else {
		e.logf("digest: warning: the sink counted %d copies, listd %d sent; clock: /metrics", got, q.sent)
		last = doneAt
	}
	res.lastSecs = last.Sub(t0).Seconds()
	if res.firstSecs > 0 {
		e.logf("digest: first copy %.2f s after digest send, then %d more in %.2f s (%.0f/s)", res.firstSecs, q.sent-1,
			res.lastSecs-res.firstSecs, float64(q.sent-1)/(res.lastSecs-res.firstSecs))
	}
	if q.sent < int64(readers) {
		return res, fmt.Errorf("only %d of %d digest copies were sent (%d failed)", q.sent, readers, q.failed)
	}
	return res, nil
}

// digestSubjects are the threads' subjects (a parents' council's list).
var digestSubjects = []string{
	"Elternabend am 18. September", "Laternenumzug im November", "Sommerfest: Wer bringt was mit?",
	"Neue Öffnungszeiten ab Oktober", "Mittagessen: vegetarische Gerichte", "Ausflug in den Wildpark",
	"Fundsachen in der Garderobe", "Wahl des Elternbeirats", "Läuse in der Igelgruppe", "Fahrgemeinschaften zur Kita",
	"Schließtage zwischen den Jahren", "Hochbeet im Garten", "Spendenaktion des Fördervereins", "Weihnachtsbasar",
	"Schwimmkurs für die Vorschulkinder", "Streik im Nahverkehr", "Bastelmaterial gesucht", "Kinderflohmarkt im Frühjahr",
	"Übergabe der Portfolios", "Eingewöhnung der Krippenkinder",
}

var digestQualifiers = []string{"", " – Rückfragen", " (Gruppe Füchse)"}

var digestAuthors = []string{"Petra Schäfer", "Jürgen Weiß", "Ayşe Özdemir", "Björn Müller", "Käthe Groß",
	"Lena Bäcker", "Jörg Hölzl", "Sören Krüger"}

// digestThread returns n posts (CRLF line ends) in threads threads, deterministic for
// seed: post i of a thread answers an earlier post of it (In-Reply-To, References,
// "Re: " subject, a short quote), bodies of German prose of about 1 to 3 KB, dates
// spread over the week before now.
func digestThread(n, threads int, seed uint64, from, to string, now time.Time) [][]byte {
	rng := rand.New(rand.NewPCG(seed, seed+1))
	paras := strings.Split(strings.TrimSpace(germanText), "\n\n")
	type post struct {
		thread int
		msgID  string
		refs   []string
		author string
		first  string // the body's first paragraph, for quotes
	}
	var all []post
	// byThread holds each thread's posts as indexes into all; the threads start
	// evenly over the first 7/8 of the posts.
	byThread := make([][]int, threads)
	start := func(t int) int { return t * (n * 7 / 8) / threads }
	out := make([][]byte, 0, n)
	next := 0 // the next thread to start
	for i := 0; i < n; i++ {
		var p post
		var parent *post
		if next < threads && i >= start(next) {
			p.thread = next
			next++
		} else {
			// A reply, mostly to the newer threads.
			lo := max(0, next-15)
			if rng.IntN(4) == 0 {
				lo = 0
			}
			p.thread = lo + rng.IntN(next-lo)
			ps := byThread[p.thread]
			parent = &all[ps[rng.IntN(len(ps))]]
		}
		p.msgID = fmt.Sprintf("bench-digest-%d-%03d@example.net", now.UnixNano(), i)
		p.author = digestAuthors[rng.IntN(len(digestAuthors))]
		subject := digestSubjects[p.thread%len(digestSubjects)] + digestQualifiers[(p.thread/len(digestSubjects))%len(digestQualifiers)]
		var h strings.Builder
		fmt.Fprintf(&h, "From: %s <%s>\r\n", mime.QEncoding.Encode("utf-8", p.author), from)
		fmt.Fprintf(&h, "To: %s\r\n", to)
		if parent != nil {
			subject = "Re: " + subject
			p.refs = append(append([]string(nil), parent.refs...), parent.msgID)
			if len(p.refs) > 10 { // as mail programs trim them: the first and the latest
				p.refs = append(p.refs[:1:1], p.refs[len(p.refs)-9:]...)
			}
			fmt.Fprintf(&h, "In-Reply-To: <%s>\r\n", parent.msgID)
			fmt.Fprintf(&h, "References: <%s>\r\n", strings.Join(p.refs, ">\r\n <"))
		}
		fmt.Fprintf(&h, "Subject: %s\r\n", mime.QEncoding.Encode("utf-8", subject))
		date := now.Add(-time.Duration(n-i) * 7 * 24 * time.Hour / time.Duration(n+1))
		fmt.Fprintf(&h, "Date: %s\r\n", date.Format(time.RFC1123Z))
		fmt.Fprintf(&h, "Message-ID: <%s>\r\n", p.msgID)
		h.WriteString("MIME-Version: 1.0\r\n")
		h.WriteString("Content-Type: text/plain; charset=utf-8\r\n")
		h.WriteString("Content-Transfer-Encoding: 8bit\r\n")
		h.WriteString("\r\n")

		var b strings.Builder
		if parent != nil {
			fmt.Fprintf(&b, "Hallo %s,\n\n", strings.Fields(parent.author)[0])
			fmt.Fprintf(&b, "%s schrieb:\n", parent.author)
			quote := strings.Split(parent.first, "\n")
			for _, line := range quote[:min(3, len(quote))] {
				b.WriteString("> " + line + "\n")
			}
			b.WriteString("\n")
		} else {
			b.WriteString("Hallo zusammen,\n\n")
		}
		// Whole lines of the text from the start of a random paragraph, until the
		// header and body make about 1 to 3 KB.
		want := max(h.Len()+b.Len()+300, 1000+rng.IntN(1900)) - h.Len()
		k := rng.IntN(len(paras))
		p.first = paras[k]
		for j := 0; b.Len() < want; j++ {
			para := paras[(k+j)%len(paras)]
			for _, line := range strings.Split(para, "\n") {
				if b.Len() >= want {
					break
				}
				b.WriteString(line + "\n")
			}
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "Viele Grüße\n%s\n", p.author)
		body := strings.ReplaceAll(b.String(), "\n", "\r\n")
		out = append(out, []byte(h.String()+body))
		byThread[p.thread] = append(byThread[p.thread], len(all))
		all = append(all, p)
	}
	return out
}
