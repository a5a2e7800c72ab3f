// Package ratelimit counts what clients do per network, in memory only: the keys are
// networks (IPv4 /24, IPv6 /64), never stored or logged, and the counts are gone
// when listd stops. The web counts form posts with it, IMAP failed logins.
package ratelimit

import (
	"net/netip"
	"sync"
	"time"
)

// Shared reports whether ip is an address many people may come from, so that no
// limit per network can count it: this machine (loopback), a private or link-local
// network (a reverse proxy, a mail server in front, a container's gateway), or no
// address at all. Limits per mailbox or overall still hold for them.
func Shared(ip netip.Addr) bool {
	ip = ip.Unmap()
	return !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsUnspecified() || ip.IsLinkLocalUnicast()
}

// Network is the network a client address is counted in: its IPv4 /24 or its IPv6
// /64 (one host has a whole /64 to pick addresses from). IPv4-mapped IPv6 addresses
// count as IPv4; zones are dropped. An invalid address gives the zero Prefix.
func Network(ip netip.Addr) netip.Prefix {
	bits := 64
	if ip = ip.Unmap(); ip.Is4() {
		bits = 24
	}
	p, _ := ip.WithZone("").Prefix(bits)
	return p
}

// Key is the key of a remote address as Go's servers give it ("host:port", as
// net.Addr's String or http.Request's RemoteAddr, or a bare IP): its Network, or the
// address itself when it holds no IP address (a Unix socket).
func Key(remote string) string {
	var ip netip.Addr
	if ap, err := netip.ParseAddrPort(remote); err == nil {
		ip = ap.Addr()
	} else if ip, err = netip.ParseAddr(remote); err != nil {
		return remote
	}
	return Network(ip).String()
}

// maxTracked bounds the keys a Limiter holds; past it, expired keys go first, then
// the oldest.
const maxTracked = 100_000

// Limiter counts events per key within a window that begins at the key's first
// event: after max of them, the key is over the limit until the window has passed.
// It is safe for concurrent use.
type Limiter struct {
	max    int
	window time.Duration
	now    func() time.Time

	mu     sync.Mutex
	counts map[string]*count
}

type count struct {
	n     int
	start time.Time
}

// New returns a Limiter of max events per window; now is the clock (nil for
// time.Now).
func New(max int, window time.Duration, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{max: max, window: window, now: now, counts: map[string]*count{}}
}

// Allowed says whether key has had fewer than max events in its window, without
// counting one.
func (l *Limiter) Allowed(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	c, ok := l.counts[key]
	if !ok {
		return true
	}
	if l.now().Sub(c.start) >= l.window {
		delete(l.counts, key)
		return true
	}
	return c.n < l.max
}

// Add counts an event of key.
func (l *Limiter) Add(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.add(key)
}

// Take counts an event of key and says whether it is within the limit (refused
// events count too).
func (l *Limiter) Take(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.add(key) <= l.max
}

// add counts an event of key and returns its count in the window.
func (l *Limiter) add(key string) int {
	now := l.now()
	c, ok := l.counts[key]
	if ok && now.Sub(c.start) < l.window {
		c.n++
		return c.n
	}
	if !ok && len(l.counts) >= maxTracked {
		l.prune(now)
	}
	l.counts[key] = &count{n: 1, start: now}
	return 1
}

// prune drops expired keys, and if that is not enough, the older half.
func (l *Limiter) prune(now time.Time) {
	var oldest time.Time
	for k, c := range l.counts {
		if now.Sub(c.start) >= l.window {
			delete(l.counts, k)
		} else if oldest.IsZero() || c.start.Before(oldest) {
			oldest = c.start
		}
	}
	if len(l.counts) < maxTracked {
		return
	}
	cut := oldest.Add(now.Sub(oldest) / 2)
	for k, c := range l.counts {
		if !c.start.After(cut) {
			delete(l.counts, k)
		}
	}
}
