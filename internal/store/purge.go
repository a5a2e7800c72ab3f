package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Purging. A withdrawal, an erasure or an expiry zeroes what it deletes (secureTx),
// but the text still lives on in three places until PurgeTraces has run: the
// full-text index's segments, free pages, and the write-ahead log, which holds pages
// as they were until a checkpoint has copied it into the database and emptied it.
// The deletion marks the database in its own transaction (purge_pending, migration
// 0017) and only a complete purge takes the mark away, so that a purge cut short is
// finished later (PurgePending) instead of never.

// purgeWait is how long PurgeTraces waits for readers to let go of the write-ahead
// log before it gives up and leaves the purge pending.
const purgeWait = time.Minute

// checkpointStep is how long one attempt to empty the write-ahead log waits for
// readers. Writers wait while it does, so the attempts are short, with a pause
// between them in which writers go on.
const checkpointStep = 200 * time.Millisecond

// markPurge notes in tx that it deletes something PurgeTraces must purge.
func markPurge(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO purge_pending (id, gen) VALUES (1, 1)
		ON CONFLICT (id) DO UPDATE SET gen = gen + 1`)
	return err
}

// purgeGen returns the count of deletions marked and not yet purged (0: none).
func (s *DB) purgeGen(ctx context.Context) (int64, error) {
	var gen int64
	err := s.db.QueryRowContext(ctx, `SELECT gen FROM purge_pending WHERE id = 1`).Scan(&gen)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("purge pending: %w", classify(err))
	}
	return gen, nil
}

// PurgeTraces removes what a withdrawal, erasure or expiry leaves: the full-text
// index is merged into one segment, securely (its segments keep a deleted post's
// words until they are merged, and its b-tree prefixes of the first word of each
// page), the free pages, which keep what they held, are given back (Compact), and
// the write-ahead log, which may still hold pages as they were, is checkpointed and
// truncated, waiting for readers that still use it. The merge holds up writers for
// about half a second per 200 MB of database; vacuuming would take several times as
// long.
//
// Once begun, a purge runs to its end even when ctx is cancelled: a shutdown that cut
// it short would leave what it is there to remove. When a reader keeps the log past
// purgeWait, it returns an error and the purge stays pending.
func (s *DB) PurgeTraces(ctx context.Context) error {
	ctx = context.WithoutCancel(ctx)
	s.purgeMu.Lock()
	defer s.purgeMu.Unlock()
	// Deletions marked after this are not covered by this purge: their mark stays.
	gen, err := s.purgeGen(ctx)
	if err != nil {
		return fmt.Errorf("purge traces: %w", err)
	}
	err = s.secureTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO messages_fts (messages_fts) VALUES ('optimize')`)
		return err
	})
	if err != nil {
		return fmt.Errorf("purge traces: optimize: %w", err)
	}
	if err := s.Compact(ctx); err != nil {
		return fmt.Errorf("purge traces: %w", err)
	}
	if err := s.emptyLog(ctx, s.purgeWait); err != nil {
		return fmt.Errorf("purge traces: %w", err)
	}
	if gen > 0 {
		if _, err := s.db.ExecContext(ctx, `DELETE FROM purge_pending WHERE id = 1 AND gen = ?`, gen); err != nil {
			return fmt.Errorf("purge traces: %w", classify(err))
		}
	}
	return nil
}

// PurgePending finishes a purge that was cut short: one a deletion marked and no
// PurgeTraces completed since. It does nothing when none is pending.
func (s *DB) PurgePending(ctx context.Context) error {
	gen, err := s.purgeGen(ctx)
	if err != nil || gen == 0 {
		return err
	}
	return s.PurgeTraces(ctx)
}

// emptyLog copies the write-ahead log into the database and truncates it to nothing.
// A reader inside a transaction keeps the log as it is until it ends (and, if it
// began before the latest writes, the database pages those replaced), and SQLite
// reports that as "busy" in the checkpoint's result, not as an error: the log is
// emptied only when that says 0. emptyLog tries again until wait has passed.
func (s *DB) emptyLog(ctx context.Context, wait time.Duration) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return classify(err)
	}
	defer conn.Close()
	var before int
	if err := conn.QueryRowContext(ctx, `PRAGMA busy_timeout`).Scan(&before); err != nil {
		return classify(err)
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`PRAGMA busy_timeout = %d`, checkpointStep.Milliseconds())); err != nil {
		return classify(err)
	}
	defer conn.ExecContext(ctx, fmt.Sprintf(`PRAGMA busy_timeout = %d`, before))
	end := time.Now().Add(wait)
	for {
		var busy, frames, copied int
		if err := conn.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &frames, &copied); err != nil {
			return fmt.Errorf("checkpoint: %w", classify(err))
		}
		if busy == 0 {
			return nil
		}
		if time.Now().After(end) {
			return fmt.Errorf("checkpoint: readers kept the write-ahead log for %v (%d of %d pages copied)", wait, copied, frames)
		}
		time.Sleep(checkpointStep)
	}
}
