package e2e

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// checkDomain is the domain of listd check's tests: records published for it do not
// change what other tests see for lists.example.org.
const checkDomain = "check.example.org"

// newCheckDaemon is a daemon for checkDomain that relays through relayHost.
func newCheckDaemon(t *testing.T, relayHost string) *daemon {
	t.Helper()
	d := newDaemon(t, options{relay: relayHost + ":25"})
	cfg := strings.Replace(mustRead(t, d.config), `domain = "`+domain+`"`, `domain = "`+checkDomain+`"`, 1)
	cfg = strings.Replace(cfg, `base_url = "http://127.0.0.1:8080"`, `base_url = "https://`+checkDomain+`"`, 1)
	if err := os.WriteFile(d.config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return d
}

// zoneStrings are the quoted strings of a zone-file TXT line.
var zoneStrings = regexp.MustCompile(`"([^"]*)"`)

// publishDKIM publishes on srv the record that `listd dkim keygen` printed.
func publishDKIM(t *testing.T, srv *dnsServer, keygenOut string) {
	t.Helper()
	line, _, _ := strings.Cut(keygenOut, "\n")
	name, _, _ := strings.Cut(line, " ")
	var txt []string
	for _, m := range zoneStrings.FindAllStringSubmatch(line, -1) {
		txt = append(txt, m[1])
	}
	if len(txt) == 0 {
		t.Fatalf("no record in %q", keygenOut)
	}
	srv.publishTXT(name, txt...)
}

// TestCheck runs listd check against the test DNS server: a domain that publishes
// nothing fails with a line per missing record, the same domain with every record
// passes, and a PTR name that does not lead back to the address fails again.
func TestCheck(t *testing.T) {
	d := newCheckDaemon(t, "out.check.example.org")
	keygen := d.mustCLI("dkim", "keygen", "-algorithm", "ed25519")

	out, err := d.cli("check")
	if err == nil || !strings.Contains(err.Error(), "exit status 1") {
		t.Fatalf("nothing published: want exit status 1, got %v\n%s", err, out)
	}
	for _, want := range []string{"FEHLT   MX ", "FEHLT   SPF ", "FEHLT   DKIM ", "WARN    DMARC ", "FEHLT   PTR ",
		"OK      relay ", "OK      base_url ", "IN MX 10 mail.check.example.org.", "v=DKIM1; k=ed25519; p="} {
		if !strings.Contains(out, want) {
			t.Errorf("nothing published: report lacks %q:\n%s", want, out)
		}
	}

	dns.publishMX(checkDomain, 10, "mail.check.example.org")
	dns.publishIP("mail.check.example.org", "192.0.2.25")
	dns.publishIP("out.check.example.org", "192.0.2.26")
	dns.publishTXT(checkDomain, "v=spf1 mx ip4:192.0.2.26 -all")
	dns.publishTXT("_dmarc."+checkDomain, "v=DMARC1; p=quarantine")
	publishDKIM(t, dns, keygen)
	dns.publishPTR("192.0.2.26", "out.check.example.org")
	out, err = d.cli("check")
	if err != nil {
		t.Fatalf("everything published: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	for _, l := range lines {
		if !strings.HasPrefix(l, "OK ") {
			t.Errorf("everything published: %s", l)
		}
	}
	if len(lines) != 7 || !strings.Contains(out, "192.0.2.26 → out.check.example.org") {
		t.Errorf("everything published:\n%s", out)
	}

	// A second PTR name first, that does not lead back to the address.
	dns.mu.Lock()
	rev := "26.2.0.192.in-addr.arpa"
	dns.ptr[rev] = append([]string{"host.provider.example."}, dns.ptr[rev]...)
	dns.mu.Unlock()
	out, err = d.cli("check")
	if err == nil || !strings.Contains(out, "FEHLT   PTR      der PTR-Eintrag von 192.0.2.26 nennt host.provider.example") {
		t.Errorf("PTR not confirmed: %v\n%s", err, out)
	}
}
