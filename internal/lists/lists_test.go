package lists

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"listd/internal/archive"
	"listd/internal/store"
	"listd/internal/token"
	"listd/templates"
)

func newService(t testing.TB) (*Service, *store.DB, *token.Signer) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	signer := token.NewSigner([]byte("0123456789abcdef0123456789abcdef"), nil)
	s, err := New(db, signer, Config{Domain: "lists.example.org", BaseURL: "https://lists.example.org", Language: "de",
		Logger: slog.New(slog.DiscardHandler), Templates: templates.FS("")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateList(ctx, "kita", ListOptions{Title: "Kita"}); err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"anna@example.net", "Ben <BEN@example.net>"} {
		if _, err := s.AddMember(ctx, "kita", a, MemberOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	return s, db, signer
}

func deliver(t testing.TB, s *Service, from, rcpt, raw string) error {
	t.Helper()
	return deliverVia(t, s, Client{}, from, rcpt, raw)
}

// deliverVia delivers as a client connected from elsewhere would.
func deliverVia(t testing.TB, s *Service, c Client, from, rcpt, raw string) error {
	t.Helper()
	ctx := context.Background()
	txn, err := s.Begin(ctx, c, from)
	if err != nil {
		t.Fatal(err)
	}
	if err := txn.AddRcpt(ctx, rcpt); err != nil {
		return err
	}
	return txn.Deliver(ctx, strings.NewReader(raw))[0]
}

func TestPolicy(t *testing.T) {
	s, db, _ := newService(t)
	tests := []struct {
		name     string
		envFrom  string
		rcpt     string
		raw      string
		wantCode int // 0: accepted
		archived bool
	}{
		{"member by From", "anna@example.net", "kita@lists.example.org", "From: Anna <Anna@Example.net>\r\nMessage-ID: <1@x>\r\n\r\nHallo\r\n", 0, true},
		// Unproven claims are held, and the list has no moderators: refused.
		{"member's From, another envelope", "bounce@elsewhere.example", "kita@lists.example.org", "From: Anna <Anna@Example.net>\r\nMessage-ID: <1b@x>\r\n\r\nHallo\r\n", 550, false},
		{"member only in the envelope", "ben@example.net", "KITA@lists.example.org", "From: Ben <ben@other.example>\r\nMessage-ID: <2@x>\r\n\r\nHallo\r\n", 550, false},
		{"stranger", "eve@example.com", "kita@lists.example.org", "From: eve@example.com\r\nMessage-ID: <3@x>\r\n\r\nHallo\r\n", 550, false},
		{"null sender, no From", "", "kita@lists.example.org", "Subject: x\r\nMessage-ID: <4@x>\r\n\r\nbounce\r\n", 0, false},
		{"loop by List-Id", "anna@example.net", "kita@lists.example.org", "From: anna@example.net\r\nList-Id: Kita <kita.lists.example.org>\r\nMessage-ID: <5@x>\r\n\r\nx\r\n", 0, false},
		{"loop by X-Loop", "anna@example.net", "kita@lists.example.org", "From: anna@example.net\r\nX-Loop: kita@lists.example.org\r\nMessage-ID: <6@x>\r\n\r\nx\r\n", 0, false},
		{"other list's List-Id is automatic", "anna@example.net", "kita@lists.example.org", "From: anna@example.net\r\nList-Id: <job.lists.example.org>\r\nMessage-ID: <7@x>\r\n\r\nx\r\n", 0, false},
		{"unparseable", "anna@example.net", "kita@lists.example.org", "garbage without a header\r\n", 554, false},
		{"unknown list", "anna@example.net", "nosuch@lists.example.org", "", 550, false},
		{"foreign domain", "anna@example.net", "kita@example.com", "", 550, false},
		{"list address suffix is not the list", "anna@example.net", "kita-foo@lists.example.org", "", 550, false},
	}
	ctx := context.Background()
	l, _ := s.List(ctx, "kita")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, _ := db.Messages(ctx, l.ID, 100, 0)
			err := deliver(t, s, tt.envFrom, tt.rcpt, tt.raw)
			var rej *Rejection
			switch {
			case tt.wantCode == 0 && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.wantCode != 0 && (!errors.As(err, &rej) || rej.Code != tt.wantCode):
				t.Fatalf("err = %v, want code %d", err, tt.wantCode)
			}
			after, _ := db.Messages(ctx, l.ID, 100, 0)
			if got := len(after) > len(before); got != tt.archived {
				t.Errorf("archived = %v, want %v", got, tt.archived)
			}
		})
	}
}

func TestMissingMessageIDIsAdded(t *testing.T) {
	s, db, _ := newService(t)
	if err := deliver(t, s, "anna@example.net", "kita@lists.example.org", "From: anna@example.net\r\nSubject: x\r\n\r\nHallo\r\n"); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	raw, err := db.Raw(ctx, 1)
	if err != nil || !bytes.HasPrefix(raw, []byte("Message-ID: <")) {
		t.Fatalf("raw = %q, %v", raw, err)
	}
}

func TestRender(t *testing.T) {
	s, db, signer := newService(t)
	ctx := context.Background()
	if err := deliver(t, s, "anna@example.net", "kita@lists.example.org", "From: anna@example.net\r\nSubject: Hallo\r\nMessage-ID: <r@x>\r\n\r\nHallo\r\n"); err != nil {
		t.Fatal(err)
	}
	ds, err := db.ClaimDue(ctx, s.cfg.Now().Add(1e9), 10)
	if err != nil || len(ds) != 2 {
		t.Fatalf("queued: %d %v", len(ds), err)
	}
	for _, d := range ds {
		c, err := s.Render(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		if want := "kita-bounces+" + strings.Replace(d.Rcpt, "@", "=", 1) + "."; !strings.HasPrefix(c.From, want) || !strings.HasSuffix(c.From, "@lists.example.org") {
			t.Errorf("from = %q, want %q...", c.From, want)
		}
		if addr, ok := s.verpAddress("kita", strings.TrimSuffix(strings.TrimPrefix(c.From, "kita-bounces+"), "@lists.example.org")); !ok || addr != d.Rcpt {
			t.Errorf("VERP %q does not verify: %q %v", c.From, addr, ok)
		}
		var buf bytes.Buffer
		c.Message.WriteTo(&buf)
		out := buf.String()
		i := strings.Index(out, "https://lists.example.org/u/")
		if i < 0 {
			t.Fatalf("no unsubscribe URL:\n%s", out)
		}
		tok := out[i+len("https://lists.example.org/u/"):]
		tok = tok[:strings.IndexByte(tok, '>')]
		fields, _, err := signer.Verify("unsubscribe", tok)
		if err != nil || fields[0] != "kita" {
			t.Errorf("unsubscribe token: %v %q", err, fields)
		}
		if !strings.Contains(out, "Subject: [kita] Hallo") {
			t.Errorf("subject not tagged:\n%s", out)
		}
	}
}

func TestCreateListValidation(t *testing.T) {
	s, _, _ := newService(t)
	ctx := context.Background()
	tests := []struct {
		name string
		o    ListOptions
		want string
	}{
		{"kita", ListOptions{}, "already exists"},
		{"kita-neu", ListOptions{}, "list name"},
		{"beratung", ListOptions{}, "list name"},
		{"login", ListOptions{}, "list name"},
		{"inbox", ListOptions{}, "list name"},
		{"", ListOptions{}, "list name"},
		{"neu", ListOptions{Archive: "secret"}, "-archive"},
		{"neu", ListOptions{Moderation: "some"}, "-moderation"},
		{"neu", ListOptions{Anonymous: "maybe"}, "-anonymous"},
	}
	for _, tt := range tests {
		_, err := s.CreateList(ctx, tt.name, tt.o)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("CreateList(%q, %+v) = %v, want %q", tt.name, tt.o, err, tt.want)
		}
	}
	l, err := s.CreateList(ctx, "Unterhalt", ListOptions{Topics: []string{" Unterhalt ", ""}})
	if err != nil || l.Name != "unterhalt" || !l.Anonymous || len(l.Topics) != 1 || l.Topics[0] != "unterhalt" {
		t.Errorf("created %+v, %v", l, err)
	}
}

func FuzzDeliver(f *testing.F) {
	f.Add("From: anna@example.net\r\nSubject: x\r\n\r\nHallo\r\n")
	f.Add("Content-Type: multipart/mixed; boundary=b\r\nFrom: anna@example.net\r\n\r\n--b\r\n\r\nx\r\n--b--\r\n")
	f.Add("garbage")
	s, _, _ := newService(f)
	f.Fuzz(func(t *testing.T, raw string) {
		err := deliver(t, s, "anna@example.net", "kita@lists.example.org", raw)
		var rej *Rejection
		if err != nil && !errors.As(err, &rej) {
			t.Fatalf("not a clear refusal: %v", err)
		}
	})
}

func newSignerWithClock(now func() time.Time) *token.Signer {
	return token.NewSigner([]byte("0123456789abcdef0123456789abcdef"), now)
}

func archiveParse(raw string) (*archive.Parsed, error) { return archive.Parse([]byte(raw)) }

// fakeResolver serves TXT records from a map; every other name does not exist.
type fakeResolver map[string][]string

var _ Resolver = fakeResolver(nil)

func notFound(name string) error {
	return &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func (f fakeResolver) LookupTXT(ctx context.Context, name string) ([]string, error) {
	if v, ok := f[strings.TrimSuffix(name, ".")]; ok {
		return v, nil
	}
	return nil, notFound(name)
}

func (f fakeResolver) LookupMX(ctx context.Context, name string) ([]*net.MX, error) {
	return nil, notFound(name)
}

func (f fakeResolver) LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error) {
	return nil, notFound(host)
}

func (f fakeResolver) LookupAddr(ctx context.Context, addr string) ([]string, error) {
	return nil, notFound(addr)
}

func TestDMARCRewrite(t *testing.T) {
	s, db, _ := newService(t)
	ctx := context.Background()
	// The posters' mail servers are at 192.0.2.7, as their SPF records say, so that
	// the posts are proven to be theirs.
	dns := fakeResolver{
		"_dmarc.strict.example": {"v=DMARC1; p=reject; rua=mailto:d@strict.example"},
		"_dmarc.quar.example":   {"v=DMARC1;p=quarantine"},
		"_dmarc.lax.example":    {"v=DMARC1; p=none"},
		"_dmarc.spf.example":    {"v=spf1 -all"},
	}
	for _, d := range []string{"strict", "quar", "lax", "spf", "unknown"} {
		dns[d+".example"] = []string{"v=spf1 ip4:192.0.2.7 -all"}
	}
	s.cfg.Resolver = dns
	poster := Client{IP: netip.MustParseAddr("192.0.2.7"), HELO: "mail.example"}
	l, _ := s.List(ctx, "kita")
	no := "no"
	if _, err := s.UpdateList(ctx, "kita", ListSettings{"anonymous": no}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		from    string
		rewrite bool
	}{
		{"a@strict.example", true}, {"b@quar.example", true}, {"c@lax.example", false},
		{"d@spf.example", false}, {"e@unknown.example", false},
	}
	for i, tt := range tests {
		s.AddMember(ctx, "kita", tt.from, MemberOptions{})
		mid := fmt.Sprintf("<d%d@x>", i)
		if err := deliverVia(t, s, poster, tt.from, "kita@lists.example.org", "From: Poster <"+tt.from+">\r\nSubject: x\r\nMessage-ID: "+mid+"\r\n\r\nHallo\r\n"); err != nil {
			t.Fatal(err)
		}
		ds, _ := db.ClaimDue(ctx, time.Now().Add(time.Hour), 1000)
		var c Copy
		for _, d := range ds {
			if d.MessageID != 0 {
				var err error
				if c, err = s.Render(ctx, d); err != nil {
					t.Fatal(err)
				}
			}
		}
		var b strings.Builder
		c.Message.WriteTo(&b)
		out := b.String()
		rewritten := strings.Contains(out, `From: "Poster via kita" <kita@lists.example.org>`)
		if rewritten != tt.rewrite {
			t.Errorf("%s: rewritten = %v, want %v\n%s", tt.from, rewritten, tt.rewrite, out)
		}
		if rewritten && !strings.Contains(out, "Reply-To: Poster <"+tt.from+">") {
			t.Errorf("%s: the poster's address should be in Reply-To:\n%s", tt.from, out)
		}
		db.Finish(ctx, time.Now(), finishAll(ds))
	}
	_ = l
	always := "always"
	s.UpdateList(ctx, "kita", ListSettings{"dmarc": always})
	bad := "sometimes"
	if _, err := s.UpdateList(ctx, "kita", ListSettings{"dmarc": bad}); err == nil {
		t.Error("-dmarc sometimes accepted")
	}
}

func finishAll(ds []*store.Delivery) []store.Outcome {
	var out []store.Outcome
	for _, d := range ds {
		out = append(out, store.Outcome{ID: d.ID, State: "sent"})
	}
	return out
}

// FuzzAddresses feeds the parsers of addresses: list addresses at RCPT (with their
// +TOKEN forms) and operator input ("Name <addr>" lines).
func FuzzAddresses(f *testing.F) {
	s, _, _ := newService(f)
	for _, seed := range []string{"kita@lists.example.org", "kita-confirm+0123456789abcdef.aaaaaaaaaaaaa@lists.example.org",
		"kita-bounces+anna=example.net.aaaaaaaaaaaaa@lists.example.org", "kita-moderate+1.x@lists.example.org",
		"beratung@lists.example.org", "Anna <anna@example.net>", "@", "a@b@c", "kita-@lists.example.org"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		ctx := context.Background()
		rc, err := s.resolve(ctx, in)
		var rej *Rejection
		if err != nil && !errors.As(err, &rej) {
			t.Fatalf("resolve(%q): not a clear refusal: %v", in, err)
		}
		if err == nil && rc.Kind == KindBounce && rc.Token != "" {
			s.verpAddress(rc.List.Name, rc.Token)
		}
		NormalizeAddress(in)
	})
}
