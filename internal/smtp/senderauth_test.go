package smtp

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"testing"

	"github.com/emersion/go-msgauth/dkim"
	gosmtp "github.com/emersion/go-smtp"

	"listd/internal/lists"
	"listd/internal/store"
	"listd/internal/token"
	"listd/templates"
)

// fakeDNS serves TXT records; other names do not exist, names in slow time out.
type fakeDNS struct {
	txt  map[string][]string
	slow map[string]bool
}

var _ lists.Resolver = (*fakeDNS)(nil)

func (f *fakeDNS) missing(name string) error {
	if f.slow[name] {
		return &net.DNSError{Err: "i/o timeout", Name: name, IsTimeout: true, IsTemporary: true}
	}
	return &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func (f *fakeDNS) LookupTXT(_ context.Context, name string) ([]string, error) {
	if v, ok := f.txt[name]; ok {
		return v, nil
	}
	return nil, f.missing(name)
}

func (f *fakeDNS) LookupMX(_ context.Context, name string) ([]*net.MX, error) {
	return nil, f.missing(name)
}

func (f *fakeDNS) LookupIPAddr(_ context.Context, host string) ([]net.IPAddr, error) {
	return nil, f.missing(host)
}

func (f *fakeDNS) LookupAddr(_ context.Context, addr string) ([]string, error) {
	return nil, f.missing(addr)
}

// TestSenderAuthOverSMTP: over a real connection from 127.0.0.1 (as behind a local
// MTA), a member's From is believed with the member's own envelope, a DKIM signature
// of the member's domain, or the trusted server's Authentication-Results; a forged
// envelope, a stranger's Authentication-Results and a domain that says no are held;
// a DNS timeout is deferred.
func TestSenderAuthOverSMTP(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	dns := &fakeDNS{txt: map[string][]string{
		"s1._domainkey.example.net": {"v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(pub)},
		"_dmarc.reject.example":     {"v=DMARC1; p=reject"},
	}, slow: map[string]bool{"_dmarc.slow.example": true}}
	const mx = "mx.lists.example.org"
	svc, err := lists.New(db, token.NewSigner([]byte("0123456789abcdef0123456789abcdef"), nil),
		lists.Config{Domain: "lists.example.org", BaseURL: "http://127.0.0.1:8080", Language: "de",
			Templates: templates.FS(""), Logger: slog.New(slog.DiscardHandler), Resolver: dns, TrustedAuthServID: mx})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateList(ctx, "kita", lists.ListOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"anna@example.net", "carla@reject.example", "dora@slow.example", "mod@example.org"} {
		o := lists.MemberOptions{}
		if a == "mod@example.org" {
			o = lists.MemberOptions{Role: "moderator", Mode: "nomail"}
		}
		if _, err := svc.AddMember(ctx, "kita", a, o); err != nil {
			t.Fatal(err)
		}
	}
	srv := New(ReceiverFunc(func(ctx context.Context, c lists.Client, from string) (Txn, error) { return svc.Begin(ctx, c, from) }),
		Config{Domain: "lists.example.org", MaxMessageBytes: 1 << 20, MaxRecipients: 10})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Shutdown(context.Background()) })
	l, err := db.ListByName(ctx, "kita")
	if err != nil {
		t.Fatal(err)
	}

	msg := func(i int, from string) string {
		return fmt.Sprintf("From: %s\r\nTo: kita@lists.example.org\r\nSubject: Frage %d\r\nMessage-ID: <sa%d@x>\r\n\r\nHallo\r\n", from, i, i)
	}
	signed := func(m string) string {
		var b bytes.Buffer
		if err := dkim.Sign(&b, strings.NewReader(m), &dkim.SignOptions{Domain: "example.net", Selector: "s1", Signer: priv}); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	tests := []struct {
		name    string
		envFrom string
		raw     func(i int) string
		want    string // archived, held, or an SMTP reply's code and enhanced code
	}{
		{"member's own envelope", "anna@example.net", func(i int) string { return msg(i, "Anna <anna@example.net>") }, "archived"},
		{"forged envelope", "attacker@evil.example", func(i int) string { return msg(i, "Anna <anna@example.net>") }, "held"},
		{"forged envelope, member's domain signed", "bounces@mailer.example", func(i int) string { return signed(msg(i, "anna@example.net")) }, "archived"},
		{"trusted Authentication-Results", "srs0=x@forwarder.example", func(i int) string {
			return "Authentication-Results: " + mx + ";\r\n dkim=pass header.d=reject.example;\r\n dmarc=pass header.from=reject.example\r\n" + msg(i, "carla@reject.example")
		}, "archived"},
		{"a stranger's Authentication-Results", "attacker@evil.example", func(i int) string {
			return "Authentication-Results: mx.evil.example; dmarc=pass header.from=reject.example\r\n" + msg(i, "carla@reject.example")
		}, "held"},
		{"dmarc p=reject, own envelope, unsigned", "carla@reject.example", func(i int) string { return msg(i, "carla@reject.example") }, "held"},
		{"dns timeout", "dora@slow.example", func(i int) string { return msg(i, "dora@slow.example") }, "451 4.4.3"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, _ := db.Messages(ctx, l.ID, 1000, 0)
			heldBefore, _ := db.HeldPosts(ctx, l.ID, "held")
			c, err := gosmtp.Dial(ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			err = c.SendMail(tt.envFrom, []string{"kita@lists.example.org"}, strings.NewReader(tt.raw(i)))
			after, _ := db.Messages(ctx, l.ID, 1000, 0)
			heldAfter, _ := db.HeldPosts(ctx, l.ID, "held")
			got := ""
			var se *gosmtp.SMTPError
			switch {
			case errors.As(err, &se):
				got = fmt.Sprintf("%d %d.%d.%d", se.Code, se.EnhancedCode[0], se.EnhancedCode[1], se.EnhancedCode[2])
			case err != nil:
				t.Fatal(err)
			case len(after) == len(before)+1 && len(heldAfter) == len(heldBefore):
				got = "archived"
			case len(after) == len(before) && len(heldAfter) == len(heldBefore)+1:
				got = "held"
			}
			if got != tt.want {
				t.Errorf("got %q (err %v), want %q", got, err, tt.want)
			}
		})
	}
}
