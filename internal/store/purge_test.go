package store

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// expiredWord is in the text of the posts expire deletes, and nowhere else.
const expiredWord = "Pfefferminzamt"

// storeOld stores two old posts and a new one in a list, and returns the list and a
// cutoff that expires the old ones.
func storeOld(t *testing.T, db *DB) (listID int64, cutoff time.Time) {
	t.Helper()
	ctx := context.Background()
	l := seed(t, db, 2)
	start := time.Date(2024, 1, 10, 12, 0, 0, 0, time.UTC)
	clock := start
	db.now = func() time.Time { return clock }
	for i, text := range []string{"Damals das " + expiredWord + ".", "Bei uns auch das " + expiredWord + ".", "Heute."} {
		clock = start.AddDate(0, 0, 100*i)
		if _, err := db.AcceptPost(ctx, &Post{ListID: l.ID, MessageID: string(rune('a'+i)) + "@x", Subject: "Amt", Date: clock,
			Text: text, Raw: []byte("Subject: Amt\r\n\r\n" + text + "\r\n")}); err != nil {
			t.Fatal(err)
		}
	}
	return l.ID, start.AddDate(0, 0, 150)
}

// expire deletes the old posts storeOld stored, as the retention does, without
// purging.
func expire(t *testing.T, db *DB, listID int64, cutoff time.Time) {
	t.Helper()
	if e, err := db.DeletePostsBefore(context.Background(), listID, cutoff); err != nil || e.Posts != 2 {
		t.Fatalf("deleted %+v: %v", e, err)
	}
	if found := traces(t, db, expiredWord); len(found) == 0 {
		t.Fatal("the test finds nothing to purge before the purge")
	}
}

// traces returns the files in db's folder that hold word, in any case.
func traces(t *testing.T, db *DB, word string) []string {
	t.Helper()
	var found []string
	filepath.Walk(filepath.Dir(db.Path()), func(path string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			if b, _ := os.ReadFile(path); bytes.Contains(bytes.ToLower(b), bytes.ToLower([]byte(word))) {
				found = append(found, filepath.Base(path))
			}
		}
		return nil
	})
	return found
}

// TestPurgeOutlivesCancel: a purge whose context ends (listd stopping right after the
// deletion) still runs to its end.
func TestPurgeOutlivesCancel(t *testing.T) {
	db := open(t)
	list, cutoff := storeOld(t, db)
	expire(t, db, list, cutoff)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := db.PurgeTraces(ctx); err != nil {
		t.Fatalf("purge after cancel: %v", err)
	}
	if found := traces(t, db, expiredWord); len(found) > 0 {
		t.Errorf("traces of deleted posts in %v", found)
	}
}

// TestPurgePending: a deletion whose purge never ran (listd killed in between) is
// purged by the next PurgePending, after the database was closed and opened again;
// with nothing pending, PurgePending does nothing.
func TestPurgePending(t *testing.T) {
	ctx := context.Background()
	db := open(t)
	if err := db.PurgePending(ctx); err != nil {
		t.Fatal(err)
	}
	list, cutoff := storeOld(t, db)
	expire(t, db, list, cutoff)
	if gen, err := db.purgeGen(ctx); err != nil || gen == 0 {
		t.Fatalf("the deletion left no mark: %d %v", gen, err)
	}
	db.Close()
	db, err := Open(ctx, filepath.Dir(db.Path()))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if found := traces(t, db, expiredWord); len(found) == 0 {
		t.Fatal("the reopened database holds no trace to purge")
	}
	if err := db.PurgePending(ctx); err != nil {
		t.Fatal(err)
	}
	if found := traces(t, db, expiredWord); len(found) > 0 {
		t.Errorf("traces of deleted posts in %v", found)
	}
	if gen, err := db.purgeGen(ctx); err != nil || gen != 0 {
		t.Errorf("still pending after the purge: %d %v", gen, err)
	}
}

// reading starts a reader in the middle of a query on db, as a long download or an
// IMAP fetch is, and returns what ends it.
func reading(t *testing.T, db *DB) (stop func()) {
	t.Helper()
	rows, err := db.db.QueryContext(context.Background(), `SELECT id FROM messages`)
	if err != nil || !rows.Next() {
		t.Fatalf("reader: %v", err)
	}
	return func() { rows.Close() }
}

// TestPurgeWaitsForReaders: a reader that began before the deletion and still reads
// keeps the write-ahead log, and with it the deleted posts' pages, from being
// emptied, and SQLite gives up on such a checkpoint after its busy timeout (5 s)
// with a "busy" in its result, not an error. The purge waits for the reader; one
// that outlasts purgeWait leaves an error and the purge pending, and PurgePending
// finishes it.
func TestPurgeWaitsForReaders(t *testing.T) {
	ctx := context.Background()
	t.Run("past the busy timeout", func(t *testing.T) {
		if testing.Short() {
			t.Skip("waits 7 s for a reader")
		}
		db := open(t)
		list, cutoff := storeOld(t, db)
		stop := reading(t, db)
		expire(t, db, list, cutoff)
		time.AfterFunc(7*time.Second, stop)
		if err := db.PurgeTraces(ctx); err != nil {
			t.Fatal(err)
		}
		if found := traces(t, db, expiredWord); len(found) > 0 {
			t.Errorf("traces of deleted posts in %v", found)
		}
	})
	t.Run("past purgeWait", func(t *testing.T) {
		db := open(t)
		db.purgeWait = 300 * time.Millisecond
		list, cutoff := storeOld(t, db)
		stop := reading(t, db)
		expire(t, db, list, cutoff)
		if err := db.PurgeTraces(ctx); err == nil {
			t.Error("a purge that could not empty the write-ahead log reports no error")
		}
		if gen, err := db.purgeGen(ctx); err != nil || gen == 0 {
			t.Errorf("the purge is not pending: %d %v", gen, err)
		}
		stop()
		if err := db.PurgePending(ctx); err != nil {
			t.Fatal(err)
		}
		if found := traces(t, db, expiredWord); len(found) > 0 {
			t.Errorf("traces of deleted posts in %v", found)
		}
	})
}
