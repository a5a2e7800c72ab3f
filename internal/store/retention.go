package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Retention is how long one list keeps its posts.
type Retention struct {
	ListID int64
	Name   string
	Months int // 0 keeps them
}

// Retentions returns the lists that keep their posts for a limited time.
func (s *DB) Retentions(ctx context.Context) ([]Retention, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, name, retention_months FROM lists WHERE retention_months > 0 ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("retentions: %w", err)
	}
	defer rows.Close()
	var out []Retention
	for rows.Next() {
		var r Retention
		if err := rows.Scan(&r.ListID, &r.Name, &r.Months); err != nil {
			return nil, fmt.Errorf("retentions: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Expired counts what DeletePostsBefore removed.
type Expired struct {
	Posts, Held int
}

// retentionBatch is how many posts one transaction deletes, so that live posts never
// wait long behind a large first run.
const retentionBatch = 100

// DeletePostsBefore deletes the list's posts that arrived before cutoff, with what
// hangs on them: their bytes, queued and past copies and IMAP flags (foreign keys),
// the full-text index, threads and month counts (triggers), and the list's held copies
// (waiting or decided) and audit log entries from before cutoff, all deleted securely (see secureTx).
// PurgeTraces afterwards removes what is left of them in the index, free pages and
// the write-ahead log; until it has, the purge is pending (see PurgePending).
func (s *DB) DeletePostsBefore(ctx context.Context, listID int64, cutoff time.Time) (Expired, error) {
	var e Expired
	for {
		var n int64
		err := s.secureTx(ctx, func(tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, `DELETE FROM messages WHERE id IN
				(SELECT id FROM messages WHERE list_id = ? AND received_at < ? ORDER BY id LIMIT ?)`,
				listID, cutoff.Unix(), retentionBatch)
			if err != nil {
				return err
			}
			if n, _ = res.RowsAffected(); n > 0 {
				return markPurge(ctx, tx)
			}
			return nil
		})
		if err != nil {
			return e, fmt.Errorf("delete old posts: %w", err)
		}
		e.Posts += int(n)
		if n < retentionBatch {
			break
		}
		if err := ctx.Err(); err != nil {
			return e, err
		}
	}
	err := s.secureTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM mod_log WHERE held_id IN (SELECT id FROM held WHERE list_id = ? AND created_at < ?)`,
			listID, unixMilli(cutoff)); err != nil {
			return err
		}
		// The audit log is kept as long as the posts it speaks of.
		if _, err := tx.ExecContext(ctx, `DELETE FROM audit_log WHERE list_id = ? AND at < ?`, listID, unixMilli(cutoff)); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM held WHERE list_id = ? AND created_at < ?`, listID, unixMilli(cutoff))
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		e.Held = int(n)
		if n > 0 {
			return markPurge(ctx, tx)
		}
		return nil
	})
	if err != nil {
		return e, fmt.Errorf("delete old held posts: %w", err)
	}
	return e, nil
}
