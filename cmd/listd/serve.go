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
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"listd/internal/config"
	"listd/internal/delivery"
	"listd/internal/imap"
	"listd/internal/lists"
	"listd/internal/smtp"
	"listd/internal/store"
	"listd/internal/web"
	"listd/templates"
)

func cmdServe(e *env) error {
	f := newFlags(e, "serve")
	templateDir := f.String("templates", "", "serve templates from this folder instead of the embedded ones (development)")
	if _, err := f.parse(0, 0, "no arguments"); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(e.ctx, syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	// SIGHUP reloads (reload.go); caught from the start so that it never ends listd.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	logger := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	// The deliverer needs the domain to render copies and the domain kicks the
	// deliverer; kick closes over the variable set just below.
	var dl *delivery.Deliverer
	kick := func() {
		if dl != nil {
			dl.Kick()
		}
	}
	a, err := open(e, *f.config, serving{logger: logger, kick: kick, reg: reg, tmpl: templates.FS(*templateDir), dns: true})
	if err != nil {
		return err
	}
	defer a.Close()
	cfg := a.cfg
	rl := &reloader{logger: logger, tmpl: a.tmpl, svc: a.svc, live: a.live}
	reg.MustRegister(newQueueCollector(a.db), newFiguresCollector(a.db))

	// Every copy reaches the relay through this renderer: posts, digests and listd's
	// own mails alike, so this is the one place they are signed.
	rend, err := signing(cfg, renderer{a.svc}, logger)
	if err != nil {
		return err
	}
	if cfg.Relay.Address != "" {
		dc, err := relayConfig(cfg, logger)
		if err != nil {
			return err
		}
		dc.Connections = cfg.Delivery.Connections
		dc.RetryBase, dc.MaxAge = cfg.Delivery.RetryInitial.Duration, cfg.Delivery.MaxAge.Duration
		dc.Logger, dc.Registerer = logger.With("part", "delivery"), reg
		dl = delivery.New(a.db, rend, dc)
	}
	inboundTLS, err := smtpTLS(cfg, rl)
	if err != nil {
		return err
	}

	// Listen on everything first, so a port in use fails the start, not a goroutine.
	var listeners []net.Listener
	closeAll := func() {
		for _, l := range listeners {
			l.Close()
		}
	}
	listen := func(name, addr string) (net.Listener, error) {
		network := "tcp"
		if path, ok := strings.CutPrefix(addr, "unix:"); ok {
			network, addr = "unix", path
			os.Remove(path)
		}
		l, err := net.Listen(network, addr)
		if err == nil && network == "unix" {
			// Postfix's lmtp client runs as its own user: the socket is open to all
			// and its directory decides who reaches it, as for the TCP port.
			if err = os.Chmod(addr, 0o666); err != nil {
				l.Close()
			}
		}
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("%s listen: %w", name, err)
		}
		listeners = append(listeners, l)
		return l, nil
	}
	rcv := smtp.ReceiverFunc(func(ctx context.Context, c lists.Client, from string) (smtp.Txn, error) {
		return a.svc.Begin(ctx, c, from)
	})
	type mailServer struct {
		srv *smtp.Server
		l   net.Listener
	}
	var mailServers []mailServer
	for _, m := range []struct {
		name, addr string
		lmtp       bool
	}{{"smtp", cfg.SMTP.Listen, false}, {"lmtp", cfg.LMTP.Listen, true}} {
		if m.addr == "" {
			continue
		}
		l, err := listen(m.name, m.addr)
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
		mailServers = append(mailServers, mailServer{srv, l})
		logger.Info("listening", "proto", m.name, "addr", l.Addr().String(), "starttls", tc != nil)
	}
	imapSrv, imapLs, err := listenIMAP(cfg, a, rl, logger, listen)
	if err != nil {
		closeAll()
		return err
	}
	var httpSrv *http.Server
	var httpL net.Listener
	if cfg.HTTP.Listen != "" {
		members := webMembers{Service: a.svc, deletePosts: cfg.Privacy.ErasePosts == "delete"}
		h, err := web.New(a.db, a.svc, members, a.svc, a.svc, a.db, a.tmpl, web.Config{Domain: cfg.Domain, BaseURL: cfg.BaseURL, Copies: a.svc, PrivateReply: a.svc.PrivateReplyAddress, Language: cfg.Language,
			Outbox: cfg.Relay.Address == "", Metrics: promhttp.HandlerFor(reg, promhttp.HandlerOpts{}),
			MetricsToken: cfg.HTTP.MetricsToken,
			Logger:       logger.With("part", "web"), Signer: a.sign, SecureCookies: strings.HasPrefix(cfg.BaseURL, "https:")})
		if err != nil {
			closeAll()
			return err
		}
		rl.web = h
		if httpL, err = listen("http", cfg.HTTP.Listen); err != nil {
			return err
		}
		httpSrv = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute,
			WriteTimeout: 2 * time.Minute, IdleTimeout: 2 * time.Minute, ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
		logger.Info("listening", "proto", "http", "addr", httpL.Addr().String())
	}

	var wg sync.WaitGroup
	errs := make(chan error, 6)
	for _, m := range mailServers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := m.srv.Serve(m.l); err != nil {
				errs <- err
			}
		}()
	}
	for _, il := range imapLs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := il.serve(il.l); err != nil {
				errs <- err
			}
		}()
	}
	if httpSrv != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := httpSrv.Serve(httpL); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errs <- err
			}
		}()
	}
	dlDone := make(chan error, 1)
	if dl != nil {
		go func() { dlDone <- dl.Run(ctx) }()
		logger.Info("delivering", "relay", cfg.Relay.Address, "tls", cfg.Relay.TLS, "auth", cfg.Relay.Username != "")
	} else {
		close(dlDone)
		logger.Info("no relay configured: outgoing mail stays in the outbox", "url", cfg.BaseURL+"/outbox")
	}
	wg.Add(2)
	go func() {
		defer wg.Done()
		maintain(ctx, a.svc, logger)
	}()
	go func() {
		defer wg.Done()
		scheduleDigests(ctx, a.svc, logger)
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		rl.watch(ctx, hup)
	}()
	logger.Info("listd serving", "domain", cfg.Domain, "data_dir", cfg.DataDir)

	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errs:
		stop()
	}
	logger.Info("shutting down")
	// Stop taking mail first, then let the queue finish what is in flight.
	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	for _, m := range mailServers {
		m.srv.Shutdown(shutCtx)
	}
	if httpSrv != nil {
		httpSrv.Shutdown(shutCtx)
	}
	if imapSrv != nil {
		imapSrv.Close()
	}
	if err := <-dlDone; err != nil && runErr == nil {
		runErr = err
	}
	wg.Wait()
	logger.Info("stopped")
	return runErr
}

// imapListener is one IMAP socket and how it is served (plain or implicit TLS).
type imapListener struct {
	l     net.Listener
	serve func(net.Listener) error
}

// listenIMAP opens the IMAP sockets the config asks for, announcing each the way the
// other services are announced; nil when IMAP is off.
func listenIMAP(cfg config.Config, a *app, rl *reloader, logger *slog.Logger, listen func(name, addr string) (net.Listener, error)) (*imap.Server, []imapListener, error) {
	if cfg.IMAP.Listen == "" && cfg.IMAP.TLSListen == "" {
		return nil, nil, nil
	}
	var tlsCfg *tls.Config
	if cfg.IMAP.TLSCert != "" {
		cert, err := rl.cert(cfg.IMAP.TLSCert, cfg.IMAP.TLSKey)
		if err != nil {
			return nil, nil, fmt.Errorf("imap certificate: %w", err)
		}
		tlsCfg = cert.Config()
	}
	srv := imap.New(a.db, a.svc, imap.Config{Domain: cfg.Domain, BaseURL: cfg.BaseURL, Language: cfg.Language,
		TLS: tlsCfg, Logger: logger.With("part", "imap")})
	var out []imapListener
	for _, x := range []struct {
		name, addr string
		serve      func(net.Listener) error
	}{{"imap", cfg.IMAP.Listen, srv.Serve}, {"imaps", cfg.IMAP.TLSListen, srv.ServeTLS}} {
		if x.addr == "" {
			continue
		}
		l, err := listen(x.name, x.addr)
		if err != nil {
			srv.Close()
			return nil, nil, err
		}
		out = append(out, imapListener{l: l, serve: x.serve})
		logger.Info("listening", "proto", x.name, "addr", l.Addr().String())
	}
	if tlsCfg == nil {
		logger.Info("imap has no certificate: logins only from this machine")
	}
	return srv, out, nil
}

// renderer adapts the domain's rendering to the deliverer.
type renderer struct{ svc *lists.Service }

func (r renderer) Render(ctx context.Context, d *store.Delivery) (delivery.Copy, error) {
	c, err := r.svc.Render(ctx, d)
	if errors.Is(err, lists.ErrGone) {
		return delivery.Copy{}, fmt.Errorf("%w: %w", delivery.ErrPermanent, err)
	}
	if err != nil {
		return delivery.Copy{}, err
	}
	return delivery.Copy{From: c.From, Message: c.Message, Shared: c.Shared}, nil
}

// queueCollector exports the queue's row counts on /metrics.
type queueCollector struct {
	db   *store.DB
	desc *prometheus.Desc
}

func newQueueCollector(db *store.DB) queueCollector {
	return queueCollector{db: db, desc: prometheus.NewDesc("listd_queue_rows", "Rows in the outbound queue by state.", []string{"state"}, nil)}
}

func (c queueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	counts, err := c.db.DeliveryCounts(ctx)
	if err != nil {
		return
	}
	for state, n := range counts {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n), state)
	}
}

// webMembers is the list domain as the web sees it, with the site's policy for the
// posts of an address erased from the settings page.
type webMembers struct {
	*lists.Service
	deletePosts bool
}

// EraseByLink uses an erase link from the settings page, as `listd user erase` would.
func (m webMembers) EraseByLink(ctx context.Context, tok string) (string, error) {
	addr, _, err := m.ConfirmErase(ctx, tok, m.deletePosts)
	return addr, err
}

// maintain runs the domain's periodic work (expiry, removal of long-disabled members,
// posts past their list's retention) at start and then hourly, until ctx is done.
func maintain(ctx context.Context, svc *lists.Service, logger *slog.Logger) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if err := svc.Maintain(ctx); err != nil && ctx.Err() == nil {
			logger.Error("maintenance", "err", err)
		}
		if err := svc.ApplyRetention(ctx); err != nil && ctx.Err() == nil {
			logger.Error("retention", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// scheduleDigests makes the digest issues that are due, once a minute.
func scheduleDigests(ctx context.Context, svc *lists.Service, logger *slog.Logger) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := svc.SendDueDigests(ctx); err != nil && ctx.Err() == nil {
			logger.Error("digests", "err", err)
		}
	}
}

// figuresCollector exports the association's aggregate figures on /metrics: counts
// only, never linked to a person. Lists are named by their label only when their
// archive is announced (public or members); the figures of private lists are added up
// under privateLabel, so that no private list's name or size is on /metrics, even
// when a proxy in front of listd passes it on by mistake.
type figuresCollector struct {
	db      *store.DB
	figures map[string]*prometheus.Desc
	counsel *prometheus.Desc
}

// privateLabel stands for all private lists together; no list name has brackets.
const privateLabel = "(private)"

func newFiguresCollector(db *store.DB) figuresCollector {
	return figuresCollector{db: db,
		figures: map[string]*prometheus.Desc{
			"readers":     prometheus.NewDesc("listd_readers", "Members by list and delivery mode (private lists added up as \""+privateLabel+"\").", []string{"list", "mode"}, nil),
			"posters":     prometheus.NewDesc("listd_posters", "Distinct posters by list and month (private lists added up as \""+privateLabel+"\").", []string{"list", "month"}, nil),
			"first_posts": prometheus.NewDesc("listd_first_posts", "Members' first posts by list and month (private lists added up as \""+privateLabel+"\").", []string{"list", "month"}, nil),
		},
		counsel: prometheus.NewDesc("listd_counselling", "Counselling searches and replies by month, topic and kind.",
			[]string{"month", "topic", "kind"}, nil),
	}
}

func (c figuresCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.figures {
		ch <- d
	}
	ch <- c.counsel
}

func (c figuresCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	since := time.Now().AddDate(-1, 0, 0).Format("2006-01")
	if fs, err := c.db.Figures(ctx, since); err == nil {
		if ls, err := c.db.Lists(ctx); err == nil {
			for _, f := range announcedFigures(fs, ls) {
				ch <- prometheus.MustNewConstMetric(c.figures[f.Name], prometheus.GaugeValue, float64(f.Count), f.List, f.Label)
			}
		}
	}
	if cs, err := c.db.CounselStats(ctx, since); err == nil {
		for _, s := range cs {
			ch <- prometheus.MustNewConstMetric(c.counsel, prometheus.GaugeValue, float64(s.Count), s.Month, s.Topic, s.Kind)
		}
	}
}

// announcedFigures names a list only when its archive is public or members-only, and
// adds up every other list's figures under privateLabel.
func announcedFigures(fs []store.Figure, ls []*store.List) []store.Figure {
	announced := map[string]bool{}
	for _, l := range ls {
		if l.Archive == "public" || l.Archive == "members" {
			announced[l.Name] = true
		}
	}
	var out []store.Figure
	folded := map[store.Figure]int{} // key: Name and Label, List privateLabel, Count 0
	for _, f := range fs {
		if announced[f.List] {
			out = append(out, f)
			continue
		}
		k := store.Figure{Name: f.Name, List: privateLabel, Label: f.Label}
		if _, ok := folded[k]; !ok {
			out = append(out, k)
		}
		folded[k] += f.Count
	}
	for i, f := range out {
		if f.List == privateLabel {
			out[i].Count = folded[store.Figure{Name: f.Name, List: f.List, Label: f.Label}]
		}
	}
	return out
}
