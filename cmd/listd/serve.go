package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"listd/internal/delivery"
	"listd/internal/lists"
	"listd/internal/store"
	"listd/templates"
)

// cmdServe runs every service until SIGTERM or SIGINT, or until a server fails. It
// opens the database, the deliverer and every socket first (listeners.go), so that a
// broken setting or a port in use fails the start; then it serves, and at the end
// stops the parts in order (shutdown.go).
func cmdServe(e *env) error {
	f := newFlags(e, "serve")
	templateDir := f.String("templates", "", "serve templates from this folder instead of the embedded ones (development)")
	if _, err := f.parse(0, 0, "no arguments"); err != nil {
		return err
	}
	ctx, sig := catchSignals(e.ctx)
	defer sig.release()

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
	rl := &reloader{logger: logger, tmpl: a.tmpl, svc: a.svc, live: a.live}
	reg.MustRegister(newQueueCollector(a.db), newFiguresCollector(a.db))
	if dl, err = newDeliverer(a, reg, logger); err != nil {
		return err
	}
	srv, err := openServers(ctx, a, rl, reg, logger)
	if err != nil {
		return err
	}

	r := start(ctx, srv, dl, a, rl, sig.hup, logger)
	return r.shutdown(ctx, r.waitForStop(ctx, sig))
}

// newDeliverer makes the queue's workers that hand copies to the relay; nil without
// a relay, when outgoing mail stays in the outbox. Every copy reaches the relay
// through the renderer made here: posts, digests and listd's own mails alike, so
// this is the one place they are signed.
func newDeliverer(a *app, reg prometheus.Registerer, logger *slog.Logger) (*delivery.Deliverer, error) {
	cfg := a.cfg
	rend, err := signing(cfg, renderer{a.svc}, logger)
	if err != nil {
		return nil, err
	}
	if cfg.Relay.Address == "" {
		return nil, nil
	}
	dc, err := relayConfig(cfg, logger)
	if err != nil {
		return nil, err
	}
	dc.Connections = cfg.Delivery.Connections
	dc.RetryBase, dc.MaxAge = cfg.Delivery.RetryInitial.Duration, cfg.Delivery.MaxAge.Duration
	dc.Logger, dc.Registerer = logger.With("part", "delivery"), reg
	return delivery.New(a.db, rend, dc), nil
}

// running is listd at work: every server on its sockets, the deliverer, the periodic
// jobs and the reloader, until shutdown (shutdown.go).
type running struct {
	srv    *servers
	logger *slog.Logger
	wg     sync.WaitGroup // servers, periodic jobs and the reloader
	errs   chan error     // a server's error when it stopped by itself
	dlDone chan error     // the deliverer's end; closed at once without a relay
}

// start serves every socket of srv and starts the deliverer (dl may be nil), the
// maintenance, the digest scheduler and the reloader on hup, all until ctx is done.
func start(ctx context.Context, srv *servers, dl *delivery.Deliverer, a *app, rl *reloader, hup <-chan os.Signal, logger *slog.Logger) *running {
	cfg := a.cfg
	// Room for every server's error, so that none blocks once the first has ended serve.
	r := &running{srv: srv, logger: logger, errs: make(chan error, len(srv.serving)), dlDone: make(chan error, 1)}
	for _, s := range srv.serving {
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			if err := s.serve(s.l); err != nil {
				r.errs <- err
			}
		}()
	}
	if dl != nil {
		go func() { r.dlDone <- dl.Run(ctx) }()
		logger.Info("delivering", "relay", cfg.Relay.Address, "tls", cfg.Relay.TLS, "auth", cfg.Relay.Username != "")
	} else {
		close(r.dlDone)
		logger.Info("no relay configured: outgoing mail stays in the outbox", "url", cfg.BaseURL+"/outbox")
	}
	r.wg.Add(3)
	go func() {
		defer r.wg.Done()
		maintain(ctx, a.svc, logger)
	}()
	go func() {
		defer r.wg.Done()
		scheduleDigests(ctx, a.svc, logger)
	}()
	go func() {
		defer r.wg.Done()
		rl.watch(ctx, hup)
	}()
	logger.Info("listd serving", "domain", cfg.Domain, "data_dir", cfg.DataDir)
	return r
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
			"first_posts_channel": prometheus.NewDesc("listd_first_posts_by_channel", "Members' first posts by list and the channel they came by, mail or web (private lists added up as \""+privateLabel+"\").",
				[]string{"list", "channel"}, nil),
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

// announcedFigures names a list only when the list domain announces it (lists.Announced), and
// adds up every other list's figures under privateLabel.
func announcedFigures(fs []store.Figure, ls []*store.List) []store.Figure {
	announced := map[string]bool{}
	for _, l := range ls {
		if lists.Announced(l) {
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
