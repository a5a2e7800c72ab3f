package delivery

import (
	"math"
	"time"
)

const (
	defaultRetryBase = time.Minute
	backoffCap       = 4 * time.Hour
)

// backoff is the wait before retry number attempt (1 after the first failure):
// base (1 min by default) × 2^(attempt-1), capped at 4 h, then ±10% jitter from rnd (in [0, 1]) so
// that rows deferred together don't all come back together. The cap applies before
// the jitter, so the result never exceeds 4 h × 1.1. Float arithmetic can't overflow
// for large attempts: 2^n becomes +Inf and the cap takes it.
func backoff(attempt int, base time.Duration, rnd func() float64) time.Duration {
	attempt = max(attempt, 1)
	d := float64(base) * math.Pow(2, float64(attempt-1))
	d = math.Min(d, float64(backoffCap))
	r := rnd()
	if !(r >= 0) { // also catches NaN
		r = 0
	}
	r = math.Min(r, 1)
	return time.Duration(d * (0.9 + 0.2*r))
}
