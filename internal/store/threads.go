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
	// LastReceived is when the newest post came in (an imported post: its date);
	// the thread index is in this order.
	LastReceived time.Time
}

// ThreadCursor is where a page of the thread index ends: the next page starts below
// it. The zero cursor is the top.
type ThreadCursor struct {
	Received int64 // Unix seconds
	LastID   int64
}

// Cursor is the position of t in the thread index.
func (t *ThreadSummary) Cursor() ThreadCursor {
	return ThreadCursor{Received: t.LastReceived.Unix(), LastID: t.LastID}
}

// The list page's statements (see TestReadPlans).
const (
	threadsSQL = `SELECT ` + threadColumns + ` FROM threads t LEFT JOIN messages m ON m.id = t.id
		WHERE t.list_id = ? AND (t.last_received, t.last_id) < (?, ?)
		ORDER BY t.last_received DESC, t.last_id DESC LIMIT ?`
	monthsSQL = `SELECT month, posts FROM archive_months WHERE list_id = ? AND posts > 0 ORDER BY month DESC`
)

const threadColumns = `t.id, t.list_id, t.subject, COALESCE(m.from_name, ''), t.posts, t.first_date, t.last_id, t.last_date, t.last_received`

func scanThread(row interface{ Scan(...any) error }) (*ThreadSummary, error) {
	var t ThreadSummary
	var first, last, received int64
	if err := row.Scan(&t.ID, &t.ListID, &t.Subject, &t.Author, &t.Posts, &first, &t.LastID, &last, &received); err != nil {
		return nil, err
	}
	t.FirstDate, t.LastDate, t.LastReceived = time.Unix(first, 0).UTC(), time.Unix(last, 0).UTC(), time.Unix(received, 0).UTC()
	return &t, nil
}

// Threads returns up to limit threads of the list, the one with the latest post
// first, starting below before (keyset paging; the zero cursor is the top).
func (s *DB) Threads(ctx context.Context, listID int64, limit int, before ThreadCursor) ([]*ThreadSummary, error) {
	if before == (ThreadCursor{}) {
		before = ThreadCursor{Received: 1<<63 - 1, LastID: 1<<63 - 1}
	}
	st, err := s.stmt(ctx, threadsSQL)
	if err != nil {
		return nil, fmt.Errorf("threads: %w", err)
	}
	rows, err := st.QueryContext(ctx, listID, before.Received, before.LastID, limit)
	if err != nil {
		return nil, fmt.Errorf("threads: %w", err)
	}
	defer rows.Close()
	var out []*ThreadSummary
	for rows.Next() {
		t, err := scanThread(rows)
		if err != nil {
			return nil, fmt.Errorf("threads: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("threads: %w", err)
	}
	return out, nil
}

// ThreadByID returns one thread's summary, or ErrNotFound.
func (s *DB) ThreadByID(ctx context.Context, listID, threadID int64) (*ThreadSummary, error) {
	t, err := scanThread(s.db.QueryRowContext(ctx, `SELECT `+threadColumns+`
		FROM threads t LEFT JOIN messages m ON m.id = t.id WHERE t.list_id = ? AND t.id = ?`, listID, threadID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("thread %d: %w", threadID, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("thread %d: %w", threadID, err)
	}
	return t, nil
}

// MonthCount is the number of a list's posts dated in one month.
type MonthCount struct {
	Year, Month int
	Posts       int
}

// Months returns the months that have posts in the list, newest first.
func (s *DB) Months(ctx context.Context, listID int64) ([]MonthCount, error) {
	st, err := s.stmt(ctx, monthsSQL)
	if err != nil {
		return nil, fmt.Errorf("months: %w", err)
	}
	rows, err := st.QueryContext(ctx, listID)
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
