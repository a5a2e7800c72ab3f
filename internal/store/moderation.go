package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Held is a post waiting for a moderator's decision.
type Held struct {
	ID        int64
	ListID    int64
	MessageID string
	EnvFrom   string
	FromAddr  string
	FromName  string
	Subject   string
	Reason    string // a text; rows held before reason codes have only this
	// ReasonCode and ReasonDetail say why in words of the list domain, rendered in
	// each reader's language (lists.HoldReasonText).
	ReasonCode   string
	ReasonDetail string
	Raw          []byte
	State        string // held, approved, rejected, discarded, expired
	ClaimedBy    string
	DecidedBy    string
	DecidedAt    time.Time
	Note         string
	CreatedAt    time.Time
	ExpiresAt    time.Time
	Summarized   time.Time
}

const heldColumns = `id, list_id, message_id, env_from, from_addr, from_name, subject, reason, raw, state, claimed_by,
	decided_by, decided_at, note, created_at, expires_at, summarized_at, reason_code, reason_detail`

func scanHeld(row interface{ Scan(...any) error }) (*Held, error) {
	var h Held
	var decided, summarized sql.NullInt64
	var created, expires int64
	if err := row.Scan(&h.ID, &h.ListID, &h.MessageID, &h.EnvFrom, &h.FromAddr, &h.FromName, &h.Subject, &h.Reason, &h.Raw,
		&h.State, &h.ClaimedBy, &h.DecidedBy, &decided, &h.Note, &created, &expires, &summarized,
		&h.ReasonCode, &h.ReasonDetail); err != nil {
		return nil, err
	}
	h.DecidedAt, h.Summarized = fromNull(decided), fromNull(summarized)
	h.CreatedAt, h.ExpiresAt = fromMilli(created), fromMilli(expires)
	return &h, nil
}

// Hold stores a held post; ErrExists if the list already holds this Message-ID.
func (t *Tx) Hold(h *Held) error {
	res, err := t.tx.ExecContext(t.ctx, `INSERT INTO held (list_id, message_id, env_from, from_addr, from_name, subject, reason,
		raw, created_at, expires_at, reason_code, reason_detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		h.ListID, h.MessageID, h.EnvFrom, h.FromAddr, h.FromName, h.Subject, h.Reason, h.Raw, unixMilli(t.now), unixMilli(h.ExpiresAt),
		h.ReasonCode, h.ReasonDetail)
	if err != nil {
		return fmt.Errorf("hold: %w", classify(err))
	}
	h.ID, _ = res.LastInsertId()
	h.State, h.CreatedAt = "held", t.now
	return nil
}

// Held returns a held post by id, or ErrNotFound.
func (t *Tx) Held(id int64) (*Held, error) {
	h, err := scanHeld(t.tx.QueryRowContext(t.ctx, `SELECT `+heldColumns+` FROM held WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("held post %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("held post %d: %w", id, err)
	}
	return h, nil
}

// Decide records the first decision on a held post. It returns false, and changes
// nothing, when the post was decided already: the first decision wins.
func (t *Tx) Decide(id int64, state, by, note string) (bool, error) {
	res, err := t.tx.ExecContext(t.ctx, `UPDATE held SET state = ?, decided_by = ?, decided_at = ?, note = ?
		WHERE id = ? AND state = 'held'`, state, by, unixMilli(t.now), note, id)
	if err != nil {
		return false, fmt.Errorf("decide held post %d: %w", id, classify(err))
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// Claim marks a held post as taken by a moderator.
func (t *Tx) Claim(id int64, by string) error {
	if _, err := t.tx.ExecContext(t.ctx, `UPDATE held SET claimed_by = ? WHERE id = ? AND state = 'held'`, by, id); err != nil {
		return fmt.Errorf("claim held post %d: %w", id, classify(err))
	}
	return nil
}

// LogModeration records who did what to a held post, and when.
func (t *Tx) LogModeration(heldID, listID int64, actor, action, note string) error {
	_, err := t.tx.ExecContext(t.ctx, `INSERT INTO mod_log (held_id, list_id, actor, action, note, at) VALUES (?, ?, ?, ?, ?, ?)`,
		heldID, listID, actor, action, note, unixMilli(t.now))
	if err != nil {
		return fmt.Errorf("moderation log: %w", classify(err))
	}
	return nil
}

// MarkSummarized notes that a daily summary mentioned the held post at.
func (t *Tx) MarkSummarized(id int64, at time.Time) error {
	_, err := t.tx.ExecContext(t.ctx, `UPDATE held SET summarized_at = ? WHERE id = ?`, unixMilli(at), id)
	return err
}

// HeldPosts returns the posts in a state, for one list (listID > 0) or all, oldest first.
func (s *DB) HeldPosts(ctx context.Context, listID int64, state string) ([]*Held, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+heldColumns+` FROM held WHERE (? = 0 OR list_id = ?) AND state = ? ORDER BY id`,
		listID, listID, state)
	if err != nil {
		return nil, fmt.Errorf("held posts: %w", err)
	}
	defer rows.Close()
	var out []*Held
	for rows.Next() {
		h, err := scanHeld(rows)
		if err != nil {
			return nil, fmt.Errorf("held posts: %w", err)
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// HeldByID returns a held post, or ErrNotFound.
func (s *DB) HeldByID(ctx context.Context, id int64) (*Held, error) {
	h, err := scanHeld(s.db.QueryRowContext(ctx, `SELECT `+heldColumns+` FROM held WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("held post %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("held post %d: %w", id, err)
	}
	return h, nil
}

// ModLogEntry is one recorded moderation event.
type ModLogEntry struct {
	HeldID int64
	Actor  string
	Action string
	Note   string
	At     time.Time
}

// ModerationLog returns the events of a held post in order.
func (s *DB) ModerationLog(ctx context.Context, heldID int64) ([]ModLogEntry, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT held_id, actor, action, note, at FROM mod_log WHERE held_id = ? ORDER BY id`, heldID)
	if err != nil {
		return nil, fmt.Errorf("moderation log: %w", err)
	}
	defer rows.Close()
	var out []ModLogEntry
	for rows.Next() {
		var e ModLogEntry
		var at int64
		if err := rows.Scan(&e.HeldID, &e.Actor, &e.Action, &e.Note, &at); err != nil {
			return nil, fmt.Errorf("moderation log: %w", err)
		}
		e.At = fromMilli(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// Trust lets address post to the list without being held by the member rules.
func (t *Tx) Trust(listID int64, address string) error {
	_, err := t.tx.ExecContext(t.ctx, `INSERT INTO trusted_senders (list_id, address) VALUES (?, ?) ON CONFLICT DO NOTHING`, listID, address)
	if err != nil {
		return fmt.Errorf("trust sender: %w", classify(err))
	}
	return nil
}

// Trusted reports whether a moderator said to always let address through.
func (s *DB) Trusted(ctx context.Context, listID int64, address string) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM trusted_senders WHERE list_id = ? AND address = ?`, listID, address).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("trusted sender: %w", err)
	}
	return n > 0, nil
}

// Moderators returns the list's moderators and owners.
func (s *DB) Moderators(ctx context.Context, listID int64) ([]*Member, error) {
	return owners(ctx, s.db, listID)
}
