package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/klauspost/compress/zstd"
)

// Post is a message accepted for a list: archived and queued for the members in one
// transaction.
type Post struct {
	ListID      int64
	MessageID   string
	Subject     string
	SubjectKey  string // normalized subject, for threading by subject
	FromName    string
	FromAddr    string
	Date        time.Time
	Text        string
	Raw         []byte
	ParseErrors string
	// ParentCandidates are Message-IDs of possible parents, nearest first
	// (In-Reply-To, then References from the last one back).
	ParentCandidates []string
	// SubjectFallback allows threading by SubjectKey when no parent is found.
	SubjectFallback bool

	packed *packedPost // Raw and Text as stored, made by PackPost
}

// packedPost is a Post's Raw and Text compressed for storing, with what they were
// made from: the text, and a hash of the bytes (which may be changed in place).
type packedPost struct {
	raw     []byte
	rawSum  uint64
	text    any
	textSrc string
}

// PackPost compresses p's bytes and text for storing. An import calls it from its
// parsing workers, so that compressing runs on every core; AcceptPost and Import.Add
// compress what was not packed (or changed since). It is safe for concurrent use.
func (s *DB) PackPost(p *Post) {
	s.packPost(p, s.pack.live)
}

func (s *DB) packPost(p *Post, enc *zstd.Encoder) {
	p.packed = &packedPost{raw: s.pack.packRaw(enc, p.Raw), rawSum: s.pack.sum(p.Raw), text: s.pack.packText(enc, p.Text), textSrc: p.Text}
}

// stored returns p's Raw and Text as stored, packing them if PackPost was not called
// since they last changed.
func (s *DB) stored(p *Post) (raw []byte, text any) {
	if k := p.packed; k == nil || k.textSrc != p.Text || k.rawSum != s.pack.sum(p.Raw) {
		s.packPost(p, s.pack.live)
	}
	return p.packed.raw, p.packed.text
}

// Accepted says what AcceptPost did.
type Accepted struct {
	ID        int64
	ThreadID  int64
	Duplicate bool // the list already had this Message-ID: nothing was stored or queued
	Queued    int  // copies queued for members
}

// subjectWindow bounds threading by subject to recent threads.
const subjectWindow = 30 * 24 * time.Hour

// AcceptPost archives p and queues one copy for every member of its list who gets
// each post, in one transaction: when it returns nil, both are on disk.
func (s *DB) AcceptPost(ctx context.Context, p *Post) (*Accepted, error) {
	s.stored(p) // compressed before the transaction, which holds the write lock
	var a *Accepted
	err := s.Update(ctx, func(t *Tx) error {
		var err error
		a, err = t.AcceptPost(p)
		return err
	})
	return a, err
}

// AcceptPost archives p and queues its copies within the transaction.
func (t *Tx) AcceptPost(p *Post) (*Accepted, error) {
	var a Accepted
	ctx, now := t.ctx, t.now
	err := func(tx *sql.Tx) error {
		var existing int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM messages WHERE list_id = ? AND message_id = ?`, p.ListID, p.MessageID).Scan(&existing)
		if err == nil {
			a = Accepted{ID: existing, Duplicate: true}
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		// A live post may thread by subject with any recent post: no upper bound.
		parent, thread, err := findParent(txLookup{ctx, tx}, p, now.Add(-subjectWindow), time.Unix(1<<62, 0))
		if err != nil {
			return err
		}
		id, err := reserveMessageIDs(ctx, tx, 1)
		if err != nil {
			return err
		}
		if thread == 0 {
			thread = id
		}
		key, err := publicIDKey(ctx, tx)
		if err != nil {
			return err
		}
		raw, text := t.db.stored(p)
		_, err = tx.ExecContext(ctx, `INSERT INTO messages (id, list_id, message_id, thread_id, parent_id, subject, subject_key,
			from_name, from_addr, date, received_at, body_text, size, parse_errors, public_id)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, p.ListID, p.MessageID, thread, parent, p.Subject, p.SubjectKey, p.FromName, p.FromAddr,
			p.Date.Unix(), now.Unix(), text, len(p.Raw), p.ParseErrors, publicID(key, p.ListID, p.MessageID))
		if err != nil {
			return fmt.Errorf("archive: %w", err)
		}
		if _, err := tx.ExecContext(ctx, insertFTSSQL, id, p.Subject, p.Text, p.FromName); err != nil {
			return fmt.Errorf("archive index: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO message_raw (message_id, raw) VALUES (?, ?)`, id, raw); err != nil {
			return fmt.Errorf("archive raw: %w", err)
		}
		res, err := tx.ExecContext(ctx, fanOutSQL, id, unixMilli(now), unixMilli(now), p.ListID, thread, thread)
		if err != nil {
			return fmt.Errorf("queue: %w", err)
		}
		if err := adoptFollows(ctx, tx, p.ListID, p.MessageID, thread); err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		a = Accepted{ID: id, ThreadID: thread, Queued: int(n)}
		return nil
	}(t.tx)
	if err != nil {
		return nil, fmt.Errorf("accept post %s: %w", p.MessageID, classify(err))
	}
	return &a, nil
}

// parentLookup finds archived posts for threading. AcceptPost asks its transaction
// for each post; ImportPosts uses statements prepared once per batch.
type parentLookup interface {
	// byMessageID returns the id and thread of the list's post with that Message-ID,
	// or sql.ErrNoRows.
	byMessageID(listID int64, messageID string) (id, thread int64, err error)
	// bySubject returns the newest of the list's posts with that subject key dated
	// after since and not after until (Unix seconds), or sql.ErrNoRows.
	bySubject(listID int64, key string, since, until int64) (id, thread int64, err error)
}

// publicLookup finds a post by the local part of the Message-ID its anonymous list
// showed (public_id): members reply to that one, not to the original.
type publicLookup interface {
	byPublicID(listID int64, publicID string) (id, thread int64, err error)
}

const (
	byMessageIDSQL = `SELECT id, thread_id FROM messages WHERE list_id = ? AND message_id = ?`
	byPublicIDSQL  = `SELECT id, thread_id FROM messages WHERE list_id = ? AND public_id = ? ORDER BY id LIMIT 1`
	bySubjectSQL   = `SELECT id, thread_id FROM messages WHERE list_id = ? AND subject_key = ? AND date > ? AND date <= ?
		ORDER BY id DESC LIMIT 1`
)

// txLookup asks a transaction.
type txLookup struct {
	ctx context.Context
	tx  *sql.Tx
}

func (l txLookup) byMessageID(listID int64, mid string) (id, thread int64, err error) {
	err = l.tx.QueryRowContext(l.ctx, byMessageIDSQL, listID, mid).Scan(&id, &thread)
	return id, thread, err
}

func (l txLookup) bySubject(listID int64, key string, since, until int64) (id, thread int64, err error) {
	err = l.tx.QueryRowContext(l.ctx, bySubjectSQL, listID, key, since, until).Scan(&id, &thread)
	return id, thread, err
}

func (l txLookup) byPublicID(listID int64, publicID string) (id, thread int64, err error) {
	err = l.tx.QueryRowContext(l.ctx, byPublicIDSQL, listID, publicID).Scan(&id, &thread)
	return id, thread, err
}

// findParent returns the parent's id and thread, or zeros for a new thread. Threading
// by subject looks only at posts dated within (since, until].
func findParent(l parentLookup, p *Post, since, until time.Time) (parent, thread int64, err error) {
	pl, _ := l.(publicLookup)
	for _, mid := range p.ParentCandidates {
		parent, thread, err = l.byMessageID(p.ListID, mid)
		if errors.Is(err, sql.ErrNoRows) && pl != nil {
			if local := publicLocal(mid); local != "" {
				parent, thread, err = pl.byPublicID(p.ListID, local)
			}
		}
		if err == nil {
			return parent, thread, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return 0, 0, err
		}
	}
	if !p.SubjectFallback || p.SubjectKey == "" {
		return 0, 0, nil
	}
	parent, thread, err = l.bySubject(p.ListID, p.SubjectKey, since.Unix(), until.Unix())
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, nil
	}
	return parent, thread, err
}

// Message is an archived post.
type Message struct {
	ID         int64
	ListID     int64
	MessageID  string
	ThreadID   int64
	ParentID   int64
	Subject    string
	FromName   string
	FromAddr   string
	Date       time.Time
	ReceivedAt time.Time
	Text       string
	Size       int
	// PublicID is the local part of the Message-ID an anonymous list shows for the
	// post (see PublicMessageID); MessageID stays the original.
	PublicID string
	// WithdrawnAt is when the author withdrew the post; zero if not. A withdrawn post
	// keeps its id, thread and subject, and nothing else.
	WithdrawnAt time.Time
}

// Withdrawn reports whether the author withdrew the post.
func (m *Message) Withdrawn() bool { return !m.WithdrawnAt.IsZero() }

// PublicMessageID is the Message-ID (without brackets) an anonymous list at domain
// shows for the post in place of the original.
func (m *Message) PublicMessageID(domain string) string {
	if m.PublicID == "" {
		return m.MessageID
	}
	return m.PublicID + "@" + domain
}

const messageColumns = `id, list_id, message_id, thread_id, COALESCE(parent_id, 0), subject, from_name, from_addr, date, received_at,
	body_text, size, public_id, COALESCE(withdrawn_at, 0)`

func (s *DB) scanMessage(row interface{ Scan(...any) error }) (*Message, error) {
	var m Message
	var date, received, withdrawn int64
	if err := row.Scan(&m.ID, &m.ListID, &m.MessageID, &m.ThreadID, &m.ParentID, &m.Subject, &m.FromName, &m.FromAddr,
		&date, &received, textScanner{s.pack, &m.Text}, &m.Size, &m.PublicID, &withdrawn); err != nil {
		return nil, err
	}
	m.Date = time.Unix(date, 0).UTC()
	m.ReceivedAt = time.Unix(received, 0).UTC()
	if withdrawn != 0 {
		m.WithdrawnAt = time.Unix(withdrawn, 0).UTC()
	}
	return &m, nil
}

func (s *DB) queryMessages(ctx context.Context, query string, args ...any) ([]*Message, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return s.scanMessages(rows)
}

// queryPrepared is queryMessages through a statement prepared once (see stmt), for
// the pages' constant queries.
func (s *DB) queryPrepared(ctx context.Context, query string, args ...any) ([]*Message, error) {
	st, err := s.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return nil, err
	}
	return s.scanMessages(rows)
}

func (s *DB) scanMessages(rows *sql.Rows) ([]*Message, error) {
	defer rows.Close()
	var out []*Message
	for rows.Next() {
		m, err := s.scanMessage(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// Messages returns up to limit posts of the list, newest first, older than beforeID
// when that is not zero.
func (s *DB) Messages(ctx context.Context, listID int64, limit int, beforeID int64) ([]*Message, error) {
	if beforeID <= 0 {
		beforeID = 1<<63 - 1
	}
	ms, err := s.queryMessages(ctx, `SELECT `+messageColumns+` FROM messages WHERE list_id = ? AND id < ?
		ORDER BY id DESC LIMIT ?`, listID, beforeID, limit)
	if err != nil {
		return nil, fmt.Errorf("messages: %w", err)
	}
	return ms, nil
}

// Message returns one post of the list, or ErrNotFound.
func (s *DB) Message(ctx context.Context, listID, id int64) (*Message, error) {
	st, err := s.stmt(ctx, messageSQL)
	if err != nil {
		return nil, fmt.Errorf("message %d: %w", id, err)
	}
	m, err := s.scanMessage(st.QueryRowContext(ctx, listID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("message %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("message %d: %w", id, err)
	}
	return m, nil
}

// Thread returns the posts of one thread in the order they arrived, or ErrNotFound.
func (s *DB) Thread(ctx context.Context, listID, threadID int64) ([]*Message, error) {
	ms, err := s.queryPrepared(ctx, threadSQL, listID, threadID)
	if err != nil {
		return nil, fmt.Errorf("thread %d: %w", threadID, err)
	}
	if len(ms) == 0 {
		return nil, fmt.Errorf("thread %d: %w", threadID, ErrNotFound)
	}
	return ms, nil
}

// The statements of the archive's pages (see TestReadPlans).
const (
	messageSQL       = `SELECT ` + messageColumns + ` FROM messages WHERE list_id = ? AND id = ?`
	threadSQL        = `SELECT ` + messageColumns + ` FROM messages WHERE list_id = ? AND thread_id = ? ORDER BY id`
	threadOutlineSQL = `SELECT ` + outlineColumns + ` FROM messages WHERE list_id = ? AND thread_id = ? ORDER BY id`
	rawSQL           = `SELECT raw FROM message_raw WHERE message_id = ?`
)

// outlineColumns are messageColumns without the text, which stays "".
const outlineColumns = `id, list_id, message_id, thread_id, COALESCE(parent_id, 0), subject, from_name, from_addr, date, received_at,
	'', size, public_id, COALESCE(withdrawn_at, 0)`

// ThreadOutline is Thread without the posts' texts: for a page that shows one post
// and lists the others of its thread. A thread's texts are most of what Thread reads
// and inflates (150 posts in a long thread), and a post's page needs none of them.
func (s *DB) ThreadOutline(ctx context.Context, listID, threadID int64) ([]*Message, error) {
	ms, err := s.queryPrepared(ctx, threadOutlineSQL, listID, threadID)
	if err != nil {
		return nil, fmt.Errorf("thread %d: %w", threadID, err)
	}
	if len(ms) == 0 {
		return nil, fmt.Errorf("thread %d: %w", threadID, ErrNotFound)
	}
	return ms, nil
}

// Raw returns a post's bytes as received.
func (s *DB) Raw(ctx context.Context, id int64) ([]byte, error) {
	st, err := s.stmt(ctx, rawSQL)
	if err != nil {
		return nil, fmt.Errorf("raw %d: %w", id, err)
	}
	var raw []byte
	err = st.QueryRowContext(ctx, id).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("raw %d: %w", id, ErrNotFound)
	}
	if err == nil {
		raw, err = s.pack.unpackRaw(raw)
	}
	if err != nil {
		return nil, fmt.Errorf("raw %d: %w", id, err)
	}
	return raw, nil
}
