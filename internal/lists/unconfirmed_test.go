package lists

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"listd/internal/store"
)

func TestMailboxOf(t *testing.T) {
	tests := []struct{ in, want string }{
		{"victim@example.org", "victim@example.org"},
		{"Victim+x@Example.org", "victim@example.org"},
		{"VICTIM+1+2@EXAMPLE.ORG.", "victim@example.org"},
		{"victim+@example.org", "victim@example.org"},
		{`"victim+tag"@example.org`, "victim@example.org"},
		{"v.i.c.t.i.m+x@googlemail.com", "victim@gmail.com"},
		{"V.ictim@Gmail.com", "victim@gmail.com"},
		{"v.ictim@example.org", "v.ictim@example.org"},
		{"anna-maria@example.org", "anna-maria@example.org"},
		{"+x@example.org", "@example.org"},
		{"nodomain", "nodomain"},
		{"Anna@Bücher.Example", "anna@xn--bcher-kva.example"},
		{"anna+x@xn--bcher-kva.example", "anna@xn--bcher-kva.example"},
	}
	for _, tt := range tests {
		if got := MailboxOf(tt.in); string(got) != tt.want {
			t.Errorf("MailboxOf(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzMailboxOf(f *testing.F) {
	for _, s := range []string{"victim@example.org", "Victim+x@Example.org", "a.b+c@googlemail.com", `"x+y"@z`, "@", "+", "a@b@c+d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m := MailboxOf(s)
		if again := MailboxOf(string(m)); again != m {
			t.Errorf("not idempotent: %q -> %q -> %q", s, m, again)
		}
		if string(m) != strings.ToLower(string(m)) {
			t.Errorf("%q is not lower-case", m)
		}
		if at := strings.LastIndexByte(string(m), '@'); at >= 0 && strings.Contains(string(m)[:at], "+") {
			t.Errorf("%q keeps a +tag", m)
		}
	})
}

func TestNetworkOf(t *testing.T) {
	tests := []struct {
		ip   string
		want string // "" for not counted
	}{
		{"203.0.113.7", "203.0.113.0/24"},
		{"203.0.113.250", "203.0.113.0/24"},
		{"::ffff:203.0.113.9", "203.0.113.0/24"},
		{"198.51.100.1", "198.51.100.0/24"},
		{"2001:db8:1:2::1", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"},
		{"2001:db8:1:3::1", "2001:db8:1:3::/64"},
		{"127.0.0.1", ""},
		{"127.0.0.2", ""},
		{"::1", ""},
		{"::ffff:127.0.0.1", ""},
		{"10.1.2.3", ""},
		{"192.168.1.1", ""},
		{"172.17.0.1", ""},
		{"fd00::1", ""},
		{"fe80::1", ""},
		{"0.0.0.0", ""},
	}
	for _, tt := range tests {
		n, ok := NetworkOf(netip.MustParseAddr(tt.ip))
		got := ""
		if ok {
			got = n.String()
		}
		if got != tt.want {
			t.Errorf("NetworkOf(%s) = %q, want %q", tt.ip, got, tt.want)
		}
	}
	if _, ok := NetworkOf(netip.Addr{}); ok {
		t.Error("an unknown client is counted in a network")
	}
}

func deliverAs(t *testing.T, s *Service, c Client, from, rcpt, raw string) {
	t.Helper()
	ctx := context.Background()
	txn, err := s.Begin(ctx, c, from)
	if err != nil {
		t.Fatal(err)
	}
	if err := txn.AddRcpt(ctx, rcpt); err != nil {
		t.Fatal(err)
	}
	for _, err := range txn.Deliver(ctx, strings.NewReader(raw)) {
		if err != nil {
			t.Fatalf("deliver to %s: %v", rcpt, err)
		}
	}
}

// mailsToMailbox counts the queued standalone mails whose recipient folds to mb.
func mailsToMailbox(t *testing.T, db *store.DB, mb string) int {
	t.Helper()
	ds, err := db.Deliveries(context.Background(), []string{"queued"}, 10000, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, d := range ds {
		if d.MailID != 0 && string(MailboxOf(d.Rcpt)) == mb {
			n++
		}
	}
	return n
}

// strangerRequest is the i-th of a stranger's requests that each make listd mail
// from, rotating through every kind of address that answers.
func strangerRequest(i int, from string) (rcpt, raw string) {
	head := func(to, subject string) string {
		return fmt.Sprintf("From: %s\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <req%d@stranger.example>\r\n\r\n", from, to, subject, i)
	}
	switch i % 6 {
	case 0:
		rcpt = "kita-subscribe@lists.example.org"
		return rcpt, head(rcpt, "")
	case 1:
		rcpt = "kita-request@lists.example.org"
		return rcpt, head(rcpt, "help")
	case 2:
		rcpt = "kita-unsubscribe@lists.example.org"
		return rcpt, head(rcpt, "")
	case 3:
		rcpt = "beratung@lists.example.org"
		return rcpt, head(rcpt, "Beratung")
	case 4:
		rcpt = "kita@lists.example.org" // a non-member's post is held; the poster is told
		return rcpt, head(rcpt, "Hallo") + "Text\r\n"
	default:
		rcpt = "kita-confirm+0123456789abcdef.aaaaaaaaaaaaa@lists.example.org" // a bad token is answered
		return rcpt, head(rcpt, "Re: x")
	}
}

func TestUnconfirmedMailboxLimit(t *testing.T) {
	s, db, _ := newService(t)
	ctx := context.Background()
	if _, err := s.AddMember(ctx, "kita", "mod@example.org", MemberOptions{Role: "moderator"}); err != nil {
		t.Fatal(err)
	}
	// One stranger, one mailbox, thirty sub-addresses, every kind of request: at most
	// the mailbox's hourly budget arrives, from loopback and from far away alike.
	for _, c := range []Client{{}, {IP: netip.MustParseAddr("203.0.113.7")}} {
		for i := 1; i <= 30; i++ {
			from := fmt.Sprintf("Victim+%d@Example.org", i)
			if c.IP.IsValid() {
				from = fmt.Sprintf("other+%d@example.org", i)
			}
			rcpt, raw := strangerRequest(i, from)
			deliverAs(t, s, c, from, rcpt, raw)
		}
		// Web requests for a login link count too, member or not.
		for i := 1; i <= 3; i++ {
			if err := s.RequestLogin(WithClient(ctx, c), fmt.Sprintf("victim+web%d@example.org", i), "de"); err == nil {
				t.Errorf("login link %d asked for past the limit: no ErrRateLimited", i)
			}
		}
	}
	for _, mb := range []string{"victim@example.org", "other@example.org"} {
		if n := mailsToMailbox(t, db, mb); n != mailboxPerHour {
			t.Errorf("%s got %d mails, want %d", mb, n, mailboxPerHour)
		}
	}
	// The counters are in the store: a restarted service goes on counting.
	s2, err := New(db, s.signer, s.cfg)
	if err != nil {
		t.Fatal(err)
	}
	rcpt, raw := strangerRequest(0, "VICTIM+again@example.org")
	deliverAs(t, s2, Client{}, "victim+again@example.org", rcpt, raw)
	if n := mailsToMailbox(t, db, "victim@example.org"); n != mailboxPerHour {
		t.Errorf("after a restart victim@example.org got %d mails, want %d", n, mailboxPerHour)
	}
	// Another mailbox still gets its answer.
	deliverAs(t, s, Client{}, "someone@example.org", rcpt, strings.Replace(raw, "VICTIM+again", "someone", 1))
	if n := mailsToMailbox(t, db, "someone@example.org"); n != 1 {
		t.Errorf("an unrelated mailbox got %d mails, want 1", n)
	}
}

func TestUnconfirmedNetworkLimit(t *testing.T) {
	s, db, _ := newService(t)
	count := func() int { return len(queuedMails(t, db)) }
	spray := func(c Client, prefix string, n int) int {
		before := count()
		for i := 0; i < n; i++ {
			from := fmt.Sprintf("%s%d@example.net", prefix, i)
			rcpt, raw := strangerRequest(i*6+1, from) // help requests, each to its own mailbox
			deliverAs(t, s, c, from, rcpt, raw)
		}
		return count() - before
	}
	far := Client{IP: netip.MustParseAddr("203.0.113.7")}
	if got := spray(far, "a", networkPerHour+10); got != networkPerHour {
		t.Errorf("one /24 caused %d mails, want %d", got, networkPerHour)
	}
	if got := spray(Client{IP: netip.MustParseAddr("203.0.113.200")}, "b", 3); got != 0 {
		t.Errorf("another host of the same /24 caused %d mails, want 0", got)
	}
	if got := spray(Client{IP: netip.MustParseAddr("203.0.114.1")}, "c", 3); got != 3 {
		t.Errorf("the next /24 caused %d mails, want 3", got)
	}
	v6 := Client{IP: netip.MustParseAddr("2001:db8:1:2::1")}
	if got := spray(v6, "d", networkPerHour); got != networkPerHour {
		t.Errorf("one /64 caused %d mails, want %d", got, networkPerHour)
	}
	if got := spray(Client{IP: netip.MustParseAddr("2001:db8:1:2:dead:beef::9")}, "e", 3); got != 0 {
		t.Errorf("another address of the same /64 caused %d mails, want 0", got)
	}
	// Behind a local MTA everybody is loopback: no network budget for one stranger to
	// use up, only the mailbox limits.
	if got := spray(Client{IP: netip.MustParseAddr("127.0.0.1")}, "f", networkPerHour+10); got != networkPerHour+10 {
		t.Errorf("loopback caused %d mails, want %d", got, networkPerHour+10)
	}
}

// A stranger's words never reach a mail to an address that has not confirmed.
func TestUnconfirmedMailsCarryNoStrangerText(t *testing.T) {
	s, db, _ := newService(t)
	ctx := context.Background()
	if _, err := s.AddMember(ctx, "kita", "mod@example.org", MemberOptions{Role: "moderator"}); err != nil {
		t.Fatal(err)
	}
	const evil = "Click http://evil.example/win"
	send := func(from, rcpt, subject, body string) {
		t.Helper()
		raw := "From: \"" + evil + "\" <" + from + ">\r\nTo: " + rcpt + "\r\nSubject: " + subject +
			"\r\nMessage-ID: <" + strings.ReplaceAll(from, "@", ".") + "@c>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n"
		deliverAs(t, s, Client{}, from, rcpt, raw)
	}
	send("p1@example.net", "kita-subscribe@lists.example.org", "", "")
	send("p2@example.net", "kita-subscribe@lists.example.org", "", "name "+evil)
	send("p3@example.net", "kita-request@lists.example.org", "", evil)
	send("p4@example.net", "kita-request@lists.example.org", "", "help\r\n"+evil)
	send("p5@example.net", "kita@lists.example.org", evil, "Text")
	send("anna@example.net", "kita-request@lists.example.org", "", "name "+evil)
	if err := s.RequestJoin(ctx, JoinRequest{List: "kita", Address: "p6@example.net", Name: evil}); err != nil {
		t.Fatal(err)
	}
	held, err := db.HeldPosts(ctx, 1, "held")
	if err != nil || len(held) != 1 {
		t.Fatalf("held: %v %v", held, err)
	}
	if err := s.Moderate(ctx, held[0].ID, ModReject, "", "mod@example.org"); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, m := range queuedMails(t, db) {
		to := ""
		if i := strings.Index(string(m.Raw), "\r\nTo: <"); i >= 0 {
			to, _, _ = strings.Cut(string(m.Raw)[i+7:], ">")
		}
		if to == "mod@example.org" {
			continue // the moderators see the post as it is
		}
		seen[to] = true
		if text := qpText(m.Raw); strings.Contains(text, "evil") || strings.Contains(string(m.Raw), "evil") {
			t.Errorf("%s mail to %s carries the stranger's text:\n%s", m.Kind, to, m.Raw)
		}
	}
	for _, a := range []string{"p1", "p2", "p3", "p4", "p5", "p6", "anna"} {
		if !seen[a+"@example.net"] {
			t.Errorf("no mail to %s@example.net", a)
		}
	}
}

// A moderator's decisions tell posters without charging the moderator's network.
func TestRejectionsCountForPostersOnly(t *testing.T) {
	s, db, _ := newService(t)
	ctx := context.Background()
	if _, err := s.AddMember(ctx, "kita", "mod@example.org", MemberOptions{Role: "moderator"}); err != nil {
		t.Fatal(err)
	}
	n := networkPerHour + 5
	for i := 0; i < n; i++ {
		from := fmt.Sprintf("poster%d@example.net", i)
		rcpt, raw := strangerRequest(4, from)
		deliverAs(t, s, Client{}, from, rcpt, strings.Replace(raw, "<req4@", fmt.Sprintf("<held%d@", i), 1))
	}
	held, err := db.HeldPosts(ctx, 1, "held")
	if err != nil || len(held) != n {
		t.Fatalf("held %d posts, want %d: %v", len(held), n, err)
	}
	modCtx := WithClient(ctx, Client{IP: netip.MustParseAddr("203.0.113.7")})
	for _, h := range held {
		if err := s.Moderate(modCtx, h.ID, ModReject, "thema", "mod@example.org"); err != nil {
			t.Fatal(err)
		}
	}
	rejected := 0
	for _, m := range queuedMails(t, db) {
		if m.Kind == "rejected" {
			rejected++
		}
	}
	if rejected != n {
		t.Errorf("%d posters told of the rejection, want %d", rejected, n)
	}
}
