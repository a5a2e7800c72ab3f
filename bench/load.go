package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"mime"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-smtp"
)

const (
	loadLists   = 5
	loadMembers = 1000
)

// runLoad is the load test: e.loadSenders SMTP senders post at once for e.duration
// to loadLists lists of loadMembers members each, every sender a member posting a
// 4 KiB post every e.loadInterval over its own connection. The relay is an in-process
// sink that notes when the last copy of each post arrived. It reports errors (any
// reply but 250, any broken connection: the run fails unless there are none), listd's
// RSS at the start, middle and end and its peak, the longest queue seen on /metrics,
// and p50/p99/max from a post's 250 to its last copy at the sink.
func runLoad(ctx context.Context, e *env) ([]figure, error) {
	in, err := newInstance(e, "load")
	if err != nil {
		return nil, err
	}
	defer in.close()
	membersPath := filepath.Join(in.dir, "members.txt")
	if err := writeMembers(membersPath, loadMembers); err != nil {
		return nil, err
	}
	for l := range loadLists {
		name := fmt.Sprintf("load%d", l+1)
		if err := in.listd(ctx, "list", "create", name, "-title", "Load"); err != nil {
			return nil, err
		}
		if err := in.listd(ctx, "member", "import", name, membersPath); err != nil {
			return nil, err
		}
	}
	sk, err := startGoSink(in.relay, filepath.Join(in.dir, "sink.log"))
	if err != nil {
		return nil, err
	}
	in.sink = sk
	tr := &postTracker{want: loadMembers, sent: map[string]time.Time{}, done: map[string]time.Duration{}, copies: map[string]int{}}
	sk.seen = tr.copyArrived
	if err := in.startServe(ctx); err != nil {
		return nil, err
	}

	rss := func() int64 { kb, _ := procStatusKB(in.serve.pid(), "VmRSS"); return kb }
	startKB := rss()
	e.logf("load: %d senders for %s, a post each every %s, to %d lists of %d members; listd at %.1f MiB",
		e.loadSenders, e.duration, e.loadInterval, loadLists, loadMembers, float64(startKB)/1024)

	var (
		posts, errs atomic.Int64
		seq         atomic.Int64 // the posts' numbers
		mu          sync.Mutex
		firstErr    error
		wg          sync.WaitGroup
	)
	runCtx, cancel := context.WithTimeout(ctx, e.duration)
	defer cancel()
	t0 := time.Now()
	for s := range e.loadSenders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fail := func(err error) {
				errs.Add(1)
				mu.Lock()
				if firstErr == nil {
					firstErr = fmt.Errorf("sender %d: %w", s+1, err)
				}
				mu.Unlock()
			}
			c, err := dialSMTP(ctx, in.smtpAddr)
			if err != nil {
				fail(err)
				return
			}
			defer c.Close()
			from := fmt.Sprintf("member%05d@example.net", s+1)
			// Senders start spread over one interval, then keep their pace.
			next := t0.Add(time.Duration(s) * e.loadInterval / time.Duration(e.loadSenders))
			for n := 0; ; n++ {
				select {
				case <-runCtx.Done():
					_ = c.Quit()
					return
				case <-time.After(time.Until(next)):
				}
				next = next.Add(e.loadInterval)
				list := fmt.Sprintf("load%d@%s", (s+n)%loadLists+1, benchDomain)
				id := fmt.Sprintf("LT%d", seq.Add(1))
				msg := bytes.Replace(benchPost(fanoutSize, from, list, time.Now()), []byte("\r\nSubject: "), []byte("\r\nSubject: "+id+" "), 1)
				tr.posted(id) // before DATA: the sink may see a copy before the 250 is read
				stage, _, err := sendOne(c, from, list, msg)
				if err != nil {
					tr.forget(id)
					fail(fmt.Errorf("%s: %w", stage, err))
					var se *smtp.SMTPError
					if !errors.As(err, &se) || c.Reset() != nil {
						return
					}
					continue
				}
				tr.accepted(id, time.Now())
				posts.Add(1)
			}
		}()
	}

	// Sample RSS and the queue every second while the senders run.
	var (
		samples  []int64
		maxQueue int64
	)
	tick := time.NewTicker(time.Second)
	sample := func() {
		samples = append(samples, rss())
		if code, body, err := httpGet(ctx, in.base+"/metrics"); err == nil && code == 200 {
			maxQueue = max(maxQueue, queueFromMetrics(string(body)).pending)
		}
	}
	for runCtx.Err() == nil {
		select {
		case <-runCtx.Done():
		case <-tick.C:
			sample()
		}
	}
	tick.Stop()
	wg.Wait()
	sendSecs := time.Since(t0).Seconds()
	e.logf("load: %d posts in %.0f s (%d errors); waiting for the copies", posts.Load(), sendSecs, errs.Load())
	// Then until every copy is out.
	q, _, werr := waitDelivered(ctx, e, in.base+"/metrics", in.serve, sk, 0, time.Now(), posts.Load()*loadMembers, "the last post was accepted")
	sample()
	peak := in.peakRSSKB()
	lat := tr.latencies()
	figs := []figure{
		fig("senders", "%d", e.loadSenders),
		fig("lists", "%d lists of %d members", loadLists, loadMembers),
		fig("seconds", "%.0f", sendSecs),
		fig("posts", "%d", posts.Load()),
		fig("copies", "%d", q.sent),
		fig("errors", "%d", errs.Load()),
		fig("rss_mb_start_mid_end", "%.1f %.1f %.1f", float64(startKB)/1024, float64(samples[len(samples)/2])/1024, float64(samples[len(samples)-1])/1024),
		fig("peak_rss_mb", "%s", rssFigure(peak)),
		fig("max_queue", "%d", maxQueue),
		fig("seconds_250_to_last_p50_p99_max", "%s", lat),
	}
	if werr != nil {
		return figs, fmt.Errorf("%w; last lines of listd's log:\n%s", werr, in.logTail())
	}
	if errs.Load() > 0 {
		return figs, fmt.Errorf("%d errors, the first: %v", errs.Load(), firstErr)
	}
	if q.failed > 0 {
		return figs, fmt.Errorf("%d copies failed", q.failed)
	}
	return figs, nil
}

var postTag = regexp.MustCompile(`\bLT[0-9]+\b`)

// postTracker notes each post's 250 and the arrival of its copies at the sink.
type postTracker struct {
	want   int
	mu     sync.Mutex
	sent   map[string]time.Time     // Message-ID: the 250
	last   map[string]time.Time     // the last copy so far, for copies ahead of the 250
	copies map[string]int           // copies seen
	done   map[string]time.Duration // from the 250 to the last copy
}

func (t *postTracker) posted(id string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.copies[id] = 0
}

func (t *postTracker) forget(id string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.copies, id)
}

func (t *postTracker) accepted(id string, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sent[id] = at
	if t.copies[id] >= t.want {
		t.done[id] = t.last[id].Sub(at)
	}
}

func (t *postTracker) copyArrived(id string, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.copies[id]; !ok {
		return
	}
	t.copies[id]++
	if t.copies[id] < t.want {
		return
	}
	if sent, ok := t.sent[id]; ok {
		t.done[id] = at.Sub(sent)
		return
	}
	if t.last == nil {
		t.last = map[string]time.Time{}
	}
	t.last[id] = at
}

// latencies is "p50 p99 max" in seconds over the posts all of whose copies arrived,
// with how many did not.
func (t *postTracker) latencies() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var d []time.Duration
	for _, v := range t.done {
		d = append(d, v)
	}
	if len(d) == 0 {
		return "n/a"
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	q := func(p float64) float64 { return d[min(len(d)-1, int(p*float64(len(d))))].Seconds() }
	s := fmt.Sprintf("%.2f %.2f %.2f", q(0.50), q(0.99), d[len(d)-1].Seconds())
	if missing := len(t.sent) - len(d); missing > 0 {
		s += fmt.Sprintf(" (%d posts incomplete)", missing)
	}
	return s
}

// readPostTag reads a message's header from r and returns the post's number that
// the load test put into its subject (the copies carry a Message-ID of the list's own),
// leaving the body unread.
func readPostTag(r *bufio.Reader) string {
	var subject strings.Builder
	in := false
	for {
		line, err := r.ReadString('\n')
		line = strings.TrimRight(line, "\r\n")
		if line == "" || err != nil {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			if in {
				subject.WriteString(line)
			}
			continue
		}
		k, v, _ := strings.Cut(line, ":")
		if in = strings.EqualFold(k, "Subject"); in {
			subject.WriteString(v)
		}
	}
	dec, err := new(mime.WordDecoder).DecodeHeader(subject.String())
	if err != nil {
		dec = subject.String()
	}
	return postTag.FindString(dec)
}
