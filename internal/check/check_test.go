package check

import (
	"bytes"
	"context"
	"crypto"
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"

	"listd/internal/dkim"
)

// fakeDNS answers from maps; a name in none of them does not exist.
type fakeDNS struct {
	txt  map[string][]string
	mx   map[string][]*net.MX
	ip   map[string][]string // host → addresses
	ptr  map[string][]string // address → names
	down bool                // every look-up times out
}

var _ Resolver = (*fakeDNS)(nil)

func (f *fakeDNS) err(name string) error {
	if f.down {
		return &net.DNSError{Err: "i/o timeout", Name: name, IsTimeout: true}
	}
	return &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func (f *fakeDNS) LookupTXT(_ context.Context, name string) ([]string, error) {
	if v, ok := f.txt[strings.TrimSuffix(name, ".")]; ok && !f.down {
		return v, nil
	}
	return nil, f.err(name)
}

func (f *fakeDNS) LookupMX(_ context.Context, name string) ([]*net.MX, error) {
	if v, ok := f.mx[strings.TrimSuffix(name, ".")]; ok && !f.down {
		return v, nil
	}
	return nil, f.err(name)
}

func (f *fakeDNS) LookupIPAddr(_ context.Context, host string) ([]net.IPAddr, error) {
	v, ok := f.ip[strings.TrimSuffix(host, ".")]
	if !ok || f.down {
		return nil, f.err(host)
	}
	var out []net.IPAddr
	for _, s := range v {
		out = append(out, net.IPAddr{IP: net.ParseIP(s)})
	}
	return out, nil
}

func (f *fakeDNS) LookupAddr(_ context.Context, addr string) ([]string, error) {
	if v, ok := f.ptr[addr]; ok && !f.down {
		return v, nil
	}
	return nil, f.err(addr)
}

const domain = "lists.example.org"

func key(t *testing.T) crypto.PublicKey {
	t.Helper()
	k, err := dkim.GenerateKey(dkim.Ed25519)
	if err != nil {
		t.Fatal(err)
	}
	return k.Public()
}

// published is a domain with every record in place, sending from 192.0.2.10.
func published(t *testing.T, pub crypto.PublicKey) *fakeDNS {
	txt, err := dkim.TXT(pub)
	if err != nil {
		t.Fatal(err)
	}
	return &fakeDNS{
		txt: map[string][]string{
			domain:                       {"google-site-verification=abc", "v=spf1 ip4:192.0.2.10 -all"},
			"listd._domainkey." + domain: {txt},
			"_dmarc." + domain:           {"v=DMARC1; p=quarantine; rua=mailto:dmarc@example.org"},
		},
		mx:  map[string][]*net.MX{domain: {{Host: "mail.example.org.", Pref: 10}}},
		ip:  map[string][]string{"mail.example.org": {"192.0.2.10"}},
		ptr: map[string][]string{"192.0.2.10": {"mail.example.org."}},
	}
}

func TestRun(t *testing.T) {
	pub := key(t)
	good := Config{Domain: domain, BaseURL: "https://lists.example.org", Relay: "mail.example.org:25",
		Selector: "listd", DKIMKey: pub, KeyFile: "/var/lib/listd/dkim/listd.pem"}
	tests := []struct {
		name   string
		cfg    func(*Config)
		dns    func(*fakeDNS)
		want   map[Item]Status
		failed bool
		text   string // in some line of the English report
	}{
		{name: "everything in place", want: map[Item]Status{ItemRelay: OK, ItemBaseURL: OK, ItemMX: OK, ItemSPF: OK, ItemDKIM: OK, ItemDMARC: OK, ItemPTR: OK}},
		{name: "nothing published, nothing configured",
			cfg: func(c *Config) { c.Relay, c.BaseURL, c.DKIMKey = "", "http://127.0.0.1:8080", nil },
			dns: func(f *fakeDNS) { *f = fakeDNS{} },
			want: map[Item]Status{ItemRelay: Missing, ItemBaseURL: Missing, ItemMX: Missing, ItemSPF: Missing,
				ItemDKIM: Missing, ItemDMARC: Warn, ItemPTR: Warn},
			failed: true, text: "run listd dkim keygen -selector listd"},
		{name: "http base_url", cfg: func(c *Config) { c.BaseURL = "http://lists.example.org" },
			want: map[Item]Status{ItemBaseURL: Warn}, text: "one-click unsubscribe (RFC 8058)"},
		{name: "SPF does not allow the relay",
			dns:  func(f *fakeDNS) { f.txt[domain] = []string{"v=spf1 ip4:198.51.100.1 -all"} },
			want: map[Item]Status{ItemSPF: Missing}, failed: true, text: "does not allow 192.0.2.10 (fail"},
		{name: "two SPF records",
			dns:  func(f *fakeDNS) { f.txt[domain] = append(f.txt[domain], "v=spf1 mx -all") },
			want: map[Item]Status{ItemSPF: Missing}, failed: true, text: "2 SPF records"},
		{name: "DKIM record of another key",
			cfg:  func(c *Config) { c.DKIMKey = key(t) },
			want: map[Item]Status{ItemDKIM: Missing}, failed: true, text: "publishes another key"},
		{name: "DKIM record in several strings with spaces",
			dns: func(f *fakeDNS) {
				txt, _ := dkim.TXT(pub)
				f.txt["listd._domainkey."+domain] = []string{strings.Replace(txt, "p=", "p= ", 1)[:30] + " " + strings.Replace(txt, "p=", "p= ", 1)[30:]}
			},
			want: map[Item]Status{ItemDKIM: OK}},
		{name: "DKIM not published", dns: func(f *fakeDNS) { delete(f.txt, "listd._domainkey."+domain) },
			want: map[Item]Status{ItemDKIM: Missing}, failed: true, text: "listd._domainkey.lists.example.org. IN TXT ("},
		{name: "DKIM published, key file lost", cfg: func(c *Config) { c.DKIMKey = nil },
			want: map[Item]Status{ItemDKIM: Missing}, failed: true, text: "restore the key file"},
		{name: "signing off", cfg: func(c *Config) { c.Selector = "" }, want: map[Item]Status{ItemDKIM: Warn}},
		{name: "no DMARC", dns: func(f *fakeDNS) { delete(f.txt, "_dmarc."+domain) },
			want: map[Item]Status{ItemDMARC: Warn}, text: "v=DMARC1; p=none"},
		{name: "broken DMARC", dns: func(f *fakeDNS) { f.txt["_dmarc."+domain] = []string{"v=DMARC1; p=sometimes"} },
			want: map[Item]Status{ItemDMARC: Missing}, failed: true},
		{name: "no MX", dns: func(f *fakeDNS) { delete(f.mx, domain) },
			want: map[Item]Status{ItemMX: Missing}, failed: true, text: "IN MX 10 mail.lists.example.org."},
		{name: "null MX", dns: func(f *fakeDNS) { f.mx[domain] = []*net.MX{{Host: ".", Pref: 0}} },
			want: map[Item]Status{ItemMX: Missing}, failed: true},
		{name: "MX without address", dns: func(f *fakeDNS) { f.mx[domain] = []*net.MX{{Host: "mx2.example.org.", Pref: 5}} },
			want: map[Item]Status{ItemMX: Missing}, failed: true, text: "mx2.example.org has no address"},
		{name: "no PTR", dns: func(f *fakeDNS) { delete(f.ptr, "192.0.2.10") },
			want: map[Item]Status{ItemPTR: Missing}, failed: true, text: "192.0.2.10 has no PTR record"},
		{name: "PTR does not resolve back", dns: func(f *fakeDNS) { f.ptr["192.0.2.10"] = []string{"host.provider.example."} },
			want: map[Item]Status{ItemPTR: Missing}, failed: true, text: "names host.provider.example, but"},
		{name: "local relay: SPF and PTR unchecked", cfg: func(c *Config) { c.Relay = "127.0.0.1:25" },
			want: map[Item]Status{ItemSPF: Warn, ItemPTR: Warn}, text: "-ip PUBLIC-ADDRESS"},
		{name: "local relay with the public address given",
			cfg:  func(c *Config) { c.Relay, c.SourceIP = "127.0.0.1:25", netip.MustParseAddr("192.0.2.10") },
			want: map[Item]Status{ItemSPF: OK, ItemPTR: OK}},
		{name: "relay name without address", cfg: func(c *Config) { c.Relay = "smtp.provider.example:587" },
			want: map[Item]Status{ItemSPF: Warn, ItemPTR: Missing}, failed: true, text: "the relay smtp.provider.example has no address"},
		{name: "DNS down", dns: func(f *fakeDNS) { f.down = true },
			want: map[Item]Status{ItemMX: Warn, ItemSPF: Warn, ItemDKIM: Warn, ItemDMARC: Warn}, text: "DNS did not answer"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := good
			if tc.cfg != nil {
				tc.cfg(&c)
			}
			f := published(t, pub)
			if tc.dns != nil {
				tc.dns(f)
			}
			c.Resolver = f
			for _, lang := range []string{"de", "en"} {
				c.Language = lang
				rs := Run(context.Background(), c)
				if len(rs) != 7 {
					t.Fatalf("%s: %d results", lang, len(rs))
				}
				got := map[Item]Status{}
				for _, r := range rs {
					got[r.Item] = r.Status
				}
				for item, s := range tc.want {
					if got[item] != s {
						t.Errorf("%s: %s is %d, want %d", lang, item, got[item], s)
					}
				}
				if Failed(rs) != tc.failed {
					t.Errorf("%s: Failed = %v", lang, !tc.failed)
				}
				var out bytes.Buffer
				if err := Print(&out, rs, lang); err != nil {
					t.Fatal(err)
				}
				if strings.Contains(out.String(), "%!") || strings.Count(out.String(), "\n") != 7 {
					t.Errorf("%s: bad report:\n%s", lang, out.String())
				}
				if lang == "en" && !strings.Contains(out.String(), tc.text) {
					t.Errorf("report lacks %q:\n%s", tc.text, out.String())
				}
				if lang == "de" && tc.failed && !strings.Contains(out.String(), "FEHLT") {
					t.Errorf("German report without FEHLT:\n%s", out.String())
				}
			}
		})
	}
}

func TestNotFound(t *testing.T) {
	if notFound(errors.New("x")) || !notFound(&net.DNSError{IsNotFound: true}) {
		t.Error("notFound")
	}
}

// FuzzTagValue: any record text gives a value without white space, and never panics.
func FuzzTagValue(f *testing.F) {
	for _, s := range []string{"v=DKIM1; k=rsa; p=MIIB", "p=", "; ;=;", "P = a b c ;p=x", "v=DMARC1;p=none"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, rec string) {
		if v := tagValue(rec, "p"); len(strings.Fields(v)) > 1 || strings.TrimSpace(v) != v {
			t.Errorf("tagValue(%q) = %q", rec, v)
		}
	})
}
