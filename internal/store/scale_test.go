package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
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
	ids := func(when string) {
		t.Helper()
		for _, l := range ls {
			for _, after := range []int64{0, 5, 31, 100} {
				got, err := db.ArchiveIDs(ctx, l.ID, after)
				if err != nil {
					t.Fatal(err)
				}
				rows, err := db.db.QueryContext(ctx, `SELECT id FROM messages WHERE list_id = ? AND id > ? ORDER BY id`, l.ID, after)
				if err != nil {
					t.Fatal(err)
				}
				var want []int64
				for rows.Next() {
					var id int64
					if err := rows.Scan(&id); err != nil {
						t.Fatal(err)
					}
					want = append(want, id)
				}
				rows.Close()
				if !slices.Equal(got, want) {
					t.Errorf("%s, list %s after %d: ArchiveIDs = %v, want %v", when, l.Name, after, got, want)
				}
			}
		}
	}
	ids("after the imports")
	// Posts of the two lists in turn: runs of one id each.
	for i := range 6 {
		p := &Post{ListID: ls[i%2].ID, MessageID: fmt.Sprintf("live%d@x", i), Date: time.Date(2016, 1, 1, 0, 0, 0, 0, time.UTC), Raw: []byte("x")}
		if _, err := db.AcceptPost(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	ids("after posts to both lists in turn")
	check("after posts to both lists in turn")
	if _, err := db.db.ExecContext(ctx, `DELETE FROM messages WHERE id IN (3, 4, 17, 35)`); err != nil {
		t.Fatal(err)
	}
	check("after deleting posts")
	ids("after deleting posts")
	if _, err := db.db.ExecContext(ctx, `DELETE FROM messages WHERE list_id = ?`, ls[1].ID); err != nil {
		t.Fatal(err)
	}
	check("after deleting a list's posts")
}

// TestThreadOutline: a post's page lists its thread from ThreadOutline, which is
// Thread without the texts (which it neither reads nor inflates), for a thread of
// long compressed texts, a withdrawn post and another list's thread of the same id.
func TestThreadOutline(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	l := seed(t, db, 0)
	other := &List{Name: "andere", Archive: "public", Moderation: "none"}
	if err := db.CreateList(ctx, other); err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("Der Unterhaltsvorschuss wurde beim Jugendamt beantragt. ", 200)
	var root *Accepted
	for i := range 5 {
		p := &Post{ListID: l.ID, MessageID: fmt.Sprintf("%d@x", i), Subject: "Unterhalt", SubjectKey: "unterhalt",
			FromName: fmt.Sprintf("Autor %d", i), Date: time.Date(2024, 3, 1+i, 0, 0, 0, 0, time.UTC), Raw: []byte("x"), Text: long}
		if root != nil {
			p.ParentCandidates = []string{fmt.Sprintf("%d@x", i-1)}
		}
		a, err := db.AcceptPost(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if root == nil {
			root = a
		}
	}
	if _, err := db.db.ExecContext(ctx, `UPDATE messages SET withdrawn_at = 1700000000 WHERE id = ?`, root.ID+2); err != nil {
		t.Fatal(err)
	}
	full, err := db.Thread(ctx, l.ID, root.ThreadID)
	if err != nil {
		t.Fatal(err)
	}
	outline, err := db.ThreadOutline(ctx, l.ID, root.ThreadID)
	if err != nil {
		t.Fatal(err)
	}
	if len(full) != 5 || len(outline) != len(full) {
		t.Fatalf("Thread has %d posts, ThreadOutline %d", len(full), len(outline))
	}
	for i, m := range full {
		if m.Text != long {
			t.Errorf("Thread: post %d has a text of %d bytes, want %d", m.ID, len(m.Text), len(long))
		}
		want := *m
		want.Text = ""
		if *outline[i] != want {
			t.Errorf("ThreadOutline post %d:\n%+v\nwant\n%+v", i, *outline[i], want)
		}
	}
	if _, err := db.ThreadOutline(ctx, other.ID, root.ThreadID); !errors.Is(err, ErrNotFound) {
		t.Errorf("another list's thread: %v, want ErrNotFound", err)
	}
}

// TestArchiveMatchesOneList: IMAP's full-text search answers in id order from the
// index alone while one list has posts, and keeps to the list once another has
// posts with the same words.
func TestArchiveMatchesOneList(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	add := func(l *List, from, n int) []int64 {
		var posts []*Post
		for i := from; i < from+n; i++ {
			text := "Kein Platz"
			if i%3 == 0 {
				text = "Der Kitaplatz ist zugesagt"
			}
			posts = append(posts, &Post{MessageID: fmt.Sprintf("%d@x", i), Subject: "Kita", SubjectKey: "kita",
				Date: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i), Raw: []byte("x"), Text: text})
		}
		if _, err := db.ImportPosts(ctx, l.ID, posts); err != nil {
			t.Fatal(err)
		}
		var ids []int64
		rows, err := db.db.QueryContext(ctx, `SELECT id FROM messages WHERE list_id = ? AND body_text LIKE '%Kitaplatz%' ORDER BY id`, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			rows.Scan(&id)
			ids = append(ids, id)
		}
		return ids
	}
	eins := &List{Name: "eins", Archive: "public", Moderation: "none"}
	if err := db.CreateList(ctx, eins); err != nil {
		t.Fatal(err)
	}
	want := add(eins, 0, 30)
	check := func(when string, l *List, want []int64) {
		t.Helper()
		for _, bodyOnly := range []bool{false, true} {
			got, err := db.ArchiveMatches(ctx, l.ID, "Kitaplatz", bodyOnly)
			if err != nil || len(want) == 0 || !slices.Equal(got, want) {
				t.Errorf("%s: ArchiveMatches(%s, bodyOnly %v) = %v, %v; want %v", when, l.Name, bodyOnly, got, err, want)
			}
		}
	}
	check("one list", eins, want)
	zwei := &List{Name: "zwei", Archive: "public", Moderation: "none"}
	if err := db.CreateList(ctx, zwei); err != nil {
		t.Fatal(err)
	}
	wantZwei := add(zwei, 30, 30)
	check("two lists", eins, want)
	check("two lists", zwei, wantZwei)
}

// TestReadPlans: the statements of the archive's pages and of IMAP's full-text
// search find their rows through an index and in the order asked for: no scan of a
// table and no temporary b-tree to sort, whose work would grow with the archive.
func TestReadPlans(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	for _, tt := range []struct {
		name  string
		query string
		args  []any
	}{
		{"message", messageSQL, []any{1, 2}},
		{"thread", threadSQL, []any{1, 2}},
		{"thread outline", threadOutlineSQL, []any{1, 2}},
		{"raw", rawSQL, []any{2}},
		{"threads", threadsSQL, []any{1, 1 << 62, 1 << 62, 51}},
		{"months", monthsSQL, []any{1}},
		{"imap search, one list", archiveMatchesSQL, []any{"kita"}},
		{"imap search, columns", searchFieldsSQL, []any{1, 1, 100}},
		{"imap search, columns and public ids", searchFieldsPublicSQL, []any{1, 1, 100}},
		{"imap search, a list of several", archiveMatchesJoinSQL + ` AND m.list_id IN (?) ORDER BY f.rowid`, []any{"kita", 1}},
	} {
		rows, err := db.db.QueryContext(ctx, `EXPLAIN QUERY PLAN `+tt.query, tt.args...)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		for _, step := range plan {
			// FTS5's own cursor is a "SCAN ... VIRTUAL TABLE": it reads the index.
			scan := strings.HasPrefix(step, "SCAN ") && !strings.Contains(step, "VIRTUAL TABLE")
			if scan || strings.Contains(step, "TEMP B-TREE") {
				t.Errorf("%s: plan %q", tt.name, plan)
				break
			}
		}
	}
}
