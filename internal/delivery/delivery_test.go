package delivery

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"maps"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/prometheus/client_golang/prometheus"

	"listd/internal/store"
)

// clock is real time plus an offset the test can advance, so that rows the store
// stamps with the real time are due on the injected clock too.
type clock struct{ offset atomic.Int64 }

func (c *clock) Now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *clock) Advance(d time.Duration) { c.offset.Add(int64(d)) }

// testRenderer renders a small message per row. With shared, every row of a message
// gets the same bytes and envelope sender; otherwise the sender is VERP'd per row.
type testRenderer struct {
	shared bool
	// special returns a copy or error for some recipients instead of the usual copy.
	special func(d *store.Delivery) (Copy, error, bool)
}

func (r *testRenderer) Render(ctx context.Context, d *store.Delivery) (Copy, error) {
	if r.special != nil {
		if cp, err, ok := r.special(d); ok {
			return cp, err
		}
	}
	if r.shared {
		return Copy{
			From:    "test-bounces@example.org",
			Message: testMsg(fmt.Sprintf("From: list@example.org\r\nTo: test@example.org\r\nSubject: post %d\r\n\r\nhello\r\n.dot\r\n", d.MessageID)),
			Shared:  true,
		}, nil
	}
	return Copy{
		From:    fmt.Sprintf("test-bounces+%d@example.org", d.ID),
		Message: testMsg(fmt.Sprintf("From: list@example.org\r\nTo: %s\r\nSubject: post %d\r\n\r\nhello\r\n", d.Rcpt, d.MessageID)),
	}, nil
}

// sink is a go-smtp server whose behaviour each test sets before it starts.
type sink struct {
	addr string
	sinkBehaviour

	mu      sync.Mutex
	conns   int
	txs     []sinkTx
	got     map[string]int // rcpt → messages received
	tries   map[string]int // rcpt → RCPT commands seen
	dataSeq int            // DATA commands seen
}

type sinkBehaviour struct {
	rcptErr   func(rcpt string, try int) error // refuse some RCPTs
	dataErr   error                            // refuse every message at the end of DATA
	dropData  func(n int) bool                 // drop the connection during the nth DATA
	dataDelay time.Duration                    // a slow relay
}

type sinkTx struct {
	from  string
	rcpts []string
	data  []byte
}

func newSink(t testing.TB, b sinkBehaviour) *sink {
	t.Helper()
	s := &sink{sinkBehaviour: b, got: map[string]int{}, tries: map[string]int{}}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		s.mu.Lock()
		s.conns++
		s.mu.Unlock()
		return &sinkSession{s: s, conn: c.Conn()}, nil
	}))
	srv.Domain = "sink.test"
	srv.ErrorLog = log.New(io.Discard, "", 0)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = l.Addr().String()
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return s
}

func smtpErr(code int, enh smtp.EnhancedCode, msg string) error {
	return &smtp.SMTPError{Code: code, EnhancedCode: enh, Message: msg}
}

type sinkSession struct {
	s     *sink
	conn  net.Conn
	from  string
	rcpts []string
}

func (ss *sinkSession) Reset()        { ss.from, ss.rcpts = "", nil }
func (ss *sinkSession) Logout() error { return nil }

func (ss *sinkSession) Mail(from string, _ *smtp.MailOptions) error {
	ss.from = from
	return nil
}

func (ss *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s := ss.s
	s.mu.Lock()
	s.tries[to]++
	try := s.tries[to]
	s.mu.Unlock()
	if s.rcptErr != nil {
		if err := s.rcptErr(to, try); err != nil {
			return err
		}
	}
	ss.rcpts = append(ss.rcpts, to)
	return nil
}

func (ss *sinkSession) Data(r io.Reader) error {
	s := ss.s
	s.mu.Lock()
	s.dataSeq++
	n := s.dataSeq
	s.mu.Unlock()
	if s.dropData != nil && s.dropData(n) {
		io.CopyN(io.Discard, r, 10)
		ss.conn.Close()
		return errors.New("dropped")
	}
	time.Sleep(s.dataDelay)
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if s.dataErr != nil {
		return s.dataErr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.txs = append(s.txs, sinkTx{from: ss.from, rcpts: slices.Clone(ss.rcpts), data: b})
	for _, rc := range ss.rcpts {
		s.got[rc]++
	}
	return nil
}

func (s *sink) snapshot() (conns int, txs []sinkTx, got map[string]int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns, slices.Clone(s.txs), maps.Clone(s.got)
}

func (s *sink) triesOf(rcpt string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tries[rcpt]
}

func (s *sink) dataStarted() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dataSeq
}

// newStore makes a database with one list of n members, and one post queued to them.
func newStore(t testing.TB, members int) (*store.DB, *store.List) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	l := &store.List{Name: "test", Archive: "public", Moderation: "none"}
	if err := db.CreateList(ctx, l); err != nil {
		t.Fatal(err)
	}
	ms := make([]*store.Member, members)
	for i := range ms {
		ms[i] = &store.Member{ListID: l.ID, Address: rcpt(i), Mode: "each", Role: "member"}
	}
	if _, err := db.ImportMembers(ctx, ms); err != nil {
		t.Fatal(err)
	}
	post(t, db, l, 0)
	return db, l
}

func rcpt(i int) string { return fmt.Sprintf("user%d@example.org", i) }

func post(t testing.TB, db *store.DB, l *store.List, n int) {
	t.Helper()
	a, err := db.AcceptPost(context.Background(), &store.Post{
		ListID:    l.ID,
		MessageID: fmt.Sprintf("<post%d@example.org>", n),
		Subject:   "hello",
		Date:      time.Now(),
		Raw:       []byte("Subject: hello\r\n\r\nhello\r\n"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if a.Duplicate {
		t.Fatalf("post %d is a duplicate", n)
	}
}

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// start runs a Deliverer until the test ends or stop is called.
func start(t testing.TB, q Queue, r Renderer, cfg Config, tweaks ...func(*Deliverer)) (d *Deliverer, stop func()) {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = testLogger(t)
	}
	d = New(q, r, cfg)
	for _, f := range tweaks {
		f(d)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(45 * time.Second):
				t.Fatal("Run did not return after cancel")
			}
		})
	}
	t.Cleanup(stop)
	return d, stop
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func counts(t testing.TB, db *store.DB) map[string]int {
	t.Helper()
	c, err := db.DeliveryCounts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func rows(t testing.TB, db *store.DB) []*store.Delivery {
	t.Helper()
	ds, err := db.Deliveries(context.Background(), []string{"queued", "sent", "failed"}, 1<<30, 0)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// allAttempted waits until every row has had n attempts recorded. ClaimDue counts
// an attempt when it starts, so a queued row is done only once its retry time lies
// ahead; a row in flight still shows the last retry time, which has passed.
func allAttempted(t testing.TB, db *store.DB, now func() time.Time, n int) []*store.Delivery {
	t.Helper()
	var ds []*store.Delivery
	waitFor(t, fmt.Sprintf("every row to have %d attempts recorded", n), func() bool {
		ds = rows(t, db)
		for _, d := range ds {
			if d.Attempts != n || (d.State == "queued" && !d.NextAttempt.After(now())) {
				return false
			}
		}
		return true
	})
	return ds
}

// notInFlight checks that every queued row can be claimed, i.e. none was left in
// flight; it claims them, so call it last.
func notInFlight(t testing.TB, db *store.DB, now time.Time) {
	t.Helper()
	queued := counts(t, db)["queued"]
	claimed, err := db.ClaimDue(context.Background(), now.Add(time.Second), 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	if len(claimed) != queued {
		t.Errorf("%d of %d queued rows were claimable: the others were left in flight", len(claimed), queued)
	}
}

var (
	userUnknown = smtpErr(550, smtp.EnhancedCode{5, 1, 1}, "user unknown")
	tryLater    = smtpErr(451, smtp.EnhancedCode{4, 3, 0}, "try later")
)

func TestOutcomes(t *testing.T) {
	refuse := func(bad ...int) func(string, int) error {
		return func(to string, _ int) error {
			for _, i := range bad {
				if to == rcpt(i) {
					return userUnknown
				}
			}
			return nil
		}
	}
	tests := []struct {
		name     string
		members  int
		shared   bool
		maxRcpts int
		sink     sinkBehaviour
		want     map[string]int    // DeliveryCounts at the end
		wantErr  map[string]string // rcpt → last_error of failed rows
		minTxRcp int               // some transaction must have at least this many RCPTs
	}{
		{
			name:    "separate copies all sent",
			members: 30,
			want:    map[string]int{"queued": 0, "sent": 30, "failed": 0},
		},
		{
			name:     "shared copies grouped",
			members:  30,
			shared:   true,
			maxRcpts: 7,
			want:     map[string]int{"queued": 0, "sent": 30, "failed": 0},
			minTxRcp: 7,
		},
		{
			name:    "5xx for some recipients",
			members: 30,
			sink:    sinkBehaviour{rcptErr: refuse(3, 17)},
			want:    map[string]int{"queued": 0, "sent": 28, "failed": 2},
			wantErr: map[string]string{rcpt(3): "550 5.1.1 user unknown", rcpt(17): "550 5.1.1 user unknown"},
		},
		{
			name:     "5xx for some recipients of a shared transaction",
			members:  30,
			shared:   true,
			maxRcpts: 50,
			sink:     sinkBehaviour{rcptErr: refuse(0, 29)},
			want:     map[string]int{"queued": 0, "sent": 28, "failed": 2},
			wantErr:  map[string]string{rcpt(0): "550 5.1.1 user unknown", rcpt(29): "550 5.1.1 user unknown"},
			minTxRcp: 28,
		},
		{
			name:    "5xx for the message",
			members: 5,
			sink:    sinkBehaviour{dataErr: smtpErr(554, smtp.EnhancedCode{5, 6, 0}, "content rejected")},
			want:    map[string]int{"queued": 0, "sent": 0, "failed": 5},
			wantErr: map[string]string{
				rcpt(0): "554 5.6.0 content rejected", rcpt(1): "554 5.6.0 content rejected",
				rcpt(2): "554 5.6.0 content rejected", rcpt(3): "554 5.6.0 content rejected",
				rcpt(4): "554 5.6.0 content rejected",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, _ := newStore(t, tt.members)
			s := newSink(t, tt.sink)
			clk := &clock{}
			d, stop := start(t, db, &testRenderer{shared: tt.shared},
				Config{Relay: s.addr, Connections: 4, MaxRcpts: tt.maxRcpts, Now: clk.Now})
			d.Kick()
			waitFor(t, "every row to be finished", func() bool { return counts(t, db)["queued"] == 0 })
			// Nothing may be retried: give a wrongly deferred row a chance to show.
			clk.Advance(5 * time.Hour)
			d.Kick()
			time.Sleep(100 * time.Millisecond)
			stop()

			if got := counts(t, db); !maps.Equal(got, tt.want) {
				t.Errorf("counts = %v, want %v", got, tt.want)
			}
			conns, txs, got := s.snapshot()
			for _, row := range rows(t, db) {
				if row.Attempts != 1 {
					t.Errorf("%s: %d attempts, want 1", row.Rcpt, row.Attempts)
				}
				switch row.State {
				case "sent":
					if got[row.Rcpt] != 1 {
						t.Errorf("%s: sent, but the sink got it %d times", row.Rcpt, got[row.Rcpt])
					}
				case "failed":
					if row.LastError != tt.wantErr[row.Rcpt] {
						t.Errorf("%s: error %q, want %q", row.Rcpt, row.LastError, tt.wantErr[row.Rcpt])
					}
					if got[row.Rcpt] != 0 {
						t.Errorf("%s: failed, but the sink got it", row.Rcpt)
					}
				}
			}
			// Connections are reused: a few per worker at most, not one per message.
			if conns > 4 {
				t.Errorf("sink saw %d connections for %d rows and 4 workers", conns, tt.members)
			}
			maxRcpts := tt.maxRcpts
			if !tt.shared {
				maxRcpts = 1
			}
			most := 0
			for _, tx := range txs {
				most = max(most, len(tx.rcpts))
				if tt.shared && !strings.HasPrefix(tx.from, "test-bounces@") {
					t.Errorf("transaction from %q", tx.from)
				}
			}
			if most > maxRcpts {
				t.Errorf("a transaction had %d recipients, max %d", most, maxRcpts)
			}
			if most < tt.minTxRcp {
				t.Errorf("largest transaction had %d recipients, want at least %d", most, tt.minTxRcp)
			}
		})
	}
}

// Against a relay without go-smtp in between: connections are reused and, when the
// relay offers PIPELINING, a transaction's MAIL, RCPTs and DATA come in one write.
func TestPipeliningAndReuse(t *testing.T) {
	for _, pipelining := range []bool{true, false} {
		t.Run(fmt.Sprintf("pipelining=%v", pipelining), func(t *testing.T) {
			db, _ := newStore(t, 20)
			f := newFakeRelay(t, relayBehaviour{pipelining: pipelining})
			_, stop := start(t, db, &testRenderer{}, Config{Relay: f.addr, Connections: 2})
			waitFor(t, "every row to be sent", func() bool { return counts(t, db)["sent"] == 20 })
			stop()
			conns, txs, cmds := f.snapshot()
			if conns > 2 {
				t.Errorf("%d connections for 20 messages on 2 workers", conns)
			}
			if len(txs) != 20 {
				t.Errorf("%d transactions, want 20", len(txs))
			}
			for _, tx := range txs {
				if pipelining && !tx.sameRead() {
					t.Errorf("pipelined transaction came in reads %v", tx.reads)
				}
				if !pipelining && !tx.lockstep() {
					t.Errorf("lockstep transaction came in reads %v", tx.reads)
				}
			}
			if n := countPrefix(cmds, "QUIT"); n != conns {
				t.Errorf("%d QUITs for %d connections", n, conns)
			}
			if n := countPrefix(cmds, "RSET"); n != 0 {
				t.Errorf("%d RSETs after successful transactions", n)
			}
		})
	}
}

func TestIdleConnectionClosed(t *testing.T) {
	db, l := newStore(t, 3)
	f := newFakeRelay(t, relayBehaviour{pipelining: true})
	d, _ := start(t, db, &testRenderer{}, Config{Relay: f.addr, Connections: 1},
		func(d *Deliverer) { d.idle = 100 * time.Millisecond })
	waitFor(t, "QUIT after the idle time", func() bool {
		_, _, cmds := f.snapshot()
		return counts(t, db)["sent"] == 3 && slices.Contains(cmds, "QUIT")
	})
	post(t, db, l, 1)
	d.Kick()
	waitFor(t, "the next post to be sent", func() bool { return counts(t, db)["sent"] == 6 })
	if conns, txs, _ := f.snapshot(); conns != 2 || len(txs) != 6 {
		t.Errorf("%d connections, %d transactions; want 2, 6", conns, len(txs))
	}
}

// A relay that closed a kept connection costs a reconnect, not a deferral.
func TestReusedConnectionClosedByRelay(t *testing.T) {
	db, _ := newStore(t, 5)
	f := newFakeRelay(t, relayBehaviour{pipelining: true, hangUp: true})
	start(t, db, &testRenderer{}, Config{Relay: f.addr, Connections: 1})
	waitFor(t, "every row to be sent", func() bool { return counts(t, db)["sent"] == 5 })
	for _, row := range rows(t, db) {
		if row.Attempts != 1 {
			t.Errorf("%s: %d attempts", row.Rcpt, row.Attempts)
		}
	}
	if conns, _, _ := f.snapshot(); conns != 5 {
		t.Errorf("%d connections, want 5", conns)
	}
}

func countPrefix(ss []string, p string) int {
	n := 0
	for _, s := range ss {
		if strings.HasPrefix(s, p) {
			n++
		}
	}
	return n
}

func TestRetryAfter4xx(t *testing.T) {
	db, _ := newStore(t, 10)
	s := newSink(t, sinkBehaviour{rcptErr: func(_ string, try int) error {
		if try <= 2 {
			return tryLater
		}
		return nil
	}})
	clk := &clock{}
	before := clk.Now()
	d, _ := start(t, db, &testRenderer{}, Config{Relay: s.addr, Now: clk.Now, Rand: func() float64 { return 0.5 }})

	// Each round fails with the reply and is due again after 1 min, then 2 min
	// (rnd 0.5 is no jitter).
	for round, wait := range []time.Duration{time.Minute, 2 * time.Minute} {
		if round > 0 {
			d.Kick()
		}
		ds := allAttempted(t, db, clk.Now, round+1)
		after := clk.Now()
		for _, row := range ds {
			if row.State != "queued" || row.LastError != "451 4.3.0 try later" {
				t.Fatalf("round %d: %s is %s with %q", round+1, row.Rcpt, row.State, row.LastError)
			}
			if row.NextAttempt.Before(before.Add(wait).Truncate(time.Millisecond)) || row.NextAttempt.After(after.Add(wait)) {
				t.Errorf("round %d: next attempt in %v, want %v", round+1, row.NextAttempt.Sub(after), wait)
			}
		}
		// Not retried before it is due.
		d.Kick()
		time.Sleep(100 * time.Millisecond)
		if n := s.triesOf(rcpt(0)); n != round+1 {
			t.Fatalf("round %d: %d tries before the retry was due", round+1, n)
		}
		clk.Advance(wait + 10*time.Second)
		before = clk.Now()
	}
	d.Kick()
	waitFor(t, "every row to be sent", func() bool { return counts(t, db)["sent"] == 10 })
	_, _, got := s.snapshot()
	for i := range 10 {
		if got[rcpt(i)] != 1 || s.triesOf(rcpt(i)) != 3 {
			t.Errorf("%s: received %d times after %d tries, want 1 after 3", rcpt(i), got[rcpt(i)], s.triesOf(rcpt(i)))
		}
	}
}

func TestDroppedConnectionIsRetried(t *testing.T) {
	db, _ := newStore(t, 5)
	s := newSink(t, sinkBehaviour{dropData: func(n int) bool { return n == 1 }})
	clk := &clock{}
	d, _ := start(t, db, &testRenderer{}, Config{Relay: s.addr, Connections: 1, Now: clk.Now})
	var dropped *store.Delivery
	waitFor(t, "four sent and one deferred", func() bool {
		c := counts(t, db)
		if c["sent"] != 4 || c["queued"] != 1 {
			return false
		}
		for _, row := range rows(t, db) {
			if row.State == "queued" && row.LastError != "" {
				dropped = row
			}
		}
		return dropped != nil
	})
	if !dropped.NextAttempt.After(clk.Now()) || dropped.Attempts != 1 {
		t.Errorf("dropped row: next attempt %v (now %v), %d attempts", dropped.NextAttempt, clk.Now(), dropped.Attempts)
	}
	clk.Advance(2 * time.Minute)
	d.Kick()
	waitFor(t, "the dropped row to be sent", func() bool { return counts(t, db)["sent"] == 5 })
	if _, _, got := s.snapshot(); got[dropped.Rcpt] != 1 {
		t.Errorf("dropped row delivered %d times", got[dropped.Rcpt])
	}
}

// deadRelay returns an address where nothing listens.
func deadRelay(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestRelayDown(t *testing.T) {
	db, _ := newStore(t, 10)
	clk := &clock{}
	start(t, db, &testRenderer{}, Config{Relay: deadRelay(t), Now: clk.Now})
	ds := allAttempted(t, db, clk.Now, 1)
	for _, row := range ds {
		if row.State != "queued" || !strings.Contains(row.LastError, "connect") {
			t.Errorf("%s: %s with %q", row.Rcpt, row.State, row.LastError)
		}
		if row.NextAttempt.Before(clk.Now().Add(50 * time.Second)) {
			t.Errorf("%s: next attempt in %v", row.Rcpt, row.NextAttempt.Sub(clk.Now()))
		}
	}
}

func TestMaxAge(t *testing.T) {
	tests := []struct {
		name    string
		relay   func(t *testing.T) string
		wantErr string // prefix
	}{
		{"4xx", func(t *testing.T) string {
			return newSink(t, sinkBehaviour{rcptErr: func(string, int) error { return tryLater }}).addr
		}, "gave up after 5 days: 451 4.3.0 try later"},
		{"relay down", deadRelay, "gave up after 5 days: connect to relay: "},
		{"5xx", func(t *testing.T) string {
			return newSink(t, sinkBehaviour{rcptErr: func(string, int) error { return userUnknown }}).addr
		}, "550 5.1.1 user unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, _ := newStore(t, 3)
			clk := &clock{}
			clk.Advance(5*24*time.Hour + time.Minute)
			start(t, db, &testRenderer{}, Config{Relay: tt.relay(t), Now: clk.Now})
			waitFor(t, "every row to fail", func() bool { return counts(t, db)["failed"] == 3 })
			for _, row := range rows(t, db) {
				if !strings.HasPrefix(row.LastError, tt.wantErr) {
					t.Errorf("%s: error %q, want %q…", row.Rcpt, row.LastError, tt.wantErr)
				}
			}
		})
	}
}

func TestResumesInFlightRows(t *testing.T) {
	db, _ := newStore(t, 20)
	// A run that claimed rows and crashed before recording anything.
	claimed, err := db.ClaimDue(context.Background(), time.Now(), 12)
	if err != nil || len(claimed) != 12 {
		t.Fatalf("claimed %d: %v", len(claimed), err)
	}
	s := newSink(t, sinkBehaviour{})
	start(t, db, &testRenderer{}, Config{Relay: s.addr})
	waitFor(t, "every row to be sent", func() bool { return counts(t, db)["sent"] == 20 })
	if _, _, got := s.snapshot(); len(got) != 20 {
		t.Errorf("sink got %d recipients, want 20", len(got))
	}
}

func TestGracefulShutdown(t *testing.T) {
	const total = 40
	db, _ := newStore(t, total)
	s := newSink(t, sinkBehaviour{dataDelay: 300 * time.Millisecond})
	clk := &clock{}
	_, stop := start(t, db, &testRenderer{}, Config{Relay: s.addr, Connections: 4, BatchSize: 16, Now: clk.Now})
	waitFor(t, "every worker to be in DATA", func() bool { return s.dataStarted() >= 4 })
	started := time.Now()
	stop()
	if d := time.Since(started); d > 10*time.Second {
		t.Errorf("shutdown took %v", d)
	}
	c := counts(t, db)
	_, _, got := s.snapshot()
	if c["sent"]+c["queued"] != total || c["failed"] != 0 {
		t.Errorf("counts %v, want sent + queued = %d", c, total)
	}
	// Every transaction under way finished, and was recorded.
	if c["sent"] < 4 || c["sent"] != len(got) {
		t.Errorf("%d sent, sink got %d (at least 4 were in DATA)", c["sent"], len(got))
	}
	for _, row := range rows(t, db) {
		if (row.State == "sent") != (got[row.Rcpt] == 1) {
			t.Errorf("%s is %s but the sink got it %d times", row.Rcpt, row.State, got[row.Rcpt])
		}
		if row.State == "queued" && (row.LastError != "" || row.NextAttempt.After(clk.Now())) {
			t.Errorf("released %s: error %q, next attempt in %v", row.Rcpt, row.LastError, row.NextAttempt.Sub(clk.Now()))
		}
	}
	notInFlight(t, db, clk.Now())
}

// failingMsg panics or fails while being written, after some bytes.
type failingMsg struct{ panics bool }

func (m failingMsg) WriteTo(w io.Writer) (int64, error) {
	n, _ := io.WriteString(w, "Subject: x\r\n\r\npartial")
	if m.panics {
		panic("boom in WriteTo")
	}
	return int64(n), errors.New("blob unreadable")
}

func TestRenderAndWriteFailures(t *testing.T) {
	special := map[string]struct {
		cp    Copy
		err   error
		panic bool
	}{
		rcpt(0): {err: fmt.Errorf("no such template: %w", ErrPermanent)},
		rcpt(1): {err: errors.New("database busy")},
		rcpt(2): {panic: true},
		rcpt(3): {cp: Copy{From: "b@example.org", Message: failingMsg{panics: true}}},
		rcpt(4): {cp: Copy{From: "b@example.org", Message: failingMsg{}}},
		rcpt(5): {cp: Copy{From: "b@example.org"}},
		rcpt(6): {cp: Copy{From: "b @example.org", Message: testMsg("x")}},
	}
	want := map[string]struct{ state, err string }{
		rcpt(0): {"failed", "render: no such template: permanent"},
		rcpt(1): {"queued", "render: database busy"},
		rcpt(2): {"queued", "render panicked: boom in Render"},
		rcpt(3): {"queued", "internal error: boom in WriteTo"},
		rcpt(4): {"queued", "write message: blob unreadable"},
		rcpt(5): {"queued", "render: renderer returned no message"},
		rcpt(6): {"failed", `invalid envelope sender "b @example.org"`},
		rcpt(7): {"sent", ""},
		rcpt(8): {"sent", ""},
	}
	r := &testRenderer{special: func(d *store.Delivery) (Copy, error, bool) {
		sp, ok := special[d.Rcpt]
		if sp.panic {
			panic("boom in Render")
		}
		return sp.cp, sp.err, ok
	}}
	db, _ := newStore(t, len(want))
	s := newSink(t, sinkBehaviour{})
	start(t, db, r, Config{Relay: s.addr, Connections: 2})
	ds := allAttempted(t, db, time.Now, 1)
	for _, row := range ds {
		w := want[row.Rcpt]
		if row.State != w.state || row.LastError != w.err {
			t.Errorf("%s: %s with %q, want %s with %q", row.Rcpt, row.State, row.LastError, w.state, w.err)
		}
	}
	// The half-written messages were never completed.
	if _, _, got := s.snapshot(); len(got) != 2 || got[rcpt(7)] != 1 || got[rcpt(8)] != 1 {
		t.Errorf("sink got %v", got)
	}
}

// retireSpy records RetireDeliveries calls.
type retireSpy struct {
	Queue
	mu      sync.Mutex
	cutoffs []time.Time
}

func (r *retireSpy) RetireDeliveries(ctx context.Context, cutoff time.Time) (int, error) {
	r.mu.Lock()
	r.cutoffs = append(r.cutoffs, cutoff)
	r.mu.Unlock()
	return r.Queue.RetireDeliveries(ctx, cutoff)
}

func TestRetiresAtStart(t *testing.T) {
	db, _ := newStore(t, 1)
	spy := &retireSpy{Queue: db}
	clk := &clock{}
	clk.Advance(time.Hour)
	start(t, spy, &testRenderer{}, Config{Relay: newSink(t, sinkBehaviour{}).addr, Now: clk.Now})
	var cutoff time.Time
	waitFor(t, "RetireDeliveries", func() bool {
		spy.mu.Lock()
		defer spy.mu.Unlock()
		if len(spy.cutoffs) > 0 {
			cutoff = spy.cutoffs[0]
		}
		return len(spy.cutoffs) > 0
	})
	if d := clk.Now().Add(-7 * 24 * time.Hour).Sub(cutoff); d < 0 || d > 5*time.Second {
		t.Errorf("cutoff %v is %v before now - 7 days", cutoff, d)
	}
}

func TestMetrics(t *testing.T) {
	db, _ := newStore(t, 10)
	s := newSink(t, sinkBehaviour{rcptErr: func(to string, _ int) error {
		if to == rcpt(1) {
			return userUnknown
		}
		return nil
	}})
	reg := prometheus.NewRegistry()
	start(t, db, &testRenderer{}, Config{Relay: s.addr, Connections: 3, Registerer: reg})
	waitFor(t, "every row to be finished", func() bool { return counts(t, db)["queued"] == 0 })
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			name := mf.GetName()
			for _, lp := range m.GetLabel() {
				name += "/" + lp.GetValue()
			}
			switch {
			case m.Counter != nil:
				got[name] = m.GetCounter().GetValue()
			case m.Gauge != nil:
				got[name] = m.GetGauge().GetValue()
			case m.Histogram != nil:
				got[name] = float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	want := map[string]float64{
		"listd_deliveries_total/sent":     9,
		"listd_deliveries_total/failed":   1,
		"listd_deliveries_total/deferred": 0,
		"listd_delivery_seconds":          10,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if c, ok := got["listd_delivery_connections"]; !ok || c < 1 || c > 3 {
		t.Errorf("listd_delivery_connections = %v (present %v), want 1..3", c, ok)
	}
}

func TestBackoff(t *testing.T) {
	const ceiling = 4 * time.Hour
	for _, rnd := range []float64{0, 0.5, 1} {
		prev := time.Duration(0)
		for attempt := 1; attempt <= 20; attempt++ {
			got := backoff(attempt, time.Minute, func() float64 { return rnd })
			base := min(time.Minute<<(attempt-1), ceiling)
			lo, hi := time.Duration(float64(base)*0.9), time.Duration(float64(base)*1.1)
			if got < lo || got > hi {
				t.Errorf("backoff(%d, %v) = %v, want within ±10%% of %v", attempt, rnd, got, base)
			}
			if got < prev {
				t.Errorf("backoff(%d, %v) = %v, less than %v before", attempt, rnd, got, prev)
			}
			if got > ceiling+ceiling/10 {
				t.Errorf("backoff(%d, %v) = %v, above the cap", attempt, rnd, got)
			}
			prev = got
		}
	}
	tests := []struct {
		attempt int
		rnd     float64
		want    time.Duration
	}{
		{0, 0.5, time.Minute},
		{-3, 0.5, time.Minute},
		{1, 0.5, time.Minute},
		{1, 0, 54 * time.Second},
		{1, 1, 66 * time.Second},
		{2, 0.5, 2 * time.Minute},
		{9, 0.5, ceiling},
		{1 << 30, 1, ceiling + ceiling/10},
	}
	for _, tt := range tests {
		if got := backoff(tt.attempt, time.Minute, func() float64 { return tt.rnd }); got != tt.want {
			t.Errorf("backoff(%d, %v) = %v, want %v", tt.attempt, tt.rnd, got, tt.want)
		}
	}
}

// BenchmarkFanout measures one post to 10,000 members through the whole path: claim,
// render, SMTP to a go-smtp sink on loopback, outcomes recorded.
func BenchmarkFanout(b *testing.B) {
	const members = 10000
	for _, shared := range []bool{false, true} {
		b.Run(fmt.Sprintf("shared=%v", shared), func(b *testing.B) {
			db, l := newStore(b, members)
			s := newSink(b, sinkBehaviour{})
			d, _ := start(b, db, &testRenderer{shared: shared},
				Config{Relay: s.addr, Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
			sent := 0
			waitSent := func() {
				sent += members
				waitFor(b, "the post to be sent", func() bool { return counts(b, db)["sent"] == sent })
			}
			waitSent() // the post newStore queued, to warm up
			b.ResetTimer()
			for i := range b.N {
				b.StopTimer()
				post(b, db, l, i+1)
				b.StartTimer()
				d.Kick()
				waitSent()
			}
			b.ReportMetric(float64(b.N*members)/b.Elapsed().Seconds(), "deliveries/s")
		})
	}
}
