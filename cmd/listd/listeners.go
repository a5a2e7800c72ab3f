package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"listd/internal/config"
	"listd/internal/imap"
	"listd/internal/lists"
	"listd/internal/smtp"
	"listd/internal/web"
)

// servers are the SMTP, LMTP, IMAP and HTTP servers the config asks for, each with
// its sockets already open: serve listens on everything before it serves anything,
// so that a port in use fails the start, not a goroutine.
type servers struct {
	sockets []net.Listener // every socket opened, for closing them on a failed start
	serving []socketServer // every socket with the loop that serves it, in the order opened
	mail    []*smtp.Server // SMTP, then LMTP
	imap    *imap.Server   // nil without IMAP
	http    *http.Server   // nil without HTTP
}

// socketServer is one listening socket and the server's loop on it.
type socketServer struct {
	l     net.Listener
	serve func(net.Listener) error
}

// openServers makes the servers the config asks for and opens their sockets, in
// this order: SMTP, LMTP, IMAP, IMAPS, HTTP, each announced in the log. Certificates
// are loaded through rl, which reads them again on SIGHUP. A failure closes what was
// opened.
func openServers(ctx context.Context, a *app, rl *reloader, reg *prometheus.Registry, logger *slog.Logger) (_ *servers, err error) {
	s := &servers{}
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	if err := s.openMail(ctx, a, rl, logger); err != nil {
		return nil, err
	}
	if err := s.openIMAP(ctx, a, rl, logger); err != nil {
		return nil, err
	}
	if err := s.openHTTP(ctx, a, rl, reg, logger); err != nil {
		return nil, err
	}
	return s, nil
}

// close closes every socket opened and the IMAP server; for a start that failed.
func (s *servers) close() {
	for _, l := range s.sockets {
		l.Close()
	}
	if s.imap != nil {
		s.imap.Close()
	}
}

// listen opens addr for the service name: "unix:PATH" is a unix socket (a file left
// at PATH is removed first), anything else a TCP address. Errors name the service.
func (s *servers) listen(ctx context.Context, name, addr string) (net.Listener, error) {
	network := "tcp"
	if path, ok := strings.CutPrefix(addr, "unix:"); ok {
		network, addr = "unix", path
		os.Remove(path)
	}
	var lc net.ListenConfig
	l, err := lc.Listen(ctx, network, addr)
	if err == nil && network == "unix" {
		// Postfix's lmtp client runs as its own user: the socket is open to all
		// and its directory decides who reaches it, as for the TCP port.
		if err = os.Chmod(addr, 0o666); err != nil {
			l.Close()
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%s listen: %w", name, err)
	}
	s.sockets = append(s.sockets, l)
	return l, nil
}

// openMail opens the SMTP and LMTP sockets the config asks for. SMTP offers STARTTLS
// when it has a certificate; LMTP, spoken by the local MTA, never does.
func (s *servers) openMail(ctx context.Context, a *app, rl *reloader, logger *slog.Logger) error {
	cfg := a.cfg
	inboundTLS, err := smtpTLS(cfg, rl)
	if err != nil {
		return err
	}
	rcv := smtp.ReceiverFunc(func(ctx context.Context, c lists.Client, from string) (smtp.Txn, error) {
		return a.svc.Begin(ctx, c, from)
	})
	for _, m := range []struct {
		name, addr string
		lmtp       bool
	}{{"smtp", cfg.SMTP.Listen, false}, {"lmtp", cfg.LMTP.Listen, true}} {
		if m.addr == "" {
			continue
		}
		l, err := s.listen(ctx, m.name, m.addr)
		if err != nil {
			return err
		}
		var tc *tls.Config
		if !m.lmtp {
			tc = inboundTLS
		}
		srv := smtp.New(rcv, smtp.Config{Domain: cfg.Domain, MaxMessageBytes: cfg.SMTP.MaxMessageSize,
			MaxRecipients: cfg.SMTP.MaxRecipients, MaxHeaderBytes: cfg.SMTP.MaxHeaderSize, MaxHeaderFields: cfg.SMTP.MaxHeaderFields,
			MaxSessions: cfg.SMTP.MaxSessions, MaxSessionsPerNetwork: cfg.SMTP.MaxSessionsPerNetwork, LMTP: m.lmtp, Logger: logger,
			TLSConfig: tc})
		s.mail = append(s.mail, srv)
		s.serving = append(s.serving, socketServer{l: l, serve: srv.Serve})
		logger.Info("listening", "proto", m.name, "addr", l.Addr().String(), "starttls", tc != nil)
	}
	return nil
}

// smtpTLS is the inbound SMTP server's STARTTLS setup, nil without a certificate;
// SIGHUP reloads the certificate (reload.go).
func smtpTLS(cfg config.Config, rl *reloader) (*tls.Config, error) {
	if cfg.SMTP.TLSCert == "" {
		return nil, nil
	}
	cert, err := rl.cert(cfg.SMTP.TLSCert, cfg.SMTP.TLSKey)
	if err != nil {
		return nil, fmt.Errorf("smtp certificate: %w", err)
	}
	return cert.Config(), nil
}

// openIMAP opens the IMAP sockets the config asks for: plain IMAP and IMAPS
// (implicit TLS); nothing when IMAP is off. Without a certificate, IMAP takes logins
// only from this machine.
func (s *servers) openIMAP(ctx context.Context, a *app, rl *reloader, logger *slog.Logger) error {
	cfg := a.cfg
	if cfg.IMAP.Listen == "" && cfg.IMAP.TLSListen == "" {
		return nil
	}
	var tlsCfg *tls.Config
	if cfg.IMAP.TLSCert != "" {
		cert, err := rl.cert(cfg.IMAP.TLSCert, cfg.IMAP.TLSKey)
		if err != nil {
			return fmt.Errorf("imap certificate: %w", err)
		}
		tlsCfg = cert.Config()
	}
	srv := imap.New(a.db, a.svc, imap.Config{Domain: cfg.Domain, BaseURL: cfg.BaseURL, Language: cfg.Language,
		TLS: tlsCfg, Logger: logger.With("part", "imap")})
	s.imap = srv
	for _, x := range []struct {
		name, addr string
		serve      func(net.Listener) error
	}{{"imap", cfg.IMAP.Listen, srv.Serve}, {"imaps", cfg.IMAP.TLSListen, srv.ServeTLS}} {
		if x.addr == "" {
			continue
		}
		l, err := s.listen(ctx, x.name, x.addr)
		if err != nil {
			return err
		}
		s.serving = append(s.serving, socketServer{l: l, serve: x.serve})
		logger.Info("listening", "proto", x.name, "addr", l.Addr().String())
	}
	if tlsCfg == nil {
		logger.Info("imap has no certificate: logins only from this machine")
	}
	return nil
}

// openHTTP makes the web server (pages, API, outbox, health and metrics) and opens
// its socket, when the config asks for HTTP. rl gets the web server, to reload its
// page templates.
func (s *servers) openHTTP(ctx context.Context, a *app, rl *reloader, reg *prometheus.Registry, logger *slog.Logger) error {
	cfg := a.cfg
	if cfg.HTTP.Listen == "" {
		return nil
	}
	h, err := web.New(a.db, a.svc, a.svc, a.svc, a.svc, a.db, a.tmpl, web.Config{Domain: cfg.Domain, BaseURL: cfg.BaseURL, Copies: a.svc, PrivateReply: a.svc.PrivateReplyAddress, Language: cfg.Language,
		Outbox: cfg.Relay.Address == "", Metrics: promhttp.HandlerFor(reg, promhttp.HandlerOpts{}),
		MetricsToken: cfg.HTTP.MetricsToken,
		Logger:       logger.With("part", "web"), Signer: a.sign, SecureCookies: strings.HasPrefix(cfg.BaseURL, "https:"),
		CounselStore: a.db, CounselLive: a.live, Lists: web.ListDomainOf(a.svc)})
	if err != nil {
		return err
	}
	rl.web = h
	l, err := s.listen(ctx, "http", cfg.HTTP.Listen)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute,
		WriteTimeout: 2 * time.Minute, IdleTimeout: 2 * time.Minute, ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
	s.http = srv
	s.serving = append(s.serving, socketServer{l: l, serve: func(l net.Listener) error {
		if err := srv.Serve(l); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}})
	logger.Info("listening", "proto", "http", "addr", l.Addr().String())
	return nil
}
