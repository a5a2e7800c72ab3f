package store

import (
	"context"
	"testing"
	"time"
)

// TestArchiveIDsNeverReused: after the newest post is deleted, the next post gets a
// new id, from the live path and from an import alike.
func TestArchiveIDsNeverReused(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	l := seed(t, db, 0)
	db.db.Exec(`DELETE FROM members`) // no digest waits: the import may run
	accept := func(mid string) int64 {
		t.Helper()
		a, err := db.AcceptPost(ctx, &Post{ListID: l.ID, MessageID: mid, Date: time.Now(), Raw: []byte("x")})
		if err != nil {
			t.Fatal(err)
		}
		return a.ID
	}
	first := accept("a@x")
	second := accept("b@x")
	if _, err := db.db.Exec(`DELETE FROM messages WHERE id = ?`, second); err != nil {
		t.Fatal(err)
	}
	if third := accept("c@x"); third <= second {
		t.Errorf("ids %d, %d, then %d after deleting %d", first, second, third, second)
	}
	res, err := db.ImportPosts(ctx, l.ID, []*Post{{ListID: l.ID, MessageID: "d@x", Date: time.Now(), Raw: []byte("x")}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Posts[0].ID <= second+1 {
		t.Errorf("import got id %d", res.Posts[0].ID)
	}
}
