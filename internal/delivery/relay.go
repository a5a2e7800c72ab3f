package delivery

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"strings"

	"github.com/emersion/go-sasl"
)

// TLSMode is how the session with the relay is encrypted.
type TLSMode string

// The TLS modes; the zero value means StartTLS.
const (
	// StartTLS upgrades the session with STARTTLS. A relay off this machine that
	// doesn't offer it is refused; one on loopback is used in clear then.
	StartTLS TLSMode = "starttls"
	// ImplicitTLS speaks TLS from the first byte (submission on port 465, RFC 8314).
	ImplicitTLS TLSMode = "implicit"
	// NoTLS never encrypts. AUTH is then refused unless the relay is on loopback.
	NoTLS TLSMode = "none"
)

// Secret is a password. It shows as "(hidden)" when formatted or logged, so that
// it can't end up in a log line by mistake.
type Secret string

const hidden = "(hidden)"

// String hides the secret.
func (Secret) String() string { return hidden }

// GoString hides the secret from %#v too.
func (Secret) GoString() string { return hidden }

// LogValue hides the secret from slog.
func (Secret) LogValue() slog.Value { return slog.StringValue(hidden) }

var (
	_ fmt.Stringer   = Secret("")
	_ fmt.GoStringer = Secret("")
	_ slog.LogValuer = Secret("")
)

// relaySession is how to reach and log in to the relay.
type relaySession struct {
	addr     string
	helo     string
	mode     TLSMode
	roots    *x509.CertPool // nil: the system's roots
	username string         // "" no AUTH
	password Secret
	// remote treats the relay as off this machine even when it is on loopback: tests
	// of the policy can reach only loopback.
	remote bool
}

// stepError is a failure to set up a session, named by its step for the metrics.
type stepError struct {
	step string // "connect", "greeting", "tls" or "auth"
	err  error
}

func (e *stepError) Error() string { return e.err.Error() }
func (e *stepError) Unwrap() error { return e.err }

// errNoStartTLS is a relay off this machine that doesn't offer STARTTLS.
var errNoStartTLS = errors.New("the relay does not offer STARTTLS, and listd never sends in clear to a relay off this machine (see [relay] tls)")

// errAuthInClear is AUTH asked for over an unencrypted session off this machine.
var errAuthInClear = errors.New("the session is not encrypted, and listd never sends the relay's password in clear off this machine (see [relay] tls)")

// tlsPolicy decides, after EHLO, whether to issue STARTTLS, or refuses the session.
func tlsPolicy(mode TLSMode, offered, loopback bool) (startTLS bool, err error) {
	switch mode {
	case NoTLS, ImplicitTLS:
		return false, nil
	}
	switch {
	case offered:
		return true, nil
	case loopback:
		return false, nil // the mail doesn't leave this machine
	}
	return false, errNoStartTLS
}

// verifyPolicy says whether the relay's certificate must be valid: always off this
// machine, and on loopback when a CA is given. On loopback without one, TLS is taken
// as offered (a local Postfix usually has a self-signed certificate), as the session
// would be accepted in clear too.
func verifyPolicy(loopback, haveCA bool) bool { return !loopback || haveCA }

// authPolicy says whether the password may be sent on this session.
func authPolicy(encrypted, loopback bool) error {
	if encrypted || loopback {
		return nil
	}
	return errAuthInClear
}

// dialSMTP connects to the relay, encrypts and authenticates as rs says and says
// EHLO; every failure is temporary for the rows waiting.
func dialSMTP(ctx context.Context, rs *relaySession, to timeouts, trace func(string)) (*smtpClient, error) {
	host, _, err := net.SplitHostPort(rs.addr)
	if err != nil {
		return nil, &stepError{"connect", fmt.Errorf("relay %s: %w", rs.addr, err)}
	}
	d := net.Dialer{Timeout: to.dial}
	conn, err := d.DialContext(ctx, "tcp", rs.addr)
	if err != nil {
		return nil, &stepError{"connect", fmt.Errorf("connect to relay: %w", err)}
	}
	loopback := !rs.remote && isLoopback(conn.RemoteAddr())
	c := newClient(conn, to, trace)
	if err := c.setUp(ctx, rs, host, loopback); err != nil {
		c.conn.Close()
		var se *stepError
		if errors.As(err, &se) {
			return nil, &stepError{se.step, fmt.Errorf("relay %s: %w", rs.addr, se.err)}
		}
		return nil, &stepError{"greeting", fmt.Errorf("relay %s: %w", rs.addr, err)}
	}
	return c, nil
}

func isLoopback(a net.Addr) bool {
	ta, ok := a.(*net.TCPAddr)
	return ok && ta.IP.IsLoopback()
}

func (c *smtpClient) setUp(ctx context.Context, rs *relaySession, host string, loopback bool) error {
	tc := &tls.Config{
		ServerName:         host,
		RootCAs:            rs.roots,
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: !verifyPolicy(loopback, rs.roots != nil),
	}
	if rs.mode == ImplicitTLS {
		if err := c.handshake(ctx, tc); err != nil {
			return err
		}
	}
	if err := c.greet(ctx, rs.helo); err != nil {
		return err
	}
	start, err := tlsPolicy(rs.mode, c.startTLS, loopback)
	if err != nil {
		c.quit(ctx)
		return &stepError{"tls", err}
	}
	if start {
		if err := c.upgrade(ctx, tc, loopback); err != nil {
			return err
		}
		if c.tlsOn {
			if err := c.hello(ctx, rs.helo); err != nil {
				return err
			}
		}
	}
	if rs.username == "" {
		return nil
	}
	if err := authPolicy(c.tlsOn, loopback); err != nil {
		c.quit(ctx)
		return &stepError{"auth", err}
	}
	return c.auth(ctx, rs.username, rs.password)
}

// upgrade issues STARTTLS and makes the session TLS (RFC 3207). When optional (a
// relay on loopback) and the relay refuses, the session goes on in clear, as it
// would if STARTTLS had not been offered.
func (c *smtpClient) upgrade(ctx context.Context, tc *tls.Config, optional bool) error {
	stop := c.arm(ctx, c.to.command)
	r, err := c.cmd(ctx, "STARTTLS")
	stop()
	if err != nil {
		return &stepError{"tls", fmt.Errorf("STARTTLS: %w", err)}
	}
	if r.code != 220 && optional {
		return nil
	}
	if r.code != 220 {
		c.quit(ctx)
		return &stepError{"tls", &replyError{"STARTTLS", r}}
	}
	// Anything the server sent after its 220 arrived in clear and could have been
	// injected by someone in between (CVE-2011-0411 and its kin).
	if c.br.Buffered() > 0 {
		c.broken = true
		return &stepError{"tls", &protocolError{"data after the reply to STARTTLS"}}
	}
	return c.handshake(ctx, tc)
}

func (c *smtpClient) handshake(ctx context.Context, tc *tls.Config) error {
	stop := c.arm(ctx, c.to.command)
	defer stop()
	conn := tls.Client(c.conn, tc)
	if err := conn.HandshakeContext(ctx); err != nil {
		c.broken = true
		return &stepError{"tls", fmt.Errorf("TLS handshake: %w", c.ioErr(ctx, err))}
	}
	c.setConn(conn)
	c.tlsOn = true
	if c.trace != nil {
		st := conn.ConnectionState()
		check := "certificate verified for " + tc.ServerName
		if tc.InsecureSkipVerify {
			check = "certificate not checked (relay on loopback, no ca_file)"
		}
		c.trace(fmt.Sprintf("*  %s, %s, %s", tls.VersionName(st.Version), tls.CipherSuiteName(st.CipherSuite), check))
	}
	return nil
}

// auth logs in with PLAIN, or LOGIN if the relay offers only that (RFC 4954).
func (c *smtpClient) auth(ctx context.Context, user string, pass Secret) error {
	var sc sasl.Client
	switch {
	case c.authMechs[sasl.Plain]:
		sc = sasl.NewPlainClient("", user, string(pass))
	case c.authMechs[sasl.Login]:
		sc = sasl.NewLoginClient(user, string(pass))
	case len(c.authMechs) == 0:
		c.quit(ctx)
		return &stepError{"auth", errors.New("a username is set but the relay does not offer AUTH (is this its submission port?)")}
	default:
		mechs := slices.Sorted(func(yield func(string) bool) {
			for m := range c.authMechs {
				if !yield(m) {
					return
				}
			}
		})
		c.quit(ctx)
		return &stepError{"auth", fmt.Errorf("the relay offers AUTH %s; listd speaks PLAIN and LOGIN", strings.Join(mechs, " "))}
	}
	stop := c.arm(ctx, c.to.command)
	defer stop()
	mech, ir, err := sc.Start()
	if err != nil {
		return &stepError{"auth", fmt.Errorf("AUTH %s: %w", mech, err)}
	}
	line := "AUTH " + mech
	if ir != nil {
		line += " " + encode64(ir)
	}
	r, err := c.secret(ctx, "AUTH "+mech+" "+hidden, line)
	for steps := 0; err == nil && r.code == 334; steps++ {
		var chal, resp []byte
		chal, err = base64.StdEncoding.DecodeString(strings.TrimSpace(strings.Join(r.lines, "")))
		if err == nil && steps < 4 {
			resp, err = sc.Next(chal)
		} else if err == nil {
			err = errors.New("too many challenges")
		}
		if err != nil {
			// Cancel the exchange (RFC 4954 §4); the session stays usable but
			// unauthenticated, so it ends here.
			c.cmd(ctx, "*")
			c.quit(ctx)
			return &stepError{"auth", fmt.Errorf("AUTH %s: %w", mech, err)}
		}
		r, err = c.secret(ctx, hidden, encode64(resp))
	}
	if err != nil {
		return &stepError{"auth", fmt.Errorf("AUTH %s: %w", mech, err)}
	}
	if r.code != 235 {
		c.quit(ctx)
		return &stepError{"auth", &replyError{"AUTH " + mech, r}}
	}
	return nil
}

// secret sends a line that holds credentials, traced as shown, and reads the reply.
func (c *smtpClient) secret(ctx context.Context, shown, line string) (*reply, error) {
	if err := c.writeLine(ctx, shown, line); err != nil {
		return nil, err
	}
	if err := c.flush(ctx); err != nil {
		return nil, err
	}
	return c.read(ctx)
}

func encode64(b []byte) string {
	if len(b) == 0 {
		return "="
	}
	return base64.StdEncoding.EncodeToString(b)
}

// sessionReply reports whether a 5xx reply inside a transaction is about the session
// with the relay rather than the message or recipient (RFC 4954 §6 and RFC 3207:
// authentication or encryption required, credentials refused): the relay's setup,
// so the copy waits for it to be fixed instead of failing.
func sessionReply(r *reply) bool {
	switch r.code {
	case 530, 534, 535, 538:
		return true
	}
	return false
}

// Probe sends one message through the relay as the queue would, without
// pipelining, and writes the dialogue to w with the password hidden. It returns
// an error unless the relay accepted the message for every recipient.
func Probe(ctx context.Context, cfg Config, from string, rcpts []string, msg io.WriterTo, w io.Writer) error {
	d := New(nil, nil, cfg)
	if d.cfg.Relay == "" {
		return errors.New("no relay configured ([relay] address)")
	}
	trace := func(line string) { fmt.Fprintln(w, line) }
	fmt.Fprintf(w, "*  relay %s, tls %s\n", d.rs.addr, d.rs.mode)
	c, err := dialSMTP(ctx, d.rs, d.to, trace)
	if err != nil {
		return err
	}
	defer c.close(ctx)
	c.pipelining = false // one command, one reply: easier to read
	res, err := c.send(ctx, from, rcpts, msg)
	if err != nil {
		return fmt.Errorf("relay %s: %w", d.rs.addr, err)
	}
	for i, r := range res {
		if r.class() != 2 {
			return fmt.Errorf("relay %s refused the mail to %s: %s", d.rs.addr, rcpts[i], r)
		}
	}
	return nil
}
