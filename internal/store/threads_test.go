package store

import (
	"context"
	"testing"
	"time"
)

// TestThreadIndex checks that the thread and month tables follow every insert and
// delete of the archive.
func TestThreadIndex(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	l := seed(t, db, 0)
	nov := time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC)
	oct := time.Date(2026, 10, 30, 10, 0, 0, 0, time.UTC)
	post := func(mid, subject string, date time.Time, parents ...string) int64 {
		t.Helper()
		a, err := db.AcceptPost(ctx, &Post{ListID: l.ID, MessageID: mid, Subject: subject, FromName: "Anna " + mid,
			Date: date, Raw: []byte("x"), ParentCandidates: parents})
		if err != nil {
			t.Fatal(err)
		}
		return a.ID
	}
	a := post("a", "Kitaplatz", oct)
	post("b", "Re: Kitaplatz", nov, "a")
	c := post("c", "Unterhalt", nov)
	post("a2", "Re: Kitaplatz", nov, "b")

	ts, err := db.Threads(ctx, l.ID, 10, ThreadCursor{})
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		id     int64
		posts  int
		author string
		subj   string
	}
	var got []row
	for _, th := range ts {
		got = append(got, row{th.ID, th.Posts, th.Author, th.Subject})
	}
	want := []row{{a, 3, "Anna a", "Kitaplatz"}, {c, 1, "Anna c", "Unterhalt"}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("threads = %+v, want %+v", got, want)
	}
	if page, _ := db.Threads(ctx, l.ID, 10, ts[0].Cursor()); len(page) != 1 || page[0].ID != c {
		t.Errorf("second page = %+v", page)
	}
	months, err := db.Months(ctx, l.ID)
	if err != nil || len(months) != 2 || months[0] != (MonthCount{2026, 11, 3}) || months[1] != (MonthCount{2026, 10, 1}) {
		t.Fatalf("months = %+v %v", months, err)
	}
	inNov, err := db.MessagesDated(ctx, l.ID, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), 10)
	if err != nil || len(inNov) != 3 {
		t.Fatalf("november: %d %v", len(inNov), err)
	}

	// Deleting the only post of a thread removes it; deleting the first post of a
	// thread keeps the thread with its other posts.
	if _, err := db.db.Exec(`DELETE FROM messages WHERE id IN (?, ?)`, c, a); err != nil {
		t.Fatal(err)
	}
	ts, _ = db.Threads(ctx, l.ID, 10, ThreadCursor{})
	if len(ts) != 1 || ts[0].ID != a || ts[0].Posts != 2 || ts[0].Author != "" {
		t.Fatalf("after delete: %+v", ts)
	}
	months, _ = db.Months(ctx, l.ID)
	if len(months) != 1 || months[0].Posts != 2 {
		t.Fatalf("months after delete: %+v", months)
	}
}

// TestImportedThreadsSortByDate: an old archive imported into a list that already
// has live posts sorts below them; a post dated in the future counts as now.
func TestImportedThreadsSortByDate(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	l := &List{Name: "kita", Archive: "public", Moderation: "none"}
	if err := db.CreateList(ctx, l); err != nil {
		t.Fatal(err)
	}
	live, err := db.AcceptPost(ctx, &Post{ListID: l.ID, MessageID: "live@x", Subject: "Heute", Date: time.Now(), Raw: []byte("x")})
	if err != nil {
		t.Fatal(err)
	}
	res, err := db.ImportPosts(ctx, l.ID, []*Post{
		{ListID: l.ID, MessageID: "old@x", Subject: "2019", Date: time.Date(2019, 3, 1, 0, 0, 0, 0, time.UTC), Raw: []byte("x")},
		{ListID: l.ID, MessageID: "future@x", Subject: "Zukunft", Date: time.Now().AddDate(5, 0, 0), Raw: []byte("x")},
	})
	if err != nil {
		t.Fatal(err)
	}
	ts, err := db.Threads(ctx, l.ID, 10, ThreadCursor{})
	if err != nil || len(ts) != 3 {
		t.Fatalf("threads: %d %v", len(ts), err)
	}
	// The future-dated one counts as received now, which is after the live post.
	if ts[0].ID != res.Posts[1].ID || ts[1].ID != live.ID || ts[2].ID != res.Posts[0].ID {
		t.Errorf("order %d %d %d, want %d %d %d", ts[0].ID, ts[1].ID, ts[2].ID, res.Posts[1].ID, live.ID, res.Posts[0].ID)
	}
	if page, _ := db.Threads(ctx, l.ID, 10, ts[1].Cursor()); len(page) != 1 || page[0].ID != res.Posts[0].ID {
		t.Errorf("page after the live thread: %+v", page)
	}
}
