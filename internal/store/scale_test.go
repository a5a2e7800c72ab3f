package store

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// TestArchiveStateCount: ArchiveState's count, the sum of the list's months, is the
// number of its posts after posts of several months and lists came, were withdrawn
// and were deleted.
func TestArchiveStateCount(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	var ls []*List
	for _, name := range []string{"eins", "zwei"} {
		l := &List{Name: name, Archive: "public", Moderation: "none"}
		if err := db.CreateList(ctx, l); err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
	}
	var posts []*Post
	for i := range 40 {
		posts = append(posts, &Post{MessageID: fmt.Sprintf("%d@x", i), Subject: "Elterngeld", SubjectKey: "elterngeld",
			Date: time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, 9*i), Raw: []byte("x"), Text: "Text"})
	}
	if _, err := db.ImportPosts(ctx, ls[0].ID, posts[:30]); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ImportPosts(ctx, ls[1].ID, posts[30:]); err != nil {
		t.Fatal(err)
	}
	check := func(when string) {
		t.Helper()
		for _, l := range ls {
			count, maxID, err := db.ArchiveState(ctx, l.ID)
			if err != nil {
				t.Fatal(err)
			}
			var want int
			var wantMax int64
			if err := db.db.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(MAX(id), 0) FROM messages WHERE list_id = ?`, l.ID).Scan(&want, &wantMax); err != nil {
				t.Fatal(err)
			}
			if count != want || maxID != wantMax {
				t.Errorf("%s, list %s: ArchiveState = %d, %d; want %d, %d", when, l.Name, count, maxID, want, wantMax)
			}
		}
	}
	check("after the imports")
	if _, err := db.db.ExecContext(ctx, `DELETE FROM messages WHERE id IN (3, 4, 17, 35)`); err != nil {
		t.Fatal(err)
	}
	check("after deleting posts")
	if _, err := db.db.ExecContext(ctx, `DELETE FROM messages WHERE list_id = ?`, ls[1].ID); err != nil {
		t.Fatal(err)
	}
	check("after deleting a list's posts")
}
