package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"
)

// dkimLookup serves the record `listd dkim keygen` printed, as DNS would serve it
// once published: the quoted strings joined, under the name the line starts with.
func dkimLookup(t *testing.T, record string) func(string) ([]string, error) {
	t.Helper()
	name, _, ok := strings.Cut(record, " IN TXT (")
	if !ok {
		t.Fatalf("not a TXT record: %q", record)
	}
	var txt strings.Builder
	for _, m := range regexp.MustCompile(`"([^"]*)"`).FindAllStringSubmatch(record, -1) {
		txt.WriteString(m[1])
	}
	return func(domain string) ([]string, error) {
		if domain+"." != name {
			return nil, fmt.Errorf("no TXT record at %s", domain)
		}
		return []string{txt.String()}, nil
	}
}

// verifyDKIM checks that the copy the sink received carries one valid signature by
// the list domain, in front of everything else, covering the fields named.
func verifyDKIM(t *testing.T, m sunk, lookupTXT func(string) ([]string, error), fields ...string) {
	t.Helper()
	if !bytes.HasPrefix(m.Data, []byte("DKIM-Signature: ")) {
		t.Errorf("copy for %s does not start with its DKIM-Signature:\n%.300s", m.To, m.Data)
	}
	vs, err := dkim.VerifyWithOptions(bytes.NewReader(m.Data), &dkim.VerifyOptions{LookupTXT: lookupTXT})
	if err != nil || len(vs) != 1 {
		t.Fatalf("copy for %s: %d signatures, %v", m.To, len(vs), err)
	}
	v := vs[0]
	if v.Err != nil {
		t.Fatalf("copy for %s: signature does not verify: %v\n%s", m.To, v.Err, m.Data)
	}
	if v.Domain != domain {
		t.Errorf("copy for %s: d=%s, want %s", m.To, v.Domain, domain)
	}
	h := strings.ToLower(strings.Join(v.HeaderKeys, ":"))
	for _, f := range fields {
		if !slices.Contains(strings.Split(h, ":"), strings.ToLower(f)) {
			t.Errorf("copy for %s: h=%s lacks %s", m.To, h, f)
		}
	}
	if strings.Count(h, "from") < 2 {
		t.Errorf("copy for %s: h=%s does not oversign From", m.To, h)
	}
}

// TestDkimSigning: after `listd dkim keygen`, every kind of copy that reaches the
// relay (a member's post, listd's own confirmation mail, a digest) carries a
// signature that verifies against the printed record, as the relay received it.
func TestDkimSigning(t *testing.T) {
	t.Parallel()
	sk := newSink(t)
	d := newDaemon(t, options{relay: sk.addr})
	out := d.mustCLI("dkim", "keygen")
	record, hint, _ := strings.Cut(out, "\n")
	if !strings.HasPrefix(record, "listd._domainkey."+domain+". IN TXT ( \"v=DKIM1; k=rsa; p=") || !strings.HasPrefix(hint, "; ") {
		t.Fatalf("keygen printed:\n%s", out)
	}
	lookupTXT := dkimLookup(t, record)

	d.mustCLI("list", "create", "kita", "-title", "Kita und Schule")
	for _, m := range []string{"anna@example.net", "ben@example.com"} {
		d.mustCLI("member", "add", "kita", m)
	}
	d.mustCLI("member", "add", "kita", "leser@example.net", "-mode", "digest")
	d.start()
	if !strings.Contains(d.log.String(), `msg="dkim signing on" domain=`+domain+" selector=listd algorithm=rsa") {
		t.Errorf("no start line about signing in the log:\n%s", d.log.String())
	}

	list := "kita@" + domain
	raw := post("anna@example.net", "Kitaplätze", "Hallo zusammen,\r\nwer kennt eine Kita mit Plätzen in Köln?\r\n",
		"Message-ID: <dkim1@example.net>")
	if err := send(d.addrs["smtp"], "anna@example.net", []string{list}, raw); err != nil {
		t.Fatal(err)
	}
	for _, rcpt := range []string{"anna@example.net", "ben@example.com"} {
		_, m := sk.mailTo(t, rcpt, 0)
		verifyDKIM(t, m, lookupTXT, "From", "Subject", "List-Id", "List-Unsubscribe", "List-Post", "Message-ID", "Date")
	}

	if err := send(d.addrs["smtp"], "new@example.net", []string{"kita-subscribe@" + domain},
		plain("Neu <new@example.net>", "kita-subscribe@"+domain, "", "")); err != nil {
		t.Fatal(err)
	}
	_, m := sk.mailTo(t, "new@example.net", 0)
	verifyDKIM(t, m, lookupTXT, "From", "Subject", "To", "Reply-To")

	if out := d.mustCLI("digest", "send", "kita"); !strings.Contains(out, "queued for 1 digest readers") {
		t.Fatalf("digest send: %s", out)
	}
	_, m = sk.mailTo(t, "leser@example.net", 0)
	verifyDKIM(t, m, lookupTXT, "From", "Subject", "List-Id", "List-Unsubscribe")

	// A changed copy no longer verifies: the check above is not vacuous.
	m.Data = bytes.Replace(m.Data, []byte("kita."+domain), []byte("other.example.com"), 1)
	if vs, err := dkim.VerifyWithOptions(bytes.NewReader(m.Data), &dkim.VerifyOptions{LookupTXT: lookupTXT}); err == nil && len(vs) == 1 && vs[0].Err == nil {
		t.Error("a copy with another List-Id still verifies")
	}
}

// TestDkimKeygenRefusesOverwrite: a second keygen for the same selector leaves the
// key alone and says which file is in the way.
func TestDkimKeygenRefusesOverwrite(t *testing.T) {
	t.Parallel()
	d := newDaemon(t, options{})
	d.mustCLI("dkim", "keygen", "-algorithm", "ed25519")
	path := filepath.Join(d.dir, "data", "dkim", "listd.pem")
	before := mustRead(t, path)
	_, err := d.cli("dkim", "keygen")
	if err == nil || !strings.Contains(err.Error(), path+" already exists") || strings.Count(strings.TrimSpace(err.Error()), "\n") != 0 {
		t.Fatalf("second keygen: %v", err)
	}
	if mustRead(t, path) != before {
		t.Fatal("the key was replaced")
	}
	if out := d.mustCLI("dkim", "keygen", "-selector", "2026b"); !strings.HasPrefix(out, "2026b._domainkey."+domain+". IN TXT (") {
		t.Errorf("a new selector: %s", out)
	}
}

// TestDkimBrokenKey: serve does not start with a key file it can't use, and says
// which file.
func TestDkimBrokenKey(t *testing.T) {
	t.Parallel()
	d := newDaemon(t, options{})
	path := filepath.Join(d.dir, "data", "dkim", "listd.pem")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("-----BEGIN PRIVATE KEY-----\nbroken\n-----END PRIVATE KEY-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second) // against a hang, not a timing
	defer cancel()
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, listdBin, "-config", d.config, "serve")
	cmd.Stderr = &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("serve kept running with a broken key:\n%s", stderr.String())
	}
	if err == nil || !strings.Contains(stderr.String(), "listd serve: dkim key "+path) {
		t.Fatalf("serve: %v\n%s", err, stderr.String())
	}
}

// TestDkimOff: without a key nothing is signed and the log says so once.
func TestDkimOff(t *testing.T) {
	t.Parallel()
	sk := newSink(t)
	d := newDaemon(t, options{relay: sk.addr})
	d.mustCLI("list", "create", "kita")
	d.mustCLI("member", "add", "kita", "anna@example.net")
	d.start()
	if n := strings.Count(d.log.String(), "dkim signing off"); n != 1 {
		t.Errorf("%d lines about signing being off:\n%s", n, d.log.String())
	}
	if err := send(d.addrs["smtp"], "anna@example.net", []string{"kita@" + domain}, post("anna@example.net", "Hallo", "Hallo\r\n")); err != nil {
		t.Fatal(err)
	}
	if _, m := sk.mailTo(t, "anna@example.net", 0); bytes.Contains(m.Data, []byte("DKIM-Signature")) {
		t.Errorf("signed without a key:\n%s", m.Data)
	}
}
