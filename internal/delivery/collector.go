package delivery

import (
	"context"
	"time"

	"listd/internal/store"
)

const (
	finishTimeout   = 30 * time.Second
	finalFlushTries = 3
)

// collect writes outcomes to the store in batches, so that the database sees few,
// larger transactions: a batch is written when it reaches flushSize or flushDelay
// after its first outcome, and what is left when in closes. A failed write is kept and
// tried again later, since its rows stay in flight (unclaimable) until recorded.
func (d *Deliverer) collect(ctx context.Context, in <-chan store.Outcome) {
	var buf []store.Outcome
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	var timerC <-chan time.Time
	failures := 0
	flush := func() {
		if err := d.finish(ctx, buf); err != nil {
			failures = min(failures+1, 9)
			d.log.Error("record delivery outcomes", "rows", len(buf), "err", err)
			timer.Reset(flushDelay << failures) // up to ~10 s
			timerC = timer.C
			return
		}
		failures = 0
		buf = buf[:0]
		timer.Stop()
		timerC = nil
	}
	for {
		select {
		case o, ok := <-in:
			if !ok {
				d.finalFlush(ctx, buf)
				return
			}
			buf = append(buf, o)
			switch {
			case len(buf) >= flushSize && failures == 0:
				flush()
			case timerC == nil:
				timer.Reset(flushDelay)
				timerC = timer.C
			}
		case <-timerC:
			timerC = nil
			flush()
		}
	}
}

// finish writes one batch and wakes the scheduler if rows went back to the queue:
// their retry time may be earlier than what it is waiting for.
func (d *Deliverer) finish(ctx context.Context, outs []store.Outcome) error {
	if len(outs) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, finishTimeout)
	defer cancel()
	if err := d.q.Finish(ctx, d.now(), outs); err != nil {
		return err
	}
	for _, o := range outs {
		if o.State == "queued" {
			d.Kick()
			break
		}
	}
	return nil
}

func (d *Deliverer) finalFlush(ctx context.Context, outs []store.Outcome) {
	var err error
	for try := range finalFlushTries {
		if err = d.finish(ctx, outs); err == nil {
			return
		}
		time.Sleep(time.Duration(try+1) * 100 * time.Millisecond)
	}
	// The rows stay in flight; ResetInFlight makes them due at the next start.
	d.log.Error("outcomes lost at shutdown; those rows are retried at the next start", "rows", len(outs), "err", err)
}
