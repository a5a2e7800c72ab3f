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

	ts, err := db.Threads(ctx, l.ID, 10, 0)
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
	if page, _ := db.Threads(ctx, l.ID, 10, ts[0].LastID); len(page) != 1 || page[0].ID != c {
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
	ts, _ = db.Threads(ctx, l.ID, 10, 0)
	if len(ts) != 1 || ts[0].ID != a || ts[0].Posts != 2 || ts[0].Author != "" {
		t.Fatalf("after delete: %+v", ts)
	}
	months, _ = db.Months(ctx, l.ID)
	if len(months) != 1 || months[0].Posts != 2 {
		t.Fatalf("months after delete: %+v", months)
	}
}
