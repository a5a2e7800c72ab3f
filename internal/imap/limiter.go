package imap

import (
	"net"
	"sync"
	"time"
)

// limiter counts failed logins per remote address, in memory only: addresses are
// never stored or logged. After max failures within window, logins from that address
// are refused until the window has passed.
type limiter struct {
	mu     sync.Mutex
	max    int
	window time.Duration
	now    func() time.Time
	fails  map[string]*failures
}

type failures struct {
	n     int
	start time.Time
}

// maxTracked bounds the memory the limiter uses; the oldest entries go first.
const maxTracked = 100_000

func newLimiter(max int, window time.Duration, now func() time.Time) *limiter {
	return &limiter{max: max, window: window, now: now, fails: map[string]*failures{}}
}

func (l *limiter) allowed(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	f, ok := l.fails[key]
	if !ok {
		return true
	}
	if l.now().Sub(f.start) >= l.window {
		delete(l.fails, key)
		return true
	}
	return f.n < l.max
}

func (l *limiter) fail(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	f, ok := l.fails[key]
	if !ok || now.Sub(f.start) >= l.window {
		if len(l.fails) >= maxTracked {
			l.prune(now)
		}
		l.fails[key] = &failures{n: 1, start: now}
		return
	}
	f.n++
}

// prune drops expired entries, and if that is not enough, the oldest half.
func (l *limiter) prune(now time.Time) {
	var oldest time.Time
	for k, f := range l.fails {
		if now.Sub(f.start) >= l.window {
			delete(l.fails, k)
		} else if oldest.IsZero() || f.start.Before(oldest) {
			oldest = f.start
		}
	}
	if len(l.fails) < maxTracked {
		return
	}
	cut := oldest.Add(now.Sub(oldest) / 2)
	for k, f := range l.fails {
		if !f.start.After(cut) {
			delete(l.fails, k)
		}
	}
}

// limiterKey is the remote address's key: the IP, for IPv6 its /64 network (one
// machine usually has a whole /64).
func limiterKey(a net.Addr) string {
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return host
	}
	if ip4 := ip.To4(); ip4 != nil {
		return ip4.String()
	}
	return ip.Mask(net.CIDRMask(64, 128)).String()
}
