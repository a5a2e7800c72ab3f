package lists

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/emersion/go-msgauth/dkim"
	dto "github.com/prometheus/client_model/go"
)

// TestForgedEnvelopeIsHeld: a stranger's envelope with a member's From is neither sent
// to the members nor archived under the member's pseudonym: it waits for the
// moderators, without the member.
func TestForgedEnvelopeIsHeld(t *testing.T) {
	s, db, _ := newService(t)
	ctx := context.Background()
	if _, err := s.AddMember(ctx, "kita", "mod@example.org", MemberOptions{Role: "moderator", Mode: "nomail"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddMember(ctx, "kita", "bob@example.net", MemberOptions{Name: "Papa B."}); err != nil {
		t.Fatal(err)
	}
	l, _ := s.List(ctx, "kita")
	raw := "From: Bob <bob@example.net>\r\nSubject: Treffen\r\nMessage-ID: <forged@x>\r\n\r\nKommt alle zu mir nach Hause.\r\n"
	if err := deliver(t, s, "attacker@evil.example", "kita@lists.example.org", raw); err != nil {
		t.Fatalf("forged post refused instead of held: %v", err)
	}
	if ms, _ := db.Messages(ctx, l.ID, 100, 0); len(ms) != 0 {
		t.Errorf("forged post archived: %+v", ms[0])
	}
	ds, err := db.Deliveries(ctx, []string{"queued"}, 1000, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if d.MessageID != 0 {
			t.Errorf("a copy of the forged post was queued for %s", d.Rcpt)
		}
	}
	held, _ := s.HeldPosts(ctx, "")
	if len(held) != 1 || !strings.Contains(held[0].Held.Reason, "sender not authenticated") {
		t.Fatalf("held: %+v", held)
	}
	// The member's own post, from the member's own envelope, still goes out.
	if err := deliver(t, s, "bob@example.net", "kita@lists.example.org", strings.Replace(raw, "forged@x", "real@x", 1)); err != nil {
		t.Fatal(err)
	}
	if ms, _ := db.Messages(ctx, l.ID, 100, 0); len(ms) != 1 || ms[0].FromName != "Papa B." {
		t.Errorf("the member's own post: %+v", ms)
	}
}

// authDNS is a fakeResolver with names that time out.
type authDNS struct {
	fakeResolver
	slow map[string]bool
}

func (a authDNS) LookupTXT(ctx context.Context, name string) ([]string, error) {
	if a.slow[name] {
		return nil, &net.DNSError{Err: "i/o timeout", Name: name, IsTimeout: true, IsTemporary: true}
	}
	return a.fakeResolver.LookupTXT(ctx, name)
}

// dkimKey signs as a domain whose public key the fake DNS publishes.
type dkimKey struct {
	domain string
	key    ed25519.PrivateKey
}

func newDKIMKey(t *testing.T, dns fakeResolver, domain string) dkimKey {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	dns["s1._domainkey."+domain] = []string{"v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(pub)}
	return dkimKey{domain: domain, key: priv}
}

func (k dkimKey) sign(t *testing.T, msg string) string {
	t.Helper()
	var b bytes.Buffer
	if err := dkim.Sign(&b, strings.NewReader(msg), &dkim.SignOptions{Domain: k.domain, Selector: "s1", Signer: k.key}); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestSenderAuthentication(t *testing.T) {
	s, db, _ := newService(t)
	ctx := context.Background()
	for _, a := range []string{"mod@example.org", "carla@reject.example", "eva@plain.example"} {
		role := ""
		if a == "mod@example.org" {
			role = "moderator"
		}
		if _, err := s.AddMember(ctx, "kita", a, MemberOptions{Role: role, Mode: "nomail"}); err != nil {
			t.Fatal(err)
		}
	}
	dns := fakeResolver{
		"example.net":           {"v=spf1 ip4:192.0.2.7 -all"},
		"evil.example":          {"v=spf1 ip4:198.51.100.0/24 -all"},
		"_dmarc.reject.example": {"v=DMARC1; p=reject"},
	}
	netKey := newDKIMKey(t, dns, "example.net")
	rejectKey := newDKIMKey(t, dns, "reject.example")
	evilKey := newDKIMKey(t, dns, "evil.example")
	s.cfg.Resolver = authDNS{fakeResolver: dns, slow: map[string]bool{"_dmarc.slow.example": true}}
	const mx = "mx.lists.example.org"
	s.cfg.TrustedAuthServID = mx
	if _, err := s.AddMember(ctx, "kita", "dora@slow.example", MemberOptions{Mode: "nomail"}); err != nil {
		t.Fatal(err)
	}

	local := Client{IP: netip.MustParseAddr("127.0.0.1"), HELO: "localhost"}
	poster := Client{IP: netip.MustParseAddr("192.0.2.7"), HELO: "mail.example.net"}
	stranger := Client{IP: netip.MustParseAddr("198.51.100.9"), HELO: "evil.example"}
	msg := func(from string) string {
		return "From: " + from + "\r\nTo: kita@lists.example.org\r\nSubject: Hallo\r\n\r\nHallo zusammen\r\n"
	}
	const (
		accepted = "accepted"
		held     = "held"
		deferred = "deferred"
		dropped  = "dropped"
	)
	tests := []struct {
		name    string
		client  Client
		envFrom string
		raw     string
		want    string
	}{
		{"unsigned, own envelope, nothing published", local, "eva@plain.example", msg("eva@plain.example"), accepted},
		{"unsigned, own envelope in other case", local, "Eva@Plain.EXAMPLE", msg("Eva <eva@plain.example>"), accepted},
		// Behind a local server listd cannot check SPF: a domain that publishes SPF is
		// not "nothing published", so only a signature proves it.
		{"unsigned, own envelope, spf published, local", local, "anna@example.net", msg("anna@example.net"), held},
		{"signed, own envelope, spf published, local", local, "anna@example.net", netKey.sign(t, msg("anna@example.net")), accepted},
		{"unsigned, own envelope, spf published, trusted spf pass", local, "anna@example.net",
			"Authentication-Results: " + mx + "; spf=pass smtp.mailfrom=anna@example.net\r\n" + msg("anna@example.net"), accepted},
		{"unsigned, forged envelope", local, "attacker@evil.example", msg("anna@example.net"), held},
		{"unsigned, null sender: automatic mail, never posted", local, "", msg("anna@example.net"), dropped},
		{"signed by the member's domain, other envelope", local, "bounces@mailer.example", netKey.sign(t, msg("anna@example.net")), accepted},
		{"signed by a stranger's domain, forged envelope", stranger, "attacker@evil.example", evilKey.sign(t, msg("anna@example.net")), held},
		{"signature broken on the way", local, "attacker@evil.example", strings.Replace(netKey.sign(t, msg("anna@example.net")), "Hallo zusammen", "Kauft Pillen", 1), held},
		{"spf pass", poster, "anna@example.net", msg("anna@example.net"), accepted},
		{"spf fail with the member's own envelope", stranger, "anna@example.net", msg("anna@example.net"), held},
		{"member only in the envelope, spf pass", poster, "ben@example.net", msg("Ben <ben@other.example>"), accepted},
		{"member only in the envelope, nothing proven", local, "ben@example.net", msg("Ben <ben@other.example>"), held},
		{"dmarc p=reject, unsigned", local, "carla@reject.example", msg("carla@reject.example"), held},
		{"dmarc p=reject, signed", local, "carla@reject.example", rejectKey.sign(t, msg("carla@reject.example")), accepted},
		{"trusted results from the local server", local, "srs0=x@forwarder.example",
			"Authentication-Results: " + mx + "; dmarc=pass header.from=reject.example\r\n" + msg("carla@reject.example"), accepted},
		{"member only in the envelope, trusted dmarc pass of the From domain", local, "ben@example.net",
			"Authentication-Results: " + mx + "; dmarc=pass header.from=reject.example\r\n" + msg("x@reject.example"), held},
		{"a stranger's results are ignored", local, "attacker@evil.example",
			"Authentication-Results: mx.evil.example; dmarc=pass header.from=reject.example; dkim=pass header.d=reject.example\r\n" + msg("carla@reject.example"), held},
		{"trusted id from a remote client is ignored", stranger, "attacker@evil.example",
			"Authentication-Results: " + mx + "; dmarc=pass header.from=reject.example\r\n" + msg("carla@reject.example"), held},
		{"dns timeout", local, "dora@slow.example", msg("dora@slow.example"), deferred},
		// The envelope alone names the member: only SPF checks the envelope, and a
		// signature of the From domain proves the From line, not the envelope.
		{"member only in the envelope, signed by the From domain, spf fail", stranger, "anna@example.net",
			netKey.sign(t, msg("Mallory <mallory@example.net>")), held},
		{"member only in the envelope, signed by the From domain, local", local, "anna@example.net",
			netKey.sign(t, msg("Mallory <mallory@example.net>")), held},
		{"member only in the envelope, trusted dkim pass of the From domain", local, "anna@example.net",
			"Authentication-Results: " + mx + "; dkim=pass header.d=example.net; dmarc=pass header.from=example.net\r\n" +
				msg("mallory@example.net"), held},
		{"member only in the envelope, trusted spf pass", local, "anna@example.net",
			"Authentication-Results: " + mx + "; spf=pass smtp.mailfrom=anna@example.net\r\n" + msg("Anna <anna@other.example>"), accepted},
		// The archive reads the first From, DKIM the signed one: a message with more
		// than one author is never proven.
		{"a second From on top of a signed message", stranger, "attacker@evil.example",
			"From: anna@example.net\r\n" + netKey.sign(t, msg("mallory@example.net")), held},
		{"a From with two mailboxes, signed", stranger, "attacker@evil.example",
			netKey.sign(t, msg("anna@example.net, mallory@example.net")), held},
		{"a From with two mailboxes, own envelope", local, "anna@example.net", msg("anna@example.net, mallory@example.net"), held},
		// Only the results the server in front put on top count; a sender's own
		// fields below them are ignored.
		{"trusted results below the server's own", local, "attacker@evil.example",
			"Authentication-Results: " + mx + "; spf=fail smtp.mailfrom=evil.example\r\n" +
				"Received: from evil.example by " + mx + "\r\n" +
				"Authentication-Results: " + mx + "; dmarc=pass header.from=reject.example\r\n" + msg("carla@reject.example"), held},
		{"trusted results directly below the server's own, another method", local, "attacker@evil.example",
			"Authentication-Results: " + mx + "; spf=fail smtp.mailfrom=evil.example\r\n" +
				"Authentication-Results: " + mx + "; dmarc=pass header.from=reject.example\r\n" + msg("carla@reject.example"), accepted},
	}
	l, _ := s.List(ctx, "kita")
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The Message-ID goes above the first From, below any results on top.
			raw := strings.Replace(tt.raw, "From: ", fmt.Sprintf("Message-ID: <auth%d@x>\r\nFrom: ", i), 1)
			archivedBefore, _ := db.Messages(ctx, l.ID, 1000, 0)
			heldBefore, _ := s.HeldPosts(ctx, "")
			err := deliverVia(t, s, tt.client, tt.envFrom, "kita@lists.example.org", raw)
			archivedAfter, _ := db.Messages(ctx, l.ID, 1000, 0)
			heldAfter, _ := s.HeldPosts(ctx, "")
			var rej *Rejection
			got := "?"
			switch {
			case err == nil && len(archivedAfter) == len(archivedBefore)+1 && len(heldAfter) == len(heldBefore):
				got = accepted
			case err == nil && len(archivedAfter) == len(archivedBefore) && len(heldAfter) == len(heldBefore)+1:
				got = held
				if r := heldAfter[len(heldAfter)-1].Held.Reason; !strings.Contains(r, "sender not authenticated") || !strings.Contains(r, "Absender nicht bestätigt") {
					t.Errorf("hold reason %q", r)
				}
			case errors.As(err, &rej) && rej.Code == 451 && rej.Enhanced == [3]int{4, 4, 3}:
				got = deferred
			case err == nil && len(archivedAfter) == len(archivedBefore) && len(heldAfter) == len(heldBefore):
				got = dropped
			}
			if got != tt.want {
				t.Errorf("%s (err %v, archived %d→%d, held %d→%d), want %s", got, err,
					len(archivedBefore), len(archivedAfter), len(heldBefore), len(heldAfter), tt.want)
			}
		})
	}
	counted := map[string]float64{}
	for _, v := range []string{"pass", "fail", "none", "temperror", "unchecked"} {
		for _, o := range []string{accepted, held, deferred} {
			var m dto.Metric
			if err := s.senderAuth.WithLabelValues(v, o).Write(&m); err != nil {
				t.Fatal(err)
			}
			counted[o] += m.GetCounter().GetValue()
		}
	}
	want := map[string]float64{}
	for _, tt := range tests {
		if tt.want != dropped {
			want[tt.want]++
		}
	}
	for o, n := range want {
		if counted[o] != n {
			t.Errorf("listd_sender_auth_total{outcome=%q} = %v, want %v", o, counted[o], n)
		}
	}
}
