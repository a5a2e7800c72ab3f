// Package web owns listd's HTTP side: the human pages, the JSON API of CONTRACT.md,
// the outbox view, health and metrics. It reads through the list domain and the store
// and never shows a member's address to the public.
package web

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/text/language"

	"listd/internal/i18n"
	"listd/internal/lists"
	"listd/internal/store"
	"listd/internal/token"
)

// Store is the part of the database the web reads.
type Store interface {
	Lists(ctx context.Context) ([]*store.List, error)
	ListByName(ctx context.Context, name string) (*store.List, error)
	Messages(ctx context.Context, listID int64, limit int, beforeID int64) ([]*store.Message, error)
	Message(ctx context.Context, listID, id int64) (*store.Message, error)
	Thread(ctx context.Context, listID, threadID int64) ([]*store.Message, error)
	ThreadOutline(ctx context.Context, listID, threadID int64) ([]*store.Message, error)
	Search(ctx context.Context, listID int64, query string, limit int) ([]store.Hit, error)
	SearchArchive(ctx context.Context, q store.SearchQuery) (*store.SearchResult, error)
	Threads(ctx context.Context, listID int64, limit int, before store.ThreadCursor) ([]*store.ThreadSummary, error)
	Months(ctx context.Context, listID int64) ([]store.MonthCount, error)
	MessagesDated(ctx context.Context, listID int64, since, until time.Time, limit int) ([]*store.Message, error)
	Raw(ctx context.Context, id int64) ([]byte, error)
	Member(ctx context.Context, listID int64, address string) (*store.Member, error)
	DeliveryCounts(ctx context.Context) (map[string]int, error)
	Deliveries(ctx context.Context, states []string, limit, offset int) ([]*store.Delivery, error)
	DeliveryByID(ctx context.Context, id int64) (*store.Delivery, error)
	FiguresOf(ctx context.Context, q store.FigureQuery) ([]store.Figure, error)
	CounselStats(ctx context.Context, since string) ([]store.CounselStat, error)
}

// Renderer renders a queued copy, for the outbox.
type Renderer interface {
	Render(ctx context.Context, d *store.Delivery) (lists.Copy, error)
}

// Config is what the web needs to know.
type Config struct {
	Domain   string
	BaseURL  string // for absolute links (feeds), without a trailing slash
	Language string // default language
	// Outbox shows queued copies at /outbox (only when no relay is configured, and
	// only to loopback clients: it names recipients).
	Outbox  bool
	Metrics http.Handler // nil: no /metrics
	// MetricsToken lets clients that are not on this machine read /metrics with
	// "Authorization: Bearer TOKEN"; "": loopback clients only.
	MetricsToken string
	Logger       *slog.Logger
	// Signer signs the forms' CSRF tokens.
	Signer *token.Signer
	// SecureCookies marks cookies Secure (when base_url is https).
	SecureCookies bool
	// Copies gives the archive copies that mbox downloads serve; nil: no downloads.
	Copies Copier
	// PrivateReply gives the address that answers a post's author alone; nil: none.
	PrivateReply func(l *store.List, archiveID int64) string
	// Now is the clock the admin pages measure a login's age by; nil: time.Now.
	Now func() time.Time
	// CounselStore and CounselLive keep the counselling directory that site admins
	// change at /admin/beratung; nil: no such page.
	CounselStore CounselStore
	CounselLive  CounselLive
	// Lists is the list domain's parts beyond reading and joining (domain.go); a
	// part left nil leaves its pages out.
	Lists ListDomain
}

// Server is the HTTP handler.
type Server struct {
	st         Store
	members    Membership
	moderation Moderation
	counsel    Counselling
	sessions   Sessions
	limit      *limiter
	writes     *writeLimits // web posts per mailbox and network (write.go)
	render     Renderer
	cfg        Config
	log        *slog.Logger
	funcs      template.FuncMap
	pages      atomic.Pointer[map[string]*template.Template] // replaced whole by ReloadTemplates
	cat        atomic.Pointer[i18n.Catalog]                  // the texts, replaced with the pages
	zone       atomic.Pointer[time.Location]                 // the site's time zone, for dates on pages
	static     fs.FS
	mux        *http.ServeMux
	matcher    language.Matcher
}

// New builds the handler, parsing the page templates from tmpl.
func New(st Store, r Renderer, members Membership, moderation Moderation, counselling Counselling, sessions Sessions, tmpl fs.FS, cfg Config) (*Server, error) {
	s := &Server{st: st, render: r, members: members, moderation: moderation, counsel: counselling, sessions: sessions, limit: newLimiter(), writes: newWriteLimits(),
		cfg: cfg, log: cfg.Logger,
		matcher: language.NewMatcher([]language.Tag{language.German, language.English})}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.cfg.Now == nil {
		s.cfg.Now = time.Now
	}
	berlin, err := time.LoadLocation(defaultZone)
	if err != nil {
		return nil, fmt.Errorf("time zone: %w", err)
	}
	s.zone.Store(berlin) // until the site settings name another
	funcs := template.FuncMap{"t": s.tr, "author": s.author, "dict": dict, "size": humanSize, "invalid": fieldAttrs,
		"month": func(lang string, year, month int) string {
			return s.monthName(lang, time.Date(year, time.Month(month), 1, 0, 0, 0, 0, time.UTC))
		},
		"iso":  func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"date": s.pageDate}
	s.funcs = funcs
	if err := s.ReloadTemplates(tmpl); err != nil {
		return nil, err
	}
	static, err := fs.Sub(tmpl, "static")
	if err != nil {
		return nil, fmt.Errorf("static files: %w", err)
	}
	s.static = static
	s.routes()
	return s, nil
}

// ReloadTemplates parses the pages from tmpl again; requests from then on use them.
// When a page does not parse, the pages in use stay and the error names it. The
// static files are read from the file system given to New on each request.
func (s *Server) ReloadTemplates(tmpl fs.FS) error {
	cat, err := i18n.Load(tmpl)
	if err != nil {
		return err
	}
	pages := map[string]*template.Template{}
	for _, name := range []string{"index", "list", "thread", "month", "search", "message", "outbox", "error", "subscribe", "action", "notice", "login", "prefs", "mod", "counsel", "outboxcopy", "admin", "figures", "relogin", "write", "ask",
		"ownersettings", "ownermembers", "ownermember", "ownerbans", "owneraudit", "ownerdelete", "sitelists", "sitesettings", "siteaudit", "sitecounsel", "sitecounseledit"} {
		t, err := template.New(name).Funcs(s.funcs).ParseFS(tmpl, "pages/layout.html", "pages/searchform.html", "pages/formerrors.html", "pages/adminnav.html", "pages/writeform.html", "pages/"+name+".html")
		if err != nil {
			return fmt.Errorf("page %s: %w", name, err)
		}
		pages[name] = t
	}
	s.cat.Store(cat)
	s.pages.Store(&pages)
	return nil
}

func (s *Server) routes() {
	m := http.NewServeMux()
	m.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	if s.cfg.Metrics != nil {
		m.HandleFunc("GET /metrics", s.metrics)
	}
	m.HandleFunc("GET /robots.txt", s.robots)
	m.HandleFunc("GET /favicon.ico", s.favicon)
	m.Handle("GET /static/{file}", http.StripPrefix("/static/", http.FileServerFS(s.static)))
	m.HandleFunc("GET /api/v1/lists", s.apiLists)
	m.HandleFunc("GET /api/v1/lists/{name}/messages", s.apiMessages)
	m.HandleFunc("GET /api/v1/lists/{name}/messages/{id}", s.apiMessage)
	m.HandleFunc("GET /api/v1/lists/{name}/threads/{id}", s.apiThread)
	m.HandleFunc("GET /api/v1/lists/{name}/search", s.apiSearch)
	m.HandleFunc("GET /api/", func(w http.ResponseWriter, r *http.Request) {
		apiError(w, http.StatusNotFound, "no such API endpoint")
	})
	m.HandleFunc("GET /outbox", s.outbox)
	m.HandleFunc("GET /outbox/{id}", s.outboxCopy)
	m.HandleFunc("GET /{$}", s.index)
	m.HandleFunc("GET /{name}/{rest...}", s.listRoutes)
	m.HandleFunc("POST /{name}/{rest...}", s.listRoutes)
	for _, p := range []struct {
		path string
		h    http.HandlerFunc
	}{{"/confirm/{token}", s.confirmPage}, {"/u/{token}", s.unsubscribePage}, {"/reenable/{token}", s.reenablePage},
		{"/login", s.loginPage}, {"/login/{token}", s.loginToken}, {"/prefs", s.prefsPage}, {"/mod", s.modPage}} {
		m.HandleFunc("GET "+p.path, p.h)
		m.HandleFunc("POST "+p.path, p.h)
	}
	m.HandleFunc("POST /logout", s.logout)
	m.HandleFunc("GET /admin/{$}", s.siteAdminPage)
	m.HandleFunc("GET /admin/figures", s.siteFigures)
	m.HandleFunc("GET /admin/lists", s.siteLists)
	m.HandleFunc("POST /admin/lists", s.siteLists)
	m.HandleFunc("GET /admin/site", s.siteSettings)
	m.HandleFunc("POST /admin/site", s.siteSettings)
	m.HandleFunc("GET /admin/audit", s.siteAudit)
	m.HandleFunc("GET /admin/beratung", s.siteCounsel)
	m.HandleFunc("POST /admin/beratung", s.siteCounsel)
	m.HandleFunc("GET /admin/beratung/export", s.siteCounselExport)
	m.HandleFunc("GET /admin/beratung/{id}", s.siteCounselEdit)
	m.HandleFunc("POST /admin/beratung/{id}", s.siteCounselEdit)
	m.HandleFunc("GET /admin", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/admin/", http.StatusMovedPermanently)
	})
	m.HandleFunc("GET /beratung", s.counselPage)
	m.HandleFunc("GET /search", s.siteSearch)
	m.HandleFunc("GET /{name}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/"+r.PathValue("name")+"/", http.StatusMovedPermanently)
	})
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.errorPage(w, r, http.StatusNotFound, "not_found")
	})
	s.mux = m
}

// listRoutes serves the pages below /NAME/. One pattern dispatches them because
// ServeMux cannot order /{name}/... against fixed prefixes such as /static/.
func (s *Server) listRoutes(w http.ResponseWriter, r *http.Request) {
	rest := r.PathValue("rest")
	if s.writeRoutes(w, r, rest) {
		return
	}
	if rest == "subscribe" {
		s.subscribePage(w, r)
		return
	}
	if s.ownerRoutes(w, r, rest) {
		return
	}
	if s.adminRoutes(w, r, rest) {
		return
	}
	if rest == "digest" && r.Method == http.MethodGet {
		s.digestPreview(w, r)
		return
	}
	if r.Method != http.MethodGet {
		s.errorPage(w, r, http.StatusMethodNotAllowed, "bad_request")
		return
	}
	if !s.archiveRoutes(w, r, rest) {
		s.errorPage(w, r, http.StatusNotFound, "not_found")
	}
}

// ServeHTTP sets the security headers every response carries and serves the request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	// connect-src 'self' lets tools such as Lighthouse read robots.txt from a page;
	// no page runs script, so nothing else connects.
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("panic serving request", "path", r.URL.Path, "panic", fmt.Sprint(v))
			http.Error(w, "internal error", http.StatusInternalServerError)
		}
	}()
	// The list domain counts mail that a request asks for per network of the client.
	r = r.WithContext(lists.WithClient(r.Context(), lists.Client{IP: remoteIP(r)}))
	s.mux.ServeHTTP(w, r)
}

// lang picks the page language: ?lang=, then Accept-Language, then the site default.
func (s *Server) lang(r *http.Request) string {
	if l := r.URL.Query().Get("lang"); l == "de" || l == "en" {
		return l
	}
	if al := r.Header.Get("Accept-Language"); al != "" {
		tags, _, err := language.ParseAcceptLanguage(al)
		if err == nil && len(tags) > 0 {
			_, idx, conf := s.matcher.Match(tags...)
			if conf != language.No {
				return []string{"de", "en"}[idx]
			}
		}
	}
	return s.cfg.Language
}

type page struct {
	Lang   string
	Title  string
	Domain string
	CSRF   string
	Data   any
	// Switch is this page in the other language.
	Switch string
	// Description is the page's meta description; NoIndex asks search engines not
	// to index it (see indexable).
	Description string
	NoIndex     bool
	// Site is the site's name, logo and links from its settings.
	Site siteLook
}

// describer is page data that has its own meta description (a list's).
type describer interface{ description() string }

// renderForm renders a page with forms, giving it this browser's CSRF token.
func (s *Server) renderForm(w http.ResponseWriter, r *http.Request, status int, name, title string, data any) {
	s.render1(w, r, status, name, title, s.csrfToken(w, r), data)
}

func (s *Server) renderPage(w http.ResponseWriter, r *http.Request, status int, name, title string, data any) {
	s.render1(w, r, status, name, title, "", data)
}

func (s *Server) render1(w http.ResponseWriter, r *http.Request, status int, name, title, csrf string, data any) {
	lang := s.lang(r)
	if title == "" {
		title = s.tr(lang, "site_name")
	}
	desc := s.tr(lang, "meta_description")
	if d, ok := data.(describer); ok && d.description() != "" {
		desc = d.description()
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Language", lang)
	w.WriteHeader(status)
	if err := (*s.pages.Load())[name].ExecuteTemplate(w, "layout", page{Lang: lang, Title: title, Domain: s.cfg.Domain, CSRF: csrf, Data: data,
		Switch: switchURL(r, lang), Description: desc, NoIndex: status != http.StatusOK || !s.indexable(r), Site: s.siteLook(r.Context())}); err != nil {
		s.log.Error("render page", "page", name, "err", err)
	}
}

func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, status int, key string) {
	lang := s.lang(r)
	s.renderPage(w, r, status, "error", s.tr(lang, key), struct {
		Status  string
		Message string
	}{s.statusHeading(lang, status), s.tr(lang, key)})
}

// statusHeading is an error page's heading: the catalogue's words for the status
// (page.error_NNN), its number after them.
func (s *Server) statusHeading(lang string, status int) string {
	key := fmt.Sprintf("error_%d", status)
	if !s.cat.Load().Has("page." + key) {
		key = "error_other"
	}
	return fmt.Sprintf("%s (%d)", s.tr(lang, key), status)
}

func (s *Server) internalError(w http.ResponseWriter, r *http.Request, err error) {
	s.log.Error("serving request", "path", r.URL.Path, "err", err)
	if strings.HasPrefix(r.URL.Path, "/api/") {
		apiError(w, http.StatusInternalServerError, "internal error")
		return
	}
	s.errorPage(w, r, http.StatusInternalServerError, "internal_error")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	enc.Encode(v)
}

func apiError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// listFor loads the list of the request and checks access, writing the error itself.
func (s *Server) listFor(w http.ResponseWriter, r *http.Request, api bool) (*store.List, bool) {
	l, err := s.st.ListByName(r.Context(), strings.ToLower(r.PathValue("name")))
	if errors.Is(err, store.ErrNotFound) {
		if api {
			apiError(w, http.StatusNotFound, "no such list")
		} else {
			s.errorPage(w, r, http.StatusNotFound, "no_such_list")
		}
		return nil, false
	}
	if err != nil {
		s.internalError(w, r, err)
		return nil, false
	}
	if !s.canRead(r, l) {
		switch {
		case !lists.Announced(l):
			// A private list is not announced: strangers learn nothing of it.
			if api {
				apiError(w, http.StatusNotFound, "no such list")
			} else {
				s.errorPage(w, r, http.StatusNotFound, "no_such_list")
			}
		case api:
			apiError(w, http.StatusForbidden, "this archive is for members only: log in with a member's session")
		default:
			s.loginRequired(w, r, l)
		}
		return nil, false
	}
	return l, true
}

var addrRE = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}`)

// maskAddresses hides mail addresses inside a body: nobody's address reaches the public.
func maskAddresses(s string) string {
	if !strings.Contains(s, "@") { // most texts: the expression needs one
		return s
	}
	return addrRE.ReplaceAllStringFunc(s, func(a string) string {
		return a[:1] + "…@…"
	})
}

// remoteIP is the client's address; invalid when RemoteAddr holds none.
func remoteIP(r *http.Request) netip.Addr {
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		return ap.Addr().Unmap()
	}
	ip, _ := netip.ParseAddr(r.RemoteAddr)
	return ip.Unmap()
}

// metrics serves /metrics to this machine, and to others only with the configured
// bearer token: the figures are the operator's, not the public's.
func (s *Server) metrics(w http.ResponseWriter, r *http.Request) {
	if isLoopback(r) || s.metricsToken(r) {
		s.cfg.Metrics.ServeHTTP(w, r)
		return
	}
	if s.cfg.MetricsToken == "" {
		s.errorPage(w, r, http.StatusForbidden, "metrics_forbidden")
		return
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="listd metrics"`)
	s.errorPage(w, r, http.StatusUnauthorized, "metrics_token")
}

// metricsToken reports whether the request carries the configured metrics token. The
// comparison takes the same time whatever the token sent, its length included.
func (s *Server) metricsToken(r *http.Request) bool {
	if s.cfg.MetricsToken == "" {
		return false
	}
	scheme, tok, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(tok)))
	want := sha256.Sum256([]byte(s.cfg.MetricsToken))
	return subtle.ConstantTimeCompare(got[:], want[:]) == 1
}

// forwardHeaders are set by reverse proxies. A request that carries one came through
// a proxy, on this machine or not, so its loopback address says nothing about the
// client.
var forwardHeaders = []string{"Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Real-Ip", "Via"}

// isLoopback reports whether the request comes from this machine and not through a
// proxy.
func isLoopback(r *http.Request) bool {
	for _, h := range forwardHeaders {
		if _, ok := r.Header[h]; ok {
			return false
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// switchURL is the request's page with the other language chosen.
func switchURL(r *http.Request, lang string) string {
	q := r.URL.Query()
	if lang == "de" {
		q.Set("lang", "en")
	} else {
		q.Set("lang", "de")
	}
	return r.URL.Path + "?" + q.Encode()
}
