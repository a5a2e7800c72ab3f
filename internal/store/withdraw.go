package store

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/base32"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Public Message-IDs. An anonymous list shows each post under a Message-ID of its own
// (PUBLIC@DOMAIN) instead of the sender's, whose host part may name the sender's
// machine. PUBLIC is an HMAC of the list and the original id under a key kept in the
// database: stable, and not reversible without the key.

var publicEnc = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// publicIDKey reads the key of public ids.
func publicIDKey(ctx context.Context, q interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}) ([]byte, error) {
	var key []byte
	if err := q.QueryRowContext(ctx, `SELECT key FROM public_id_key WHERE id = 1`).Scan(&key); err != nil {
		return nil, fmt.Errorf("public id key: %w", err)
	}
	return key, nil
}

// publicID is the public id of the list's post with Message-ID messageID: 26
// lower-case letters and digits.
func publicID(key []byte, listID int64, messageID string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("message-id\x00" + strconv.FormatInt(listID, 10) + "\x00" + messageID))
	return publicEnc.EncodeToString(m.Sum(nil)[:16])
}

// publicLocal returns the local part of id when it has the form of a public id (26
// base32 characters, or the 32 hex digits given to posts archived before public ids
// existed), else "": other ids need no second lookup.
func publicLocal(id string) string {
	local, _, ok := strings.Cut(id, "@")
	if !ok {
		return ""
	}
	local = strings.ToLower(local)
	switch len(local) {
	case 26, 32:
	default:
		return ""
	}
	for i := 0; i < len(local); i++ {
		if c := local[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return ""
		}
	}
	return local
}

// maxPublicLookups bounds the parameters of one lookup (SQLite allows 32766; a header
// with more references than this is cut short).
const maxPublicLookups = 200

// PublicIDs returns, for those of messageIDs that name posts of the list, the public
// id of each (the local part; the list's domain goes after it). An id names a post by
// the Message-ID it was received with, or by the public id the list showed for it
// (PUBLIC@DOMAIN, as members' replies to an anonymous list's copies have it).
func (s *DB) PublicIDs(ctx context.Context, listID int64, messageIDs []string) (map[string]string, error) {
	out := map[string]string{}
	if len(messageIDs) > maxPublicLookups {
		messageIDs = messageIDs[:maxPublicLookups]
	}
	if len(messageIDs) == 0 {
		return out, nil
	}
	args := make([]any, 0, 2*len(messageIDs)+1)
	args = append(args, listID)
	for _, id := range messageIDs {
		args = append(args, id)
	}
	byLocal := map[string][]string{}
	var locals []any
	for _, id := range messageIDs {
		if local := publicLocal(id); local != "" {
			if len(byLocal[local]) == 0 {
				locals = append(locals, local)
			}
			byLocal[local] = append(byLocal[local], id)
		}
	}
	// Two searches, one on each index: with an OR, SQLite walks every post of the list.
	query := `SELECT message_id, public_id FROM messages WHERE list_id = ? AND message_id IN (?` +
		strings.Repeat(", ?", len(messageIDs)-1) + `)`
	if len(locals) > 0 {
		query += ` UNION ALL SELECT message_id, public_id FROM messages WHERE list_id = ? AND public_id IN (?` +
			strings.Repeat(", ?", len(locals)-1) + `)`
		args = append(append(args, listID), locals...)
	}
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("public ids: %w", err)
	}
	defer rows.Close()
	asked := make(map[string]bool, len(messageIDs))
	for _, id := range messageIDs {
		asked[id] = true
	}
	for rows.Next() {
		var mid, pid string
		if err := rows.Scan(&mid, &pid); err != nil {
			return nil, fmt.Errorf("public ids: %w", err)
		}
		if pid == "" {
			continue
		}
		if asked[mid] {
			out[mid] = pid
		}
		for _, id := range byLocal[pid] {
			if _, ok := out[id]; !ok {
				out[id] = pid
			}
		}
	}
	return out, rows.Err()
}

// Withdrawal.

// Withdrawn says what WithdrawPost did.
type Withdrawn struct {
	Message    *Message // the post as it was before
	Deliveries int      // queued copies dropped
	Held       int      // held copies of it dropped
}

// WithdrawPost withdraws the list's post id on behalf of its author: the row stays,
// so the thread keeps its shape, with the subject and dates; text, author name and
// address go, the bytes become placeholder, and the post leaves the full-text index
// (its subject stays on the thread's page, but a search no longer finds it). Queued copies and held copies of the post are dropped. It returns
// ErrNotFound when the list has no such post by author, or one withdrawn already.
// What it replaces is zeroed (see secureTx); PurgeTraces afterwards removes what is
// left in the index, free pages and the write-ahead log, and until it has, the purge
// is pending (see PurgePending).
func (s *DB) WithdrawPost(ctx context.Context, listID, id int64, author string, placeholder []byte) (*Withdrawn, error) {
	var w Withdrawn
	now := s.now()
	err := s.secureTx(ctx, func(tx *sql.Tx) error {
		m, err := s.scanMessage(tx.QueryRowContext(ctx, `SELECT `+messageColumns+` FROM messages WHERE list_id = ? AND id = ?`, listID, id))
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if m.Withdrawn() || author == "" || !strings.EqualFold(m.FromAddr, author) {
			return ErrNotFound
		}
		w.Message = m
		if _, err := tx.ExecContext(ctx, `UPDATE messages SET body_text = '', from_name = '', from_addr = '', parse_errors = '',
			size = ?, withdrawn_at = ? WHERE id = ?`, len(placeholder), now.Unix(), id); err != nil {
			return err
		}
		if err := unindex(ctx, tx, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE message_raw SET raw = ? WHERE message_id = ?`, s.pack.packRaw(s.pack.live, placeholder), id); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM deliveries WHERE message_id = ? AND state = 'queued'`, id)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		w.Deliveries = int(n)
		res, err = tx.ExecContext(ctx, `DELETE FROM held WHERE list_id = ? AND message_id = ?`, listID, m.MessageID)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		w.Held = int(n)
		return markPurge(ctx, tx)
	})
	if err != nil {
		return nil, fmt.Errorf("withdraw post %d: %w", id, err)
	}
	return &w, nil
}

// secureTx runs fn in a transaction on a connection with PRAGMA secure_delete on, so
// that what fn deletes or overwrites is zeroed in the database pages rather than left
// in free space. With PurgeTraces after it, a withdrawal or an expiry leaves no trace
// without vacuuming the database, which takes seconds for every hundred megabytes and
// holds up every writer meanwhile.
func (s *DB) secureTx(ctx context.Context, fn func(*sql.Tx) error) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return classify(err)
	}
	defer conn.Close()
	var before string
	if err := conn.QueryRowContext(ctx, `PRAGMA secure_delete`).Scan(&before); err != nil {
		return classify(err)
	}
	if _, err := conn.ExecContext(ctx, `PRAGMA secure_delete = ON`); err != nil {
		return classify(err)
	}
	// The connection goes back to the pool as it was (0, 1 or 2 for FAST).
	restore := map[string]string{"1": "ON", "2": "FAST"}[before]
	if restore == "" {
		restore = "OFF"
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `PRAGMA secure_delete = `+restore)
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return classify(err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return classify(err)
	}
	return classify(tx.Commit())
}
