package store

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

// TestDeleteListLeavesNoTrace: deleting a list removes its posts, held posts,
// members, queued copies, bans and audit entries in one transaction, and the purge
// leaves none of its words in the database files; another list keeps everything.
func TestDeleteListLeavesNoTrace(t *testing.T) {
	ctx := context.Background()
	db := open(t)
	l := seed(t, db, 3)
	other := &List{Name: "schule", Archive: "public", Moderation: "none"}
	if err := db.CreateList(ctx, other); err != nil {
		t.Fatal(err)
	}
	if err := db.AddMember(ctx, &Member{ListID: other.ID, Address: "m0@example.net", Mode: "each", Role: "member"}); err != nil {
		t.Fatal(err)
	}
	const secret, kept = "Quittenbrotamt", "Schulhofwiese"
	for i, p := range []struct {
		list int64
		text string
	}{{l.ID, "Das " + secret + " hat zu."}, {l.ID, "Beim " + secret + " anrufen."}, {other.ID, "Die " + kept + " ist nass."}} {
		if _, err := db.AcceptPost(ctx, &Post{ListID: p.list, MessageID: fmt.Sprintf("%d@x", i), Subject: "Amt", Date: time.Now(),
			Text: p.text, Raw: []byte("Subject: Amt\r\n\r\n" + p.text + "\r\n")}); err != nil {
			t.Fatal(err)
		}
	}
	err := db.Update(ctx, func(tx *Tx) error {
		return tx.Hold(&Held{ListID: l.ID, MessageID: "h@x", FromAddr: "eve@example.org", Subject: secret, Reason: "r",
			Raw: []byte("Subject: " + secret + "\r\n\r\n" + secret + "\r\n")})
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.AddBan(ctx, l.ID, "eve@example.org"); err != nil {
		t.Fatal(err)
	}
	if err := db.Audit(ctx, &AuditEntry{ListID: l.ID, ListName: l.Name, Actor: "cli", Action: "ban-add", Detail: "poster X"}); err != nil {
		t.Fatal(err)
	}
	if found := traces(t, db, secret); len(found) == 0 {
		t.Fatal("the test finds nothing to delete")
	}
	d, err := db.DeleteList(ctx, l.ID, &AuditEntry{ListName: l.Name, Actor: "cli", Action: "list-delete"})
	if err != nil {
		t.Fatal(err)
	}
	if d.Posts != 2 || d.Members != 4 || d.Held != 1 || d.Queued == 0 {
		t.Errorf("deleted %+v, want 2 posts, 4 members, 1 held post and their queued copies", d)
	}
	if found := traces(t, db, secret); len(found) > 0 {
		t.Errorf("words of the deleted list in %v", found)
	}
	if _, err := db.ListByName(ctx, "kita"); !errors.Is(err, ErrNotFound) {
		t.Errorf("list after delete: %v", err)
	}
	if bs, _ := db.Bans(ctx, l.ID); len(bs) != 0 {
		t.Errorf("bans left: %v", bs)
	}
	es, err := db.AuditLog(ctx, AuditQuery{})
	if err != nil || len(es) != 1 || es[0].Action != "list-delete" || es[0].ListID != 0 || es[0].ListName != "kita" {
		t.Fatalf("audit log after delete = %+v, %v; want only the site-wide deletion", es, err)
	}
	if found := traces(t, db, kept); len(found) == 0 {
		t.Error("the other list's post is gone")
	}
	if ms, _ := db.Members(ctx, other.ID); len(ms) != 1 {
		t.Errorf("other list's members = %d, want 1", len(ms))
	}
	if _, err := db.DeleteList(ctx, l.ID, nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleting again: %v, want ErrNotFound", err)
	}
}

// TestAuditRetention: the retention pass deletes a list's audit entries older than
// the cutoff, and no other list's nor the site's.
func TestAuditRetention(t *testing.T) {
	ctx := context.Background()
	db := open(t)
	l := seed(t, db, 1)
	other := &List{Name: "schule", Archive: "public", Moderation: "none"}
	if err := db.CreateList(ctx, other); err != nil {
		t.Fatal(err)
	}
	old := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, e := range []*AuditEntry{
		{ListID: l.ID, ListName: "kita", Actor: "cli", Action: "member-add", At: old},
		{ListID: l.ID, ListName: "kita", Actor: "cli", Action: "member-rm", At: old.AddDate(1, 0, 0)},
		{ListID: other.ID, ListName: "schule", Actor: "cli", Action: "member-add", At: old},
		{Actor: "cli", Action: "admin-add", At: old},
	} {
		if err := db.Audit(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.DeletePostsBefore(ctx, l.ID, old.AddDate(0, 6, 0)); err != nil {
		t.Fatal(err)
	}
	es, err := db.AuditLog(ctx, AuditQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range es {
		got = append(got, e.ListName+":"+e.Action)
	}
	if fmt.Sprint(got) != "[:admin-add schule:member-add kita:member-rm]" {
		t.Errorf("audit log after retention = %v", got)
	}
	// Paging: newest first, by id.
	page, err := db.AuditLog(ctx, AuditQuery{Limit: 2})
	if err != nil || len(page) != 2 {
		t.Fatal(page, err)
	}
	next, err := db.AuditLog(ctx, AuditQuery{Before: page[1].ID, Limit: 2})
	if err != nil || len(next) != 1 || next[0].ID >= page[1].ID {
		t.Errorf("second page = %+v, %v", next, err)
	}
	mine, err := db.AuditLog(ctx, AuditQuery{ListID: l.ID})
	if err != nil || len(mine) != 1 || mine[0].ListName != "kita" {
		t.Errorf("kita's entries = %+v, %v", mine, err)
	}
}

// TestSearchMembers: pages in address order by keyset, the total, and a search
// whose LIKE wildcards are taken literally.
func TestSearchMembers(t *testing.T) {
	ctx := context.Background()
	db := open(t)
	l := seed(t, db, 120) // m0..m119 and digest@
	if err := db.AddMember(ctx, &Member{ListID: l.ID, Address: "x_y@example.net", Name: "Ben 100%", Mode: "each", Role: "member"}); err != nil {
		t.Fatal(err)
	}
	var all []string
	after := ""
	for pages := 0; ; pages++ {
		ms, total, _, err := db.SearchMembers(ctx, MemberQuery{ListID: l.ID, After: after, Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		if total != 122 {
			t.Fatalf("total = %d, want 122", total)
		}
		for _, m := range ms {
			all = append(all, m.Address)
		}
		if len(ms) < 50 {
			break
		}
		after = ms[len(ms)-1].Address
	}
	if len(all) != 122 {
		t.Fatalf("paged through %d members, want 122", len(all))
	}
	for i := 1; i < len(all); i++ {
		if all[i-1] >= all[i] {
			t.Fatalf("not in address order: %s before %s", all[i-1], all[i])
		}
	}
	for _, c := range []struct {
		q     string
		names bool // NamesOnly: a piece of an address finds nobody
		want  int
	}{{"M11", false, 11}, {"100%", false, 1}, {"%", false, 1}, {"_", false, 1}, {"ben", false, 1}, {"nobody", false, 0},
		{"x_y", false, 1}, {"x_y", true, 0}, {"ben 100", true, 1}} {
		ms, total, _, err := db.SearchMembers(ctx, MemberQuery{ListID: l.ID, Search: c.q, NamesOnly: c.names, Limit: 1000})
		if err != nil || total != c.want || len(ms) != c.want {
			t.Errorf("search %q: %d of %d, %v; want %d", c.q, len(ms), total, err, c.want)
		}
	}
}

// TestSiteAdminsAndBans: the stored site admins and bans, each once.
func TestSiteAdminsAndBans(t *testing.T) {
	ctx := context.Background()
	db := open(t)
	l := seed(t, db, 0)
	if err := db.AddSiteAdmin(ctx, "chair@example.org"); err != nil {
		t.Fatal(err)
	}
	if err := db.AddSiteAdmin(ctx, "chair@example.org"); !errors.Is(err, ErrExists) {
		t.Errorf("adding twice: %v", err)
	}
	if ok, err := db.IsStoredSiteAdmin(ctx, "chair@example.org"); !ok || err != nil {
		t.Errorf("IsStoredSiteAdmin = %v, %v", ok, err)
	}
	if err := db.RemoveSiteAdmin(ctx, "chair@example.org"); err != nil {
		t.Fatal(err)
	}
	if err := db.RemoveSiteAdmin(ctx, "chair@example.org"); !errors.Is(err, ErrNotFound) {
		t.Errorf("removing twice: %v", err)
	}
	if err := db.AddBan(ctx, l.ID, "@spam.example"); err != nil {
		t.Fatal(err)
	}
	if p, err := db.Banned(ctx, l.ID, "x@sub.spam.example", "@sub.spam.example", "@spam.example", "@example"); p != "@spam.example" || err != nil {
		t.Errorf("Banned = %q, %v", p, err)
	}
	if p, err := db.Banned(ctx, l.ID+1, "@spam.example"); p != "" || err != nil {
		t.Errorf("another list: Banned = %q, %v", p, err)
	}
}

// TestSearchMembersBeyondCount: a search with more matches than it counts says so,
// and pages on past the counted ones.
func TestSearchMembersBeyondCount(t *testing.T) {
	ctx := context.Background()
	db := open(t)
	l := seed(t, db, maxSearchCount+100)
	var got []string
	after := ""
	for {
		ms, total, more, err := db.SearchMembers(ctx, MemberQuery{ListID: l.ID, Search: "@EXAMPLE", After: after, Limit: 300})
		if err != nil || total != maxSearchCount || !more {
			t.Fatalf("total %d, more %v, %v", total, more, err)
		}
		for _, m := range ms {
			got = append(got, m.Address)
		}
		if len(ms) < 300 {
			break
		}
		after = ms[len(ms)-1].Address
	}
	if len(got) != maxSearchCount+101 {
		t.Fatalf("paged through %d matches, want %d", len(got), maxSearchCount+101)
	}
	for i := 1; i < len(got); i++ {
		if got[i-1] >= got[i] {
			t.Fatalf("not in order at %d: %s, %s", i, got[i-1], got[i])
		}
	}
}

// TestMigrationCountsMembers: migration 0020 counts the members lists already have,
// and the count follows additions and removals from then on.
func TestMigrationCountsMembers(t *testing.T) {
	ctx := context.Background()
	db := openFrom(t, 20,
		`INSERT INTO lists (id, name, created_at) VALUES (1, 'kita', 0), (2, 'schule', 0)`,
		`INSERT INTO members (list_id, address, created_at) VALUES (1, 'a@example.net', 0), (1, 'b@example.net', 0), (2, 'a@example.net', 0)`)
	total := func(list int64) int {
		_, n, _, err := db.SearchMembers(ctx, MemberQuery{ListID: list})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if a, b := total(1), total(2); a != 2 || b != 1 {
		t.Fatalf("counts after migrating = %d, %d; want 2, 1", a, b)
	}
	if err := db.AddMember(ctx, &Member{ListID: 2, Address: "c@example.net", Mode: "each", Role: "member"}); err != nil {
		t.Fatal(err)
	}
	if err := db.RemoveMember(ctx, 1, "a@example.net"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.EraseAddress(ctx, "b@example.net", nil, true); err != nil {
		t.Fatal(err)
	}
	if a, b := total(1), total(2); a != 0 || b != 2 {
		t.Errorf("counts after add, remove and erase = %d, %d; want 0, 2", a, b)
	}
}

// TestEraseAdmin: erasing an admin's or moderator's address takes it out of the
// audit log and the site admins.
func TestEraseAdmin(t *testing.T) {
	ctx := context.Background()
	db := open(t)
	l := seed(t, db, 0)
	if err := db.AddSiteAdmin(ctx, "chair@example.org"); err != nil {
		t.Fatal(err)
	}
	for _, e := range []*AuditEntry{
		{Actor: "cli", Action: "admin-add", Detail: "chair@example.org"},
		{ListID: l.ID, ListName: "kita", Actor: "chair@example.org", Action: "ban-add", Detail: "@spam.example"},
	} {
		if err := db.Audit(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.EraseAddress(ctx, "chair@example.org", nil, true); err != nil {
		t.Fatal(err)
	}
	if ok, _ := db.IsStoredSiteAdmin(ctx, "chair@example.org"); ok {
		t.Error("still a site admin after erasure")
	}
	es, _ := db.AuditLog(ctx, AuditQuery{})
	for _, e := range es {
		if e.Actor == "chair@example.org" || e.Detail == "chair@example.org" {
			t.Errorf("audit entry after erasure: %+v", e)
		}
	}
	if len(es) != 2 {
		t.Errorf("entries after erasure: %d, want 2 (kept, without the address)", len(es))
	}
}

// TestMigrationGivesOldHeldPostsCodes: posts held with one of the English reasons
// before codes were kept get their code and detail, so they read in every language.
func TestMigrationGivesOldHeldPostsCodes(t *testing.T) {
	ctx := context.Background()
	db := openFrom(t, 21,
		`INSERT INTO lists (id, name, created_at) VALUES (1, 'kita', 0)`,
		`INSERT INTO held (id, list_id, message_id, reason, raw, created_at, expires_at) VALUES
			(1, 1, '<a@x>', 'first post of a new member', '', 0, 0),
			(2, 1, '<b@x>', 'contains the word „kredit“', '', 0, 0),
			(3, 1, '<c@x>', 'attachment of type application/zip is not allowed', '', 0, 0),
			(4, 1, '<d@x>', 'erster Beitrag / first post', '', 0, 0)`)
	for id, want := range map[int64][2]string{1: {"first_post", ""}, 2: {"keyword", "kredit"}, 3: {"attachment", "application/zip"}, 4: {"", ""}} {
		h, err := db.HeldByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if h.ReasonCode != want[0] || h.ReasonDetail != want[1] {
			t.Errorf("held %d: code %q detail %q, want %q", id, h.ReasonCode, h.ReasonDetail, want)
		}
	}
}
