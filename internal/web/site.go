package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"listd/internal/lists"
	"listd/internal/store"
)

// The site admin's pages under /admin/: the lists (and creating one), the site's
// settings and the audit log. Who may enter is requireAdmin's question to the list
// domain; every change goes through the domain with the admin as its Actor, which
// records it in the audit log.

// siteDomain is the part of the list domain the site admin's pages act through.
type SiteDomain interface {
	SiteSettings(ctx context.Context) (lists.SiteSettings, error)
	SetSiteSettings(ctx context.Context, by lists.Actor, ss lists.SiteSettings) error
	CreateListBy(ctx context.Context, by lists.Actor, name string, o lists.ListOptions) (*store.List, error)
	AuditLog(ctx context.Context, list string, before int64, limit int) ([]lists.AuditEntry, error)
	AuditCounsel(ctx context.Context, by lists.Actor, action lists.AuditAction, detail string)
}

// siteDomain returns the list domain's site administration, when the web has it.
func (s *Server) siteDomain() (SiteDomain, bool) {
	sd := s.cfg.Lists.Site
	return sd, sd != nil
}

// requireSiteAdmin is requireAdmin for the site's pages, with the domain they call.
func (s *Server) requireSiteAdmin(w http.ResponseWriter, r *http.Request) (adminSession, SiteDomain, bool) {
	a, ok := s.requireAdmin(w, r, nil)
	if !ok {
		return a, nil, false
	}
	sd, ok := s.siteDomain()
	if !ok {
		s.errorPage(w, r, http.StatusNotFound, "not_found")
		return a, nil, false
	}
	return a, sd, true
}

// siteArchives are the archive settings a new list may get, in the form's order.
var siteArchives = []string{string(lists.ArchiveMembers), string(lists.ArchivePublic), string(lists.ArchivePrivate)}

// newListForm is what the form creating a list was given.
type newListForm struct {
	Name, Title, Description, Archive string
}

// siteListsData is the data of /admin/lists.
type siteListsData struct {
	Admin    adminSession
	Lists    []*store.List
	Archives []string
	Form     newListForm
	Errors   fieldErrors
	Error    string // an error that names no field
	Created  string // the list just created
}

// siteLists is /admin/lists: every list with its members and archive setting, and
// the form that creates one.
func (s *Server) siteLists(w http.ResponseWriter, r *http.Request) {
	a, sd, ok := s.requireSiteAdmin(w, r)
	if !ok {
		return
	}
	lang := s.lang(r)
	data := siteListsData{Admin: a, Archives: siteArchives, Form: newListForm{Archive: string(lists.ArchiveMembers)}, Errors: fieldErrors{}}
	status := http.StatusOK
	if r.Method == http.MethodPost {
		if !s.formGuard(w, r) {
			return
		}
		f := newListForm{Name: strings.TrimSpace(r.PostFormValue("name")), Title: strings.TrimSpace(r.PostFormValue("title")),
			Description: strings.TrimSpace(r.PostFormValue("description")), Archive: r.PostFormValue("archive")}
		data.Form = f
		known := false
		for _, v := range siteArchives {
			known = known || f.Archive == v
		}
		if !known {
			data.Errors["archive"] = s.tr(lang, "error_archive")
		}
		if f.Name == "" {
			data.Errors["list_name"] = s.tr(lang, "error_list_name")
		}
		if len(data.Errors) == 0 {
			l, err := sd.CreateListBy(r.Context(), lists.Actor(a.Address), f.Name,
				lists.ListOptions{Title: f.Title, Description: f.Description, Archive: f.Archive})
			if err == nil {
				http.Redirect(w, r, "/admin/lists?created="+url.QueryEscape(l.Name)+"&lang="+lang, http.StatusSeeOther)
				return
			}
			if errors.Is(err, lists.ErrExists) {
				data.Errors["list_name"] = s.tr(lang, "error_list_exists")
			} else if field, text, ok := s.inputError(lang, err); ok && field != "" {
				data.Errors[field] = text
			} else if ok {
				data.Error = text
			} else {
				s.internalError(w, r, err)
				return
			}
		}
		status = http.StatusBadRequest
	}
	ls, err := s.st.Lists(r.Context())
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	data.Lists = ls
	if c := r.URL.Query().Get("created"); c != "" {
		for _, l := range ls {
			if l.Name == c {
				data.Created = c
			}
		}
	}
	s.renderForm(w, r, status, "sitelists", s.tr(lang, "site_lists_heading"), data)
}

// siteSettingsData is the data of /admin/site.
type siteSettingsData struct {
	Admin    adminSession
	Settings lists.SiteSettings
	Errors   fieldErrors
	Saved    bool
}

// siteSettingFields are the site settings by the name of their form field.
func siteSettingFields(ss *lists.SiteSettings) []struct {
	name string
	v    *string
} {
	return []struct {
		name string
		v    *string
	}{{"site_name", &ss.Name}, {"logo_url", &ss.LogoURL}, {"contact", &ss.Contact},
		{"impressum_url", &ss.ImpressumURL}, {"datenschutz_url", &ss.DatenschutzURL}, {"time_zone", &ss.TimeZone}}
}

// checkSiteSettings asks the list domain's rules about each setting on its own, so
// that every bad one is named next to its field at once.
func (s *Server) checkSiteSettings(lang string, ss lists.SiteSettings) fieldErrors {
	errs := fieldErrors{}
	for _, f := range siteSettingFields(&ss) {
		var one lists.SiteSettings
		for _, g := range siteSettingFields(&one) {
			if g.name == f.name {
				*g.v = *f.v
			}
		}
		if one.Validate() != nil {
			errs[f.name] = s.tr(lang, "error_"+f.name)
		}
	}
	return errs
}

// siteSettings is /admin/site: the site's name, logo, contact, legal links and time
// zone, shown on every page and in every mail's footer.
func (s *Server) siteSettings(w http.ResponseWriter, r *http.Request) {
	a, sd, ok := s.requireSiteAdmin(w, r)
	if !ok {
		return
	}
	lang := s.lang(r)
	ss, err := sd.SiteSettings(r.Context())
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	data := siteSettingsData{Admin: a, Settings: ss, Saved: r.URL.Query().Get("saved") == "1"}
	status := http.StatusOK
	if r.Method == http.MethodPost {
		if !s.formGuard(w, r) {
			return
		}
		for _, f := range siteSettingFields(&data.Settings) {
			*f.v = strings.TrimSpace(r.PostFormValue(f.name))
		}
		data.Saved = false
		data.Errors = s.checkSiteSettings(lang, data.Settings)
		if len(data.Errors) == 0 {
			err := sd.SetSiteSettings(r.Context(), lists.Actor(a.Address), data.Settings)
			if err == nil {
				http.Redirect(w, r, "/admin/site?saved=1&lang="+lang, http.StatusSeeOther)
				return
			}
			if _, _, ok := s.inputError(lang, err); !ok {
				s.internalError(w, r, err)
				return
			}
			data.Errors = s.checkSiteSettings(lang, data.Settings)
			if len(data.Errors) == 0 {
				data.Errors["site_name"] = s.tr(lang, "error_input")
			}
		}
		status = http.StatusBadRequest
	}
	s.renderForm(w, r, status, "sitesettings", s.tr(lang, "site_settings_heading"), data)
}

// auditPage is how many audit log entries one page shows.
const auditPage = 50

// siteAuditData is the data of /admin/audit.
type siteAuditData struct {
	Admin   adminSession
	Entries []auditView
	Lists   []*store.List
	List    string // the list the log is filtered by; "" for all
	Older   string // the next page's before, "" on the last
}

// siteAudit is /admin/audit: every entry of the audit log, newest first, paged,
// filtered by list when asked.
func (s *Server) siteAudit(w http.ResponseWriter, r *http.Request) {
	a, sd, ok := s.requireSiteAdmin(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	data := siteAuditData{Admin: a, List: strings.ToLower(q.Get("list"))}
	var before int64
	if b := q.Get("before"); b != "" {
		var err error
		if before, err = strconv.ParseInt(b, 10, 64); err != nil || before <= 0 {
			s.errorPage(w, r, http.StatusBadRequest, "bad_request")
			return
		}
	}
	ls, err := s.st.Lists(r.Context())
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	data.Lists = ls
	es, err := sd.AuditLog(r.Context(), data.List, before, auditPage+1)
	if errors.Is(err, lists.ErrNoSuchList) {
		s.errorPage(w, r, http.StatusNotFound, "no_such_list")
		return
	}
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	if len(es) > auditPage {
		es = es[:auditPage]
		data.Older = strconv.FormatInt(es[auditPage-1].ID, 10)
	}
	for _, e := range es {
		data.Entries = append(data.Entries, auditView{AuditEntry: e, What: s.auditAction(s.lang(r), e.Action)})
	}
	s.renderPage(w, r, http.StatusOK, "siteaudit", s.tr(s.lang(r), "site_audit_heading"), data)
}

// defaultZone is the time zone of dates on pages until the site settings name one.
const defaultZone = "Europe/Berlin"

// siteLook is what every page shows of the site: its name and logo in the header,
// the contact and legal links in the footer.
type siteLook struct {
	Name, LogoURL, Contact, ContactURL, ImpressumURL, DatenschutzURL string
}

// siteLook reads the site settings for a page, and keeps the time zone its dates
// are shown in up to date. Without them (or on an error, which is logged) the page
// shows the catalogue's site name and no links.
func (s *Server) siteLook(ctx context.Context) siteLook {
	sd, ok := s.siteDomain()
	if !ok {
		return siteLook{}
	}
	ss, err := sd.SiteSettings(ctx)
	if err != nil {
		s.log.ErrorContext(ctx, "site settings", "err", err)
		return siteLook{}
	}
	zone := ss.TimeZone
	if zone == "" {
		zone = defaultZone
	}
	if cur := s.zone.Load(); cur == nil || cur.String() != zone {
		if loc, err := time.LoadLocation(zone); err == nil {
			s.zone.Store(loc)
		}
	}
	look := siteLook{Name: ss.Name, LogoURL: ss.LogoURL, Contact: ss.Contact, ImpressumURL: ss.ImpressumURL, DatenschutzURL: ss.DatenschutzURL}
	switch {
	case strings.HasPrefix(ss.Contact, "https://"), strings.HasPrefix(ss.Contact, "http://"):
		look.ContactURL = ss.Contact
	case strings.Contains(ss.Contact, "@"):
		look.ContactURL = "mailto:" + ss.Contact
	}
	return look
}

// pageDate is a time as pages show it: in the site's time zone.
func (s *Server) pageDate(t time.Time) string {
	loc := s.zone.Load()
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format("02.01.2006 15:04")
}

// auditView is an audit log entry as the page shows it.
type auditView struct {
	lists.AuditEntry
	What string // the action in the reader's language
}

// auditAction names an action in lang; one the catalogue does not know by its code.
func (s *Server) auditAction(lang string, a lists.AuditAction) string {
	key := "audit_" + strings.ReplaceAll(string(a), "-", "_")
	if !s.cat.Load().Has("page." + key) {
		return string(a)
	}
	return s.tr(lang, key)
}
