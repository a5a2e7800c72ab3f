package e2e

import (
	"bytes"
	"crypto/tls"
	"encoding/base64"
	"io"
	"log"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	gosmtp "github.com/emersion/go-smtp"
	"github.com/jhillyerd/enmime/v2"

	"listd/internal/testcert"
)

const (
	submitUser = "lists@example.org"
	submitPass = "Geheim-Passwort-42"
)

// submission is a mail provider's submission service on loopback: STARTTLS or
// implicit TLS with a throwaway certificate, AUTH PLAIN, mail only after login.
type submission struct {
	addr   string
	caFile string // its certificate, for [relay] ca_file

	mu   sync.Mutex
	msgs []submitted
}

type submitted struct {
	user, from string
	rcpts      []string
	tls        bool
	data       []byte
}

func newSubmission(t *testing.T, implicit bool) *submission {
	t.Helper()
	cert, certPEM, _ := testcert.New(t)
	s := &submission{caFile: filepath.Join(t.TempDir(), "ca.pem")}
	if err := os.WriteFile(s.caFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	srv := gosmtp.NewServer(gosmtp.BackendFunc(func(c *gosmtp.Conn) (gosmtp.Session, error) {
		return &submissionSession{s: s, conn: c}, nil
	}))
	srv.Domain = "smtp.provider.test"
	srv.ErrorLog = log.New(io.Discard, "", 0)
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = l.Addr().String()
	if implicit {
		l = tls.NewListener(l, srv.TLSConfig)
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return s
}

func (s *submission) waitFor(t *testing.T, n int) []submitted {
	t.Helper()
	end := time.Now().Add(20 * time.Second)
	for {
		s.mu.Lock()
		got := append([]submitted(nil), s.msgs...)
		s.mu.Unlock()
		if len(got) >= n {
			return got
		}
		if time.Now().After(end) {
			t.Fatalf("submission server has %d messages, want %d", len(got), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type submissionSession struct {
	s     *submission
	conn  *gosmtp.Conn
	user  string
	from  string
	rcpts []string
}

func (x *submissionSession) AuthMechanisms() []string { return []string{sasl.Plain} }
func (x *submissionSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != submitUser || pass != submitPass {
			return &gosmtp.SMTPError{Code: 535, EnhancedCode: gosmtp.EnhancedCode{5, 7, 8}, Message: "authentication credentials invalid"}
		}
		x.user = user
		return nil
	}), nil
}
func (x *submissionSession) Mail(from string, _ *gosmtp.MailOptions) error {
	if x.user == "" {
		return &gosmtp.SMTPError{Code: 530, EnhancedCode: gosmtp.EnhancedCode{5, 7, 0}, Message: "authentication required"}
	}
	x.from = from
	return nil
}
func (x *submissionSession) Rcpt(to string, _ *gosmtp.RcptOptions) error {
	x.rcpts = append(x.rcpts, to)
	return nil
}
func (x *submissionSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	_, isTLS := x.conn.TLSConnectionState()
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	x.s.msgs = append(x.s.msgs, submitted{user: x.user, from: x.from, rcpts: append([]string(nil), x.rcpts...), tls: isTLS, data: b})
	return nil
}
func (x *submissionSession) Reset()        { x.from, x.rcpts = "", nil }
func (x *submissionSession) Logout() error { return nil }

// relayTOML is the [relay] block for s, with the password in a file.
func relayTOML(t *testing.T, s *submission, tlsMode, password string) string {
	t.Helper()
	pw := filepath.Join(t.TempDir(), "relay.pw")
	if err := os.WriteFile(pw, []byte(password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return "tls = \"" + tlsMode + "\"\nusername = \"" + submitUser + "\"\npassword_file = \"" + pw + "\"\nca_file = \"" + s.caFile + "\"\n"
}

// hasPassword reports whether text shows the password, plain or as AUTH sends it.
func hasPassword(text string) bool {
	for _, form := range []string{submitPass, base64.StdEncoding.EncodeToString([]byte("\x00" + submitUser + "\x00" + submitPass))} {
		if strings.Contains(text, form) {
			return true
		}
	}
	return false
}

// `listd relay test` through a STARTTLS+AUTH submission service: the dialogue on
// stdout without the password, the test mail at the provider.
func TestRelayTestCommand(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		implicit bool
		mode     string
	}{{"starttls", false, "starttls"}, {"implicit", true, "implicit"}} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSubmission(t, tc.implicit)
			d := newDaemon(t, options{relay: s.addr, extra: relayTOML(t, s, tc.mode, submitPass)})
			if tc.implicit {
				d.mustCLI("dkim", "keygen")
			}
			out := d.mustCLI("relay", "test", "admin@example.net")
			want := []string{
				"S: 220 smtp.provider.test",
				"C: EHLO " + domain,
				"certificate verified for 127.0.0.1",
				"C: AUTH PLAIN (hidden)",
				"S: 235 ",
				"C: MAIL FROM:<postmaster@" + domain + ">",
				"S: 250 ",
				"C: RCPT TO:<admin@example.net>",
				"C: DATA",
				"S: 354 ",
				"C: QUIT",
				"the relay accepted the test mail for admin@example.net",
			}
			if !tc.implicit {
				want = append(want, "S: 250-STARTTLS", "C: STARTTLS", "S: 220 ", "the test mail is not DKIM-signed")
			} else {
				want = append(want, "the test mail is DKIM-signed as d="+domain+" s=listd")
			}
			for _, w := range want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			if hasPassword(out) {
				t.Errorf("output shows the password:\n%s", out)
			}
			got := s.waitFor(t, 1)
			m := got[0]
			if m.user != submitUser || !m.tls || m.from != "postmaster@"+domain || len(m.rcpts) != 1 || m.rcpts[0] != "admin@example.net" {
				t.Errorf("provider got user %q tls %v from %q to %q", m.user, m.tls, m.from, m.rcpts)
			}
			if signed := bytes.HasPrefix(m.data, []byte("DKIM-Signature: ")) && bytes.Contains(m.data, []byte("d="+domain+";")); signed != tc.implicit {
				t.Errorf("DKIM-signed %v, want %v:\n%s", signed, tc.implicit, m.data)
			}
			env, err := enmime.ReadEnvelope(bytes.NewReader(m.data))
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range []string{"Diese Testmail hat listd", "listd sent this test mail"} {
				if !strings.Contains(env.Text, w) {
					t.Errorf("test mail lacks %q:\n%s", w, env.Text)
				}
			}
			if env.GetHeader("Auto-Submitted") != "auto-generated" || !strings.Contains(env.GetHeader("From"), "<postmaster@"+domain+">") {
				t.Errorf("header: From %q, Auto-Submitted %q", env.GetHeader("From"), env.GetHeader("Auto-Submitted"))
			}
		})
	}
}

// A refused password, a wrong CA or a bad address: exit status non-zero, one line on
// stderr saying why, no password anywhere.
func TestRelayTestCommandFails(t *testing.T) {
	t.Parallel()
	s := newSubmission(t, false)
	other := newSubmission(t, false) // another certificate
	notPEM := filepath.Join(t.TempDir(), "ca.txt")
	if err := os.WriteFile(notPEM, []byte("not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		relay   string
		args    []string
		env     []string
		wantErr string
	}{
		{"wrong password", relayTOML(t, s, "starttls", "wrong-"+submitPass), []string{"admin@example.net"}, nil, "535 5.7.8 authentication credentials invalid"},
		{"unknown CA", strings.Replace(relayTOML(t, s, "starttls", submitPass), s.caFile, other.caFile, 1), []string{"admin@example.net"}, nil, "certificate"},
		{"ca_file without a certificate", strings.Replace(relayTOML(t, s, "starttls", submitPass), s.caFile, notPEM, 1), []string{"admin@example.net"}, nil, "relay.ca_file " + notPEM + " holds no PEM certificate"},
		{"no password", "username = \"" + submitUser + "\"\n", []string{"admin@example.net"}, nil, "LISTD_RELAY_PASSWORD"},
		{"bad address", relayTOML(t, s, "starttls", submitPass), []string{"not an address"}, nil, "not a mail address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDaemon(t, options{relay: s.addr, extra: tt.relay})
			cmd := exec.Command(listdBin, append([]string{"-config", d.config, "relay", "test"}, tt.args...)...)
			cmd.Env = append(os.Environ(), tt.env...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			if err == nil {
				t.Fatalf("exit status 0\n%s", stdout.String())
			}
			lines := strings.Split(strings.TrimRight(stderr.String(), "\n"), "\n")
			if len(lines) != 1 || !strings.HasPrefix(lines[0], "listd relay test: ") || !strings.Contains(lines[0], tt.wantErr) {
				t.Errorf("stderr = %q, want one line with %q", stderr.String(), tt.wantErr)
			}
			if hasPassword(stdout.String() + stderr.String()) {
				t.Errorf("output shows the password:\n%s\n%s", stdout.String(), stderr.String())
			}
		})
	}
	// The password from the environment instead of a file.
	d := newDaemon(t, options{relay: s.addr, extra: "username = \"" + submitUser + "\"\nca_file = \"" + s.caFile + "\"\n"})
	cmd := exec.Command(listdBin, "-config", d.config, "relay", "test", "admin@example.net")
	cmd.Env = append(os.Environ(), "LISTD_RELAY_PASSWORD="+submitPass)
	if out, err := cmd.CombinedOutput(); err != nil || hasPassword(string(out)) {
		t.Errorf("password from the environment: %v\n%s", err, out)
	}
}

// listd serve delivers a post through the submission service with TLS and AUTH.
func TestServeRelaysThroughSubmission(t *testing.T) {
	t.Parallel()
	s := newSubmission(t, false)
	d := newDaemon(t, options{relay: s.addr, extra: relayTOML(t, s, "starttls", submitPass)})
	d.mustCLI("list", "create", "kita", "-archive", "public")
	members := []string{"anna@example.net", "ben@example.com"}
	for _, m := range members {
		d.mustCLI("member", "add", "kita", m)
	}
	d.start()
	if err := send(d.addrs["smtp"], "anna@example.net", []string{"kita@" + domain}, post("anna@example.net", "Hallo", "Hallo zusammen\r\n")); err != nil {
		t.Fatal(err)
	}
	got := s.waitFor(t, len(members))
	for _, m := range got {
		if m.user != submitUser || !m.tls {
			t.Errorf("copy to %q went as user %q, tls %v", m.rcpts, m.user, m.tls)
		}
	}
	if hasPassword(d.log.String()) {
		t.Errorf("the log shows the password:\n%s", d.log.String())
	}
}

// A password file that cannot be read stops serve at once, naming the file.
func TestServePasswordFileUnreadable(t *testing.T) {
	t.Parallel()
	dir := t.TempDir() // a directory: unreadable as a file even for root
	d := newDaemon(t, options{relay: "127.0.0.1:587", extra: "username = \"" + submitUser + "\"\npassword_file = \"" + dir + "\"\n"})
	cmd := exec.Command(listdBin, "-config", d.config, "serve")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("serve exited 0")
		}
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatal("serve kept running")
	}
	last := strings.TrimSpace(stderr.String())
	if i := strings.LastIndex(last, "\n"); i >= 0 {
		last = last[i+1:]
	}
	want := "listd serve: relay.password_file " + dir + ": is a directory"
	if last != want {
		t.Errorf("last line of stderr = %q, want %q\n%s", last, want, stderr.String())
	}
}

// Inbound SMTP offers STARTTLS with [smtp] tls_cert and tls_key: Python's smtplib
// upgrades (checking the certificate) and posts, swaks too where it has TLS.
func TestInboundSTARTTLS(t *testing.T) {
	t.Parallel()
	py := need(t, "python3")
	sk := newSink(t)
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writeSelfSigned(t, certFile, keyFile)
	d := newDaemon(t, options{relay: sk.addr})
	cfg := strings.Replace(mustRead(t, d.config), "[smtp]\n", "[smtp]\ntls_cert = \""+certFile+"\"\ntls_key = \""+keyFile+"\"\n", 1)
	if err := os.WriteFile(d.config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	d.mustCLI("list", "create", "kita", "-archive", "public")
	d.mustCLI("member", "add", "kita", "anna@example.net")
	d.mustCLI("member", "add", "kita", "ben@example.com")
	d.start()
	host, port, _ := net.SplitHostPort(d.addrs["smtp"])

	script := `
import smtplib, ssl, sys
from email.message import EmailMessage
m = EmailMessage()
m["From"] = "Anna <anna@example.net>"
m["To"] = "kita@lists.example.org"
m["Subject"] = "Über TLS"
m.set_content("Hallo über TLS\n")
ctx = ssl.create_default_context(cafile=sys.argv[3])
with smtplib.SMTP(sys.argv[1], int(sys.argv[2]), timeout=20) as s:
    s.ehlo("client.example.net")
    print("offered", s.has_extn("starttls"))
    code, _ = s.starttls(context=ctx)
    print("starttls", code, s.sock.version())
    s.ehlo("client.example.net")
    print("offered after", s.has_extn("starttls"))
    s.send_message(m)
    print("sent")
`
	out, err := exec.Command(py, "-c", script, host, port, certFile).CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	for _, w := range []string{"offered True", "starttls 220 TLSv1.3", "offered after False", "sent"} {
		if !strings.Contains(string(out), w) {
			t.Errorf("python output lacks %q:\n%s", w, out)
		}
	}
	got := sk.waitFor(t, 1, 20*time.Second)
	if !strings.Contains(string(got[0].Data), "Hallo =C3=BCber TLS") && !strings.Contains(string(got[0].Data), "Hallo über TLS") {
		t.Errorf("copy: %s", got[0].Data)
	}

	// swaks, when its Perl has TLS (Net::SSLeay).
	if _, err := exec.LookPath("swaks"); err != nil {
		return
	}
	out, err = exec.Command("swaks", "--server", host, "--port", port, "--tls",
		"--from", "anna@example.net", "--to", "kita@"+domain, "--helo", "client.example.net",
		"--header", "Subject: swaks ueber TLS", "--body", "Hallo von swaks").CombinedOutput()
	if strings.Contains(string(out), "requires Net::SSLeay") {
		t.Log("swaks without TLS support here; smtplib covered STARTTLS")
		return
	}
	if err != nil || !strings.Contains(string(out), "TLS started") {
		t.Errorf("swaks: %v\n%s", err, out)
	}
}
