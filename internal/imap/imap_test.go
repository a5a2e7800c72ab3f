package imap

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"

	"listd/internal/lists"
	"listd/internal/store"
	"listd/internal/testcert"
	"listd/internal/token"
	"listd/templates"
)

const domain = "lists.example.org"

// fixture is a list domain with an IMAP server on 127.0.0.1.
type fixture struct {
	t    testing.TB
	db   *store.DB
	svc  *lists.Service
	srv  *Server
	addr string
	pw   map[string]string // address → app password
	now  *clock
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Lists of the fixture: kita is public and anonymous, umgang members-only and
// anonymous, vorstand private, offen public and not anonymous, and halt holds every
// post for its moderator.
func newFixture(t testing.TB, tweak func(*Config)) *fixture {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	now := &clock{t: time.Now()}
	svc, err := lists.New(db, token.NewSigner([]byte("0123456789abcdef0123456789abcdef"), nil), lists.Config{
		Domain: domain, BaseURL: "https://lists.example.org", Language: "de", Logger: slog.New(slog.DiscardHandler),
		Templates: templates.FS(""), ErasePosts: lists.ErasePostsDelete})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range []struct {
		name string
		o    lists.ListOptions
	}{
		{"kita", lists.ListOptions{Title: "Kita und Schule"}},
		{"umgang", lists.ListOptions{Archive: "members"}},
		{"vorstand", lists.ListOptions{Archive: "private", Anonymous: "no"}},
		{"offen", lists.ListOptions{Anonymous: "no"}},
		{"halt", lists.ListOptions{Moderation: "all", Archive: "members"}},
	} {
		if _, err := svc.CreateList(ctx, l.name, l.o); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range []struct {
		list, addr string
		o          lists.MemberOptions
	}{
		{"kita", "Anna Schmidt <anna@example.net>", lists.MemberOptions{Name: "Sonnenblume"}},
		{"umgang", "anna@example.net", lists.MemberOptions{Mode: "nomail"}},
		{"offen", "anna@example.net", lists.MemberOptions{}},
		{"kita", "ben@example.net", lists.MemberOptions{}},
		{"vorstand", "ben@example.net", lists.MemberOptions{}},
		{"halt", "anna@example.net", lists.MemberOptions{}},
		{"halt", "mod@example.net", lists.MemberOptions{Role: "moderator"}},
	} {
		if _, err := svc.AddMember(ctx, m.list, m.addr, m.o); err != nil {
			t.Fatal(err)
		}
	}
	cfg := Config{Domain: domain, BaseURL: "https://lists.example.org", Language: "de", Logger: slog.New(slog.DiscardHandler),
		Poll: 20 * time.Millisecond, Now: now.Now}
	if tweak != nil {
		tweak(&cfg)
	}
	srv := New(db, svc, cfg)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	f := &fixture{t: t, db: db, svc: svc, srv: srv, addr: l.Addr().String(), pw: map[string]string{}, now: now}
	for _, a := range []string{"anna@example.net", "ben@example.net", "mod@example.net", "eve@example.net"} {
		pw, _, err := svc.NewAppPassword(ctx, a, "test")
		if err != nil {
			t.Fatal(err)
		}
		f.pw[a] = pw
	}
	return f
}

// post sends raw to a list through the list domain, as SMTP would.
func (f *fixture) post(list, from, raw string) {
	f.t.Helper()
	ctx := context.Background()
	txn, err := f.svc.Begin(ctx, lists.Client{}, from)
	if err != nil {
		f.t.Fatal(err)
	}
	if err := txn.AddRcpt(ctx, list+"@"+domain); err != nil {
		f.t.Fatal(err)
	}
	if err := txn.Deliver(ctx, strings.NewReader(raw))[0]; err != nil {
		f.t.Fatal(err)
	}
}

func postText(from, subject, msgID, body string) string {
	return "From: " + from + "\r\nTo: kita@lists.example.org\r\nCc: friend@elsewhere.example\r\nSubject: " + subject +
		"\r\nMessage-ID: <" + msgID + ">\r\nDate: Mon, 06 May 2024 10:00:00 +0200\r\nX-Mailer: Mail 1.0\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body
}

func (f *fixture) dial(opts *imapclient.Options) *imapclient.Client {
	f.t.Helper()
	c, err := imapclient.DialInsecure(f.addr, opts)
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { c.Close() })
	return c
}

func (f *fixture) login(addr string) *imapclient.Client {
	f.t.Helper()
	c := f.dial(nil)
	if err := c.Login(addr, f.pw[addr]).Wait(); err != nil {
		f.t.Fatalf("login %s: %v", addr, err)
	}
	return c
}

func mailboxNames(t *testing.T, c *imapclient.Client) []string {
	t.Helper()
	ls, err := c.List("", "*", nil).Collect()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range ls {
		names = append(names, l.Mailbox)
	}
	return names
}

func imapCode(err error) imap.ResponseCode {
	var ie *imap.Error
	if errors.As(err, &ie) {
		return ie.Code
	}
	return ""
}

func TestLoginAndAccess(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.LoginFailures = 3 })
	// A site admin on no list reads and moderates every list, as the list domain's
	// access rule says.
	if _, err := f.svc.AddSiteAdmin(context.Background(), lists.ActorCLI, "chair@example.net"); err != nil {
		t.Fatal(err)
	}
	adminPW, _, err := f.svc.NewAppPassword(context.Background(), "chair@example.net", "test")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		login  func(c *imapclient.Client) error
		boxes  []string
		denied []string // mailboxes SELECT must refuse
	}{
		{"member", func(c *imapclient.Client) error { return c.Login("anna@example.net", f.pw["anna@example.net"]).Wait() },
			[]string{"INBOX", "halt", "kita", "offen", "umgang"}, []string{"vorstand", "Moderation/halt", "nosuch"}},
		{"member by AUTHENTICATE PLAIN, address in any case", func(c *imapclient.Client) error {
			return c.Authenticate(sasl.NewPlainClient("", "Ben@Example.NET", strings.ToUpper(f.pw["ben@example.net"])))
		}, []string{"INBOX", "kita", "offen", "vorstand"}, []string{"umgang", "halt"}},
		{"moderator by AUTHENTICATE LOGIN", func(c *imapclient.Client) error {
			return c.Authenticate(sasl.NewLoginClient("mod@example.net", f.pw["mod@example.net"]))
		}, []string{"INBOX", "halt", "kita", "offen", "Moderation", "Moderation/halt", "Moderation/halt/Approve", "Moderation/halt/Reject"},
			[]string{"umgang", "vorstand", "Moderation"}},
		{"no member anywhere", func(c *imapclient.Client) error { return c.Login("eve@example.net", f.pw["eve@example.net"]).Wait() },
			[]string{"INBOX", "kita", "offen"}, []string{"umgang", "vorstand", "halt"}},
		{"site admin on no list", func(c *imapclient.Client) error { return c.Login("chair@example.net", adminPW).Wait() },
			[]string{"INBOX", "halt", "kita", "offen", "umgang", "vorstand", "Moderation",
				"Moderation/halt", "Moderation/halt/Approve", "Moderation/halt/Reject",
				"Moderation/kita", "Moderation/kita/Approve", "Moderation/kita/Reject",
				"Moderation/offen", "Moderation/offen/Approve", "Moderation/offen/Reject",
				"Moderation/umgang", "Moderation/umgang/Approve", "Moderation/umgang/Reject",
				"Moderation/vorstand", "Moderation/vorstand/Approve", "Moderation/vorstand/Reject"},
			[]string{"nosuch"}},
		{"anonymous", func(c *imapclient.Client) error { return c.Authenticate(sasl.NewAnonymousClient("reader@example.com")) },
			[]string{"INBOX", "kita", "offen"}, []string{"umgang", "vorstand", "halt"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := f.dial(nil)
			if err := tt.login(c); err != nil {
				t.Fatal(err)
			}
			if got := mailboxNames(t, c); !slices.Equal(got, tt.boxes) {
				t.Errorf("LIST = %v, want %v", got, tt.boxes)
			}
			for _, b := range tt.boxes {
				if b == "Moderation" {
					continue
				}
				if _, err := c.Select(b, nil).Wait(); err != nil {
					t.Errorf("SELECT %s: %v", b, err)
				}
			}
			for _, b := range tt.denied {
				if _, err := c.Select(b, nil).Wait(); err == nil {
					t.Errorf("SELECT %s succeeded", b)
				}
				if _, err := c.Status(b, &imap.StatusOptions{NumMessages: true}).Wait(); err == nil && b != "Moderation" {
					t.Errorf("STATUS %s succeeded", b)
				}
			}
		})
	}

	t.Run("wrong password, then too many", func(t *testing.T) {
		c := f.dial(nil)
		for i := 0; i < 3; i++ {
			err := c.Login("anna@example.net", "wrong-password").Wait()
			if imapCode(err) != imap.ResponseCodeAuthenticationFailed {
				t.Fatalf("attempt %d: %v", i, err)
			}
		}
		for _, pw := range []string{f.pw["ben@example.net"], "wrong"} {
			// Now even the right password waits.
			if err := c.Login("ben@example.net", pw).Wait(); imapCode(err) != imap.ResponseCodeUnavailable {
				t.Fatalf("after 3 failures: %v", err)
			}
		}
		if err := c.Login("nobody", "x").Wait(); err == nil {
			t.Fatal("login without an address")
		}
		f.now.add(16 * time.Minute)
		if err := c.Login("ben@example.net", f.pw["ben@example.net"]).Wait(); err != nil {
			t.Fatalf("after the window: %v", err)
		}
	})

	t.Run("another's password", func(t *testing.T) {
		c := f.dial(nil)
		if err := c.Login("anna@example.net", f.pw["ben@example.net"]).Wait(); err == nil {
			t.Fatal("ben's password opened anna's account")
		}
	})

	t.Run("revoked password", func(t *testing.T) {
		ctx := context.Background()
		pw, p, err := f.svc.NewAppPassword(ctx, "anna@example.net", "old phone")
		if err != nil {
			t.Fatal(err)
		}
		if err := f.svc.RevokeAppPassword(ctx, "anna@example.net", p.ID); err != nil {
			t.Fatal(err)
		}
		f.now.add(16 * time.Minute)
		if err := f.dial(nil).Login("anna@example.net", pw).Wait(); err == nil {
			t.Fatal("revoked password works")
		}
	})
}

// TestPlaintextLoginNeedsTLS drives a real 127.0.0.1 connection through the path of
// connections from other machines: no login before STARTTLS, and login after it.
func TestPlaintextLoginNeedsTLS(t *testing.T) {
	cert := selfSigned(t)
	f := newFixture(t, func(c *Config) { c.TLS = &tls.Config{Certificates: []tls.Certificate{cert}} })
	remote := func() net.Conn {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		go func() {
			c, err := l.Accept()
			if err == nil {
				f.srv.remoteQ.put(c)
			}
		}()
		conn, err := net.Dial("tcp", l.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		return conn
	}
	c := imapclient.New(remote(), nil)
	defer c.Close()
	caps, err := c.Capability().Wait()
	if err != nil {
		t.Fatal(err)
	}
	if !caps.Has(imap.CapLoginDisabled) || !caps.Has(imap.CapStartTLS) {
		t.Errorf("capabilities without TLS: %v", caps)
	}
	if err := c.Login("anna@example.net", f.pw["anna@example.net"]).Wait(); imapCode(err) != imap.ResponseCodePrivacyRequired {
		t.Fatalf("plain-text login from afar: %v", err)
	}
	if err := c.Authenticate(sasl.NewAnonymousClient("")); err == nil {
		t.Fatal("AUTHENTICATE without TLS from afar")
	}

	tc, err := imapclient.NewStartTLS(remote(), &imapclient.Options{TLSConfig: &tls.Config{InsecureSkipVerify: true}})
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	if err := tc.Login("anna@example.net", f.pw["anna@example.net"]).Wait(); err != nil {
		t.Fatalf("login after STARTTLS: %v", err)
	}
	if names := mailboxNames(t, tc); !slices.Contains(names, "umgang") {
		t.Errorf("LIST after STARTTLS = %v", names)
	}

	// Implicit TLS.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go f.srv.ServeTLS(l)
	ic, err := imapclient.DialTLS(l.Addr().String(), &imapclient.Options{TLSConfig: &tls.Config{InsecureSkipVerify: true}})
	if err != nil {
		t.Fatal(err)
	}
	defer ic.Close()
	if err := ic.Login("anna@example.net", f.pw["anna@example.net"]).Wait(); err != nil {
		t.Fatalf("login over implicit TLS: %v", err)
	}
}

func selfSigned(t *testing.T) tls.Certificate {
	cert, _, _ := testcert.New(t)
	return cert
}

func TestFetch(t *testing.T) {
	f := newFixture(t, nil)
	f.post("kita", "anna@example.net", postText("Anna Schmidt <anna@example.net>", "Kitaplatz gesucht", "k1@example.net",
		"Hallo zusammen,\r\nwer weiß einen Kitaplatz?\r\n"))
	f.post("kita", "ben@example.net", "From: ben@example.net\nSubject: Re: Kitaplatz gesucht\nMessage-ID: <k2@example.net>\n"+
		"In-Reply-To: <k1@example.net>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b1\n\n"+
		"--b1\nContent-Type: text/plain\n\nFrag im Rathaus.\n--b1\nContent-Type: text/csv; name=liste.csv\nContent-Disposition: attachment\n\na,b\n--b1--\n")
	f.post("offen", "anna@example.net", postText("Anna Schmidt <anna@example.net>", "Offene Frage", "o1@example.net", "Text\r\n"))

	c := f.login("ben@example.net")
	sel, err := c.Select("kita", nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	if sel.NumMessages != 2 || sel.UIDValidity == 0 || sel.UIDNext < 3 {
		t.Fatalf("SELECT = %+v", sel)
	}
	header := &imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader, Peek: true}
	text := &imap.FetchItemBodySection{Specifier: imap.PartSpecifierText, Peek: true}
	whole := &imap.FetchItemBodySection{Peek: true}
	part1 := &imap.FetchItemBodySection{Part: []int{1}, Peek: true}
	fields := &imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader, HeaderFields: []string{"subject", "FROM"}, Peek: true}
	part := &imap.FetchItemBodySection{Peek: true, Partial: &imap.SectionPartial{Offset: 5, Size: 10}}
	msgs, err := c.Fetch(imap.SeqSetNum(1, 2), &imap.FetchOptions{UID: true, Flags: true, Envelope: true, RFC822Size: true,
		InternalDate: true, BodyStructure: &imap.FetchItemBodyStructure{Extended: true},
		BodySection: []*imap.FetchItemBodySection{header, text, whole, part1, fields, part}}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2 {
		t.Fatalf("%d messages", len(msgs))
	}
	for _, m := range msgs {
		full := m.FindBodySection(whole)
		if int64(len(full)) != m.RFC822Size {
			t.Errorf("RFC822.SIZE %d, BODY[] %d bytes", m.RFC822Size, len(full))
		}
		if h, b := m.FindBodySection(header), m.FindBodySection(text); string(h)+string(b) != string(full) {
			t.Errorf("HEADER + TEXT is not BODY[]")
		}
		if got := m.FindBodySection(part); string(got) != string(full[5:15]) {
			t.Errorf("BODY[]<5.10> = %q", got)
		}
		if f := string(m.FindBodySection(fields)); !strings.HasPrefix(f, "From: ") || !strings.Contains(f, "\r\nSubject: [kita] ") || !strings.HasSuffix(f, "\r\n\r\n") {
			t.Errorf("HEADER.FIELDS = %q", f)
		}
		// An anonymous list: nobody's address, no identifying fields, no footer.
		for _, s := range []string{"anna@", "ben@", "Schmidt", "friend@", "X-Mailer", "/u/"} {
			if bytes.Contains(full, []byte(s)) {
				t.Errorf("message %d contains %q:\n%s", m.UID, s, full)
			}
		}
		env := m.Envelope
		if env == nil || len(env.From) != 1 || env.From[0].Mailbox != "kita" || env.From[0].Host != domain || !strings.HasPrefix(env.Subject, "[kita] ") {
			t.Errorf("ENVELOPE = %+v", env)
		}
		if m.InternalDate.IsZero() || len(m.Flags) != 0 {
			t.Errorf("INTERNALDATE %v, FLAGS %v", m.InternalDate, m.Flags)
		}
	}
	first, second := msgs[0], msgs[1]
	if first.Envelope.From[0].Name != "Sonnenblume via kita" || !strings.Contains(string(first.FindBodySection(whole)), "wer weiß einen Kitaplatz?") {
		t.Errorf("first: %+v", first.Envelope)
	}
	// An anonymous list shows Message-IDs of its own, in the envelope and the header.
	if second.Envelope.Subject != "[kita] Re: Kitaplatz gesucht" || !slices.Equal(second.Envelope.InReplyTo, []string{first.Envelope.MessageID}) ||
		!strings.HasSuffix(first.Envelope.MessageID, "@"+domain) || strings.Contains(first.Envelope.MessageID, "k1") {
		t.Errorf("ENVELOPE = %+v, %+v", first.Envelope, second.Envelope)
	}
	if h := string(second.FindBodySection(header)); !strings.Contains(strings.ToLower(h), strings.ToLower("Message-ID: <"+second.Envelope.MessageID+">")) ||
		!strings.Contains(h, "In-Reply-To: <"+first.Envelope.MessageID+">") {
		t.Errorf("header ids:\n%s", h)
	}
	if got := string(second.FindBodySection(part1)); got != "Frag im Rathaus." {
		t.Errorf("BODY[1] = %q", got)
	}
	if bs, ok := second.BodyStructure.(*imap.BodyStructureMultiPart); !ok || len(bs.Children) != 2 || bs.Subtype != "mixed" {
		t.Errorf("BODYSTRUCTURE = %#v", second.BodyStructure)
	}
	if second.UID <= first.UID {
		t.Errorf("UIDs %d, %d", first.UID, second.UID)
	}
	// UID FETCH of a range with "*", and of UIDs that are not there.
	got, err := c.Fetch(imap.UIDSet{imap.UIDRange{Start: second.UID, Stop: 0}}, &imap.FetchOptions{UID: true}).Collect()
	if err != nil || len(got) != 1 || got[0].UID != second.UID {
		t.Errorf("UID FETCH n:* = %v, %v", got, err)
	}
	got, err = c.Fetch(imap.UIDSetNum(second.UID+100), &imap.FetchOptions{UID: true}).Collect()
	if err != nil || len(got) != 0 {
		t.Errorf("UID FETCH of a missing UID = %v, %v", got, err)
	}

	// The headers served are remembered; a list that stops being anonymous shows
	// its authors from then on.
	kita := mustList(t, f, "kita")
	kita.Anonymous = false
	if err := f.db.SaveList(context.Background(), kita); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Select("kita", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	msgs, err = c.Fetch(imap.SeqSetNum(1), &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{header}}).Collect()
	if err != nil || len(msgs) != 1 || !bytes.Contains(msgs[0].FindBodySection(header), []byte("From: Anna Schmidt <anna@example.net>")) {
		t.Errorf("header after the list changed: %v\n%s", err, msgs[0].FindBodySection(header))
	}

	// A list that is not anonymous shows its author to its members, as their copies
	// do, and to nobody else (ben reads the public archive but is not on it).
	for _, tt := range []struct {
		reader, name, mailbox, from string
	}{
		{"anna@example.net", "Anna Schmidt", "anna", "From: Anna Schmidt <anna@example.net>"},
		{"ben@example.net", "Anna Schmidt via offen", "offen", `From: "Anna Schmidt via offen" <offen@lists.example.org>`},
	} {
		r := f.login(tt.reader)
		if _, err := r.Select("offen", nil).Wait(); err != nil {
			t.Fatal(err)
		}
		msgs, err = r.Fetch(imap.SeqSetNum(1), &imap.FetchOptions{Envelope: true, BodySection: []*imap.FetchItemBodySection{whole}}).Collect()
		if err != nil || len(msgs) != 1 {
			t.Fatal(err)
		}
		if env := msgs[0].Envelope; env.From[0].Mailbox != tt.mailbox || env.From[0].Name != tt.name || env.MessageID != "o1@example.net" {
			t.Errorf("%s: ENVELOPE = %+v", tt.reader, env)
		}
		if !bytes.Contains(msgs[0].FindBodySection(whole), []byte(tt.from+"\r\n")) {
			t.Errorf("%s: From missing:\n%s", tt.reader, msgs[0].FindBodySection(whole))
		}
	}
}

func TestSeenAndReadOnly(t *testing.T) {
	f := newFixture(t, nil)
	for i := 1; i <= 3; i++ {
		f.post("kita", "anna@example.net", postText("anna@example.net", fmt.Sprintf("Post %d", i), fmt.Sprintf("s%d@x", i), "Text\r\n"))
	}
	c := f.login("ben@example.net")
	if _, err := c.Select("kita", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	// A FETCH without PEEK marks the post seen and says so.
	msgs, err := c.Fetch(imap.SeqSetNum(2), &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{{}}}).Collect()
	if err != nil || len(msgs) != 1 || !slices.Equal(msgs[0].Flags, []imap.Flag{imap.FlagSeen}) {
		t.Fatalf("FETCH BODY[] = %+v, %v", msgs, err)
	}
	if _, err := c.Store(imap.SeqSetNum(3), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagSeen, imap.FlagFlagged}}, nil).Collect(); err != nil {
		t.Fatal(err)
	}
	if err := c.Store(imap.SeqSetNum(3), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); imapCode(err) != imap.ResponseCodeCannot {
		t.Errorf("STORE \\Deleted in an archive: %v", err)
	}
	data, err := c.UIDSearch(&imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagSeen}}, nil).Wait()
	if err != nil || len(data.AllUIDs()) != 1 {
		t.Errorf("UNSEEN = %v, %v", data, err)
	}

	// The flags are kept for ben, and only for ben.
	c2 := f.login("ben@example.net")
	st, err := c2.Status("kita", &imap.StatusOptions{NumMessages: true, NumUnseen: true, UIDNext: true, UIDValidity: true}).Wait()
	if err != nil || *st.NumMessages != 3 || *st.NumUnseen != 1 {
		t.Fatalf("STATUS = %+v, %v", st, err)
	}
	if _, err := c2.Select("kita", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	msgs, err = c2.Fetch(imap.SeqSetNum(1, 2, 3), &imap.FetchOptions{Flags: true}).Collect()
	if err != nil || len(msgs[0].Flags) != 0 || len(msgs[1].Flags) != 1 || len(msgs[2].Flags) != 1 {
		t.Errorf("flags after reconnecting: %+v %v", msgs, err)
	}
	c3 := f.login("anna@example.net")
	if st, err := c3.Status("kita", &imap.StatusOptions{NumUnseen: true}).Wait(); err != nil || *st.NumUnseen != 3 {
		t.Errorf("anna's STATUS = %+v, %v", st, err)
	}
	if _, err := c2.Store(imap.SeqSetNum(2), &imap.StoreFlags{Op: imap.StoreFlagsDel, Flags: []imap.Flag{imap.FlagSeen}}, nil).Collect(); err != nil {
		t.Fatal(err)
	}
	if st, err := c3.Status("kita", &imap.StatusOptions{NumUnseen: true}).Wait(); err != nil || *st.NumUnseen != 3 {
		t.Errorf("anna's STATUS = %+v, %v", st, err)
	}

	// Writing answers NO, with a reason.
	msg := "Subject: x\r\n\r\nHallo\r\n"
	app := c.Append("kita", int64(len(msg)), nil)
	app.Write([]byte(msg))
	app.Close()
	if _, err := app.Wait(); imapCode(err) != imap.ResponseCodeCannot {
		t.Errorf("APPEND: %v", err)
	}
	if _, err := c.Copy(imap.SeqSetNum(1), "offen").Wait(); imapCode(err) != imap.ResponseCodeCannot {
		t.Errorf("COPY into an archive: %v", err)
	}
	if _, err := c.Move(imap.SeqSetNum(1), "INBOX").Wait(); imapCode(err) != imap.ResponseCodeCannot {
		t.Errorf("MOVE out of an archive: %v", err)
	}
	if err := c.Expunge().Close(); imapCode(err) != imap.ResponseCodeCannot || !strings.Contains(err.Error(), "read-only") {
		t.Errorf("EXPUNGE: %v", err)
	}
	if err := c.Create("neu", nil).Wait(); imapCode(err) != imap.ResponseCodeCannot {
		t.Errorf("CREATE: %v", err)
	}
	// CLOSE in a read-only mailbox removes nothing and is fine (RFC 3501).
	if err := c.UnselectAndExpunge().Wait(); err != nil {
		t.Errorf("CLOSE: %v", err)
	}
	if _, err := c.Select("kita", &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Store(imap.SeqSetNum(1), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagSeen}}, nil).Close(); err == nil {
		t.Error("STORE after EXAMINE")
	}
}

func TestSearch(t *testing.T) {
	f := newFixture(t, nil)
	posts := []struct{ from, subject, body string }{
		{"Anna <anna@example.net>", "Kitaplatz gesucht", "Wir suchen einen Kitaplatz in Köln.\r\n"},
		{"ben@example.net", "Unterhalt", "Frage zum Unterhaltsvorschuss.\r\n"},
		{"Anna <anna@example.net>", "Re: Kitaplatz gesucht", "Im Rathaus fragen.\r\n"},
	}
	for i, p := range posts {
		f.post("kita", strings.Trim(p.from[strings.Index(p.from, "<")+1:], ">"), postText(p.from, p.subject, fmt.Sprintf("q%d@x", i), p.body))
	}
	c := f.login("ben@example.net")
	if _, err := c.Select("kita", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	all, err := c.Fetch(imap.SeqSetNum(1, 2, 3), &imap.FetchOptions{UID: true}).Collect()
	if err != nil || len(all) != 3 {
		t.Fatal(err)
	}
	envs, err := c.Fetch(imap.SeqSetNum(1, 2, 3), &imap.FetchOptions{Envelope: true}).Collect()
	if err != nil || len(envs) != 3 {
		t.Fatal(err)
	}
	today := time.Now().UTC().Truncate(24 * time.Hour)
	tests := []struct {
		name string
		c    imap.SearchCriteria
		want []uint32 // sequence numbers
	}{
		{"all", imap.SearchCriteria{}, []uint32{1, 2, 3}},
		{"subject", imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Subject", Value: "kitaplatz"}}}, []uint32{1, 3}},
		{"subject tag", imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Subject", Value: "[kita] Unter"}}}, []uint32{2}},
		{"text", imap.SearchCriteria{Text: []string{"Rathaus"}}, []uint32{3}},
		{"body", imap.SearchCriteria{Body: []string{"Kitaplatz"}}, []uint32{1}},
		{"text in subject", imap.SearchCriteria{Text: []string{"Kitaplatz"}}, []uint32{1, 3}},
		{"text and body", imap.SearchCriteria{Text: []string{"Kitaplatz"}, Body: []string{"Rathaus"}}, []uint32{3}},
		{"text and seq", imap.SearchCriteria{Text: []string{"Kitaplatz"}, SeqNum: []imap.SeqSet{{imap.SeqRange{Start: 2, Stop: 0}}}}, []uint32{3}},
		{"text and subject", imap.SearchCriteria{Text: []string{"Kitaplatz"}, Header: []imap.SearchCriteriaHeaderField{{Key: "Subject", Value: "re:"}}}, []uint32{3}},
		{"text nowhere", imap.SearchCriteria{Text: []string{"Nirgendwo"}}, nil},
		{"from shows the pseudonym", imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "From", Value: "via kita"}}}, []uint32{1, 2, 3}},
		{"from never the address", imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "From", Value: "anna"}}}, nil},
		{"cc was removed", imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Cc", Value: ""}}}, nil},
		{"to is kept", imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "To", Value: "kita@"}}}, []uint32{1, 2, 3}},
		{"message-id as shown", imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Message-ID", Value: "<" + envs[1].Envelope.MessageID + ">"}}}, []uint32{2}},
		{"never the sender's message-id", imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Message-ID", Value: "q1@x"}}}, nil},
		{"list-id", imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "List-Id", Value: "kita.lists"}}}, []uint32{1, 2, 3}},
		{"sent on", imap.SearchCriteria{SentSince: time.Date(2024, 5, 6, 0, 0, 0, 0, time.UTC), SentBefore: time.Date(2024, 5, 7, 0, 0, 0, 0, time.UTC)}, []uint32{1, 2, 3}},
		{"sent before", imap.SearchCriteria{SentBefore: time.Date(2024, 5, 6, 0, 0, 0, 0, time.UTC)}, nil},
		{"since today", imap.SearchCriteria{Since: today}, []uint32{1, 2, 3}},
		{"before today", imap.SearchCriteria{Before: today}, nil},
		{"not", imap.SearchCriteria{Not: []imap.SearchCriteria{{Text: []string{"Kitaplatz"}}}}, []uint32{2}},
		{"or", imap.SearchCriteria{Or: [][2]imap.SearchCriteria{{{Body: []string{"Rathaus"}}, {Body: []string{"Unterhaltsvorschuss"}}}}}, []uint32{2, 3}},
		{"seq", imap.SearchCriteria{SeqNum: []imap.SeqSet{{imap.SeqRange{Start: 2, Stop: 0}}}}, []uint32{2, 3}},
		{"uid", imap.SearchCriteria{UID: []imap.UIDSet{imap.UIDSetNum(all[0].UID)}}, []uint32{1}},
		{"larger", imap.SearchCriteria{Larger: 100}, []uint32{1, 2, 3}},
		{"smaller", imap.SearchCriteria{Smaller: 100}, nil},
		{"flagged", imap.SearchCriteria{Flag: []imap.Flag{imap.FlagFlagged}}, nil},
	}
	for _, tt := range tests {
		data, err := c.Search(&tt.c, nil).Wait()
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if got := data.AllSeqNums(); !slices.Equal(got, tt.want) {
			t.Errorf("%s: SEARCH = %v, want %v", tt.name, got, tt.want)
		}
	}
	data, err := c.UIDSearch(&imap.SearchCriteria{Text: []string{"Rathaus"}}, nil).Wait()
	if err != nil || !slices.Equal(data.AllUIDs(), []imap.UID{all[2].UID}) {
		t.Errorf("UID SEARCH = %v, %v", data, err)
	}
}

func TestIdle(t *testing.T) {
	f := newFixture(t, nil)
	f.post("kita", "anna@example.net", postText("anna@example.net", "Erster", "i1@x", "Text\r\n"))
	exists := make(chan uint32, 8)
	c := f.dial(&imapclient.Options{UnilateralDataHandler: &imapclient.UnilateralDataHandler{
		Mailbox: func(d *imapclient.UnilateralDataMailbox) {
			if d.NumMessages != nil {
				exists <- *d.NumMessages
			}
		},
	}})
	if err := c.Login("ben@example.net", f.pw["ben@example.net"]).Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Select("kita", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	idle, err := c.Idle()
	if err != nil {
		t.Fatal(err)
	}
	f.post("kita", "anna@example.net", postText("anna@example.net", "Zweiter", "i2@x", "Text\r\n"))
	select {
	case n := <-exists:
		if n != 2 {
			t.Errorf("EXISTS %d", n)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no EXISTS while idling")
	}
	if err := idle.Close(); err != nil {
		t.Fatal(err)
	}
	if err := idle.Wait(); err != nil {
		t.Fatal(err)
	}
	// A post erased while selected goes with an EXPUNGE at the next command.
	f.now.add(time.Minute)
	if _, _, err := f.svc.Erase(context.Background(), "anna@example.net"); err != nil {
		t.Fatal(err)
	}
	if err := c.Noop().Wait(); err != nil {
		t.Fatal(err)
	}
	if n := c.Mailbox().NumMessages; n != 0 {
		t.Errorf("after erasure the mailbox has %d messages", n)
	}
}

func TestAccessEnds(t *testing.T) {
	f := newFixture(t, nil)
	c := f.login("anna@example.net")
	if _, err := c.Select("umgang", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := f.db.RemoveMember(context.Background(), mustList(t, f, "umgang").ID, "anna@example.net"); err != nil {
		t.Fatal(err)
	}
	f.now.add(10 * time.Second)
	c.Noop().Wait()
	select {
	case <-c.Closed():
	case <-time.After(5 * time.Second):
		t.Fatal("the session went on after anna left the list")
	}
}

func mustList(t *testing.T, f *fixture, name string) *store.List {
	t.Helper()
	l, err := f.db.ListByName(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestModerationByMoving(t *testing.T) {
	f := newFixture(t, nil)
	for i := 1; i <= 4; i++ {
		f.post("halt", "anna@example.net", postText("Anna <anna@example.net>", fmt.Sprintf("Gehalten %d", i), fmt.Sprintf("h%d@x", i), "Bitte freigeben\r\n"))
	}
	ctx := context.Background()
	halt := mustList(t, f, "halt")
	held, err := f.db.HeldIDs(ctx, halt.ID)
	if err != nil || len(held) != 4 {
		t.Fatalf("held: %v %v", held, err)
	}
	c := f.login("mod@example.net")
	sel, err := c.Select("Moderation/halt", nil).Wait()
	if err != nil || sel.NumMessages != 4 {
		t.Fatalf("SELECT Moderation/halt = %+v, %v", sel, err)
	}
	msgs, err := c.Fetch(imap.SeqSetNum(1), &imap.FetchOptions{UID: true, Envelope: true, RFC822Size: true,
		BodySection: []*imap.FetchItemBodySection{{Peek: true}}}).Collect()
	if err != nil || len(msgs) != 1 || msgs[0].Envelope.Subject != "[halt] Gehalten 1" || int64(len(msgs[0].FindBodySection(&imap.FetchItemBodySection{Peek: true}))) != msgs[0].RFC822Size {
		t.Fatalf("FETCH held = %+v, %v", msgs, err)
	}
	// The list is anonymous: its moderators get the archive copy, not the post as
	// received with the poster's name and address.
	if body := msgs[0].FindBodySection(&imap.FetchItemBodySection{Peek: true}); bytes.Contains(body, []byte("anna@")) ||
		bytes.Contains(body, []byte("Anna")) || len(msgs[0].Envelope.From) != 1 || msgs[0].Envelope.From[0].Addr() != "halt@"+domain {
		t.Errorf("FETCH held serves the poster:\n%s\n%+v", body, msgs[0].Envelope.From)
	}
	// It says why it waits, in the site's language.
	if body := msgs[0].FindBodySection(&imap.FetchItemBodySection{Peek: true}); !bytes.HasPrefix(body, []byte("Comments: auf der Liste wird jeder Beitrag moderiert\r\n")) {
		t.Errorf("FETCH held without the reason:\n%.300s", body)
	}

	// MOVE into Approve approves: the post reaches the archive and leaves the folder.
	if _, err := c.Move(imap.SeqSetNum(1), "Moderation/halt/Approve").Wait(); err != nil {
		t.Fatalf("MOVE to Approve: %v", err)
	}
	if n := c.Mailbox().NumMessages; n != 3 {
		t.Errorf("after MOVE the folder has %d", n)
	}
	// COPY into Reject rejects; the post leaves at the next poll.
	if _, err := c.Copy(imap.SeqSetNum(1), "Moderation/halt/Reject").Wait(); err != nil {
		t.Fatalf("COPY to Reject: %v", err)
	}
	// \Deleted and EXPUNGE discard.
	if err := c.Store(imap.SeqSetNum(1), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Expunge().Close(); err != nil {
		t.Fatalf("EXPUNGE: %v", err)
	}
	if _, err := c.Move(imap.SeqSetNum(1), "kita").Wait(); imapCode(err) != imap.ResponseCodeCannot {
		t.Errorf("MOVE elsewhere: %v", err)
	}
	for i, want := range []string{"approved", "rejected", "discarded", "held"} {
		h, err := f.db.HeldByID(ctx, held[i])
		if err != nil || h.State != want || (want != "held" && h.DecidedBy != "mod@example.net") {
			t.Errorf("held post %d: %+v, %v; want %s by mod@", i, h, err, want)
		}
		log, _ := f.db.ModerationLog(ctx, held[i])
		if want != "held" && (len(log) < 2 || log[len(log)-1].Actor != "mod@example.net") {
			t.Errorf("moderation log of %d: %+v", i, log)
		}
	}
	if n, _, _ := f.db.ArchiveState(ctx, halt.ID); n != 1 {
		t.Errorf("archive of halt has %d posts", n)
	}

	// The first decision wins: another moderator's decision meanwhile is reported.
	if err := f.svc.Moderate(ctx, held[3], lists.ModReject, "", "cli"); err != nil {
		t.Fatal(err)
	}
	_, err = c.Move(imap.SeqSetNum(1), "Moderation/halt/Approve").Wait()
	if err == nil || !strings.Contains(err.Error(), "already handled by cli") {
		t.Errorf("deciding twice: %v", err)
	}
	if n := c.Mailbox().NumMessages; n != 0 {
		t.Errorf("the folder still has %d", n)
	}

	// A member who does not moderate cannot reach the folder.
	a := f.login("anna@example.net")
	if _, err := a.Select("Moderation/halt", nil).Wait(); err == nil {
		t.Error("a member selected the moderation folder")
	}
}

// TestConcurrentSessions runs a few readers at once (for the race detector).
func TestConcurrentSessions(t *testing.T) {
	f := newFixture(t, nil)
	for i := 0; i < 20; i++ {
		f.post("kita", "anna@example.net", postText("anna@example.net", fmt.Sprintf("Post %d", i), fmt.Sprintf("c%d@x", i), "Text\r\n"))
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for i := 0; i < 4; i++ {
		c := f.login("ben@example.net")
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.Select("kita", nil).Wait(); err != nil {
				errs <- err
				return
			}
			msgs, err := c.Fetch(imap.SeqSet{imap.SeqRange{Start: 1, Stop: 0}}, &imap.FetchOptions{Envelope: true,
				BodySection: []*imap.FetchItemBodySection{{}}}).Collect()
			if err == nil && len(msgs) != 20 {
				err = fmt.Errorf("%d messages", len(msgs))
			}
			if err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestListNamedInbox: IMAP's INBOX is any case of "inbox". New lists may not take
// the name; one made before it was reserved is served as the INBOX.
func TestListNamedInbox(t *testing.T) {
	f := newFixture(t, nil)
	if _, err := f.svc.CreateList(context.Background(), "inbox", lists.ListOptions{}); err == nil {
		t.Fatal("a new list may be called inbox")
	}
	if err := f.db.CreateList(context.Background(), &store.List{Name: "inbox", Archive: "public", Moderation: "none"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.AddMember(context.Background(), "inbox", "anna@example.net", lists.MemberOptions{}); err != nil {
		t.Fatal(err)
	}
	f.post("inbox", "anna@example.net", postText("anna@example.net", "Hallo", "in1@x", "Text\r\n"))
	c := f.login("ben@example.net")
	if names := mailboxNames(t, c); !slices.Equal(names, []string{"INBOX", "kita", "offen", "vorstand"}) {
		t.Errorf("LIST = %v", names)
	}
	sel, err := c.Select("inbox", nil).Wait()
	if err != nil || sel.NumMessages != 1 {
		t.Errorf("SELECT inbox = %+v, %v", sel, err)
	}
}

// TestSearchLargeFolder: in a folder of more posts than searchRangeMin in a row,
// SEARCH by subject, author, Message-ID and date reads the columns as a range of ids
// (store.SearchFieldRange); it finds what a search of a few posts finds, on an
// anonymous list (pseudonyms, the list's Message-IDs) and on one that shows names.
func TestSearchLargeFolder(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	const n = 3*searchRangeMin + 5
	for _, name := range []string{"kita", "offen"} {
		l := mustList(t, f, name)
		var posts []*store.Post
		for i := 1; i <= n; i++ {
			subject, from := fmt.Sprintf("Frage %d", i), "Ben"
			if i%4 == 0 {
				subject, from = fmt.Sprintf("Kitaplatz %d", i), "Anna Schmidt"
			}
			raw := postText(from+" <x@example.net>", subject, fmt.Sprintf("%s-%d@x", name, i), "Text\r\n")
			posts = append(posts, &store.Post{ListID: l.ID, MessageID: fmt.Sprintf("%s-%d@x", name, i), Subject: subject,
				SubjectKey: strings.ToLower(subject), FromName: from, FromAddr: "x@example.net",
				Date: time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i), Raw: []byte(raw), Text: "Text"})
		}
		if _, err := f.db.ImportPosts(ctx, l.ID, posts); err != nil {
			t.Fatal(err)
		}
	}
	seqs := func(keep func(i int) bool) []uint32 {
		var out []uint32
		for i := 1; i <= n; i++ {
			if keep(i) {
				out = append(out, uint32(i))
			}
		}
		return out
	}
	hdr := func(k, v string) []imap.SearchCriteriaHeaderField {
		return []imap.SearchCriteriaHeaderField{{Key: k, Value: v}}
	}
	for _, tc := range []struct {
		list string
		user string
	}{{"kita", "ben@example.net"}, {"offen", "anna@example.net"}} {
		c := f.login(tc.user)
		if _, err := c.Select(tc.list, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
			t.Fatal(err)
		}
		envs, err := c.Fetch(imap.SeqSetNum(uint32(n-1)), &imap.FetchOptions{Envelope: true}).Collect()
		if err != nil || len(envs) != 1 {
			t.Fatalf("%s: fetch: %v", tc.list, err)
		}
		shownID := envs[0].Envelope.MessageID
		anonymous := tc.list == "kita"
		if anonymous == (shownID == fmt.Sprintf("%s-%d@x", tc.list, n-1)) {
			t.Fatalf("%s: the envelope shows Message-ID %q", tc.list, shownID)
		}
		tests := []struct {
			name string
			c    imap.SearchCriteria
			want []uint32
		}{
			{"subject", imap.SearchCriteria{Header: hdr("Subject", "kitaplatz")}, seqs(func(i int) bool { return i%4 == 0 })},
			{"subject across the tag", imap.SearchCriteria{Header: hdr("Subject", "["+tc.list+"] Frage 3")},
				seqs(func(i int) bool { return i == 3 || i >= 30 && i < 40 && i%4 != 0 })},
			// The archive's author name (on an anonymous list the pseudonym it was
			// stored under); the address only where the list shows it.
			{"from", imap.SearchCriteria{Header: hdr("From", "anna")}, seqs(func(i int) bool { return i%4 == 0 })},
			{"from, address", imap.SearchCriteria{Header: hdr("From", "x@example")}, seqs(func(int) bool { return !anonymous })},
			{"from, pseudonym", imap.SearchCriteria{Header: hdr("From", "via "+tc.list)}, seqs(func(int) bool { return anonymous })},
			{"message-id as shown", imap.SearchCriteria{Header: hdr("Message-ID", "<"+shownID+">")}, []uint32{uint32(n - 1)}},
			{"sent since", imap.SearchCriteria{SentSince: time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, n-2)},
				[]uint32{uint32(n - 2), uint32(n - 1), uint32(n)}},
			{"not subject", imap.SearchCriteria{Not: []imap.SearchCriteria{{Header: hdr("Subject", "frage")}}}, seqs(func(i int) bool { return i%4 == 0 })},
		}
		for _, tt := range tests {
			data, err := c.Search(&tt.c, nil).Wait()
			if err != nil {
				t.Errorf("%s, %s: %v", tc.list, tt.name, err)
				continue
			}
			if got := data.AllSeqNums(); !slices.Equal(got, tt.want) {
				t.Errorf("%s, %s: SEARCH = %v, want %v", tc.list, tt.name, got, tt.want)
			}
		}
	}
}

// TestHeldReasonInModeratorsLanguage: the held folder says why a post waits in the
// logged-in moderator's language on the list, as the moderation notice does; a site
// admin who is not on the list reads it in the site's language.
func TestHeldReasonInModeratorsLanguage(t *testing.T) {
	tests := []struct {
		name     string
		user     string
		lang     string // the moderator's language on the list; "" leaves it as added
		siteLang string // the IMAP server's site language
		want     string
	}{
		{"moderator in English", "mod@example.net", "en", "de", "Comments: the list moderates every post\r\n"},
		{"moderator in German", "mod@example.net", "de", "en", "Comments: auf der Liste wird jeder Beitrag moderiert\r\n"},
		{"site admin, German site", "chair@example.net", "", "de", "Comments: auf der Liste wird jeder Beitrag moderiert\r\n"},
		{"site admin, English site", "chair@example.net", "", "en", "Comments: the list moderates every post\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, func(c *Config) { c.Language = tt.siteLang })
			ctx := context.Background()
			if _, err := f.svc.AddSiteAdmin(ctx, lists.ActorCLI, "chair@example.net"); err != nil {
				t.Fatal(err)
			}
			pw, _, err := f.svc.NewAppPassword(ctx, "chair@example.net", "test")
			if err != nil {
				t.Fatal(err)
			}
			f.pw["chair@example.net"] = pw
			if tt.lang != "" {
				halt := mustList(t, f, "halt")
				err := f.db.Update(ctx, func(tx *store.Tx) error {
					m, err := tx.Member(halt.ID, tt.user)
					if err != nil {
						return err
					}
					m.Language = tt.lang
					return tx.SaveMember(m)
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			f.post("halt", "anna@example.net", postText("Anna <anna@example.net>", "Gehalten", "hl1@x", "Bitte freigeben\r\n"))
			c := f.login(tt.user)
			if _, err := c.Select("Moderation/halt", nil).Wait(); err != nil {
				t.Fatal(err)
			}
			msgs, err := c.Fetch(imap.SeqSetNum(1), &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{{Peek: true}}}).Collect()
			if err != nil || len(msgs) != 1 {
				t.Fatalf("FETCH held = %+v, %v", msgs, err)
			}
			if body := msgs[0].FindBodySection(&imap.FetchItemBodySection{Peek: true}); !bytes.HasPrefix(body, []byte(tt.want)) {
				t.Errorf("FETCH held, want %q:\n%.200s", tt.want, body)
			}
		})
	}
}
