package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Following and muting threads, the web forms' idempotency, visitors' questions
// waiting for confirmation and the count of first posts by channel.

// Follow states of a member for one thread.
const (
	Following = "follow"
	Muted     = "mute"
)

// SetFollow records member's choice for thread: Following, Muted, or "" for the
// member's mode alone.
func (t *Tx) SetFollow(memberID, threadID int64, state string) error {
	var err error
	if state == "" {
		_, err = t.tx.ExecContext(t.ctx, `DELETE FROM thread_follows WHERE member_id = ? AND thread_id = ?`, memberID, threadID)
	} else {
		_, err = t.tx.ExecContext(t.ctx, `INSERT INTO thread_follows (member_id, thread_id, state) VALUES (?, ?, ?)
			ON CONFLICT (member_id, thread_id) DO UPDATE SET state = excluded.state`, memberID, threadID, state)
	}
	if err != nil {
		return fmt.Errorf("follow thread %d: %w", threadID, classify(err))
	}
	return nil
}

// FollowUnlessChosen makes member follow thread unless they chose for it before (a
// mute stays).
func (t *Tx) FollowUnlessChosen(memberID, threadID int64) error {
	_, err := t.tx.ExecContext(t.ctx, `INSERT INTO thread_follows (member_id, thread_id, state) VALUES (?, ?, 'follow')
		ON CONFLICT (member_id, thread_id) DO NOTHING`, memberID, threadID)
	if err != nil {
		return fmt.Errorf("follow thread %d: %w", threadID, classify(err))
	}
	return nil
}

// SetFollow records member's choice for thread in its own transaction.
func (s *DB) SetFollow(ctx context.Context, memberID, threadID int64, state string) error {
	return s.Update(ctx, func(t *Tx) error { return t.SetFollow(memberID, threadID, state) })
}

// FollowState is member's choice for thread: Following, Muted or "".
func (s *DB) FollowState(ctx context.Context, memberID, threadID int64) (string, error) {
	var st string
	err := s.db.QueryRowContext(ctx, `SELECT state FROM thread_follows WHERE member_id = ? AND thread_id = ?`, memberID, threadID).Scan(&st)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("follow state: %w", err)
	}
	return st, nil
}

// FollowersByMail are the members who get thread's posts only because they follow
// it (their mode would not send them): their copies carry the link that unfollows.
func (s *DB) FollowersByMail(ctx context.Context, threadID int64) (map[int64]bool, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT f.member_id FROM thread_follows f JOIN members m ON m.id = f.member_id
		WHERE f.thread_id = ? AND f.state = 'follow' AND m.mode <> 'each'`, threadID)
	if err != nil {
		return nil, fmt.Errorf("followers of thread %d: %w", threadID, err)
	}
	defer rows.Close()
	out := map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out[id] = true
	}
	return out, rows.Err()
}

// FollowLater makes member follow the thread of the list's post messageID once it is
// archived (it may wait for the moderators first).
func (t *Tx) FollowLater(listID int64, messageID string, memberID int64) error {
	_, err := t.tx.ExecContext(t.ctx, `INSERT INTO follow_pending (list_id, message_id, member_id, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT DO NOTHING`, listID, messageID, memberID, unixMilli(t.now))
	if err != nil {
		return fmt.Errorf("follow later: %w", classify(err))
	}
	return nil
}

// adoptFollows turns the follows waiting for post messageID into follows of its
// thread; an earlier choice for the thread (a mute) stays. AcceptPost calls it after
// queueing the copies, so the author does not get their own post for following.
func adoptFollows(ctx context.Context, tx *sql.Tx, listID int64, messageID string, thread int64) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO thread_follows (member_id, thread_id, state)
		SELECT member_id, ?, 'follow' FROM follow_pending WHERE list_id = ? AND message_id = ? ORDER BY member_id
		ON CONFLICT (member_id, thread_id) DO NOTHING`, thread, listID, messageID); err != nil {
		return fmt.Errorf("follows: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM follow_pending WHERE list_id = ? AND message_id = ?`, listID, messageID); err != nil {
		return fmt.Errorf("follows: %w", err)
	}
	return nil
}

// fanOutSQL queues a post's copies: members who get each post and did not mute its
// thread, and members who follow the thread whatever their mode. Its arguments are
// message id, now, now, list id, thread, thread.
const fanOutSQL = `INSERT INTO deliveries (message_id, list_id, member_id, rcpt, next_attempt, created_at)
	SELECT ?, list_id, id, address, ?, ? FROM members
	WHERE list_id = ? AND disabled_at IS NULL AND (
		(mode = 'each' AND NOT EXISTS (SELECT 1 FROM thread_follows f
			WHERE f.member_id = members.id AND f.thread_id = ? AND f.state = 'mute'))
		OR EXISTS (SELECT 1 FROM thread_follows f WHERE f.member_id = members.id AND f.thread_id = ? AND f.state = 'follow'))
	ORDER BY id`

// SubmitKeyTTL is how long a web form's idempotency token is remembered.
const SubmitKeyTTL = 7 * 24 * time.Hour

// ClaimSubmit records that the form with idempotency key made post messageID. When
// the key was used before it records nothing and returns the Message-ID of the
// earlier post.
func (t *Tx) ClaimSubmit(key, messageID string) (string, error) {
	var earlier string
	err := t.tx.QueryRowContext(t.ctx, `SELECT message_id FROM web_submits WHERE key = ?`, key).Scan(&earlier)
	if err == nil {
		return earlier, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("web submit: %w", err)
	}
	if _, err := t.tx.ExecContext(t.ctx, `INSERT INTO web_submits (key, message_id, created_at) VALUES (?, ?, ?)`,
		key, messageID, unixMilli(t.now)); err != nil {
		return "", fmt.Errorf("web submit: %w", classify(err))
	}
	return "", nil
}

// Submitted returns the Message-ID of the post a form with key made, or "".
func (s *DB) Submitted(ctx context.Context, key string) (string, error) {
	var mid string
	err := s.db.QueryRowContext(ctx, `SELECT message_id FROM web_submits WHERE key = ?`, key).Scan(&mid)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("web submit: %w", err)
	}
	return mid, nil
}

// Ask is a visitor's question waiting for the link that confirms their address.
type Ask struct {
	Nonce     string
	ListID    int64
	Address   string
	Name      string
	Postal    string
	Mode      string // each, digest, thread
	Language  string
	Subject   string
	Body      string
	ExpiresAt time.Time
}

// PutAsk stores a question.
func (t *Tx) PutAsk(a *Ask) error {
	_, err := t.tx.ExecContext(t.ctx, `INSERT INTO asks (nonce, list_id, address, name, postal, mode, language, subject, body,
		created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.Nonce, a.ListID, a.Address, a.Name, a.Postal, a.Mode, a.Language, a.Subject, a.Body, unixMilli(t.now), unixMilli(a.ExpiresAt))
	if err != nil {
		return fmt.Errorf("put question: %w", classify(err))
	}
	return nil
}

const askColumns = `nonce, list_id, address, name, postal, mode, language, subject, body, expires_at`

func scanAsk(row interface{ Scan(...any) error }) (*Ask, error) {
	var a Ask
	var exp int64
	err := row.Scan(&a.Nonce, &a.ListID, &a.Address, &a.Name, &a.Postal, &a.Mode, &a.Language, &a.Subject, &a.Body, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("question: %w", ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("question: %w", err)
	}
	a.ExpiresAt = fromMilli(exp)
	return &a, nil
}

// TakeAsk removes and returns the question with that nonce, or ErrNotFound.
func (t *Tx) TakeAsk(nonce string) (*Ask, error) {
	return scanAsk(t.tx.QueryRowContext(t.ctx, `DELETE FROM asks WHERE nonce = ? RETURNING `+askColumns, nonce))
}

// AskByNonce returns the question with that nonce, or ErrNotFound.
func (s *DB) AskByNonce(ctx context.Context, nonce string) (*Ask, error) {
	return scanAsk(s.db.QueryRowContext(ctx, `SELECT `+askColumns+` FROM asks WHERE nonce = ?`, nonce))
}

// CountFirstPost counts one first post to the list that came by channel (mail, web).
func (t *Tx) CountFirstPost(listID int64, channel string) error {
	_, err := t.tx.ExecContext(t.ctx, `INSERT INTO first_posts (list_id, channel, count) VALUES (?, ?, 1)
		ON CONFLICT (list_id, channel) DO UPDATE SET count = count + 1`, listID, channel)
	if err != nil {
		return fmt.Errorf("count first post: %w", classify(err))
	}
	return nil
}

// FirstPosts is the number of first posts by channel, over all lists.
func (s *DB) FirstPosts(ctx context.Context) (map[string]int64, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT channel, SUM(count) FROM first_posts GROUP BY channel`)
	if err != nil {
		return nil, fmt.Errorf("first posts: %w", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var ch string
		var n int64
		if err := rows.Scan(&ch, &n); err != nil {
			return nil, err
		}
		out[ch] = n
	}
	return out, rows.Err()
}

// expireFollowSQL removes questions past their link's life, old form tokens, and
// follows of posts that were never archived.
var expireFollowSQL = []string{
	`DELETE FROM asks WHERE expires_at < ?`,
	`DELETE FROM web_submits WHERE created_at < ? - ` + fmt.Sprint(SubmitKeyTTL.Milliseconds()),
	`DELETE FROM follow_pending WHERE created_at < ? - ` + fmt.Sprint((90 * 24 * time.Hour).Milliseconds()),
}

// PostByMessageID returns the list's archived post with that Message-ID (as
// received), or ErrNotFound.
func (s *DB) PostByMessageID(ctx context.Context, listID int64, messageID string) (*Message, error) {
	m, err := s.scanMessage(s.db.QueryRowContext(ctx, `SELECT `+messageColumns+` FROM messages WHERE list_id = ? AND message_id = ?`,
		listID, messageID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("post %s: %w", messageID, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("post %s: %w", messageID, err)
	}
	return m, nil
}

// Follow is a member's choice for one thread, for the export of their data.
type Follow struct {
	ListID   int64
	ThreadID int64
	State    string
}

// exportFollow adds the address's waiting questions and thread choices to ex.
func (s *DB) exportFollow(ctx context.Context, ex *Export) error {
	rows, err := s.db.QueryContext(ctx, `SELECT `+askColumns+` FROM asks WHERE address = ? ORDER BY created_at`, ex.Address)
	if err != nil {
		return fmt.Errorf("export questions: %w", err)
	}
	for rows.Next() {
		a, err := scanAsk(rows)
		if err != nil {
			rows.Close()
			return fmt.Errorf("export questions: %w", err)
		}
		ex.Asks = append(ex.Asks, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("export questions: %w", err)
	}
	frows, err := s.db.QueryContext(ctx, `SELECT m.list_id, f.thread_id, f.state FROM thread_follows f JOIN members m ON m.id = f.member_id
		WHERE m.address = ? ORDER BY m.list_id, f.thread_id`, ex.Address)
	if err != nil {
		return fmt.Errorf("export follows: %w", err)
	}
	defer frows.Close()
	for frows.Next() {
		var f Follow
		if err := frows.Scan(&f.ListID, &f.ThreadID, &f.State); err != nil {
			return fmt.Errorf("export follows: %w", err)
		}
		ex.Follows = append(ex.Follows, &f)
	}
	return frows.Err()
}
