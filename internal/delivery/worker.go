package delivery

import (
	"context"
	"fmt"
	"runtime/debug"
	"time"

	"listd/internal/store"
)

// worker owns at most one connection to the relay and keeps it for the next job.
type worker struct {
	d   *Deliverer
	c   *smtpClient
	out chan<- store.Outcome
}

// work runs jobs until jobs is closed. runCtx is Run's: once it is done, jobs not yet
// started are released. jobCtx bounds the SMTP traffic and ends a grace period after
// runCtx. base is for the QUIT on close.
func (d *Deliverer) work(runCtx, jobCtx, base context.Context, jobs <-chan *job, out chan<- store.Outcome) {
	w := &worker{d: d, out: out}
	defer w.hangUp(base)
	idle := time.NewTimer(d.idle)
	defer idle.Stop()
	for {
		var idleC <-chan time.Time
		if w.c != nil {
			idle.Reset(d.idle)
			idleC = idle.C
		}
		select {
		case j, ok := <-jobs:
			idle.Stop()
			if !ok {
				return
			}
			if runCtx.Err() != nil {
				d.release([]*job{j}, out)
				continue
			}
			w.do(jobCtx, j)
		case <-idleC:
			w.hangUp(base)
		}
	}
}

// do delivers one job and sends an outcome for each of its rows.
func (w *worker) do(ctx context.Context, j *job) {
	d := w.d
	outs := make([]store.Outcome, 0, len(j.rows))
	defer func() {
		if p := recover(); p != nil {
			d.log.Error("delivery panicked", "delivery", j.rows[0].ID, "rows", len(j.rows),
				"panic", p, "stack", string(debug.Stack()))
			w.drop() // the session is in an unknown state
			outs = outs[:0]
			for _, row := range j.rows {
				outs = append(outs, d.temporary(row, fmt.Sprintf("internal error: %v", p)))
			}
		}
		for _, o := range outs {
			w.out <- o
		}
	}()

	if !validAddress(j.copy.From) {
		for _, row := range j.rows {
			outs = append(outs, d.failed(row, fmt.Sprintf("invalid envelope sender %q", j.copy.From)))
		}
		return
	}
	rows := make([]*store.Delivery, 0, len(j.rows))
	rcpts := make([]string, 0, len(j.rows))
	for _, row := range j.rows {
		if row.Rcpt == "" || !validAddress(row.Rcpt) {
			outs = append(outs, d.failed(row, fmt.Sprintf("invalid recipient address %q", row.Rcpt)))
			continue
		}
		rows = append(rows, row)
		rcpts = append(rcpts, row.Rcpt)
	}
	if len(rows) == 0 {
		return
	}

	res, err := w.transact(ctx, j.copy, rcpts)
	if err != nil {
		// Logged once per job rather than per row: a dead relay defers thousands.
		d.log.Info("delivery deferred", "delivery", rows[0].ID, "rows", len(rows), "err", err)
	}
	for i, row := range rows {
		r := res[i]
		var o store.Outcome
		switch {
		case r == nil && err != nil:
			o = d.temporary(row, err.Error())
		case r == nil:
			o = d.temporary(row, "no reply from relay") // not reached: send decides every rcpt or errs
		case r.class() == 2:
			o = d.sent(row)
		case r.class() == 5 && sessionReply(r):
			o = d.temporary(row, r.String())
		case r.class() == 5:
			o = d.failed(row, r.String())
		default:
			o = d.temporary(row, r.String())
		}
		switch o.State {
		case "sent":
			d.log.Debug("delivered", "delivery", row.ID, "rcpt", row.Rcpt)
		case "failed":
			d.log.Warn("delivery failed", "delivery", row.ID, "rcpt", row.Rcpt, "err", o.Error)
		case "queued":
			if r != nil {
				d.log.Info("delivery deferred", "delivery", row.ID, "rcpt", row.Rcpt, "err", o.Error, "retry", o.Retry)
			} else {
				d.log.Debug("delivery deferred", "delivery", row.ID, "rcpt", row.Rcpt, "retry", o.Retry)
			}
		}
		outs = append(outs, o)
	}
}

// transact runs one SMTP transaction, connecting first if needed. A reused connection
// that fails before any reply has most likely been closed by the relay while idle, so
// that case is tried once more on a new connection.
func (w *worker) transact(ctx context.Context, cp Copy, rcpts []string) ([]*reply, error) {
	for try := 0; ; try++ {
		reused := w.c != nil
		if w.c == nil {
			c, err := w.d.connect(ctx)
			if err != nil {
				return make([]*reply, len(rcpts)), err
			}
			w.c = c
			w.d.m.connections.Inc()
			w.d.log.Debug("connected to relay", "relay", w.d.cfg.Relay, "pipelining", c.pipelining,
				"8bitmime", c.eightBit, "smtputf8", c.smtpUTF8, "enhancedstatuscodes", c.enhanced, "size", c.sizeLimit, "tls", c.tlsOn)
		}
		start := time.Now()
		res, err := w.c.send(ctx, cp.From, rcpts, cp.Message)
		w.d.m.seconds.Observe(time.Since(start).Seconds())
		stale := err != nil && reused && w.c.replies == 0
		if err != nil || w.c.broken {
			w.drop()
		}
		if stale && try == 0 && ctx.Err() == nil {
			w.d.log.Debug("reused relay connection failed, reconnecting", "err", err)
			continue
		}
		return res, err
	}
}

// hangUp closes the connection, with QUIT if the session is in a known state.
func (w *worker) hangUp(ctx context.Context) {
	if w.c == nil {
		return
	}
	w.c.close(ctx)
	w.c = nil
	w.d.m.connections.Dec()
}

// drop closes the connection without QUIT.
func (w *worker) drop() {
	if w.c == nil {
		return
	}
	w.c.broken = true
	w.c.conn.Close()
	w.c = nil
	w.d.m.connections.Dec()
}
