package senderauth

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"io"
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/emersion/go-msgauth/dkim"
	"github.com/emersion/go-msgauth/dmarc"
)

// FakeDNS answers from maps; names it does not know do not exist, and names in
// timeout time out.
type FakeDNS struct {
	TXT     map[string][]string
	A       map[string][]net.IPAddr
	Timeout map[string]bool
}

var _ Resolver = (*FakeDNS)(nil)

func (f *FakeDNS) err(name string) error {
	if f.Timeout[name] {
		return &net.DNSError{Err: "i/o timeout", Name: name, IsTimeout: true, IsTemporary: true}
	}
	return &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func (f *FakeDNS) LookupTXT(ctx context.Context, name string) ([]string, error) {
	name = strings.TrimSuffix(name, ".")
	if v, ok := f.TXT[name]; ok && !f.Timeout[name] {
		return v, nil
	}
	return nil, f.err(name)
}

func (f *FakeDNS) LookupMX(ctx context.Context, name string) ([]*net.MX, error) {
	return nil, f.err(name)
}

func (f *FakeDNS) LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error) {
	host = strings.TrimSuffix(host, ".")
	if v, ok := f.A[host]; ok {
		return v, nil
	}
	return nil, f.err(host)
}

func (f *FakeDNS) LookupAddr(ctx context.Context, addr string) ([]string, error) {
	return nil, f.err(addr)
}

// signer is a DKIM key of a domain, published in a FakeDNS.
type signer struct {
	domain, selector string
	key              ed25519.PrivateKey
}

func newSigner(t testing.TB, dns *FakeDNS, domain string) signer {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	dns.TXT["sel._domainkey."+domain] = []string{"v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(pub)}
	return signer{domain: domain, selector: "sel", key: priv}
}

const plain = "From: Bob <bob@example.net>\r\nTo: kita@lists.example.org\r\nSubject: Hallo\r\n" +
	"Message-ID: <1@example.net>\r\n\r\nHallo zusammen\r\n"

func TestCheck(t *testing.T) {
	dns := &FakeDNS{TXT: map[string][]string{
		"example.net":           {"v=spf1 ip4:192.0.2.0/24 -all"},
		"soft.example":          {"v=spf1 ~all"},
		"evil.example":          {"v=spf1 ip4:198.51.100.0/24 -all"},
		"_dmarc.strict.example": {"v=DMARC1; p=reject; adkim=s; aspf=s"},
		"_dmarc.reject.example": {"v=DMARC1; p=reject"},
		"_dmarc.lax.example":    {"v=DMARC1; p=none"},
		"_dmarc.slow.example":   {"v=DMARC1; p=reject"},
		"_dmarc.broken.example": {"some other text", "v=DMARC1; p=sometimes"},
	}, Timeout: map[string]bool{"_dmarc.slow.example": true}}
	net1 := newSigner(t, dns, "example.net")
	sub := newSigner(t, dns, "mail.reject.example")
	strictSub := newSigner(t, dns, "mail.strict.example")
	evil := newSigner(t, dns, "evil.example")
	signed := func(s signer, msg string) string {
		var b bytes.Buffer
		if err := sign(&b, msg, s); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	from := func(addr string) string { return strings.Replace(plain, "bob@example.net", addr, 1) }
	remote := netip.MustParseAddr("192.0.2.7")
	stranger := netip.MustParseAddr("198.51.100.9")
	const trusted = "mx.lists.example.org"
	tests := []struct {
		name    string
		m       Message
		checker Checker
		want    Result
		method  string
		source  string
	}{
		{name: "unsigned, nothing published", m: Message{Local: true, EnvFrom: "bob@nothing.example", Author: "bob@nothing.example", Raw: []byte(from("bob@nothing.example"))}, want: None},
		{name: "dkim aligned", m: Message{Local: true, EnvFrom: "x@evil.example", Author: "bob@example.net", Raw: []byte(signed(net1, plain))}, want: Pass, method: "dkim"},
		{name: "dkim relaxed alignment under p=reject", m: Message{Local: true, Author: "bob@reject.example", Raw: []byte(signed(sub, from("bob@reject.example")))}, want: Pass, method: "dkim"},
		{name: "dkim not aligned in strict mode", m: Message{Local: true, Author: "bob@strict.example", Raw: []byte(signed(strictSub, from("bob@strict.example")))}, want: Fail, method: "dmarc"},
		{name: "stranger's signature, p=reject", m: Message{Local: true, EnvFrom: "x@evil.example", Author: "bob@reject.example", Raw: []byte(signed(evil, from("bob@reject.example")))}, want: Fail, method: "dmarc"},
		{name: "stranger's signature, nothing published", m: Message{Local: true, EnvFrom: "x@evil.example", Author: "bob@nothing.example", Raw: []byte(signed(evil, from("bob@nothing.example")))}, want: None},
		{name: "broken signature of the author's domain", m: Message{Local: true, Author: "bob@example.net", Raw: []byte(strings.Replace(signed(net1, plain), "Hallo zusammen", "Kauft Pillen", 1))}, want: Fail, method: "dkim"},
		{name: "signature without a key proves nothing", m: Message{Local: true, EnvFrom: "bob@nothing.example", Author: "bob@nothing.example",
			Raw: []byte("DKIM-Signature: v=1; a=rsa-sha256; d=nothing.example; s=sel; h=from:to:subject; bh=abc; b=def\r\n" + from("bob@nothing.example"))}, want: None},
		{name: "unsigned, p=none", m: Message{Local: true, EnvFrom: "bob@lax.example", Author: "bob@lax.example", Raw: []byte(from("bob@lax.example"))}, want: Fail, method: "dmarc"},
		{name: "dmarc at the organizational domain", m: Message{Local: true, EnvFrom: "bob@a.reject.example", Author: "bob@a.reject.example", Raw: []byte(from("bob@a.reject.example"))}, want: Fail, method: "dmarc"},
		{name: "spf pass", m: Message{IP: remote, HELO: "mail.example.net", EnvFrom: "bob@example.net", Author: "bob@example.net", Raw: []byte(plain)}, want: Pass, method: "spf"},
		{name: "spf fail", m: Message{IP: stranger, HELO: "evil.example", EnvFrom: "bob@example.net", Author: "bob@example.net", Raw: []byte(plain)}, want: Fail, method: "spf"},
		{name: "spf softfail", m: Message{IP: stranger, EnvFrom: "bob@soft.example", Author: "bob@soft.example", Raw: []byte(from("bob@soft.example"))}, want: Fail, method: "spf"},
		{name: "spf pass of another domain", m: Message{IP: stranger, EnvFrom: "x@evil.example", Author: "bob@example.net", Raw: []byte(plain)}, want: None},
		{name: "spf of the null sender is the helo name's", m: Message{IP: remote, HELO: "example.net", Author: "bob@example.net", Raw: []byte(plain)}, want: Pass, method: "spf"},
		{name: "spf not checked for local clients, but published", m: Message{IP: netip.MustParseAddr("127.0.0.1"), Local: true, EnvFrom: "bob@example.net", Author: "bob@example.net", Raw: []byte(plain)}, want: Unchecked, method: "spf"},
		{name: "spf published, local client, signed", m: Message{Local: true, EnvFrom: "bob@example.net", Author: "bob@example.net", Raw: []byte(signed(net1, plain))}, want: Pass, method: "dkim"},
		{name: "nothing published, local client", m: Message{Local: true, EnvFrom: "bob@plain.example", Author: "bob@plain.example", Raw: []byte(from("bob@plain.example"))}, want: None},
		{name: "malformed dmarc record counts as none", m: Message{Local: true, EnvFrom: "bob@broken.example", Author: "bob@broken.example", Raw: []byte(from("bob@broken.example"))}, want: None},
		{name: "dns timeout", m: Message{Local: true, EnvFrom: "bob@slow.example", Author: "bob@slow.example", Raw: []byte(from("bob@slow.example"))}, want: TempError},
		{name: "no author", m: Message{Local: true, Raw: []byte(plain)}, want: None},
		{name: "trusted dmarc pass", checker: Checker{TrustedAuthServID: trusted},
			m:    Message{Local: true, EnvFrom: "x@bounce.example", Author: "bob@reject.example", Raw: []byte("Authentication-Results: " + trusted + "; dmarc=pass header.from=reject.example\r\n" + from("bob@reject.example"))},
			want: Pass, method: "dmarc", source: "authres"},
		{name: "trusted dkim pass", checker: Checker{TrustedAuthServID: trusted},
			m:    Message{Local: true, Author: "bob@reject.example", Raw: []byte("Authentication-Results: " + trusted + ";\r\n dkim=pass header.d=reject.example; spf=fail smtp.mailfrom=x@reject.example\r\n" + from("bob@reject.example"))},
			want: Pass, method: "dkim", source: "authres"},
		{name: "trusted spf fail", checker: Checker{TrustedAuthServID: trusted},
			m:    Message{Local: true, EnvFrom: "bob@example.net", Author: "bob@example.net", Raw: []byte("Authentication-Results: " + trusted + "; spf=fail smtp.mailfrom=bob@example.net\r\n" + plain)},
			want: Fail, method: "spf", source: "authres"},
		{name: "trusted results over a forged one further down", checker: Checker{TrustedAuthServID: trusted},
			m: Message{Local: true, Author: "bob@example.net", Raw: []byte("Authentication-Results: " + trusted + "; dmarc=fail header.from=example.net\r\n" +
				"Received: from evil.example\r\nAuthentication-Results: " + trusted + "; dmarc=pass header.from=example.net\r\n" + plain)},
			want: Fail, method: "dmarc", source: "authres"},
		{name: "trusted dmarc pass for another domain is not the author's", checker: Checker{TrustedAuthServID: trusted},
			m:    Message{Local: true, EnvFrom: "x@evil.example", Author: "bob@reject.example", Raw: []byte("Authentication-Results: " + trusted + "; dmarc=pass header.from=evil.example\r\n" + from("bob@reject.example"))},
			want: Fail, method: "dmarc", source: "checked"},
		{name: "a stranger's results are ignored", checker: Checker{TrustedAuthServID: trusted},
			m:    Message{Local: true, EnvFrom: "x@evil.example", Author: "bob@reject.example", Raw: []byte("Authentication-Results: mx.evil.example; dmarc=pass header.from=reject.example; dkim=pass header.d=reject.example\r\n" + from("bob@reject.example"))},
			want: Fail, method: "dmarc", source: "checked"},
		{name: "trusted id from a remote client is ignored", checker: Checker{TrustedAuthServID: trusted},
			m:    Message{IP: stranger, EnvFrom: "x@evil.example", Author: "bob@reject.example", Raw: []byte("Authentication-Results: " + trusted + "; dmarc=pass header.from=reject.example\r\n" + from("bob@reject.example"))},
			want: Fail, method: "dmarc", source: "checked"},
		{name: "results believed only when configured",
			m:    Message{Local: true, EnvFrom: "x@evil.example", Author: "bob@reject.example", Raw: []byte("Authentication-Results: " + trusted + "; dmarc=pass header.from=reject.example\r\n" + from("bob@reject.example"))},
			want: Fail, method: "dmarc", source: "checked"},
		{name: "a second From above the signed one", m: Message{IP: stranger, EnvFrom: "x@evil.example", Author: "anna@example.net",
			Raw: []byte("From: anna@example.net\r\n" + signed(net1, from("mallory@example.net")))},
			want: Fail, method: "from"},
		{name: "a From with two mailboxes", m: Message{IP: stranger, EnvFrom: "x@evil.example", Author: "anna@example.net",
			Raw: []byte(signed(net1, from("anna@example.net, mallory@example.net")))},
			want: Fail, method: "from"},
		{name: "an author that is not the From mailbox", m: Message{IP: stranger, EnvFrom: "anna@example.net", Author: "anna@example.net",
			Raw: []byte(signed(net1, from("mallory@example.net")))},
			want: Fail, method: "from"},
		{name: "trusted results below another field are ignored", checker: Checker{TrustedAuthServID: trusted},
			m: Message{Local: true, EnvFrom: "x@evil.example", Author: "bob@reject.example", Raw: []byte(
				"Authentication-Results: " + trusted + "; spf=fail smtp.mailfrom=evil.example\r\nReceived: from x by y\r\n" +
					"Authentication-Results: " + trusted + "; dmarc=pass header.from=reject.example\r\n" + from("bob@reject.example"))},
			want: Fail, method: "dmarc"},
		{name: "trusted results in the top block", checker: Checker{TrustedAuthServID: trusted},
			m: Message{Local: true, EnvFrom: "x@evil.example", Author: "bob@reject.example", Raw: []byte(
				"Authentication-Results: " + trusted + "; spf=fail smtp.mailfrom=evil.example\r\n" +
					"Authentication-Results: " + trusted + "; dmarc=pass header.from=reject.example\r\n" + from("bob@reject.example"))},
			want: Pass, method: "dmarc", source: "authres"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.checker
			c.Resolver = dns
			v := c.Check(context.Background(), tt.m)
			if v.Result != tt.want || v.Method != tt.method {
				t.Errorf("verdict %+v, want %s by %q", v, tt.want, tt.method)
			}
			if tt.source != "" && v.Source != tt.source {
				t.Errorf("source %q, want %q", v.Source, tt.source)
			}
			if strings.Contains(v.Reason, "@") || strings.Contains(v.Reason, ".example") {
				t.Errorf("reason %q names an address or domain", v.Reason)
			}
		})
	}
}

// TestCheckEnvelope: an address named only in the envelope is proven by SPF for the
// envelope's domain alone, never by the From domain's DKIM or DMARC.
func TestCheckEnvelope(t *testing.T) {
	dns := &FakeDNS{TXT: map[string][]string{"example.net": {"v=spf1 ip4:192.0.2.0/24 -all"}}}
	net1 := newSigner(t, dns, "example.net")
	var b bytes.Buffer
	if err := sign(&b, strings.Replace(plain, "bob@example.net", "mallory@example.net", 1), net1); err != nil {
		t.Fatal(err)
	}
	signedByFrom := b.String()
	const trusted = "mx"
	tests := []struct {
		name string
		m    Message
		want Result
	}{
		{"spf pass", Message{IP: netip.MustParseAddr("192.0.2.7"), EnvFrom: "anna@example.net", Raw: []byte(plain)}, Pass},
		{"spf fail, signed by the From domain", Message{IP: netip.MustParseAddr("198.51.100.9"), EnvFrom: "anna@example.net", Raw: []byte(signedByFrom)}, Fail},
		{"local, signed by the From domain", Message{Local: true, EnvFrom: "anna@example.net", Raw: []byte(signedByFrom)}, None},
		{"local, trusted dkim and dmarc pass", Message{Local: true, EnvFrom: "anna@example.net", Raw: []byte(
			"Authentication-Results: mx; dkim=pass header.d=example.net; dmarc=pass header.from=example.net\r\n" + signedByFrom)}, None},
		{"local, trusted spf pass", Message{Local: true, EnvFrom: "anna@example.net", Raw: []byte(
			"Authentication-Results: mx; spf=pass smtp.mailfrom=anna@example.net\r\n" + plain)}, Pass},
		{"local, trusted spf pass for another domain", Message{Local: true, EnvFrom: "anna@example.net", Raw: []byte(
			"Authentication-Results: mx; spf=pass smtp.mailfrom=x@evil.example\r\n" + plain)}, None},
		{"spf pass, two From fields", Message{IP: netip.MustParseAddr("192.0.2.7"), EnvFrom: "anna@example.net", Raw: []byte("From: x@y.example\r\n" + plain)}, Fail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Checker{Resolver: dns, TrustedAuthServID: trusted}
			if v := c.CheckEnvelope(context.Background(), tt.m); v.Result != tt.want {
				t.Errorf("verdict %+v, want %s", v, tt.want)
			}
		})
	}
}

func TestNoResolver(t *testing.T) {
	c := Checker{}
	if v := c.Check(context.Background(), Message{Author: "bob@example.net", Raw: []byte(plain)}); v.Result != None {
		t.Errorf("no resolver: %+v, want none", v)
	}
	c.TrustedAuthServID = "mx"
	raw := "Authentication-Results: mx; dkim=pass header.d=example.net\r\n" + plain
	if v := c.Check(context.Background(), Message{Local: true, Author: "bob@example.net", Raw: []byte(raw)}); v.Result != Pass {
		t.Errorf("no resolver, trusted results: %+v, want pass", v)
	}
}

func TestAligned(t *testing.T) {
	tests := []struct {
		d, author string
		strict    bool
		want      bool
	}{
		{"example.net", "example.net", true, true},
		{"Mail.Example.NET.", "example.net", false, true},
		{"mail.example.net", "example.net", true, false},
		{"example.co.uk", "other.co.uk", false, false},
		{"a.example.co.uk", "b.example.co.uk", false, true},
		{"", "example.net", false, false},
		{"evil.example", "example.net", false, false},
	}
	for _, tt := range tests {
		mode := dmarcRelaxed
		if tt.strict {
			mode = dmarcStrict
		}
		if got := aligned(tt.d, tt.author, mode); got != tt.want {
			t.Errorf("aligned(%q, %q, strict=%v) = %v", tt.d, tt.author, tt.strict, got)
		}
	}
}

// FuzzCheck feeds messages with Authentication-Results and signatures to the checks.
func FuzzCheck(f *testing.F) {
	f.Add("Authentication-Results: mx; dmarc=pass header.from=example.net\r\n" + plain)
	f.Add("Authentication-Results: mx;\r\n dkim=pass (good) header.d=example.net header.i=@example.net; spf=pass smtp.mailfrom=example.net\r\n" + plain)
	f.Add("Authentication-Results: mx 2; none\r\nDKIM-Signature: v=1; a=rsa-sha256; d=example.net; s=x; h=from; bh=; b=\r\n" + plain)
	f.Add("garbage")
	f.Add("From: bob@example.net\r\n" + plain)
	f.Add("Authentication-Results: mx; spf=pass smtp.mailfrom=bob@example.net\r\nReceived: x\r\nFrom: bob@example.net, eve@example.net\r\n\r\n")
	dns := &FakeDNS{TXT: map[string][]string{"_dmarc.example.net": {"v=DMARC1; p=reject"}, "example.net": {"v=spf1 -all"}}}
	f.Fuzz(func(t *testing.T, raw string) {
		c := Checker{Resolver: dns, TrustedAuthServID: "mx"}
		m := Message{Local: true, EnvFrom: "bob@example.net", Author: "bob@example.net", Raw: []byte(raw)}
		for _, v := range []Verdict{c.Check(context.Background(), m), c.CheckEnvelope(context.Background(), m)} {
			switch v.Result {
			case Pass, Fail, None, TempError, Unchecked:
			default:
				t.Fatalf("verdict %+v", v)
			}
		}
	})
}

const (
	dmarcRelaxed = dmarc.AlignmentMode(dmarc.AlignmentRelaxed)
	dmarcStrict  = dmarc.AlignmentStrict
)

func sign(w io.Writer, msg string, s signer) error {
	return dkim.Sign(w, strings.NewReader(msg), &dkim.SignOptions{Domain: s.domain, Selector: s.selector, Signer: s.key,
		HeaderKeys: []string{"From", "To", "Subject", "Message-ID"}})
}
