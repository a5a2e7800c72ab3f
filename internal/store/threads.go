package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ThreadSummary is one line of a list's thread index.
type ThreadSummary struct {
	ID        int64 // the archive id of the first post
	ListID    int64
	Subject   string
	Author    string // the first post's author name; "" when unnamed or removed
	Posts     int
	FirstDate time.Time
	LastID    int64
	LastDate  time.Time
}

// Threads returns up to limit threads of the list, the most recently active first,
// those active before the post beforeLastID when that is not zero (keyset paging).
func (s *DB) Threads(ctx context.Context, listID int64, limit int, beforeLastID int64) ([]*ThreadSummary, error) {
	if beforeLastID <= 0 {
		beforeLastID = 1<<63 - 1
	}
	rows, err := s.db.QueryContext(ctx, `SELECT t.id, t.list_id, t.subject, COALESCE(m.from_name, ''), t.posts,
		t.first_date, t.last_id, t.last_date
		FROM threads t LEFT JOIN messages m ON m.id = t.id
		WHERE t.list_id = ? AND t.last_id < ? ORDER BY t.last_id DESC LIMIT ?`, listID, beforeLastID, limit)
	if err != nil {
		return nil, fmt.Errorf("threads: %w", err)
	}
	defer rows.Close()
	var out []*ThreadSummary
	for rows.Next() {
		var t ThreadSummary
		var first, last int64
		if err := rows.Scan(&t.ID, &t.ListID, &t.Subject, &t.Author, &t.Posts, &first, &t.LastID, &last); err != nil {
			return nil, fmt.Errorf("threads: %w", err)
		}
		t.FirstDate, t.LastDate = time.Unix(first, 0).UTC(), time.Unix(last, 0).UTC()
		out = append(out, &t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("threads: %w", err)
	}
	return out, nil
}

// ThreadByID returns one thread's summary, or ErrNotFound.
func (s *DB) ThreadByID(ctx context.Context, listID, threadID int64) (*ThreadSummary, error) {
	var t ThreadSummary
	var first, last int64
	err := s.db.QueryRowContext(ctx, `SELECT t.id, t.list_id, t.subject, COALESCE(m.from_name, ''), t.posts,
		t.first_date, t.last_id, t.last_date
		FROM threads t LEFT JOIN messages m ON m.id = t.id WHERE t.list_id = ? AND t.id = ?`, listID, threadID).
		Scan(&t.ID, &t.ListID, &t.Subject, &t.Author, &t.Posts, &first, &t.LastID, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("thread %d: %w", threadID, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("thread %d: %w", threadID, err)
	}
	t.FirstDate, t.LastDate = time.Unix(first, 0).UTC(), time.Unix(last, 0).UTC()
	return &t, nil
}

// MonthCount is the number of a list's posts dated in one month.
type MonthCount struct {
	Year, Month int
	Posts       int
}

// Months returns the months that have posts in the list, newest first.
func (s *DB) Months(ctx context.Context, listID int64) ([]MonthCount, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT month, posts FROM archive_months WHERE list_id = ? AND posts > 0
		ORDER BY month DESC`, listID)
	if err != nil {
		return nil, fmt.Errorf("months: %w", err)
	}
	defer rows.Close()
	var out []MonthCount
	for rows.Next() {
		var month string
		var c MonthCount
		if err := rows.Scan(&month, &c.Posts); err != nil {
			return nil, fmt.Errorf("months: %w", err)
		}
		if _, err := fmt.Sscanf(month, "%d-%d", &c.Year, &c.Month); err != nil {
			continue // a Date before year 0 or after 9999 cannot be linked
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("months: %w", err)
	}
	return out, nil
}

// MessagesDated returns up to limit posts of the list dated in [since, until), oldest
// first.
func (s *DB) MessagesDated(ctx context.Context, listID int64, since, until time.Time, limit int) ([]*Message, error) {
	ms, err := s.queryMessages(ctx, `SELECT `+messageColumns+` FROM messages WHERE list_id = ? AND date >= ? AND date < ?
		ORDER BY date, id LIMIT ?`, listID, since.Unix(), until.Unix(), limit)
	if err != nil {
		return nil, fmt.Errorf("messages dated: %w", err)
	}
	return ms, nil
}
