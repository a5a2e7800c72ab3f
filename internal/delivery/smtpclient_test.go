package delivery

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// testMsg is a message whose WriteTo doesn't consume it, as Copy requires.
type testMsg []byte

func (m testMsg) WriteTo(w io.Writer) (int64, error) {
	n, err := w.Write(m)
	return int64(n), err
}

func (m testMsg) Size() int64 { return int64(len(m)) }

// countingReader counts Read calls, to tell commands that arrived together.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	c.n++
	return c.r.Read(p)
}

// fakeRelay is a raw SMTP server that records how commands arrive on the wire, which
// go-smtp's server can't tell.
type fakeRelay struct {
	addr string
	relayBehaviour

	mu    sync.Mutex
	conns int
	txs   []*fakeTx
	cmds  []string // every command line received
}

// relayBehaviour configures a fakeRelay.
type relayBehaviour struct {
	pipelining bool
	ehloFails  bool              // refuse EHLO, so the client must fall back to HELO
	rejectRcpt func(string) bool // reply 550 to these RCPTs
	dataReply  string            // if set, the reply to DATA instead of 354
	always354  bool              // 354 to DATA even when no RCPT was accepted (RFC 2920 allows it)
	size       int               // the SIZE limit advertised (default 10 MB)
	hangUp     bool              // close the connection after each transaction, unannounced
	// startTLS, if set, offers STARTTLS and answers it with this reply (without ever
	// speaking TLS).
	startTLS string
}

type fakeTx struct {
	mail  string
	rcpts []string // accepted ones
	reads []int    // for MAIL, each RCPT and DATA: the number of the read that delivered it
	raw   string   // the data as on the wire, dot-stuffed, with the final ".\r\n"
}

func newFakeRelay(t testing.TB, b relayBehaviour) *fakeRelay {
	t.Helper()
	f := &fakeRelay{relayBehaviour: b}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f.addr = l.Addr().String()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Go(func() { f.serve(c) })
		}
	})
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return f
}

func (f *fakeRelay) serve(conn net.Conn) {
	defer conn.Close()
	f.mu.Lock()
	f.conns++
	f.mu.Unlock()
	cr := &countingReader{r: conn}
	br := bufio.NewReader(cr)
	reply := func(s string) { io.WriteString(conn, s) }
	reply("220 fake.test ESMTP\r\n")
	var tx *fakeTx
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.TrimRight(line, "\r\n")
		f.mu.Lock()
		f.cmds = append(f.cmds, cmd)
		f.mu.Unlock()
		verb, arg, _ := strings.Cut(cmd, " ")
		switch strings.ToUpper(verb) {
		case "EHLO":
			if f.ehloFails {
				reply("502 5.5.2 EHLO not recognized\r\n")
				continue
			}
			ext := "250-fake.test\r\n"
			if f.pipelining {
				ext += "250-PIPELINING\r\n"
			}
			if f.startTLS != "" {
				ext += "250-STARTTLS\r\n"
			}
			size := f.size
			if size == 0 {
				size = 10_000_000
			}
			reply(ext + "250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n250 SIZE " + strconv.Itoa(size) + "\r\n")
		case "HELO":
			reply("250 fake.test\r\n")
		case "STARTTLS":
			reply(f.startTLS + "\r\n")
		case "MAIL":
			tx = &fakeTx{mail: cmd, reads: []int{cr.n}}
			reply("250 2.1.0 ok\r\n")
		case "RCPT":
			if tx == nil {
				reply("503 5.5.1 MAIL first\r\n")
				continue
			}
			tx.reads = append(tx.reads, cr.n)
			addr := strings.TrimSuffix(strings.TrimPrefix(arg, "TO:<"), ">")
			if f.rejectRcpt != nil && f.rejectRcpt(addr) {
				reply("550 5.1.1 no such user\r\n")
				continue
			}
			tx.rcpts = append(tx.rcpts, addr)
			reply("250 2.1.5 ok\r\n")
		case "DATA":
			if tx == nil {
				reply("503 5.5.1 MAIL first\r\n")
				continue
			}
			tx.reads = append(tx.reads, cr.n)
			if f.dataReply != "" {
				reply(f.dataReply + "\r\n")
				continue
			}
			if len(tx.rcpts) == 0 && !f.always354 {
				reply("554 5.5.1 no valid recipients\r\n")
				continue
			}
			reply("354 go ahead\r\n")
			var raw strings.Builder
			for {
				l, err := br.ReadString('\n')
				if err != nil {
					return
				}
				raw.WriteString(l)
				if l == ".\r\n" {
					break
				}
			}
			tx.raw = raw.String()
			f.mu.Lock()
			f.txs = append(f.txs, tx)
			f.mu.Unlock()
			if len(tx.rcpts) == 0 {
				reply("554 5.5.1 no valid recipients\r\n")
			} else {
				reply("250 2.0.0 queued\r\n")
			}
			tx = nil
			if f.hangUp {
				return
			}
		case "RSET":
			tx = nil
			reply("250 2.0.0 ok\r\n")
		case "QUIT":
			reply("221 2.0.0 bye\r\n")
			return
		default:
			reply("500 5.5.1 unknown command\r\n")
		}
	}
}

func (f *fakeRelay) snapshot() (conns int, txs []*fakeTx, cmds []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.conns, slices.Clone(f.txs), slices.Clone(f.cmds)
}

// sameRead reports whether every command of tx arrived in one read.
func (tx *fakeTx) sameRead() bool {
	for _, n := range tx.reads {
		if n != tx.reads[0] {
			return false
		}
	}
	return true
}

// lockstep reports whether every command of tx arrived in a read of its own.
func (tx *fakeTx) lockstep() bool {
	for i := 1; i < len(tx.reads); i++ {
		if tx.reads[i] <= tx.reads[i-1] {
			return false
		}
	}
	return true
}

const clientMsg = "From: a@example.org\r\nSubject: hi\r\n\r\nline one\r\n.leading dot\r\n"

func TestClientSend(t *testing.T) {
	rejectBob := func(a string) bool { return strings.HasPrefix(a, "bob@") }
	rejectAll := func(string) bool { return true }
	tests := []struct {
		name  string
		relay relayBehaviour
		rcpts []string
		want  []string // reply per rcpt
		// checks on what the relay saw
		wantTxs      int    // transactions that reached the end of DATA
		wantRaw      string // data of the last one
		wantPipeline bool
		wantRSET     bool
		wantNoDATA   bool
	}{
		{
			name:    "pipelined",
			relay:   relayBehaviour{pipelining: true},
			rcpts:   []string{"alice@example.org", "carol@example.org"},
			want:    []string{"250 2.0.0 queued", "250 2.0.0 queued"},
			wantTxs: 1, wantRaw: "From: a@example.org\r\nSubject: hi\r\n\r\nline one\r\n..leading dot\r\n.\r\n",
			wantPipeline: true,
		},
		{
			name:    "lockstep",
			relay:   relayBehaviour{},
			rcpts:   []string{"alice@example.org", "carol@example.org"},
			want:    []string{"250 2.0.0 queued", "250 2.0.0 queued"},
			wantTxs: 1, wantRaw: "From: a@example.org\r\nSubject: hi\r\n\r\nline one\r\n..leading dot\r\n.\r\n",
		},
		{
			name:    "HELO fallback is lockstep",
			relay:   relayBehaviour{pipelining: true, ehloFails: true},
			rcpts:   []string{"alice@example.org"},
			want:    []string{"250 2.0.0 queued"},
			wantTxs: 1, wantRaw: "From: a@example.org\r\nSubject: hi\r\n\r\nline one\r\n..leading dot\r\n.\r\n",
		},
		{
			name:         "pipelined, one recipient refused",
			relay:        relayBehaviour{pipelining: true, rejectRcpt: rejectBob},
			rcpts:        []string{"alice@example.org", "bob@example.org"},
			want:         []string{"250 2.0.0 queued", "550 5.1.1 no such user"},
			wantTxs:      1,
			wantPipeline: true,
		},
		{
			name:         "pipelined, no recipient accepted, DATA refused",
			relay:        relayBehaviour{pipelining: true, rejectRcpt: rejectAll},
			rcpts:        []string{"bob@example.org", "dave@example.org"},
			want:         []string{"550 5.1.1 no such user", "550 5.1.1 no such user"},
			wantPipeline: true, wantRSET: true,
		},
		{
			// RFC 2920 §3.1: only "." may follow, and its reply is irrelevant.
			name:    "pipelined, no recipient accepted, DATA got 354",
			relay:   relayBehaviour{pipelining: true, rejectRcpt: rejectAll, always354: true},
			rcpts:   []string{"bob@example.org"},
			want:    []string{"550 5.1.1 no such user"},
			wantTxs: 1, wantRaw: ".\r\n",
			wantPipeline: true, wantRSET: true,
		},
		{
			name:       "lockstep, no recipient accepted: no DATA",
			relay:      relayBehaviour{rejectRcpt: rejectAll},
			rcpts:      []string{"bob@example.org"},
			want:       []string{"550 5.1.1 no such user"},
			wantRSET:   true,
			wantNoDATA: true,
		},
		{
			name:         "pipelined, DATA refused",
			relay:        relayBehaviour{pipelining: true, rejectRcpt: rejectBob, dataReply: "451 4.3.0 try later"},
			rcpts:        []string{"alice@example.org", "bob@example.org"},
			want:         []string{"451 4.3.0 try later", "550 5.1.1 no such user"},
			wantPipeline: true, wantRSET: true,
		},
		{
			name:     "lockstep, DATA refused",
			relay:    relayBehaviour{dataReply: "554 5.6.0 content rejected"},
			rcpts:    []string{"alice@example.org"},
			want:     []string{"554 5.6.0 content rejected"},
			wantRSET: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			f := newFakeRelay(t, tt.relay)
			c, err := dialSMTP(ctx, &relaySession{addr: f.addr, helo: "client.test"}, defaultTimeouts, nil)
			if err != nil {
				t.Fatal(err)
			}
			if c.pipelining != (tt.relay.pipelining && !tt.relay.ehloFails) {
				t.Errorf("pipelining = %v", c.pipelining)
			}
			res, err := c.send(ctx, "bounces@example.org", tt.rcpts, testMsg(clientMsg))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range res {
				got = append(got, r.String())
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("replies = %q, want %q", got, tt.want)
			}
			if c.broken {
				t.Error("session marked broken")
			}
			c.close(ctx)

			_, txs, cmds := f.snapshot()
			if len(txs) != tt.wantTxs {
				t.Fatalf("relay saw %d transactions, want %d", len(txs), tt.wantTxs)
			}
			if tt.wantRaw != "" && txs[len(txs)-1].raw != tt.wantRaw {
				t.Errorf("data on the wire = %q, want %q", txs[len(txs)-1].raw, tt.wantRaw)
			}
			var mail string
			for _, cmd := range cmds {
				if strings.HasPrefix(cmd, "MAIL") {
					mail = cmd
				}
			}
			wantMail := "MAIL FROM:<bounces@example.org> BODY=8BITMIME SIZE=" + strconv.Itoa(len(clientMsg))
			if tt.relay.ehloFails {
				wantMail = "MAIL FROM:<bounces@example.org>"
			}
			if mail != wantMail {
				t.Errorf("MAIL = %q, want %q", mail, wantMail)
			}
			if got := slices.Contains(cmds, "RSET"); got != tt.wantRSET {
				t.Errorf("RSET sent = %v, want %v (commands %q)", got, tt.wantRSET, cmds)
			}
			if got := slices.Contains(cmds, "DATA"); got == tt.wantNoDATA {
				t.Errorf("DATA sent = %v (commands %q)", got, cmds)
			}
			if cmds[len(cmds)-1] != "QUIT" {
				t.Errorf("last command %q, want QUIT", cmds[len(cmds)-1])
			}
			for _, tx := range txs {
				if tt.wantPipeline && !tx.sameRead() {
					t.Errorf("MAIL, RCPT and DATA came in reads %v, want one", tx.reads)
				}
				if !tt.wantPipeline && !tx.lockstep() {
					t.Errorf("commands came in reads %v, want one each", tx.reads)
				}
			}
		})
	}
}

// A message over the relay's SIZE limit fails at once, as the relay would fail it.
func TestClientSizeLimit(t *testing.T) {
	f := newFakeRelay(t, relayBehaviour{pipelining: true, size: 10})
	ctx := t.Context()
	c, err := dialSMTP(ctx, &relaySession{addr: f.addr, helo: "client.test"}, defaultTimeouts, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.close(ctx)
	res, err := c.send(ctx, "", []string{"alice@example.org"}, testMsg(clientMsg))
	if err != nil {
		t.Fatal(err)
	}
	want := "552 5.3.4 message size " + strconv.Itoa(len(clientMsg)) + " exceeds the relay's limit of 10"
	if got := res[0].String(); got != want {
		t.Errorf("reply %q, want %q", got, want)
	}
	if _, _, cmds := f.snapshot(); len(cmds) != 1 {
		t.Errorf("commands after EHLO: %q", cmds[1:])
	}
}

// errMsg fails after writing part of a message.
type errMsg struct{}

func (errMsg) WriteTo(w io.Writer) (int64, error) {
	n, _ := io.WriteString(w, "Subject: half\r\n\r\nhalf a mess")
	return int64(n), errors.New("disk read failed")
}

// A message that can't be written in full must never be terminated with ".", or the
// relay would deliver it truncated.
func TestClientWriteErrorNeverTerminates(t *testing.T) {
	f := newFakeRelay(t, relayBehaviour{pipelining: true})
	ctx := t.Context()
	c, err := dialSMTP(ctx, &relaySession{addr: f.addr, helo: "client.test"}, defaultTimeouts, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.send(ctx, "", []string{"alice@example.org"}, errMsg{})
	if err == nil || !strings.Contains(err.Error(), "disk read failed") {
		t.Fatalf("send error = %v", err)
	}
	if !c.broken {
		t.Error("session not marked broken")
	}
	c.close(ctx)
	time.Sleep(50 * time.Millisecond)
	if _, txs, _ := f.snapshot(); len(txs) != 0 {
		t.Errorf("relay completed %d transactions, want 0", len(txs))
	}
}

func TestClientGreeting(t *testing.T) {
	tests := []struct {
		name     string
		greeting string
		wantErr  string
	}{
		{"refused", "554 5.7.1 go away\r\n", "greeting: 554 5.7.1 go away"},
		{"garbage", "hello there\r\n", "malformed reply"},
		{"closed", "", "EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			go func() {
				c, err := l.Accept()
				if err != nil {
					return
				}
				io.WriteString(c, tt.greeting)
				c.Close()
			}()
			_, err = dialSMTP(t.Context(), &relaySession{addr: l.Addr().String(), helo: "client.test"}, defaultTimeouts, nil)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

// A relay that never answers must not hold a worker past its context.
func TestClientContextInterruptsRead(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		io.Copy(io.Discard, c) // silent
	}()
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = dialSMTP(ctx, &relaySession{addr: l.Addr().String(), helo: "client.test"}, defaultTimeouts, nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error = %v, want deadline exceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestReadReply(t *testing.T) {
	tests := []struct {
		in       string
		want     string // String() of the reply
		enhanced string
		lines    int
		err      string
	}{
		{in: "250 ok\r\n", want: "250 ok", lines: 1},
		{in: "250\r\n", want: "250", lines: 1},
		{in: "250 ok\n", want: "250 ok", lines: 1},
		{in: "550 5.1.1 user unknown\r\n", want: "550 5.1.1 user unknown", enhanced: "5.1.1", lines: 1},
		{in: "550 4.1.1 class mismatch\r\n", want: "550 4.1.1 class mismatch", lines: 1},
		{in: "250-fake.test\r\n250-PIPELINING\r\n250 SIZE 100\r\n", want: "250 fake.test PIPELINING SIZE 100", lines: 3},
		{in: "451-4.3.0 one\r\n451 4.3.0 two\r\n", want: "451 4.3.0 one 4.3.0 two", enhanced: "4.3.0", lines: 2},
		{in: "250-a\r\n251 b\r\n", err: "reply code changed"},
		{in: "250-a\r\n", err: "unexpected EOF"},
		{in: "250 a", err: "unexpected EOF"},
		{in: "", err: "EOF"},
		{in: "25\r\n", err: "malformed"},
		{in: "abc ok\r\n", err: "malformed"},
		{in: "650 ok\r\n", err: "malformed"},
		{in: "250_ok\r\n", err: "malformed"},
		{in: "250 " + strings.Repeat("x", maxReplyLine) + "\r\n", err: "too long"},
		{in: strings.Repeat("250-x\r\n", maxReplyLines) + "250 x\r\n", err: "lines"},
	}
	for _, tt := range tests {
		r, err := readReply(bufio.NewReaderSize(strings.NewReader(tt.in), maxReplyLine))
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("readReply(%.40q) error = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("readReply(%.40q): %v", tt.in, err)
			continue
		}
		if r.String() != tt.want || r.enhanced != tt.enhanced || len(r.lines) != tt.lines {
			t.Errorf("readReply(%.40q) = %q enhanced %q lines %d, want %q %q %d",
				tt.in, r.String(), r.enhanced, len(r.lines), tt.want, tt.enhanced, tt.lines)
		}
	}
}

// FuzzReadReply feeds arbitrary server bytes to the reply parser: it must neither
// panic nor loop, and what it accepts must be a well-formed reply.
func FuzzReadReply(f *testing.F) {
	f.Add([]byte("250 ok\r\n"))
	f.Add([]byte("250-a\r\n250-b\r\n250 c\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		br := bufio.NewReaderSize(bytes.NewReader(b), maxReplyLine)
		for range len(b) + 1 { // each reply takes at least 4 bytes
			r, err := readReply(br)
			if err != nil {
				return
			}
			if r.code < 200 || r.code > 599 {
				t.Fatalf("code %d", r.code)
			}
			if len(r.lines) == 0 || len(r.lines) > maxReplyLines {
				t.Fatalf("%d lines", len(r.lines))
			}
			if r.enhanced != "" && r.enhanced[0] != byte('0'+r.code/100) {
				t.Fatalf("enhanced %q for %d", r.enhanced, r.code)
			}
			_ = r.String()
		}
		t.Fatal("parser did not stop")
	})
}
