package imap

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// FuzzFilterHeader checks that HEADER.FIELDS never panics, keeps only whole lines of
// the header, and always ends with the blank line.
func FuzzFilterHeader(f *testing.F) {
	f.Add([]byte("From: a@b\r\nSubject: x\r\n folded\r\nTo: c@d\r\n\r\n"), "subject,to", false)
	f.Add([]byte(" leading continuation\r\nX: y\r\n\r\n"), "x", true)
	f.Add([]byte("no colon\r\n\r\n"), "", false)
	f.Add([]byte("A: 1\nB: 2\n\n"), "a", true)
	f.Fuzz(func(t *testing.T, hdr []byte, names string, not bool) {
		out := filterHeader(hdr, strings.Split(names, ","), not)
		if !bytes.HasSuffix(out, []byte("\r\n")) {
			t.Fatalf("no blank line: %q", out)
		}
		body := out[:len(out)-2]
		for len(body) > 0 {
			line := body
			if i := bytes.IndexByte(body, '\n'); i >= 0 {
				line = body[:i+1]
			}
			if !bytes.Contains(hdr, line) {
				t.Fatalf("line %q is not from the header %q", line, hdr)
			}
			body = body[len(line):]
		}
	})
}

// FuzzSASLLogin checks the LOGIN mechanism with any responses.
func FuzzSASLLogin(f *testing.F) {
	f.Add([]byte("anna@example.net"), []byte("secret"), []byte("more"), true)
	f.Add([]byte(""), []byte(""), []byte(""), false)
	f.Fuzz(func(t *testing.T, a, b, c []byte, initial bool) {
		var got [2]string
		l := &loginServer{auth: func(u, p string) error { got = [2]string{u, p}; return nil }}
		resp := []byte(nil)
		if initial {
			resp = a
		}
		done := false
		for i, r := range [][]byte{resp, a, b, c} {
			if initial && i == 1 {
				continue
			}
			_, d, err := l.Next(r)
			if d {
				done = true
				break
			}
			if err != nil {
				return
			}
		}
		if !done {
			t.Fatal("never done")
		}
		if got[0] != string(a) || got[1] != string(b) {
			t.Fatalf("auth(%q, %q)", got[0], got[1])
		}
	})
}

// panicLog notices imapserver's report of a panic it recovered from.
type panicLog struct {
	mu  sync.Mutex
	msg string
}

func (p *panicLog) Enabled(context.Context, slog.Level) bool { return true }
func (p *panicLog) Handle(_ context.Context, r slog.Record) error {
	text := r.Message
	r.Attrs(func(a slog.Attr) bool { text += " " + a.Value.String(); return true })
	if strings.Contains(text, "panic") {
		p.mu.Lock()
		p.msg = text
		p.mu.Unlock()
	}
	return nil
}
func (p *panicLog) WithAttrs([]slog.Attr) slog.Handler { return p }
func (p *panicLog) WithGroup(string) slog.Handler      { return p }

// FuzzSession sends any command lines to a logged-in session with a mailbox selected
// (an archive or a moderation folder) and checks that the server neither panics nor
// stops answering.
func FuzzSession(f *testing.F) {
	for _, seed := range []string{
		"FETCH 1:* (FLAGS ENVELOPE BODYSTRUCTURE BODY.PEEK[HEADER.FIELDS (SUBJECT)] BODY[1.MIME] BODY[]<0.10>)",
		"UID FETCH 1:* (RFC822.SIZE BINARY.PEEK[1] BINARY.SIZE[1] RFC822 RFC822.HEADER RFC822.TEXT)",
		"SEARCH OR TEXT kita NOT BODY x HEADER List-Id kita LARGER 10 SINCE 1-Jan-2024 UNSEEN 1:*",
		"UID SEARCH UID 1:* SENTBEFORE 1-Jan-2030 FROM via",
		"STORE 1:* +FLAGS (\\Seen \\Deleted \\Flagged)",
		"UID MOVE 1:* Moderation/halt/Approve",
		"COPY 2 Moderation/halt/Reject",
		"EXPUNGE",
		"STATUS kita (MESSAGES UNSEEN UIDNEXT UIDVALIDITY SIZE)",
		"LIST \"\" *",
		"SELECT Moderation/halt",
		"FETCH 4294967295 (BODY[99.1.HEADER])",
		"UID FETCH 0:4294967295 (UID)",
		"SEARCH CHARSET UTF-8 TEXT \"\xc3\xa4\"",
		"IDLE",
	} {
		f.Add(seed)
	}
	plog := &panicLog{}
	fx := newFixture(f, func(c *Config) { c.Logger = slog.New(plog) })
	fx.post("kita", "anna@example.net", postText("Anna <anna@example.net>", "Kitaplatz", "f1@x", "Text\r\n"))
	fx.post("halt", "anna@example.net", postText("Anna <anna@example.net>", "Halt 1", "f2@x", "Text\r\n"))
	fx.post("halt", "anna@example.net", postText("Anna <anna@example.net>", "Halt 2", "f3@x", "Text\r\n"))
	f.Fuzz(func(t *testing.T, line string) {
		// Literals would wait for bytes that never come.
		if strings.ContainsAny(line, "\r\n{") {
			return
		}
		conn, err := net.DialTimeout("tcp", fx.addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		r := bufio.NewReader(conn)
		expect := func(tag string) string {
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return "closed"
				}
				if strings.HasPrefix(l, tag+" ") {
					return l
				}
				if strings.HasPrefix(l, "+ ") && tag == "a" {
					// IDLE or a literal wants more: end it.
					fmt.Fprintf(conn, "DONE\r\n")
				}
			}
		}
		r.ReadString('\n') // greeting
		mailbox := "kita"
		if len(line)%2 == 1 {
			mailbox = "Moderation/halt"
		}
		fmt.Fprintf(conn, "l LOGIN mod@example.net %s\r\n", fx.pw["mod@example.net"])
		if l := expect("l"); !strings.HasPrefix(l, "l OK") {
			t.Fatalf("login: %s", l)
		}
		fmt.Fprintf(conn, "s SELECT %s\r\n", mailbox)
		expect("s")
		fmt.Fprintf(conn, "a %s\r\n", line)
		if l := expect("a"); l == "timeout" {
			t.Fatalf("no answer to %q", line)
		}
		fmt.Fprintf(conn, "z NOOP\r\n")
		l := expect("z")
		if l == "timeout" {
			t.Fatalf("no answer to NOOP after %q", line)
		}
		plog.mu.Lock()
		msg := plog.msg
		plog.mu.Unlock()
		if msg != "" {
			t.Fatalf("server panicked on %q: %s", line, msg)
		}
		if l == "closed" {
			// A connection may end after a bad command (or LOGOUT); a new one must
			// still work.
			c2, err := net.DialTimeout("tcp", fx.addr, 5*time.Second)
			if err != nil {
				t.Fatalf("server gone after %q: %v", line, err)
			}
			c2.Close()
		}
	})
}
