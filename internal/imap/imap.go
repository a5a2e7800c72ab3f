// Package imap serves the archive over IMAP: members read and search their lists in
// their mail programs, and moderators decide on held posts by moving them into a
// folder. It keeps go-imap's server (imapserver) behind this one adapter and depends
// only on the small interfaces below: reads from the store and the list domain's
// login check and moderation decision.
//
// Mailboxes: INBOX (always empty), one read-only mailbox per list the user may read,
// named after the list, and for a moderator "Moderation/NAME" with the held posts and
// the folders "Moderation/NAME/Approve" and "Moderation/NAME/Reject". A message's UID
// is its archive id (global and increasing, so sparse in one list but stable), and
// UIDVALIDITY comes from when the list was created. What is served is the archive
// copy of a post (compose.Archiver), never the bytes as received: on an anonymous list
// nobody's address or Message-ID reaches a reader, and readers who are not on a list
// see no author's address on any list. ENVELOPE comes from stored columns: its To is
// the list, its In-Reply-To the parent's Message-ID in the archive.
//
// Who reads what: everyone logged in reads the public archives, a member (in any mode
// and role) also the members-only and private archives of their lists; ANONYMOUS
// (RFC 4505) reads the public archives only. Posting, copying into archives and
// expunging them answer NO; only \Seen is kept, per person.
package imap

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"

	"listd/internal/lists"
	"listd/internal/ratelimit"
	"listd/internal/store"
)

// Store is what the IMAP server reads and writes (implemented by *store.DB).
type Store interface {
	Lists(ctx context.Context) ([]*store.List, error)
	Memberships(ctx context.Context, address string) ([]*store.Member, error)
	ArchiveState(ctx context.Context, listID int64) (count int, maxID int64, err error)
	ArchiveIDRuns(ctx context.Context, listID, afterID int64) ([]store.IDRun, error)
	Envelopes(ctx context.Context, listID int64, ids []int64) ([]store.Envelope, error)
	EnvelopeRange(ctx context.Context, listID, fromID, toID int64) ([]store.Envelope, error)
	SearchFieldRange(ctx context.Context, listID, fromID, toID int64, publicIDs bool) ([]store.Envelope, error)
	RawPosts(ctx context.Context, listID int64, ids []int64) ([]store.RawPost, error)
	RawPostRange(ctx context.Context, listID, fromID, toID int64, limit int) ([]store.RawPost, error)
	ArchiveMatches(ctx context.Context, listID int64, text string, bodyOnly bool) ([]int64, error)
	PublicIDs(ctx context.Context, listID int64, messageIDs []string) (map[string]string, error)
	SeenIDs(ctx context.Context, address string, listID int64) ([]int64, error)
	SetSeen(ctx context.Context, address string, ids []int64, seen bool) error
	HeldIDs(ctx context.Context, listID int64) ([]int64, error)
	HeldByID(ctx context.Context, id int64) (*store.Held, error)
}

// Domain is the part of the list domain the IMAP server acts through (implemented
// by *lists.Service).
type Domain interface {
	// CheckAppPassword returns the normalized address when password is one of its
	// app passwords, an error otherwise.
	CheckAppPassword(ctx context.Context, address, password string) (string, error)
	// Moderate carries out a moderator's decision on a held post, the same way a
	// reply to the notice does.
	Moderate(ctx context.Context, heldID int64, action, reason, actor string) error
	// HeldCopy returns the copy of a held post its moderators get: on an anonymous
	// list the archive copy under the poster's pseudonym, never the bytes as
	// received.
	HeldCopy(ctx context.Context, heldID int64) ([]byte, error)
	// HoldReasonText says why a held post waits, in lang.
	HoldReasonText(lang string, h *store.Held) string
	// ViewerOf says what kind of viewer a proven address is (a site admin reads
	// and moderates every list).
	ViewerOf(ctx context.Context, address string) (lists.Viewer, error)
}

// Config is what the IMAP server needs to know of the site.
type Config struct {
	Domain   string
	BaseURL  string
	Language string      // the site's language: the default pseudonym on anonymous lists
	TLS      *tls.Config // nil: no STARTTLS and no implicit TLS
	Logger   *slog.Logger
	// Poll is how often an idling client's mailbox is looked at; 0 for a second.
	Poll time.Duration
	// LoginFailures failed logins from one network (IPv4 /24, IPv6 /64) within
	// LoginWindow block further attempts from it until the window has passed; 0 for 5
	// in 15 minutes.
	LoginFailures int
	LoginWindow   time.Duration
	// HeaderCache bounds the memory for the headers served lately, in bytes; 0 for
	// 32 MiB, negative for none.
	HeaderCache int
	Now         func() time.Time // nil for time.Now
}

// Server is the IMAP service. Connections from this machine may log in without TLS;
// from anywhere else only over TLS (STARTTLS or implicit).
type Server struct {
	st      Store
	dom     Domain
	cfg     Config
	log     *slog.Logger
	limiter *ratelimit.Limiter // failed logins per client network
	headers *headerCache

	ctx    context.Context
	cancel context.CancelFunc

	// local serves loopback connections (login without TLS allowed), remote the others.
	local, remote *imapserver.Server
	localQ        *connQueue
	remoteQ       *connQueue

	mu        sync.Mutex
	listeners []net.Listener
	closed    bool
	wg        sync.WaitGroup
}

// New returns an IMAP server over st and dom.
func New(st Store, dom Domain, cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	if cfg.LoginFailures <= 0 {
		cfg.LoginFailures = 5
	}
	if cfg.LoginWindow <= 0 {
		cfg.LoginWindow = 15 * time.Minute
	}
	if cfg.HeaderCache == 0 {
		cfg.HeaderCache = 32 << 20
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{st: st, dom: dom, cfg: cfg, log: cfg.Logger, ctx: ctx, cancel: cancel,
		limiter: ratelimit.New(cfg.LoginFailures, cfg.LoginWindow, cfg.Now), headers: newHeaderCache(cfg.HeaderCache)}
	caps := imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapMove: {}, imap.CapNamespace: {}, imap.CapChildren: {}}
	logger := slogPrintf{s.log}
	newServer := func(insecure bool) *imapserver.Server {
		return imapserver.New(&imapserver.Options{
			NewSession: func(c *imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
				return s.newSession(c), nil, nil
			},
			Caps:         caps,
			Logger:       logger,
			TLSConfig:    cfg.TLS,
			InsecureAuth: insecure,
		})
	}
	s.local, s.remote = newServer(true), newServer(false)
	s.localQ, s.remoteQ = newConnQueue(), newConnQueue()
	s.wg.Add(2)
	go func() { defer s.wg.Done(); s.local.Serve(s.localQ) }()
	go func() { defer s.wg.Done(); s.remote.Serve(s.remoteQ) }()
	// imapserver counts its listeners in a WaitGroup that Close waits on: Close must
	// not run before both have been counted.
	<-s.localQ.accepting
	<-s.remoteQ.accepting
	return s
}

// Serve accepts IMAP connections on l (plain text, with STARTTLS when a certificate
// is configured) until Close.
func (s *Server) Serve(l net.Listener) error { return s.serve(l) }

// ServeTLS accepts IMAP connections with implicit TLS on l until Close.
func (s *Server) ServeTLS(l net.Listener) error {
	if s.cfg.TLS == nil {
		return errors.New("imap: implicit TLS needs a certificate")
	}
	return s.serve(tls.NewListener(l, s.cfg.TLS))
}

func (s *Server) serve(l net.Listener) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		l.Close()
		return net.ErrClosed
	}
	s.listeners = append(s.listeners, l)
	s.mu.Unlock()
	var delay time.Duration
	for {
		c, err := l.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) || s.ctx.Err() != nil {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				time.Sleep(delay)
				continue
			}
			return fmt.Errorf("imap accept: %w", err)
		}
		delay = 0
		if isLoopback(c.RemoteAddr()) {
			s.localQ.put(c)
		} else {
			s.remoteQ.put(c)
		}
	}
}

// Close stops accepting, ends every connection and waits for the sessions to end.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	for _, l := range s.listeners {
		l.Close()
	}
	s.mu.Unlock()
	s.cancel()
	err := errors.Join(s.local.Close(), s.remote.Close())
	s.wg.Wait()
	return err
}

func isLoopback(a net.Addr) bool {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.IP.IsLoopback()
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// connQueue is a net.Listener fed with accepted connections, so that one listening
// socket can hand connections to two imapserver.Servers with different rules.
type connQueue struct {
	ch        chan net.Conn
	done      chan struct{}
	once      sync.Once
	accepting chan struct{} // closed at the first Accept
	started   sync.Once
}

func newConnQueue() *connQueue {
	return &connQueue{ch: make(chan net.Conn), done: make(chan struct{}), accepting: make(chan struct{})}
}

func (q *connQueue) put(c net.Conn) {
	select {
	case q.ch <- c:
	case <-q.done:
		c.Close()
	}
}

func (q *connQueue) Accept() (net.Conn, error) {
	q.started.Do(func() { close(q.accepting) })
	select {
	case c := <-q.ch:
		return c, nil
	case <-q.done:
		return nil, net.ErrClosed
	}
}

func (q *connQueue) Close() error {
	q.once.Do(func() { close(q.done) })
	return nil
}

func (q *connQueue) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }

// slogPrintf takes imapserver's log lines: a panic it recovered from, or a command
// that failed inside listd, is an error; what a client did wrong or a connection
// that went away is only worth a debug line.
type slogPrintf struct{ log *slog.Logger }

func (l slogPrintf) Printf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	gone := false
	for _, s := range []string{"broken pipe", "connection reset", "use of closed network connection", "i/o timeout", "context canceled"} {
		gone = gone || strings.Contains(msg, s)
	}
	if strings.HasPrefix(msg, "panic") || (strings.HasPrefix(msg, "handling ") && !gone) {
		l.log.Error("imap", "msg", msg)
		return
	}
	l.log.Debug("imap", "msg", msg)
}
