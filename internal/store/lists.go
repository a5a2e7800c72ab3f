package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// List is one mailing list's settings.
type List struct {
	ID          int64
	Name        string
	Title       string
	Description string
	Archive     string // public, members, private
	Moderation  string // none, first-post, all
	Topics      []string
	Anonymous   bool
	Members     int // filled by Lists
	CreatedAt   time.Time

	// Hold rules.
	Nonmember       string   // hold, reject, discard: what happens to posts from non-members
	FirstPosts      int      // with Moderation first-post: how many posts of a new member are held
	MaxSize         int64    // bytes; 0 for the site's limit only
	AttachmentTypes []string // allowed content types ("image/*" works); empty for the default set
	HoldKeywords    []string // words that hold a post
	Emergency       bool     // hold every post
	Crisis          string   // hold, publish: what happens to a post with crisis words

	// Digest schedule.
	DigestFreq     string // daily, weekly
	DigestTime     string // "07:00", local time of DigestTZ
	DigestTZ       string // "Europe/Berlin"
	DigestDay      int    // weekly: 0 Sunday .. 6 Saturday
	DigestMaxPosts int    // send early when this many posts wait
	DigestLastID   int64  // the last post that went into an issue
	DigestLastAt   time.Time

	// DMARCRewrite is auto or always: when a list that is not anonymous sends posts
	// from its own address.
	DMARCRewrite string

	// RetentionMonths is how many months the list keeps its posts; 0 for ever.
	RetentionMonths int

	// Texts in German and English: Description is the German one (or the only one).
	DescriptionEN        string
	WelcomeDE, WelcomeEN string // added to the welcome mail
	FooterDE, FooterEN   string // added to the footer of every copy
	// Indexing lets search engines index a public archive.
	Indexing bool
}

// Member is one address on one list.
type Member struct {
	ID           int64
	ListID       int64
	Address      string
	Name         string
	Mode         string // each, digest, nomail
	Role         string // member, moderator, owner
	Postal       string
	Language     string // de, en: for mails to this member
	ConsentText  string // what they agreed to on the web form, if they joined there
	ConsentAt    time.Time
	DisabledAt   time.Time // delivery stopped by bounces; zero when active
	BounceScore  float64
	BounceLast   time.Time
	BounceReason string // the last bounce's status and diagnostic
	DMARCBounces int
	Posts        int    // posts that reached the list
	Trusted      bool   // never held by first-post rules
	AutoReplies  bool   // gets private pointers to counselling centres
	DigestFormat string // newsletter, mime, plain
	CreatedAt    time.Time
}

// CreateList adds a list; ErrExists if the name is taken. It writes every setting
// column (settingColumns) but a text or number left at its zero value, which takes
// the column's default from the schema, so that a List built in code names only
// what differs; yes/no settings are written as given.
func (s *DB) CreateList(ctx context.Context, l *List) error {
	now := s.now()
	if l.Nonmember == "" {
		l.Nonmember = "hold"
	}
	if l.FirstPosts == 0 {
		l.FirstPosts = 1
	}
	cols := []string{"name", "created_at"}
	args := []any{l.Name, unixMilli(now)}
	for _, c := range settingColumns(l, &commaLists{}) {
		if isZeroSetting(c.value) {
			continue
		}
		cols = append(cols, c.name)
		args = append(args, c.value)
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ")
	res, err := s.db.ExecContext(ctx, `INSERT INTO lists (`+strings.Join(cols, ", ")+`) VALUES (`+marks+`)`, args...)
	if err != nil {
		return fmt.Errorf("create list %s: %w", l.Name, classify(err))
	}
	l.ID, _ = res.LastInsertId()
	l.CreatedAt = now
	return nil
}

// isZeroSetting reports whether a setting column's value is an empty text or a zero
// number, which CreateList leaves to the column's default.
func isZeroSetting(v any) bool {
	switch v := v.(type) {
	case string:
		return v == ""
	case int:
		return v == 0
	case int64:
		return v == 0
	}
	return false
}

// listColumns are the columns scanList reads, for "SELECT ... FROM lists l".
func listColumns() string {
	cols := []string{"l.id", "l.name", "l.created_at"}
	for _, c := range settingColumns(&List{}, &commaLists{}) {
		cols = append(cols, "l."+c.name)
	}
	return strings.Join(append(cols, "l.digest_last_id", "l.digest_last_at"), ", ")
}

func scanList(row interface{ Scan(...any) error }, extra ...any) (*List, error) {
	var l List
	var c commaLists
	var created, lastAt int64
	dest := []any{&l.ID, &l.Name, &created}
	for _, col := range settingColumns(&l, &c) {
		dest = append(dest, col.dest)
	}
	dest = append(append(dest, &l.DigestLastID, &lastAt), extra...)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	l.Topics, l.AttachmentTypes, l.HoldKeywords = splitList(c.topics), splitList(c.types), splitList(c.keywords)
	if lastAt > 0 {
		l.DigestLastAt = fromMilli(lastAt)
	}
	l.CreatedAt = fromMilli(created)
	return &l, nil
}

// ListByName returns the named list or ErrNotFound.
func (s *DB) ListByName(ctx context.Context, name string) (*List, error) {
	// Every page of a list asks: the statement is prepared once.
	row := s.queryRow(ctx, true, `SELECT `+listColumns()+` FROM lists l WHERE l.name = ?`, name)
	l, err := scanList(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("list %s: %w", name, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", name, err)
	}
	return l, nil
}

// Lists returns every list by name, with its member count.
func (s *DB) Lists(ctx context.Context) ([]*List, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+listColumns()+`,
		(SELECT COUNT(*) FROM members m WHERE m.list_id = l.id) FROM lists l ORDER BY l.name`)
	if err != nil {
		return nil, fmt.Errorf("lists: %w", err)
	}
	defer rows.Close()
	var out []*List
	for rows.Next() {
		var n int
		l, err := scanList(rows, &n)
		if err != nil {
			return nil, fmt.Errorf("lists: %w", err)
		}
		l.Members = n
		out = append(out, l)
	}
	return out, rows.Err()
}

// AddMember adds m to its list; ErrExists if the address is already there.
func (s *DB) AddMember(ctx context.Context, m *Member) error {
	now := s.now()
	err := s.tx(ctx, func(tx *sql.Tx) error { return insertMember(ctx, tx, m, now) })
	if err != nil {
		return fmt.Errorf("add member: %w", err)
	}
	return nil
}

func insertMember(ctx context.Context, tx *sql.Tx, m *Member, now time.Time) error {
	if m.Language == "" {
		m.Language = "de"
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO members (list_id, address, name, mode, role, postal, language,
		consent_text, consent_at, digest_format, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.ListID, m.Address, m.Name, m.Mode, m.Role, m.Postal, m.Language, m.ConsentText, nullMilli(m.ConsentAt),
		or(m.DigestFormat, "newsletter"), unixMilli(now))
	if err != nil {
		return err
	}
	m.ID, _ = res.LastInsertId()
	m.CreatedAt = now
	return nil
}

// ImportMembers adds many members in one transaction and returns how many were new;
// addresses already on the list are left as they are. Trusted and DigestFormat ("" for
// the default) are stored as given.
func (s *DB) ImportMembers(ctx context.Context, ms []*Member) (int, error) {
	added := 0
	now := unixMilli(s.now())
	err := s.tx(ctx, func(tx *sql.Tx) error {
		st, err := tx.PrepareContext(ctx, `INSERT INTO members (list_id, address, name, mode, role, postal, trusted, digest_format, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (list_id, address) DO NOTHING`)
		if err != nil {
			return err
		}
		defer st.Close()
		for _, m := range ms {
			format := m.DigestFormat
			if format == "" {
				format = "newsletter"
			}
			res, err := st.ExecContext(ctx, m.ListID, m.Address, m.Name, m.Mode, m.Role, m.Postal, m.Trusted, format, now)
			if err != nil {
				return fmt.Errorf("%s: %w", m.Address, err)
			}
			n, _ := res.RowsAffected()
			added += int(n)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("import members: %w", err)
	}
	return added, nil
}

// RemoveMember removes address from the list; ErrNotFound if it was not there.
func (s *DB) RemoveMember(ctx context.Context, listID int64, address string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM members WHERE list_id = ? AND address = ?`, listID, address)
	if err != nil {
		return fmt.Errorf("remove member: %w", classify(err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("remove member %s: %w", address, ErrNotFound)
	}
	return nil
}

const memberColumns = `id, list_id, address, name, mode, role, postal, language, consent_text, consent_at,
	disabled_at, bounce_score, bounce_last, dmarc_bounces, posts, trusted, auto_replies, digest_format, created_at, bounce_reason`

func scanMember(row interface{ Scan(...any) error }) (*Member, error) {
	var m Member
	var created int64
	var consent, disabled, bounced sql.NullInt64
	if err := row.Scan(&m.ID, &m.ListID, &m.Address, &m.Name, &m.Mode, &m.Role, &m.Postal, &m.Language, &m.ConsentText,
		&consent, &disabled, &m.BounceScore, &bounced, &m.DMARCBounces, &m.Posts, &m.Trusted, &m.AutoReplies, &m.DigestFormat, &created, &m.BounceReason); err != nil {
		return nil, err
	}
	m.CreatedAt = fromMilli(created)
	m.ConsentAt, m.DisabledAt, m.BounceLast = fromNull(consent), fromNull(disabled), fromNull(bounced)
	return &m, nil
}

func nullMilli(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: unixMilli(t), Valid: true}
}

func fromNull(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return fromMilli(n.Int64)
}

// Member returns the member with that address on the list, or ErrNotFound.
func (s *DB) Member(ctx context.Context, listID int64, address string) (*Member, error) {
	row := s.db.QueryRowContext(ctx, `SELECT `+memberColumns+` FROM members WHERE list_id = ? AND address = ?`, listID, address)
	m, err := scanMember(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("member %s: %w", address, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("member %s: %w", address, err)
	}
	return m, nil
}

// MemberByID returns a member by id, or ErrNotFound.
func (s *DB) MemberByID(ctx context.Context, id int64) (*Member, error) {
	row := s.db.QueryRowContext(ctx, `SELECT `+memberColumns+` FROM members WHERE id = ?`, id)
	m, err := scanMember(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("member %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("member %d: %w", id, err)
	}
	return m, nil
}

// Members returns the list's members ordered by address.
func (s *DB) Members(ctx context.Context, listID int64) ([]*Member, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+memberColumns+` FROM members WHERE list_id = ? ORDER BY address`, listID)
	if err != nil {
		return nil, fmt.Errorf("members: %w", err)
	}
	defer rows.Close()
	var out []*Member
	for rows.Next() {
		m, err := scanMember(rows)
		if err != nil {
			return nil, fmt.Errorf("members: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// ListByID returns the list with that id or ErrNotFound.
func (s *DB) ListByID(ctx context.Context, id int64) (*List, error) {
	row := s.db.QueryRowContext(ctx, `SELECT `+listColumns()+` FROM lists l WHERE l.id = ?`, id)
	l, err := scanList(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("list %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("list %d: %w", id, err)
	}
	return l, nil
}

// settingColumn is one column of the lists table that holds a list setting: its
// value on a List as SaveList writes it, and where scanList reads it into.
type settingColumn struct {
	name  string
	value any
	dest  any
}

// commaLists are the comma-separated columns as read, before splitting.
type commaLists struct{ topics, types, keywords string }

// settingColumns are the columns of l's settings, the one list of them: SaveList
// writes exactly these, and scanList reads them (comma lists into c).
func settingColumns(l *List, c *commaLists) []settingColumn {
	return []settingColumn{
		{"title", l.Title, &l.Title},
		{"description", l.Description, &l.Description},
		{"archive", l.Archive, &l.Archive},
		{"moderation", l.Moderation, &l.Moderation},
		{"topics", strings.Join(l.Topics, ","), &c.topics},
		{"anonymous", l.Anonymous, &l.Anonymous},
		{"retention_months", l.RetentionMonths, &l.RetentionMonths},
		{"nonmember", l.Nonmember, &l.Nonmember},
		{"first_posts", l.FirstPosts, &l.FirstPosts},
		{"max_size", l.MaxSize, &l.MaxSize},
		{"attachment_types", strings.Join(l.AttachmentTypes, ","), &c.types},
		{"hold_keywords", strings.Join(l.HoldKeywords, ","), &c.keywords},
		{"emergency", l.Emergency, &l.Emergency},
		{"crisis", or(l.Crisis, "hold"), &l.Crisis},
		{"digest_freq", l.DigestFreq, &l.DigestFreq},
		{"dmarc_rewrite", or(l.DMARCRewrite, "auto"), &l.DMARCRewrite},
		{"digest_time", l.DigestTime, &l.DigestTime},
		{"digest_tz", l.DigestTZ, &l.DigestTZ},
		{"digest_day", l.DigestDay, &l.DigestDay},
		{"digest_max_posts", l.DigestMaxPosts, &l.DigestMaxPosts},
		{"description_en", l.DescriptionEN, &l.DescriptionEN},
		{"welcome_de", l.WelcomeDE, &l.WelcomeDE},
		{"welcome_en", l.WelcomeEN, &l.WelcomeEN},
		{"footer_de", l.FooterDE, &l.FooterDE},
		{"footer_en", l.FooterEN, &l.FooterEN},
		{"indexing", l.Indexing, &l.Indexing},
	}
}

// ListSettingColumns names the columns SaveList writes, in its order; the list
// domain's table of settings names the same (lists.TestSettingsColumns).
func ListSettingColumns() []string {
	var names []string
	for _, c := range settingColumns(&List{}, &commaLists{}) {
		names = append(names, c.name)
	}
	return names
}

// SaveList writes a list's settings (not its name), in one statement.
func (s *DB) SaveList(ctx context.Context, l *List) error {
	cols := settingColumns(l, &commaLists{})
	set := make([]string, len(cols))
	args := make([]any, 0, len(cols)+1)
	for i, c := range cols {
		set[i] = c.name + " = ?"
		args = append(args, c.value)
	}
	_, err := s.db.ExecContext(ctx, `UPDATE lists SET `+strings.Join(set, ", ")+` WHERE id = ?`, append(args, l.ID)...)
	if err != nil {
		return fmt.Errorf("save list %s: %w", l.Name, classify(err))
	}
	return nil
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// MemberQuery selects a page of a list's members, ordered by address.
type MemberQuery struct {
	ListID int64
	// Search is a piece of the address or the name, in any case; "" for everyone.
	Search string
	// NamesOnly searches the names alone (an anonymous list's owners see no
	// addresses, so a piece of one must not find anybody).
	NamesOnly bool
	// After is the last address of the page before (keyset paging); "" for the first.
	After string
	Limit int // 1..1000; 0 for 50
}

// likePattern is s as a LIKE pattern matching any string containing it.
func likePattern(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(s) + "%"
}

// maxSearchCount is how many matches of a search SearchMembers counts at most.
const maxSearchCount = 1000

// SearchMembers returns a page of members and how many match: all members of the
// list without a search (kept by triggers, migration 0018), else the matches
// counted up to maxSearchCount (more says there are more). A search reads the
// index of addresses and names once, in address order, for the count and the page.
func (s *DB) SearchMembers(ctx context.Context, q MemberQuery) (ms []*Member, total int, more bool, err error) {
	if q.Limit <= 0 || q.Limit > 1000 {
		q.Limit = 50
	}
	var ids []int64
	if q.Search == "" {
		if err := s.db.QueryRowContext(ctx, `SELECT member_count FROM lists WHERE id = ?`, q.ListID).Scan(&total); err != nil {
			return nil, 0, false, fmt.Errorf("search members: %w", err)
		}
		ids, _, err = s.memberIDs(ctx, `list_id = ? AND address > ?`, []any{q.ListID, q.After}, q.Limit)
	} else {
		where := `list_id = ? AND (address LIKE ? ESCAPE '\' OR name LIKE ? ESCAPE '\')`
		p := likePattern(q.Search)
		args := []any{q.ListID, p, p}
		if q.NamesOnly {
			where, args = `list_id = ? AND name LIKE ? ESCAPE '\'`, []any{q.ListID, p}
		}
		var addrs []string
		ids, addrs, err = s.memberIDs(ctx, where, args, maxSearchCount+1)
		total = len(ids)
		if total > maxSearchCount {
			total, more = maxSearchCount, true
		}
		if err == nil {
			// The page from what was read, unless it lies beyond it.
			i := sort.SearchStrings(addrs, q.After)
			for i < len(addrs) && addrs[i] <= q.After {
				i++
			}
			ids = ids[i:min(i+q.Limit, len(ids))]
			if more && len(ids) < q.Limit {
				ids, _, err = s.memberIDs(ctx, where+` AND address > ?`, append(args, q.After), q.Limit)
			}
		}
	}
	if err != nil || len(ids) == 0 {
		if err != nil {
			err = fmt.Errorf("search members: %w", err)
		}
		return nil, total, more, err
	}
	in := make([]any, len(ids))
	for i, id := range ids {
		in[i] = id
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+memberColumns+` FROM members WHERE id IN (?`+strings.Repeat(", ?", len(ids)-1)+
		`) ORDER BY address`, in...)
	if err != nil {
		return nil, 0, false, fmt.Errorf("search members: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		m, err := scanMember(rows)
		if err != nil {
			return nil, 0, false, fmt.Errorf("search members: %w", err)
		}
		ms = append(ms, m)
	}
	return ms, total, more, rows.Err()
}

// memberIDs returns the ids and addresses of the first limit members matching
// where, in address order, read from the index of addresses and names alone.
func (s *DB) memberIDs(ctx context.Context, where string, args []any, limit int) ([]int64, []string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, address FROM members INDEXED BY members_list_search WHERE `+where+
		` ORDER BY address LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var ids []int64
	var addrs []string
	for rows.Next() {
		var id int64
		var a string
		if err := rows.Scan(&id, &a); err != nil {
			return nil, nil, err
		}
		ids, addrs = append(ids, id), append(addrs, a)
	}
	return ids, addrs, rows.Err()
}
