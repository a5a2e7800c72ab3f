package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Delivery is one queued copy of a post for one recipient.
type Delivery struct {
	ID          int64
	MessageID   int64 // archive id of the post; 0 for a standalone mail
	MailID      int64 // id of a standalone mail; 0 for a post
	DigestID    int64 // id of a digest issue
	ListID      int64
	MemberID    int64 // 0 when the member is gone
	Rcpt        string
	State       string // queued, sent, failed
	Attempts    int    // attempts started, including the one in flight
	NextAttempt time.Time
	LastError   string
	CreatedAt   time.Time
}

const deliveryColumns = `id, COALESCE(message_id, 0), COALESCE(mail_id, 0), COALESCE(digest_id, 0), list_id, COALESCE(member_id, 0), rcpt, state, attempts, next_attempt, last_error, created_at`

func scanDelivery(row interface{ Scan(...any) error }) (*Delivery, error) {
	var d Delivery
	var next, created int64
	if err := row.Scan(&d.ID, &d.MessageID, &d.MailID, &d.DigestID, &d.ListID, &d.MemberID, &d.Rcpt, &d.State, &d.Attempts, &next, &d.LastError, &created); err != nil {
		return nil, err
	}
	d.NextAttempt = fromMilli(next)
	d.CreatedAt = fromMilli(created)
	return &d, nil
}

// ResetInFlight makes the rows that were in flight when the process stopped due now,
// so delivery resumes where it stopped. Call it once at start, before any worker runs.
func (s *DB) ResetInFlight(ctx context.Context, now time.Time) (int, error) {
	res, err := s.qdb.ExecContext(ctx, `UPDATE deliveries SET in_flight = 0, next_attempt = ? WHERE in_flight = 1`, unixMilli(now))
	if err != nil {
		return 0, fmt.Errorf("reset in-flight deliveries: %w", classify(err))
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// ClaimDue marks up to limit queued rows that are due at now as in flight, counts the
// attempt, and returns them in queue order. A claimed row is not returned again until
// Finish or ResetInFlight releases it.
func (s *DB) ClaimDue(ctx context.Context, now time.Time, limit int) ([]*Delivery, error) {
	var out []*Delivery
	err := inTx(ctx, s.qdb, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `UPDATE deliveries SET in_flight = 1, attempts = attempts + 1
			WHERE id IN (SELECT id FROM deliveries WHERE state = 'queued' AND in_flight = 0 AND next_attempt <= ?
				ORDER BY next_attempt, id LIMIT ?)
			RETURNING `+deliveryColumns, unixMilli(now), limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			d, err := scanDelivery(rows)
			if err != nil {
				return err
			}
			out = append(out, d)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	// RETURNING gives no order guarantee; keep the queue's.
	slices.SortFunc(out, func(a, b *Delivery) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// Outcome is what happened to one claimed row.
type Outcome struct {
	ID    int64
	State string    // "sent", "failed" (permanent), or "queued" (retry at Retry)
	Retry time.Time // for "queued"
	Error string    // the relay's reply or the network error, for "failed" and "queued"
}

// Finish records outcomes of claimed rows in one transaction and releases them.
func (s *DB) Finish(ctx context.Context, now time.Time, outcomes []Outcome) error {
	if len(outcomes) == 0 {
		return nil
	}
	err := inTx(ctx, s.qdb, func(tx *sql.Tx) error {
		sent, err := tx.PrepareContext(ctx, `UPDATE deliveries SET state = 'sent', in_flight = 0, done_at = ?, last_error = '' WHERE id = ?`)
		if err != nil {
			return err
		}
		defer sent.Close()
		failed, err := tx.PrepareContext(ctx, `UPDATE deliveries SET state = 'failed', in_flight = 0, done_at = ?, last_error = ? WHERE id = ?`)
		if err != nil {
			return err
		}
		defer failed.Close()
		retry, err := tx.PrepareContext(ctx, `UPDATE deliveries SET in_flight = 0, next_attempt = ?, last_error = ? WHERE id = ?`)
		if err != nil {
			return err
		}
		defer retry.Close()
		for _, o := range outcomes {
			switch o.State {
			case "sent":
				_, err = sent.ExecContext(ctx, unixMilli(now), o.ID)
			case "failed":
				_, err = failed.ExecContext(ctx, unixMilli(now), o.Error, o.ID)
			case "queued":
				_, err = retry.ExecContext(ctx, unixMilli(o.Retry), o.Error, o.ID)
			default:
				err = fmt.Errorf("delivery %d: unknown state %q", o.ID, o.State)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("finish deliveries: %w", err)
	}
	return nil
}

// NextDue returns when the earliest queued row that is not in flight is due.
func (s *DB) NextDue(ctx context.Context) (time.Time, bool, error) {
	var next sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT MIN(next_attempt) FROM deliveries WHERE state = 'queued' AND in_flight = 0`).Scan(&next)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("next due delivery: %w", err)
	}
	if !next.Valid {
		return time.Time{}, false, nil
	}
	return fromMilli(next.Int64), true, nil
}

// RetireDeliveries deletes rows that were finished before cutoff.
func (s *DB) RetireDeliveries(ctx context.Context, cutoff time.Time) (int, error) {
	var n int64
	err := inTx(ctx, s.qdb, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM deliveries WHERE state <> 'queued' AND done_at < ?`, unixMilli(cutoff))
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		// A standalone mail goes when its last copy is retired.
		_, err = tx.ExecContext(ctx, `DELETE FROM mails WHERE created_at < ?
			AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.mail_id = mails.id)`, unixMilli(cutoff))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("retire deliveries: %w", err)
	}
	return int(n), nil
}

// DeliveryCounts returns the number of rows per state.
func (s *DB) DeliveryCounts(ctx context.Context) (map[string]int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT state, COUNT(*) FROM deliveries GROUP BY state`)
	if err != nil {
		return nil, fmt.Errorf("delivery counts: %w", err)
	}
	defer rows.Close()
	out := map[string]int{"queued": 0, "sent": 0, "failed": 0}
	for rows.Next() {
		var state string
		var n int
		if err := rows.Scan(&state, &n); err != nil {
			return nil, fmt.Errorf("delivery counts: %w", err)
		}
		out[state] = n
	}
	return out, rows.Err()
}

// Deliveries returns rows in the given states, oldest first, for the outbox page.
func (s *DB) Deliveries(ctx context.Context, states []string, limit, offset int) ([]*Delivery, error) {
	if len(states) == 0 {
		return nil, errors.New("deliveries: no state given")
	}
	args := make([]any, 0, len(states)+2)
	for _, st := range states {
		args = append(args, st)
	}
	args = append(args, limit, offset)
	q := `SELECT ` + deliveryColumns + ` FROM deliveries WHERE state IN (?` + strings.Repeat(", ?", len(states)-1) + `)
		ORDER BY id LIMIT ? OFFSET ?`
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("deliveries: %w", err)
	}
	defer rows.Close()
	var out []*Delivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, fmt.Errorf("deliveries: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// DeliveryByID returns one row, or ErrNotFound.
func (s *DB) DeliveryByID(ctx context.Context, id int64) (*Delivery, error) {
	d, err := scanDelivery(s.db.QueryRowContext(ctx, `SELECT `+deliveryColumns+` FROM deliveries WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("delivery %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("delivery %d: %w", id, err)
	}
	return d, nil
}
