// Package smtp is the thin edge between go-smtp (SMTP and LMTP) and the list domain:
// it turns sessions into lists transactions and domain errors into SMTP replies.
// Internal errors never reach a stranger: they become a generic 451 with an id that
// the log shows next to the details.
package smtp

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	gosmtp "github.com/emersion/go-smtp"

	"listd/internal/i18n"
	"listd/internal/lists"
)

// Txn is a mail transaction of the domain (implemented by *lists.Txn).
type Txn interface {
	AddRcpt(ctx context.Context, to string) error
	Recipients() int
	Deliver(ctx context.Context, r io.Reader) []error
}

// Receiver starts transactions (implemented through ReceiverFunc over *lists.Service).
type Receiver interface {
	Begin(ctx context.Context, client lists.Client, from string) (Txn, error)
}

// ReceiverFunc adapts a function to Receiver.
type ReceiverFunc func(ctx context.Context, client lists.Client, from string) (Txn, error)

// Begin calls f.
func (f ReceiverFunc) Begin(ctx context.Context, client lists.Client, from string) (Txn, error) {
	return f(ctx, client, from)
}

// Config is the server's settings.
type Config struct {
	Domain          string // announced in the greeting
	MaxMessageBytes int64
	MaxRecipients   int
	// MaxHeaderBytes and MaxHeaderFields bound a message's header section; a message
	// beyond either gets 552 5.3.4 as soon as the limit is passed. Zero means the default.
	MaxHeaderBytes  int
	MaxHeaderFields int
	// MaxSessions bounds the sessions open at once, MaxSessionsPerNetwork those from one
	// IPv4 /24 or IPv6 /64 (loopback counts only towards MaxSessions). Zero means the default.
	MaxSessions           int
	MaxSessionsPerNetwork int
	LMTP                  bool
	Logger                *slog.Logger
	TLSConfig             *tls.Config // offers STARTTLS when set
}

// Server is one SMTP or LMTP listener.
type Server struct {
	srv                 *gosmtp.Server
	log                 *slog.Logger
	maxSessions, perNet int
}

// New returns a server handing mail to rcv.
func New(rcv Receiver, cfg Config) *Server {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	proto := "smtp"
	if cfg.LMTP {
		proto = "lmtp"
	}
	log = log.With("proto", proto)
	be := &backend{rcv: rcv, log: log, lmtp: cfg.LMTP, maxMessageBytes: cfg.MaxMessageBytes,
		maxHeaderBytes: orDefault(cfg.MaxHeaderBytes, DefaultMaxHeaderBytes), maxHeaderFields: orDefault(cfg.MaxHeaderFields, DefaultMaxHeaderFields)}
	srv := gosmtp.NewServer(be)
	srv.Domain = cfg.Domain
	srv.LMTP = cfg.LMTP
	srv.MaxMessageBytes = cfg.MaxMessageBytes
	srv.MaxRecipients = cfg.MaxRecipients
	srv.ReadTimeout = 5 * time.Minute
	srv.WriteTimeout = time.Minute
	srv.EnableSMTPUTF8 = true
	srv.TLSConfig = cfg.TLSConfig
	srv.ErrorLog = slogPrinter{log}
	return &Server{srv: srv, log: log,
		maxSessions: orDefault(cfg.MaxSessions, DefaultMaxSessions), perNet: orDefault(cfg.MaxSessionsPerNetwork, DefaultMaxSessionsPerNetwork)}
}

func orDefault(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}

// Serve accepts connections on l until Shutdown, within the session limits.
func (s *Server) Serve(l net.Listener) error {
	err := s.srv.Serve(newSessionLimit(l, s.maxSessions, s.perNet, s.log))
	if errors.Is(err, gosmtp.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting and waits for open sessions until ctx is done.
func (s *Server) Shutdown(ctx context.Context) error { return s.srv.Shutdown(ctx) }

type slogPrinter struct{ log *slog.Logger }

func (p slogPrinter) Printf(format string, v ...any) {
	// go-smtp names the client's IP address first in these; listd logs none.
	if len(v) > 0 && (strings.HasPrefix(format, "error handling %v") || strings.HasPrefix(format, "panic serving %v")) {
		v = append([]any{"a client"}, v[1:]...)
	}
	p.log.Warn("smtp server", "msg", fmt.Sprintf(format, v...))
}
func (p slogPrinter) Println(v ...any) { p.log.Warn("smtp server", "msg", fmt.Sprint(v...)) }

type backend struct {
	rcv             Receiver
	log             *slog.Logger
	lmtp            bool
	maxHeaderBytes  int
	maxHeaderFields int
	maxMessageBytes int64
}

func (b *backend) NewSession(c *gosmtp.Conn) (gosmtp.Session, error) {
	return &session{b: b, conn: c, ip: remoteIP(c.Conn())}, nil
}

// remoteIP is the client's address, invalid for a unix socket.
func remoteIP(c net.Conn) netip.Addr {
	if c == nil {
		return netip.Addr{}
	}
	if ap, err := netip.ParseAddrPort(c.RemoteAddr().String()); err == nil {
		return ap.Addr().Unmap()
	}
	return netip.Addr{}
}

type session struct {
	b     *backend
	conn  *gosmtp.Conn
	ip    netip.Addr
	txn   Txn
	rcpts []string
}

// client is what the domain learns of the connection; the HELO name is known only
// once the client has greeted.
func (s *session) client() lists.Client {
	return lists.Client{IP: s.ip, HELO: s.conn.Hostname()}
}

// ctx bounds each command; go-smtp gives no per-session context.
func (s *session) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 2*time.Minute)
}

func (s *session) Reset() { s.txn, s.rcpts = nil, nil }

func (s *session) Logout() error { return nil }

func (s *session) Mail(from string, _ *gosmtp.MailOptions) error {
	ctx, cancel := s.ctx()
	defer cancel()
	txn, err := s.b.rcv.Begin(ctx, s.client(), from)
	if err != nil {
		return s.reply(err)
	}
	s.txn, s.rcpts = txn, nil
	return nil
}

func (s *session) Rcpt(to string, _ *gosmtp.RcptOptions) error {
	if s.txn == nil {
		return &gosmtp.SMTPError{Code: 503, EnhancedCode: gosmtp.EnhancedCode{5, 5, 1}, Message: "MAIL FROM comes first"}
	}
	// Over SMTP one DATA reply answers for every recipient, so each list gets its own
	// transaction and its own honest reply; the client sends the rest again (RFC 5321 4.5.3.1.10).
	if !s.b.lmtp && s.txn.Recipients() > 0 {
		return refusal(452, gosmtp.EnhancedCode{4, 5, 3}, "one_list")
	}
	ctx, cancel := s.ctx()
	defer cancel()
	if err := s.txn.AddRcpt(ctx, to); err != nil {
		return s.reply(err)
	}
	s.rcpts = append(s.rcpts, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	if s.txn == nil || s.txn.Recipients() == 0 {
		return &gosmtp.SMTPError{Code: 503, EnhancedCode: gosmtp.EnhancedCode{5, 5, 1}, Message: "RCPT TO comes first"}
	}
	ctx, cancel := s.ctx()
	defer cancel()
	results := s.txn.Deliver(ctx, newHeaderLimit(r, s.b.maxHeaderBytes, s.b.maxHeaderFields))
	return s.reply(results[0])
}

func (s *session) LMTPData(r io.Reader, status gosmtp.StatusCollector) error {
	if s.txn == nil || s.txn.Recipients() == 0 {
		return &gosmtp.SMTPError{Code: 503, EnhancedCode: gosmtp.EnhancedCode{5, 5, 1}, Message: "RCPT TO comes first"}
	}
	ctx, cancel := s.ctx()
	defer cancel()
	results := s.txn.Deliver(ctx, newHeaderLimit(r, s.b.maxHeaderBytes, s.b.maxHeaderFields))
	for i, err := range results {
		status.SetStatus(s.rcpts[i], s.reply(err))
	}
	return nil
}

// reply turns a domain error into the SMTP error go-smtp sends. go-smtp finds the
// code by type assertion, so the *SMTPError is returned as it is, never wrapped.
func (s *session) reply(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, gosmtp.ErrDataTooLarge) {
		// go-smtp's own sentence is English only; a parent reads it in the bounce.
		return refusal(552, gosmtp.EnhancedCode{5, 3, 4}, "too_large", sizeText(s.b.maxMessageBytes))
	}
	var se *gosmtp.SMTPError
	if errors.As(err, &se) {
		return se
	}
	var rej *lists.Rejection
	if errors.As(err, &rej) {
		return &gosmtp.SMTPError{Code: rej.Code, EnhancedCode: gosmtp.EnhancedCode(rej.Enhanced), Message: rej.Msg}
	}
	id := errorID()
	s.b.log.Error("internal error", "error_id", id, "err", err)
	return refusal(451, gosmtp.EnhancedCode{4, 3, 0}, "temporary", id)
}

// sizeText is a message size limit for people: whole MiB, or KiB below one.
func sizeText(n int64) string {
	if n >= 1<<20 {
		return strconv.FormatInt(n>>20, 10) + " MiB"
	}
	return strconv.FormatInt(max(n>>10, 1), 10) + " KiB"
}

// refusal is a reply with the catalogue's smtp.KEY sentence, German first and then
// English, as the list domain's refusals are: a person may read it in a bounce.
func refusal(code int, enh gosmtp.EnhancedCode, key string, args ...any) *gosmtp.SMTPError {
	cat := i18n.Default()
	return &gosmtp.SMTPError{Code: code, EnhancedCode: enh,
		Message: cat.F(i18n.German, "smtp."+key, args...) + " / " + cat.F(i18n.English, "smtp."+key, args...)}
}

func errorID() string {
	b := make([]byte, 6)
	rand.Read(b)
	return hex.EncodeToString(b)
}
