package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestImportPosts(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	l := seed(t, db, 3) // three members who get each post, one digest reader
	old := time.Date(2015, 3, 1, 12, 0, 0, 0, time.UTC)
	post := func(mid, subject string, day int, parents ...string) *Post {
		key := strings.ToLower(strings.TrimPrefix(subject, "Re: "))
		return &Post{MessageID: mid, Subject: subject, SubjectKey: key, FromName: "Anna", FromAddr: "anna@example.net",
			Date: old.AddDate(0, 0, day), Text: "Unterhaltsvorschuss " + mid, Raw: []byte("raw " + mid),
			ParentCandidates: parents, SubjectFallback: strings.HasPrefix(subject, "Re: ")}
	}
	batch1 := []*Post{
		post("root@x", "Kitaplatz", 0),
		post("a@x", "Re: Kitaplatz", 1, "root@x"),
		post("b@x", "Re: Kitaplatz", 2, "gone@x", "a@x"),  // References: the nearest known one
		post("c@x", "Re: Kitaplatz", 20),                  // by subject, within 30 days of its own date
		post("d@x", "Re: Kitaplatz", 80),                  // by subject, but too late: a thread of its own
		post("a@x", "Re: Kitaplatz (again)", 3, "root@x"), // the same Message-ID twice in a file
		post("e@x", "Umgangsrecht", 4),                    // another thread
		post("f@x", "Re: Umgangsrecht", 5, "elsewhere@x"), // unknown parent: by subject
	}
	res, err := db.ImportPosts(ctx, l.ID, batch1)
	if err != nil {
		t.Fatal(err)
	}
	if res.Imported != 7 || res.Duplicates != 1 || len(res.Posts) != 8 {
		t.Fatalf("result %+v", res)
	}
	ids := map[string]int64{}
	for i, p := range batch1 {
		if !res.Posts[i].Duplicate {
			ids[p.MessageID] = res.Posts[i].ID
		}
	}
	if res.Posts[5].ID != ids["a@x"] || !res.Posts[5].Duplicate {
		t.Errorf("duplicate: %+v", res.Posts[5])
	}
	// A second batch: a reply to the first batch, and posts the list has already.
	res2, err := db.ImportPosts(ctx, l.ID, []*Post{post("g@x", "Re: Umgangsrecht", 6, "f@x"), post("root@x", "Kitaplatz", 0)})
	if err != nil || res2.Imported != 1 || res2.Duplicates != 1 {
		t.Fatalf("second batch: %+v %v", res2, err)
	}
	ids["g@x"] = res2.Posts[0].ID

	tests := []struct {
		mid, parent, thread string
	}{
		{"root@x", "", "root@x"},
		{"a@x", "root@x", "root@x"},
		{"b@x", "a@x", "root@x"},
		{"c@x", "b@x", "root@x"}, // the newest of the subject
		{"d@x", "", "d@x"},
		{"e@x", "", "e@x"},
		{"f@x", "e@x", "e@x"},
		{"g@x", "f@x", "e@x"},
	}
	for _, tt := range tests {
		m, err := db.Message(ctx, l.ID, ids[tt.mid])
		if err != nil {
			t.Fatal(err)
		}
		if m.ParentID != ids[tt.parent] || m.ThreadID != ids[tt.thread] {
			t.Errorf("%s: parent %d thread %d, want %d (%s) and %d (%s)", tt.mid, m.ParentID, m.ThreadID,
				ids[tt.parent], tt.parent, ids[tt.thread], tt.thread)
		}
		if !m.ReceivedAt.Equal(m.Date) || m.Date.Year() != 2015 {
			t.Errorf("%s: date %v received %v", tt.mid, m.Date, m.ReceivedAt)
		}
	}
	// File order is id order.
	if !(ids["root@x"] < ids["a@x"] && ids["a@x"] < ids["b@x"] && ids["f@x"] < ids["g@x"]) {
		t.Errorf("ids out of order: %v", ids)
	}
	raw, err := db.Raw(ctx, ids["b@x"])
	if err != nil || string(raw) != "raw b@x" {
		t.Errorf("raw = %q, %v", raw, err)
	}

	// Nothing was queued, and the digest does not take the imported posts.
	var queued int
	db.db.QueryRow(`SELECT COUNT(*) FROM deliveries`).Scan(&queued)
	if queued != 0 {
		t.Errorf("%d deliveries queued", queued)
	}
	if n, err := db.DigestBacklog(ctx, l.ID); err != nil || n != 0 {
		t.Errorf("digest backlog %d, %v", n, err)
	}

	// A live reply threads with the imported posts; AcceptPost still queues.
	a, err := db.AcceptPost(ctx, &Post{ListID: l.ID, MessageID: "live@x", Subject: "Re: Umgangsrecht", Date: time.Now(),
		Raw: []byte("x"), ParentCandidates: []string{"g@x"}})
	if err != nil || a.ThreadID != ids["e@x"] || a.Queued != 3 {
		t.Fatalf("live reply: %+v %v", a, err)
	}
	// Now a post waits for the digest, which has a reader: importing is refused.
	if _, err := db.ImportPosts(ctx, l.ID, []*Post{post("h@x", "Neu", 7)}); !errors.Is(err, ErrDigestWaiting) ||
		!strings.Contains(err.Error(), "1 posts") {
		t.Fatalf("import while a post waits for the digest: %v", err)
	}
	if _, err := db.Message(ctx, l.ID, a.ID+1); !errors.Is(err, ErrNotFound) {
		t.Errorf("the refused batch left a post: %v", err)
	}

	// Search finds the imported text.
	var hits int
	db.db.QueryRow(`SELECT COUNT(*) FROM messages_fts WHERE messages_fts MATCH 'unterhaltsvorschuss'`).Scan(&hits)
	if hits != 8 {
		t.Errorf("fts hits = %d, want 8", hits)
	}
}

func TestImportPostsNoDigestReaders(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	l := &List{Name: "ohne", Archive: "public", Moderation: "none"}
	if err := db.CreateList(ctx, l); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AcceptPost(ctx, &Post{ListID: l.ID, MessageID: "live@x", Date: time.Now(), Raw: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	// A post waits, but nobody reads the digest: the import goes ahead.
	res, err := db.ImportPosts(ctx, l.ID, []*Post{{MessageID: "old@x", Date: time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC), Raw: []byte("y")}})
	if err != nil || res.Imported != 1 {
		t.Fatalf("%+v %v", res, err)
	}
	if n, _ := db.DigestBacklog(ctx, l.ID); n != 0 {
		t.Errorf("digest backlog %d", n)
	}
}

func TestImportPostsErrors(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	l := seed(t, db, 0)
	tests := []struct {
		name   string
		listID int64
		posts  []*Post
		want   error
		text   string
	}{
		{"no such list", l.ID + 7, []*Post{{MessageID: "a@x", Raw: []byte("x")}}, ErrNotFound, "list"},
		{"post of another list", l.ID, []*Post{{ListID: l.ID + 1, MessageID: "a@x", Raw: []byte("x")}}, nil, "is for list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := db.ImportPosts(ctx, tt.listID, tt.posts)
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) || !strings.Contains(err.Error(), tt.text) {
				t.Fatalf("err = %v", err)
			}
		})
	}
	// A cancelled context stops the batch.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := db.ImportPosts(cctx, l.ID, []*Post{{MessageID: "a@x", Raw: []byte("x")}}); err == nil {
		t.Fatal("import with a cancelled context succeeded")
	}
}

func BenchmarkImportPosts(b *testing.B) {
	db, err := Open(context.Background(), b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	l := &List{Name: "bench", Archive: "public", Moderation: "none"}
	if err := db.CreateList(ctx, l); err != nil {
		b.Fatal(err)
	}
	text := strings.Repeat("Der Unterhaltsvorschuss wird beim Jugendamt beantragt, der Kitaplatz bei der Stadt. ", 30)
	raw := []byte(strings.Repeat("x", 6000))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		posts := make([]*Post, 1000)
		for j := range posts {
			n := i*1000 + j
			var parents []string
			if j%5 != 0 {
				parents = []string{fmt.Sprintf("%d@x", n-1)}
			}
			posts[j] = &Post{MessageID: fmt.Sprintf("%d@x", n), Subject: "Kitaplatz", SubjectKey: "kitaplatz",
				Date: time.Unix(int64(1.4e9)+int64(n)*600, 0), Text: text, Raw: raw, ParentCandidates: parents}
		}
		if _, err := db.ImportPosts(ctx, l.ID, posts); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*1000), "µs/post")
}

// TestImportBatches: threading by subject across batches, with the posts the list had
// before the import, and never with the posts of a batch that failed.
func TestImportBatches(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	l := &List{Name: "ohne", Archive: "public", Moderation: "none"}
	if err := db.CreateList(ctx, l); err != nil {
		t.Fatal(err)
	}
	day := func(d int) time.Time { return time.Date(2016, 5, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, d) }
	before, err := db.AcceptPost(ctx, &Post{ListID: l.ID, MessageID: "before@x", Subject: "Elterngeld", SubjectKey: "elterngeld",
		Date: day(0), Raw: []byte("x")})
	if err != nil {
		t.Fatal(err)
	}
	reply := func(mid string, d int) *Post {
		return &Post{MessageID: mid, Subject: "Re: Elterngeld", SubjectKey: "elterngeld", Date: day(d), Raw: []byte(mid), SubjectFallback: true}
	}
	im := db.NewImport(l.ID)
	add := func(posts ...*Post) ImportResult {
		t.Helper()
		res, err := im.Add(ctx, posts)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	r1 := add(reply("r1@x", 3))
	// A batch that fails after storing a post: that post is no parent later.
	if _, err := im.Add(ctx, []*Post{reply("lost@x", 5), {ListID: l.ID + 1, MessageID: "other@x", Raw: []byte("x")}}); err == nil {
		t.Fatal("a post of another list was imported")
	}
	r2 := add(reply("r2@x", 6))
	r3 := add(reply("r3@x", 60)) // more than 30 days after r2: a thread of its own
	for _, tt := range []struct {
		name           string
		got            Accepted
		parent, thread int64
	}{
		{"r1 answers the post from before the import", r1.Posts[0], before.ID, before.ID},
		{"r2 answers r1, not the failed batch's post", r2.Posts[0], r1.Posts[0].ID, before.ID},
		{"r3 starts a thread", r3.Posts[0], 0, r3.Posts[0].ID},
	} {
		m, err := db.Message(ctx, l.ID, tt.got.ID)
		if err != nil {
			t.Fatal(err)
		}
		if m.ParentID != tt.parent || m.ThreadID != tt.thread {
			t.Errorf("%s: parent %d thread %d, want %d and %d", tt.name, m.ParentID, m.ThreadID, tt.parent, tt.thread)
		}
	}
}

// TestImportPublicIDs: imported posts get public ids as live ones do, and a reply to a
// post under its public id (a member's answer to an anonymous list's copy) finds it.
func TestImportPublicIDs(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	l := &List{Name: "anon", Archive: "public", Moderation: "none", Anonymous: true}
	if err := db.CreateList(ctx, l); err != nil {
		t.Fatal(err)
	}
	date := time.Date(2018, 1, 1, 0, 0, 0, 0, time.UTC)
	res, err := db.ImportPosts(ctx, l.ID, []*Post{{MessageID: "orig@sender.example", Subject: "Frage", Date: date, Raw: []byte("x")}})
	if err != nil {
		t.Fatal(err)
	}
	ids, err := db.PublicIDs(ctx, l.ID, []string{"orig@sender.example"})
	if err != nil || len(ids["orig@sender.example"]) != 26 {
		t.Fatalf("public ids %v, %v", ids, err)
	}
	reply, err := db.ImportPosts(ctx, l.ID, []*Post{{MessageID: "reply@x", Date: date.Add(time.Hour), Raw: []byte("y"),
		ParentCandidates: []string{ids["orig@sender.example"] + "@lists.example.org"}}})
	if err != nil || reply.Posts[0].ThreadID != res.Posts[0].ID {
		t.Fatalf("reply by public id: %+v %v", reply, err)
	}
}

// TestImportCountsMembersPosts: a member's imported posts count as theirs, so that
// first-post moderation does not hold someone who wrote on the list before.
func TestImportCountsMembersPosts(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	l := &List{Name: "kita", Archive: "public", Moderation: "first-post"}
	if err := db.CreateList(ctx, l); err != nil {
		t.Fatal(err)
	}
	if err := db.AddMember(ctx, &Member{ListID: l.ID, Address: "anna@example.net", Mode: "each", Role: "member"}); err != nil {
		t.Fatal(err)
	}
	var posts []*Post
	for i, from := range []string{"anna@example.net", "anna@example.net", "fremd@example.net"} {
		posts = append(posts, &Post{ListID: l.ID, MessageID: fmt.Sprintf("%d@old", i), FromAddr: from, Date: time.Now(), Raw: []byte("x")})
	}
	if _, err := db.ImportPosts(ctx, l.ID, posts); err != nil {
		t.Fatal(err)
	}
	m, err := db.Member(ctx, l.ID, "anna@example.net")
	if err != nil || m.Posts != 2 {
		t.Fatalf("anna has %v posts, want 2 (%v)", m, err)
	}
}

// TestImportCountsAsTrigger: a batch counts threads and months once at its end, with
// the trigger suspended; the tables hold what the trigger makes post by post, for
// threads that begin in a batch, go on in the next and began before the import, and
// for months that span batches. The trigger is back after each batch, also after one
// that failed.
func TestImportCountsAsTrigger(t *testing.T) {
	ctx := context.Background()
	day := func(d int) time.Time { return time.Date(2016, 5, 30, 10, 0, 0, 0, time.UTC).AddDate(0, 0, d) }
	dump := func(keepTriggers bool) string {
		db := open(t)
		db.now = func() time.Time { return day(100) }
		l := &List{Name: "ohne", Archive: "public", Moderation: "none"}
		if err := db.CreateList(ctx, l); err != nil {
			t.Fatal(err)
		}
		// A post from before the import, which imported replies join.
		if _, err := db.AcceptPost(ctx, &Post{ListID: l.ID, MessageID: "before@x", Subject: "Elterngeld",
			SubjectKey: "elterngeld", Date: day(0), Raw: []byte("x")}); err != nil {
			t.Fatal(err)
		}
		im := db.NewImport(l.ID)
		im.keepTriggers = keepTriggers
		var n int
		post := func(subject string, d int, parents ...string) *Post {
			n++
			return &Post{MessageID: fmt.Sprintf("p%d@x", n), Subject: subject, SubjectKey: strings.TrimPrefix(subject, "Re: "),
				Date: day(d), Raw: []byte(fmt.Sprint(n)), ParentCandidates: parents, SubjectFallback: strings.HasPrefix(subject, "Re: ")}
		}
		batches := [][]*Post{
			{post("Re: Elterngeld", 1, "before@x"), post("Kita", 2), post("Re: Kita", 1, "p2@x"), post("Umzug", -40)},
			{post("Re: Kita", 5, "p3@x"), post("Re: Elterngeld", 3, "p1@x"), post("Wohngeld", 40), post("Re: Umzug", -39, "p4@x")},
			{post("Re: Wohngeld", 41, "p7@x"), post("Re: Kita", 4, "p5@x"), post("Re: Elterngeld", 4, "p6@x"),
				post("Re: Kita", 5, "p10@x")},
		}
		for i, b := range batches {
			if _, err := im.Add(ctx, b); err != nil {
				t.Fatal(err)
			}
			if i == 0 { // a batch that fails after inserting a post
				if _, err := im.Add(ctx, []*Post{post("Neu", 3), {ListID: l.ID + 1, MessageID: "other@x", Raw: []byte("x")}}); err == nil {
					t.Fatal("a post of another list was imported")
				}
			}
		}
		var trig int
		if err := db.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_schema WHERE type = 'trigger' AND name = ?`,
			threadCountsTrigger).Scan(&trig); err != nil || trig != 1 {
			t.Fatalf("trigger after the import: %d %v", trig, err)
		}
		// A live post after the import is counted by the trigger.
		if _, err := db.AcceptPost(ctx, &Post{ListID: l.ID, MessageID: "after@x", Subject: "Re: Kita", SubjectKey: "Kita",
			Date: day(6), Raw: []byte("y"), ParentCandidates: []string{"p10@x"}}); err != nil {
			t.Fatal(err)
		}
		var out strings.Builder
		for _, q := range []string{
			`SELECT id, list_id, subject, posts, first_date, last_id, last_date, last_received FROM threads ORDER BY id`,
			`SELECT list_id, month, posts FROM archive_months ORDER BY 1, 2`,
		} {
			rows, err := db.db.QueryContext(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			cols, _ := rows.Columns()
			for rows.Next() {
				vals := make([]any, len(cols))
				ptrs := make([]any, len(cols))
				for i := range vals {
					ptrs[i] = &vals[i]
				}
				if err := rows.Scan(ptrs...); err != nil {
					t.Fatal(err)
				}
				fmt.Fprintln(&out, vals...)
			}
			rows.Close()
		}
		return out.String()
	}
	perRow, batched := dump(true), dump(false)
	if perRow != batched {
		t.Errorf("threads and months counted per batch:\n%s\nwant, as the trigger counts them:\n%s", batched, perRow)
	}
	if !strings.Contains(perRow, "Elterngeld 4") || strings.Count(perRow, "\n") != 4+4 {
		t.Errorf("unexpected tables:\n%s", perRow)
	}
}

// TestImportKeepsChangedTrigger: when the counting trigger is not the one the batch's
// recount stands in for (a later migration changed it: here it also sums the sizes
// of a thread's posts), an import inserts with the trigger, so that the tables hold
// what live posts would have made of them. Dropping it would leave the new column
// uncounted for every imported post.
func TestImportKeepsChangedTrigger(t *testing.T) {
	ctx := context.Background()
	db := open(t)
	l := &List{Name: "ohne", Archive: "public", Moderation: "none"}
	if err := db.CreateList(ctx, l); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`ALTER TABLE threads ADD COLUMN bytes INTEGER NOT NULL DEFAULT 0`,
		`DROP TRIGGER messages_threads_ai`,
		`CREATE TRIGGER messages_threads_ai AFTER INSERT ON messages BEGIN
    INSERT INTO threads (id, list_id, subject, posts, first_date, last_id, last_date, last_received, bytes)
    VALUES (new.thread_id, new.list_id, new.subject, 1, new.date, new.id, new.date, new.received_at, new.size)
    ON CONFLICT (id) DO UPDATE SET posts = posts + 1, last_id = max(last_id, excluded.last_id),
        last_date = max(last_date, excluded.last_date), last_received = max(last_received, excluded.last_received),
        bytes = bytes + excluded.bytes;
    INSERT INTO archive_months (list_id, month, posts)
    VALUES (new.list_id, strftime('%Y-%m', new.date, 'unixepoch'), 1)
    ON CONFLICT (list_id, month) DO UPDATE SET posts = posts + 1;
END`,
	} {
		if _, err := db.db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	date := time.Date(2016, 5, 30, 10, 0, 0, 0, time.UTC)
	if _, err := db.ImportPosts(ctx, l.ID, []*Post{
		{MessageID: "a@x", Subject: "Kita", SubjectKey: "kita", Date: date, Raw: []byte("12345")},
		{MessageID: "b@x", Subject: "Re: Kita", SubjectKey: "kita", Date: date.Add(time.Hour), Raw: []byte("123"),
			ParentCandidates: []string{"a@x"}},
	}); err != nil {
		t.Fatal(err)
	}
	var posts, bytes int
	if err := db.db.QueryRowContext(ctx, `SELECT posts, bytes FROM threads`).Scan(&posts, &bytes); err != nil {
		t.Fatal(err)
	}
	if posts != 2 || bytes != 8 {
		t.Errorf("thread after the import: %d posts, %d bytes; want 2 and 8, as the trigger counts them", posts, bytes)
	}
	var create string
	if err := db.db.QueryRowContext(ctx, `SELECT sql FROM sqlite_schema WHERE name = ?`, threadCountsTrigger).Scan(&create); err != nil ||
		!strings.Contains(create, "bytes = bytes + excluded.bytes") {
		t.Errorf("trigger after the import: %q %v", create, err)
	}
}

// TestImportSuspendsCurrentTrigger: the migrations' counting trigger is the one the
// batch's recount stands in for; a migration that changes it fails here until the
// recount (suspendedCounts.restore and countsTriggerSQL) is changed with it.
func TestImportSuspendsCurrentTrigger(t *testing.T) {
	ctx := context.Background()
	db := open(t)
	err := db.importTx(ctx, func(tx *sql.Tx) error {
		c, err := db.NewImport(1).suspendCounts(ctx, tx)
		if err == nil && c == "" {
			err = errors.New("the trigger of the migrations is not suspended")
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
