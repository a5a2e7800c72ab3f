package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base32"
	"errors"
	"fmt"
	"time"
)

// Relay stands for one address on one list in private replies: relay addresses
// carry its random ID, never the address.
type Relay struct {
	ID        string
	ListID    int64
	Address   string
	CreatedAt time.Time
}

// Block is an address (Author) that takes no more private replies from the person
// behind a relay.
type Block struct {
	Author    string
	RelayID   string
	ListID    int64
	CreatedAt time.Time
}

var relayIDEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// newRelayID is 60 random bits in 12 lower-case letters and digits, which survive in
// the local part of an address.
func newRelayID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return relayIDEncoding.EncodeToString(b)[:12]
}

// RelayFor returns the relay of address on the list, making one the first time.
func (t *Tx) RelayFor(listID int64, address string) (*Relay, error) {
	r := Relay{ListID: listID, Address: address}
	var created int64
	err := t.tx.QueryRowContext(t.ctx, `SELECT id, created_at FROM privreply_relays WHERE list_id = ? AND address = ?`,
		listID, address).Scan(&r.ID, &created)
	if err == nil {
		r.CreatedAt = fromMilli(created)
		return &r, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("relay: %w", classify(err))
	}
	r.CreatedAt = t.now
	for range 3 {
		r.ID = newRelayID()
		_, err = t.tx.ExecContext(t.ctx, `INSERT INTO privreply_relays (id, list_id, address, created_at) VALUES (?, ?, ?, ?)`,
			r.ID, listID, address, unixMilli(t.now))
		if err = classify(err); !errors.Is(err, ErrExists) {
			break // done, or a real error; a taken id is tried again
		}
	}
	if err != nil {
		return nil, fmt.Errorf("new relay: %w", err)
	}
	return &r, nil
}

// RelayByID returns a relay, or ErrNotFound.
func (t *Tx) RelayByID(id string) (*Relay, error) {
	r := Relay{ID: id}
	var created int64
	err := t.tx.QueryRowContext(t.ctx, `SELECT list_id, address, created_at FROM privreply_relays WHERE id = ?`, id).
		Scan(&r.ListID, &r.Address, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("relay: %w", ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("relay: %w", classify(err))
	}
	r.CreatedAt = fromMilli(created)
	return &r, nil
}

// Blocked reports whether author blocked the relay.
func (t *Tx) Blocked(author, relayID string) (bool, error) {
	var n int
	err := t.tx.QueryRowContext(t.ctx, `SELECT COUNT(*) FROM privreply_blocks WHERE author = ? AND relay_id = ?`, author, relayID).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("block: %w", classify(err))
	}
	return n > 0, nil
}

// Block records that author takes no more private replies through the relay; a
// second block of the same relay changes nothing.
func (t *Tx) Block(author, relayID string) error {
	_, err := t.tx.ExecContext(t.ctx, `INSERT INTO privreply_blocks (author, relay_id, created_at) VALUES (?, ?, ?)
		ON CONFLICT (author, relay_id) DO NOTHING`, author, relayID, unixMilli(t.now))
	if err != nil {
		return fmt.Errorf("block: %w", classify(err))
	}
	return nil
}

// exportPrivReplies adds the address's relays and the blocks it made to ex. Blocks
// against it are left out: they would tell who made them.
func (s *DB) exportPrivReplies(ctx context.Context, ex *Export) error {
	rows, err := s.db.QueryContext(ctx, `SELECT id, list_id, address, created_at FROM privreply_relays WHERE address = ? ORDER BY created_at, id`, ex.Address)
	if err != nil {
		return fmt.Errorf("export relays: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r Relay
		var created int64
		if err := rows.Scan(&r.ID, &r.ListID, &r.Address, &created); err != nil {
			return fmt.Errorf("export relays: %w", err)
		}
		r.CreatedAt = fromMilli(created)
		ex.Relays = append(ex.Relays, &r)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("export relays: %w", err)
	}
	brows, err := s.db.QueryContext(ctx, `SELECT b.author, b.relay_id, r.list_id, b.created_at FROM privreply_blocks b
		JOIN privreply_relays r ON r.id = b.relay_id WHERE b.author = ? ORDER BY b.created_at, b.relay_id`, ex.Address)
	if err != nil {
		return fmt.Errorf("export blocks: %w", err)
	}
	defer brows.Close()
	for brows.Next() {
		var b Block
		var created int64
		if err := brows.Scan(&b.Author, &b.RelayID, &b.ListID, &created); err != nil {
			return fmt.Errorf("export blocks: %w", err)
		}
		b.CreatedAt = fromMilli(created)
		ex.Blocks = append(ex.Blocks, &b)
	}
	return brows.Err()
}

// erasePrivReplies removes the address's relays, the blocks against them and the
// blocks it made.
func erasePrivReplies(ctx context.Context, tx *sql.Tx, address string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM privreply_blocks
		WHERE author = ? OR relay_id IN (SELECT id FROM privreply_relays WHERE address = ?)`, address, address); err != nil {
		return fmt.Errorf("erase private replies: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM privreply_relays WHERE address = ?`, address); err != nil {
		return fmt.Errorf("erase private replies: %w", err)
	}
	return nil
}
