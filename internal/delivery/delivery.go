// Package delivery owns the outbound queue's workers: it claims due copies from the
// store, hands them to the relay over SMTP (STARTTLS or implicit TLS and AUTH as
// configured, connections kept open and reused, PIPELINING when offered), and
// records each outcome with retry and backoff.
package delivery

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"listd/internal/store"
)

// Queue is the store's part that delivery uses (implemented by *store.DB).
type Queue interface {
	ResetInFlight(ctx context.Context, now time.Time) (int, error)
	ClaimDue(ctx context.Context, now time.Time, limit int) ([]*store.Delivery, error)
	Finish(ctx context.Context, now time.Time, outcomes []store.Outcome) error
	NextDue(ctx context.Context) (time.Time, bool, error)
	RetireDeliveries(ctx context.Context, cutoff time.Time) (int, error)
}

// Copy is one rendered message for one delivery row.
type Copy struct {
	From string // envelope sender (VERP return path); "" means the null sender <>
	// Message is the RFC 5322 message, CRLF line endings, not dot-stuffed. WriteTo may
	// be called more than once (retries) and, for a Shared copy, from several workers
	// at once, so it must not consume its source. If it also has a Size() int64
	// method, the size is declared to the relay (RFC 1870).
	Message io.WriterTo
	// Shared means the copy is byte-identical for every row with the same MessageID, MailID and
	// From, so such rows may go to the relay as one transaction with several RCPTs.
	Shared bool
}

// Renderer builds the copy for a row (implemented elsewhere; it caches per message).
type Renderer interface {
	Render(ctx context.Context, d *store.Delivery) (Copy, error)
}

// ErrPermanent, wrapped in a Render error, marks the row failed; other errors retry.
var ErrPermanent = errors.New("permanent")

// Config tunes a Deliverer. Zero values get the defaults noted.
type Config struct {
	Relay       string         // "host:port"
	TLS         TLSMode        // how the session is encrypted (default StartTLS)
	RootCAs     *x509.CertPool // the CAs for the relay's certificate; nil: the system's
	Username    string         // for SMTP AUTH; "" none
	Password    Secret
	HeloName    string        // our name for EHLO (default: the host name)
	Connections int           // parallel connections to the relay (default 8)
	MaxAge      time.Duration // give up after this long since the row was created (default 5 days)
	RetryBase   time.Duration // the first retry's wait, doubling after (default 1 minute)
	BatchSize   int           // rows claimed at a time (default 256)
	MaxRcpts    int           // recipients per transaction for Shared copies (default 50)
	Now         func() time.Time
	Rand        func() float64 // in [0, 1), for backoff jitter
	Logger      *slog.Logger
	Registerer  prometheus.Registerer // may be nil
}

const (
	idleTimeout   = 30 * time.Second // close a connection unused this long
	shutdownGrace = 30 * time.Second // for transactions under way when Run's ctx ends
	retireEvery   = time.Hour
	retireAfter   = 7 * 24 * time.Hour // finished rows are kept this long for the outbox page
	maxWait       = 2 * time.Second    // longest sleep without looking at the queue: command-line tools (digest send) queue rows that no Kick announces
	claimRetry    = 5 * time.Second    // after the store failed to claim
	relayDownFor  = 5 * time.Second    // after a failed connect, fail others fast for this long
	flushSize     = 200
	retryDelay    = 10 * time.Millisecond // after a failed write of outcomes, doubling
	maxErrorLen   = 1000                  // of the error text stored with a row
)

// Deliverer runs the outbound queue.
type Deliverer struct {
	q    Queue
	r    Renderer
	cfg  Config
	log  *slog.Logger
	m    *metrics
	kick chan struct{}

	rs *relaySession

	// Fixed by New; tests shorten them.
	to    timeouts
	grace time.Duration
	idle  time.Duration

	// A dead relay would otherwise cost every job a full connect timeout.
	mu        sync.Mutex
	downUntil time.Time
	downErr   error
}

// New returns a Deliverer; Run starts it.
func New(q Queue, r Renderer, cfg Config) *Deliverer {
	if cfg.HeloName == "" {
		cfg.HeloName, _ = os.Hostname()
		if cfg.HeloName == "" {
			cfg.HeloName = "localhost"
		}
	}
	if cfg.TLS == "" {
		cfg.TLS = StartTLS
	}
	if cfg.Connections <= 0 {
		cfg.Connections = 8
	}
	if cfg.RetryBase <= 0 {
		cfg.RetryBase = defaultRetryBase
	}
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = 5 * 24 * time.Hour
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 256
	}
	if cfg.MaxRcpts <= 0 {
		cfg.MaxRcpts = 50
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Float64
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	log := cfg.Logger.With("component", "delivery")
	return &Deliverer{
		q:    q,
		r:    r,
		cfg:  cfg,
		log:  log,
		m:    newMetrics(cfg.Registerer, log),
		kick: make(chan struct{}, 1),
		rs: &relaySession{addr: cfg.Relay, helo: cfg.HeloName, mode: cfg.TLS, roots: cfg.RootCAs,
			username: cfg.Username, password: cfg.Password},
		to:    defaultTimeouts,
		grace: shutdownGrace,
		idle:  idleTimeout,
	}
}

// Kick says that new rows are due now. It never blocks.
func (d *Deliverer) Kick() {
	select {
	case d.kick <- struct{}{}:
	default: // a wake-up is already pending
	}
}

// job is what one worker does in one SMTP transaction: one row, or several rows that
// share a copy.
type job struct {
	rows []*store.Delivery
	copy Copy
}

// Run delivers until ctx is done, then shuts down cleanly: transactions under way
// get up to 30 s to finish, claimed rows not started are released, all outcomes
// are written, connections are closed with QUIT. It returns nil after a clean
// shutdown. Call it once.
func (d *Deliverer) Run(ctx context.Context) error {
	if d.cfg.Relay == "" {
		return errors.New("delivery: no relay configured")
	}
	// Rows in flight when the process stopped are due again, so delivery resumes
	// where it stopped. Nothing else may claim before this.
	n, err := d.q.ResetInFlight(ctx, d.now())
	if err != nil {
		if ctx.Err() != nil {
			return nil // stopped before it started
		}
		return fmt.Errorf("delivery: %w", err)
	}
	if n > 0 {
		d.log.Info("resuming deliveries that were in flight", "rows", n)
	}

	// Transactions already talking to the relay must be able to finish after ctx
	// ends, so they run under a context that outlives it by the grace period.
	base := context.WithoutCancel(ctx)
	jobCtx, cancelJobs := context.WithCancel(base)
	defer cancelJobs()
	workersDone := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
		case <-workersDone:
			return
		}
		t := time.NewTimer(d.grace)
		defer t.Stop()
		select {
		case <-t.C:
			cancelJobs()
		case <-workersDone:
		}
	}()

	outcomes := make(chan store.Outcome, flushSize)
	collected := make(chan struct{})
	go func() {
		defer close(collected)
		d.collect(base, outcomes)
	}()

	jobs := make(chan *job) // unbuffered: a job is taken only by a worker that is free
	var workers, retirer sync.WaitGroup
	for range d.cfg.Connections {
		workers.Go(func() { d.work(ctx, jobCtx, base, jobs, outcomes) })
	}
	retirer.Go(func() { d.retire(ctx) })

	d.schedule(ctx, jobs, outcomes)

	close(jobs)
	workers.Wait()
	close(workersDone)
	close(outcomes)
	<-collected
	retirer.Wait()
	d.log.Info("delivery stopped")
	return nil
}

func (d *Deliverer) now() time.Time { return d.cfg.Now() }

// schedule claims due rows and hands them out as jobs until ctx is done; rows it
// holds then are released.
func (d *Deliverer) schedule(ctx context.Context, jobs chan<- *job, out chan<- store.Outcome) {
	var pending []*job
	defer func() { d.release(pending, out) }()
	claim := true // rows may be due: look before sleeping
	claimFailed := false
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		// Claim ahead only a little, so that rows aren't held while workers are busy
		// and new posts aren't stuck behind a long claimed backlog.
		if claim && len(pending) < d.cfg.Connections {
			rows, err := d.q.ClaimDue(ctx, d.now(), d.cfg.BatchSize)
			if ctx.Err() != nil {
				return
			}
			claimFailed = err != nil
			if err != nil {
				d.log.Error("claim due deliveries", "err", err)
				claim = false
			} else {
				claim = len(rows) == d.cfg.BatchSize // a full batch: more may be due
				pending = append(pending, d.prepare(ctx, rows, out)...)
			}
		}
		if len(pending) > 0 {
			select {
			case jobs <- pending[0]:
				pending[0] = nil
				pending = pending[1:]
			case <-d.kick:
				claim = true
			case <-ctx.Done():
				return
			}
			continue
		}
		if claim {
			continue
		}
		wait := maxWait
		if claimFailed {
			wait = claimRetry
		} else if next, ok, err := d.q.NextDue(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			d.log.Error("next due delivery", "err", err)
			wait = claimRetry
		} else if ok {
			wait = min(wait, next.Sub(d.now()))
		}
		if wait > 0 {
			timer.Reset(wait)
			select {
			case <-d.kick:
			case <-timer.C:
			case <-ctx.Done():
				return
			}
			timer.Stop()
		}
		claim = true
	}
}

type groupKey struct {
	messageID int64
	mailID    int64
	from      string
}

// prepare renders the claimed rows and groups rows that share a copy into jobs of
// up to MaxRcpts, keeping the queue's order by each job's first row. Rendering here,
// one row after another, is cheap because the renderer caches per message, and it
// is what tells which rows may share a transaction.
func (d *Deliverer) prepare(ctx context.Context, rows []*store.Delivery, out chan<- store.Outcome) []*job {
	var jobs []*job
	open := make(map[groupKey]*job)
	for i, row := range rows {
		cp, err := d.render(ctx, row)
		if err != nil {
			if ctx.Err() != nil {
				d.releaseRows(rows[i:], out)
				break
			}
			out <- d.renderFailure(row, err)
			continue
		}
		if !cp.Shared {
			jobs = append(jobs, &job{rows: []*store.Delivery{row}, copy: cp})
			continue
		}
		k := groupKey{row.MessageID, row.MailID, cp.From}
		if j := open[k]; j != nil && len(j.rows) < d.cfg.MaxRcpts {
			j.rows = append(j.rows, row)
			continue
		}
		j := &job{rows: []*store.Delivery{row}, copy: cp}
		open[k] = j
		jobs = append(jobs, j)
	}
	return jobs
}

// render calls the renderer, turning a panic into an error so that one bad row
// can't stop delivery.
func (d *Deliverer) render(ctx context.Context, row *store.Delivery) (cp Copy, err error) {
	defer func() {
		if p := recover(); p != nil {
			d.log.Error("render panicked", "delivery", row.ID, "panic", p, "stack", string(debug.Stack()))
			err = fmt.Errorf("render panicked: %v", p)
		}
	}()
	cp, err = d.r.Render(ctx, row)
	if err == nil && cp.Message == nil {
		err = errors.New("renderer returned no message")
	}
	if err != nil {
		return Copy{}, fmt.Errorf("render: %w", err)
	}
	return cp, nil
}

func (d *Deliverer) renderFailure(row *store.Delivery, err error) store.Outcome {
	if errors.Is(err, ErrPermanent) {
		d.log.Warn("delivery failed", "delivery", row.ID, "rcpt", row.Rcpt, "err", err)
		return d.failed(row, err.Error())
	}
	d.log.Warn("delivery deferred", "delivery", row.ID, "rcpt", row.Rcpt, "err", err)
	return d.temporary(row, err.Error())
}

// release gives back claimed rows that were never handed to the relay: due at once,
// without an error, as if they had not been claimed.
func (d *Deliverer) release(jobs []*job, out chan<- store.Outcome) {
	for _, j := range jobs {
		d.releaseRows(j.rows, out)
	}
}

func (d *Deliverer) releaseRows(rows []*store.Delivery, out chan<- store.Outcome) {
	now := d.now()
	for _, row := range rows {
		out <- store.Outcome{ID: row.ID, State: "queued", Retry: now}
	}
}

func (d *Deliverer) sent(row *store.Delivery) store.Outcome {
	d.m.results.WithLabelValues(resultSent).Inc()
	return store.Outcome{ID: row.ID, State: "sent"}
}

func (d *Deliverer) failed(row *store.Delivery, msg string) store.Outcome {
	d.m.results.WithLabelValues(resultFailed).Inc()
	return store.Outcome{ID: row.ID, State: "failed", Error: cleanError(msg)}
}

// temporary retries the row after the backoff for its attempts so far, unless it has
// been queued for longer than MaxAge.
func (d *Deliverer) temporary(row *store.Delivery, msg string) store.Outcome {
	now := d.now()
	if now.Sub(row.CreatedAt) > d.cfg.MaxAge {
		return d.failed(row, "gave up after "+formatAge(d.cfg.MaxAge)+": "+msg)
	}
	d.m.results.WithLabelValues(resultDeferred).Inc()
	return store.Outcome{
		ID:    row.ID,
		State: "queued",
		Retry: now.Add(backoff(row.Attempts, d.cfg.RetryBase, d.cfg.Rand)),
		Error: cleanError(msg),
	}
}

// formatAge says "5 days" rather than "120h0m0s".
func formatAge(age time.Duration) string {
	const day = 24 * time.Hour
	switch {
	case age == day:
		return "1 day"
	case age%day == 0:
		return fmt.Sprintf("%d days", age/day)
	}
	return age.String()
}

// cleanError makes a relay's reply or an error fit for the database and the outbox
// page: valid UTF-8, one line, bounded.
func cleanError(s string) string {
	s = strings.ToValidUTF8(s, "?")
	s = strings.Join(strings.Fields(s), " ")
	return truncate(s, maxErrorLen)
}

// retire deletes finished rows older than a week, once at start and then hourly.
func (d *Deliverer) retire(ctx context.Context) {
	t := time.NewTicker(retireEvery)
	defer t.Stop()
	for {
		n, err := d.q.RetireDeliveries(ctx, d.now().Add(-retireAfter))
		switch {
		case err != nil && ctx.Err() == nil:
			d.log.Error("retire deliveries", "err", err)
		case n > 0:
			d.log.Info("retired finished deliveries", "rows", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// connect dials the relay, failing at once while a recent connect failed.
func (d *Deliverer) connect(ctx context.Context) (*smtpClient, error) {
	d.mu.Lock()
	if time.Now().Before(d.downUntil) {
		err := d.downErr
		d.mu.Unlock()
		return nil, err
	}
	d.mu.Unlock()
	c, err := dialSMTP(ctx, d.rs, d.to, nil)
	if err != nil && ctx.Err() == nil {
		d.mu.Lock()
		d.downUntil = time.Now().Add(relayDownFor)
		d.downErr = err
		d.mu.Unlock()
		step := "connect"
		var se *stepError
		if errors.As(err, &se) {
			step = se.step
		}
		d.m.sessionFailures.WithLabelValues(step).Inc()
		d.log.Warn("cannot connect to relay", "relay", d.cfg.Relay, "step", step, "err", err)
	}
	return c, err
}
