package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"time"

	"listd/internal/lists"
	"listd/internal/ratelimit"
	"listd/internal/store"
)

// Membership is what the web asks of the list domain for joining, leaving and a
// member's own settings (implemented by *lists.Service).
type Membership interface {
	List(ctx context.Context, name string) (*store.List, error)
	RequestJoin(ctx context.Context, r lists.JoinRequest) error
	CheckConfirm(ctx context.Context, tok string) (*lists.Confirmed, error)
	Confirm(ctx context.Context, tok string) (*lists.Confirmed, error)
	CheckUnsubscribe(ctx context.Context, tok string) (string, error)
	Unsubscribe(ctx context.Context, tok string) (string, error)
	CheckReenable(ctx context.Context, tok string) (string, error)
	Reenable(ctx context.Context, tok string) (string, error)
	RequestLogin(ctx context.Context, address, lang string) error
	CheckLogin(ctx context.Context, tok string) error
	Login(ctx context.Context, tok string) (string, error)
	Memberships(ctx context.Context, address string) ([]lists.Membership, error)
	UpdateMembership(ctx context.Context, address, list string, o lists.MemberOptions) error
	Leave(ctx context.Context, address, list string) error
}

// Sessions keeps web logins (implemented by *store.DB).
type Sessions interface {
	CreateSession(ctx context.Context, idHash, address string, expires time.Time) error
	SessionAddress(ctx context.Context, idHash string, now time.Time) (string, error)
	SessionByHash(ctx context.Context, idHash string, now time.Time) (store.Session, error)
	DeleteSession(ctx context.Context, idHash string) error
}

const (
	csrfCookie    = "listd_csrf"
	sessionCookie = "listd_session"
	csrfTTL       = 12 * time.Hour
	sessionTTL    = 30 * 24 * time.Hour
)

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func hashHex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func (s *Server) setCookie(w http.ResponseWriter, name, value string, maxAge time.Duration) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: true, Secure: s.cfg.SecureCookies,
		SameSite: http.SameSiteLaxMode, MaxAge: int(maxAge.Seconds())})
}

// csrfToken returns the token for this browser's forms, setting the browser's CSRF
// cookie first if it has none: a form token is a signature over the cookie's value,
// so a page elsewhere can neither read nor forge it (double submit, signed).
func (s *Server) csrfToken(w http.ResponseWriter, r *http.Request) string {
	c, err := r.Cookie(csrfCookie)
	val := ""
	if err == nil && len(c.Value) == 32 {
		val = c.Value
	} else {
		val = randomHex(16)
		s.setCookie(w, csrfCookie, val, 0)
	}
	return s.cfg.Signer.Sign("csrf", []string{val}, csrfTTL)
}

// checkCSRF verifies a form's token against the browser's cookie.
func (s *Server) checkCSRF(r *http.Request) bool {
	c, err := r.Cookie(csrfCookie)
	if err != nil {
		return false
	}
	f, _, err := s.cfg.Signer.Verify("csrf", r.PostFormValue("csrf"))
	return err == nil && len(f) == 1 && f[0] == c.Value
}

// sessionAddress returns the logged-in address, or "".
func (s *Server) sessionAddress(r *http.Request) string {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return ""
	}
	addr, err := s.sessions.SessionAddress(r.Context(), hashHex(c.Value), time.Now())
	if err != nil {
		return ""
	}
	return addr
}

// Form posts a client network (see ratelimit.Network) may make per postWindow.
const (
	maxPosts   = 30
	postWindow = time.Minute
)

// limiter bounds form posts per client network, in memory only: client IP addresses
// are never stored.
type limiter struct {
	posts *ratelimit.Limiter
}

func newLimiter() *limiter {
	return &limiter{posts: ratelimit.New(maxPosts, postWindow, nil)}
}

// allow counts a form post and says whether its network is within the limit.
func (l *limiter) allow(r *http.Request) bool {
	return l.posts.Take(ratelimit.Key(r.RemoteAddr))
}

// maxPost bounds the body of a form post.
const maxPost = 64 << 10

// parsePost reads the fields of a form post, urlencoded or multipart/form-data (RFC
// 8058 asks one-click unsubscribers to send the latter), from at most maxPost bytes,
// so a multipart post never spills to a temporary file.
func parsePost(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxPost)
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "multipart/form-data" {
		return r.ParseForm()
	}
	err := r.ParseMultipartForm(maxPost)
	if r.MultipartForm != nil {
		r.MultipartForm.RemoveAll()
	}
	if err != nil {
		return fmt.Errorf("reading multipart form: %w", err)
	}
	return nil
}

// formGuard checks what every form post needs: the rate limit and the CSRF token.
func (s *Server) formGuard(w http.ResponseWriter, r *http.Request) bool {
	if !s.limit.allow(r) {
		s.errorPage(w, r, http.StatusTooManyRequests, "too_many")
		return false
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, r, http.StatusBadRequest, "bad_request")
		return false
	}
	if !s.checkCSRF(r) {
		s.errorPage(w, r, http.StatusForbidden, "csrf")
		return false
	}
	return true
}

func isBadToken(err error) bool { return errors.Is(err, lists.ErrBadToken) }
