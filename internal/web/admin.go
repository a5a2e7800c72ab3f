package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"listd/internal/lists"
	"listd/internal/store"
)

// The admin area: /admin/ for site admins, /NAME/admin/ for a list's owners (and site
// admins). Its pages need a login younger than adminMaxAge; dangerous actions
// (revealing a poster's address, deleting a list) one younger than reconfirmAge.
// Who may enter is the list domain's decision (lists.MayAdminister; for the site,
// the domain's site admins): the pages only find out who the viewer is.

const (
	adminMaxAge  = 12 * time.Hour
	reconfirmAge = 10 * time.Minute
	nextCookie   = "listd_next" // where a login link leads back to, for a fresh login
)

// siteAdmins is how the list domain names the site's admins (implemented by the
// list service once it knows them).
type SiteAdmins interface {
	IsSiteAdmin(ctx context.Context, address string) (bool, error)
}

// viewers is how the list domain says what kind of viewer a proven address is (a
// site admin passes its access rules as one).
type Viewers interface {
	ViewerOf(ctx context.Context, address string) (lists.Viewer, error)
}

// adminSession is the logged-in viewer of an admin page.
type adminSession struct {
	Address string
	Created time.Time
	List    *store.List // nil on the site's pages
}

// session returns the request's live login session.
func (s *Server) session(r *http.Request) (store.Session, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return store.Session{}, false
	}
	ss, err := s.sessions.SessionByHash(r.Context(), hashHex(c.Value), s.cfg.Now())
	if err != nil {
		return store.Session{}, false
	}
	return ss, true
}

// isSiteAdmin asks the list domain whether address is a site admin's.
func (s *Server) isSiteAdmin(ctx context.Context, address string) (bool, error) {
	sa := s.cfg.Lists.SiteAdmins
	if sa == nil || address == "" {
		return false, nil
	}
	return sa.IsSiteAdmin(ctx, address)
}

// viewerOf is what kind of viewer the logged-in address is, as the list domain
// says; LoggedIn where it does not say.
func (s *Server) viewerOf(ctx context.Context, address string) (lists.Viewer, error) {
	if address == "" {
		return lists.Stranger, nil
	}
	if v := s.cfg.Lists.Viewers; v != nil {
		return v.ViewerOf(ctx, address)
	}
	return lists.LoggedIn, nil
}

// mayAdminister asks the list domain's rule whether address may administer l.
func (s *Server) mayAdminister(ctx context.Context, l *store.List, address string) (bool, error) {
	v, err := s.viewerOf(ctx, address)
	if err != nil {
		return false, err
	}
	m, err := s.st.Member(ctx, l.ID, address)
	if errors.Is(err, store.ErrNotFound) {
		m = nil
	} else if err != nil {
		return false, err
	}
	return lists.MayAdminister(l, m, v), nil
}

// requireAdmin lets the request on only with a login younger than adminMaxAge of
// someone who may administer l (the site when l is nil), writing the answer
// otherwise: the login page, a page asking for a fresh login, 403, or 404 for a list
// that is not named in public.
func (s *Server) requireAdmin(w http.ResponseWriter, r *http.Request, l *store.List) (adminSession, bool) {
	ss, ok := s.session(r)
	if !ok {
		http.Redirect(w, r, "/login?lang="+s.lang(r), http.StatusSeeOther)
		return adminSession{}, false
	}
	allowed := false
	var err error
	if l == nil {
		var v lists.Viewer
		v, err = s.viewerOf(r.Context(), ss.Address)
		allowed = lists.MayAdministerSite(v)
	} else {
		allowed, err = s.mayAdminister(r.Context(), l, ss.Address)
	}
	if err != nil {
		s.internalError(w, r, err)
		return adminSession{}, false
	}
	if !allowed {
		if l != nil && !lists.Announced(l) && !s.canRead(r, l) {
			s.errorPage(w, r, http.StatusNotFound, "no_such_list")
		} else {
			s.errorPage(w, r, http.StatusForbidden, "admin_forbidden")
		}
		return adminSession{}, false
	}
	if s.cfg.Now().Sub(ss.Created) > adminMaxAge {
		s.askLogin(w, r, ss.Address, "admin_stale", "admin_stale_text", r.URL.Path)
		return adminSession{}, false
	}
	// The admin pages name members and their addresses: no cache keeps them.
	w.Header().Set("Cache-Control", "no-store")
	return adminSession{Address: ss.Address, Created: ss.Created, List: l}, true
}

// reconfirm lets a dangerous action go on only with a login younger than
// reconfirmAge; otherwise it writes a page that sends a fresh login link leading
// back to next.
func (s *Server) reconfirm(w http.ResponseWriter, r *http.Request, a adminSession, next string) bool {
	if s.cfg.Now().Sub(a.Created) <= reconfirmAge {
		return true
	}
	s.askLogin(w, r, a.Address, "reconfirm_heading", "reconfirm_text", next)
	return false
}

// askLogin is the page that asks for a fresh login link to address, after which
// the link leads to next.
func (s *Server) askLogin(w http.ResponseWriter, r *http.Request, address, heading, text, next string) {
	lang := s.lang(r)
	s.renderForm(w, r, http.StatusForbidden, "relogin", s.tr(lang, heading), struct {
		Heading, Text, Address, Next string
	}{s.tr(lang, heading), s.tr(lang, text), address, next})
}

// localPath is p when it is a path on this site, else "".
func localPath(p string) string {
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(u.Path, "/") ||
		strings.HasPrefix(p, "//") || strings.ContainsAny(p, "\\\r\n") || len(p) > 300 {
		return ""
	}
	return p
}

// requireListAdmin is requireAdmin for the list the path names (/NAME/admin/...);
// an unknown list is a 404.
func (s *Server) requireListAdmin(w http.ResponseWriter, r *http.Request) (adminSession, bool) {
	l, err := s.st.ListByName(r.Context(), strings.ToLower(r.PathValue("name")))
	if errors.Is(err, store.ErrNotFound) {
		s.errorPage(w, r, http.StatusNotFound, "no_such_list")
		return adminSession{}, false
	}
	if err != nil {
		s.internalError(w, r, err)
		return adminSession{}, false
	}
	return s.requireAdmin(w, r, l)
}

// adminRoutes serves /NAME/admin/...; it reports whether the path was one of its own.
func (s *Server) adminRoutes(w http.ResponseWriter, r *http.Request, rest string) bool {
	if rest != "admin" && rest != "admin/" && rest != "admin/figures" {
		return false
	}
	if r.Method != http.MethodGet {
		s.errorPage(w, r, http.StatusMethodNotAllowed, "bad_request")
		return true
	}
	if rest == "admin" {
		http.Redirect(w, r, "/"+r.PathValue("name")+"/admin/", http.StatusMovedPermanently)
		return true
	}
	a, ok := s.requireListAdmin(w, r)
	if !ok {
		return true
	}
	if rest == "admin/figures" {
		s.figures(w, r, a)
		return true
	}
	lang := s.lang(r)
	s.renderPage(w, r, http.StatusOK, "admin", s.tr(lang, "admin_list_heading")+" · "+listTitle(a.List), adminHome{Admin: a})
	return true
}

// adminHome is the data of the admin area's first page.
type adminHome struct {
	Admin adminSession
	Lists []*store.List // on the site's page
}

// siteAdminPage is /admin/: the site's lists, each with its admin pages.
func (s *Server) siteAdminPage(w http.ResponseWriter, r *http.Request) {
	a, ok := s.requireAdmin(w, r, nil)
	if !ok {
		return
	}
	ls, err := s.st.Lists(r.Context())
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	s.renderPage(w, r, http.StatusOK, "admin", s.tr(s.lang(r), "admin_heading"), adminHome{Admin: a, Lists: ls})
}

// siteFigures is /admin/figures: every list's figures and the counselling.
func (s *Server) siteFigures(w http.ResponseWriter, r *http.Request) {
	a, ok := s.requireAdmin(w, r, nil)
	if !ok {
		return
	}
	s.figures(w, r, a)
}
