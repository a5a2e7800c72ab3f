// Package lists owns the domain of listd: lists, members and their roles, the
// addresses a list answers to, and the one place that decides what happens to a post.
// It knows nothing of SMTP servers, HTTP or IMAP; those adapt to it.
package lists

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"listd/internal/i18n"
	"log/slog"
	"net/mail"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/semaphore"

	"listd/internal/store"
	"listd/internal/token"
)

// Config is the site settings the domain needs.
type Config struct {
	Domain   string
	BaseURL  string
	Language string
	Now      func() time.Time // nil for time.Now
	Logger   *slog.Logger
	// Kick is called after posts were queued (the delivery queue's Kick); may be nil.
	Kick       func()
	Registerer prometheus.Registerer // may be nil
	Templates  fs.FS                 // holds mail/de/*.txt and mail/en/*.txt
	// Resolver looks up senders' DMARC policies and authenticates them (SPF, DKIM,
	// DMARC); nil never rewrites From for DMARC and proves no sender by DNS.
	Resolver Resolver
	// TrustedAuthServID is the authserv-id of the local mail server whose
	// Authentication-Results are believed ([smtp] trusted_authserv_id); "" none.
	TrustedAuthServID string
	// Counsel is the counselling directory; nil turns counselling replies off.
	Counsel         Directories
	CounselSettings CounselConfig
	// ErasePosts is what Erase does with an erased address's posts; "" anonymizes.
	ErasePosts ErasePolicy
	// Admins are the site admins the config file names (see IsSiteAdmin).
	Admins []string
	// Site are the site settings' defaults (see SiteSettings).
	Site SiteSettings
}

// Service is the list domain.
type Service struct {
	st     *store.DB // the one store; SQL lives there
	signer *token.Signer
	cfg    Config
	log    *slog.Logger

	posts      *prometheus.CounterVec
	bounces    *prometheus.CounterVec
	limited    *prometheus.CounterVec // mails to unconfirmed addresses not sent (unconfirmed.go)
	senderAuth *prometheus.CounterVec
	firstPosts *prometheus.CounterVec        // first posts by channel (webpost.go)
	mails      atomic.Pointer[mailTemplates] // replaced whole by ReloadTemplates
	cat        atomic.Pointer[i18n.Catalog]  // the texts, replaced with the mails
	site       atomic.Pointer[SiteSettings]  // the site settings last read, for the footer of notices

	// receiving bounds the bytes of messages being parsed, composed and stored at
	// once (see Txn.Deliver).
	receiving *semaphore.Weighted

	mu       sync.Mutex
	prepared map[int64]*preparedEntry // rendering cache, see render.go
	digests  digestCache
	dmarc    dmarcCache
	clock    uint64
}

// New returns the list domain over st, signing tokens with signer.
func New(st *store.DB, signer *token.Signer, cfg Config) (*Service, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.ErasePosts == "" {
		cfg.ErasePosts = ErasePostsAnonymize
	}
	if _, err := ParseErasePolicy(string(cfg.ErasePosts)); err != nil {
		return nil, fmt.Errorf("erase_posts: %w", err)
	}
	if cfg.CounselSettings.Results == 0 {
		cfg.CounselSettings.Results = 3
	}
	if cfg.CounselSettings.RadiusKM == 0 {
		cfg.CounselSettings.RadiusKM = 50
	}
	s := &Service{st: st, signer: signer, cfg: cfg, log: cfg.Logger, prepared: map[int64]*preparedEntry{},
		receiving: semaphore.NewWeighted(receiveBudget)}
	if err := s.ReloadTemplates(cfg.Templates); err != nil {
		return nil, err
	}
	s.posts = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "listd_posts_total",
		Help: "Posts received, by what was decided.",
	}, []string{"result"})
	s.bounces = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "listd_bounces_total",
		Help: "Mail to the bounce addresses, by class (hard, soft, dmarc, notabounce, forged).",
	}, []string{"class"})
	s.limited = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "listd_unconfirmed_limited_total",
		Help: "Mails to unconfirmed addresses not sent because the mailbox or the asking network had its budget.",
	}, []string{"scope"})
	s.senderAuth = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "listd_sender_auth_total",
		Help: "Posts that claim a member or trusted sender, and private messages, by the verdict on their author (pass, fail, none, temperror, unchecked) and what followed (accepted, held, deferred, refused).",
	}, []string{"verdict", "outcome"})
	s.firstPosts = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "listd_first_posts_total",
		Help: "Members' first posts, by the channel they came by (mail, web); never who wrote them.",
	}, []string{"channel"})
	if cfg.Registerer != nil {
		cfg.Registerer.MustRegister(s.posts, s.bounces, s.limited, s.senderAuth, s.firstPosts)
	}
	return s, nil
}

// Domain is the site's mail domain.
func (s *Service) Domain() string { return s.cfg.Domain }

// Errors for the command line and the web to show.
var (
	ErrNoSuchList   = errors.New("no such list")
	ErrNoSuchMember = errors.New("not a member")
	ErrExists       = errors.New("already exists")
)

// InputError is bad input from an operator or user: the one type of field errors.
// Field names the value that is wrong (a form field: "address", "name", "postal",
// "mode", "digest_format", "subject", "text", "attachment", "email"), "" when the
// error is about no one field. Key, when set, names the sentence a page shows next
// to the field (the message catalogue's page section, in the reader's language);
// without it pages show their own sentence for the field, and Msg is a sentence for
// operators (the command line prints it).
type InputError struct {
	Msg   string
	Field string
	Key   string
}

func (e *InputError) Error() string {
	if e.Msg == "" {
		return e.Field + ": " + e.Key
	}
	return e.Msg
}

func inputErr(format string, args ...any) error {
	return &InputError{Msg: fmt.Sprintf(format, args...)}
}

// fieldErr is an InputError about one field.
func fieldErr(field, format string, args ...any) error {
	return &InputError{Msg: fmt.Sprintf(format, args...), Field: field}
}

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_.]{0,62}[a-z0-9]$|^[a-z0-9]$`)

// reservedNames are site addresses and web paths that no list may take, and INBOX,
// which IMAP gives every user.
var reservedNames = map[string]bool{"beratung": true, "postmaster": true, "abuse": true, "mailer-daemon": true, "root": true,
	"api": true, "static": true, "outbox": true, "u": true, "login": true, "logout": true, "prefs": true, "mod": true,
	"confirm": true, "reenable": true, "healthz": true, "metrics": true, "search": true, "inbox": true, "admin": true}

// ListOptions are the settings of a new list.
type ListOptions struct {
	Title       string
	Description string
	Archive     string // public, members, private; "" for public
	Moderation  string // none, first-post, all; "" for none
	Topics      []string
	Anonymous   string // yes, no; "" for yes
	// Settings are more settings by name (see Settings), as `list create`'s
	// flags give them; they win over the fields above.
	Settings ListSettings
}

// settings are o as values by setting name, the default of each setting that
// list create takes where o leaves it; the others start as the store's defaults.
func (o ListOptions) settings() ListSettings {
	v := ListSettings{}
	for _, s := range Settings() {
		if s.Create && s.Default != "" {
			v[s.Name] = s.Default
		}
	}
	set := func(name, val string) {
		if val != "" {
			v[name] = val
		}
	}
	set("title", o.Title)
	set("description", o.Description)
	set("archive", o.Archive)
	set("moderation", o.Moderation)
	set("anonymous", o.Anonymous)
	if o.Topics != nil {
		v["topics"] = strings.Join(o.Topics, ",")
	}
	for name, val := range o.Settings {
		v[name] = val
	}
	return v
}

// CreateList validates and creates a list, as the operator at the command line asked.
func (s *Service) CreateList(ctx context.Context, name string, o ListOptions) (*store.List, error) {
	return s.CreateListBy(ctx, ActorCLI, name, o)
}

// CreateListBy validates and creates a list, and records it in the audit log.
func (s *Service) CreateListBy(ctx context.Context, by Actor, name string, o ListOptions) (*store.List, error) {
	name = strings.ToLower(strings.TrimSpace(name))
	if !nameRE.MatchString(name) || reservedNames[name] {
		return nil, fieldErr("list_name", "list name %q: use lower-case letters, digits, '.' and '_' (no '-': it separates the list's own addresses), and not a reserved name", name)
	}
	l := &store.List{Name: name}
	if err := applySettings(l, o.settings()); err != nil {
		return nil, err
	}
	if err := s.st.CreateList(ctx, l); err != nil {
		if errors.Is(err, store.ErrExists) {
			return nil, fmt.Errorf("list %s: %w", name, ErrExists)
		}
		return nil, err
	}
	s.audit(ctx, by, l, AuditListCreate, "")
	return l, nil
}

// Lists returns every list.
func (s *Service) Lists(ctx context.Context) ([]*store.List, error) { return s.st.Lists(ctx) }

// List returns the named list or ErrNoSuchList.
func (s *Service) List(ctx context.Context, name string) (*store.List, error) {
	l, err := s.st.ListByName(ctx, strings.ToLower(name))
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%s: %w", name, ErrNoSuchList)
	}
	return l, err
}

// MemberOptions are the settings of a member.
type MemberOptions struct {
	Name   string
	Mode   string // each, digest, nomail; "" for each
	Role   string // member, moderator, owner; "" for member
	Postal string
	// AutoReplies is "yes" or "no" to change whether the member gets pointers to
	// counselling centres; "" leaves it.
	AutoReplies string
	// DigestFormat is newsletter, mime or plain (RFC 1153); "" leaves it.
	DigestFormat string
}

func (o MemberOptions) validate() (MemberOptions, error) {
	o.Mode, o.Role = or(o.Mode, string(ModeEach)), or(o.Role, string(RoleMember))
	if _, err := ParseMode(o.Mode); err != nil {
		return o, flagErr("mode", err)
	}
	if _, err := ParseRole(o.Role); err != nil {
		return o, flagErr("role", err)
	}
	if o.DigestFormat != "" && !oneOf(o.DigestFormat, "newsletter", "mime", "plain") {
		return o, fieldErr("digest_format", "-digest-format %q: must be newsletter, mime or plain", o.DigestFormat)
	}
	o.Postal = strings.TrimSpace(o.Postal)
	if o.Postal != "" && !postalRE.MatchString(o.Postal) {
		return o, fieldErr("postal", "-postal %q: not a postal code", o.Postal)
	}
	return o, nil
}

var postalRE = regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z -]{1,9}$`)

// NormalizeAddress parses "addr" or "Name <addr>" and returns the lower-cased address
// and the name.
func NormalizeAddress(s string) (addr, name string, err error) {
	s = strings.TrimSpace(s)
	a, err := mail.ParseAddress(s)
	if err != nil {
		return "", "", fieldErr("address", "%q is not a mail address", s)
	}
	if !strings.Contains(a.Address, "@") || strings.ContainsAny(a.Address, " \t\r\n") {
		return "", "", fieldErr("address", "%q is not a mail address", s)
	}
	return strings.ToLower(a.Address), a.Name, nil
}

// AddMember adds address to the list as the operator at the command line asked: no
// confirmation.
func (s *Service) AddMember(ctx context.Context, list, address string, o MemberOptions) (*store.Member, error) {
	return s.AddMemberBy(ctx, ActorCLI, list, address, o)
}

// AddMemberBy adds address to the list as an owner or admin asked, without a
// confirmation mail, and records it in the audit log. A banned address is refused.
func (s *Service) AddMemberBy(ctx context.Context, by Actor, list, address string, o MemberOptions) (*store.Member, error) {
	l, err := s.List(ctx, list)
	if err != nil {
		return nil, err
	}
	addr, name, err := NormalizeAddress(address)
	if err != nil {
		return nil, err
	}
	if o, err = o.validate(); err != nil {
		return nil, err
	}
	if err := s.banned(ctx, l, addr); err != nil {
		return nil, fmt.Errorf("%s: %w", addr, err)
	}
	m := &store.Member{ListID: l.ID, Address: addr, Name: or(o.Name, name), Mode: o.Mode, Role: o.Role, Postal: o.Postal,
		DigestFormat: o.DigestFormat}
	if err := s.st.AddMember(ctx, m); err != nil {
		if errors.Is(err, store.ErrExists) {
			return nil, fmt.Errorf("%s on %s: %w", addr, l.Name, ErrExists)
		}
		return nil, err
	}
	s.audit(ctx, by, l, AuditMemberAdd, fmt.Sprintf("%s, %s, %s", s.memberRef(l, addr), m.Role, m.Mode))
	return m, nil
}

// RemoveMember takes address off the list, as the operator at the command line asked.
func (s *Service) RemoveMember(ctx context.Context, list, address string) error {
	return s.RemoveMemberBy(ctx, ActorCLI, list, address)
}

// RemoveMemberBy takes address off the list as an owner or admin asked, and records
// it in the audit log.
func (s *Service) RemoveMemberBy(ctx context.Context, by Actor, list, address string) error {
	l, addr, err := s.listAndAddress(ctx, list, address)
	if err != nil {
		return err
	}
	if err := s.st.RemoveMember(ctx, l.ID, addr); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("%s on %s: %w", addr, l.Name, ErrNoSuchMember)
		}
		return err
	}
	s.audit(ctx, by, l, AuditMemberRemove, s.memberRef(l, addr))
	return nil
}

// Members returns the list's members.
func (s *Service) Members(ctx context.Context, list string) ([]*store.Member, error) {
	l, err := s.List(ctx, list)
	if err != nil {
		return nil, err
	}
	return s.st.Members(ctx, l.ID)
}

// LineError names the line of an input file that is wrong.
type LineError struct {
	File string
	Line int
	Err  error
}

func (e *LineError) Error() string { return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err) }
func (e *LineError) Unwrap() error { return e.Err }

// ImportMembers adds the addresses in lines (one "addr" or "Name <addr>" a line; blank
// lines and lines starting with # are skipped). Nothing is imported if any line is
// bad. It returns how many were new.
func (s *Service) ImportMembers(ctx context.Context, list, file string, lines []string, o MemberOptions) (int, error) {
	l, err := s.List(ctx, list)
	if err != nil {
		return 0, err
	}
	if o, err = o.validate(); err != nil {
		return 0, err
	}
	var ms []*store.Member
	for i, line := range lines {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		addr, name, err := NormalizeAddress(line)
		if err == nil {
			err = s.banned(ctx, l, addr)
		}
		if err != nil {
			return 0, &LineError{File: file, Line: i + 1, Err: err}
		}
		ms = append(ms, &store.Member{ListID: l.ID, Address: addr, Name: name, Mode: o.Mode, Role: o.Role})
	}
	n, err := s.st.ImportMembers(ctx, ms)
	if err != nil {
		return 0, err
	}
	s.audit(ctx, ActorCLI, l, AuditMemberImport, fmt.Sprintf("%d new of %d", n, len(ms)))
	return n, nil
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func oneOf(s string, set ...string) bool {
	for _, x := range set {
		if s == x {
			return true
		}
	}
	return false
}

func cleanTopics(ts []string) []string {
	var out []string
	for _, t := range ts {
		if t = strings.ToLower(strings.TrimSpace(t)); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// UpdateList validates and saves changes to a list's settings, all of them or
// none, as the operator at the command line asked.
func (s *Service) UpdateList(ctx context.Context, name string, o ListSettings) (*store.List, error) {
	return s.UpdateListBy(ctx, ActorCLI, name, o)
}

// UpdateListBy validates and saves changes to a list's settings, all of them or
// none, and records which settings changed in the audit log.
func (s *Service) UpdateListBy(ctx context.Context, by Actor, name string, o ListSettings) (*store.List, error) {
	l, err := s.List(ctx, name)
	if err != nil {
		return nil, err
	}
	if err := applySettings(l, o); err != nil {
		return nil, err
	}
	if err := s.st.SaveList(ctx, l); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(o))
	for k := range o {
		names = append(names, k)
	}
	sort.Strings(names)
	s.audit(ctx, by, l, AuditListSet, strings.Join(names, ","))
	return l, nil
}
