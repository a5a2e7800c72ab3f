package smtp

import (
	"bufio"
	"context"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"listd/internal/lists"
	"listd/internal/store"
	"listd/internal/token"
	"listd/templates"
)

// newServer starts an SMTP (or LMTP) server on 127.0.0.1 over a real store with one
// list "kita" whose member is anna@example.net.
func newServer(t *testing.T, lmtp bool) string {
	t.Helper()
	return newServerWith(t, Config{Domain: "lists.example.org", MaxMessageBytes: 4096, MaxRecipients: 10, LMTP: lmtp})
}

// newServerWith is newServer with the given settings.
func newServerWith(t *testing.T, cfg Config) string {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	svc, err := lists.New(db, token.NewSigner([]byte("0123456789abcdef0123456789abcdef"), nil),
		lists.Config{Domain: "lists.example.org", BaseURL: "http://127.0.0.1:8080", Language: "de",
			Templates: templates.FS(""), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateList(ctx, "kita", lists.ListOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AddMember(ctx, "kita", "anna@example.net", lists.MemberOptions{}); err != nil {
		t.Fatal(err)
	}
	srv := New(ReceiverFunc(func(ctx context.Context, c lists.Client, from string) (Txn, error) { return svc.Begin(ctx, c, from) }),
		cfg)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Shutdown(context.Background()) })
	return l.Addr().String()
}

type step struct {
	send string // a line without CRLF; "" sends nothing
	want string // the reply must start with this
}

// dialogue runs steps against the server and checks every reply's code.
func dialogue(t *testing.T, addr string, steps []step) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	readReply := func() string {
		var last string
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				t.Fatalf("read: %v (after %q)", err, last)
			}
			last = strings.TrimRight(line, "\r\n")
			if len(last) < 4 || last[3] != '-' {
				return last
			}
		}
	}
	if g := readReply(); !strings.HasPrefix(g, "220") {
		t.Fatalf("greeting %q", g)
	}
	for i, s := range steps {
		if s.send != "" || s.want == "" {
			if _, err := c.Write([]byte(s.send + "\r\n")); err != nil {
				t.Fatal(err)
			}
		}
		if s.want == "" {
			continue
		}
		if got := readReply(); !strings.HasPrefix(got, s.want) {
			t.Fatalf("step %d %q: reply %q, want %q", i, s.send, got, s.want)
		}
	}
}

func TestDialogues(t *testing.T) {
	addr := newServer(t, false)
	msg := []step{
		{"From: anna@example.net", ""}, {"Subject: Hallo", ""}, {"", ""}, {"Hallo", ""},
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"member posts", append(append([]step{
			{"EHLO client.example.net", "250"},
			{"MAIL FROM:<anna@example.net>", "250"},
			{"RCPT TO:<kita@lists.example.org>", "250"},
			{"DATA", "354"},
		}, msg...), step{".", "250 2.0.0"}, step{"QUIT", "221"})},
		{"unknown list", []step{
			{"EHLO client.example.net", "250"},
			{"MAIL FROM:<anna@example.net>", "250"},
			{"RCPT TO:<nosuch@lists.example.org>", "550 5.1.1"},
		}},
		{"never a relay", []step{
			{"EHLO client.example.net", "250"},
			{"MAIL FROM:<anna@example.net>", "250"},
			{"RCPT TO:<someone@example.com>", "550 5.1.1"},
		}},
		{"one list per transaction", []step{
			{"EHLO client.example.net", "250"},
			{"MAIL FROM:<anna@example.net>", "250"},
			{"RCPT TO:<kita@lists.example.org>", "250"},
			{"RCPT TO:<kita@lists.example.org>", "452 4.5.3"},
		}},
		{"rcpt before mail", []step{
			{"EHLO client.example.net", "250"},
			{"RCPT TO:<kita@lists.example.org>", "5"},
		}},
		{"data before rcpt", []step{
			{"EHLO client.example.net", "250"},
			{"MAIL FROM:<anna@example.net>", "250"},
			{"DATA", "5"},
		}},
		{"size announced too large", []step{
			{"EHLO client.example.net", "250"},
			{"MAIL FROM:<anna@example.net> SIZE=100000", "552"},
		}},
		{"stranger refused after data", append(append([]step{
			{"EHLO client.example.net", "250"},
			{"MAIL FROM:<eve@example.com>", "250"},
			{"RCPT TO:<kita@lists.example.org>", "250"},
			{"DATA", "354"},
		}, step{"From: eve@example.com", ""}, step{"", ""}, step{"x", ""}), step{".", "550 5.7.1"})},
		{"too large data", append([]step{
			{"EHLO client.example.net", "250"},
			{"MAIL FROM:<anna@example.net>", "250"},
			{"RCPT TO:<kita@lists.example.org>", "250"},
			{"DATA", "354"},
			{"From: anna@example.net", ""}, {"", ""},
		}, append(repeat(step{strings.Repeat("x", 70), ""}, 80), step{".", "552 5.3.4 Die Nachricht ist größer als"})...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { dialogue(t, addr, tt.steps) })
	}
}

func TestLMTPPerRecipient(t *testing.T) {
	addr := newServer(t, true)
	dialogue(t, addr, []step{
		{"LHLO mta.example.org", "250"},
		{"MAIL FROM:<anna@example.net>", "250"},
		{"RCPT TO:<kita@lists.example.org>", "250"},
		{"RCPT TO:<kita@lists.example.org>", "250"},
		{"DATA", "354"},
		{"From: anna@example.net", ""}, {"Message-ID: <x@y>", ""}, {"", ""}, {"Hallo", ""},
		{".", "250"},
		{"", "250"}, // the second recipient's own reply (the same post: a duplicate, accepted)
	})
}

func repeat(s step, n int) []step {
	out := make([]step, n)
	for i := range out {
		out[i] = s
	}
	return out
}
