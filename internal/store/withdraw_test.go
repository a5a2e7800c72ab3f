package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestPublicIDs(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	l := seed(t, db, 1)
	other := &List{Name: "job", Archive: "public", Moderation: "none"}
	if err := db.CreateList(ctx, other); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	post := func(listID int64, mid string, parents ...string) *Accepted {
		t.Helper()
		a, err := db.AcceptPost(ctx, &Post{ListID: listID, MessageID: mid, Subject: "Frage", SubjectKey: "frage", Date: now,
			Raw: []byte("x"), ParentCandidates: parents})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	root := post(l.ID, "123@annas-laptop.fritz.box")
	m, err := db.Message(ctx, l.ID, root.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^[a-z2-7]{26}$`).MatchString(m.PublicID) || m.MessageID != "123@annas-laptop.fritz.box" {
		t.Fatalf("public id %q, message id %q", m.PublicID, m.MessageID)
	}
	if got := m.PublicMessageID("lists.example.org"); got != m.PublicID+"@lists.example.org" {
		t.Errorf("PublicMessageID = %q", got)
	}
	// The same original on another list has another public id.
	cross := post(other.ID, "123@annas-laptop.fritz.box")
	if cm, _ := db.Message(ctx, other.ID, cross.ID); cm.PublicID == m.PublicID {
		t.Error("two lists share a public id")
	}

	tests := []struct {
		name    string
		parents []string
		want    int64 // thread; 0 for a thread of its own
	}{
		{"reply to the public id", []string{m.PublicID + "@lists.example.org"}, root.ID},
		{"reply to the public id, upper case", []string{"<x>", strings.ToUpper(m.PublicID) + "@lists.example.org"}, root.ID},
		{"reply to the original", []string{"123@annas-laptop.fritz.box"}, root.ID},
		{"public id of another list", []string{"zzzzzzzzzzzzzzzzzzzzzzzzzz@lists.example.org"}, 0},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := post(l.ID, "reply"+string(rune('a'+i))+"@x", tt.parents...)
			want := tt.want
			if want == 0 {
				want = a.ID
			}
			if a.ThreadID != want {
				t.Errorf("thread %d, want %d", a.ThreadID, want)
			}
		})
	}

	ids, err := db.PublicIDs(ctx, l.ID, []string{"123@annas-laptop.fritz.box", "unknown@x", "replya@x"})
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 2 || ids["123@annas-laptop.fritz.box"] != m.PublicID || ids["replya@x"] == "" {
		t.Errorf("PublicIDs = %v", ids)
	}
	if ids, err := db.PublicIDs(ctx, l.ID, nil); err != nil || len(ids) != 0 {
		t.Errorf("no ids: %v %v", ids, err)
	}
	// A post is also named by its public id, as members' replies name it; an id of
	// that form that names no post is not.
	shown := m.PublicID + "@lists.example.org"
	ids, err = db.PublicIDs(ctx, l.ID, []string{shown, "abcdefghijklmnopqrstuvwxyz@lists.example.org"})
	if err != nil || len(ids) != 1 || ids[shown] != m.PublicID {
		t.Errorf("PublicIDs by public id = %v, %v", ids, err)
	}
}

// TestPublicIDMigration: posts archived before public ids existed get a random one
// each when the database is upgraded.
func TestPublicIDMigration(t *testing.T) {
	ctx := context.Background()
	db := openFrom(t, 13,
		`INSERT INTO lists (id, name, created_at) VALUES (1, 'kita', 0)`,
		`INSERT INTO messages (id, list_id, message_id, thread_id, date, received_at) VALUES (1, 1, 'a@host', 1, 0, 0), (2, 1, 'b@host', 1, 0, 0)`,
	)
	a, _ := db.Message(ctx, 1, 1)
	b, _ := db.Message(ctx, 1, 2)
	if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(a.PublicID) || a.PublicID == b.PublicID {
		t.Fatalf("public ids after migration: %q %q", a.PublicID, b.PublicID)
	}
	// Replies to the public id of a migrated post thread under it.
	r, err := db.AcceptPost(ctx, &Post{ListID: 1, MessageID: "c@host", Date: time.Now(), Raw: []byte("x"),
		ParentCandidates: []string{a.PublicID + "@lists.example.org"}})
	if err != nil || r.ThreadID != 1 {
		t.Fatalf("reply: %+v %v", r, err)
	}
}

func TestWithdrawPost(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	l := seed(t, db, 3)
	now := time.Now()
	root, err := db.AcceptPost(ctx, &Post{ListID: l.ID, MessageID: "root@x", Subject: "Umgang", SubjectKey: "umgang", FromAddr: "ben@example.net",
		Date: now, Text: "Wie macht ihr das?", Raw: []byte("Subject: Umgang\r\n\r\nWie macht ihr das?\r\n")})
	if err != nil {
		t.Fatal(err)
	}
	secret := "Zauberwortgeheimnis"
	raw := []byte("From: Anna <anna@example.net>\r\nSubject: Re: Umgang\r\n\r\nMein " + secret + " steht hier.\r\n")
	post := &Post{ListID: l.ID, MessageID: "anna@annas-laptop", Subject: "Re: Umgang", SubjectKey: "umgang", FromName: "Anna",
		FromAddr: "anna@example.net", Date: now, Text: "Mein " + secret + " steht hier.", Raw: raw, ParentCandidates: []string{"root@x"}}
	a, err := db.AcceptPost(ctx, post)
	if err != nil || a.Queued != 3 {
		t.Fatalf("accept: %+v %v", a, err)
	}
	reply, err := db.AcceptPost(ctx, &Post{ListID: l.ID, MessageID: "reply@x", Subject: "Re: Umgang", FromAddr: "ben@example.net",
		Date: now, Text: "Danke", Raw: []byte("x"), ParentCandidates: []string{"anna@annas-laptop"}})
	if err != nil {
		t.Fatal(err)
	}
	// One copy went out already; a held copy of the same post was approved earlier.
	ds, err := db.ClaimDue(ctx, now.Add(time.Second), 100)
	if err != nil {
		t.Fatal(err)
	}
	var outs []Outcome
	sentOne := false
	for _, d := range ds {
		if d.MessageID == a.ID && !sentOne {
			outs, sentOne = append(outs, Outcome{ID: d.ID, State: "sent"}), true
		} else {
			outs = append(outs, Outcome{ID: d.ID, State: "queued", Retry: now})
		}
	}
	if err := db.Finish(ctx, now, outs); err != nil || !sentOne {
		t.Fatal(err)
	}
	err = db.Update(ctx, func(tx *Tx) error {
		return tx.Hold(&Held{ListID: l.ID, MessageID: "anna@annas-laptop", FromAddr: "anna@example.net", Reason: "first post",
			Raw: raw, ExpiresAt: now.Add(time.Hour)})
	})
	if err != nil {
		t.Fatal(err)
	}
	if hits, _ := db.Search(ctx, l.ID, secret, 10); len(hits) != 1 {
		t.Fatalf("before: %d hits", len(hits))
	}

	placeholder := []byte("Subject: Re: Umgang\r\n\r\nwithdrawn\r\n")
	for _, who := range []string{"ben@example.net", "", "eve@example.net"} {
		if _, err := db.WithdrawPost(ctx, l.ID, a.ID, who, placeholder); !errors.Is(err, ErrNotFound) {
			t.Errorf("withdrawn by %q: %v", who, err)
		}
	}
	if _, err := db.WithdrawPost(ctx, l.ID+1, a.ID, "anna@example.net", placeholder); !errors.Is(err, ErrNotFound) {
		t.Errorf("withdrawn through another list: %v", err)
	}
	w, err := db.WithdrawPost(ctx, l.ID, a.ID, "Anna@Example.NET", placeholder)
	if err != nil {
		t.Fatal(err)
	}
	if w.Deliveries != 2 || w.Held != 1 || w.Message.Text == "" {
		t.Errorf("withdrawn: %+v", w)
	}
	m, err := db.Message(ctx, l.ID, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !m.Withdrawn() || m.Text != "" || m.FromAddr != "" || m.FromName != "" || m.Subject != "Re: Umgang" ||
		m.ThreadID != root.ID || m.ParentID != root.ID || m.MessageID != "anna@annas-laptop" {
		t.Errorf("withdrawn row: %+v", m)
	}
	if got, _ := db.Raw(ctx, a.ID); !bytes.Equal(got, placeholder) {
		t.Errorf("raw = %q", got)
	}
	// The thread keeps its shape: the reply still hangs under the withdrawn post.
	th, err := db.Thread(ctx, l.ID, root.ID)
	if err != nil || len(th) != 3 || th[2].ID != reply.ID || th[2].ParentID != a.ID {
		t.Fatalf("thread after withdrawal: %v", err)
	}
	if hits, _ := db.Search(ctx, l.ID, secret, 10); len(hits) != 0 {
		t.Errorf("the withdrawn text is still found: %v", hits)
	}
	var queued, sent int
	db.db.QueryRow(`SELECT COUNT(*) FILTER (WHERE state = 'queued'), COUNT(*) FILTER (WHERE state = 'sent') FROM deliveries WHERE message_id = ?`, a.ID).Scan(&queued, &sent)
	if queued != 0 || sent != 1 {
		t.Errorf("copies after withdrawal: %d queued, %d sent", queued, sent)
	}
	if _, err := db.WithdrawPost(ctx, l.ID, a.ID, "anna@example.net", placeholder); !errors.Is(err, ErrNotFound) {
		t.Errorf("withdrawn twice: %v", err)
	}

	if err := db.PurgeTraces(ctx); err != nil {
		t.Fatal(err)
	}
	filepath.Walk(filepath.Dir(db.Path()), func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return nil
		}
		if b, _ := os.ReadFile(path); bytes.Contains(b, []byte(secret)) || bytes.Contains(b, []byte("anna@example.net")) {
			t.Errorf("%s still holds the withdrawn post", filepath.Base(path))
		}
		return nil
	})
}

// TestWithdrawLeavesNoTrace withdraws a long post with two thousand words of its own
// from an archive of a few thousand posts: neither the index (its segments and their
// b-tree), nor free pages, nor the log keep any of them.
func TestWithdrawLeavesNoTrace(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	listID, _ := fillArchive(t, db, 3000, 500)
	var words []string
	for i := 0; i < 2000; i++ {
		words = append(words, fmt.Sprintf("qqzx%04dwort", i))
	}
	text := strings.Join(words, " ")
	a, err := db.AcceptPost(ctx, &Post{ListID: listID, MessageID: "long@x", Subject: "Lang", FromAddr: "anna@example.net",
		Date: time.Now(), Text: text, Raw: []byte("Subject: Lang\r\n\r\n" + text + "\r\n")})
	if err != nil {
		t.Fatal(err)
	}
	// Later posts push the withdrawn one's words into older, merged segments.
	for i := 0; i < 50; i++ {
		if _, err := db.AcceptPost(ctx, &Post{ListID: listID, MessageID: fmt.Sprintf("later%d@x", i), Subject: "Später",
			Date: time.Now(), Text: fmt.Sprintf("Ein späterer Beitrag %d über Kitas", i), Raw: []byte("x")}); err != nil {
			t.Fatal(err)
		}
	}
	if hits, _ := db.Search(ctx, listID, "qqzx0999wort", 10); len(hits) != 1 {
		t.Fatalf("before: %d hits", len(hits))
	}
	if _, err := db.WithdrawPost(ctx, listID, a.ID, "anna@example.net", []byte("Subject: Lang\r\n\r\nwithdrawn\r\n")); err != nil {
		t.Fatal(err)
	}
	if err := db.PurgeTraces(ctx); err != nil {
		t.Fatal(err)
	}
	if hits, _ := db.Search(ctx, listID, "Kitas", 100); len(hits) < 50 {
		t.Errorf("the index lost other posts: %d hits", len(hits))
	}
	filepath.Walk(filepath.Dir(db.Path()), func(path string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			if b, _ := os.ReadFile(path); bytes.Contains(bytes.ToLower(b), []byte("qqzx")) {
				t.Errorf("%s holds %d words of the withdrawn post", filepath.Base(path), bytes.Count(bytes.ToLower(b), []byte("qqzx")))
			}
		}
		return nil
	})
	var n int
	if err := db.db.QueryRow(`SELECT COUNT(*) FROM messages_fts_terms WHERE term LIKE 'qqzx%'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d words of the withdrawn post in the index's vocabulary: %v", n, err)
	}
	if _, err := db.db.Exec(`INSERT INTO messages_fts (messages_fts) VALUES ('integrity-check')`); err != nil {
		t.Errorf("index integrity: %v", err)
	}
}
