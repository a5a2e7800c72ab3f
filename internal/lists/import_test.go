package lists

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"listd/internal/store"
)

// importFixture is an mbox of awkward messages, in file order:
//
//  1. a thread's first post
//  2. a reply to it, without a Date header (the "From " line's date is used)
//  3. no header at all: unreadable
//  4. a reply by References only, with neither Date nor a usable "From " line date
//     (the date of the message before it)
//  5. no Message-ID (a synthetic one), a subject-only reply dated far in the future
//  6. empty: unreadable
//  7. a copy of message 1: a duplicate
const importFixture = `From anna@example.net Mon Mar  2 09:00:00 2015
From: Anna Adler <anna@example.net>
Subject: =?utf-8?q?Kitaplatz_in_K=C3=B6ln?=
Date: Mon, 2 Mar 2015 10:00:00 +0100
Message-ID: <root@example.net>

>From the start: wir suchen einen Kitaplatz.

From bernd@example.net Tue Mar  3 09:00:00 2015
From: Bernd Bauer <bernd@example.net>
Subject: Re: Kitaplatz in Köln
Message-ID: <b@example.net>
In-Reply-To: <root@example.net>

Wir auch.

From nobody@example.net Tue Mar  3 10:00:00 2015
just text, no header

From carla@example.net Someday 25:99 2015
From: Carla <carla@example.net>
Subject: AW: Kitaplatz in Köln
Message-ID: <c@example.net>
References: <root@example.net> <b@example.net>

Bei uns klappt es.

From dora@example.net Thu Mar  5 09:00:00 2015
From: Dora <dora@example.net>
Subject: Re: Kitaplatz in Köln
Date: Fri, 1 Jan 2100 00:00:00 +0000

Ohne Message-ID.

From x@example.net Thu Mar  5 10:00:00 2015

From anna@example.net Mon Mar  2 09:00:00 2015
From: Anna Adler <anna@example.net>
Subject: =?utf-8?q?Kitaplatz_in_K=C3=B6ln?=
Date: Mon, 2 Mar 2015 10:00:00 +0100
Message-ID: <root@example.net>

>From the start: wir suchen einen Kitaplatz.
`

// lines collects the lines an import reports.
type lines []string

func (ls *lines) add(line string) { *ls = append(*ls, line) }

func (ls lines) String() string { return strings.Join(ls, "\n") }

func TestMboxImport(t *testing.T) {
	ctx := context.Background()
	for _, anonymous := range []bool{false, true} {
		t.Run(map[bool]string{false: "named", true: "anonymous"}[anonymous], func(t *testing.T) {
			db, err := store.Open(ctx, t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			l := &store.List{Name: "kita", Archive: "public", Moderation: "none", Anonymous: anonymous}
			if err := db.CreateList(ctx, l); err != nil {
				t.Fatal(err)
			}
			if err := db.AddMember(ctx, &store.Member{ListID: l.ID, Address: "bernd@example.net", Name: "Igel", Mode: "each", Role: "member"}); err != nil {
				t.Fatal(err)
			}
			var authors map[string]string
			if anonymous {
				authors = map[string]string{"bernd@example.net": "Igel"}
			}
			now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
			var reported lines
			// Batches of two: threads cross batch boundaries.
			imp := &mboxImport{st: db.NewImport(l.ID), list: l, file: "old.mbox", authors: authors, workers: 3, batch: 2, now: now, report: reported.add}
			sum, err := imp.run(ctx, strings.NewReader(importFixture))
			if err != nil {
				t.Fatal(err)
			}
			if sum != (ImportSummary{Imported: 4, Duplicates: 1, Unreadable: 2}) {
				t.Errorf("summary %+v", sum)
			}
			want := lines{"old.mbox: message 3 (line 17): no header (skipped)", "old.mbox: message 6 (line 35): empty message (skipped)"}
			if reported.String() != want.String() {
				t.Errorf("reported\n%s\nwant\n%s", reported, want)
			}
			ms, err := db.Messages(ctx, l.ID, 10, 0)
			if err != nil || len(ms) != 4 {
				t.Fatalf("%d messages, %v", len(ms), err)
			}
			root, b, c, d := ms[3], ms[2], ms[1], ms[0] // newest first
			if root.MessageID != "root@example.net" || root.Subject != "Kitaplatz in Köln" ||
				!strings.Contains(root.Text, "From the start") || !root.Date.Equal(time.Date(2015, 3, 2, 9, 0, 0, 0, time.UTC)) {
				t.Errorf("root %+v", root)
			}
			if b.ParentID != root.ID || b.ThreadID != root.ID || !b.Date.Equal(time.Date(2015, 3, 3, 9, 0, 0, 0, time.UTC)) {
				t.Errorf("b %+v", b)
			}
			if c.ParentID != b.ID || c.ThreadID != root.ID || !c.Date.Equal(b.Date) {
				t.Errorf("c %+v", c)
			}
			if !strings.HasSuffix(d.MessageID, "@import.invalid") || d.ThreadID != root.ID ||
				!d.Date.Equal(time.Date(2015, 3, 5, 9, 0, 0, 0, time.UTC)) {
				t.Errorf("d %+v", d)
			}
			wantNames := []string{"Anna Adler", "Bernd Bauer", "Carla", "Dora"}
			if anonymous {
				wantNames = []string{"", "Igel", "", ""}
			}
			for i, m := range []*store.Message{root, b, c, d} {
				if m.FromName != wantNames[i] {
					t.Errorf("%s: author %q, want %q", m.MessageID, m.FromName, wantNames[i])
				}
			}

			// Importing again adds nothing: the synthetic Message-ID is stable.
			reported = nil
			imp.st = db.NewImport(l.ID)
			sum, err = imp.run(ctx, strings.NewReader(strings.ReplaceAll(importFixture, "\n", "\r\n")))
			if err != nil || sum != (ImportSummary{Duplicates: 5, Unreadable: 2}) {
				t.Fatalf("again: %+v %v", sum, err)
			}
		})
	}
}

func TestMboxImportRefuses(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	l := &store.List{Name: "kita", Archive: "public", Moderation: "none"}
	if err := db.CreateList(ctx, l); err != nil {
		t.Fatal(err)
	}
	if err := db.AddMember(ctx, &store.Member{ListID: l.ID, Address: "d@example.net", Mode: "digest", Role: "member"}); err != nil {
		t.Fatal(err)
	}
	imp := &mboxImport{st: db.NewImport(l.ID), list: l, file: "x.mbox", workers: 2, batch: 1000, now: time.Now(), report: func(string) {}}
	if _, err := imp.run(ctx, strings.NewReader("Subject: one message\n\nbody\n")); err == nil ||
		!strings.Contains(err.Error(), "x.mbox: not an mbox: line 1 is a header field") {
		t.Errorf("a single message: %v", err)
	}
	// A live post waits for the digest, which has a reader.
	if _, err := db.AcceptPost(ctx, &store.Post{ListID: l.ID, MessageID: "live@x", Date: time.Now(), Raw: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	if _, err := imp.run(ctx, strings.NewReader(importFixture)); !errors.Is(err, store.ErrDigestWaiting) {
		t.Errorf("with a post waiting for the digest: %v", err)
	}
}

// TestImportArchive imports through the Service: pseudonyms come from the list's
// members, the unreadable messages past the first few are counted in one line, and the
// merged search index finds the imported text.
func TestImportArchive(t *testing.T) {
	ctx := context.Background()
	// 22 headerless messages after the fixture: 24 unreadable in all.
	var mbox strings.Builder
	mbox.WriteString(importFixture)
	for i := range 22 {
		fmt.Fprintf(&mbox, "\nFrom junk@example.net Fri Mar  6 09:00:00 2015\njunk %d\n", i)
	}
	tests := []struct {
		name      string
		anonymous string
		bernd     string // the author shown for bernd@example.net
	}{
		{"named", "no", "Bernd Bauer"},
		{"anonymous", "yes", "Igel"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, db, _ := newService(t)
			l, err := s.CreateList(ctx, "alt", ListOptions{Anonymous: tt.anonymous})
			if err != nil {
				t.Fatal(err)
			}
			if err := db.AddMember(ctx, &store.Member{ListID: l.ID, Address: "bernd@example.net", Name: "Igel", Mode: "each", Role: "member"}); err != nil {
				t.Fatal(err)
			}
			var reported lines
			sum, err := s.ImportArchive(ctx, l, strings.NewReader(mbox.String()), "old.mbox", reported.add)
			if err != nil || sum != (ImportSummary{Imported: 4, Duplicates: 1, Unreadable: 24}) {
				t.Fatalf("summary %+v, %v", sum, err)
			}
			if len(reported) != importShownErrors+1 || reported[0] != "old.mbox: message 3 (line 17): no header (skipped)" ||
				reported[importShownErrors] != "old.mbox: 4 more unreadable messages not shown" {
				t.Errorf("reported\n%s", reported)
			}
			ms, err := db.Messages(ctx, l.ID, 10, 0)
			if err != nil || len(ms) != 4 {
				t.Fatalf("%d messages, %v", len(ms), err)
			}
			if b := ms[2]; b.MessageID != "b@example.net" || b.FromName != tt.bernd {
				t.Errorf("author of %s: %q, want %q", b.MessageID, b.FromName, tt.bernd)
			}
			hits, err := db.Search(ctx, l.ID, "Kitaplatz", 10)
			if err != nil || len(hits) == 0 {
				t.Errorf("search after the import: %v %v", hits, err)
			}
		})
	}
}

func TestImportArchiveDigestWaiting(t *testing.T) {
	ctx := context.Background()
	s, db, _ := newService(t)
	l, err := s.List(ctx, "kita")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddMember(ctx, "kita", "d@example.net", MemberOptions{Mode: "digest"}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AcceptPost(ctx, &store.Post{ListID: l.ID, MessageID: "live@x", Date: time.Now(), Raw: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	sum, err := s.ImportArchive(ctx, l, strings.NewReader(importFixture), "old.mbox", nil)
	if !errors.Is(err, store.ErrDigestWaiting) || sum.Imported != 0 {
		t.Errorf("with a post waiting for the digest: %+v %v", sum, err)
	}
}

func TestSyntheticMessageID(t *testing.T) {
	a := syntheticMessageID([]byte("Subject: x\r\n\r\nbody\r\n"))
	if a != syntheticMessageID([]byte("Subject: x\n\nbody\n")) || a == syntheticMessageID([]byte("Subject: y\n\nbody\n")) ||
		!strings.HasSuffix(a, "@import.invalid") || len(a) != 32+len("@import.invalid") {
		t.Errorf("synthetic id %q", a)
	}
}

// TestImportAuthorsOnAnonymousLists: posts imported into an anonymous list by senders
// who are not members with a pseudonym get a stable pseudonym of the list (the same
// in a second import, never the address), or with ImportName the From field's
// display name; members keep their pseudonyms.
func TestImportAuthorsOnAnonymousLists(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		authors ImportAuthors
		anna    string // "": a pseudonym "Mitglied XXXXXX"
	}{{"", ""}, {ImportPseudonym, ""}, {ImportName, "Anna Adler"}} {
		t.Run("authors="+string(tt.authors), func(t *testing.T) {
			s, db, _ := newService(t)
			l, err := s.CreateList(ctx, "alt", ListOptions{Anonymous: "yes"})
			if err != nil {
				t.Fatal(err)
			}
			if err := db.AddMember(ctx, &store.Member{ListID: l.ID, Address: "bernd@example.net", Name: "Igel", Mode: "each", Role: "member"}); err != nil {
				t.Fatal(err)
			}
			if _, err := s.ImportArchiveWith(ctx, l, strings.NewReader(importFixture), "old.mbox", ImportOptions{Authors: tt.authors}, nil); err != nil {
				t.Fatal(err)
			}
			ms, err := db.Messages(ctx, l.ID, 10, 0)
			if err != nil || len(ms) != 4 {
				t.Fatalf("%d messages, %v", len(ms), err)
			}
			byID := map[string]string{}
			for _, m := range ms {
				byID[m.MessageID] = m.FromName
				if strings.Contains(m.FromName, "@") || m.FromName == "" {
					t.Errorf("%s shows %q", m.MessageID, m.FromName)
				}
			}
			if byID["b@example.net"] != "Igel" {
				t.Errorf("member shown as %q", byID["b@example.net"])
			}
			anna := byID["root@example.net"]
			if tt.anna != "" && anna != tt.anna || tt.anna == "" && (!strings.HasPrefix(anna, "Mitglied ") || strings.Contains(anna, "Anna")) {
				t.Errorf("Anna shown as %q", anna)
			}
			// A second list's import names her differently; the same list's again alike.
			l2, _ := s.CreateList(ctx, "alt2", ListOptions{Anonymous: "yes"})
			if _, err := s.ImportArchiveWith(ctx, l2, strings.NewReader(importFixture), "old.mbox", ImportOptions{Authors: tt.authors}, nil); err != nil {
				t.Fatal(err)
			}
			ms2, _ := db.Messages(ctx, l2.ID, 10, 0)
			for _, m := range ms2 {
				if m.MessageID == "root@example.net" && tt.anna == "" && m.FromName == anna {
					t.Errorf("the pseudonym %q is the same on another list", anna)
				}
			}
			if again := s.importStranger(l, "", "anna@example.net"); tt.anna == "" && again != anna {
				t.Errorf("pseudonym not stable: %q then %q", anna, again)
			}
		})
	}
}
