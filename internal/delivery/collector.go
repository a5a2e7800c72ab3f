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

// collect writes outcomes to the store as a group commit: it writes as soon as an
// outcome arrives, together with every outcome that queued up during the previous
// write (up to flushSize). Under load the batches grow by themselves, so the database
// sees few transactions; when idle, an outcome is on disk about a commit after the
// relay's reply, which keeps the copies a crash would repeat to those in flight. A
// failed write is kept and tried again after a backoff, since its rows stay in flight
// (unclaimable) until recorded.
func (d *Deliverer) collect(ctx context.Context, in <-chan store.Outcome) {
	var buf []store.Outcome
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	defer retry.Stop()
	var retryC <-chan time.Time
	failures := 0
	flush := func() {
		if err := d.finish(ctx, buf); err != nil {
			failures = min(failures+1, 9)
			d.log.Error("record delivery outcomes", "rows", len(buf), "err", err)
			retry.Reset(retryDelay << failures) // up to ~10 s
			retryC = retry.C
			return
		}
		failures = 0
		buf = buf[:0]
	}
	for {
		select {
		case o, ok := <-in:
			if !ok {
				d.finalFlush(ctx, buf)
				return
			}
			buf = append(buf, o)
			closed := false
		drain:
			for len(buf) < flushSize {
				select {
				case o, ok := <-in:
					if !ok {
						closed = true
						break drain
					}
					buf = append(buf, o)
				default:
					break drain
				}
			}
			if closed {
				d.finalFlush(ctx, buf)
				return
			}
			if failures == 0 {
				flush()
			}
		case <-retryC:
			retryC = nil
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
