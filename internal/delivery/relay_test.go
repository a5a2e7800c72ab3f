package delivery

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/prometheus/client_golang/prometheus"

	"listd/internal/testcert"
)

const (
	relayUser = "lists@example.org"
	relayPass = "s3cret-Pässwort"
)

// submission is a go-smtp server acting as a mail provider's submission service:
// TLS (STARTTLS or implicit), AUTH, and mail only after login.
type submission struct {
	addr    string
	certPEM []byte // its certificate, for the client's roots

	mu       sync.Mutex
	password string   // the one accepted
	mechs    []string // AUTH mechanisms offered
	logins   []string // "user ok" or "user refused", in order
	got      []submitted
}

type submitted struct {
	user  string
	tls   bool
	from  string
	rcpts []string
	data  []byte
}

type submissionOptions struct {
	tls      string   // "starttls", "implicit" or "" (none)
	mechs    []string // default PLAIN and LOGIN
	password string   // default relayPass
}

func newSubmission(t testing.TB, o submissionOptions) *submission {
	t.Helper()
	cert, certPEM, _ := testcert.New(t)
	s := &submission{certPEM: certPEM, password: o.password, mechs: o.mechs}
	if s.password == "" {
		s.password = relayPass
	}
	if s.mechs == nil {
		s.mechs = []string{sasl.Plain, sasl.Login}
	}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &submissionSession{s: s, conn: c}, nil
	}))
	srv.Domain = "submission.test"
	srv.ErrorLog = log.New(io.Discard, "", 0)
	tc := &tls.Config{Certificates: []tls.Certificate{cert}}
	if o.tls == "" {
		srv.AllowInsecureAuth = true
	} else {
		srv.TLSConfig = tc
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = l.Addr().String()
	if o.tls == "implicit" {
		l = tls.NewListener(l, tc)
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return s
}

func (s *submission) roots(t testing.TB) *x509.CertPool {
	p := x509.NewCertPool()
	if !p.AppendCertsFromPEM(s.certPEM) {
		t.Fatal("bad test certificate")
	}
	return p
}

func (s *submission) setPassword(p string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.password = p
}

func (s *submission) snapshot() (logins []string, got []submitted) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.logins), slices.Clone(s.got)
}

type submissionSession struct {
	s     *submission
	conn  *smtp.Conn
	user  string
	from  string
	rcpts []string
}

var _ smtp.AuthSession = (*submissionSession)(nil)

func (x *submissionSession) AuthMechanisms() []string { return x.s.mechs }

func (x *submissionSession) Auth(mech string) (sasl.Server, error) {
	check := func(user, pass string) error {
		x.s.mu.Lock()
		defer x.s.mu.Unlock()
		if user != relayUser || pass != x.s.password {
			x.s.logins = append(x.s.logins, user+" refused")
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "authentication credentials invalid"}
		}
		x.s.logins = append(x.s.logins, user+" ok")
		x.user = user
		return nil
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(_, user, pass string) error { return check(user, pass) }), nil
	case sasl.Login:
		return &loginServer{check: check}, nil
	}
	return nil, errors.New("unsupported mechanism")
}

func (x *submissionSession) Mail(from string, _ *smtp.MailOptions) error {
	if x.user == "" {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "authentication required"}
	}
	x.from = from
	return nil
}

func (x *submissionSession) Rcpt(to string, _ *smtp.RcptOptions) error {
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
	x.s.got = append(x.s.got, submitted{user: x.user, tls: isTLS, from: x.from, rcpts: slices.Clone(x.rcpts), data: b})
	return nil
}

func (x *submissionSession) Reset()        { x.from, x.rcpts = "", nil }
func (x *submissionSession) Logout() error { return nil }

// loginServer is the server side of AUTH LOGIN, which go-sasl has only as a client.
type loginServer struct {
	check func(user, pass string) error
	user  string
	step  int
}

func (l *loginServer) Next(resp []byte) (challenge []byte, done bool, err error) {
	switch l.step {
	case 0:
		l.step++
		if resp == nil {
			return []byte("Username:"), false, nil
		}
		l.user, l.step = string(resp), 2
		return []byte("Password:"), false, nil
	case 1:
		l.user, l.step = string(resp), 2
		return []byte("Password:"), false, nil
	}
	return nil, true, l.check(l.user, string(resp))
}

// logBuffer collects a Deliverer's log lines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// noPassword fails if text holds the password, plain or in the forms AUTH sends.
func noPassword(t *testing.T, what, text string) {
	t.Helper()
	for _, form := range []string{
		relayPass,
		base64.StdEncoding.EncodeToString([]byte(relayPass)),
		base64.StdEncoding.EncodeToString([]byte("\x00" + relayUser + "\x00" + relayPass)),
		"wrong-" + relayPass,
	} {
		if strings.Contains(text, form) {
			t.Errorf("%s shows the password (%q):\n%s", what, form, text)
		}
	}
}

// remote makes the Deliverer treat the relay as off this machine, so that the
// policy for real providers applies on loopback.
func remote(d *Deliverer) { d.rs.remote = true }

// Delivery through a provider's submission service: TLS, certificate checked
// against the given CA, AUTH PLAIN or LOGIN.
func TestRelayTLSAuth(t *testing.T) {
	tests := []struct {
		name  string
		srv   submissionOptions
		mode  TLSMode
		tweak []func(*Deliverer)
	}{
		{"starttls plain", submissionOptions{tls: "starttls"}, StartTLS, []func(*Deliverer){remote}},
		{"starttls login", submissionOptions{tls: "starttls", mechs: []string{sasl.Login}}, StartTLS, []func(*Deliverer){remote}},
		{"implicit plain", submissionOptions{tls: "implicit"}, ImplicitTLS, []func(*Deliverer){remote}},
		{"starttls on loopback", submissionOptions{tls: "starttls"}, StartTLS, nil},
		// A local Postfix with a self-signed certificate and no ca_file.
		{"starttls on loopback, certificate not checked", submissionOptions{tls: "starttls"}, StartTLS, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, _ := newStore(t, 5)
			s := newSubmission(t, tt.srv)
			var logs logBuffer
			logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			roots := s.roots(t)
			if strings.HasSuffix(tt.name, "not checked") {
				roots = nil
			}
			start(t, db, &testRenderer{shared: true}, Config{Relay: s.addr, TLS: tt.mode, RootCAs: roots,
				Username: relayUser, Password: relayPass, Logger: logger}, tt.tweak...)
			waitFor(t, "every row to be sent", func() bool { return counts(t, db)["sent"] == 5 })
			logins, got := s.snapshot()
			var rcpts []string
			for _, g := range got {
				if g.user != relayUser || !g.tls {
					t.Errorf("mail from %s as user %q, tls %v", g.from, g.user, g.tls)
				}
				rcpts = append(rcpts, g.rcpts...)
			}
			if len(rcpts) != 5 {
				t.Errorf("submission server got %d recipients, want 5", len(rcpts))
			}
			for _, l := range logins {
				if l != relayUser+" ok" {
					t.Errorf("login %q", l)
				}
			}
			if !strings.Contains(logs.String(), "tls=true") {
				t.Errorf("log does not show the TLS session:\n%s", logs.String())
			}
			noPassword(t, "the log", logs.String())
		})
	}
}

// A refused password defers every copy with the relay's reply; once the password
// is right, the retry delivers each exactly once.
func TestRelayWrongPasswordRetries(t *testing.T) {
	db, _ := newStore(t, 5)
	s := newSubmission(t, submissionOptions{tls: "starttls", password: "the-right-one"})
	var logs logBuffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	clk := &clock{}
	reg := prometheus.NewRegistry()
	d, _ := start(t, db, &testRenderer{}, Config{Relay: s.addr, RootCAs: s.roots(t), Username: relayUser,
		Password: relayPass, Now: clk.Now, Logger: logger, Registerer: reg}, remote)
	ds := allAttempted(t, db, clk.Now, 1)
	for _, row := range ds {
		if row.State != "queued" || !strings.Contains(row.LastError, "535 5.7.8 authentication credentials invalid") {
			t.Errorf("%s: %s with %q", row.Rcpt, row.State, row.LastError)
		}
	}
	if _, got := s.snapshot(); len(got) != 0 {
		t.Fatalf("%d mails got through", len(got))
	}
	if !strings.Contains(logs.String(), "cannot connect to relay") || !strings.Contains(logs.String(), "step=auth") {
		t.Errorf("the log does not name the failed login:\n%s", logs.String())
	}
	if v := counterValue(t, reg, "listd_relay_session_failures_total", "auth"); v < 1 {
		t.Errorf("listd_relay_session_failures_total{step=auth} = %v", v)
	}

	time.Sleep(relayDownFor) // the failed login marked the relay down for a moment
	s.setPassword(relayPass)
	clk.Advance(2 * time.Minute)
	d.Kick()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("log:\n%s", logs.String())
		}
	})
	waitFor(t, "every row to be sent", func() bool { return counts(t, db)["sent"] == 5 })
	_, got := s.snapshot()
	seen := map[string]int{}
	for _, g := range got {
		for _, r := range g.rcpts {
			seen[r]++
		}
	}
	for i := range 5 {
		if seen[rcpt(i)] != 1 {
			t.Errorf("%s received %d times", rcpt(i), seen[rcpt(i)])
		}
	}
	noPassword(t, "the log", logs.String())
}

func counterValue(t *testing.T, reg *prometheus.Registry, name, label string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetValue() == label {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return -1
}

// Sessions the policy refuses, or that fail in TLS: every copy stays queued with a
// reason, none is sent in clear, none fails for good.
func TestRelaySessionRefused(t *testing.T) {
	other := newSubmission(t, submissionOptions{tls: "starttls"}) // a different certificate
	tests := []struct {
		name    string
		srv     submissionOptions
		cfg     func(s *submission) Config
		remote  bool
		wantErr string
		wantLog string
	}{
		{
			name:    "no STARTTLS off this machine",
			srv:     submissionOptions{},
			cfg:     func(s *submission) Config { return Config{TLS: StartTLS} },
			remote:  true,
			wantErr: "does not offer STARTTLS",
			wantLog: "step=tls",
		},
		{
			name:    "certificate of an unknown CA",
			srv:     submissionOptions{tls: "starttls"},
			cfg:     func(s *submission) Config { return Config{RootCAs: other.roots(t)} },
			remote:  true,
			wantErr: "certificate",
			wantLog: "step=tls",
		},
		{
			name:    "unknown CA on loopback with ca_file given",
			srv:     submissionOptions{tls: "starttls"},
			cfg:     func(s *submission) Config { return Config{RootCAs: other.roots(t)} },
			wantErr: "certificate",
			wantLog: "step=tls",
		},
		{
			name:    "implicit TLS against a plain server",
			srv:     submissionOptions{},
			cfg:     func(s *submission) Config { return Config{TLS: ImplicitTLS, RootCAs: s.roots(t)} },
			wantErr: "TLS handshake",
			wantLog: "step=tls",
		},
		{
			name:    "password in clear off this machine",
			srv:     submissionOptions{},
			cfg:     func(s *submission) Config { return Config{TLS: NoTLS, Username: relayUser, Password: relayPass} },
			remote:  true,
			wantErr: "never sends the relay's password in clear",
			wantLog: "step=auth",
		},
		{
			name: "no AUTH offered",
			srv:  submissionOptions{tls: "starttls", mechs: []string{}},
			cfg: func(s *submission) Config {
				return Config{RootCAs: s.roots(t), Username: relayUser, Password: relayPass}
			},
			remote:  true,
			wantErr: "does not offer AUTH",
			wantLog: "step=auth",
		},
		{
			name:    "AUTH needed but no username",
			srv:     submissionOptions{tls: "starttls"},
			cfg:     func(s *submission) Config { return Config{RootCAs: s.roots(t)} },
			remote:  true,
			wantErr: "530 5.7.0 authentication required",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, _ := newStore(t, 3)
			s := newSubmission(t, tt.srv)
			var logs logBuffer
			cfg := tt.cfg(s)
			cfg.Relay = s.addr
			cfg.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			clk := &clock{}
			cfg.Now = clk.Now
			var tweaks []func(*Deliverer)
			if tt.remote {
				tweaks = append(tweaks, remote)
			}
			start(t, db, &testRenderer{}, cfg, tweaks...)
			for _, row := range allAttempted(t, db, clk.Now, 1) {
				if row.State != "queued" || !strings.Contains(row.LastError, tt.wantErr) {
					t.Errorf("%s: %s with %q, want queued with %q", row.Rcpt, row.State, row.LastError, tt.wantErr)
				}
			}
			if _, got := s.snapshot(); len(got) != 0 {
				t.Errorf("%d mails got through", len(got))
			}
			if !strings.Contains(logs.String(), tt.wantLog) {
				t.Errorf("log lacks %q:\n%s", tt.wantLog, logs.String())
			}
			noPassword(t, "the log", logs.String())
		})
	}
}

// A relay that offers STARTTLS and then refuses it: on loopback the session goes on
// in clear, as if it had not been offered; off this machine it ends.
func TestStartTLSRefused(t *testing.T) {
	for _, remote := range []bool{false, true} {
		t.Run(fmt.Sprintf("remote %v", remote), func(t *testing.T) {
			f := newFakeRelay(t, relayBehaviour{startTLS: "454 4.7.0 TLS not available due to local problem"})
			ctx := t.Context()
			c, err := dialSMTP(ctx, &relaySession{addr: f.addr, helo: "client.test", remote: remote}, defaultTimeouts, nil)
			if remote {
				if err == nil || !strings.Contains(err.Error(), "STARTTLS: 454 4.7.0") {
					t.Errorf("err = %v", err)
				}
				if err == nil {
					c.close(ctx)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			res, err := c.send(ctx, "bounces@example.org", []string{"alice@example.org"}, testMsg(clientMsg))
			if err != nil || res[0].class() != 2 {
				t.Errorf("send: %v, %v", res, err)
			}
			c.close(ctx)
			if _, _, cmds := f.snapshot(); !slices.Equal(cmds[:2], []string{"EHLO client.test", "STARTTLS"}) || slices.Contains(cmds[2:], "EHLO client.test") {
				t.Errorf("commands %q", cmds)
			}
		})
	}
}

// FuzzParseExtensions feeds arbitrary EHLO lines to the extension parser.
func FuzzParseExtensions(f *testing.F) {
	f.Add("PIPELINING\nSIZE 10240000\nSTARTTLS\nAUTH PLAIN LOGIN\n8BITMIME")
	f.Add("AUTH=LOGIN PLAIN\nauth cram-md5 plain\nsize")
	f.Add("SIZE -5\nAUTH\n")
	f.Fuzz(func(t *testing.T, in string) {
		var c smtpClient
		c.parseExtensions(strings.Split(in, "\n"))
		if c.sizeLimit < 0 {
			t.Fatalf("size limit %d", c.sizeLimit)
		}
		for m := range c.authMechs {
			if m == "" || m != strings.ToUpper(m) || strings.ContainsAny(m, " \t") {
				t.Fatalf("mechanism %q", m)
			}
		}
	})
}

func TestTLSPolicy(t *testing.T) {
	tests := []struct {
		mode              TLSMode
		offered, loopback bool
		wantStart         bool
		wantErr           error
	}{
		{StartTLS, true, false, true, nil},
		{StartTLS, true, true, true, nil},
		{StartTLS, false, false, false, errNoStartTLS},
		{StartTLS, false, true, false, nil},
		{"", false, false, false, errNoStartTLS}, // the zero value is StartTLS
		{ImplicitTLS, false, false, false, nil},  // already encrypted
		{ImplicitTLS, true, false, false, nil},
		{NoTLS, true, false, false, nil},
		{NoTLS, false, false, false, nil},
	}
	for _, tt := range tests {
		start, err := tlsPolicy(tt.mode, tt.offered, tt.loopback)
		if start != tt.wantStart || err != tt.wantErr {
			t.Errorf("tlsPolicy(%q, offered %v, loopback %v) = %v, %v; want %v, %v",
				tt.mode, tt.offered, tt.loopback, start, err, tt.wantStart, tt.wantErr)
		}
	}
	for _, tt := range []struct{ loopback, haveCA, want bool }{
		{false, false, true}, {false, true, true}, {true, true, true}, {true, false, false},
	} {
		if got := verifyPolicy(tt.loopback, tt.haveCA); got != tt.want {
			t.Errorf("verifyPolicy(loopback %v, CA %v) = %v", tt.loopback, tt.haveCA, got)
		}
	}
	for _, tt := range []struct {
		encrypted, loopback bool
		want                error
	}{
		{true, false, nil}, {true, true, nil}, {false, true, nil}, {false, false, errAuthInClear},
	} {
		if got := authPolicy(tt.encrypted, tt.loopback); got != tt.want {
			t.Errorf("authPolicy(encrypted %v, loopback %v) = %v", tt.encrypted, tt.loopback, got)
		}
	}
}

func TestSecretHidden(t *testing.T) {
	p := Secret(relayPass)
	cfg := Config{Relay: "x:587", Username: relayUser, Password: p}
	var logs logBuffer
	slog.New(slog.NewTextHandler(&logs, nil)).Info("config", "password", p, "cfg", cfg)
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("config", "password", p)
	text := fmt.Sprintf("%v %s %q %+v %#v %x", p, p, p, cfg, cfg, p) + logs.String()
	noPassword(t, "formatted output", text)
	if !strings.Contains(text, hidden) {
		t.Errorf("no %q in %s", hidden, text)
	}
}

// Probe shows the dialogue with the password hidden, and delivers the mail.
func TestProbe(t *testing.T) {
	s := newSubmission(t, submissionOptions{tls: "starttls"})
	var out bytes.Buffer
	err := Probe(t.Context(), Config{Relay: s.addr, HeloName: "lists.example.org", RootCAs: s.roots(t),
		Username: relayUser, Password: relayPass}, "postmaster@lists.example.org", []string{"admin@example.net"},
		testMsg(clientMsg), &out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	text := out.String()
	for _, want := range []string{
		"S: 220 submission.test",
		"C: EHLO lists.example.org",
		"S: 250-STARTTLS",
		"C: STARTTLS",
		"certificate verified for 127.0.0.1",
		"C: AUTH PLAIN (hidden)",
		"S: 235 2.0.0 Authentication succeeded",
		"C: MAIL FROM:<postmaster@lists.example.org>",
		"C: RCPT TO:<admin@example.net>",
		"S: 354 ",
		"C: .",
		"C: QUIT",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("dialogue lacks %q:\n%s", want, text)
		}
	}
	noPassword(t, "the dialogue", text)
	if _, got := s.snapshot(); len(got) != 1 || got[0].user != relayUser {
		t.Errorf("submission server got %+v", got)
	}

	s.setPassword("another")
	out.Reset()
	err = Probe(t.Context(), Config{Relay: s.addr, RootCAs: s.roots(t), Username: relayUser, Password: relayPass},
		"postmaster@lists.example.org", []string{"admin@example.net"}, testMsg(clientMsg), &out)
	if err == nil || !strings.Contains(err.Error(), "535 5.7.8") {
		t.Errorf("wrong password: err = %v", err)
	}
	noPassword(t, "the dialogue", out.String()+fmt.Sprint(err))
}
