package e2e

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"
	gosmtp "github.com/emersion/go-smtp"
)

// TestReloadOnHUP changes templates, the certificate of IMAP and SMTP and the
// counselling centres while listd serves, with an SMTP (STARTTLS) and an IMAP session
// open: after SIGHUP the next page, mail and TLS handshakes use the new ones, both
// sessions carry on, and broken templates leave the working ones in use.
func TestReloadOnHUP(t *testing.T) {
	sk := newSink(t)
	d := newDaemon(t, options{relay: sk.addr, imap: true})
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writeSelfSigned(t, certFile, keyFile)
	tlsKeys := fmt.Sprintf("tls_cert = %q\ntls_key = %q\n", certFile, keyFile)
	cfg := strings.Replace(mustRead(t, d.config), "[imap]\nlisten = \"127.0.0.1:0\"\n", "[imap]\nlisten = \"127.0.0.1:0\"\n"+tlsKeys, 1)
	cfg = strings.Replace(cfg, "[smtp]\nlisten = \"127.0.0.1:0\"\n", "[smtp]\nlisten = \"127.0.0.1:0\"\n"+tlsKeys, 1)
	if err := os.WriteFile(d.config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	tmpl := filepath.Join(dir, "templates")
	if err := os.CopyFS(tmpl, os.DirFS("../templates")); err != nil {
		t.Fatal(err)
	}
	d.serve = []string{"-templates", tmpl}
	d.mustCLI("list", "create", "kita", "-title", "Kita")
	d.mustCLI("member", "add", "kita", "anna@example.net")
	pw := strings.TrimSpace(d.mustCLI("user", "password", "anna@example.net"))
	d.start()

	// The certificate each handshake presents.
	var seen, smtpSeen []*x509.Certificate
	recordTo := func(to *[]*x509.Certificate) *tls.Config {
		return &tls.Config{InsecureSkipVerify: true, VerifyConnection: func(cs tls.ConnectionState) error {
			*to = append(*to, cs.PeerCertificates[0])
			return nil
		}}
	}
	opts := &imapclient.Options{TLSConfig: recordTo(&seen)}
	imapOpen, err := imapclient.DialStartTLS(d.addrs["imap"], opts)
	if err != nil {
		t.Fatal(err)
	}
	defer imapOpen.Close()
	if err := imapOpen.Login("anna@example.net", pw).Wait(); err != nil {
		t.Fatal(err)
	}
	smtpOpen, err := gosmtp.DialStartTLS(d.addrs["smtp"], recordTo(&smtpSeen))
	if err != nil {
		t.Fatal(err)
	}
	defer smtpOpen.Close()
	if err := smtpOpen.Mail("neu@example.net", nil); err != nil {
		t.Fatal(err)
	}

	// Change a page, a mail, the certificate and the centres; then SIGHUP.
	edit(t, filepath.Join(tmpl, "pages", "index.html"), func(s string) string {
		return strings.Replace(s, `{{define "content"}}`, `{{define "content"}}<p>Seite neu geladen</p>`, 1)
	})
	edit(t, filepath.Join(tmpl, "mail", "de", "confirm-join.txt"), func(s string) string {
		return strings.Replace(s, "Hallo,\n", "Hallo,\n\nMail neu geladen.\n", 1)
	})
	writeSelfSigned(t, certFile, keyFile)
	d.mustCLI("centers", "import", "../examples/centers.example.csv")
	hup(t, d, `msg=reloaded what="mail templates, page templates, certificate `+certFile)
	if !strings.Contains(d.log.String(), "counselling directory (18 centres)") {
		t.Errorf("the reload line does not name the centres:\n%s", d.log.String())
	}

	if page := get(t, d.httpBase+"/"); !strings.Contains(page, "Seite neu geladen") {
		t.Errorf("the page after the reload is the old one:\n%s", page)
	}
	// The SMTP session opened before the reload finishes its mail.
	if err := smtpOpen.Rcpt("kita-subscribe@"+domain, nil); err != nil {
		t.Fatalf("open SMTP session after the reload: %v", err)
	}
	w, err := smtpOpen.Data()
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, plain("neu@example.net", "kita-subscribe@"+domain, "", ""))
	if err := w.Close(); err != nil {
		t.Fatalf("open SMTP session after the reload: %v", err)
	}
	smtpOpen.Quit()
	if got := sk.waitFor(t, 1, 10*time.Second); !bytes.Contains(got[0].Data, []byte("Mail neu geladen.")) {
		t.Errorf("the confirmation after the reload is the old one:\n%s", got[0].Data)
	}
	// The IMAP session opened before the reload still works; a new one gets the new
	// certificate.
	if _, err := imapOpen.Select("kita", nil).Wait(); err != nil {
		t.Errorf("open IMAP session after the reload: %v", err)
	}
	c, err := imapclient.DialStartTLS(d.addrs["imap"], opts)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if len(seen) != 2 || seen[0].Equal(seen[1]) {
		t.Errorf("imap: the handshake after the reload presented the old certificate (%d handshakes)", len(seen))
	}
	sc, err := gosmtp.DialStartTLS(d.addrs["smtp"], recordTo(&smtpSeen))
	if err != nil {
		t.Fatal(err)
	}
	if err := sc.Noop(); err != nil { // the handshake happens with the first command
		t.Fatal(err)
	}
	sc.Close()
	if len(smtpSeen) != 2 || smtpSeen[0].Equal(smtpSeen[1]) || !smtpSeen[1].Equal(seen[1]) {
		t.Errorf("smtp: the handshake after the reload presented the old certificate (%d handshakes)", len(smtpSeen))
	}

	// Broken templates: the error is logged, the working pages and mails stay, listd
	// serves on.
	edit(t, filepath.Join(tmpl, "pages", "index.html"), func(s string) string { return s + "{{if}" })
	edit(t, filepath.Join(tmpl, "mail", "de", "welcome.txt"), func(s string) string { return s + "{{.Nope" })
	hup(t, d, `level=ERROR msg="reload: kept the previous versions of what failed"`)
	if log := d.log.String(); !strings.Contains(log, "index.html") || !strings.Contains(log, "welcome.txt") {
		t.Errorf("the error does not name the templates:\n%s", log)
	}
	if page := get(t, d.httpBase+"/"); !strings.Contains(page, "Seite neu geladen") {
		t.Errorf("after a failed reload:\n%s", page)
	}
	if err := send(d.addrs["smtp"], "zwei@example.net", []string{"kita-subscribe@" + domain},
		plain("zwei@example.net", "kita-subscribe@"+domain, "", "")); err != nil {
		t.Fatal(err)
	}
	if got := sk.waitFor(t, 2, 10*time.Second); !bytes.Contains(got[1].Data, []byte("Mail neu geladen.")) {
		t.Errorf("the confirmation after a failed reload:\n%s", got[1].Data)
	}
	if !d.running() {
		t.Fatal("listd ended after a failed reload")
	}
	if err := imapOpen.Noop().Wait(); err != nil {
		t.Errorf("open IMAP session after the failed reload: %v", err)
	}
}

// hup sends SIGHUP and waits for a new log line containing want.
func hup(t *testing.T, d *daemon, want string) {
	t.Helper()
	before := strings.Count(d.log.String(), want)
	d.cmd.Process.Signal(syscall.SIGHUP)
	for end := time.Now().Add(10 * time.Second); strings.Count(d.log.String(), want) == before; {
		if time.Now().After(end) || !d.running() {
			t.Fatalf("no %q after SIGHUP:\n%s", want, d.log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func edit(t *testing.T, path string, f func(string) string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(f(mustRead(t, path))), 0o644); err != nil {
		t.Fatal(err)
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
