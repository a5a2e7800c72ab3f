package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Post is a message accepted for a list: archived and queued for the members in one
// transaction.
type Post struct {
	ListID      int64
	MessageID   string
	Subject     string
	SubjectKey  string // normalized subject, for threading by subject
	FromName    string
	FromAddr    string
	Date        time.Time
	Text        string
	Raw         []byte
	ParseErrors string
	// ParentCandidates are Message-IDs of possible parents, nearest first
	// (In-Reply-To, then References from the last one back).
	ParentCandidates []string
	// SubjectFallback allows threading by SubjectKey when no parent is found.
	SubjectFallback bool
}

// Accepted says what AcceptPost did.
type Accepted struct {
	ID        int64
	ThreadID  int64
	Duplicate bool // the list already had this Message-ID: nothing was stored or queued
	Queued    int  // copies queued for members
}

// subjectWindow bounds threading by subject to recent threads.
const subjectWindow = 30 * 24 * time.Hour

// AcceptPost archives p and queues one copy for every member of its list who gets
// each post, in one transaction: when it returns nil, both are on disk.
func (s *DB) AcceptPost(ctx context.Context, p *Post) (*Accepted, error) {
	var a *Accepted
	err := s.Update(ctx, func(t *Tx) error {
		var err error
		a, err = t.AcceptPost(p)
		return err
	})
	return a, err
}

// AcceptPost archives p and queues its copies within the transaction.
func (t *Tx) AcceptPost(p *Post) (*Accepted, error) {
	var a Accepted
	ctx, now := t.ctx, t.now
	err := func(tx *sql.Tx) error {
		var existing int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM messages WHERE list_id = ? AND message_id = ?`, p.ListID, p.MessageID).Scan(&existing)
		if err == nil {
			a = Accepted{ID: existing, Duplicate: true}
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		parent, thread, err := findParent(ctx, tx, p, now)
		if err != nil {
			return err
		}
		var id int64
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) + 1 FROM messages`).Scan(&id); err != nil {
			return err
		}
		if thread == 0 {
			thread = id
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO messages (id, list_id, message_id, thread_id, parent_id, subject, subject_key,
			from_name, from_addr, date, received_at, body_text, size, parse_errors)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, p.ListID, p.MessageID, thread, parent, p.Subject, p.SubjectKey, p.FromName, p.FromAddr,
			p.Date.Unix(), now.Unix(), p.Text, len(p.Raw), p.ParseErrors)
		if err != nil {
			return fmt.Errorf("archive: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO message_raw (message_id, raw) VALUES (?, ?)`, id, p.Raw); err != nil {
			return fmt.Errorf("archive raw: %w", err)
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO deliveries (message_id, list_id, member_id, rcpt, next_attempt, created_at)
			SELECT ?, list_id, id, address, ?, ? FROM members
			WHERE list_id = ? AND mode = 'each' AND disabled_at IS NULL ORDER BY id`,
			id, unixMilli(now), unixMilli(now), p.ListID)
		if err != nil {
			return fmt.Errorf("queue: %w", err)
		}
		n, _ := res.RowsAffected()
		a = Accepted{ID: id, ThreadID: thread, Queued: int(n)}
		return nil
	}(t.tx)
	if err != nil {
		return nil, fmt.Errorf("accept post %s: %w", p.MessageID, classify(err))
	}
	return &a, nil
}

// findParent returns the parent's id and thread, or zeros for a new thread.
func findParent(ctx context.Context, tx *sql.Tx, p *Post, now time.Time) (parent, thread int64, err error) {
	for _, mid := range p.ParentCandidates {
		err := tx.QueryRowContext(ctx, `SELECT id, thread_id FROM messages WHERE list_id = ? AND message_id = ?`,
			p.ListID, mid).Scan(&parent, &thread)
		if err == nil {
			return parent, thread, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return 0, 0, err
		}
	}
	if !p.SubjectFallback || p.SubjectKey == "" {
		return 0, 0, nil
	}
	err = tx.QueryRowContext(ctx, `SELECT id, thread_id FROM messages WHERE list_id = ? AND subject_key = ? AND date > ?
		ORDER BY id DESC LIMIT 1`, p.ListID, p.SubjectKey, now.Add(-subjectWindow).Unix()).Scan(&parent, &thread)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, nil
	}
	return parent, thread, err
}

// Message is an archived post.
type Message struct {
	ID         int64
	ListID     int64
	MessageID  string
	ThreadID   int64
	ParentID   int64
	Subject    string
	FromName   string
	FromAddr   string
	Date       time.Time
	ReceivedAt time.Time
	Text       string
	Size       int
}

const messageColumns = `id, list_id, message_id, thread_id, COALESCE(parent_id, 0), subject, from_name, from_addr, date, received_at, body_text, size`

func scanMessage(row interface{ Scan(...any) error }) (*Message, error) {
	var m Message
	var date, received int64
	if err := row.Scan(&m.ID, &m.ListID, &m.MessageID, &m.ThreadID, &m.ParentID, &m.Subject, &m.FromName, &m.FromAddr,
		&date, &received, &m.Text, &m.Size); err != nil {
		return nil, err
	}
	m.Date = time.Unix(date, 0).UTC()
	m.ReceivedAt = time.Unix(received, 0).UTC()
	return &m, nil
}

func (s *DB) queryMessages(ctx context.Context, query string, args ...any) ([]*Message, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// Messages returns up to limit posts of the list, newest first, older than beforeID
// when that is not zero.
func (s *DB) Messages(ctx context.Context, listID int64, limit int, beforeID int64) ([]*Message, error) {
	if beforeID <= 0 {
		beforeID = 1<<63 - 1
	}
	ms, err := s.queryMessages(ctx, `SELECT `+messageColumns+` FROM messages WHERE list_id = ? AND id < ?
		ORDER BY id DESC LIMIT ?`, listID, beforeID, limit)
	if err != nil {
		return nil, fmt.Errorf("messages: %w", err)
	}
	return ms, nil
}

// Message returns one post of the list, or ErrNotFound.
func (s *DB) Message(ctx context.Context, listID, id int64) (*Message, error) {
	m, err := scanMessage(s.db.QueryRowContext(ctx, `SELECT `+messageColumns+` FROM messages WHERE list_id = ? AND id = ?`, listID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("message %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("message %d: %w", id, err)
	}
	return m, nil
}

// Thread returns the posts of one thread in the order they arrived, or ErrNotFound.
func (s *DB) Thread(ctx context.Context, listID, threadID int64) ([]*Message, error) {
	ms, err := s.queryMessages(ctx, `SELECT `+messageColumns+` FROM messages WHERE list_id = ? AND thread_id = ?
		ORDER BY id`, listID, threadID)
	if err != nil {
		return nil, fmt.Errorf("thread %d: %w", threadID, err)
	}
	if len(ms) == 0 {
		return nil, fmt.Errorf("thread %d: %w", threadID, ErrNotFound)
	}
	return ms, nil
}

// Raw returns a post's bytes as received.
func (s *DB) Raw(ctx context.Context, id int64) ([]byte, error) {
	var raw []byte
	err := s.db.QueryRowContext(ctx, `SELECT raw FROM message_raw WHERE message_id = ?`, id).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("raw %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("raw %d: %w", id, err)
	}
	return raw, nil
}

// Hit is one search result.
type Hit struct {
	ID      int64
	Subject string
	Snippet string
}

// Search finds the list's posts that contain every word of query, best first.
func (s *DB) Search(ctx context.Context, listID int64, query string, limit int) ([]Hit, error) {
	match := ftsQuery(query)
	if match == "" {
		return nil, nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT m.id, m.subject, snippet(messages_fts, 1, '', '', '…', 16)
		FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid
		WHERE messages_fts MATCH ? AND m.list_id = ? ORDER BY rank LIMIT ?`, match, listID, limit)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	defer rows.Close()
	var hits []Hit
	for rows.Next() {
		var h Hit
		if err := rows.Scan(&h.ID, &h.Subject, &h.Snippet); err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
		hits = append(hits, h)
	}
	return hits, rows.Err()
}

// ftsQuery turns what a person typed into an FTS5 query of quoted words, so that
// no input is an FTS5 syntax error.
func ftsQuery(q string) string {
	var terms []string
	for _, w := range strings.Fields(q) {
		w = strings.ReplaceAll(w, `"`, ``)
		if w != "" {
			terms = append(terms, `"`+w+`"`)
		}
	}
	return strings.Join(terms, " ")
}
