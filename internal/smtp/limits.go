package smtp

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"

	gosmtp "github.com/emersion/go-smtp"

	"listd/internal/ratelimit"
)

// The built-in limits (README, [smtp]).
const (
	// DefaultMaxHeaderBytes bounds a message's header section. Real mail with a long
	// Received chain, ARC sets and several DKIM signatures stays well below 64 KiB;
	// Postfix passes 100 KiB (header_size_limit) and Microsoft 365 refuses above 256 KiB.
	DefaultMaxHeaderBytes = 256 << 10
	// DefaultMaxHeaderFields bounds the number of header fields. MTAs give up on more
	// than 50 to 100 Received fields (hop counts); a thousand fields is far beyond
	// any real message and still cheap to parse.
	DefaultMaxHeaderFields = 1000
	// DefaultMaxSessions bounds the SMTP sessions open at once, since each may hold
	// a message of up to the size limit in memory.
	DefaultMaxSessions = 100
	// DefaultMaxSessionsPerNetwork bounds the sessions from one IPv4 /24 or IPv6 /64.
	DefaultMaxSessionsPerNetwork = 10
)

var (
	_ io.Reader    = (*headerLimit)(nil)
	_ net.Listener = (*sessionLimit)(nil)
	_ net.Conn     = (*limitedConn)(nil)
)

// headerLimit passes a message through while counting its header section, and fails
// with a 552 as soon as the header grows beyond maxBytes or maxFields, so that an
// oversized header is never read into memory whole. The body passes unexamined.
type headerLimit struct {
	r         io.Reader
	maxBytes  int
	maxFields int
	size      int  // header bytes so far
	fields    int  // header fields so far
	lineLen   int  // bytes of the current line, without CR and LF
	done      bool // the blank line ending the header was seen
	err       error
}

func newHeaderLimit(r io.Reader, maxBytes, maxFields int) *headerLimit {
	return &headerLimit{r: r, maxBytes: maxBytes, maxFields: maxFields}
}

func (h *headerLimit) Read(p []byte) (int, error) {
	if h.err != nil {
		return 0, h.err
	}
	n, err := h.r.Read(p)
	if h.done {
		return n, err
	}
	for i, c := range p[:n] {
		h.size++
		switch {
		case c == '\n':
			h.done = h.lineLen == 0
			h.lineLen = 0
		case c == '\r':
		default:
			if h.lineLen == 0 && c != ' ' && c != '\t' {
				h.fields++
			}
			h.lineLen++
		}
		if h.size > h.maxBytes {
			h.err = refusal(552, gosmtp.EnhancedCode{5, 3, 4}, "header_too_large", h.maxBytes>>10)
		} else if h.fields > h.maxFields {
			h.err = refusal(552, gosmtp.EnhancedCode{5, 3, 4}, "header_too_many", h.maxFields)
		}
		if h.err != nil {
			return i, h.err
		}
		if h.done {
			return n, err
		}
	}
	return n, err
}

// sessionLimit is a listener that admits at most max connections at once, and at
// most perNet from one network (IPv4 /24, IPv6 /64). Loopback and unix-socket
// clients count towards max only: a local MTA in front of listd connects from
// loopback for every sender.
type sessionLimit struct {
	net.Listener
	max, perNet int
	log         *slog.Logger

	mu    sync.Mutex
	total int
	nets  map[netip.Prefix]int
}

func newSessionLimit(l net.Listener, max, perNet int, log *slog.Logger) *sessionLimit {
	return &sessionLimit{Listener: l, max: max, perNet: perNet, log: log, nets: map[netip.Prefix]int{}}
}

// network is the per-network key of a client; false for clients counted only overall:
// those on this machine or a private network, where a mail server in front speaks for
// everyone (ratelimit.Shared).
func network(ip netip.Addr) (netip.Prefix, bool) {
	if ratelimit.Shared(ip) {
		return netip.Prefix{}, false
	}
	return ratelimit.Network(ip), true
}

// Accept returns the next admitted connection; connections over a limit are told
// so with a 421 and closed.
func (l *sessionLimit) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		key, keyed := network(remoteIP(c))
		if msg := l.acquire(key, keyed); msg != "" {
			l.log.Warn("smtp session refused", "reason", msg)
			go refuse(c, msg)
			continue
		}
		return &limitedConn{Conn: c, release: func() { l.release(key, keyed) }}, nil
	}
}

// acquire counts a new session, or says which limit it would exceed.
func (l *sessionLimit) acquire(key netip.Prefix, keyed bool) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.total >= l.max {
		return "too many sessions"
	}
	if keyed && l.nets[key] >= l.perNet {
		return "too many sessions from one network"
	}
	l.total++
	if keyed {
		l.nets[key]++
	}
	return ""
}

func (l *sessionLimit) release(key netip.Prefix, keyed bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total--
	if keyed {
		if l.nets[key]--; l.nets[key] <= 0 {
			delete(l.nets, key)
		}
	}
}

// refuse greets with a 421 (RFC 5321 3.1) and closes, without reading anything.
func refuse(c net.Conn, reason string) {
	defer c.Close()
	c.SetWriteDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(c, "421 4.7.0 Too many connections (%s), please try again later\r\n", reason)
}

// limitedConn gives its session back once, on the first Close.
type limitedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitedConn) Close() error {
	c.once.Do(c.release)
	return c.Conn.Close()
}
