package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"listd/internal/lists"
	"listd/internal/store"
)

// ownerBanRow is one ban as the page shows it: a domain as it is; a mailbox on an
// anonymous list by its poster number (a banned person is still a person).
type ownerBanRow struct {
	Pattern string // "" when hidden
	Number  lists.PosterNumber
	Since   time.Time
}

// ownerBansPage is the data of /NAME/admin/bans.
type ownerBansPage struct {
	ownerPage
	Bans      []ownerBanRow
	Anonymous bool
	What      string // the add form as typed
}

// ownerBans is /NAME/admin/bans: the list's bans, add one (an address or @domain),
// lift one.
func (s *Server) ownerBans(w http.ResponseWriter, r *http.Request, d OwnerDomain, a adminSession, _ string) {
	lang := s.lang(r)
	l := a.List
	data := &ownerBansPage{ownerPage: ownerPage{Admin: a, Errors: fieldErrors{}}, Anonymous: l.Anonymous}
	status := http.StatusOK
	if r.Method == http.MethodPost {
		if !s.formGuard(w, r) {
			return
		}
		what := strings.TrimSpace(r.PostFormValue("what"))
		var err error
		switch r.PostFormValue("do") {
		case "add":
			data.What = what
			_, err = d.AddBan(r.Context(), a.ownerActor(), l.Name, what)
			if err == nil {
				data.Done, data.What = s.tr(lang, "owner_ban_added"), ""
			}
		case "remove":
			_, err = d.RemoveBan(r.Context(), a.ownerActor(), l.Name, what)
			if err == nil {
				data.Done = s.tr(lang, "owner_ban_removed")
			}
		default:
			s.errorPage(w, r, http.StatusBadRequest, "bad_request")
			return
		}
		if err != nil {
			var ie *lists.InputError
			switch {
			case errors.Is(err, lists.ErrExists):
				data.Errors["what"] = s.tr(lang, "owner_ban_exists")
			case errors.As(err, &ie):
				data.Errors["what"] = s.tr(lang, "owner_ban_bad")
			default:
				s.internalError(w, r, err)
				return
			}
			status = http.StatusUnprocessableEntity
		}
	}
	bans, err := d.Bans(r.Context(), l.Name)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	for _, b := range bans {
		row := ownerBanRow{Pattern: b.Pattern, Since: b.CreatedAt}
		if !strings.HasPrefix(b.Pattern, "@") {
			row.Number = d.PosterNumber(l, b.Pattern)
			if l.Anonymous {
				row.Pattern = ""
			}
		}
		data.Bans = append(data.Bans, row)
	}
	s.renderForm(w, r, status, "ownerbans", s.ownerTitle(lang, "owner_bans", l), data)
}

// ownerAuditPage is the data of /NAME/admin/audit.
type ownerAuditPage struct {
	ownerPage
	Entries []lists.AuditEntry
	Next    string
}

const ownerAuditPageSize = 50

// ownerAudit is /NAME/admin/audit: the list's audit log, newest first, in pages.
func (s *Server) ownerAudit(w http.ResponseWriter, r *http.Request, d OwnerDomain, a adminSession, _ string) {
	if r.Method != http.MethodGet {
		s.errorPage(w, r, http.StatusMethodNotAllowed, "bad_request")
		return
	}
	lang := s.lang(r)
	before, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	if before < 0 {
		before = 0
	}
	es, err := d.AuditLog(r.Context(), a.List.Name, before, ownerAuditPageSize+1)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	if a.List.Anonymous {
		// Owners and moderators are members too: on an anonymous list they are
		// named by their poster number, as on the members page.
		for i := range es {
			if strings.Contains(string(es[i].Actor), "@") {
				es[i].Actor = lists.Actor(s.tr(lang, "owner_col_number") + " " + string(d.PosterNumber(a.List, string(es[i].Actor))))
			}
		}
	}
	data := &ownerAuditPage{ownerPage: ownerPage{Admin: a}, Entries: es}
	if len(es) > ownerAuditPageSize {
		data.Entries = es[:ownerAuditPageSize]
		data.Next = a.ownerBase() + "audit?before=" + strconv.FormatInt(data.Entries[ownerAuditPageSize-1].ID, 10) + "&lang=" + lang
	}
	s.renderPage(w, r, http.StatusOK, "owneraudit", s.ownerTitle(lang, "owner_audit", a.List), data)
}

// ownerDeletePage is the data of /NAME/admin/delete.
type ownerDeletePage struct {
	ownerPage
	Months  []store.MonthCount
	Deleted *store.DeletedList
}

// ownerDelete is /NAME/admin/delete, for site admins: the archive as mbox
// downloads first, then the list's name typed again and a fresh login, then the
// list domain deletes it.
func (s *Server) ownerDelete(w http.ResponseWriter, r *http.Request, d OwnerDomain, a adminSession, _ string) {
	lang := s.lang(r)
	v, err := s.viewerOf(r.Context(), a.Address)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	if !lists.MayAdministerSite(v) {
		if ok, err := s.isSiteAdmin(r.Context(), a.Address); err != nil || !ok {
			s.errorPage(w, r, http.StatusForbidden, "owner_delete_forbidden")
			return
		}
	}
	data := &ownerDeletePage{ownerPage: ownerPage{Admin: a, Errors: fieldErrors{}}}
	status := http.StatusOK
	if r.Method == http.MethodPost {
		if !s.formGuard(w, r) {
			return
		}
		if strings.TrimSpace(strings.ToLower(r.PostFormValue("confirm"))) != a.List.Name {
			data.Errors["confirm"] = s.tr(lang, "owner_delete_name")
			status = http.StatusUnprocessableEntity
		} else {
			if !s.reconfirm(w, r, a, a.ownerBase()+"delete") {
				return
			}
			del, err := d.DeleteList(r.Context(), a.ownerActor(), a.List.Name)
			if err != nil {
				s.internalError(w, r, err)
				return
			}
			s.renderPage(w, r, http.StatusOK, "notice", s.tr(lang, "owner_deleted"), struct {
				Heading, Text, Link, LinkText string
			}{s.tr(lang, "owner_deleted"), s.tr(lang, "owner_deleted_text") + " " + strconv.Itoa(del.Posts) + " / " + strconv.Itoa(del.Members),
				"/admin/?lang=" + lang, s.tr(lang, "admin_heading")})
			return
		}
	}
	ms, err := s.st.Months(r.Context(), a.List.ID)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	data.Months = ms
	s.renderForm(w, r, status, "ownerdelete", s.ownerTitle(lang, "owner_delete", a.List), data)
}
