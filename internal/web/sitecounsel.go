package web

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"

	"listd/internal/counsel"
	"listd/internal/i18n"
	"listd/internal/lists"
	"listd/internal/store"
)

// The counselling directory's administration, /admin/beratung: upload the centres
// file (every bad line listed, nothing imported until all are good), the centres
// page by page, one centre edited, the file exported, and the postal-code data
// uploaded. The same readers as `listd centers import` and `listd geo import`; after
// a change the running server's directory is built again, as on SIGHUP.

// CounselStore is where the counselling directory is kept (implemented by *store.DB).
type CounselStore interface {
	counsel.Saver
	Centers(ctx context.Context) ([]store.Center, error)
}

// CounselLive is the directory the server answers from (implemented by
// *counsel.Live): Reload builds it from the store now, the way SIGHUP does.
type CounselLive interface {
	Directory(ctx context.Context) (*counsel.Directory, error)
	Reload(ctx context.Context) (*counsel.Directory, error)
}

var (
	_ CounselStore = (*store.DB)(nil)
	_ CounselLive  = (*counsel.Live)(nil)
)

const (
	centersPerPage = 50
	maxUpload      = 64 << 20 // as counsel's own limit for a centres file
	uploadMemory   = 8 << 20  // the part of an upload held in memory; more goes to a temporary file
)

// counselFields are the centre's fields as the centres file names its columns, in
// the export's order.
var counselFields = []string{"name", "organisation", "street", "postal_code", "city", "phone", "email", "web", "topics", "hours",
	"languages", "latitude", "longitude", "online", "nationwide", "accessibility", "country"}

// counselProblem is one bad line of an upload.
type counselProblem struct {
	Line           int
	Column, Reason string
}

// counselProblem is a problem of a file as the page shows it, in lang.
func (s *Server) counselProblem(lang string, e *counsel.LineError) counselProblem {
	return counselProblem{Line: e.Line, Column: e.Column, Reason: e.Text(s.cat.Load(), i18n.Lang(lang))}
}

// siteCounselData is the data of /admin/beratung.
type siteCounselData struct {
	Admin       adminSession
	Centers     []store.Center
	Total       int
	PostalCodes int
	Page, Pages int
	Prev, Next  int // page numbers; 0 for none
	Problems    []counselProblem
	File        string // the uploaded file the problems are in
	Imported    string // what was just imported
	Errors      fieldErrors
}

// counselAdmin reports whether the server keeps the counselling directory.
func (s *Server) counselAdmin() bool { return s.cfg.CounselStore != nil && s.cfg.CounselLive != nil }

// siteCounsel is /admin/beratung, and its uploads by POST.
func (s *Server) siteCounsel(w http.ResponseWriter, r *http.Request) {
	a, ok := s.requireCounselAdmin(w, r)
	if !ok {
		return
	}
	lang := s.lang(r)
	data := siteCounselData{Admin: a, Errors: fieldErrors{}}
	status := http.StatusOK
	// The note after an upload: a count, and nothing else a link could carry.
	if n, err := strconv.Atoi(r.URL.Query().Get("n")); err == nil && n >= 0 {
		switch r.URL.Query().Get("imported") {
		case "centers":
			data.Imported = fmt.Sprintf(s.tr(lang, "counsel_admin_imported_centers"), strconv.Itoa(n))
		case "geo":
			data.Imported = fmt.Sprintf(s.tr(lang, "counsel_admin_imported_geo"), strconv.Itoa(n))
		}
	}
	if r.Method == http.MethodPost {
		if !s.uploadGuard(w, r) {
			return
		}
		var done bool
		switch r.PostFormValue("do") {
		case "centers":
			status, done = s.uploadCenters(w, r, a, &data)
		case "geo":
			status, done = s.uploadGeo(w, r, a, &data)
		default:
			s.errorPage(w, r, http.StatusBadRequest, "bad_request")
			return
		}
		if done {
			return
		}
	}
	cs, err := s.cfg.CounselStore.Centers(r.Context())
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	d, err := s.cfg.CounselLive.Directory(r.Context())
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	data.PostalCodes = d.PostalCodes()
	data.Total = len(cs)
	data.Pages = max(1, (len(cs)+centersPerPage-1)/centersPerPage)
	data.Page = 1
	if p := r.URL.Query().Get("page"); p != "" {
		if data.Page, err = strconv.Atoi(p); err != nil || data.Page < 1 || data.Page > data.Pages {
			s.errorPage(w, r, http.StatusNotFound, "not_found")
			return
		}
	}
	from := (data.Page - 1) * centersPerPage
	data.Centers = cs[from:min(len(cs), from+centersPerPage)]
	if data.Page > 1 {
		data.Prev = data.Page - 1
	}
	if data.Page < data.Pages {
		data.Next = data.Page + 1
	}
	s.renderForm(w, r, status, "sitecounsel", s.tr(lang, "counsel_admin_heading"), data)
}

// requireCounselAdmin is requireAdmin for the counselling pages, which need the
// directory's store.
func (s *Server) requireCounselAdmin(w http.ResponseWriter, r *http.Request) (adminSession, bool) {
	a, ok := s.requireAdmin(w, r, nil)
	if !ok {
		return a, false
	}
	if !s.counselAdmin() {
		s.errorPage(w, r, http.StatusNotFound, "not_found")
		return a, false
	}
	return a, true
}

// uploadGuard is formGuard for a form with a file: the upload may be large, and the
// token is among the form's parts.
func (s *Server) uploadGuard(w http.ResponseWriter, r *http.Request) bool {
	if !s.limit.allow(r) {
		s.errorPage(w, r, http.StatusTooManyRequests, "too_many")
		return false
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxUpload)
	if err := r.ParseMultipartForm(uploadMemory); err != nil {
		s.errorPage(w, r, http.StatusBadRequest, "bad_request")
		return false
	}
	if !s.checkCSRF(r) {
		s.errorPage(w, r, http.StatusForbidden, "csrf")
		return false
	}
	return true
}

// uploadCenters replaces the directory with the uploaded centres file when every
// line of it is good; otherwise it lists every bad line and imports nothing.
func (s *Server) uploadCenters(w http.ResponseWriter, r *http.Request, a adminSession, data *siteCounselData) (int, bool) {
	lang := s.lang(r)
	f, hdr, err := r.FormFile("file")
	if err != nil {
		data.Errors["centers_file"] = s.tr(lang, "counsel_admin_no_file")
		return http.StatusBadRequest, false
	}
	defer f.Close()
	cs, problems := counsel.ParseCenters(f, hdr.Filename)
	if len(problems) > 0 || len(cs) == 0 {
		data.File = hdr.Filename
		for _, p := range problems {
			data.Problems = append(data.Problems, s.counselProblem(lang, p))
		}
		data.Errors["centers_file"] = s.tr(lang, "counsel_admin_bad_file")
		return http.StatusBadRequest, false
	}
	if err := counsel.SaveCenters(r.Context(), s.cfg.CounselStore, cs); err != nil {
		s.internalError(w, r, err)
		return 0, true
	}
	s.counselReload(r.Context())
	s.auditCounsel(r.Context(), a, lists.AuditCounselCenters, strconv.Itoa(len(cs))+" centres")
	http.Redirect(w, r, "/admin/beratung?imported=centers&n="+strconv.Itoa(len(cs))+"&lang="+lang, http.StatusSeeOther)
	return 0, true
}

// uploadGeo replaces the postal-code places of the countries in the uploaded
// GeoNames file (its .txt or .zip).
func (s *Server) uploadGeo(w http.ResponseWriter, r *http.Request, a adminSession, data *siteCounselData) (int, bool) {
	lang := s.lang(r)
	f, hdr, err := r.FormFile("file")
	if err != nil {
		data.Errors["geo_file"] = s.tr(lang, "counsel_admin_no_file")
		return http.StatusBadRequest, false
	}
	defer f.Close()
	// The reader of `listd geo import` takes a file (a .zip needs to seek).
	tmp, err := os.CreateTemp("", "listd-geo-*")
	if err != nil {
		s.internalError(w, r, err)
		return 0, true
	}
	defer os.Remove(tmp.Name())
	_, err = io.Copy(tmp, f)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		s.internalError(w, r, err)
		return 0, true
	}
	ps, err := counsel.ReadGeoNamesFile(tmp.Name())
	if err == nil && len(ps) == 0 {
		err = errors.New("no places")
	}
	if err != nil {
		var le *counsel.LineError
		if errors.As(err, &le) {
			data.Problems = []counselProblem{s.counselProblem(lang, le)}
		}
		data.File = hdr.Filename
		data.Errors["geo_file"] = s.tr(lang, "counsel_admin_bad_geo")
		return http.StatusBadRequest, false
	}
	if err := counsel.SavePlaces(r.Context(), s.cfg.CounselStore, ps); err != nil {
		s.internalError(w, r, err)
		return 0, true
	}
	d := s.counselReload(r.Context())
	n := len(ps)
	if d != nil {
		n = d.PostalCodes()
	}
	s.auditCounsel(r.Context(), a, lists.AuditCounselGeo, strconv.Itoa(len(ps))+" places")
	http.Redirect(w, r, "/admin/beratung?imported=geo&n="+strconv.Itoa(n)+"&lang="+lang, http.StatusSeeOther)
	return 0, true
}

// counselReload builds the served directory again from the store, as SIGHUP does.
// A failure is logged: the data is saved, and the next reload or version check
// picks it up.
func (s *Server) counselReload(ctx context.Context) *counsel.Directory {
	d, err := s.cfg.CounselLive.Reload(ctx)
	if err != nil {
		s.log.ErrorContext(ctx, "counselling directory reload", "err", err)
		return nil
	}
	return d
}

// siteCounselExport is /admin/beratung/export: the directory as a centres file.
func (s *Server) siteCounselExport(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.requireCounselAdmin(w, r); !ok {
		return
	}
	cs, err := s.cfg.CounselStore.Centers(r.Context())
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	var b bytes.Buffer
	if err := counsel.WriteCenters(&b, counsel.FromStore(cs)); err != nil {
		s.internalError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="beratungsstellen.csv"`)
	w.Write(b.Bytes())
}

// counselEditData is the data of a centre's edit page.
type counselEditData struct {
	Admin  adminSession
	ID     int64
	Fields []counselField
	Errors fieldErrors
}

// counselField is one field of the edit form.
type counselField struct {
	Name, Value string
	Long        bool // a textarea
}

// siteCounselEdit is /admin/beratung/{id}: one centre, checked on saving by the
// same rules as a line of the centres file.
func (s *Server) siteCounselEdit(w http.ResponseWriter, r *http.Request) {
	a, ok := s.requireCounselAdmin(w, r)
	if !ok {
		return
	}
	lang := s.lang(r)
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	cs, lerr := s.cfg.CounselStore.Centers(r.Context())
	if lerr != nil {
		s.internalError(w, r, lerr)
		return
	}
	at := -1
	for i := range cs {
		if err == nil && cs[i].ID == id {
			at = i
		}
	}
	if at < 0 {
		s.errorPage(w, r, http.StatusNotFound, "not_found")
		return
	}
	// The centre as the file would have it: one line under the export's header.
	var b bytes.Buffer
	if err := counsel.WriteCenters(&b, counsel.FromStore(cs[at:at+1])); err != nil {
		s.internalError(w, r, err)
		return
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil || len(recs) != 2 || len(recs[0]) != len(counselFields) {
		s.internalError(w, r, fmt.Errorf("centre %d as CSV: %v", id, err))
		return
	}
	values := recs[1]
	data := counselEditData{Admin: a, ID: id, Errors: fieldErrors{}}
	status := http.StatusOK
	if r.Method == http.MethodPost {
		if !s.formGuard(w, r) {
			return
		}
		for i, f := range counselFields {
			values[i] = strings.TrimSpace(r.PostFormValue(f))
		}
		var line bytes.Buffer
		cw := csv.NewWriter(&line)
		cw.Write(counselFields)
		cw.Write(values)
		cw.Flush()
		parsed, problems := counsel.ParseCenters(&line, "form")
		for _, p := range problems {
			field := p.Column
			if _, ok := data.Errors[field]; ok || !knownCounselField(field) {
				field = "name"
			}
			data.Errors[field] = p.Text(s.cat.Load(), i18n.Lang(lang))
		}
		if len(problems) == 0 && len(parsed) == 1 {
			all := counsel.FromStore(cs)
			all[at] = parsed[0]
			if err := counsel.SaveCenters(r.Context(), s.cfg.CounselStore, all); err != nil {
				s.internalError(w, r, err)
				return
			}
			s.counselReload(r.Context())
			s.auditCounsel(r.Context(), a, lists.AuditCounselEdit, parsed[0].Name)
			http.Redirect(w, r, "/admin/beratung?lang="+lang, http.StatusSeeOther)
			return
		}
		status = http.StatusBadRequest
	}
	for i, f := range counselFields {
		data.Fields = append(data.Fields, counselField{Name: f, Value: values[i], Long: f == "hours" || f == "accessibility"})
	}
	s.renderForm(w, r, status, "sitecounseledit", s.tr(lang, "counsel_admin_edit_heading"), data)
}

func knownCounselField(f string) bool {
	for _, k := range counselFields {
		if k == f {
			return true
		}
	}
	return false
}

// auditCounsel records a change of the directory in the list domain's audit log.
func (s *Server) auditCounsel(ctx context.Context, a adminSession, action lists.AuditAction, detail string) {
	if sd, ok := s.siteDomain(); ok {
		sd.AuditCounsel(ctx, lists.Actor(a.Address), action, detail)
	}
}
