// Package store owns the SQLite database: the connection settings, the embedded
// migrations and every SQL statement of listd. Other packages call its methods and
// never see SQL.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mattn/go-sqlite3"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Errors callers can test for with errors.Is.
var (
	ErrNotFound = errors.New("not found")
	ErrExists   = errors.New("already exists")
	// ErrFull means the disk (or the database's page limit) is full: a temporary
	// condition for the sender, who should retry later.
	ErrFull = errors.New("storage full")
)

// DB is the listd database.
type DB struct {
	db *sql.DB
	// qdb serves the queue's bookkeeping (claims and outcomes) with synchronous=NORMAL:
	// WAL keeps those commits safe from a process crash, and losing the last of them to
	// a power cut only sends a copy twice. Everything else, the archive and the queue
	// rows written with a post among it, commits with a full sync before SMTP says 250.
	qdb  *sql.DB
	lock *dbLock
	path string
	now  func() time.Time
	pack *packer
	// purgeMu runs one PurgeTraces at a time; purgeWait is how long it waits for
	// readers to let go of the write-ahead log (the constant purgeWait; tests shorten it).
	purgeMu   sync.Mutex
	purgeWait time.Duration
	// stmts holds the prepared statements of the hot read paths (stmt).
	stmts sync.Map // query → *sql.Stmt
}

// dsn sets the pragmas in the connection string so every pooled connection has them.
// secure_delete=FAST zeroes deleted cells and reused pages at no extra I/O: what a
// person withdrew or had erased must not survive in a page that was put to another
// use (free pages are zeroed when that matters, see secureTx and PurgeTraces).
//
// cacheKiB is each connection's page cache (0: SQLite's 2 MB). SQLite reads a page
// that is not in it from the file, a system call each; a search reads hundreds of
// pages (the rows of its candidates, and the index), a message page dozens.
func dsn(path, synchronous string, cacheKiB int) string {
	s := "file:" + path + "?_journal_mode=WAL&_busy_timeout=5000&_foreign_keys=on&_txlock=immediate&_secure_delete=FAST&_synchronous=" + synchronous
	if cacheKiB > 0 {
		s += fmt.Sprintf("&_cache_size=-%d", cacheKiB)
	}
	return s
}

// readCacheKiB is the page cache of each connection of the pool that pages and
// searches read through: 8 connections of 8 MiB at most.
const readCacheKiB = 8 << 10

// Open opens (creating if needed) the database in dataDir and applies pending
// migrations.
//
// The migration policy: a database whose schema is newer than this binary's
// migrations is refused, naming both versions. An older one is migrated only when no
// other listd process has it open (each holds a shared lock on listd.lock beside it
// while it is open); otherwise Open fails with ErrInUse, naming both versions, and the
// database is left as it is.
func Open(ctx context.Context, dataDir string) (_ *DB, err error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	lock, err := lockShared(ctx, filepath.Join(dataDir, "listd.lock"))
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			lock.Close()
		}
	}()
	path := filepath.Join(dataDir, "listd.db")
	if err := create(ctx, path); err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite3", dsn(path, "FULL", readCacheKiB))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	pk, err := newPacker()
	if err != nil {
		db.Close()
		return nil, err
	}
	s := &DB{db: db, lock: lock, path: path, now: time.Now, pack: pk, purgeWait: purgeWait}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate %s: %w", path, err)
	}
	if err := s.vacuumIncrementally(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if s.qdb, err = sql.Open("sqlite3", dsn(path, "NORMAL", 0)); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	s.qdb.SetMaxOpenConns(4)
	s.qdb.SetMaxIdleConns(4)
	return s, nil
}

// pageSize is the page size of new databases. Most of an archive is posts of one to
// eight kilobytes, compressed: in pages of 4 KiB a third of a page is often left
// over beside them, and 8 KiB pages hold the same archive in 8 % less space.
const pageSize = 8192

// create makes a new database file with its page size and incremental vacuuming
// (space freed by deletions and index merges goes back to the file system when
// Compact runs). Both can only be chosen before the first table exists; an existing
// database keeps what it has.
func create(ctx context.Context, path string) error {
	if st, err := os.Stat(path); err == nil && st.Size() > 0 {
		return nil
	}
	db, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	defer conn.Close()
	for _, q := range []string{fmt.Sprintf(`PRAGMA page_size = %d`, pageSize), `PRAGMA auto_vacuum = INCREMENTAL`, `PRAGMA journal_mode = WAL`} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("create %s: %s: %w", path, q, err)
		}
	}
	return nil
}

// vacuumIncrementally turns on incremental vacuuming in a database made before it
// was the default, with one VACUUM that rewrites the file. Compact depends on it, and
// PurgeTraces on Compact: a free page keeps what it held until it is given back.
func (s *DB) vacuumIncrementally(ctx context.Context) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	var mode int
	if err := conn.QueryRowContext(ctx, `PRAGMA auto_vacuum`).Scan(&mode); err != nil || mode != 0 {
		return err
	}
	for _, q := range []string{`PRAGMA auto_vacuum = INCREMENTAL`, `VACUUM`} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("turn on incremental vacuuming: %w", classify(err))
		}
	}
	return nil
}

// Compact gives the database's free pages back to the file system: the pages at the
// end of the file move into the free ones, and the file is cut.
func (s *DB) Compact(ctx context.Context) error {
	// The pragma frees a page per step: it is read to the end, as a query.
	rows, err := s.db.QueryContext(ctx, `PRAGMA incremental_vacuum`)
	if err != nil {
		return fmt.Errorf("compact: %w", classify(err))
	}
	defer rows.Close()
	for rows.Next() {
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("compact: %w", classify(err))
	}
	return nil
}

// Close closes the database.
func (s *DB) Close() error {
	var errs []error
	s.stmts.Range(func(_, v any) bool {
		errs = append(errs, v.(*sql.Stmt).Close())
		return true
	})
	return errors.Join(append(errs, s.qdb.Close(), s.db.Close(), s.lock.Close())...)
}

// stmt returns query prepared on the pool (database/sql prepares it again on each
// connection that runs it, once). For the queries of searches and pages, whose
// preparing would otherwise be part of every request; query must be a constant.
func (s *DB) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := s.stmts.Load(query); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := s.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if prev, loaded := s.stmts.LoadOrStore(query, st); loaded {
		st.Close()
		return prev.(*sql.Stmt), nil
	}
	return st, nil
}

// idsJSON is ids as a JSON array, for `IN (SELECT value FROM json_each(?))`: one
// statement for any number of ids, prepared once.
func idsJSON(ids []int64) string {
	b := make([]byte, 0, 8*len(ids)+2)
	b = append(b, '[')
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, id, 10)
	}
	return string(append(b, ']'))
}

// Path is the database file.
func (s *DB) Path() string { return s.path }

type migration struct {
	version int
	name    string
	sql     string
}

func migrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a number", e.Name())
		}
		b, err := migrationFiles.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: e.Name(), sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	return ms, nil
}

// migrate applies every embedded migration newer than user_version, each in its own
// transaction together with the version bump, while it holds the lock alone.
func (s *DB) migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	var current int
	if err := s.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&current); err != nil {
		return err
	}
	latest := ms[len(ms)-1].version
	if current > latest {
		return fmt.Errorf("database schema version %d is newer than this listd knows (%d): a newer listd has migrated it; use that one", current, latest)
	}
	if current == latest {
		return nil
	}
	if err := s.lock.exclusive(); err != nil {
		if errors.Is(err, ErrInUse) {
			return fmt.Errorf("database schema version %d is older than this listd's (%d) and another listd has the database open: stop it (listd serve), then run this listd to migrate: %w", current, latest, err)
		}
		return fmt.Errorf("lock: %w", err)
	}
	defer s.lock.shared()
	for _, m := range ms {
		if m.version <= current {
			continue
		}
		err := s.tx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return fmt.Errorf("%s: %w", m.name, err)
			}
			_, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", m.version))
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// tx runs fn in a transaction and commits it, or rolls back on error.
func (s *DB) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	return inTx(ctx, s.db, fn)
}

func inTx(ctx context.Context, db *sql.DB, fn func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return classify(err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return classify(err)
	}
	return classify(tx.Commit())
}

// classify maps SQLite's errors to the store's own where callers act on them.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var se sqlite3.Error
	if errors.As(err, &se) {
		switch se.Code {
		case sqlite3.ErrFull:
			return fmt.Errorf("%w: %w", ErrFull, err)
		case sqlite3.ErrConstraint:
			if se.ExtendedCode == sqlite3.ErrConstraintUnique || se.ExtendedCode == sqlite3.ErrConstraintPrimaryKey {
				return fmt.Errorf("%w: %w", ErrExists, err)
			}
		}
	}
	return err
}

func unixMilli(t time.Time) int64 { return t.UnixMilli() }

func fromMilli(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// Backup writes a consistent copy of the database to path while others keep using it.
func (s *DB) Backup(ctx context.Context, path string) error {
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("backup %s: file exists", path)
	}
	if _, err := s.db.ExecContext(ctx, "VACUUM INTO ?", path); err != nil {
		return fmt.Errorf("backup %s: %w", path, classify(err))
	}
	return nil
}
