package lists

import (
	"context"
	"errors"
	"fmt"
	"listd/internal/i18n"
	"net/url"
	"sort"
	"strings"
	"time"

	"golang.org/x/net/idna"

	"listd/internal/store"
)

// Running the site: site admins, the audit log of every admin, owner and moderator
// action, bans, deleting a list, and the site settings. The command line and the
// web call these; both name who acts (an address, or ActorCLI).

// Actor is who does an admin, owner or moderator action: the address they logged in
// with, ActorCLI or ActorSystem.
type Actor string

// The actors that are not a person's address.
const (
	ActorCLI    Actor = "cli"    // the command line: whoever runs listd on the server
	ActorSystem Actor = "system" // listd itself
)

// AuditAction is what an audit log entry records.
type AuditAction string

// The actions the audit log records.
const (
	AuditListCreate     AuditAction = "list-create"
	AuditListSet        AuditAction = "list-set"
	AuditListDelete     AuditAction = "list-delete"
	AuditMemberAdd      AuditAction = "member-add"
	AuditMemberInvite   AuditAction = "member-invite"
	AuditMemberRemove   AuditAction = "member-remove"
	AuditMemberSet      AuditAction = "member-set"
	AuditMemberImport   AuditAction = "member-import"
	AuditMemberExport   AuditAction = "member-export"
	AuditMemberReenable AuditAction = "member-reenable"
	AuditMemberReveal   AuditAction = "member-reveal"
	AuditBanAdd         AuditAction = "ban-add"
	AuditBanRemove      AuditAction = "ban-remove"
	AuditAdminAdd       AuditAction = "admin-add"
	AuditAdminRemove    AuditAction = "admin-remove"
	AuditSiteSet        AuditAction = "site-set"
	AuditModerate       AuditAction = "moderate"
	AuditCounselCenters AuditAction = "counsel-centers" // the centres file replaced
	AuditCounselEdit    AuditAction = "counsel-edit"    // one centre changed
	AuditCounselGeo     AuditAction = "counsel-geo"     // postal codes replaced
)

// AuditEntry is one recorded action.
type AuditEntry struct {
	ID     int64
	List   string // "" for a site-wide action
	Actor  Actor
	Action AuditAction
	Detail string // what was done to what; members are named by poster number
	At     time.Time
}

// audit records an action on l (nil for the site). A failure to record is logged:
// the action itself was done.
func (s *Service) audit(ctx context.Context, by Actor, l *store.List, action AuditAction, detail string) {
	e := auditEntry(by, l, action, detail)
	if err := s.st.Audit(ctx, e); err != nil {
		s.log.Error("audit log", "action", string(action), "err", err)
	}
}

func auditEntry(by Actor, l *store.List, action AuditAction, detail string) *store.AuditEntry {
	actor := strings.ToLower(strings.TrimSpace(string(by)))
	e := &store.AuditEntry{Actor: or(actor, string(ActorCLI)), Action: string(action), Detail: detail}
	if l != nil {
		e.ListID, e.ListName = l.ID, l.Name
	}
	return e
}

// memberRef names a member in the audit log without their address: the list's
// stable poster number of the mailbox (the number moderators see on held posts).
func (s *Service) memberRef(l *store.List, addr string) string {
	return "poster " + string(s.posterNumber(l, addr))
}

// AuditCounsel records a change of the counselling directory, which is kept
// outside the list domain (internal/counsel); detail says what, naming no person.
func (s *Service) AuditCounsel(ctx context.Context, by Actor, action AuditAction, detail string) {
	s.audit(ctx, by, nil, action, detail)
}

// AuditLog returns a page of the audit log, newest first: the list's entries, or
// with list "" every entry (for site admins). before is the ID of the last entry of
// the page before (0 for the newest); limit is at most 1000 (0 for 100).
func (s *Service) AuditLog(ctx context.Context, list string, before int64, limit int) ([]AuditEntry, error) {
	q := store.AuditQuery{Before: before, Limit: limit}
	if list != "" {
		l, err := s.List(ctx, list)
		if err != nil {
			return nil, err
		}
		q.ListID = l.ID
	}
	es, err := s.st.AuditLog(ctx, q)
	if err != nil {
		return nil, err
	}
	out := make([]AuditEntry, len(es))
	for i, e := range es {
		out[i] = AuditEntry{ID: e.ID, List: e.ListName, Actor: Actor(e.Actor), Action: AuditAction(e.Action), Detail: e.Detail, At: e.At}
	}
	return out, nil
}

// IsSiteAdmin reports whether address is a site admin's: named in the config's
// admins or added with AddSiteAdmin, compared as mailboxes (case and +tag folded).
func (s *Service) IsSiteAdmin(ctx context.Context, address string) (bool, error) {
	if strings.TrimSpace(address) == "" {
		return false, nil
	}
	mb := MailboxOf(address)
	if strings.HasPrefix(string(mb), "@") || !strings.Contains(string(mb), "@") {
		return false, nil // nothing before the @ once folded: nobody's mailbox
	}
	for _, a := range s.cfg.Admins {
		if MailboxOf(a) == mb {
			return true, nil
		}
	}
	return s.st.IsStoredSiteAdmin(ctx, string(mb))
}

// ViewerOf is the kind of viewer a proven address is (from a web session or an IMAP
// login): SiteAdmin for a site admin, LoggedIn for anyone else, Stranger for "".
func (s *Service) ViewerOf(ctx context.Context, address string) (Viewer, error) {
	if address == "" {
		return Stranger, nil
	}
	ok, err := s.IsSiteAdmin(ctx, address)
	if err != nil {
		return Stranger, err
	}
	if ok {
		return SiteAdmin, nil
	}
	return LoggedIn, nil
}

// SiteAdminEntry is one site admin and where they are named.
type SiteAdminEntry struct {
	Mailbox Mailbox
	Config  bool // named in the config file: only an edit there removes them
}

// SiteAdmins returns the site admins, from the config and the database, by mailbox.
func (s *Service) SiteAdmins(ctx context.Context) ([]SiteAdminEntry, error) {
	stored, err := s.st.SiteAdmins(ctx)
	if err != nil {
		return nil, err
	}
	seen := map[Mailbox]bool{}
	var out []SiteAdminEntry
	for _, a := range s.cfg.Admins {
		if mb := MailboxOf(a); !seen[mb] {
			seen[mb] = true
			out = append(out, SiteAdminEntry{Mailbox: mb, Config: true})
		}
	}
	for _, a := range stored {
		if mb := Mailbox(a); !seen[mb] {
			seen[mb] = true
			out = append(out, SiteAdminEntry{Mailbox: mb})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Mailbox < out[j].Mailbox })
	return out, nil
}

// AddSiteAdmin makes address a site admin.
func (s *Service) AddSiteAdmin(ctx context.Context, by Actor, address string) (Mailbox, error) {
	addr, _, err := NormalizeAddress(address)
	if err != nil {
		return "", err
	}
	mb := MailboxOf(addr)
	if strings.HasPrefix(string(mb), "@") {
		return "", inputErr("%q: no mailbox before the @", address)
	}
	if err := s.st.AddSiteAdmin(ctx, string(mb)); err != nil {
		if errors.Is(err, store.ErrExists) {
			return mb, fmt.Errorf("site admin %s: %w", mb, ErrExists)
		}
		return mb, err
	}
	s.audit(ctx, by, nil, AuditAdminAdd, string(mb))
	return mb, nil
}

// RemoveSiteAdmin takes address off the site admins added with AddSiteAdmin; those
// named in the config file stay until the file no longer names them.
func (s *Service) RemoveSiteAdmin(ctx context.Context, by Actor, address string) (Mailbox, error) {
	addr, _, err := NormalizeAddress(address)
	if err != nil {
		return "", err
	}
	mb := MailboxOf(addr)
	if err := s.st.RemoveSiteAdmin(ctx, string(mb)); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			for _, a := range s.cfg.Admins {
				if MailboxOf(a) == mb {
					return mb, inputErr("%s is a site admin by the config file's admins; remove it there", mb)
				}
			}
			return mb, inputErr("%s is not a site admin", mb)
		}
		return mb, err
	}
	s.audit(ctx, by, nil, AuditAdminRemove, string(mb))
	return mb, nil
}

// Bans.

// ErrBanned means the address or its domain is banned from the list: it may not
// join nor post.
var ErrBanned = errors.New("this address may not join or post to this list")

// BannedError is ErrBanned for one list. It is also an *InputError (errors.As)
// whose sentence is in Lang, so that a form shows it next to the address.
type BannedError struct {
	List string
	Lang string // de or en; "" for German
}

func (e *BannedError) Error() string { return fmt.Sprintf("%s: %v", e.List, ErrBanned) }
func (e *BannedError) Unwrap() error { return ErrBanned }

// As makes a ban an input error for forms that show those.
func (e *BannedError) As(target any) bool {
	if ie, ok := target.(**InputError); ok {
		*ie = &InputError{Msg: i18n.Default().T(i18n.Or(e.Lang, i18n.German), "mail.banned"), Field: "address"}
		return true
	}
	return false
}

// ParseBan reads what a ban names: "@domain" (that domain and the domains under it)
// or an address, folded to its mailbox (case, +tag).
func ParseBan(s string) (string, error) {
	s = strings.TrimSpace(s)
	if d, ok := strings.CutPrefix(s, "@"); ok {
		d, err := foldDomain(d)
		if err != nil || !strings.Contains(d, ".") {
			return "", inputErr("%q is not a domain like @example.org", s)
		}
		return "@" + d, nil
	}
	addr, _, err := NormalizeAddress(s)
	mb := string(MailboxOf(addr))
	if err != nil || strings.HasPrefix(mb, "@") || strings.HasSuffix(mb, "@") {
		// An address whose mailbox folds to nothing before the @ ("+x@example.org")
		// would read as a ban of the whole domain.
		return "", inputErr("%q is neither a mail address nor a domain like @example.org", s)
	}
	return mb, nil
}

// foldDomain is a domain in lower case and its ASCII form.
func foldDomain(d string) (string, error) {
	d = strings.Trim(strings.ToLower(strings.TrimSpace(d)), ".")
	a, err := idna.Lookup.ToASCII(d)
	if err != nil || a == "" || strings.ContainsAny(a, "@ \t") {
		return "", fmt.Errorf("not a domain: %q", d)
	}
	return a, nil
}

// banPatterns are the ban patterns that would cover addr: its mailbox, its domain
// and every domain above it.
func banPatterns(addr string) []string {
	mb := string(MailboxOf(addr))
	out := []string{mb}
	_, d, ok := strings.Cut(mb, "@")
	if !ok {
		return out
	}
	for d != "" {
		out = append(out, "@"+d)
		_, d, ok = strings.Cut(d, ".")
		if !ok {
			break
		}
	}
	return out
}

// banned returns a *BannedError if the list bans any of addrs ("" are skipped).
func (s *Service) banned(ctx context.Context, l *store.List, addrs ...string) error {
	var ps []string
	for _, a := range addrs {
		if a != "" {
			ps = append(ps, banPatterns(a)...)
		}
	}
	p, err := s.st.Banned(ctx, l.ID, ps...)
	if err != nil {
		return err
	}
	if p != "" {
		return &BannedError{List: l.Name}
	}
	return nil
}

// IsBanned reports whether the list bans address.
func (s *Service) IsBanned(ctx context.Context, list, address string) (bool, error) {
	l, err := s.List(ctx, list)
	if err != nil {
		return false, err
	}
	err = s.banned(ctx, l, address)
	if errors.Is(err, ErrBanned) {
		return true, nil
	}
	return false, err
}

// banRef names a ban in the audit log: a domain as it is, a mailbox by its poster
// number (a banned person is still a person).
func (s *Service) banRef(l *store.List, pattern string) string {
	if strings.HasPrefix(pattern, "@") {
		return pattern
	}
	return s.memberRef(l, pattern)
}

// AddBan bans an address (as its mailbox) or a domain ("@example.org") from the
// list. Members it covers stay members until removed, but cannot post.
func (s *Service) AddBan(ctx context.Context, by Actor, list, what string) (string, error) {
	l, err := s.List(ctx, list)
	if err != nil {
		return "", err
	}
	p, err := ParseBan(what)
	if err != nil {
		return "", err
	}
	if err := s.st.AddBan(ctx, l.ID, p); err != nil {
		if errors.Is(err, store.ErrExists) {
			return p, fmt.Errorf("ban of %s on %s: %w", p, l.Name, ErrExists)
		}
		return p, err
	}
	s.audit(ctx, by, l, AuditBanAdd, s.banRef(l, p))
	return p, nil
}

// RemoveBan lifts a ban.
func (s *Service) RemoveBan(ctx context.Context, by Actor, list, what string) (string, error) {
	l, err := s.List(ctx, list)
	if err != nil {
		return "", err
	}
	p, err := ParseBan(what)
	if err != nil {
		return "", err
	}
	if err := s.st.RemoveBan(ctx, l.ID, p); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return p, inputErr("%s is not banned from %s", p, l.Name)
		}
		return p, err
	}
	s.audit(ctx, by, l, AuditBanRemove, s.banRef(l, p))
	return p, nil
}

// Bans returns the list's bans.
func (s *Service) Bans(ctx context.Context, list string) ([]store.Ban, error) {
	l, err := s.List(ctx, list)
	if err != nil {
		return nil, err
	}
	return s.st.Bans(ctx, l.ID)
}

// DeleteList deletes a list and everything it has (archive, members, held posts,
// queued copies), in one transaction, and purges the database of the traces.
func (s *Service) DeleteList(ctx context.Context, by Actor, name string) (*store.DeletedList, error) {
	l, err := s.List(ctx, name)
	if err != nil {
		return nil, err
	}
	e := auditEntry(by, nil, AuditListDelete, "")
	e.ListName = l.Name
	d, err := s.st.DeleteList(ctx, l.ID, e)
	s.forget(0)
	if err != nil {
		return d, err
	}
	s.log.Info("list deleted", "list", l.Name, "posts", d.Posts, "members", d.Members)
	return d, nil
}

// Site settings.

// SiteSettings are what every page and mail footer says about the site. The
// config's [site] gives the defaults; site admins change them on the web.
type SiteSettings struct {
	Name           string
	LogoURL        string
	Contact        string
	ImpressumURL   string
	DatenschutzURL string
	TimeZone       string
}

// fields are the settings by their stored name.
func (ss *SiteSettings) fields() map[string]*string {
	return map[string]*string{"name": &ss.Name, "logo_url": &ss.LogoURL, "contact": &ss.Contact,
		"impressum_url": &ss.ImpressumURL, "datenschutz_url": &ss.DatenschutzURL, "time_zone": &ss.TimeZone}
}

// Validate says which value cannot work, naming it.
func (ss SiteSettings) Validate() error {
	if len([]rune(ss.Name)) > 100 || strings.ContainsAny(ss.Name, "\r\n") {
		return inputErr("site name: at most 100 characters on one line")
	}
	for _, u := range []struct{ name, v string }{{"logo_url", ss.LogoURL}, {"impressum_url", ss.ImpressumURL},
		{"datenschutz_url", ss.DatenschutzURL}} {
		if u.v == "" {
			continue
		}
		p, err := url.Parse(u.v)
		if err != nil || !((p.Scheme == "https" || p.Scheme == "http") && p.Host != "" || p.Scheme == "" && strings.HasPrefix(u.v, "/") && !strings.HasPrefix(u.v, "//")) {
			return inputErr("%s %q: must be an http or https URL or a path on this site", u.name, u.v)
		}
	}
	if len(ss.Contact) > 200 || strings.ContainsAny(ss.Contact, "\r\n<>") {
		return inputErr("contact %q: an address or URL on one line", ss.Contact)
	}
	if ss.TimeZone != "" {
		if _, err := time.LoadLocation(ss.TimeZone); err != nil {
			return inputErr("time_zone %q: not a time zone like Europe/Berlin", ss.TimeZone)
		}
	}
	return nil
}

// SiteSettings returns the site settings: those changed on the web over the
// config's defaults.
func (s *Service) SiteSettings(ctx context.Context) (SiteSettings, error) {
	ss := s.cfg.Site
	set, err := s.st.SiteSettings(ctx)
	if err != nil {
		return ss, err
	}
	for k, p := range ss.fields() {
		if v, ok := set[k]; ok {
			*p = v
		}
	}
	s.site.Store(&ss)
	return ss, nil
}

// lastSite is the site settings as last read (the config's defaults before the
// first read), for the footer of notices, which are built without a context. Every
// page the web shows and every post's copies read them, so they follow a change
// made on the web or at the command line.
func (s *Service) lastSite() SiteSettings {
	if ss := s.site.Load(); ss != nil {
		return *ss
	}
	return s.cfg.Site
}

// SetSiteSettings validates and stores every site setting, all or none.
func (s *Service) SetSiteSettings(ctx context.Context, by Actor, ss SiteSettings) error {
	if err := ss.Validate(); err != nil {
		return err
	}
	old, err := s.SiteSettings(ctx)
	if err != nil {
		return err
	}
	set := map[string]string{}
	var changed []string
	oldF := old.fields()
	for k, p := range ss.fields() {
		set[k] = *p
		if *oldF[k] != *p {
			changed = append(changed, k)
		}
	}
	sort.Strings(changed)
	if err := s.st.SetSiteSettings(ctx, set, auditEntry(by, nil, AuditSiteSet, strings.Join(changed, ","))); err != nil {
		return err
	}
	s.site.Store(&ss)
	return nil
}

// ErrNotAllowed means the one asking may not do what they asked on this list.
var ErrNotAllowed = errors.New("not allowed")

// RevealHeldSender returns the address a held post came from, for an owner of its
// list or a site admin (the web asks them again first), and records that it was
// revealed. Moderators see the pseudonym and poster number only.
func (s *Service) RevealHeldSender(ctx context.Context, by Actor, heldID int64) (string, error) {
	h, err := s.st.HeldByID(ctx, heldID)
	if errors.Is(err, store.ErrNotFound) {
		return "", ErrNoSuchHeld
	}
	if err != nil {
		return "", err
	}
	l, err := s.st.ListByID(ctx, h.ListID)
	if err != nil {
		return "", err
	}
	v, err := s.ViewerOf(ctx, string(by))
	if err != nil {
		return "", err
	}
	m, err := s.st.Member(ctx, l.ID, strings.ToLower(string(by)))
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return "", err
	}
	if !MayAdminister(l, m, v) {
		return "", fmt.Errorf("revealing the sender on %s: %w", l.Name, ErrNotAllowed)
	}
	addr := or(h.FromAddr, h.EnvFrom)
	if err := s.st.Audit(ctx, auditEntry(by, l, AuditMemberReveal, fmt.Sprintf("sender of held #%d, %s", h.ID, s.memberRef(l, addr)))); err != nil {
		return "", err // nothing is revealed that is not recorded
	}
	return addr, nil
}
