package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-smtp"
)

const (
	subscribeList     = "bench"
	subscribeCommands = 10000 // addresses sub00001 ... sub10000@example.net
)

// runSubscribe measures joining by mail: subscribeCommands distinct addresses each
// send "subscribe" to bench-request@, over e.conns (8) kept-open SMTP connections at
// once. For each, listd stores a pending request and queues the
// confirmation mail in one fully synced transaction before it answers 250, then
// sends the confirmation to the sink. It runs e.repeat times (each time with a fresh
// temp dir, database, listd and sink) and reports the run with the median seconds:
//
//   - commands: subscribe mails sent (one command each), all answered 250.
//   - connections: concurrent SMTP connections.
//   - sink: which SMTP sink took the confirmations.
//   - seconds: from the first MAIL FROM to the last 250 reply to DATA.
//   - commands_per_second: commands / seconds.
//   - confirmations_sent: confirmation mails listd sent (and the sink received).
//   - seconds_to_last_confirmation: from the first MAIL FROM to the sink's receipt of
//     the last confirmation.
//   - peak_rss_mb: listd serve's peak resident set (VmHWM), MiB, read at the end
//     (the largest of all runs).
func runSubscribe(ctx context.Context, e *env) ([]figure, error) {
	runs, figs, err := repeated(ctx, e, "subscribe", subscribeOnce)
	if err != nil {
		return figs, err
	}
	sort.Slice(runs, func(i, j int) bool { return runs[i].secs < runs[j].secs })
	med := runs[(len(runs)-1)/2]
	if len(runs) > 1 {
		var all, conf []string
		for _, r := range runs {
			all = append(all, fmt.Sprintf("%.2f", r.secs))
			conf = append(conf, fmt.Sprintf("%.2f", r.confirmSecs))
			med.rssKB = max(med.rssKB, r.rssKB)
		}
		e.logf("subscribe: seconds of the %d runs: %s (to the last confirmation: %s); reporting the median",
			len(runs), strings.Join(all, " "), strings.Join(conf, " "))
	}
	figs = med.figures()
	if len(runs) > 1 {
		figs = append(figs, fig("runs", "%d", len(runs)))
	}
	return figs, nil
}

// subscribeResult is one run's outcome.
type subscribeResult struct {
	commands    int // answered 250
	failures    int // MAIL, RCPT or DATA not answered 250
	connections int // SMTP connections
	sink        string
	secs        float64 // first MAIL to the last 250
	confirmed   int64   // confirmations sent (/metrics); -1: not waited for
	confirmSecs float64 // first MAIL to the sink's last arrival
	rssKB       int64   // -1: not known
}

func (r *subscribeResult) figures() []figure {
	rate := "n/a"
	if r.secs > 0 {
		rate = fmt.Sprintf("%.0f", float64(r.commands)/r.secs)
	}
	figs := []figure{
		fig("commands", "%d", r.commands),
		fig("connections", "%d", r.connections),
		fig("sink", "%s", r.sink),
		fig("seconds", "%.2f", r.secs),
		fig("commands_per_second", "%s", rate),
	}
	if r.confirmed >= 0 {
		figs = append(figs, fig("confirmations_sent", "%d", r.confirmed))
		if r.confirmSecs > 0 {
			figs = append(figs, fig("seconds_to_last_confirmation", "%.2f", r.confirmSecs))
		}
	}
	figs = append(figs, fig("peak_rss_mb", "%s", rssFigure(r.rssKB)))
	if r.failures > 0 {
		figs = append(figs, fig("failures", "%d", r.failures))
	}
	return figs
}

// subscribeOnce is one run of the subscribe benchmark.
func subscribeOnce(ctx context.Context, e *env) (*subscribeResult, error) {
	in, err := newInstance(e, "subscribe")
	if err != nil {
		return nil, err
	}
	defer in.close()

	e.logf("subscribe: creating list %s", subscribeList)
	if err := in.listd(ctx, "list", "create", subscribeList, "-title", "Bench"); err != nil {
		return nil, err
	}
	if err := in.startWithSink(ctx); err != nil {
		return nil, err
	}
	serve, sk := in.serve, in.sink

	sinkBase, _ := sk.Count()
	rcpt := subscribeList + "-request@" + benchDomain
	e.logf("subscribe: %d subscribe mails to %s over %d connections", subscribeCommands, rcpt, e.conns)
	st, err := sendSubscribes(ctx, in.smtpAddr, rcpt, subscribeCommands, e.conns)
	res := &subscribeResult{commands: st.ok, failures: st.failures, connections: e.conns,
		sink: sk.Name(), confirmed: -1, rssKB: -1}
	if !st.last.IsZero() {
		res.secs = st.last.Sub(st.first).Seconds()
	}
	if err != nil {
		res.rssKB = in.peakRSSKB()
		if ctx.Err() != nil {
			return res, errors.New("interrupted")
		}
		if serve.exited() {
			return res, serve.exitError()
		}
		return res, fmt.Errorf("%w; last lines of listd's log:\n%s", err, in.logTail())
	}
	e.logf("subscribe: %d answered 250 in %.2f s; time from the end of the data to the 250 reply: %s",
		st.ok, res.secs, st.latencies())

	// The confirmations: wait until listd has sent one for every accepted command.
	want := int64(st.ok)
	e.logf("subscribe: waiting for %d confirmations (at most %s)", want, e.timeout)
	q, doneAt, werr := waitDelivered(ctx, e, in.base+"/metrics", serve, sk, sinkBase, st.last, want, "the last subscribe was accepted")
	if ctx.Err() != nil {
		return res, errors.New("interrupted")
	}
	res.rssKB = in.peakRSSKB()
	if werr != nil {
		return res, fmt.Errorf("%w; last lines of listd's log:\n%s", werr, in.logTail())
	}
	res.confirmed = q.sent
	sinkN, sinkLast := sk.Count()
	got := sinkN - sinkBase
	last := sinkLast
	if got >= q.sent && q.sent > 0 {
		e.logf("subscribe: clock: the sink's last arrival (%d received); /metrics showed completion %s later",
			got, doneAt.Sub(sinkLast).Round(time.Millisecond))
	} else {
		e.logf("subscribe: warning: the sink counted %d confirmations, listd %d sent; clock: /metrics", got, q.sent)
		last = doneAt
	}
	res.confirmSecs = last.Sub(st.first).Seconds()

	if st.failures > 0 {
		return res, fmt.Errorf("%d of %d subscribe mails were not answered 250: %s", st.failures, subscribeCommands, st.failureSummary())
	}
	if q.sent < want {
		return res, fmt.Errorf("only %d of %d confirmations were sent (%d failed)", q.sent, want, q.failed)
	}
	return res, nil
}

// subscribeMail is the subscribe mail of address number i (sub00001@example.net is 1),
// with CRLF line ends.
func subscribeMail(i int, to string, now time.Time) (from string, msg []byte) {
	from = fmt.Sprintf("sub%05d@example.net", i)
	var b strings.Builder
	fmt.Fprintf(&b, "From: %s\r\n", from)
	fmt.Fprintf(&b, "To: %s\r\n", to)
	b.WriteString("Subject: subscribe\r\n")
	fmt.Fprintf(&b, "Date: %s\r\n", now.Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Message-ID: <bench-sub%05d-%d@example.net>\r\n", i, now.UnixNano())
	b.WriteString("Content-Type: text/plain; charset=us-ascii\r\n")
	b.WriteString("\r\n")
	b.WriteString("subscribe\r\n")
	return from, []byte(b.String())
}

// subscribeStats is what the clients saw.
type subscribeStats struct {
	first, last time.Time // the first MAIL FROM was written; the last 250 to DATA arrived
	ok          int
	failures    int
	byReply     map[string]int // failures by the reply's first line (code and text), at most a few kinds
	examples    []string       // the first few failures in full
	dataWait    []time.Duration
}

func (s *subscribeStats) fail(i int, stage string, err error) {
	s.failures++
	key := err.Error()
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		key = fmt.Sprintf("%d %s", se.Code, se.Message)
	}
	if len(key) > 120 {
		key = key[:120]
	}
	key = stage + ": " + key
	if _, ok := s.byReply[key]; ok || len(s.byReply) < 10 {
		s.byReply[key]++
	}
	if len(s.examples) < 3 {
		s.examples = append(s.examples, fmt.Sprintf("sub%05d: %s: %v", i, stage, err))
	}
}

func (s *subscribeStats) failureSummary() string {
	keys := make([]string, 0, len(s.byReply))
	for k := range s.byReply {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return s.byReply[keys[i]] > s.byReply[keys[j]] })
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%d× %q", s.byReply[k], k))
	}
	return strings.Join(parts, ", ") + "; first: " + strings.Join(s.examples, "; ")
}

// latencies summarizes the waits for the 250 to DATA (listd's commit and queueing).
func (s *subscribeStats) latencies() string {
	if len(s.dataWait) == 0 {
		return "n/a"
	}
	d := append([]time.Duration(nil), s.dataWait...)
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	var sum time.Duration
	for _, x := range d {
		sum += x
	}
	r := func(x time.Duration) time.Duration { return x.Round(10 * time.Microsecond) }
	q := func(p float64) time.Duration { return r(d[int(p*float64(len(d)-1))]) }
	return fmt.Sprintf("mean %s, median %s, p90 %s, p99 %s, max %s", r(sum/time.Duration(len(d))), q(0.5), q(0.9), q(0.99), r(d[len(d)-1]))
}

// sendSubscribes opens conns SMTP connections to addr (EHLO once each), then sends
// the subscribe mails of addresses 1..n to rcpt over them, each connection taking the
// next address when its last one is answered, and reusing the connection: MAIL, RCPT,
// DATA, and after a refusal RSET. A refusal is counted and the next address sent; a
// broken connection ends the run with an error.
func sendSubscribes(ctx context.Context, addr, rcpt string, n, conns int) (*subscribeStats, error) {
	st := &subscribeStats{byReply: map[string]int{}}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	clients := make([]*smtp.Client, 0, conns)
	defer func() {
		for _, c := range clients {
			c.Close()
		}
	}()
	for i := 0; i < conns; i++ {
		c, err := dialSMTP(ctx, addr)
		if err != nil {
			return st, fmt.Errorf("connection %d of %d to listd on %s: %w", i+1, conns, addr, err)
		}
		clients = append(clients, c)
	}
	// An interrupt closes the connections under the clients.
	stopped := make(chan struct{})
	defer close(stopped)
	go func() {
		select {
		case <-ctx.Done():
			for _, c := range clients {
				c.Close()
			}
		case <-stopped:
		}
	}()

	var (
		next     atomic.Int64 // the last address number handed out
		mu       sync.Mutex   // guards st and connErr
		connErr  error
		wg       sync.WaitGroup
		start    = make(chan struct{})
		lastDone = make([]time.Time, conns)
	)
	for ci, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			var waits []time.Duration
			defer func() {
				mu.Lock()
				st.dataWait = append(st.dataWait, waits...)
				mu.Unlock()
			}()
			for ctx.Err() == nil {
				i := int(next.Add(1))
				if i > n {
					return
				}
				from, msg := subscribeMail(i, rcpt, time.Now())
				stage, wait, err := sendOne(c, from, rcpt, msg)
				if err == nil {
					lastDone[ci] = time.Now()
					waits = append(waits, wait)
					mu.Lock()
					st.ok++
					mu.Unlock()
					continue
				}
				mu.Lock()
				st.fail(i, stage, err)
				mu.Unlock()
				var se *smtp.SMTPError
				if errors.As(err, &se) {
					// A refusal: start over on the same connection.
					if err = c.Reset(); err == nil {
						continue
					}
					stage = "RSET after a refusal"
				}
				mu.Lock()
				if connErr == nil {
					connErr = fmt.Errorf("connection %d: sub%05d: %s: %w", ci+1, i, stage, err)
				}
				mu.Unlock()
				cancel()
				return
			}
		}()
	}
	st.first = time.Now()
	close(start)
	wg.Wait()
	for _, t := range lastDone {
		if t.After(st.last) {
			st.last = t
		}
	}
	for _, c := range clients {
		_ = c.Quit()
	}
	if connErr != nil {
		return st, connErr
	}
	return st, ctx.Err()
}

// dialSMTP connects to addr and says EHLO.
func dialSMTP(ctx context.Context, addr string) (*smtp.Client, error) {
	d := net.Dialer{Timeout: 10 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	c := smtp.NewClient(conn)
	c.CommandTimeout = time.Minute
	c.SubmissionTimeout = 2 * time.Minute
	if err := c.Hello("bench.localhost"); err != nil {
		c.Close()
		return nil, fmt.Errorf("EHLO: %w", err)
	}
	return c, nil
}

// sendOne sends one mail transaction on c. On error it says at which stage; wait is
// the time from the end of the data to the 250 reply.
func sendOne(c *smtp.Client, from, to string, msg []byte) (stage string, wait time.Duration, err error) {
	if err := c.Mail(from, nil); err != nil {
		return "MAIL FROM", 0, err
	}
	if err := c.Rcpt(to, nil); err != nil {
		return "RCPT TO", 0, err
	}
	w, err := c.Data()
	if err != nil {
		return "DATA", 0, err
	}
	if _, err := w.Write(msg); err != nil {
		return "DATA (writing)", 0, err
	}
	t := time.Now()
	if err := w.Close(); err != nil {
		return "end of DATA", 0, err
	}
	return "", time.Since(t), nil
}
