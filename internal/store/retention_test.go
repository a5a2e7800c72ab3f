package store

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestRetentionSettings(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	l, err := db.ListByID(ctx, seed(t, db, 0).ID)
	if err != nil {
		t.Fatal(err)
	}
	if l.RetentionMonths != 0 {
		t.Fatalf("default: %d", l.RetentionMonths)
	}
	if rs, _ := db.Retentions(ctx); len(rs) != 0 {
		t.Errorf("a list keeps posts for a limited time by default: %v", rs)
	}
	l.RetentionMonths = 12
	if err := db.SaveList(ctx, l); err != nil {
		t.Fatal(err)
	}
	if rs, _ := db.Retentions(ctx); len(rs) != 1 || rs[0] != (Retention{ListID: l.ID, Name: "kita", Months: 12}) {
		t.Errorf("retentions: %v", rs)
	}
	if got, err := db.ListByID(ctx, l.ID); err != nil || got.RetentionMonths != 12 {
		t.Errorf("read back: %v %v", got, err)
	}
	l.RetentionMonths = -1
	if err := db.SaveList(ctx, l); err == nil {
		t.Error("a negative retention was taken")
	}
}

func TestDeletePostsBefore(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	l := seed(t, db, 2)
	other := &List{Name: "job", Archive: "public", Moderation: "none"}
	if err := db.CreateList(ctx, other); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2024, 1, 10, 12, 0, 0, 0, time.UTC)
	var clock time.Time
	db.now = func() time.Time { return clock }
	accept := func(listID int64, mid, text string, at time.Time, parents ...string) int64 {
		t.Helper()
		clock = at
		a, err := db.AcceptPost(ctx, &Post{ListID: listID, MessageID: mid, Subject: "Frage " + mid, Date: at, Text: text,
			Raw: []byte("Subject: x\r\n\r\n" + text), ParentCandidates: parents})
		if err != nil {
			t.Fatal(err)
		}
		return a.ID
	}
	// One old thread with a recent reply, old posts, new posts, and an old post of
	// another list that keeps everything.
	root := accept(l.ID, "root@x", "Altwort eins", start)
	for i := 0; i < retentionBatch+3; i++ {
		accept(l.ID, fmt.Sprintf("old%d@x", i), "Altwort", start.Add(time.Duration(i)*time.Second))
	}
	recent := accept(l.ID, "recent@x", "Neuwort", start.AddDate(0, 7, 0), "root@x")
	kept := accept(other.ID, "job@x", "Altwort job", start)
	clock = start
	err := db.Update(ctx, func(tx *Tx) error {
		return tx.Hold(&Held{ListID: l.ID, MessageID: "held@x", Reason: "r", Raw: []byte("Altwort"), ExpiresAt: start.Add(time.Hour)})
	})
	if err != nil {
		t.Fatal(err)
	}

	e, err := db.DeletePostsBefore(ctx, l.ID, start.AddDate(0, 6, 0))
	if err != nil {
		t.Fatal(err)
	}
	if e.Posts != retentionBatch+4 || e.Held != 1 {
		t.Errorf("deleted %+v", e)
	}
	if _, err := db.Message(ctx, l.ID, root); !errors.Is(err, ErrNotFound) {
		t.Errorf("old root: %v", err)
	}
	if _, err := db.Raw(ctx, root); !errors.Is(err, ErrNotFound) {
		t.Errorf("old raw: %v", err)
	}
	if m, err := db.Message(ctx, l.ID, recent); err != nil || m.ParentID != root {
		t.Errorf("recent reply: %+v %v", m, err)
	}
	if _, err := db.Message(ctx, other.ID, kept); err != nil {
		t.Errorf("another list's post: %v", err)
	}
	var copies, held int
	db.db.QueryRow(`SELECT COUNT(*) FROM deliveries WHERE list_id = ?`, l.ID).Scan(&copies)
	db.db.QueryRow(`SELECT COUNT(*) FROM held`).Scan(&held)
	if copies != 2 || held != 0 {
		t.Errorf("left: %d copies (want the recent post's 2), %d held", copies, held)
	}
	if hits, _ := db.Search(ctx, l.ID, "Altwort", 10); len(hits) != 0 {
		t.Errorf("old posts still found: %d", len(hits))
	}
	if hits, _ := db.Search(ctx, other.ID, "Altwort", 10); len(hits) != 1 {
		t.Errorf("the other list's post: %d hits", len(hits))
	}
	ts, err := db.Threads(ctx, l.ID, 10, ThreadCursor{})
	if err != nil || len(ts) != 1 || ts[0].Posts != 1 {
		t.Fatalf("threads after retention: %v", err)
	}
	months, _ := db.Months(ctx, l.ID)
	if len(months) != 1 || months[0].Posts != 1 {
		t.Errorf("months after retention: %+v", months)
	}
	// Nothing more is old: a second run deletes nothing.
	if e, err := db.DeletePostsBefore(ctx, l.ID, start.AddDate(0, 6, 0)); err != nil || e != (Expired{}) {
		t.Errorf("second run: %+v %v", e, err)
	}
}

// BenchmarkPurge measures what a withdrawal and a day's retention cost in an archive
// of 20,000 posts of 1 to 12 KB (about 225 MB): the row changes, and the purge of the
// files that follows them. Before each purge, 100 new posts leave the index in
// several segments, as live posts do; "optimize+vacuum" is what the purge would cost
// done the way erasure does it.
func BenchmarkPurge(b *testing.B) {
	const n = 20000
	db, err := Open(context.Background(), b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	listID, _ := fillArchive(b, db, n, 1000)
	next := int64(n)
	withdraw := func(b *testing.B) {
		if _, err := db.WithdrawPost(ctx, listID, next, "x@example.net", []byte("Subject: x\r\n\r\nwithdrawn\r\n")); err != nil {
			b.Fatal(err)
		}
		next--
	}
	added := 0
	addPosts := func(b *testing.B) {
		for i := 0; i < 100; i++ {
			added++
			if _, err := db.AcceptPost(ctx, &Post{ListID: listID, MessageID: fmt.Sprintf("new%d@x", added), Subject: "Neu",
				Date: time.Now(), Text: fmt.Sprintf("Ein neuer Beitrag Nummer %d über Kitaplätze und Fristen", added),
				Raw: []byte("x")}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("withdraw", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			withdraw(b)
		}
	})
	b.Run("purge", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			addPosts(b)
			withdraw(b)
			b.StartTimer()
			if err := db.PurgeTraces(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("optimize+vacuum", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			addPosts(b)
			withdraw(b)
			b.StartTimer()
			for _, q := range []string{`INSERT INTO messages_fts (messages_fts) VALUES ('optimize')`, `VACUUM`, `PRAGMA wal_checkpoint(TRUNCATE)`} {
				if _, err := db.db.ExecContext(ctx, q); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	// Posts arrive every 50 minutes: a day is about 29 of them.
	cutoff := time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)
	b.Run("retention-day", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			cutoff = cutoff.AddDate(0, 0, 1)
			if _, err := db.DeletePostsBefore(ctx, listID, cutoff); err != nil {
				b.Fatal(err)
			}
		}
	})
}
