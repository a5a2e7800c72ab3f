package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"listd/internal/i18n"
	"listd/internal/lists"
	"listd/internal/store"
)

// Members as owners see them. On an anonymous list no page shows a member's
// address (README, Privacy): members appear by pseudonym and the list's poster
// number, a search finds an address only when typed in full, and a member's page
// is named by its number in the store, never by the address.

const ownerMemberPageSize = 50

// ownerMemberRow is one member in the table and on their page.
type ownerMemberRow struct {
	Key                      string // the path segment of the member's page
	Address                  string // "" on an anonymous list
	Number                   lists.PosterNumber
	Name, Mode, Role, Postal string
	Bounces                  lists.Bounces
}

func (s *Server) ownerMemberRow(d OwnerDomain, l *store.List, m *store.Member) ownerMemberRow {
	row := ownerMemberRow{Key: m.Address, Address: m.Address, Number: d.PosterNumber(l, m.Address), Name: m.Name, Mode: m.Mode,
		Role: m.Role, Postal: m.Postal, Bounces: lists.BouncesOf(m)}
	if l.Anonymous {
		// A bounce's diagnostic may quote the address.
		row.Key, row.Address, row.Bounces.Reason = strconv.FormatInt(m.ID, 10), "", maskAddresses(row.Bounces.Reason)
	}
	return row
}

// ownerMembersPage is the data of /NAME/admin/members.
type ownerMembersPage struct {
	ownerPage
	Query     string
	Members   []ownerMemberRow
	Total     int
	ShowTotal bool
	More      bool
	Next      string // the next page's link; "" on the last
	Anonymous bool
	// The add form, kept as typed on an error.
	Add struct {
		Address, Name, Mode, Role, Postal string
		Confirm                           bool
	}
	// The import's bad lines.
	ImportErrors []ownerCSVLine
	ImportFile   string
}

// ownerCSVLine is a bad line of an import, in the reader's language.
type ownerCSVLine struct {
	Line        int
	Value, Text string
}

// ownerMembers is /NAME/admin/members: the search with keyset pages, and on POST
// adding a member, with or without a confirmation mail.
func (s *Server) ownerMembers(w http.ResponseWriter, r *http.Request, d OwnerDomain, a adminSession, _ string) {
	lang := s.lang(r)
	data := &ownerMembersPage{ownerPage: ownerPage{Admin: a, Errors: fieldErrors{}}, Anonymous: a.List.Anonymous}
	data.Add.Mode, data.Add.Role = "each", "member"
	status := http.StatusOK
	if r.Method == http.MethodPost {
		if !s.formGuard(w, r) {
			return
		}
		f := r.PostForm
		data.Add.Address, data.Add.Name, data.Add.Mode = f.Get("address"), f.Get("name"), f.Get("mode")
		data.Add.Role, data.Add.Postal, data.Add.Confirm = f.Get("role"), f.Get("postal"), f.Get("confirm") == "yes"
		data.Errors = s.checkMember(lang, memberFields{Address: data.Add.Address, Name: data.Add.Name, Postal: data.Add.Postal,
			Mode: data.Add.Mode, CheckAddress: true})
		if _, err := lists.ParseRole(data.Add.Role); err != nil {
			data.Errors["role"] = s.tr(lang, "owner_error_role")
		}
		if len(data.Errors) == 0 {
			o := lists.MemberOptions{Name: data.Add.Name, Mode: data.Add.Mode, Role: data.Add.Role, Postal: data.Add.Postal}
			var err error
			if data.Add.Confirm {
				o.Role = ""
				err = d.InviteMember(r.Context(), a.ownerActor(), a.List.Name, data.Add.Address, o, lang)
			} else {
				_, err = d.AddMemberBy(r.Context(), a.ownerActor(), a.List.Name, data.Add.Address, o)
			}
			if err != nil {
				field, text, ok := s.ownerDomainError(lang, err)
				if !ok {
					s.internalError(w, r, err)
					return
				}
				data.Errors[firstOf(field, "address")] = text
			} else if data.Add.Confirm {
				data.Done = s.tr(lang, "owner_member_invited")
			} else {
				data.Done = s.tr(lang, "owner_member_added")
			}
			if data.Done != "" {
				data.Add.Address, data.Add.Name, data.Add.Postal, data.Add.Confirm = "", "", "", false
			}
		}
		if len(data.Errors) > 0 {
			status = http.StatusUnprocessableEntity
		}
	}
	if err := s.ownerSearchMembers(r, d, a, data); err != nil {
		s.internalError(w, r, err)
		return
	}
	s.renderForm(w, r, status, "ownermembers", s.ownerTitle(lang, "owner_members", a.List), data)
}

// ownerSearchMembers fills the page of members the request's q and after ask for.
func (s *Server) ownerSearchMembers(r *http.Request, d OwnerDomain, a adminSession, data *ownerMembersPage) error {
	l := a.List
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	after := r.URL.Query().Get("after")
	data.Query = q
	if l.Anonymous && strings.Contains(q, "@") {
		// An address is found only when typed in full.
		m, err := d.Member(r.Context(), l.Name, q)
		if err != nil && !errors.Is(err, lists.ErrNoSuchMember) {
			var ie *lists.InputError
			if !errors.As(err, &ie) {
				return err
			}
		}
		if m != nil {
			data.Members = []ownerMemberRow{s.ownerMemberRow(d, l, m)}
		}
		data.Total, data.ShowTotal = len(data.Members), true
		return nil
	}
	if l.Anonymous {
		return s.ownerSearchAnonymous(r, d, a, data, q, after)
	}
	p, err := d.SearchMembers(r.Context(), l.Name, lists.MemberSearch{Query: q, After: after, Limit: ownerMemberPageSize})
	if err != nil {
		return err
	}
	for _, m := range p.Members {
		data.Members = append(data.Members, s.ownerMemberRow(d, l, m))
	}
	data.Total, data.More, data.ShowTotal = p.Total, p.More, true
	if p.Next != "" {
		v := url.Values{"after": {p.Next}, "lang": {s.lang(r)}}
		if q != "" {
			v.Set("q", q)
		}
		data.Next = a.ownerBase() + "members?" + v.Encode()
	}
	return nil
}

// ownerSearchAnonymous fills the page of members of an anonymous list. The list
// domain pages by address, which these pages never show: the next page's link
// names the last member shown by their number in the store, and a search keeps
// only the members whose pseudonym has the piece typed, page after page, so that
// neither the count nor a further page tells what the addresses hold.
func (s *Server) ownerSearchAnonymous(r *http.Request, d OwnerDomain, a adminSession, data *ownerMembersPage, q, after string) error {
	l := a.List
	if after != "" {
		m, err := s.ownerFindMember(r, d, l, after)
		if errors.Is(err, lists.ErrNoSuchMember) {
			after = ""
		} else if err != nil {
			return err
		} else {
			after = m.Address
		}
	}
	var last *store.Member
	more := false
	for {
		p, err := d.SearchMembers(r.Context(), l.Name, lists.MemberSearch{Query: q, After: after, Limit: ownerMemberPageSize, NamesOnly: true})
		if err != nil {
			return err
		}
		if q == "" {
			data.Total, data.ShowTotal = p.Total, true
		}
		for _, m := range p.Members {
			if q != "" && !strings.Contains(strings.ToLower(m.Name), strings.ToLower(q)) {
				continue // found by a piece of the address
			}
			if len(data.Members) == ownerMemberPageSize {
				more = true
				break
			}
			data.Members = append(data.Members, s.ownerMemberRow(d, l, m))
			last = m
		}
		if more || p.Next == "" {
			break
		}
		after = p.Next
	}
	data.More = more
	if more && last != nil {
		v := url.Values{"after": {strconv.FormatInt(last.ID, 10)}, "lang": {s.lang(r)}}
		if q != "" {
			v.Set("q", q)
		}
		data.Next = a.ownerBase() + "members?" + v.Encode()
	}
	return nil
}

// ownerMembersByID finds a member by its number in the store (implemented by *store.DB).
type ownerMembersByID interface {
	MemberByID(ctx context.Context, id int64) (*store.Member, error)
}

var _ ownerMembersByID = (*store.DB)(nil)

// ownerFindMember is the member a page's key names: an address, or on an anonymous list
// the member's number in the store.
func (s *Server) ownerFindMember(r *http.Request, d OwnerDomain, l *store.List, key string) (*store.Member, error) {
	if strings.Contains(key, "@") {
		if l.Anonymous {
			return nil, lists.ErrNoSuchMember
		}
		return d.Member(r.Context(), l.Name, key)
	}
	id, err := strconv.ParseInt(key, 10, 64)
	if err != nil {
		return nil, lists.ErrNoSuchMember
	}
	if st, ok := s.st.(ownerMembersByID); ok {
		m, err := st.MemberByID(r.Context(), id)
		if errors.Is(err, store.ErrNotFound) || err == nil && m.ListID != l.ID {
			return nil, lists.ErrNoSuchMember
		}
		return m, err
	}
	after := ""
	for {
		p, err := d.SearchMembers(r.Context(), l.Name, lists.MemberSearch{After: after, Limit: 1000})
		if err != nil {
			return nil, err
		}
		for _, m := range p.Members {
			if m.ID == id {
				return m, nil
			}
		}
		if p.Next == "" {
			return nil, lists.ErrNoSuchMember
		}
		after = p.Next
	}
}

// ownerMemberPage is the data of /NAME/admin/members/KEY.
type ownerMemberPage struct {
	ownerPage
	Member    ownerMemberRow
	Anonymous bool
	AskRemove bool
	Removed   bool
	// The form as typed.
	Name, Mode, Role, Postal string
}

// ownerMember is one member's page: change mode, role, pseudonym and postal code,
// re-enable after bounces, remove (asked once more).
func (s *Server) ownerMember(w http.ResponseWriter, r *http.Request, d OwnerDomain, a adminSession, key string) {
	lang := s.lang(r)
	l := a.List
	m, err := s.ownerFindMember(r, d, l, key)
	if errors.Is(err, lists.ErrNoSuchMember) {
		s.errorPage(w, r, http.StatusNotFound, "owner_no_member")
		return
	}
	var ie *lists.InputError
	if errors.As(err, &ie) {
		s.errorPage(w, r, http.StatusNotFound, "owner_no_member")
		return
	}
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	data := &ownerMemberPage{ownerPage: ownerPage{Admin: a, Errors: fieldErrors{}}, Anonymous: l.Anonymous,
		Name: m.Name, Mode: m.Mode, Role: m.Role, Postal: m.Postal}
	status := http.StatusOK
	if r.Method == http.MethodPost {
		if !s.formGuard(w, r) {
			return
		}
		switch r.PostFormValue("do") {
		case "set":
			f := r.PostForm
			data.Name, data.Mode, data.Role, data.Postal = f.Get("name"), f.Get("mode"), f.Get("role"), f.Get("postal")
			data.Errors = s.checkMember(lang, memberFields{Name: data.Name, Postal: data.Postal, Mode: data.Mode})
			if _, err := lists.ParseRole(data.Role); err != nil {
				data.Errors["role"] = s.tr(lang, "owner_error_role")
			}
			if data.Mode == "" {
				data.Errors["mode"] = s.tr(lang, "error_mode")
			}
			if len(data.Errors) == 0 {
				nm, err := d.SetMember(r.Context(), a.ownerActor(), l.Name, m.Address, lists.MemberChange{Name: &data.Name, Mode: &data.Mode,
					Role: &data.Role, Postal: &data.Postal})
				if err != nil {
					field, text, ok := s.ownerDomainError(lang, err)
					if !ok {
						s.internalError(w, r, err)
						return
					}
					data.Errors[firstOf(field, "name")] = text
				} else {
					m = nm
					data.Done = s.tr(lang, "owner_member_saved")
				}
			}
		case "reenable":
			if err := d.ReenableMember(r.Context(), a.ownerActor(), l.Name, m.Address); err != nil {
				s.internalError(w, r, err)
				return
			}
			if m, err = d.Member(r.Context(), l.Name, m.Address); err != nil {
				s.internalError(w, r, err)
				return
			}
			data.Done = s.tr(lang, "owner_member_reenabled")
		case "remove":
			if r.PostFormValue("sure") != "yes" {
				data.AskRemove = true
				break
			}
			if err := d.RemoveMemberBy(r.Context(), a.ownerActor(), l.Name, m.Address); err != nil && !errors.Is(err, lists.ErrNoSuchMember) {
				s.internalError(w, r, err)
				return
			}
			data.Removed = true
			data.Done = s.tr(lang, "owner_member_removed")
		default:
			s.errorPage(w, r, http.StatusBadRequest, "bad_request")
			return
		}
		if len(data.Errors) > 0 {
			status = http.StatusUnprocessableEntity
		}
	}
	data.Member = s.ownerMemberRow(d, l, m)
	s.renderForm(w, r, status, "ownermember", s.ownerTitle(lang, "owner_member", l), data)
}

// ownerImport takes a member CSV (multipart upload): every bad line listed in the
// reader's language, nothing imported until all are good.
func (s *Server) ownerImport(w http.ResponseWriter, r *http.Request, d OwnerDomain, a adminSession, _ string) {
	lang := s.lang(r)
	if r.Method != http.MethodPost {
		http.Redirect(w, r, a.ownerBase()+"members?lang="+lang, http.StatusSeeOther)
		return
	}
	if !s.limit.allow(r) {
		s.errorPage(w, r, http.StatusTooManyRequests, "too_many")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 21<<20)
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			s.errorPage(w, r, http.StatusRequestEntityTooLarge, "owner_import_too_large")
		} else {
			s.errorPage(w, r, http.StatusBadRequest, "bad_request")
		}
		return
	}
	defer r.MultipartForm.RemoveAll()
	if !s.checkCSRF(r) {
		s.errorPage(w, r, http.StatusForbidden, "csrf")
		return
	}
	data := &ownerMembersPage{ownerPage: ownerPage{Admin: a, Errors: fieldErrors{}}, Anonymous: a.List.Anonymous}
	data.Add.Mode, data.Add.Role = "each", "member"
	status := http.StatusOK
	file, hdr, err := r.FormFile("file")
	if err != nil {
		data.Errors["file"] = s.tr(lang, "owner_import_nofile")
		status = http.StatusUnprocessableEntity
	} else {
		defer file.Close()
		data.ImportFile = hdr.Filename
		mode := r.PostFormValue("mode")
		if _, err := lists.ParseMode(mode); err != nil {
			mode = ""
		}
		res, err := d.ImportMembersCSV(r.Context(), a.ownerActor(), a.List.Name, file, lists.CSVImportOptions{File: hdr.Filename,
			Mode: mode, Confirm: r.PostFormValue("confirm") == "yes", Language: lang})
		var ce *lists.CSVImportError
		switch {
		case errors.As(err, &ce):
			for _, le := range ce.Lines {
				v := le.Value
				if a.List.Anonymous && strings.Contains(v, "@") {
					v = ""
				}
				data.ImportErrors = append(data.ImportErrors, ownerCSVLine{Line: le.Line, Value: v, Text: le.Reason.Text(s.cat.Load(), i18n.Lang(lang))})
			}
			data.Errors["file"] = s.tr(lang, "owner_import_bad")
			status = http.StatusUnprocessableEntity
		case err != nil:
			_, text, ok := s.ownerDomainError(lang, err)
			if !ok {
				s.internalError(w, r, err)
				return
			}
			data.Errors["file"] = text
			status = http.StatusUnprocessableEntity
		case r.PostFormValue("confirm") == "yes":
			data.Done = fmt.Sprintf(s.tr(lang, "owner_import_asked"), res.Asked)
		default:
			data.Done = fmt.Sprintf(s.tr(lang, "owner_import_done"), res.Added, res.Existed)
		}
	}
	if err := s.ownerSearchMembers(r, d, a, data); err != nil {
		s.internalError(w, r, err)
		return
	}
	s.renderForm(w, r, status, "ownermembers", s.ownerTitle(lang, "owner_members", a.List), data)
}

// ownerExport is /NAME/admin/members.csv: the members as CSV, as `member export`
// writes them (the domain records the export).
func (s *Server) ownerExport(w http.ResponseWriter, r *http.Request, d OwnerDomain, a adminSession, _ string) {
	if r.Method != http.MethodGet {
		s.errorPage(w, r, http.StatusMethodNotAllowed, "bad_request")
		return
	}
	// The file names every member: on an anonymous list, whose pages show no
	// address, it asks for a fresh login first.
	if a.List.Anonymous && !s.reconfirm(w, r, a, a.ownerBase()+"members.csv") {
		return
	}
	var b bytes.Buffer
	if err := d.ExportMembersCSV(r.Context(), a.ownerActor(), a.List.Name, &b); err != nil {
		s.internalError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+a.List.Name+`-members-`+s.cfg.Now().Format("2006-01-02")+`.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Write(b.Bytes())
}
