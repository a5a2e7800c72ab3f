package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrDigestWaiting means that live posts of the list wait for its next digest, which
// has readers: posts imported now would go out in that digest with them.
var ErrDigestWaiting = errors.New("posts wait for the next digest")

// importSubjectSkew is how far after an imported post a post of the same subject may
// be dated and still be its parent: clocks of old senders were not always right.
const importSubjectSkew = 24 * time.Hour

// ImportResult says what an import batch did.
type ImportResult struct {
	Imported   int
	Duplicates int
	// Posts has one entry per post given, in order: its id and thread, or Duplicate
	// with the id of the post already archived.
	Posts []Accepted
}

// An Import archives old posts of one list, a batch at a time, in the order given,
// threading each as AcceptPost does, and queues nothing: no copies, and no digest
// (the list's digest is moved past them). A post whose Message-ID the list already
// has is skipped as a duplicate.
//
// Threading by subject looks at posts dated up to subjectWindow before the imported
// post (and a day after it), not before the time of the import, since the posts are
// old. The Import remembers the subject keys of the posts it stored, and asks the
// database only about the posts the list had before it began: the list's posts of
// one subject key can be thousands, and the database would read each of them. (Posts
// that arrive while importing are not taken as parents by subject.)
//
// received_at is the post's own date: the old list received it then, and the
// figures by month should count it there.
//
// An Import is for one goroutine.
type Import struct {
	db     *DB
	listID int64
	// firstID is the first id the import gave; 0 before it stored anything.
	firstID  int64
	subjects map[string][]importedPost // the import's posts by subject key, in id order
	// keepTriggers makes Add insert with the triggers that count threads and
	// months, as live posts are inserted (tests compare the two).
	keepTriggers bool
}

type importedPost struct{ id, thread, date int64 }

// NewImport starts an import into the list.
func (s *DB) NewImport(listID int64) *Import {
	return &Import{db: s, listID: listID, subjects: map[string][]importedPost{}}
}

// PackPost compresses p for storing ahead of Add (see DB.PackPost). It is safe for
// concurrent use.
func (im *Import) PackPost(p *Post) { im.db.PackPost(p) }

// ImportPosts archives one batch of old posts of a list: an Import of one batch.
func (s *DB) ImportPosts(ctx context.Context, listID int64, posts []*Post) (ImportResult, error) {
	return s.NewImport(listID).Add(ctx, posts)
}

// Add archives a batch in one transaction. Batches of about a thousand posts suit:
// live posts wait while one is written.
//
// It fails with ErrDigestWaiting when live posts wait for a digest that has readers,
// and with ErrNotFound when the list does not exist.
func (im *Import) Add(ctx context.Context, posts []*Post) (ImportResult, error) {
	var res ImportResult
	var l *importLookup
	// The batch's statements run without ctx's cancellation: with it, the driver runs
	// every statement on a goroutine of its own, three a post. ctx is looked at
	// between posts instead.
	ectx := context.WithoutCancel(ctx)
	err := im.db.importTx(ctx, func(tx *sql.Tx) error {
		res = ImportResult{Posts: make([]Accepted, 0, len(posts))}
		byAuthor := map[string]int{}
		// An imported post counts as received at its date, but never later than now:
		// a wrong date must not keep its thread at the top of the list.
		now := im.db.now()
		if err := importDigestCheck(ctx, tx, im.listID); err != nil {
			return err
		}
		next, err := reserveMessageIDs(ctx, tx, len(posts))
		if err != nil {
			return err
		}
		key, err := publicIDKey(ctx, tx)
		if err != nil {
			return err
		}
		if err := importSettings(ctx, tx); err != nil {
			return err
		}
		// Before the statements are prepared: they are made without the trigger.
		counts, err := im.suspendCounts(ctx, tx)
		if err != nil {
			return err
		}
		first := next
		if l, err = im.prepare(ectx, tx, next); err != nil {
			return err
		}
		defer l.close()
		for i, p := range posts {
			if err := ctx.Err(); err != nil {
				return err
			}
			if p.ListID != im.listID && p.ListID != 0 {
				return fmt.Errorf("post %d (%s) is for list %d, not %d", i+1, p.MessageID, p.ListID, im.listID)
			}
			q := *p
			q.ListID = im.listID
			id, _, err := l.byMessageID(im.listID, q.MessageID)
			if err == nil {
				res.Duplicates++
				res.Posts = append(res.Posts, Accepted{ID: id, Duplicate: true})
				continue
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			parent, thread, err := findParent(l, &q, q.Date.Add(-subjectWindow), q.Date.Add(importSubjectSkew))
			if err != nil {
				return err
			}
			id, next = next, next+1
			if thread == 0 {
				thread = id
			}
			var parentID sql.NullInt64
			if parent != 0 {
				parentID = sql.NullInt64{Int64: parent, Valid: true}
			}
			raw, text := im.db.stored(p)
			if _, err := l.insert.ExecContext(ectx, id, im.listID, q.MessageID, thread, parentID, q.Subject, q.SubjectKey,
				q.FromName, q.FromAddr, q.Date.Unix(), min(q.Date.Unix(), now.Unix()), text, len(q.Raw), q.ParseErrors,
				publicID(key, im.listID, q.MessageID)); err != nil {
				return fmt.Errorf("archive %s: %w", q.MessageID, err)
			}
			if _, err := l.insertFTS.ExecContext(ectx, id, q.Subject, q.Text, q.FromName); err != nil {
				return fmt.Errorf("archive index %s: %w", q.MessageID, err)
			}
			if _, err := l.insertRaw.ExecContext(ectx, id, raw); err != nil {
				return fmt.Errorf("archive raw %s: %w", q.MessageID, err)
			}
			if q.SubjectKey != "" {
				l.pending[q.SubjectKey] = append(l.pending[q.SubjectKey], importedPost{id, thread, q.Date.Unix()})
			}
			res.Imported++
			res.Posts = append(res.Posts, Accepted{ID: id, ThreadID: thread})
			if q.FromAddr != "" {
				byAuthor[q.FromAddr]++
			}
		}
		if err := counts.restore(ctx, tx, im.listID, first, next); err != nil {
			return err
		}
		if res.Imported == 0 {
			return nil
		}
		// Members' imported posts count as theirs: first-post moderation does not
		// hold someone who wrote on the list before it moved here.
		for addr, n := range byAuthor {
			if _, err := tx.ExecContext(ctx, `UPDATE members SET posts = posts + ? WHERE list_id = ? AND address = ?`,
				n, im.listID, addr); err != nil {
				return err
			}
		}
		// The imported posts are the list's newest ids; the digest starts after them.
		_, err = tx.ExecContext(ctx, `UPDATE lists SET digest_last_id = (SELECT MAX(id) FROM messages WHERE list_id = ?)
			WHERE id = ?`, im.listID, im.listID)
		return err
	})
	if err != nil {
		return ImportResult{}, fmt.Errorf("import posts: %w", err)
	}
	// Committed: the batch's posts are the import's now.
	if res.Imported > 0 {
		im.firstID = l.firstID
		for key, ps := range l.pending {
			im.subjects[key] = append(im.subjects[key], ps...)
		}
	}
	return res, nil
}

// An import writes the search index with settings of its own (importSettings), and
// OptimizeSearch, which ends it, sets the usual ones again and merges the index once.
const (
	// importFTSHash is the memory the index collects words in before it writes them
	// as a segment (FTS5's hashsize, 1 MiB by default): a batch's words make one
	// segment, not several.
	importFTSHash = 16 << 20
	// defaultFTSHash and defaultFTSAutomerge are FTS5's defaults.
	defaultFTSHash      = 1 << 20
	defaultFTSAutomerge = 4
	// importCacheKiB is the page cache of the connection writing a batch: a batch
	// changes pages all over the indexes of messages (Message-IDs and public ids are
	// random), and a smaller cache writes them to the log more than once.
	importCacheKiB = 64 << 10
	// importCheckpointPages is the size of the log at which a batch's commit copies
	// it into the database (32 MiB of 8 KiB pages); defaultCheckpointPages is
	// SQLite's.
	importCheckpointPages  = 4096
	defaultCheckpointPages = 1000
)

// importTx runs fn in a transaction on a connection of its own, set up for a batch:
//
// Its statement journals are kept in memory (temp_store=MEMORY, which SQLite reads at
// BEGIN). Each insert into messages fires the triggers that count threads and
// months, so SQLite keeps the first copy of every page the statement changes, to undo
// the statement alone if it fails: about a dozen pages of 8 KiB a post, written to a
// temporary file and read back otherwise (28 system calls a post).
//
// Its commits do not wait for the disk (synchronous=NORMAL): in WAL mode the database stays consistent
// after a crash or power loss, which can only take back the last batches committed,
// and importing the file again adds what they had (the posts already archived are
// skipped by Message-ID). Checkpoints still sync the log before they copy it.
//
// Its commits copy the log into the database once it holds importCheckpointPages, not
// SQLite's 1,000 pages (8 MiB here, less than a batch of 1,000 posts writes): a
// checkpoint after every batch synced the disk twice a batch and copied the pages
// that every batch changes (the indexes of messages, the search index) again each
// time. The connection goes back to the pool as it came (synchronous=FULL, SQLite's
// checkpoints).
func (s *DB) importTx(ctx context.Context, fn func(*sql.Tx) error) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return classify(err)
	}
	defer conn.Close()
	for _, q := range []string{`PRAGMA synchronous = NORMAL`, `PRAGMA temp_store = MEMORY`,
		fmt.Sprintf(`PRAGMA wal_autocheckpoint = %d`, importCheckpointPages)} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("import settings: %w", err)
		}
	}
	defer func() {
		for _, q := range []string{`PRAGMA synchronous = FULL`, `PRAGMA temp_store = DEFAULT`,
			fmt.Sprintf(`PRAGMA wal_autocheckpoint = %d`, defaultCheckpointPages)} {
			if _, err := conn.ExecContext(context.WithoutCancel(ctx), q); err != nil {
				conn.Raw(func(any) error { return driver.ErrBadConn }) // not back into the pool as it is
				return
			}
		}
	}()
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

// importSettings sets up the batch's transaction for a bulk import: the index
// merges nothing while the import runs (OptimizeSearch merges it all at the end;
// FTS5 still merges when 16 segments of a level pile up), and collects a batch's
// words in one segment.
//
// The index's settings are stored with it and committed with the batch: an import
// killed halfway leaves them set, and its posts searchable, until the next import
// ends or OptimizeSearch runs (FTS5 then merges only at 16 segments a level).
func importSettings(ctx context.Context, tx *sql.Tx) error {
	for _, q := range []string{
		fmt.Sprintf(`PRAGMA cache_size = -%d`, importCacheKiB),
		`INSERT INTO messages_fts (messages_fts, rank) VALUES ('automerge', 0)`,
		fmt.Sprintf(`INSERT INTO messages_fts (messages_fts, rank) VALUES ('hashsize', %d)`, importFTSHash),
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("import settings: %w", err)
		}
	}
	return nil
}

// threadCountsTrigger keeps the threads and months of the archive as posts are
// inserted (migrations 0011 and 0015).
const threadCountsTrigger = "messages_threads_ai"

// countsTriggerSQL is the trigger that restore's statements count as (migration
// 0015), compared without regard to spacing: a trigger that a later migration changed
// counts what restore does not know of, and stays in place.
const countsTriggerSQL = `CREATE TRIGGER messages_threads_ai AFTER INSERT ON messages BEGIN
    INSERT INTO threads (id, list_id, subject, posts, first_date, last_id, last_date, last_received)
    VALUES (new.thread_id, new.list_id, new.subject, 1, new.date, new.id, new.date, new.received_at)
    ON CONFLICT (id) DO UPDATE SET posts = posts + 1, last_id = max(last_id, excluded.last_id),
        last_date = max(last_date, excluded.last_date), last_received = max(last_received, excluded.last_received);
    INSERT INTO archive_months (list_id, month, posts)
    VALUES (new.list_id, strftime('%Y-%m', new.date, 'unixepoch'), 1)
    ON CONFLICT (list_id, month) DO UPDATE SET posts = posts + 1;
END`

// suspendedCounts is the trigger an import batch dropped, to count the batch's
// threads and months once at its end; "" when it runs with the trigger.
type suspendedCounts string

// suspendCounts drops the trigger that counts threads and months for every post
// inserted, within the batch's transaction: restore counts the batch's posts in two
// statements and creates the trigger again as it was, before the batch commits. Run
// per post, the trigger's two upserts were half of SQLite's work for an insert, and
// they make SQLite keep a journal of each insert statement. No other connection sees
// the database without the trigger: the batch's transaction holds the write lock,
// and a batch that fails rolls back with the trigger in place.
//
// Only the trigger restore counts as (countsTriggerSQL) is dropped. A database
// without it, or with a trigger a later migration changed, is written with whatever
// triggers it has: restore would not count what a changed trigger counts.
func (im *Import) suspendCounts(ctx context.Context, tx *sql.Tx) (suspendedCounts, error) {
	if im.keepTriggers {
		return "", nil
	}
	var create string
	err := tx.QueryRowContext(ctx, `SELECT sql FROM sqlite_schema WHERE type = 'trigger' AND name = ?`,
		threadCountsTrigger).Scan(&create)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("import: read trigger: %w", err)
	}
	if strings.Join(strings.Fields(create), " ") != strings.Join(strings.Fields(countsTriggerSQL), " ") {
		return "", nil
	}
	if _, err := tx.ExecContext(ctx, `DROP TRIGGER `+threadCountsTrigger); err != nil {
		return "", fmt.Errorf("import: drop trigger: %w", err)
	}
	return suspendedCounts(create), nil
}

// restore counts the posts the batch inserted, ids first to next-1 of the list, into
// threads and archive_months as the trigger would have, post by post in id order: a
// new thread takes its subject and first date from its first post, and then counts
// posts and keeps the highest id and dates. Then it creates the trigger again.
func (c suspendedCounts) restore(ctx context.Context, tx *sql.Tx, listID, first, next int64) error {
	if c == "" {
		return nil
	}
	for _, q := range []string{
		`INSERT INTO threads (id, list_id, subject, posts, first_date, last_id, last_date, last_received)
		SELECT b.thread_id, b.list_id, f.subject, b.posts, f.date, b.last_id, b.last_date, b.last_received
		FROM (SELECT thread_id, list_id, MIN(id) AS first_id, COUNT(*) AS posts, MAX(id) AS last_id,
				MAX(date) AS last_date, MAX(received_at) AS last_received
			FROM messages WHERE list_id = ?1 AND id >= ?2 AND id < ?3 GROUP BY thread_id) b
		JOIN messages f ON f.id = b.first_id
		WHERE true
		ON CONFLICT (id) DO UPDATE SET posts = posts + excluded.posts, last_id = max(last_id, excluded.last_id),
			last_date = max(last_date, excluded.last_date), last_received = max(last_received, excluded.last_received)`,
		`INSERT INTO archive_months (list_id, month, posts)
		SELECT list_id, strftime('%Y-%m', date, 'unixepoch'), COUNT(*)
		FROM messages WHERE list_id = ?1 AND id >= ?2 AND id < ?3 GROUP BY 1, 2
		ON CONFLICT (list_id, month) DO UPDATE SET posts = posts + excluded.posts`,
	} {
		if _, err := tx.ExecContext(ctx, q, listID, first, next); err != nil {
			return fmt.Errorf("import: count threads and months: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, string(c)); err != nil {
		return fmt.Errorf("import: create trigger again: %w", err)
	}
	return nil
}

// importDigestCheck refuses an import while live posts wait for a digest that has
// readers: the digest takes every post after the last one it sent, so the imported
// posts would go out in it. With no digest readers, nobody would get those posts in a
// digest, and the import moves the digest past them too.
func importDigestCheck(ctx context.Context, tx *sql.Tx, listID int64) error {
	var readers int
	err := tx.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM members WHERE list_id = l.id AND mode = 'digest')
		FROM lists l WHERE l.id = ?`, listID).Scan(&readers)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("list %d: %w", listID, ErrNotFound)
	}
	if err != nil || readers == 0 {
		return err
	}
	var waiting int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM messages m JOIN lists l ON l.id = m.list_id
		WHERE m.list_id = ? AND m.id > l.digest_last_id`, listID).Scan(&waiting); err != nil {
		return err
	}
	if waiting > 0 {
		return fmt.Errorf("%d posts: %w", waiting, ErrDigestWaiting)
	}
	return nil
}

// importLookup is the statements of one batch; as a parentLookup (and publicLookup)
// it threads with prepared statements and the import's memory of subjects.
type importLookup struct {
	ctx                                                        context.Context
	byID, byPublic, bySubjBefore, insert, insertRaw, insertFTS *sql.Stmt
	firstID                                                    int64                     // posts below it were there before the import
	subjects                                                   map[string][]importedPost // the import's earlier batches
	pending                                                    map[string][]importedPost // this batch
}

// prepare makes the batch's lookup; next is the id its first post gets.
func (im *Import) prepare(ctx context.Context, tx *sql.Tx, next int64) (*importLookup, error) {
	l := &importLookup{ctx: ctx, firstID: im.firstID, subjects: im.subjects, pending: map[string][]importedPost{}}
	if l.firstID == 0 {
		l.firstID = next
	}
	for _, st := range []struct {
		dst   **sql.Stmt
		query string
	}{
		{&l.byID, byMessageIDSQL},
		{&l.byPublic, byPublicIDSQL},
		{&l.bySubjBefore, `SELECT id, thread_id FROM messages WHERE list_id = ? AND subject_key = ? AND id < ?
			AND date > ? AND date <= ? ORDER BY id DESC LIMIT 1`},
		{&l.insert, `INSERT INTO messages (id, list_id, message_id, thread_id, parent_id, subject, subject_key,
			from_name, from_addr, date, received_at, body_text, size, parse_errors, public_id)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`},
		{&l.insertRaw, `INSERT INTO message_raw (message_id, raw) VALUES (?, ?)`},
		{&l.insertFTS, insertFTSSQL},
	} {
		stmt, err := tx.PrepareContext(ctx, st.query)
		if err != nil {
			l.close()
			return nil, err
		}
		*st.dst = stmt
	}
	return l, nil
}

func (l *importLookup) close() {
	for _, st := range []*sql.Stmt{l.byID, l.byPublic, l.bySubjBefore, l.insert, l.insertRaw, l.insertFTS} {
		if st != nil {
			st.Close()
		}
	}
}

func (l *importLookup) byMessageID(listID int64, mid string) (id, thread int64, err error) {
	err = l.byID.QueryRowContext(l.ctx, listID, mid).Scan(&id, &thread)
	return id, thread, err
}

func (l *importLookup) byPublicID(listID int64, publicID string) (id, thread int64, err error) {
	err = l.byPublic.QueryRowContext(l.ctx, listID, publicID).Scan(&id, &thread)
	return id, thread, err
}

// bySubject finds the newest post of the key in the window as bySubjectSQL does: the
// import's own posts have the highest ids, so they are looked at first, newest first.
func (l *importLookup) bySubject(listID int64, key string, since, until int64) (id, thread int64, err error) {
	for _, ps := range [][]importedPost{l.pending[key], l.subjects[key]} {
		for i := len(ps) - 1; i >= 0; i-- {
			if p := ps[i]; p.date > since && p.date <= until {
				return p.id, p.thread, nil
			}
		}
	}
	err = l.bySubjBefore.QueryRowContext(l.ctx, listID, key, l.firstID, since, until).Scan(&id, &thread)
	return id, thread, err
}
