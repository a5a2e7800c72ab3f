package web

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"

	"listd/internal/lists"
	"listd/internal/store"
)

// The list owners' pages below /NAME/admin/: settings, members, bans, the audit
// log and (site admins only) deleting the list. Every change goes through the list
// domain with the acting address, which writes the audit entry and does each change
// in one transaction; who may enter is requireAdmin's (the domain's access rule).

// ownerDomain is the part of the list domain the owners' pages call (implemented by
// *lists.Service).
type OwnerDomain interface {
	UpdateListBy(ctx context.Context, by lists.Actor, name string, o lists.ListSettings) (*store.List, error)
	PreviewTexts(ctx context.Context, list string, o lists.ListSettings) (lists.TextsPreview, error)
	SearchMembers(ctx context.Context, list string, q lists.MemberSearch) (*lists.MemberPage, error)
	Member(ctx context.Context, list, address string) (*store.Member, error)
	SetMember(ctx context.Context, by lists.Actor, list, address string, c lists.MemberChange) (*store.Member, error)
	ReenableMember(ctx context.Context, by lists.Actor, list, address string) error
	InviteMember(ctx context.Context, by lists.Actor, list, address string, o lists.MemberOptions, lang string) error
	AddMemberBy(ctx context.Context, by lists.Actor, list, address string, o lists.MemberOptions) (*store.Member, error)
	RemoveMemberBy(ctx context.Context, by lists.Actor, list, address string) error
	ImportMembersCSV(ctx context.Context, by lists.Actor, list string, r io.Reader, o lists.CSVImportOptions) (lists.CSVImportResult, error)
	ExportMembersCSV(ctx context.Context, by lists.Actor, list string, w io.Writer) error
	PosterNumber(l *store.List, address string) lists.PosterNumber
	AddBan(ctx context.Context, by lists.Actor, list, what string) (string, error)
	RemoveBan(ctx context.Context, by lists.Actor, list, what string) (string, error)
	Bans(ctx context.Context, list string) ([]store.Ban, error)
	AuditLog(ctx context.Context, list string, before int64, limit int) ([]lists.AuditEntry, error)
	DeleteList(ctx context.Context, by lists.Actor, name string) (*store.DeletedList, error)
}

// ownerRoutes serves the owners' pages; it reports whether rest was one of them.
func (s *Server) ownerRoutes(w http.ResponseWriter, r *http.Request, rest string) bool {
	page, arg, _ := strings.Cut(strings.TrimPrefix(rest, "admin/"), "/")
	if !strings.HasPrefix(rest, "admin/") {
		return false
	}
	var h func(http.ResponseWriter, *http.Request, OwnerDomain, adminSession, string)
	switch {
	case page == "settings" && arg == "":
		h = s.ownerSettings
	case page == "members" && arg == "":
		h = s.ownerMembers
	case page == "members" && arg == "import":
		h = s.ownerImport
	case page == "members.csv" && arg == "":
		h = s.ownerExport
	case page == "members":
		h = s.ownerMember
	case page == "bans" && arg == "":
		h = s.ownerBans
	case page == "audit" && arg == "":
		h = s.ownerAudit
	case page == "delete" && arg == "":
		h = s.ownerDelete
	default:
		return false
	}
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		s.errorPage(w, r, http.StatusMethodNotAllowed, "bad_request")
		return true
	}
	d := s.cfg.Lists.Owner
	if d == nil {
		s.errorPage(w, r, http.StatusNotFound, "not_found")
		return true
	}
	a, ok := s.requireListAdmin(w, r)
	if !ok {
		return true
	}
	h(w, r, d, a, arg)
	return true
}

// ownerPage is what every owner page has: the admin session (for the navigation)
// and the result of the last action.
type ownerPage struct {
	Admin  adminSession
	Done   string      // what the last action did, in the reader's language
	Errors fieldErrors // by field
}

// ownerBase is the list's admin path, "/NAME/admin/".
func (a adminSession) ownerBase() string { return "/" + a.List.Name + "/admin/" }

// ownerActor is who acts, for the list domain's audit log.
func (a adminSession) ownerActor() lists.Actor { return lists.Actor(a.Address) }

// ownerTitle is a page's title: its heading and the list.
func (s *Server) ownerTitle(lang, key string, l *store.List) string {
	return s.tr(lang, key) + " · " + listTitle(l)
}

// ownerDomainError is the sentence for an error of the list domain on a form, with the
// field it belongs to ("" for the form as a whole); ok is false for an error that
// is not the input's fault.
func (s *Server) ownerDomainError(lang string, err error) (field, text string, ok bool) {
	switch {
	case errors.Is(err, lists.ErrExists):
		return "", s.tr(lang, "owner_exists"), true
	case errors.Is(err, lists.ErrNoSuchMember):
		return "", s.tr(lang, "owner_no_member"), true
	case errors.Is(err, lists.ErrBanned):
		return "address", s.tr(lang, "error_banned"), true
	case errors.Is(err, lists.ErrRateLimited):
		return "", s.tr(lang, "too_many_mails_text"), true
	}
	return s.inputError(lang, err)
}

// Modes are the delivery modes, for the forms' select boxes.
func (ownerPage) Modes() []string { return wordsOf(lists.Modes()) }

// Roles are the roles on a list, for the forms' select boxes.
func (ownerPage) Roles() []string { return wordsOf(lists.Roles()) }
