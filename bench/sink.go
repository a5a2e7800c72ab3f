package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/emersion/go-smtp"
)

// A sink is an SMTP server on loopback that accepts and discards listd's outbound
// mail and counts it. Both kinds see each message arrive, so the time of the last
// arrival comes from the sink itself.
type sink interface {
	Name() string
	// Count returns the number of completed mail transactions (the final "." was
	// answered) and when the last of them completed.
	Count() (n int64, last time.Time)
	// Err is non-nil once the sink has died.
	Err() error
	Stop() error
}

// counter is the shared bookkeeping of both sinks.
type counter struct {
	mu   sync.Mutex
	n    int64
	last time.Time
}

func (c *counter) set(n int64, at time.Time) {
	c.mu.Lock()
	if n > c.n {
		c.n, c.last = n, at
	}
	c.mu.Unlock()
}

func (c *counter) add(at time.Time) {
	c.mu.Lock()
	c.n++
	c.last = at
	c.mu.Unlock()
}

func (c *counter) Count() (int64, time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n, c.last
}

// findSMTPSink returns the path of Postfix's smtp-sink, or "".
func findSMTPSink() string {
	if p, err := exec.LookPath("smtp-sink"); err == nil {
		return p
	}
	for _, p := range []string{"/usr/sbin/smtp-sink", "/usr/lib/postfix/smtp-sink", "/usr/libexec/postfix/smtp-sink"} {
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}

// startSink starts the sink that kind asks for ("auto", "smtp-sink", "go") on addr.
func startSink(ctx context.Context, kind, addr, logPath string) (sink, error) {
	path := ""
	if kind != "go" {
		path = findSMTPSink()
		if path == "" && kind == "smtp-sink" {
			return nil, errors.New("-sink smtp-sink: Postfix's smtp-sink is not installed (Debian: apt-get install postfix)")
		}
	}
	if path != "" {
		return startPostfixSink(ctx, path, addr, logPath)
	}
	return startGoSink(addr, logPath)
}

// postfixSink runs Postfix's smtp-sink:
//
//	smtp-sink -c -4 127.0.0.1:PORT 1024      (as user nobody when the driver is root)
//
// -c prints running counters ("sess=S quit=Q mesg=M", ended by \r) on stdout after
// every completed transaction, session end and QUIT; the driver reads them from a pipe
// and timestamps each update. -4 binds IPv4 only (the address is 127.0.0.1 anyway).
// smtp-sink refuses to run as root without -u USER; the driver starts it as nobody
// instead (its -u would clear the parent-death signal that stops it with the driver).
// 1024 is the listen backlog. smtp-sink advertises PIPELINING and answers at once,
// so the sink is never the bottleneck.
type postfixSink struct {
	counter
	name string
	p    *proc
	read chan struct{} // closed when the counter pipe is drained
}

func startPostfixSink(ctx context.Context, path, addr, logPath string) (*postfixSink, error) {
	args := []string{"-c", "-4", addr, "1024"}
	cmd := exec.Command(path, args...)
	cmd.SysProcAttr = sysProcAttr()
	if os.Geteuid() == 0 {
		// smtp-sink refuses to run as root without -u USER, but its own switch to
		// USER would clear the parent-death signal; so it starts as nobody instead.
		cred, err := nobody()
		if err != nil {
			return nil, fmt.Errorf("smtp-sink must not run as root, and %w", err)
		}
		cmd.SysProcAttr.Credential = cred
	}
	// An os.Pipe of our own rather than StdoutPipe: Wait (in another goroutine)
	// must not close the read end under the counter reader.
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd.Stdout = pw
	logf, err := os.Create(logPath)
	if err != nil {
		pr.Close()
		pw.Close()
		return nil, err
	}
	cmd.Stderr = logf
	s := &postfixSink{name: "postfix smtp-sink", read: make(chan struct{})}
	if v := postfixVersion(ctx); v != "" {
		s.name += " " + v
	}
	p, err := startProc("smtp-sink "+strings.Join(args, " "), cmd, "")
	logf.Close() // the child has its own copies of these
	pw.Close()
	if err != nil {
		pr.Close()
		return nil, err
	}
	p.logPath = logPath
	s.p = p
	go func() {
		defer close(s.read)
		defer pr.Close()
		readSinkCounters(pr, func(n int64) { s.set(n, time.Now()) })
	}()
	if err := waitTCP(ctx, addr, p, 10*time.Second); err != nil {
		s.Stop()
		return nil, fmt.Errorf("smtp-sink did not start: %w", err)
	}
	return s, nil
}

func (s *postfixSink) Name() string { return s.name }

func (s *postfixSink) Err() error {
	if s.p.exited() {
		return s.p.exitError()
	}
	return nil
}

func (s *postfixSink) Stop() error {
	err := s.p.stop(5 * time.Second)
	select {
	case <-s.read:
	case <-time.After(2 * time.Second):
	}
	return err
}

// readSinkCounters parses smtp-sink -c output: records like "sess=1 quit=0 mesg=2"
// separated by \r (or \n), calling got with each mesg value.
func readSinkCounters(r io.Reader, got func(mesg int64)) {
	sc := bufio.NewScanner(r)
	sc.Split(splitCROrLF)
	for sc.Scan() {
		if n, ok := parseSinkMesg(sc.Text()); ok {
			got(n)
		}
	}
	// On error (the sink died) there is nothing more to count; Err reports the death.
	_, _ = io.Copy(io.Discard, r)
}

func splitCROrLF(data []byte, atEOF bool) (advance int, token []byte, err error) {
	if i := bytes.IndexAny(data, "\r\n"); i >= 0 {
		return i + 1, data[:i], nil
	}
	if atEOF && len(data) > 0 {
		return len(data), data, nil
	}
	return 0, nil, nil
}

// parseSinkMesg takes "mesg=N" out of one smtp-sink counter record.
func parseSinkMesg(rec string) (int64, bool) {
	for _, f := range strings.Fields(rec) {
		if v, ok := strings.CutPrefix(f, "mesg="); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}

// nobody returns the credentials of the user nobody.
func nobody() (*syscall.Credential, error) {
	u, err := user.Lookup("nobody")
	if err != nil {
		return nil, fmt.Errorf("there is no user nobody: %v", err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("user nobody has uid %q, gid %q", u.Uid, u.Gid)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}, nil
}

// postfixVersion returns Postfix's mail_version ("3.7.11"), or "".
func postfixVersion(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "postconf", "-h", "mail_version").Output()
	if err != nil {
		return ""
	}
	v := strings.TrimSpace(string(out))
	if strings.ContainsAny(v, " \t\n") {
		return ""
	}
	return v
}

// goSink is the fallback: an in-process go-smtp server that reads and discards each
// message and counts it when it has been read in full, just before the 250 reply.
type goSink struct {
	counter
	bytes atomic.Int64 // message bytes received
	// seen, when set before the first message, is told each message's load-test
	// post number (readPostTag) and when it arrived in full.
	seen     func(tag string, at time.Time)
	srv      *smtp.Server
	l        net.Listener
	mu       sync.Mutex
	serveErr error
	stopped  bool
}

func startGoSink(addr, logPath string) (*goSink, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("go sink: %w", err)
	}
	s := &goSink{l: l}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &sinkSession{s: s}, nil }))
	srv.Domain = "sink.localhost"
	srv.ReadTimeout = time.Minute
	srv.WriteTimeout = time.Minute
	srv.MaxMessageBytes = 64 << 20
	srv.MaxRecipients = 0
	if f, err := os.Create(logPath); err == nil {
		srv.ErrorLog = log.New(f, "sink ", log.LstdFlags|log.Lmicroseconds)
	} else {
		srv.ErrorLog = log.New(io.Discard, "", 0)
	}
	s.srv = srv
	go func() {
		err := srv.Serve(l)
		s.mu.Lock()
		if !s.stopped {
			s.serveErr = err
			if s.serveErr == nil {
				s.serveErr = errors.New("go sink stopped serving")
			}
		}
		s.mu.Unlock()
	}()
	return s, nil
}

func (s *goSink) Name() string { return "go-smtp (in-process, fallback)" }

func (s *goSink) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.serveErr
}

func (s *goSink) Stop() error {
	s.mu.Lock()
	s.stopped = true
	s.mu.Unlock()
	return s.srv.Close()
}

type sinkSession struct{ s *goSink }

func (*sinkSession) Reset()                               {}
func (*sinkSession) Logout() error                        { return nil }
func (*sinkSession) Mail(string, *smtp.MailOptions) error { return nil }
func (*sinkSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (ss *sinkSession) Data(r io.Reader) error {
	id := ""
	if ss.s.seen != nil {
		br := bufio.NewReader(r)
		id, r = readPostTag(br), br
	}
	n, err := io.Copy(io.Discard, r)
	if err != nil {
		return err
	}
	now := time.Now()
	ss.s.bytes.Add(n)
	ss.s.add(now)
	if ss.s.seen != nil {
		ss.s.seen(id, now)
	}
	return nil
}
