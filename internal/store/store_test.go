package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func open(t *testing.T) *DB {
	t.Helper()
	db, err := Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// openFrom makes a database at the version before migration next, runs setup on it
// (rows as an older listd stored them) and opens it with the store, which migrates it.
func openFrom(t *testing.T, next int, setup ...string) *DB {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	raw, err := sql.Open("sqlite3", dsn(filepath.Join(dir, "listd.db"), "FULL", 0))
	if err != nil {
		t.Fatal(err)
	}
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.version >= next {
			break
		}
		if _, err := raw.ExecContext(ctx, m.sql); err != nil {
			t.Fatalf("%s: %v", m.name, err)
		}
		raw.ExecContext(ctx, "PRAGMA user_version = "+strconv.Itoa(m.version))
	}
	for _, q := range setup {
		if _, err := raw.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	raw.Close()
	db, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestFTS5 proves the build has SQLite's full-text search (the sqlite_fts5 tag).
func TestFTS5(t *testing.T) {
	db := open(t)
	if _, err := db.db.Exec(`CREATE VIRTUAL TABLE t USING fts5(x)`); err != nil {
		t.Fatalf("fts5 missing (build with -tags sqlite_fts5): %v", err)
	}
}

func TestMigrateTwice(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		db, err := Open(ctx, dir)
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		var v int
		db.db.QueryRow("PRAGMA user_version").Scan(&v)
		ms, _ := migrations()
		if v != ms[len(ms)-1].version {
			t.Errorf("user_version = %d", v)
		}
		var mode string
		db.db.QueryRow("PRAGMA journal_mode").Scan(&mode)
		if mode != "wal" {
			t.Errorf("journal_mode = %s", mode)
		}
		db.Close()
	}
}

// TestMigrationPolicy: a database newer than the binary is refused by every Open,
// naming both versions; an older one is migrated only when no other listd has it
// open, and otherwise left as it is with an error naming both versions.
func TestMigrationPolicy(t *testing.T) {
	ctx := context.Background()
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	latest := ms[len(ms)-1].version
	version := func(t *testing.T, dir string) int {
		t.Helper()
		raw, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, "listd.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		var v int
		if err := raw.QueryRow("PRAGMA user_version").Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	setVersion := func(t *testing.T, dir string, v int) {
		t.Helper()
		raw, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, "listd.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		if _, err := raw.Exec("PRAGMA user_version = " + strconv.Itoa(v)); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("newer database refused", func(t *testing.T) {
		dir := t.TempDir()
		db, err := Open(ctx, dir)
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
		setVersion(t, dir, latest+1)
		_, err = Open(ctx, dir)
		want := fmt.Sprintf("database schema version %d is newer than this listd knows (%d)", latest+1, latest)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("err = %v, want %q", err, want)
		}
		if v := version(t, dir); v != latest+1 {
			t.Errorf("user_version = %d after a refused open", v)
		}
	})

	t.Run("older database migrated when nobody else has it open", func(t *testing.T) {
		db := openFrom(t, latest) // openFrom's Open is the only one: it migrates
		if v := version(t, filepath.Dir(db.Path())); v != latest {
			t.Errorf("user_version = %d, want %d", v, latest)
		}
	})

	t.Run("older database left alone while another listd has it open", func(t *testing.T) {
		dir := t.TempDir()
		running, err := Open(ctx, dir)
		if err != nil {
			t.Fatal(err)
		}
		// The running listd is older: its schema stops one migration short.
		setVersion(t, dir, latest-1)
		_, err = Open(ctx, dir)
		want := fmt.Sprintf("database schema version %d is older than this listd's (%d) and another listd has the database open", latest-1, latest)
		if !errors.Is(err, ErrInUse) || !strings.Contains(err.Error(), want) {
			t.Fatalf("err = %v, want %q", err, want)
		}
		if v := version(t, dir); v != latest-1 {
			t.Errorf("user_version = %d: migrated under a running listd", v)
		}
		// Up to date, a second process (a CLI command beside serve) opens it as before.
		setVersion(t, dir, latest)
		second, err := Open(ctx, dir)
		if err != nil {
			t.Fatalf("open beside a running listd: %v", err)
		}
		second.Close()
		running.Close()
	})
}

func seed(t *testing.T, db *DB, members int) *List {
	t.Helper()
	ctx := context.Background()
	l := &List{Name: "kita", Archive: "public", Moderation: "none"}
	if err := db.CreateList(ctx, l); err != nil {
		t.Fatal(err)
	}
	var ms []*Member
	for i := 0; i < members; i++ {
		ms = append(ms, &Member{ListID: l.ID, Address: fmt.Sprintf("m%d@example.net", i), Mode: "each", Role: "member"})
	}
	ms = append(ms, &Member{ListID: l.ID, Address: "digest@example.net", Mode: "digest", Role: "member"})
	if n, err := db.ImportMembers(ctx, ms); err != nil || n != members+1 {
		t.Fatalf("import: %d %v", n, err)
	}
	return l
}

func TestAcceptPostThreads(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	l := seed(t, db, 3)
	now := time.Now()
	p := func(mid, subject string, parents []string, fallback bool) *Post {
		return &Post{ListID: l.ID, MessageID: mid, Subject: subject, SubjectKey: strings.ToLower(subject),
			Date: now, Raw: []byte("x"), ParentCandidates: parents, SubjectFallback: fallback}
	}
	tests := []struct {
		name       string
		post       *Post
		wantThread string // Message-ID of the thread root; "" for itself
		dup        bool
	}{
		{"root", p("a", "kita", nil, false), "", false},
		{"reply by in-reply-to", p("b", "kita", []string{"a"}, true), "a", false},
		{"reply by references, parent unknown", p("c", "other", []string{"zzz", "b"}, true), "a", false},
		{"reply by subject only", p("d", "kita", nil, true), "a", false},
		{"same subject, not a reply", p("e", "kita", nil, false), "", false},
		{"duplicate", p("a", "kita", nil, false), "", true},
	}
	roots := map[string]int64{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := db.AcceptPost(ctx, tt.post)
			if err != nil {
				t.Fatal(err)
			}
			if a.Duplicate != tt.dup {
				t.Fatalf("duplicate = %v", a.Duplicate)
			}
			if tt.dup {
				if a.ID != roots["a"] || a.Queued != 0 {
					t.Errorf("duplicate: %+v", a)
				}
				return
			}
			roots[tt.post.MessageID] = a.ID
			want := a.ID
			if tt.wantThread != "" {
				want = roots[tt.wantThread]
			}
			if a.ThreadID != want {
				t.Errorf("thread = %d, want %d", a.ThreadID, want)
			}
			if a.Queued != 3 {
				t.Errorf("queued %d copies, want 3 (digest members wait)", a.Queued)
			}
		})
	}
	th, err := db.Thread(ctx, l.ID, roots["a"])
	if err != nil || len(th) != 4 {
		t.Fatalf("thread: %d %v", len(th), err)
	}
}

func TestQueueClaimFinish(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	l := seed(t, db, 5)
	now := time.Now()
	if _, err := db.AcceptPost(ctx, &Post{ListID: l.ID, MessageID: "a", Date: now, Raw: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	ds, err := db.ClaimDue(ctx, now.Add(time.Second), 3)
	if err != nil || len(ds) != 3 || ds[0].Attempts != 1 || ds[0].ID > ds[1].ID {
		t.Fatalf("claim: %v %+v", err, ds)
	}
	more, _ := db.ClaimDue(ctx, now.Add(time.Second), 10)
	if len(more) != 2 {
		t.Fatalf("second claim got %d rows, want the 2 not in flight", len(more))
	}
	err = db.Finish(ctx, now, []Outcome{
		{ID: ds[0].ID, State: "sent"},
		{ID: ds[1].ID, State: "failed", Error: "550 5.1.1 no such user"},
		{ID: ds[2].ID, State: "queued", Retry: now.Add(time.Hour), Error: "451 later"},
	})
	if err != nil {
		t.Fatal(err)
	}
	counts, _ := db.DeliveryCounts(ctx)
	if counts["sent"] != 1 || counts["failed"] != 1 || counts["queued"] != 3 {
		t.Errorf("counts = %v", counts)
	}
	// The two still in flight come back after a restart; the deferred one waits.
	if n, _ := db.ResetInFlight(ctx, now); n != 2 {
		t.Errorf("reset %d rows", n)
	}
	due, _ := db.ClaimDue(ctx, now.Add(time.Second), 10)
	if len(due) != 2 {
		t.Errorf("due after reset: %d", len(due))
	}
	next, ok, _ := db.NextDue(ctx)
	if !ok || next.Sub(now.Add(time.Hour)).Abs() > time.Second {
		t.Errorf("next due = %v %v", next, ok)
	}
	d, err := db.DeliveryByID(ctx, ds[1].ID)
	if err != nil || d.LastError != "550 5.1.1 no such user" || d.State != "failed" {
		t.Errorf("failed row: %+v %v", d, err)
	}
	if n, _ := db.RetireDeliveries(ctx, now.Add(time.Minute)); n != 2 {
		t.Errorf("retired %d rows, want 2", n)
	}
}

// TestFull: a full database is reported as ErrFull, so the sender hears "try later".
func TestFull(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	l := seed(t, db, 1)
	db.db.SetMaxOpenConns(1)
	var pages int
	db.db.QueryRow("PRAGMA page_count").Scan(&pages)
	if _, err := db.db.Exec(fmt.Sprintf("PRAGMA max_page_count = %d", pages+2)); err != nil {
		t.Fatal(err)
	}
	// Random bytes: compressing them saves nothing.
	big := make([]byte, 1<<20)
	rand.NewChaCha8([32]byte{1}).Read(big)
	_, err := db.AcceptPost(ctx, &Post{ListID: l.ID, MessageID: "big", Date: time.Now(), Raw: big})
	if !errors.Is(err, ErrFull) {
		t.Fatalf("err = %v, want ErrFull", err)
	}
}

func TestSearch(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	l := seed(t, db, 0)
	for i, text := range []string{"Der Kitaplatz in Köln", "Unterhalt und Vorschuss", `Quote " and * and (`} {
		db.AcceptPost(ctx, &Post{ListID: l.ID, MessageID: fmt.Sprint(i), Subject: "s", Text: text, Date: time.Now(), Raw: []byte("x")})
	}
	tests := []struct {
		q    string
		want int
	}{
		{"köln", 1}, {"KOLN", 1}, {"unterhalt vorschuss", 1}, {"unterhalt köln", 0}, {`"`, 0}, {`* ( AND`, 1}, {"", 0},
	}
	for _, tt := range tests {
		hits, err := db.Search(ctx, l.ID, tt.q, 10)
		if err != nil || len(hits) != tt.want {
			t.Errorf("search %q: %d hits, %v; want %d", tt.q, len(hits), err, tt.want)
		}
	}
}

func TestBackup(t *testing.T) {
	db := open(t)
	seed(t, db, 2)
	path := t.TempDir() + "/b.db"
	if err := db.Backup(context.Background(), path); err != nil {
		t.Fatal(err)
	}
	if err := db.Backup(context.Background(), path); err == nil {
		t.Fatal("backup over an existing file")
	}
}

// TestNewDatabaseLayout: a new database has its page size and incremental vacuuming,
// and Compact gives freed pages back.
func TestNewDatabaseLayout(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	var size, vacuum int
	if err := db.db.QueryRow(`SELECT (SELECT page_size FROM pragma_page_size), (SELECT auto_vacuum FROM pragma_auto_vacuum)`).Scan(&size, &vacuum); err != nil {
		t.Fatal(err)
	}
	if size != pageSize || vacuum != 2 {
		t.Fatalf("page size %d, auto_vacuum %d", size, vacuum)
	}
	l := seed(t, db, 0)
	big := make([]byte, 1<<20)
	rand.NewChaCha8([32]byte{2}).Read(big)
	if _, err := db.AcceptPost(ctx, &Post{ListID: l.ID, MessageID: "big", Date: time.Now(), Raw: big}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.db.Exec(`DELETE FROM messages WHERE message_id = 'big'`); err != nil {
		t.Fatal(err)
	}
	free := func() (n int) {
		db.db.QueryRow(`PRAGMA freelist_count`).Scan(&n)
		return n
	}
	if free() < 100 {
		t.Fatalf("free pages after the delete: %d", free())
	}
	if err := db.Compact(ctx); err != nil || free() != 0 {
		t.Fatalf("free pages after Compact: %d, %v", free(), err)
	}
}
