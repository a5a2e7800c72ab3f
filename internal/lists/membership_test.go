package lists

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"listd/internal/store"
)

// clock is an injectable time source.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// queuedMails returns the standalone mails queued so far, oldest first.
func queuedMails(t *testing.T, db *store.DB) []*store.Mail {
	t.Helper()
	ds, err := db.Deliveries(context.Background(), []string{"queued"}, 1000, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []*store.Mail
	for _, d := range ds {
		if d.MailID == 0 {
			continue
		}
		m, err := db.Mail(context.Background(), d.MailID)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

func confirmURLToken(t *testing.T, raw []byte) string {
	t.Helper()
	s := strings.ReplaceAll(string(raw), "=\r\n", "")
	i := strings.Index(s, "/confirm/")
	if i < 0 {
		t.Fatalf("no confirm link in:\n%s", raw)
	}
	tok := s[i+len("/confirm/"):]
	return tok[:strings.IndexAny(tok, " \r\n")]
}

func TestConfirmTokenExpires(t *testing.T) {
	s, db, _ := newService(t)
	c := &clock{t: time.Now()}
	s.cfg.Now = c.now
	s.signer = newSignerWithClock(c.now)
	ctx := context.Background()
	if err := s.RequestJoin(ctx, JoinRequest{List: "kita", Address: "late@example.net"}); err != nil {
		t.Fatal(err)
	}
	ms := queuedMails(t, db)
	tok := confirmURLToken(t, ms[len(ms)-1].Raw)
	c.t = c.t.Add(8 * 24 * time.Hour)
	if _, err := s.Confirm(ctx, tok); !errors.Is(err, ErrBadToken) {
		t.Fatalf("expired token: %v", err)
	}
	if _, err := db.Member(ctx, 1, "late@example.net"); !errors.Is(err, store.ErrNotFound) {
		t.Fatal("joined with an expired token")
	}
}

func TestConfirmTokenBoundToAddress(t *testing.T) {
	s, db, _ := newService(t)
	ctx := context.Background()
	s.RequestJoin(ctx, JoinRequest{List: "kita", Address: "a@example.net"})
	s.RequestJoin(ctx, JoinRequest{List: "kita", Address: "b@example.net"})
	ms := queuedMails(t, db)
	tokA := confirmURLToken(t, ms[0].Raw)
	tokB := confirmURLToken(t, ms[1].Raw)
	// Swap the nonces: a's signature with b's request must fail.
	a, b := strings.Split(tokA, "."), strings.Split(tokB, ".")
	if _, err := s.Confirm(ctx, b[0]+"."+a[1]); !errors.Is(err, ErrBadToken) {
		t.Fatalf("mixed token: %v", err)
	}
	if _, err := s.Confirm(ctx, tokB); err != nil {
		t.Fatalf("b's own token: %v", err)
	}
	if _, err := s.Confirm(ctx, tokB); !errors.Is(err, ErrBadToken) {
		t.Fatalf("reused token: %v", err)
	}
}

func TestBounceScoreDecays(t *testing.T) {
	s, db, _ := newService(t)
	c := &clock{t: time.Now()}
	s.cfg.Now = c.now
	ctx := context.Background()
	l, _ := s.List(ctx, "kita")
	verp := s.VERP("kita", "anna@example.net")
	tok := strings.TrimSuffix(strings.TrimPrefix(verp, "kita-bounces+"), "@lists.example.org")
	hard := []byte("From: MAILER-DAEMON@mx.example\r\nSubject: Undelivered Mail Returned to Sender\r\nAuto-Submitted: auto-replied\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example\r\n\r\n" +
		"Final-Recipient: rfc822; anna@example.net\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n--b--\r\n")
	rc := &Recipient{List: l, Kind: KindBounce, Token: tok}
	for i := 0; i < 4; i++ {
		if err := s.bounce(ctx, rc, hard); err != nil {
			t.Fatal(err)
		}
	}
	m, _ := db.Member(ctx, l.ID, "anna@example.net")
	if m.BounceScore != 4 || !m.DisabledAt.IsZero() {
		t.Fatalf("after 4: %+v", m)
	}
	// A week and a day later the old score no longer counts.
	c.t = c.t.Add(8 * 24 * time.Hour)
	s.bounce(ctx, rc, hard)
	m, _ = db.Member(ctx, l.ID, "anna@example.net")
	if m.BounceScore != 1 || !m.DisabledAt.IsZero() {
		t.Fatalf("after decay: %+v", m)
	}
	for i := 0; i < 4; i++ {
		s.bounce(ctx, rc, hard)
	}
	m, _ = db.Member(ctx, l.ID, "anna@example.net")
	if m.DisabledAt.IsZero() {
		t.Fatalf("not disabled at 5: %+v", m)
	}
	// 30 days later the member is removed.
	c.t = c.t.Add(31 * 24 * time.Hour)
	if err := s.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Member(ctx, l.ID, "anna@example.net"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("still a member after 30 days disabled: %v", err)
	}
}

func TestAutomatic(t *testing.T) {
	tests := []struct {
		name    string
		raw     string
		envFrom string
		auto    bool
	}{
		{"person", "From: anna@example.net\r\n\r\nx", "anna@example.net", false},
		{"auto-submitted no", "From: anna@example.net\r\nAuto-Submitted: no\r\n\r\nx", "anna@example.net", false},
		{"auto-replied", "From: anna@example.net\r\nAuto-Submitted: auto-replied\r\n\r\nx", "anna@example.net", true},
		{"auto-generated", "From: anna@example.net\r\nAuto-Submitted: auto-generated\r\n\r\nx", "anna@example.net", true},
		{"precedence bulk", "From: anna@example.net\r\nPrecedence: bulk\r\n\r\nx", "anna@example.net", true},
		{"precedence junk", "From: anna@example.net\r\nPrecedence: junk\r\n\r\nx", "anna@example.net", true},
		{"precedence list", "From: anna@example.net\r\nPrecedence: list\r\n\r\nx", "anna@example.net", true},
		{"list-id", "From: anna@example.net\r\nList-Id: <x.example.org>\r\n\r\nx", "anna@example.net", true},
		{"x-autoreply", "From: anna@example.net\r\nX-Autoreply: yes\r\n\r\nx", "anna@example.net", true},
		{"outlook suppress", "From: anna@example.net\r\nX-Auto-Response-Suppress: All\r\n\r\nx", "anna@example.net", true},
		{"null sender", "From: anna@example.net\r\n\r\nx", "", true},
		{"mailer-daemon", "From: MAILER-DAEMON@mx.example\r\n\r\nx", "bounce@mx.example", true},
		{"noreply", "From: no-reply@shop.example\r\n\r\nx", "no-reply@shop.example", true},
		{"do-not-reply", "From: do_not_reply@shop.example\r\n\r\nx", "bounces@shop.example", true},
		{"other list's request", "From: x-request@lists.example\r\n\r\nx", "x-request@lists.example", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := archiveParse(tt.raw)
			if err != nil {
				t.Fatal(err)
			}
			if got, why := Automatic(p, tt.envFrom); got != tt.auto {
				t.Errorf("Automatic = %v (%s), want %v", got, why, tt.auto)
			}
		})
	}
}

// TestJoinKeepsPseudonym: one pseudonym for all lists. A member who joins another
// list without giving a name keeps the one they have; a name given wins.
func TestJoinKeepsPseudonym(t *testing.T) {
	s, db, _ := newService(t)
	ctx := context.Background()
	if _, err := s.AddMember(ctx, "kita", "sonne@example.net", MemberOptions{Name: "Sonnenblume"}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ list, name, want string }{{"schule", "", "Sonnenblume"}, {"job", "Sonne", "Sonne"}} {
		l, err := s.CreateList(ctx, tt.list, ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.RequestJoin(ctx, JoinRequest{List: tt.list, Address: "sonne@example.net", Name: tt.name}); err != nil {
			t.Fatal(err)
		}
		ms := queuedMails(t, db)
		if _, err := s.Confirm(ctx, confirmURLToken(t, ms[len(ms)-1].Raw)); err != nil {
			t.Fatal(err)
		}
		m, err := db.Member(ctx, l.ID, "sonne@example.net")
		if err != nil || m.Name != tt.want {
			t.Errorf("%s: name %q (%v), want %q", tt.list, m.Name, err, tt.want)
		}
	}
}

// TestInputErrorsNameTheirField: every field error of the domain is one type, an
// *InputError naming its field: the join form's (the pages show their own sentence
// for the field) and the write forms' (which name the catalogue's sentence in Key).
func TestInputErrorsNameTheirField(t *testing.T) {
	s, _, _ := newService(t)
	ctx := context.Background()
	for _, tt := range []struct {
		name       string
		err        func() error
		field, key string
	}{
		{"join address", func() error { return s.RequestJoin(ctx, JoinRequest{List: "kita", Address: "x"}) }, "address", ""},
		{"join name", func() error {
			return s.RequestJoin(ctx, JoinRequest{List: "kita", Address: "a@example.net", Name: "b@example.net"})
		}, "name", ""},
		{"join postal", func() error {
			return s.RequestJoin(ctx, JoinRequest{List: "kita", Address: "a@example.net", Postal: "!"})
		}, "postal", ""},
		{"join mode", func() error {
			return s.RequestJoin(ctx, JoinRequest{List: "kita", Address: "a@example.net", Mode: "sometimes"})
		}, "mode", ""},
		{"ask email", func() error { return s.Ask(ctx, AskRequest{List: "kita", Email: "nobody", Subject: "x", Text: "y"}) }, "email", "ask_bad_email"},
		{"ask postal", func() error {
			return s.Ask(ctx, AskRequest{List: "kita", Email: "a@example.net", Postal: "1", Subject: "x", Text: "y"})
		}, "postal", "ask_bad_postal"},
		{"post text", func() error {
			_, err := s.PostFromWeb(ctx, WebPost{List: "kita", Address: "anna@example.net", Subject: "x"})
			return err
		}, "text", "write_empty"},
		{"attachment", func() error {
			_, err := CheckAttachment(Attachment{Name: "x.html", Type: "text/html", Data: []byte("<html>")})
			return err
		}, "attachment", "write_bad_file"},
	} {
		var ie *InputError
		if err := tt.err(); !errors.As(err, &ie) || ie.Field != tt.field || ie.Key != tt.key || ie.Error() == "" {
			t.Errorf("%s: %v, want an input error about %s with key %q", tt.name, err, tt.field, tt.key)
		}
	}
}
