package delivery

import (
	"errors"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are always live; they are registered only when a Registerer is given, so
// the code that updates them needs no nil checks.
type metrics struct {
	results     *prometheus.CounterVec
	connections prometheus.Gauge
	seconds     prometheus.Histogram
	// sessionFailures counts sessions with the relay that could not be set up, by
	// step: connect, greeting, tls or auth.
	sessionFailures *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer, log *slog.Logger) *metrics {
	m := &metrics{
		results: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "listd_deliveries_total",
			Help: "Delivery attempts by result: sent, failed (permanently) or deferred (to retry).",
		}, []string{"result"}),
		connections: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "listd_delivery_connections",
			Help: "Open SMTP connections to the relay.",
		}),
		seconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "listd_delivery_seconds",
			Help:    "Duration of SMTP transactions with the relay.",
			Buckets: []float64{0.01, 0.05, 0.25, 1, 5, 30},
		}),
		sessionFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "listd_relay_session_failures_total",
			Help: "Sessions with the relay that failed before a transaction, by step: connect, greeting, tls or auth.",
		}, []string{"step"}),
	}
	for _, s := range []string{"connect", "greeting", "tls", "auth"} {
		m.sessionFailures.WithLabelValues(s)
	}
	for _, r := range []string{resultSent, resultFailed, resultDeferred} {
		m.results.WithLabelValues(r) // so that each series exists from the start
	}
	if reg == nil {
		return m
	}
	m.results = register(reg, m.results, log)
	m.connections = register(reg, m.connections, log)
	m.seconds = register(reg, m.seconds, log)
	m.sessionFailures = register(reg, m.sessionFailures, log)
	return m
}

const (
	resultSent     = "sent"
	resultFailed   = "failed"
	resultDeferred = "deferred"
)

// register registers c, or returns the collector already registered under its name,
// so that a second Deliverer on the same registry (tests, restarts) shares it. Other
// errors are logged rather than fatal: delivery matters more than its metrics.
func register[C prometheus.Collector](reg prometheus.Registerer, c C, log *slog.Logger) C {
	err := reg.Register(c)
	if err == nil {
		return c
	}
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing
		}
	}
	log.Error("register delivery metrics", "err", err)
	return c
}
