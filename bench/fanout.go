package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-smtp"
)

const (
	fanoutList   = "bench"
	fanoutPoster = "poster@example.net"
	fanoutSize   = 4096 // bytes of the post as sent
)

// runFanout measures one post to a list of e.members members, e.repeat times (each
// time with a fresh temp dir, database, listd and sink), and reports the run with the
// median seconds_250_to_last:
//
//   - members: the list's size (the poster is a member too and gets a copy, so
//     listd queues members+1 copies: see copies).
//   - copies: the copies listd sent and the sink received.
//   - sink: which SMTP sink took them.
//   - seconds_250_to_last: from the 250 reply to the post's DATA (the post is
//     archived and every copy queued, durably) to the sink's receipt of the last copy.
//   - deliveries_per_second: copies / seconds_250_to_last.
//   - peak_rss_mb: listd serve's peak resident set (VmHWM), MiB, read at the end
//     (the largest of all runs).
func runFanout(ctx context.Context, e *env) ([]figure, error) {
	runs, figs, err := repeated(ctx, e, "fanout", fanoutOnce)
	if err != nil {
		return figs, err
	}
	sort.Slice(runs, func(i, j int) bool { return runs[i].secs < runs[j].secs })
	med := runs[(len(runs)-1)/2]
	if len(runs) > 1 {
		var all []string
		for _, r := range runs {
			all = append(all, fmt.Sprintf("%.2f", r.secs))
			med.rssKB = max(med.rssKB, r.rssKB)
		}
		e.logf("fanout: seconds_250_to_last of the %d runs: %s; reporting the median", len(runs), strings.Join(all, " "))
	}
	figs = med.figures()
	if len(runs) > 1 {
		figs = append(figs, fig("runs", "%d", len(runs)))
	}
	return figs, nil
}

// fanoutResult is one run's outcome.
type fanoutResult struct {
	members  int
	sink     string
	copies   int64 // sent
	failed   int64
	deferred int64
	secs     float64
	rssKB    int64 // -1: not known
}

func (r *fanoutResult) figures() []figure {
	rate := "n/a"
	if r.secs > 0 {
		rate = fmt.Sprintf("%.0f", float64(r.copies)/r.secs)
	}
	figs := []figure{
		fig("members", "%d", r.members),
		fig("copies", "%d", r.copies),
		fig("sink", "%s", r.sink),
		fig("seconds_250_to_last", "%.2f", r.secs),
		fig("deliveries_per_second", "%s", rate),
		fig("peak_rss_mb", "%s", rssFigure(r.rssKB)),
	}
	if r.failed > 0 {
		figs = append(figs, fig("failed", "%d", r.failed))
	}
	if r.deferred > 0 {
		figs = append(figs, fig("deferred_attempts", "%d", r.deferred))
	}
	return figs
}

// fanoutOnce is one run of the fanout benchmark.
func fanoutOnce(ctx context.Context, e *env) (res *fanoutResult, err error) {
	in, err := newInstance(e, "fanout")
	if err != nil {
		return nil, err
	}
	defer in.close()

	// The list and its members.
	e.logf("fanout: creating list %s with %d members", fanoutList, e.members)
	if err := in.listd(ctx, "list", "create", fanoutList, "-title", "Bench"); err != nil {
		return nil, err
	}
	membersPath := filepath.Join(in.dir, "members.txt")
	if err := writeMembers(membersPath, e.members); err != nil {
		return nil, err
	}
	t := time.Now()
	if err := in.listd(ctx, "member", "import", fanoutList, membersPath); err != nil {
		return nil, err
	}
	e.logf("fanout: imported %d members in %s", e.members, time.Since(t).Round(time.Millisecond))
	if err := in.listd(ctx, "member", "add", fanoutList, fanoutPoster); err != nil {
		return nil, err
	}

	// The sink, then listd serve.
	if err := in.startWithSink(ctx); err != nil {
		return nil, err
	}
	serve, sk := in.serve, in.sink

	// The post. t0 is the 250 reply to DATA.
	sinkBase, _ := sk.Count()
	msg := benchPost(fanoutSize, fanoutPoster, fanoutList+"@"+benchDomain, time.Now())
	t0, err := sendPost(ctx, in.smtpAddr, fanoutPoster, fanoutList+"@"+benchDomain, msg)
	if err != nil {
		if serve.exited() {
			return nil, serve.exitError()
		}
		return nil, fmt.Errorf("sending the post to listd on %s: %w; last lines of listd's log:\n%s", in.smtpAddr, err, in.logTail())
	}
	e.logf("fanout: post of %d bytes accepted; waiting for the copies (at most %s)", len(msg), e.timeout)

	// Wait until the queue has no pending rows left, watching listd and the sink.
	q, doneAt, err := waitDelivered(ctx, e, in.base+"/metrics", serve, sk, sinkBase, t0, int64(e.members), "the post was accepted")
	if ctx.Err() != nil {
		return nil, errors.New("interrupted")
	}
	if err != nil {
		return nil, fmt.Errorf("%w; last lines of listd's log:\n%s", err, in.logTail())
	}
	sinkN, sinkLast := sk.Count()
	got := sinkN - sinkBase

	// Peak RSS, before SIGTERM.
	res = &fanoutResult{members: e.members, sink: sk.Name(), copies: q.sent, failed: q.failed, deferred: q.deferred, rssKB: in.peakRSSKB()}

	if gs, ok := sk.(*goSink); ok && got > 0 {
		e.logf("fanout: the go sink received %d bytes, %d per copy on average", gs.bytes.Load(), gs.bytes.Load()/got)
	}
	last := sinkLast
	if got >= q.sent && q.sent > 0 {
		e.logf("fanout: clock: the sink's last arrival; /metrics showed completion %s later",
			doneAt.Sub(sinkLast).Round(time.Millisecond))
	} else {
		// The sink saw fewer copies than listd counts as sent: don't trust it.
		e.logf("fanout: warning: the sink counted %d copies, listd %d sent; clock: /metrics", got, q.sent)
		last = doneAt
	}
	res.secs = last.Sub(t0).Seconds()
	if q.sent < int64(e.members) {
		return res, fmt.Errorf("only %d of %d members' copies were sent (%d failed)", q.sent, e.members, q.failed)
	}
	return res, nil
}

// writeMembers writes member00001@example.net ... one a line.
func writeMembers(path string, n int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	for i := 1; i <= n; i++ {
		fmt.Fprintf(w, "member%05d@example.net\n", i)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// waitHealthy polls url until it answers 200, p exits, or timeout.
func waitHealthy(ctx context.Context, url string, p *proc, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last string
	for {
		if p.exited() {
			return p.exitError()
		}
		code, body, err := httpGet(ctx, url)
		switch {
		case err == nil && code == 200:
			return nil
		case err != nil:
			last = err.Error()
		default:
			last = fmt.Sprintf("HTTP %d %q", code, tail(string(body), 3))
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("listd serve not healthy after %s: GET %s: %s; last lines of its log:\n%s",
				timeout, url, last, tailFile(p.logPath, 20))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// sendPost submits msg over SMTP and returns when the 250 reply to its DATA arrived.
func sendPost(ctx context.Context, addr, from, to string, msg []byte) (time.Time, error) {
	d := net.Dialer{Timeout: 10 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return time.Time{}, err
	}
	conn.SetDeadline(time.Now().Add(2 * time.Minute))
	c := smtp.NewClient(conn)
	defer c.Close()
	c.CommandTimeout = time.Minute
	c.SubmissionTimeout = 2 * time.Minute
	if err := c.Hello("bench.localhost"); err != nil {
		return time.Time{}, fmt.Errorf("EHLO: %w", err)
	}
	if err := c.Mail(from, nil); err != nil {
		return time.Time{}, fmt.Errorf("MAIL FROM:<%s>: %w", from, err)
	}
	if err := c.Rcpt(to, nil); err != nil {
		return time.Time{}, fmt.Errorf("RCPT TO:<%s>: %w", to, err)
	}
	w, err := c.Data()
	if err != nil {
		return time.Time{}, fmt.Errorf("DATA: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return time.Time{}, fmt.Errorf("writing the message: %w", err)
	}
	if err := w.Close(); err != nil {
		return time.Time{}, fmt.Errorf("end of DATA: %w", err)
	}
	t0 := time.Now()
	_ = c.Quit()
	return t0, nil
}

// queueState is what /metrics says about the outbound queue.
type queueState struct {
	rows     map[string]int64 // listd_queue_rows by state
	total    int64
	sent     int64
	failed   int64
	pending  int64 // rows neither sent nor failed
	deferred int64 // listd_deliveries_total{result="deferred"}
}

func (q queueState) String() string {
	states := make([]string, 0, len(q.rows))
	for s := range q.rows {
		states = append(states, s)
	}
	sort.Strings(states)
	var b strings.Builder
	for i, s := range states {
		if i > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "%s=%d", s, q.rows[s])
	}
	if b.Len() == 0 {
		b.WriteString("(no listd_queue_rows series)")
	}
	if q.deferred > 0 {
		fmt.Fprintf(&b, "; %d deferred attempts", q.deferred)
	}
	return b.String()
}

// queueFromMetrics reads the queue figures out of a Prometheus text exposition.
func queueFromMetrics(text string) queueState {
	q := queueState{rows: map[string]int64{}}
	for _, line := range strings.Split(text, "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		series, value, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		if i := strings.IndexByte(value, ' '); i >= 0 { // a timestamp may follow
			value = value[:i]
		}
		v, err := strconv.ParseFloat(value, 64)
		if err != nil {
			continue
		}
		if st, ok := label(series, "listd_queue_rows", "state"); ok {
			q.rows[st] = int64(v)
			q.total += int64(v)
		} else if r, ok := label(series, "listd_deliveries_total", "result"); ok && r == "deferred" {
			q.deferred = int64(v)
		}
	}
	q.sent, q.failed = q.rows["sent"], q.rows["failed"]
	q.pending = q.total - q.sent - q.failed
	return q
}

// label returns the value of label key in series `name{key="v",...}`.
func label(series, name, key string) (string, bool) {
	rest, ok := strings.CutPrefix(series, name+"{")
	if !ok || !strings.HasSuffix(rest, "}") {
		return "", false
	}
	for _, kv := range strings.Split(strings.TrimSuffix(rest, "}"), ",") {
		k, v, ok := strings.Cut(kv, "=")
		if ok && strings.TrimSpace(k) == key {
			if u, err := strconv.Unquote(v); err == nil {
				return u, true
			}
		}
	}
	return "", false
}

// waitDelivered polls /metrics until every queued mail is sent or failed (and at
// least want of them exist), and returns the final state and when it was seen.
// It polls every e.poll while the copies flow, and every 10 ms once the sink has seen
// as many copies as the queue holds (listd marks the last rows sent a little after
// the sink answered them), so that polling does not compete with the deliveries.
// It fails when listd or the sink dies or e.timeout passes after t0 (the moment
// since names it for the message).
func waitDelivered(ctx context.Context, e *env, url string, serve *proc, sk sink, sinkBase int64, t0 time.Time, want int64, since string) (queueState, time.Time, error) {
	const check = 5 * time.Millisecond // liveness and sink checks; they cost listd nothing
	const tailPoll = 10 * time.Millisecond
	deadline := t0.Add(e.timeout)
	tick := time.NewTicker(check)
	defer tick.Stop()
	var q queueState
	var lastErr error
	var fetched time.Time
	for {
		if serve.exited() {
			return q, time.Time{}, serve.exitError()
		}
		if err := sk.Err(); err != nil {
			return q, time.Time{}, fmt.Errorf("the sink died: %w", err)
		}
		interval := e.poll
		if n, _ := sk.Count(); q.total > 0 && n-sinkBase >= q.total {
			interval = min(interval, tailPoll)
		}
		now := time.Now()
		if now.Sub(fetched) >= interval {
			fetched = now
			code, body, err := httpGet(ctx, url)
			now = time.Now()
			switch {
			case err != nil:
				lastErr = err
			case code != 200:
				lastErr = fmt.Errorf("GET %s: HTTP %d", url, code)
			default:
				lastErr = nil
				q = queueFromMetrics(string(body))
				if q.total >= want && q.pending == 0 {
					return q, now, nil
				}
			}
		}
		if now.After(deadline) {
			n, _ := sk.Count()
			msg := fmt.Sprintf("timed out %s after %s: queue %s; the sink received %d mails", e.timeout, since, q, n-sinkBase)
			if lastErr != nil {
				msg += "; last /metrics error: " + lastErr.Error()
			}
			return q, time.Time{}, errors.New(msg)
		}
		select {
		case <-ctx.Done():
			return q, time.Time{}, ctx.Err()
		case <-tick.C:
		}
	}
}
