package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Site admins, the audit log, bans, site settings and deleting a list (#17).

// AddSiteAdmin stores mailbox (already folded) as a site admin; ErrExists if it is one.
func (s *DB) AddSiteAdmin(ctx context.Context, mailbox string) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO site_admins (mailbox, created_at) VALUES (?, ?)`, mailbox, unixMilli(s.now()))
	if err != nil {
		return fmt.Errorf("add site admin: %w", classify(err))
	}
	return nil
}

// RemoveSiteAdmin takes mailbox off the stored site admins; ErrNotFound if it was not one.
func (s *DB) RemoveSiteAdmin(ctx context.Context, mailbox string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM site_admins WHERE mailbox = ?`, mailbox)
	if err != nil {
		return fmt.Errorf("remove site admin: %w", classify(err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("site admin %s: %w", mailbox, ErrNotFound)
	}
	return nil
}

// SiteAdmins returns the stored site admins' mailboxes in order.
func (s *DB) SiteAdmins(ctx context.Context) ([]string, error) {
	return queryStrings(ctx, s.db, `SELECT mailbox FROM site_admins ORDER BY mailbox`)
}

// IsStoredSiteAdmin reports whether mailbox was added as a site admin.
func (s *DB) IsStoredSiteAdmin(ctx context.Context, mailbox string) (bool, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM site_admins WHERE mailbox = ?`, mailbox).Scan(&n); err != nil {
		return false, fmt.Errorf("site admin: %w", err)
	}
	return n > 0, nil
}

func queryStrings(ctx context.Context, db querier, q string, args ...any) ([]string, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// AuditEntry is one admin, owner or moderator action.
type AuditEntry struct {
	ID       int64
	ListID   int64  // 0 for a site-wide action
	ListName string // kept when the list is deleted
	Actor    string // the acting address, "cli" or "system"
	Action   string
	Detail   string // short; never a message body nor a member's address
	At       time.Time
}

const insertAuditSQL = `INSERT INTO audit_log (list_id, list_name, actor, action, detail, at) VALUES (?, ?, ?, ?, ?, ?)`

func auditArgs(e *AuditEntry, now time.Time) []any {
	var list sql.NullInt64
	if e.ListID > 0 {
		list = sql.NullInt64{Int64: e.ListID, Valid: true}
	}
	if e.At.IsZero() {
		e.At = now
	}
	return []any{list, e.ListName, e.Actor, e.Action, e.Detail, unixMilli(e.At)}
}

// Audit records e.
func (s *DB) Audit(ctx context.Context, e *AuditEntry) error {
	res, err := s.db.ExecContext(ctx, insertAuditSQL, auditArgs(e, s.now())...)
	if err != nil {
		return fmt.Errorf("audit log: %w", classify(err))
	}
	e.ID, _ = res.LastInsertId()
	return nil
}

// Audit records e in the transaction, with the change it describes.
func (t *Tx) Audit(e *AuditEntry) error {
	res, err := t.tx.ExecContext(t.ctx, insertAuditSQL, auditArgs(e, t.now)...)
	if err != nil {
		return fmt.Errorf("audit log: %w", classify(err))
	}
	e.ID, _ = res.LastInsertId()
	return nil
}

// AuditQuery selects entries of the audit log, newest first.
type AuditQuery struct {
	ListID int64 // > 0: that list's entries only; 0: every entry
	Before int64 // > 0: entries with a smaller id (the next page); 0: the newest
	Limit  int   // at most this many (1..1000; 0 for 100)
}

// AuditLog returns the entries q selects, newest first.
func (s *DB) AuditLog(ctx context.Context, q AuditQuery) ([]AuditEntry, error) {
	if q.Limit <= 0 || q.Limit > 1000 {
		q.Limit = 100
	}
	before := q.Before
	if before <= 0 {
		before = 1<<63 - 1
	}
	var rows *sql.Rows
	var err error
	const cols = `SELECT id, COALESCE(list_id, 0), list_name, actor, action, detail, at FROM audit_log`
	if q.ListID > 0 {
		rows, err = s.db.QueryContext(ctx, cols+` WHERE list_id = ? AND id < ? ORDER BY id DESC LIMIT ?`, q.ListID, before, q.Limit)
	} else {
		rows, err = s.db.QueryContext(ctx, cols+` WHERE id < ? ORDER BY id DESC LIMIT ?`, before, q.Limit)
	}
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		var at int64
		if err := rows.Scan(&e.ID, &e.ListID, &e.ListName, &e.Actor, &e.Action, &e.Detail, &at); err != nil {
			return nil, fmt.Errorf("audit log: %w", err)
		}
		e.At = fromMilli(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// Ban is an address or domain that may not join or post to a list.
type Ban struct {
	ListID    int64
	Pattern   string // a folded mailbox, or "@domain"
	CreatedAt time.Time
}

// AddBan stores a ban; ErrExists if the list has it already.
func (s *DB) AddBan(ctx context.Context, listID int64, pattern string) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO bans (list_id, pattern, created_at) VALUES (?, ?, ?)`, listID, pattern, unixMilli(s.now()))
	if err != nil {
		return fmt.Errorf("add ban: %w", classify(err))
	}
	return nil
}

// RemoveBan deletes a ban; ErrNotFound if the list has none such.
func (s *DB) RemoveBan(ctx context.Context, listID int64, pattern string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM bans WHERE list_id = ? AND pattern = ?`, listID, pattern)
	if err != nil {
		return fmt.Errorf("remove ban: %w", classify(err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("ban %s: %w", pattern, ErrNotFound)
	}
	return nil
}

// Bans returns the list's bans ordered by pattern.
func (s *DB) Bans(ctx context.Context, listID int64) ([]Ban, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT list_id, pattern, created_at FROM bans WHERE list_id = ? ORDER BY pattern`, listID)
	if err != nil {
		return nil, fmt.Errorf("bans: %w", err)
	}
	defer rows.Close()
	var out []Ban
	for rows.Next() {
		var b Ban
		var at int64
		if err := rows.Scan(&b.ListID, &b.Pattern, &at); err != nil {
			return nil, fmt.Errorf("bans: %w", err)
		}
		b.CreatedAt = fromMilli(at)
		out = append(out, b)
	}
	return out, rows.Err()
}

// Banned returns the first of patterns the list bans, or "" if it bans none.
func (s *DB) Banned(ctx context.Context, listID int64, patterns ...string) (string, error) {
	return banned(ctx, s.db, listID, patterns)
}

// Banned returns the first of patterns the list bans, or "" if it bans none.
func (t *Tx) Banned(listID int64, patterns ...string) (string, error) {
	return banned(t.ctx, t.tx, listID, patterns)
}

func banned(ctx context.Context, db interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}, listID int64, patterns []string) (string, error) {
	if len(patterns) == 0 {
		return "", nil
	}
	args := []any{listID}
	for _, p := range patterns {
		args = append(args, p)
	}
	var p string
	err := db.QueryRowContext(ctx, `SELECT pattern FROM bans WHERE list_id = ? AND pattern IN (?`+
		strings.Repeat(", ?", len(patterns)-1)+`) LIMIT 1`, args...).Scan(&p)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("bans: %w", err)
	}
	return p, nil
}

// SiteSettings returns the site settings changed on the web, by name.
func (s *DB) SiteSettings(ctx context.Context) (map[string]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT name, value FROM site_settings`)
	if err != nil {
		return nil, fmt.Errorf("site settings: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, fmt.Errorf("site settings: %w", err)
		}
		out[k] = v
	}
	return out, rows.Err()
}

// SetSiteSettings stores every value of set, all or none, and records e with them
// when e is not nil.
func (s *DB) SetSiteSettings(ctx context.Context, set map[string]string, e *AuditEntry) error {
	now := s.now()
	err := s.tx(ctx, func(tx *sql.Tx) error {
		for k, v := range set {
			if _, err := tx.ExecContext(ctx, `INSERT INTO site_settings (name, value) VALUES (?, ?)
				ON CONFLICT (name) DO UPDATE SET value = excluded.value`, k, v); err != nil {
				return err
			}
		}
		if e != nil {
			_, err := tx.ExecContext(ctx, insertAuditSQL, auditArgs(e, now)...)
			return err
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("site settings: %w", classify(err))
	}
	return nil
}

// DeletedList counts what DeleteList removed.
type DeletedList struct {
	Posts, Members, Held, Queued int
}

// DeleteList deletes a list with everything it has: its archive (posts, their bytes,
// the index, threads, IMAP flags), members, pending requests, held posts and their
// moderation log, queued and past copies, digests, bans and its audit entries, in
// one transaction, securely (see secureTx), and records e (a site-wide entry, its
// detail followed by what was deleted) in it.
// PurgeTraces then removes what is left in the index, free pages and the
// write-ahead log.
func (s *DB) DeleteList(ctx context.Context, listID int64, e *AuditEntry) (*DeletedList, error) {
	var d DeletedList
	now := s.now()
	err := s.secureTx(ctx, func(tx *sql.Tx) error {
		exec := func(q string, args ...any) (int, error) {
			res, err := tx.ExecContext(ctx, q, args...)
			if err != nil {
				return 0, err
			}
			n, _ := res.RowsAffected()
			return int(n), nil
		}
		var err error
		if d.Queued, err = exec(`DELETE FROM deliveries WHERE list_id = ?`, listID); err != nil {
			return err
		}
		if _, err = exec(`DELETE FROM mails WHERE id NOT IN (SELECT mail_id FROM deliveries WHERE mail_id IS NOT NULL)`); err != nil {
			return err
		}
		if _, err = exec(`DELETE FROM mod_log WHERE list_id = ?`, listID); err != nil {
			return err
		}
		if d.Held, err = exec(`DELETE FROM held WHERE list_id = ?`, listID); err != nil {
			return err
		}
		if d.Posts, err = exec(`DELETE FROM messages WHERE list_id = ?`, listID); err != nil {
			return err
		}
		if d.Members, err = exec(`DELETE FROM members WHERE list_id = ?`, listID); err != nil {
			return err
		}
		n, err := exec(`DELETE FROM lists WHERE id = ?`, listID)
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("list %d: %w", listID, ErrNotFound)
		}
		if e != nil {
			e.ListID = 0
			e.Detail = strings.TrimPrefix(fmt.Sprintf("%s; %d posts, %d members, %d held posts, %d queued copies",
				e.Detail, d.Posts, d.Members, d.Held, d.Queued), "; ")
			if _, err := tx.ExecContext(ctx, insertAuditSQL, auditArgs(e, now)...); err != nil {
				return err
			}
		}
		return markPurge(ctx, tx)
	})
	if err != nil {
		return nil, fmt.Errorf("delete list: %w", err)
	}
	if err := s.PurgeTraces(ctx); err != nil {
		return &d, fmt.Errorf("delete list: %w", err)
	}
	return &d, nil
}
