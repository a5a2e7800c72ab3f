// Package e2e drives the built listd binary from the outside, as an operator and mail
// clients would: real processes, real sockets on 127.0.0.1, real SMTP clients.
package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"
)

// listdBin is the binary under test, built once by TestMain.
var listdBin string

// dns answers every daemon's DNS look-ups (dns_test.go).
var dns *dnsServer

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "listd-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if dns, err = startDNS(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	listdBin = filepath.Join(dir, "listd")
	if env := os.Getenv("LISTD_BIN"); env != "" {
		listdBin = env
	} else {
		cmd := exec.Command("go", "build", "-tags", "sqlite_fts5", "-o", listdBin, "../cmd/listd")
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "build listd:", err)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const domain = "lists.example.org"

// daemon is one listd with its own data dir and config.
type daemon struct {
	t        *testing.T
	dir      string
	config   string
	cmd      *exec.Cmd
	log      *syncBuffer
	exited   chan struct{}
	addrs    map[string]string // proto → address it listens on
	httpBase string
	serve    []string // more arguments of listd serve
}

type options struct {
	relay  string // "" keeps mail in the outbox
	lmtp   bool
	extra  string // more TOML
	maxMsg int64
	imap   bool // serve IMAP on 127.0.0.1 too
}

func newDaemon(t *testing.T, o options) *daemon {
	t.Helper()
	dir := t.TempDir()
	d := &daemon{t: t, dir: dir, config: filepath.Join(dir, "listd.toml"), log: &syncBuffer{}}
	var b strings.Builder
	fmt.Fprintf(&b, "domain = %q\ndata_dir = %q\nbase_url = \"http://127.0.0.1:8080\"\nlanguage = \"de\"\nresolver = %q\n",
		domain, filepath.Join(dir, "data"), dns.addr)
	fmt.Fprintf(&b, "[smtp]\nlisten = \"127.0.0.1:0\"\n")
	if o.maxMsg > 0 {
		fmt.Fprintf(&b, "max_message_size = %d\n", o.maxMsg)
	}
	if o.lmtp {
		fmt.Fprintf(&b, "[lmtp]\nlisten = \"127.0.0.1:0\"\n")
	}
	imapListen := ""
	if o.imap {
		imapListen = "127.0.0.1:0"
	}
	fmt.Fprintf(&b, "[imap]\nlisten = %q\n[http]\nlisten = \"127.0.0.1:0\"\n[relay]\naddress = %q\n%s", imapListen, o.relay, o.extra)
	if err := os.WriteFile(d.config, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if d.cmd != nil && d.running() {
			d.stopForCoverage()
			d.cmd.Process.Kill()
			<-d.exited
		}
		if t.Failed() {
			t.Logf("listd log:\n%s", d.log.String())
		}
	})
	return d
}

// stopForCoverage stops a binary built with -cover (GOCOVERDIR set, see `make cover`)
// with SIGTERM, so that it writes its coverage counters; a killed process writes none.
func (d *daemon) stopForCoverage() {
	if os.Getenv("GOCOVERDIR") == "" {
		return
	}
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.exited:
	case <-time.After(10 * time.Second):
	}
}

// cli runs a listd command against the daemon's config and returns its stdout.
func (d *daemon) cli(args ...string) (string, error) {
	d.t.Helper()
	cmd := exec.Command(listdBin, append([]string{"-config", d.config}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if err != nil {
		return out.String(), fmt.Errorf("listd %s: %v: %s", strings.Join(args, " "), err, errb.String())
	}
	return out.String(), nil
}

func (d *daemon) mustCLI(args ...string) string {
	d.t.Helper()
	out, err := d.cli(args...)
	if err != nil {
		d.t.Fatal(err)
	}
	return out
}

var listeningRE = regexp.MustCompile(`msg=listening proto=(\w+) addr=(\S+)`)

// start runs `listd serve` and waits until it listens and /healthz answers.
func (d *daemon) start() {
	d.t.Helper()
	if d.log == nil {
		d.log = &syncBuffer{}
	}
	cmd := exec.Command(listdBin, append([]string{"-config", d.config, "serve"}, d.serve...)...)
	pr, pw := io.Pipe()
	cmd.Stdout = io.Discard
	cmd.Stderr = pw
	if err := cmd.Start(); err != nil {
		d.t.Fatal(err)
	}
	d.cmd, d.exited, d.addrs = cmd, make(chan struct{}), map[string]string{}
	go func() {
		cmd.Wait()
		pw.Close()
		close(d.exited)
	}()
	found := make(chan [2]string, 8)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			line := sc.Text()
			d.log.WriteString(line + "\n")
			if m := listeningRE.FindStringSubmatch(line); m != nil {
				found <- [2]string{m[1], m[2]}
			}
		}
	}()
	deadline := time.After(20 * time.Second)
	wantIMAP := strings.Contains(mustRead(d.t, d.config), "[imap]\nlisten = \"127.0.0.1:0\"")
	for d.addrs["http"] == "" || d.addrs["smtp"] == "" || (wantIMAP && d.addrs["imap"] == "") {
		select {
		case f := <-found:
			d.addrs[f[0]] = f[1]
		case <-d.exited:
			d.t.Fatalf("listd serve exited at start:\n%s", d.log.String())
		case <-deadline:
			d.t.Fatalf("listd serve did not start:\n%s", d.log.String())
		}
	}
	// LMTP, when configured, is announced right after SMTP.
	if strings.Contains(mustRead(d.t, d.config), "[lmtp]") && d.addrs["lmtp"] == "" {
		select {
		case f := <-found:
			d.addrs[f[0]] = f[1]
		case <-time.After(5 * time.Second):
		}
	}
	d.httpBase = "http://" + d.addrs["http"]
	for i := 0; ; i++ {
		resp, err := http.Get(d.httpBase + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		if i > 200 {
			d.t.Fatalf("healthz never answered: %v", err)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func (d *daemon) running() bool {
	select {
	case <-d.exited:
		return false
	default:
		return true
	}
}

// kill stops the daemon as a crash would.
func (d *daemon) kill() {
	d.cmd.Process.Signal(syscall.SIGKILL)
	<-d.exited
}

// stop sends SIGTERM and returns the exit code.
func (d *daemon) stop(timeout time.Duration) int {
	d.t.Helper()
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.exited:
	case <-time.After(timeout):
		d.t.Fatalf("listd did not exit within %v after SIGTERM", timeout)
	}
	return d.cmd.ProcessState.ExitCode()
}

func mustRead(t *testing.T, path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) WriteString(x string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b.WriteString(x)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// send posts raw from envelope sender from to rcpts over SMTP and returns the error of
// the first step that failed (a *gosmtp.SMTPError for a refusal).
func send(addr, from string, rcpts []string, raw string) error {
	c, err := gosmtp.Dial(addr)
	if err != nil {
		return err
	}
	return transact(c, from, rcpts, raw)
}

// transact sends raw over c in one mail transaction, then quits and closes c.
func transact(c *gosmtp.Client, from string, rcpts []string, raw string) error {
	defer c.Close()
	if err := c.Hello("client.example.net"); err != nil {
		return err
	}
	if err := c.Mail(from, nil); err != nil {
		return err
	}
	for _, r := range rcpts {
		if err := c.Rcpt(r, nil); err != nil {
			return err
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := io.WriteString(w, raw); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

// sink is a relay that keeps what it receives.
type sink struct {
	srv   *gosmtp.Server
	addr  string
	mu    sync.Mutex
	msgs  []sunk
	delay time.Duration
	// fail, if set, decides a reply for a recipient: nil accepts.
	fail func(rcpt string) error
}

type sunk struct {
	From string
	To   string
	Data []byte
}

func newSink(t *testing.T) *sink {
	t.Helper()
	return newSinkAt(t, "127.0.0.1:0")
}

func newSinkAt(t *testing.T, addr string) *sink {
	t.Helper()
	s := &sink{}
	s.srv = gosmtp.NewServer(gosmtp.BackendFunc(func(c *gosmtp.Conn) (gosmtp.Session, error) {
		return &sinkSession{s: s}, nil
	}))
	s.srv.Domain = "sink.example.net"
	s.srv.ErrorLog = log.New(io.Discard, "", 0) // a killed listd resets connections; that is expected
	s.srv.MaxRecipients = 1000
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	s.addr = l.Addr().String()
	go s.srv.Serve(l)
	t.Cleanup(func() { s.srv.Close() })
	return s
}

func (s *sink) snapshot() []sunk {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]sunk(nil), s.msgs...)
}

// waitFor waits until the sink holds at least n messages.
func (s *sink) waitFor(t *testing.T, n int, timeout time.Duration) []sunk {
	t.Helper()
	end := time.Now().Add(timeout)
	for {
		got := s.snapshot()
		if len(got) >= n {
			return got
		}
		if time.Now().After(end) {
			t.Fatalf("sink has %d messages, want %d", len(got), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type sinkSession struct {
	s     *sink
	from  string
	rcpts []string
}

func (x *sinkSession) Reset()        { x.from, x.rcpts = "", nil }
func (x *sinkSession) Logout() error { return nil }
func (x *sinkSession) Mail(from string, _ *gosmtp.MailOptions) error {
	x.from = from
	return nil
}
func (x *sinkSession) Rcpt(to string, _ *gosmtp.RcptOptions) error {
	if x.s.fail != nil {
		if err := x.s.fail(to); err != nil {
			return err
		}
	}
	x.rcpts = append(x.rcpts, to)
	return nil
}
func (x *sinkSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if x.s.delay > 0 {
		time.Sleep(x.s.delay)
	}
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	for _, to := range x.rcpts {
		x.s.msgs = append(x.s.msgs, sunk{From: x.from, To: to, Data: b})
	}
	return nil
}

// waitEveryRecipient waits until n distinct recipients have a copy and returns how
// many copies came more than once.
func (s *sink) waitEveryRecipient(t *testing.T, n int, timeout time.Duration) int {
	t.Helper()
	end := time.Now().Add(timeout)
	for {
		per := map[string]int{}
		for _, m := range s.snapshot() {
			per[m.To]++
		}
		if len(per) >= n {
			dups := 0
			for _, c := range per {
				dups += c - 1
			}
			return dups
		}
		if time.Now().After(end) {
			t.Fatalf("only %d of %d recipients got a copy", len(per), n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// importMembers adds n members named format (with one %04d) to list through
// `listd member import`, with extra options such as "-mode", "digest".
func (d *daemon) importMembers(list, format string, n int, extra ...string) {
	d.t.Helper()
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, format+"\n", i)
	}
	file := filepath.Join(d.dir, list+"-members.txt")
	if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
		d.t.Fatal(err)
	}
	if out := d.mustCLI(append([]string{"member", "import", list, file}, extra...)...); !strings.Contains(out, fmt.Sprintf("imported %d", n)) {
		d.t.Fatalf("import: %s", out)
	}
}
