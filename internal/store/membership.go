package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Tx is a transaction of the store, for domain operations that must change several
// things at once (a pending request and the mail that asks to confirm it).
type Tx struct {
	db  *DB
	tx  *sql.Tx
	ctx context.Context
	now time.Time
}

// Update runs fn in one transaction: all of its changes are committed, or none.
func (s *DB) Update(ctx context.Context, fn func(*Tx) error) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		return fn(&Tx{db: s, tx: tx, ctx: ctx, now: s.now()})
	})
}

// Pending is a request to join or leave that waits for confirmation.
type Pending struct {
	ID          int64
	ListID      int64
	Address     string
	Action      string // subscribe, unsubscribe
	Nonce       string // what the confirmation token names
	Mode        string
	Name        string
	Postal      string
	Language    string
	ConsentText string
	ConsentAt   time.Time
	ExpiresAt   time.Time
}

// PutPending stores p, replacing an earlier request of the same list, address and
// action (asking again starts over with a new nonce and expiry).
func (t *Tx) PutPending(p *Pending) error {
	res, err := t.tx.ExecContext(t.ctx, `INSERT INTO pending (list_id, address, action, nonce, mode, name, postal, language,
		consent_text, consent_at, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (list_id, address, action) DO UPDATE SET nonce = excluded.nonce, mode = excluded.mode,
			name = excluded.name, postal = excluded.postal, language = excluded.language,
			consent_text = excluded.consent_text, consent_at = excluded.consent_at,
			created_at = excluded.created_at, expires_at = excluded.expires_at`,
		p.ListID, p.Address, p.Action, p.Nonce, p.Mode, p.Name, p.Postal, p.Language, p.ConsentText, nullMilli(p.ConsentAt),
		unixMilli(t.now), unixMilli(p.ExpiresAt))
	if err != nil {
		return fmt.Errorf("put pending: %w", classify(err))
	}
	if id, err := res.LastInsertId(); err == nil {
		p.ID = id
	}
	return nil
}

// TakePending removes and returns the request with that nonce, or ErrNotFound.
func (t *Tx) TakePending(nonce string) (*Pending, error) {
	var p Pending
	var consent sql.NullInt64
	var expires int64
	err := t.tx.QueryRowContext(t.ctx, `DELETE FROM pending WHERE nonce = ?
		RETURNING id, list_id, address, action, nonce, mode, name, postal, language, consent_text, consent_at, expires_at`, nonce).
		Scan(&p.ID, &p.ListID, &p.Address, &p.Action, &p.Nonce, &p.Mode, &p.Name, &p.Postal, &p.Language, &p.ConsentText, &consent, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("pending request: %w", ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("pending request: %w", err)
	}
	p.ConsentAt, p.ExpiresAt = fromNull(consent), fromMilli(expires)
	return &p, nil
}

// Member returns the member with that address on the list, or ErrNotFound.
func (t *Tx) Member(listID int64, address string) (*Member, error) {
	m, err := scanMember(t.tx.QueryRowContext(t.ctx, `SELECT `+memberColumns+` FROM members WHERE list_id = ? AND address = ?`, listID, address))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("member %s: %w", address, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("member %s: %w", address, err)
	}
	return m, nil
}

// AddMember adds m; ErrExists if the address is on the list already.
func (t *Tx) AddMember(m *Member) error {
	if err := insertMember(t.ctx, t.tx, m, t.now); err != nil {
		return fmt.Errorf("add member: %w", classify(err))
	}
	return nil
}

// SaveMember writes a member's settings, delivery state and bounce record.
func (t *Tx) SaveMember(m *Member) error {
	_, err := t.tx.ExecContext(t.ctx, `UPDATE members SET name = ?, mode = ?, role = ?, postal = ?, language = ?,
		consent_text = ?, consent_at = ?, disabled_at = ?, bounce_score = ?, bounce_last = ?, dmarc_bounces = ?,
		posts = ?, trusted = ?, auto_replies = ?, digest_format = ?, bounce_reason = ? WHERE id = ?`,
		m.Name, m.Mode, m.Role, m.Postal, m.Language, m.ConsentText, nullMilli(m.ConsentAt), nullMilli(m.DisabledAt),
		m.BounceScore, nullMilli(m.BounceLast), m.DMARCBounces, m.Posts, m.Trusted, m.AutoReplies, or(m.DigestFormat, "newsletter"), m.BounceReason, m.ID)
	if err != nil {
		return fmt.Errorf("save member: %w", classify(err))
	}
	return nil
}

// RemoveMember deletes a member and the copies still queued for them.
func (t *Tx) RemoveMember(id int64) error {
	if _, err := t.tx.ExecContext(t.ctx, `DELETE FROM deliveries WHERE member_id = ? AND state = 'queued' AND in_flight = 0`, id); err != nil {
		return fmt.Errorf("remove member: %w", classify(err))
	}
	if _, err := t.tx.ExecContext(t.ctx, `DELETE FROM members WHERE id = ?`, id); err != nil {
		return fmt.Errorf("remove member: %w", classify(err))
	}
	return nil
}

// Owners returns the list's owners and moderators.
func (t *Tx) Owners(listID int64) ([]*Member, error) {
	return owners(t.ctx, t.tx, listID)
}

func owners(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, listID int64) ([]*Member, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+memberColumns+` FROM members WHERE list_id = ? AND role IN ('owner', 'moderator') ORDER BY id`, listID)
	if err != nil {
		return nil, fmt.Errorf("owners: %w", err)
	}
	defer rows.Close()
	var out []*Member
	for rows.Next() {
		m, err := scanMember(rows)
		if err != nil {
			return nil, fmt.Errorf("owners: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// Mail is a standalone message (not an archived post) for the queue.
type Mail struct {
	ID       int64
	Kind     string // confirm, welcome, goodbye, help, notice, ...
	MailFrom string // envelope sender; "" for the null sender
	Raw      []byte
}

// MailRcpt is one recipient of a standalone mail.
type MailRcpt struct {
	Address  string
	ListID   int64
	MemberID int64 // 0 if not a member
}

// QueueMail stores m and queues one copy for each recipient.
func (t *Tx) QueueMail(m *Mail, rcpts []MailRcpt) error {
	res, err := t.tx.ExecContext(t.ctx, `INSERT INTO mails (kind, mail_from, raw, created_at) VALUES (?, ?, ?, ?)`,
		m.Kind, m.MailFrom, m.Raw, unixMilli(t.now))
	if err != nil {
		return fmt.Errorf("queue mail: %w", classify(err))
	}
	m.ID, _ = res.LastInsertId()
	for _, r := range rcpts {
		var member sql.NullInt64
		if r.MemberID != 0 {
			member = sql.NullInt64{Int64: r.MemberID, Valid: true}
		}
		_, err := t.tx.ExecContext(t.ctx, `INSERT INTO deliveries (mail_id, list_id, member_id, rcpt, next_attempt, created_at)
			VALUES (?, ?, ?, ?, ?, ?)`, m.ID, r.ListID, member, r.Address, unixMilli(t.now), unixMilli(t.now))
		if err != nil {
			return fmt.Errorf("queue mail: %w", classify(err))
		}
	}
	return nil
}

// UseToken records a single-use token's digest; ErrExists if it was used before.
func (t *Tx) UseToken(digest string, expires time.Time) error {
	_, err := t.tx.ExecContext(t.ctx, `INSERT INTO used_tokens (digest, expires_at) VALUES (?, ?)`, digest, unixMilli(expires))
	if err != nil {
		return fmt.Errorf("use token: %w", classify(err))
	}
	return nil
}

// Allow counts one event for key in the current window of length window and reports
// whether the count is still within limit.
func (t *Tx) Allow(key string, window time.Duration, limit int) (bool, error) {
	start := t.now.Truncate(window)
	var n int
	err := t.tx.QueryRowContext(t.ctx, `INSERT INTO rates (key, window_start, count) VALUES (?, ?, 1)
		ON CONFLICT (key, window_start) DO UPDATE SET count = count + 1 RETURNING count`, key, unixMilli(start)).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("rate %s: %w", key, classify(err))
	}
	return n <= limit, nil
}

// RateLimit is one counter of a rate rule: at most Limit events under Key in any
// period of length Window (one Key, one Window) (the counts of the current and the previous window, the
// previous one weighted by how much of it the period still covers).
type RateLimit struct {
	Key    string
	Window time.Duration
	Limit  int
}

// AllowAll counts one event under every limit when each still has room, and returns
// -1; otherwise it counts none and returns the index of the first limit that is
// exhausted. Windows longer than a day are not kept (see Expire).
func (t *Tx) AllowAll(limits []RateLimit) (int, error) {
	for i, l := range limits {
		start := t.now.Truncate(l.Window)
		var cur, prev int
		rows, err := t.tx.QueryContext(t.ctx, `SELECT window_start, count FROM rates WHERE key = ? AND window_start IN (?, ?)`,
			l.Key, unixMilli(start), unixMilli(start.Add(-l.Window)))
		if err != nil {
			return 0, fmt.Errorf("rate %s: %w", l.Key, classify(err))
		}
		for rows.Next() {
			var ws int64
			var n int
			if err := rows.Scan(&ws, &n); err != nil {
				rows.Close()
				return 0, fmt.Errorf("rate %s: %w", l.Key, err)
			}
			if ws == unixMilli(start) {
				cur = n
			} else {
				prev = n
			}
		}
		if err := rows.Close(); err != nil {
			return 0, fmt.Errorf("rate %s: %w", l.Key, err)
		}
		covered := float64(l.Window-t.now.Sub(start)) / float64(l.Window)
		if float64(prev)*covered+float64(cur)+1 > float64(l.Limit) {
			return i, nil
		}
	}
	for _, l := range limits {
		_, err := t.tx.ExecContext(t.ctx, `INSERT INTO rates (key, window_start, count) VALUES (?, ?, 1)
			ON CONFLICT (key, window_start) DO UPDATE SET count = count + 1`, l.Key, unixMilli(t.now.Truncate(l.Window)))
		if err != nil {
			return 0, fmt.Errorf("rate %s: %w", l.Key, classify(err))
		}
	}
	return -1, nil
}

// Mail returns a standalone mail, or ErrNotFound.
func (s *DB) Mail(ctx context.Context, id int64) (*Mail, error) {
	var m Mail
	err := s.db.QueryRowContext(ctx, `SELECT id, kind, mail_from, raw FROM mails WHERE id = ?`, id).Scan(&m.ID, &m.Kind, &m.MailFrom, &m.Raw)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("mail %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("mail %d: %w", id, err)
	}
	return &m, nil
}

// Memberships returns every membership of an address, with the lists.
func (s *DB) Memberships(ctx context.Context, address string) ([]*Member, error) {
	return memberships(ctx, s.db, address)
}

// Memberships returns every membership of an address, within the transaction.
func (t *Tx) Memberships(address string) ([]*Member, error) {
	return memberships(t.ctx, t.tx, address)
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func memberships(ctx context.Context, db querier, address string) ([]*Member, error) {
	rows, err := db.QueryContext(ctx, `SELECT `+memberColumns+` FROM members WHERE address = ? ORDER BY list_id`, address)
	if err != nil {
		return nil, fmt.Errorf("memberships: %w", err)
	}
	defer rows.Close()
	var out []*Member
	for rows.Next() {
		m, err := scanMember(rows)
		if err != nil {
			return nil, fmt.Errorf("memberships: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// DisabledSince returns members whose delivery was disabled before cutoff.
func (s *DB) DisabledSince(ctx context.Context, cutoff time.Time) ([]*Member, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+memberColumns+` FROM members WHERE disabled_at IS NOT NULL AND disabled_at < ?`, unixMilli(cutoff))
	if err != nil {
		return nil, fmt.Errorf("disabled members: %w", err)
	}
	defer rows.Close()
	var out []*Member
	for rows.Next() {
		m, err := scanMember(rows)
		if err != nil {
			return nil, fmt.Errorf("disabled members: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// Expire removes what has run out: pending requests, used-token records, old rate
// windows and sessions.
func (s *DB) Expire(ctx context.Context, now time.Time) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		for _, q := range []string{
			`DELETE FROM pending WHERE expires_at < ?`,
			`DELETE FROM used_tokens WHERE expires_at < ?`,
			`DELETE FROM sessions WHERE expires_at < ?`,
			`DELETE FROM logins WHERE expires_at < ?`,
			expireFollowSQL[0], expireFollowSQL[1], expireFollowSQL[2],
		} {
			if _, err := tx.ExecContext(ctx, q, unixMilli(now)); err != nil {
				return fmt.Errorf("expire: %w", err)
			}
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM rates WHERE window_start < ?`, unixMilli(now.Add(-48*time.Hour)))
		return err
	})
}

// CreateSession stores a web session by the hash of its cookie.
func (s *DB) CreateSession(ctx context.Context, idHash, address string, expires time.Time) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO sessions (id_hash, address, created_at, expires_at) VALUES (?, ?, ?, ?)`,
		idHash, address, unixMilli(s.now()), unixMilli(expires))
	if err != nil {
		return fmt.Errorf("create session: %w", classify(err))
	}
	return nil
}

// SessionAddress returns the address of a live session, or ErrNotFound.
func (s *DB) SessionAddress(ctx context.Context, idHash string, now time.Time) (string, error) {
	var addr string
	err := s.db.QueryRowContext(ctx, `SELECT address FROM sessions WHERE id_hash = ? AND expires_at > ?`, idHash, unixMilli(now)).Scan(&addr)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("session: %w", ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("session: %w", err)
	}
	return addr, nil
}

// Session is a live web session: who logged in, and when.
type Session struct {
	Address string
	Created time.Time
}

// SessionByHash returns a live session, or ErrNotFound. Admin pages look at its age.
func (s *DB) SessionByHash(ctx context.Context, idHash string, now time.Time) (Session, error) {
	var ss Session
	var created int64
	err := s.db.QueryRowContext(ctx, `SELECT address, created_at FROM sessions WHERE id_hash = ? AND expires_at > ?`, idHash, unixMilli(now)).Scan(&ss.Address, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, fmt.Errorf("session: %w", ErrNotFound)
	}
	if err != nil {
		return Session{}, fmt.Errorf("session: %w", err)
	}
	ss.Created = fromMilli(created)
	return ss, nil
}

// DeleteSession ends a session.
func (s *DB) DeleteSession(ctx context.Context, idHash string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE id_hash = ?`, idHash); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// PutLogin keeps a login link's nonce hash until it is used or expires.
func (t *Tx) PutLogin(nonceHash, address string, expires time.Time) error {
	_, err := t.tx.ExecContext(t.ctx, `INSERT INTO logins (nonce_hash, address, expires_at) VALUES (?, ?, ?)`,
		nonceHash, address, unixMilli(expires))
	if err != nil {
		return fmt.Errorf("put login: %w", classify(err))
	}
	return nil
}

// TakeLogin removes a login link and returns its address, or ErrNotFound when it
// was used or has expired.
func (s *DB) TakeLogin(ctx context.Context, nonceHash string, now time.Time) (string, error) {
	var addr string
	err := s.db.QueryRowContext(ctx, `DELETE FROM logins WHERE nonce_hash = ? AND expires_at > ? RETURNING address`,
		nonceHash, unixMilli(now)).Scan(&addr)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("login link: %w", ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("login link: %w", classify(err))
	}
	return addr, nil
}

// PendingByNonce returns a pending request without taking it, or ErrNotFound.
func (s *DB) PendingByNonce(ctx context.Context, nonce string) (*Pending, error) {
	var p Pending
	var expires int64
	err := s.db.QueryRowContext(ctx, `SELECT id, list_id, address, action, nonce, expires_at FROM pending WHERE nonce = ?`, nonce).
		Scan(&p.ID, &p.ListID, &p.Address, &p.Action, &p.Nonce, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("pending request: %w", ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("pending request: %w", err)
	}
	p.ExpiresAt = fromMilli(expires)
	return &p, nil
}

// LoginWaiting reports whether a login link is unused and unexpired.
func (s *DB) LoginWaiting(ctx context.Context, nonceHash string, now time.Time) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM logins WHERE nonce_hash = ? AND expires_at > ?`, nonceHash, unixMilli(now)).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("login link: %w", err)
	}
	return n > 0, nil
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// TellSignatureOnce marks that a member was told that their list removes
// signatures; it returns true only the first time, so the notice goes out once.
func (t *Tx) TellSignatureOnce(memberID int64) (bool, error) {
	res, err := t.tx.ExecContext(t.ctx, `UPDATE members SET signature_told = 1 WHERE id = ? AND signature_told = 0`, memberID)
	if err != nil {
		return false, fmt.Errorf("signature notice: %w", classify(err))
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}
