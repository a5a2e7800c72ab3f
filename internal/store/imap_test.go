package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"
)

func TestAppPasswords(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	a, err := db.AddAppPassword(ctx, "anna@example.net", "hash-a", "Laptop")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddAppPassword(ctx, "anna@example.net", "hash-a", "again"); !errors.Is(err, ErrExists) {
		t.Errorf("same hash twice: %v", err)
	}
	b, err := db.AddAppPassword(ctx, "anna@example.net", "hash-b", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddAppPassword(ctx, "ben@example.net", "hash-c", ""); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		addr, hash string
		want       bool
	}{
		{"anna@example.net", "hash-a", true},
		{"anna@example.net", "hash-c", false}, // ben's password is not anna's
		{"ben@example.net", "hash-a", false},
		{"anna@example.net", "", false},
	} {
		ok, err := db.UseAppPassword(ctx, tt.addr, tt.hash)
		if err != nil || ok != tt.want {
			t.Errorf("UseAppPassword(%s, %s) = %v, %v; want %v", tt.addr, tt.hash, ok, err, tt.want)
		}
	}
	ps, err := db.AppPasswords(ctx, "anna@example.net")
	if err != nil || len(ps) != 2 || ps[0].ID != a.ID || ps[0].Label != "Laptop" || ps[0].LastUsed.IsZero() || !ps[1].LastUsed.IsZero() {
		t.Fatalf("AppPasswords = %+v, %v", ps, err)
	}
	if err := db.RevokeAppPassword(ctx, "ben@example.net", b.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("revoking someone else's password: %v", err)
	}
	if err := db.RevokeAppPassword(ctx, "anna@example.net", b.ID); err != nil {
		t.Fatal(err)
	}
	if ok, _ := db.UseAppPassword(ctx, "anna@example.net", "hash-b"); ok {
		t.Error("revoked password still works")
	}
}

// archivePosts adds n posts to a new list and returns the list and the post ids.
func archivePosts(t *testing.T, db *DB, name string, n int) (*List, []int64) {
	t.Helper()
	ctx := context.Background()
	l := &List{Name: name, Archive: "public", Moderation: "none"}
	if err := db.CreateList(ctx, l); err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for i := 0; i < n; i++ {
		p := &Post{ListID: l.ID, MessageID: fmt.Sprintf("%s-%d@example.net", name, i), Subject: fmt.Sprintf("Frage %d", i),
			FromName: "Anna", FromAddr: "anna@example.net", Date: time.Date(2024, 5, 1+i, 10, 0, 0, 0, time.UTC),
			Text: fmt.Sprintf("Kitaplatz gesucht, Nummer %d", i), Raw: []byte(fmt.Sprintf("Subject: Frage %d\r\n\r\nText %d\r\n", i, i))}
		if i > 0 {
			p.ParentCandidates = []string{fmt.Sprintf("%s-%d@example.net", name, i-1)}
		}
		a, err := db.AcceptPost(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, a.ID)
	}
	return l, ids
}

func TestArchiveForIMAP(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	kita, kids := archivePosts(t, db, "kita", 5)
	umgang, uids := archivePosts(t, db, "umgang", 3)

	count, maxID, err := db.ArchiveState(ctx, kita.ID)
	if err != nil || count != 5 || maxID != kids[4] {
		t.Fatalf("ArchiveState = %d, %d, %v", count, maxID, err)
	}
	got, err := db.ArchiveIDs(ctx, kita.ID, kids[1])
	if err != nil || !slices.Equal(got, kids[2:]) {
		t.Fatalf("ArchiveIDs = %v, %v; want %v", got, err, kids[2:])
	}
	// Ids of another list are not answered.
	envs, err := db.Envelopes(ctx, kita.ID, []int64{kids[0], uids[0], kids[3]})
	if err != nil || len(envs) != 2 || envs[0].ID != kids[0] || envs[1].ID != kids[3] {
		t.Fatalf("Envelopes = %+v, %v", envs, err)
	}
	if e := envs[1]; e.InReplyTo != "kita-2@example.net" || e.Subject != "Frage 3" || e.FromAddr != "anna@example.net" ||
		!e.Date.Equal(time.Date(2024, 5, 4, 10, 0, 0, 0, time.UTC)) || e.Size != len("Subject: Frage 3\r\n\r\nText 3\r\n") {
		t.Errorf("envelope = %+v", e)
	}
	if envs[0].InReplyTo != "" {
		t.Errorf("first post has a parent: %q", envs[0].InReplyTo)
	}
	raws, err := db.RawPosts(ctx, umgang.ID, []int64{kids[0], uids[2], uids[1]})
	if err != nil || len(raws) != 2 || raws[0].ID != uids[1] || string(raws[1].Raw) != "Subject: Frage 2\r\n\r\nText 2\r\n" {
		t.Fatalf("RawPosts = %+v, %v", raws, err)
	}
	// More ids than one query binds.
	many := make([]int64, 0, 1200)
	for i := int64(1); i <= 1200; i++ {
		many = append(many, i)
	}
	if envs, err := db.Envelopes(ctx, kita.ID, many); err != nil || len(envs) != 5 {
		t.Errorf("Envelopes of 1200 ids = %d, %v", len(envs), err)
	}

	for _, tt := range []struct {
		text     string
		bodyOnly bool
		want     []int64
	}{
		{"Kitaplatz", true, kids},
		{"Nummer 3", true, kids[3:4]},
		{"Frage", true, nil},
		{"Frage", false, kids},
		{"", false, kids},
	} {
		got, err := db.ArchiveMatches(ctx, kita.ID, tt.text, tt.bodyOnly)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("ArchiveMatches(%q, %v) = %v, %v; want %v", tt.text, tt.bodyOnly, got, err, tt.want)
		}
	}
}

func TestSeenFlags(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	kita, kids := archivePosts(t, db, "kita", 4)
	umgang, uids := archivePosts(t, db, "umgang", 2)
	if err := db.SetSeen(ctx, "anna@example.net", []int64{kids[0], kids[2], uids[1], 9999}, true); err != nil {
		t.Fatal(err)
	}
	if err := db.SetSeen(ctx, "anna@example.net", []int64{kids[0]}, true); err != nil {
		t.Fatal(err) // again: no error
	}
	if err := db.SetSeen(ctx, "ben@example.net", []int64{kids[1]}, true); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.SeenIDs(ctx, "anna@example.net", kita.ID); !slices.Equal(got, []int64{kids[0], kids[2]}) {
		t.Errorf("anna's seen in kita = %v", got)
	}
	if got, _ := db.SeenIDs(ctx, "anna@example.net", umgang.ID); !slices.Equal(got, []int64{uids[1]}) {
		t.Errorf("anna's seen in umgang = %v", got)
	}
	if err := db.SetSeen(ctx, "anna@example.net", []int64{kids[2]}, false); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.SeenIDs(ctx, "anna@example.net", kita.ID); !slices.Equal(got, []int64{kids[0]}) {
		t.Errorf("after unseen = %v", got)
	}

	// Erasure takes the seen flags and app passwords along, and only the address's.
	if _, err := db.AddAppPassword(ctx, "anna@example.net", "h1", ""); err != nil {
		t.Fatal(err)
	}
	ex, err := db.ExportAddress(ctx, "anna@example.net")
	if err != nil || ex.SeenFlags != 2 || len(ex.AppPasswords) != 1 {
		t.Fatalf("export: %d seen, %d passwords, %v", ex.SeenFlags, len(ex.AppPasswords), err)
	}
	if _, err := db.EraseAddress(ctx, "anna@example.net", nil, true); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.SeenIDs(ctx, "anna@example.net", kita.ID); len(got) != 0 {
		t.Errorf("seen flags survive erasure: %v", got)
	}
	if ps, _ := db.AppPasswords(ctx, "anna@example.net"); len(ps) != 0 {
		t.Errorf("app passwords survive erasure: %v", ps)
	}
	if got, _ := db.SeenIDs(ctx, "ben@example.net", kita.ID); len(got) != 0 {
		// anna's posts were deleted, and with them every flag on them.
		t.Errorf("flags on erased posts survive: %v", got)
	}
}

func TestHeldIDs(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	l := &List{Name: "kita", Archive: "public", Moderation: "all"}
	if err := db.CreateList(ctx, l); err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for i := 0; i < 3; i++ {
		h := &Held{ListID: l.ID, MessageID: fmt.Sprintf("h%d@x", i), Reason: "test", Raw: []byte("Subject: x\r\n\r\n"),
			ExpiresAt: time.Now().Add(time.Hour)}
		if err := db.Update(ctx, func(tx *Tx) error { return tx.Hold(h) }); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, h.ID)
	}
	if err := db.Update(ctx, func(tx *Tx) error { _, err := tx.Decide(ids[1], "approved", "mod", ""); return err }); err != nil {
		t.Fatal(err)
	}
	if got, err := db.HeldIDs(ctx, l.ID); err != nil || !slices.Equal(got, []int64{ids[0], ids[2]}) {
		t.Errorf("HeldIDs = %v, %v", got, err)
	}
}

// TestArchiveIDRuns: the runs of a list's ids are its ids, with gaps left by erased
// posts and by another list's posts, whole and after an id, and for ranges large
// enough to be split.
func TestArchiveIDRuns(t *testing.T) {
	ctx := context.Background()
	db := open(t)
	a := &List{Name: "runs-a", Archive: "members", Moderation: "none"}
	b := &List{Name: "runs-b", Archive: "members", Moderation: "none"}
	for _, l := range []*List{a, b} {
		if err := db.CreateList(ctx, l); err != nil {
			t.Fatal(err)
		}
	}
	date := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var posts []*Post
	for i := range 3000 {
		l := a
		if i%1000 >= 700 && i%1000 < 710 || i == 2500 {
			l = b // a few runs of the other list
		}
		posts = append(posts, &Post{ListID: l.ID, MessageID: fmt.Sprintf("<%d@runs>", i), Subject: fmt.Sprintf("s %d", i),
			Date: date.Add(time.Duration(i) * time.Minute), Raw: []byte("Subject: s\r\n\r\nx\r\n")})
	}
	for len(posts) > 0 { // in order, the same list's posts in one batch
		n := 1
		for n < len(posts) && posts[n].ListID == posts[0].ListID {
			n++
		}
		if _, err := db.ImportPosts(ctx, posts[0].ListID, posts[:n]); err != nil {
			t.Fatal(err)
		}
		posts = posts[n:]
	}
	all, err := db.ArchiveIDs(ctx, a.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Erase a few of a's posts: single ones, and a block.
	for _, id := range append([]int64{all[0], all[5], all[len(all)-1]}, all[1500:1520]...) {
		if _, err := db.db.ExecContext(ctx, `DELETE FROM messages WHERE id = ?`, id); err != nil {
			t.Fatal(err)
		}
	}
	for _, l := range []*List{a, b} {
		ids, err := db.ArchiveIDs(ctx, l.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, after := range []int64{0, ids[0], ids[len(ids)/3], ids[len(ids)-1], 1 << 40} {
			runs, err := db.ArchiveIDRuns(ctx, l.ID, after)
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for i, r := range runs {
				if r.First > r.Last || i > 0 && runs[i-1].Last+1 >= r.First {
					t.Fatalf("%s after %d: runs %v not apart and ascending", l.Name, after, runs)
				}
				for id := r.First; id <= r.Last; id++ {
					got = append(got, id)
				}
			}
			want, err := db.ArchiveIDs(ctx, l.ID, after)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s after %d: runs %v, want the ids %v", l.Name, after, runs, want)
			}
		}
	}
}
