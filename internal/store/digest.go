package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// DigestIssue is one digest of a list: the posts after FromID up to ToID.
type DigestIssue struct {
	ID         int64
	ListID     int64
	Volume     int
	Number     int
	FromID     int64
	ToID       int64
	PeriodFrom time.Time
	CreatedAt  time.Time
	// Posts is how many posts the issue carries (not withdrawn ones); MakeDigest
	// fills it, it is not kept.
	Posts int
}

// NextDigestNumber is the number the list's next issue in volume will have.
func (s *DB) NextDigestNumber(ctx context.Context, listID int64, volume int) (int, error) {
	var number int
	if err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(number), 0) + 1 FROM digest_issues WHERE list_id = ? AND volume = ?`,
		listID, volume).Scan(&number); err != nil {
		return 0, fmt.Errorf("next digest number: %w", err)
	}
	return number, nil
}

// DigestBacklog returns how many posts of the list wait for the next digest.
func (s *DB) DigestBacklog(ctx context.Context, listID int64) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM messages m JOIN lists l ON l.id = m.list_id
		WHERE m.list_id = ? AND m.id > l.digest_last_id`, listID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("digest backlog: %w", err)
	}
	return n, nil
}

// MakeDigest creates the next issue of the list's digest and queues one copy for
// every member who reads the digest, in one transaction: an issue is made once and
// each member's row with it, so a crash while sending never makes or sends it twice.
// volume is the issue's volume (the caller counts them, e.g. by year). It returns
// nil when no post waits.
func (s *DB) MakeDigest(ctx context.Context, listID int64, volume int, now time.Time) (*DigestIssue, int, error) {
	var is *DigestIssue
	var queued int
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var lastID, lastAt, toID int64
		err := tx.QueryRowContext(ctx, `SELECT digest_last_id, digest_last_at FROM lists WHERE id = ?`, listID).Scan(&lastID, &lastAt)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("list %d: %w", listID, ErrNotFound)
		}
		if err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM messages WHERE list_id = ? AND id > ?`, listID, lastID).Scan(&toID); err != nil {
			return err
		}
		if toID == 0 {
			return nil
		}
		var number int
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(number), 0) + 1 FROM digest_issues WHERE list_id = ? AND volume = ?`,
			listID, volume).Scan(&number); err != nil {
			return err
		}
		periodFrom := lastAt
		if periodFrom == 0 {
			if err := tx.QueryRowContext(ctx, `SELECT MIN(received_at) * 1000 FROM messages WHERE list_id = ? AND id > ?`, listID, lastID).Scan(&periodFrom); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO digest_issues (list_id, volume, number, from_id, to_id, period_from, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, listID, volume, number, lastID, toID, periodFrom, unixMilli(now))
		if err != nil {
			return err
		}
		id, _ := res.LastInsertId()
		res, err = tx.ExecContext(ctx, `INSERT INTO deliveries (digest_id, list_id, member_id, rcpt, next_attempt, created_at)
			SELECT ?, list_id, id, address, ?, ? FROM members
			WHERE list_id = ? AND mode = 'digest' AND disabled_at IS NULL ORDER BY id`, id, unixMilli(now), unixMilli(now), listID)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		queued = int(n)
		if _, err := tx.ExecContext(ctx, `UPDATE lists SET digest_last_id = ?, digest_last_at = ? WHERE id = ?`, toID, unixMilli(now), listID); err != nil {
			return err
		}
		var posts int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM messages WHERE list_id = ? AND id > ? AND id <= ? AND withdrawn_at IS NULL`,
			listID, lastID, toID).Scan(&posts); err != nil {
			return err
		}
		is = &DigestIssue{ID: id, ListID: listID, Volume: volume, Number: number, FromID: lastID, ToID: toID,
			PeriodFrom: fromMilli(periodFrom), CreatedAt: now, Posts: posts}
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("make digest: %w", err)
	}
	return is, queued, nil
}

// DigestIssueByID returns an issue, or ErrNotFound.
func (s *DB) DigestIssueByID(ctx context.Context, id int64) (*DigestIssue, error) {
	var is DigestIssue
	var from, created int64
	err := s.db.QueryRowContext(ctx, `SELECT id, list_id, volume, number, from_id, to_id, period_from, created_at
		FROM digest_issues WHERE id = ?`, id).Scan(&is.ID, &is.ListID, &is.Volume, &is.Number, &is.FromID, &is.ToID, &from, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("digest issue %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("digest issue %d: %w", id, err)
	}
	is.PeriodFrom, is.CreatedAt = fromMilli(from), fromMilli(created)
	return &is, nil
}

// MessagesBetween returns the list's posts with fromID < id <= toID, oldest first.
func (s *DB) MessagesBetween(ctx context.Context, listID, fromID, toID int64) ([]*Message, error) {
	ms, err := s.queryMessages(ctx, `SELECT `+messageColumns+` FROM messages WHERE list_id = ? AND id > ? AND id <= ?
		ORDER BY id`, listID, fromID, toID)
	if err != nil {
		return nil, fmt.Errorf("posts for digest: %w", err)
	}
	return ms, nil
}
