package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"runtime"
	"strings"
	"sync"
	"time"
)

// AppPassword is a password a person made for a mail program (IMAP). The password
// itself is never stored, only its hash.
type AppPassword struct {
	ID        int64
	Address   string
	Label     string
	CreatedAt time.Time
	LastUsed  time.Time // zero when never used
}

// AddAppPassword stores the hash of a new app password for address.
func (s *DB) AddAppPassword(ctx context.Context, address, hash, label string) (*AppPassword, error) {
	now := s.now()
	res, err := s.db.ExecContext(ctx, `INSERT INTO app_passwords (address, hash, label, created_at) VALUES (?, ?, ?, ?)`,
		address, hash, label, unixMilli(now))
	if err != nil {
		return nil, fmt.Errorf("add app password: %w", classify(err))
	}
	id, _ := res.LastInsertId()
	return &AppPassword{ID: id, Address: address, Label: label, CreatedAt: fromMilli(unixMilli(now))}, nil
}

// AppPasswords returns the app passwords of address, oldest first.
func (s *DB) AppPasswords(ctx context.Context, address string) ([]*AppPassword, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, address, label, created_at, last_used_at FROM app_passwords
		WHERE address = ? ORDER BY id`, address)
	if err != nil {
		return nil, fmt.Errorf("app passwords: %w", err)
	}
	defer rows.Close()
	var out []*AppPassword
	for rows.Next() {
		var p AppPassword
		var created int64
		var used sql.NullInt64
		if err := rows.Scan(&p.ID, &p.Address, &p.Label, &created, &used); err != nil {
			return nil, fmt.Errorf("app passwords: %w", err)
		}
		p.CreatedAt, p.LastUsed = fromMilli(created), fromNull(used)
		out = append(out, &p)
	}
	return out, rows.Err()
}

// RevokeAppPassword deletes one app password of address; ErrNotFound if address has
// none with that id.
func (s *DB) RevokeAppPassword(ctx context.Context, address string, id int64) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM app_passwords WHERE id = ? AND address = ?`, id, address)
	if err != nil {
		return fmt.Errorf("revoke app password: %w", classify(err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("app password %d: %w", id, ErrNotFound)
	}
	return nil
}

// UseAppPassword reports whether address has an app password with this hash, and
// notes when it was used.
func (s *DB) UseAppPassword(ctx context.Context, address, hash string) (bool, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE app_passwords SET last_used_at = ? WHERE address = ? AND hash = ?`,
		unixMilli(s.now()), address, hash)
	if err != nil {
		return false, fmt.Errorf("check app password: %w", classify(err))
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// Envelope is what IMAP shows of an archived post without reading its bytes.
type Envelope struct {
	ID         int64
	MessageID  string
	Subject    string
	FromName   string
	FromAddr   string
	Date       time.Time
	ReceivedAt time.Time
	// InReplyTo is the Message-ID of the post's parent in the archive, "" for none.
	InReplyTo string
	Size      int // bytes as received
	// PublicID and ParentPublicID are the local parts of the Message-IDs an anonymous
	// list shows for the post and its parent ("" when there is none).
	PublicID, ParentPublicID string
}

// ArchiveState returns how many posts the list has and the highest id: enough to see
// whether posts came or went since the last look. The count is the sum of the
// list's months (archive_months, kept by the triggers on messages), which are a few
// hundred rows where the posts may be a million: an IMAP client asks at every
// command.
func (s *DB) ArchiveState(ctx context.Context, listID int64) (count int, maxID int64, err error) {
	err = s.db.QueryRowContext(ctx, `SELECT (SELECT COALESCE(SUM(posts), 0) FROM archive_months WHERE list_id = ?1),
		(SELECT COALESCE(MAX(id), 0) FROM messages WHERE list_id = ?1)`, listID).Scan(&count, &maxID)
	if err != nil {
		return 0, 0, fmt.Errorf("archive state: %w", err)
	}
	return count, maxID, nil
}

// ArchiveIDs returns the ids of the list's posts above afterID in archive order.
func (s *DB) ArchiveIDs(ctx context.Context, listID, afterID int64) ([]int64, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM messages WHERE list_id = ? AND id > ? ORDER BY id`, listID, afterID)
	if err != nil {
		return nil, fmt.Errorf("archive ids: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("archive ids: %w", err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// IDRun is a run of consecutive ids, First to Last.
type IDRun struct{ First, Last int64 }

// idRunsReadBelow is the number of posts of a range under which ArchiveIDRuns reads
// the range's ids rather than splitting it.
const idRunsReadBelow = 512

// ArchiveIDRuns returns the ids of the list's posts above afterID in archive order,
// as runs of consecutive ids. An archive is mostly runs (an import, a busy list's
// posts), so this does not read every id, as ArchiveIDs does: a range whose count is
// its length is one run, and a range with gaps is split in two and counted again
// (SQLite counts in its index, about thirty times faster than it hands out rows).
// Ranges of few posts, or as many gaps as posts, are read id by id. With no gaps it
// costs a few lookups whatever the number of posts; the count of the whole archive is
// the sum of its months, as in ArchiveState.
func (s *DB) ArchiveIDRuns(ctx context.Context, listID, afterID int64) ([]IDRun, error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("archive ids: %w", err)
	}
	defer conn.Close()
	// One snapshot for all the queries below: a post stored or erased meanwhile
	// would make the counts disagree.
	if _, err := conn.ExecContext(ctx, `BEGIN DEFERRED`); err != nil {
		return nil, fmt.Errorf("archive ids: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `ROLLBACK`)
	r := idRunReader{ctx: ctx, conn: conn, listID: listID}
	var n, lo, hi int64
	if afterID <= 0 {
		err = conn.QueryRowContext(ctx, `SELECT (SELECT COALESCE(SUM(posts), 0) FROM archive_months WHERE list_id = ?1),
			(SELECT COALESCE(MIN(id), 0) FROM messages WHERE list_id = ?1), (SELECT COALESCE(MAX(id), 0) FROM messages WHERE list_id = ?1)`,
			listID).Scan(&n, &lo, &hi)
		if err == nil && (n > hi-lo+1 || (n == 0) != (hi == 0)) {
			n, lo, hi, err = r.count(1, math.MaxInt64) // the months disagree: count
		}
	} else {
		n, lo, hi, err = r.count(afterID+1, math.MaxInt64)
	}
	if err != nil {
		return nil, fmt.Errorf("archive ids: %w", err)
	}
	if n == 0 {
		return nil, nil
	}
	if err := r.runs(lo, hi, n); err != nil {
		return nil, fmt.Errorf("archive ids: %w", err)
	}
	return r.out, nil
}

// idRunReader collects the runs of one list's ids.
type idRunReader struct {
	ctx    context.Context
	conn   *sql.Conn
	listID int64
	out    []IDRun
}

// count returns how many of the list's ids lie in [lo, hi], and the first and last.
func (r *idRunReader) count(lo, hi int64) (n, first, last int64, err error) {
	err = r.conn.QueryRowContext(r.ctx, `SELECT COUNT(*), COALESCE(MIN(id), 0), COALESCE(MAX(id), 0) FROM messages
		WHERE list_id = ? AND id BETWEEN ? AND ?`, r.listID, lo, hi).Scan(&n, &first, &last)
	return n, first, last, err
}

// add appends the run [first, last], joining it to the run before if they touch.
func (r *idRunReader) add(first, last int64) {
	if k := len(r.out); k > 0 && r.out[k-1].Last+1 == first {
		r.out[k-1].Last = last
		return
	}
	r.out = append(r.out, IDRun{first, last})
}

// runs adds the runs of the n ids in [lo, hi]; lo and hi are ids of the list.
func (r *idRunReader) runs(lo, hi, n int64) error {
	if n <= 0 {
		return nil
	}
	if hi-lo+1 == n {
		r.add(lo, hi)
		return nil
	}
	if n < idRunsReadBelow || hi-lo+1-n >= n {
		rows, err := r.conn.QueryContext(r.ctx, `SELECT id FROM messages WHERE list_id = ? AND id BETWEEN ? AND ? ORDER BY id`,
			r.listID, lo, hi)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return err
			}
			r.add(id, id)
		}
		return rows.Err()
	}
	mid := lo + (hi-lo)/2
	nl, lfirst, llast, err := r.count(lo, mid)
	if err != nil {
		return err
	}
	if err := r.runs(lfirst, llast, nl); err != nil {
		return err
	}
	if n-nl <= 0 {
		return nil
	}
	var rfirst int64
	if err := r.conn.QueryRowContext(r.ctx, `SELECT MIN(id) FROM messages WHERE list_id = ? AND id > ? AND id <= ?`,
		r.listID, mid, hi).Scan(&rfirst); err != nil {
		return err
	}
	return r.runs(rfirst, hi, n-nl)
}

// maxIDsPerQuery bounds the ids bound into one IN (...) list.
const maxIDsPerQuery = 500

// Envelopes returns the envelopes of those of ids that belong to the list, in id
// order.
func (s *DB) Envelopes(ctx context.Context, listID int64, ids []int64) ([]Envelope, error) {
	out := make([]Envelope, 0, len(ids))
	for len(ids) > 0 {
		n := min(len(ids), maxIDsPerQuery)
		args := idArgs(listID, ids[:n])
		rows, err := s.db.QueryContext(ctx, `SELECT m.id, m.message_id, m.subject, m.from_name, m.from_addr, m.date,
			m.received_at, COALESCE(p.message_id, ''), m.size, m.public_id, COALESCE(p.public_id, '')
			FROM messages m LEFT JOIN messages p ON p.id = m.parent_id
			WHERE m.list_id = ? AND m.id IN (`+placeholders(n)+`) ORDER BY m.id`, args...)
		if err != nil {
			return nil, fmt.Errorf("envelopes: %w", err)
		}
		for rows.Next() {
			var e Envelope
			var date, received int64
			if err := rows.Scan(&e.ID, &e.MessageID, &e.Subject, &e.FromName, &e.FromAddr, &date, &received, &e.InReplyTo, &e.Size, &e.PublicID, &e.ParentPublicID); err != nil {
				rows.Close()
				return nil, fmt.Errorf("envelopes: %w", err)
			}
			e.Date, e.ReceivedAt = time.Unix(date, 0).UTC(), time.Unix(received, 0).UTC()
			out = append(out, e)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("envelopes: %w", err)
		}
		ids = ids[n:]
	}
	return out, nil
}

// EnvelopeRange returns the envelopes of the list's posts with ids from fromID to
// toID, in id order: for a run of a mailbox, cheaper than naming every id.
func (s *DB) EnvelopeRange(ctx context.Context, listID, fromID, toID int64) ([]Envelope, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT m.id, m.message_id, m.subject, m.from_name, m.from_addr, m.date,
		m.received_at, COALESCE(p.message_id, ''), m.size, m.public_id, COALESCE(p.public_id, '')
		FROM messages m LEFT JOIN messages p ON p.id = m.parent_id
		WHERE m.list_id = ? AND m.id BETWEEN ? AND ? ORDER BY m.id`, listID, fromID, toID)
	if err != nil {
		return nil, fmt.Errorf("envelopes: %w", err)
	}
	defer rows.Close()
	var out []Envelope
	for rows.Next() {
		var e Envelope
		var date, received int64
		if err := rows.Scan(&e.ID, &e.MessageID, &e.Subject, &e.FromName, &e.FromAddr, &date, &received, &e.InReplyTo, &e.Size, &e.PublicID, &e.ParentPublicID); err != nil {
			return nil, fmt.Errorf("envelopes: %w", err)
		}
		e.Date, e.ReceivedAt = time.Unix(date, 0).UTC(), time.Unix(received, 0).UTC()
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("envelopes: %w", err)
	}
	return out, nil
}

// The columns SEARCH compares, from the start of a post's row (see SearchFieldRange).
const (
	searchFieldsSQL = `SELECT id, message_id, subject, from_name, from_addr, date, received_at, '' FROM messages
		WHERE list_id = ? AND id BETWEEN ? AND ? ORDER BY id`
	searchFieldsPublicSQL = `SELECT id, message_id, subject, from_name, from_addr, date, received_at, public_id FROM messages
		WHERE list_id = ? AND id BETWEEN ? AND ? ORDER BY id`
)

// SearchFieldRange returns what an IMAP SEARCH compares in the stored columns of the
// list's posts with ids from fromID to toID, in id order: envelopes without
// InReplyTo, Size and ParentPublicID, and with PublicID only when publicIDs is set
// (an anonymous list's Message-IDs). Those columns come before the text in a post's
// row: a search by subject or author of a whole folder reads neither the texts'
// pages nor each parent, as EnvelopeRange does, and takes less than half the time.
func (s *DB) SearchFieldRange(ctx context.Context, listID, fromID, toID int64, publicIDs bool) ([]Envelope, error) {
	query := searchFieldsSQL
	if publicIDs {
		query = searchFieldsPublicSQL
	}
	st, err := s.stmt(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("search fields: %w", err)
	}
	rows, err := st.QueryContext(ctx, listID, fromID, toID)
	if err != nil {
		return nil, fmt.Errorf("search fields: %w", err)
	}
	defer rows.Close()
	var out []Envelope
	for rows.Next() {
		var e Envelope
		var date, received int64
		if err := rows.Scan(&e.ID, &e.MessageID, &e.Subject, &e.FromName, &e.FromAddr, &date, &received, &e.PublicID); err != nil {
			return nil, fmt.Errorf("search fields: %w", err)
		}
		e.Date, e.ReceivedAt = time.Unix(date, 0).UTC(), time.Unix(received, 0).UTC()
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("search fields: %w", err)
	}
	return out, nil
}

// RawPostRange returns the bytes of the list's posts with ids from fromID to toID, in
// id order. With limit > 0 it may return only a post's first bytes, marked Prefix:
// its header when that ends within about limit bytes, and otherwise nothing or a part
// of it, after which the caller reads the whole post.
func (s *DB) RawPostRange(ctx context.Context, listID, fromID, toID int64, limit int) ([]RawPost, error) {
	col := "r.raw, 0"
	if limit > 0 {
		col = fmt.Sprintf("substr(r.raw, 1, %d), length(r.raw)", limit)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT r.message_id, `+col+` FROM messages m JOIN message_raw r ON r.message_id = m.id
		WHERE m.list_id = ? AND m.id BETWEEN ? AND ? ORDER BY m.id`, listID, fromID, toID)
	if err != nil {
		return nil, fmt.Errorf("raw posts: %w", err)
	}
	defer rows.Close()
	var out []RawPost
	var sizes []int // with a limit: the stored values' sizes
	for rows.Next() {
		var p RawPost
		var size int
		if err := rows.Scan(&p.ID, &p.Raw, &size); err != nil {
			return nil, fmt.Errorf("raw posts: %w", err)
		}
		out = append(out, p)
		if limit > 0 {
			sizes = append(sizes, size)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("raw posts: %w", err)
	}
	if err := s.unpackPosts(out, sizes); err != nil {
		return nil, err
	}
	return out, nil
}

// RawPost is an archived post's bytes as received.
type RawPost struct {
	ID  int64
	Raw []byte
	// Prefix means Raw holds only the post's first bytes (RawPostRange with a limit).
	Prefix bool
}

// unpackPosts inflates the stored bytes of ps in place, on every core when there is
// much of it. With sizes (those of the stored values), ps hold prefixes of them, of
// which the posts' headers are inflated (see packer.unpackHeader).
func (s *DB) unpackPosts(ps []RawPost, sizes []int) error {
	total := 0
	for _, p := range ps {
		total += len(p.Raw)
	}
	workers := min(runtime.GOMAXPROCS(0), 8, max(1, total/(256<<10)))
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(ps); i += workers {
				var raw []byte
				var err error
				if sizes == nil {
					raw, err = s.pack.unpackRaw(ps[i].Raw)
				} else {
					var whole bool
					raw, whole, err = s.pack.unpackHeader(ps[i].Raw, sizes[i])
					ps[i].Prefix = !whole
				}
				if err != nil {
					errs[w] = fmt.Errorf("raw post %d: %w", ps[i].ID, err)
					return
				}
				ps[i].Raw = raw
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// RawPosts returns the bytes of those of ids that belong to the list, in id order.
// Callers bound the total size by the ids they ask for at once.
func (s *DB) RawPosts(ctx context.Context, listID int64, ids []int64) ([]RawPost, error) {
	out := make([]RawPost, 0, len(ids))
	for len(ids) > 0 {
		n := min(len(ids), maxIDsPerQuery)
		rows, err := s.db.QueryContext(ctx, `SELECT r.message_id, r.raw FROM message_raw r JOIN messages m ON m.id = r.message_id
			WHERE m.list_id = ? AND m.id IN (`+placeholders(n)+`) ORDER BY m.id`, idArgs(listID, ids[:n])...)
		if err != nil {
			return nil, fmt.Errorf("raw posts: %w", err)
		}
		for rows.Next() {
			var p RawPost
			if err := rows.Scan(&p.ID, &p.Raw); err != nil {
				rows.Close()
				return nil, fmt.Errorf("raw posts: %w", err)
			}
			out = append(out, p)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("raw posts: %w", err)
		}
		ids = ids[n:]
	}
	if err := s.unpackPosts(out, nil); err != nil {
		return nil, err
	}
	return out, nil
}

// ArchiveMatches' statements: with one list, and the start of the one that keeps to a
// list (see TestReadPlans).
const (
	archiveMatchesSQL     = `SELECT rowid FROM messages_fts WHERE messages_fts MATCH ? ORDER BY rowid`
	archiveMatchesJoinSQL = `SELECT f.rowid FROM messages_fts f JOIN messages m ON m.id = f.rowid WHERE messages_fts MATCH ?`
)

// ArchiveMatches returns the ids of the list's posts whose indexed text matches
// every word of text, in id order: with bodyOnly, the body alone, otherwise subject,
// body and author name too.
func (s *DB) ArchiveMatches(ctx context.Context, listID int64, text string, bodyOnly bool) ([]int64, error) {
	match := ftsQuery(text)
	if match == "" {
		return s.ArchiveIDs(ctx, listID, 0)
	}
	if bodyOnly {
		match = "body_text : (" + match + ")"
	}
	// In the index's order, which is the ids': no sort of all matches. With one list
	// the posts need not be looked up (see searchFilter).
	f, err := s.searchFilter(ctx, SearchQuery{ListIDs: []int64{listID}})
	if err != nil {
		return nil, fmt.Errorf("archive search: %w", err)
	}
	query := archiveMatchesSQL
	args := []any{match}
	if f.where != "" {
		query = archiveMatchesJoinSQL + f.where + ` ORDER BY f.rowid`
		args = append(args, f.args...)
	}
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("archive search: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("archive search: %w", err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// SeenIDs returns the ids of the list's posts that address marked \Seen.
func (s *DB) SeenIDs(ctx context.Context, address string, listID int64) ([]int64, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT s.message_id FROM imap_seen s JOIN messages m ON m.id = s.message_id
		WHERE s.address = ? AND m.list_id = ? ORDER BY s.message_id`, address, listID)
	if err != nil {
		return nil, fmt.Errorf("seen flags: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("seen flags: %w", err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// SetSeen sets or clears address's \Seen flag on the posts ids.
func (s *DB) SetSeen(ctx context.Context, address string, ids []int64, seen bool) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		q := `DELETE FROM imap_seen WHERE address = ? AND message_id = ?`
		if seen {
			// A post erased meanwhile has no row to point at: skip it.
			q = `INSERT INTO imap_seen (address, message_id) SELECT ?, id FROM messages WHERE id = ? ON CONFLICT DO NOTHING`
		}
		st, err := tx.PrepareContext(ctx, q)
		if err != nil {
			return err
		}
		defer st.Close()
		for _, id := range ids {
			if _, err := st.ExecContext(ctx, address, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("set seen flags: %w", err)
	}
	return nil
}

// HeldIDs returns the ids of the list's posts that wait for a moderator, in order.
func (s *DB) HeldIDs(ctx context.Context, listID int64) ([]int64, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM held WHERE list_id = ? AND state = 'held' ORDER BY id`, listID)
	if err != nil {
		return nil, fmt.Errorf("held ids: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("held ids: %w", err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

func placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?, ", n-1) + "?"
}

func idArgs(listID int64, ids []int64) []any {
	args := make([]any, 0, len(ids)+1)
	args = append(args, listID)
	for _, id := range ids {
		args = append(args, id)
	}
	return args
}

// exportIMAP adds what IMAP keeps about ex.Address: its app passwords (never the
// passwords) and how many posts it marked seen.
func (s *DB) exportIMAP(ctx context.Context, ex *Export) error {
	var err error
	if ex.AppPasswords, err = s.AppPasswords(ctx, ex.Address); err != nil {
		return fmt.Errorf("export app passwords: %w", err)
	}
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM imap_seen WHERE address = ?`, ex.Address).Scan(&ex.SeenFlags); err != nil {
		return fmt.Errorf("export seen flags: %w", err)
	}
	return nil
}

// eraseIMAP removes address's app passwords and seen flags within an erasure.
func eraseIMAP(ctx context.Context, tx *sql.Tx, address string) error {
	for _, q := range []string{`DELETE FROM app_passwords WHERE address = ?`, `DELETE FROM imap_seen WHERE address = ?`} {
		if _, err := tx.ExecContext(ctx, q, address); err != nil {
			return fmt.Errorf("erase imap data: %w", err)
		}
	}
	return nil
}
