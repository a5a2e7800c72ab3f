package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// mm2Dumpdb is what Mailman 2.1's `bin/dumpdb lists/kita/config.pck` prints (shortened:
// the real dict has some 200 keys): members and digest_members map the lower-cased
// address to 0 or the address as typed; user_options bit 128 is "moderated", bit 8
// "plain digests"; delivery_status (status, time) with status 2 "by user".
const mm2Dumpdb = `[----- start pickle file -----]
<----- start object 1 ----->
{   'accept_these_nonmembers': [],
    'bounce_info': {   'gone@example.net': <Mailman.Bouncer._BounceInfo instance at 0x7f2b1c0c3e60>},
    'default_member_moderation': 1,
    'delivery_status': {   'pause@example.net': (2, 1262304000.0)},
    'digest_members': {   'dora@example.net': 0},
    'members': {   'anna@example.net': 0,
                   'ben@example.net': 'Ben@Example.net',
                   'pause@example.net': 0,
                   'kaputt': 0},
    'moderator': ['mod@example.org'],
    'owner': ['anna@example.net'],
    'real_name': 'Kita',
    'user_options': {   'anna@example.net': 0, 'ben@example.net': 128, 'dora@example.net': 8},
    'usernames': {   'anna@example.net': u'Anna M\xfcller', 'ben@example.net': 'Ben Schulz'}}
[----- end pickle file -----]
`

// mm2Mbox is a pipermail archive (archives/private/kita.mbox/kita.mbox): addresses as
// "user at domain (Name)", a multipart without a boundary, a reply.
const mm2Mbox = "From anna at example.net  Mon Mar  2 09:00:00 2015\n" +
	"From: anna at example.net (Anna =?utf-8?q?M=C3=BCller?=)\n" +
	"Date: Mon, 2 Mar 2015 10:00:00 +0100\n" +
	"Subject: [Kita] Kitaplatz gesucht\n" +
	"Message-ID: <m1@example.net>\n" +
	"\n" +
	"Wer kennt eine Kita in Köln?\n" +
	"\n" +
	"From ben at example.net  Tue Mar  3 09:00:00 2015\n" +
	"From: ben at example.net (Ben Schulz)\n" +
	"Date: Tue, 3 Mar 2015 10:00:00 +0100\n" +
	"Subject: Re: [Kita] Kitaplatz gesucht\n" +
	"In-Reply-To: <m1@example.net>\n" +
	"Message-ID: <m2@example.net>\n" +
	"MIME-Version: 1.0\n" +
	"Content-Type: multipart/mixed\n" +
	"\n" +
	"Frag beim Jugendamt.\n" +
	"\n" +
	"From dora at example.net  Wed Mar  4 09:00:00 2015\n" +
	"From: dora at example.net (Dora)\n" +
	"Date: Wed, 4 Mar 2015 10:00:00 +0100\n" +
	"Subject: [Kita] Elternabend\n" +
	"Message-ID: <m3@example.net>\n" +
	"\n" +
	"Neues Thema.\n"

// TestImportMailman2: a Mailman 2 export directory brings the members with their
// modes, roles and moderation, and the archive threaded; nothing is sent; what is not
// read is reported by file and line; a second run adds nothing.
func TestImportMailman2(t *testing.T) {
	sk := newSink(t)
	d := newDaemon(t, options{relay: sk.addr})
	d.mustCLI("list", "create", "kita", "-archive", "public", "-anonymous", "no")
	d.start()
	dir := filepath.Join(d.dir, "mm2")
	os.MkdirAll(filepath.Join(dir, "kita.mbox"), 0o700)
	write(t, filepath.Join(dir, "config.txt"), mm2Dumpdb)
	write(t, filepath.Join(dir, "config.pck"), "}q\x01(U\x0f")
	write(t, filepath.Join(dir, "kita.mbox", "kita.mbox"), mm2Mbox)

	stdout, stderr, code := runListd(t, d.config, "import", "mailman2", "kita", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, stdout, stderr)
	}
	for _, want := range []string{
		"kita: 5 members added, 0 already members, 2 entries skipped (read: 2 each, 1 digest, 2 nomail; 1 moderated)\n",
		"kita: moderation switched from none to first-post",
		"kita: imported 3 messages from " + filepath.Join(dir, "kita.mbox", "kita.mbox") + " (0 duplicates skipped, 0 unreadable)\n",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout %q lacks %q", stdout, want)
		}
	}
	for _, want := range []string{
		filepath.Join(dir, "config.pck") + ": a Python pickle, which listd does not read: run Mailman's bin/dumpdb",
		filepath.Join(dir, "config.txt") + `:11: "kaputt" is not a mail address (skipped)`,
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr %q lacks %q", stderr, want)
		}
	}
	wantMembers := "anna@example.net\teach\towner\nben@example.net\teach\tmember\ndora@example.net\tdigest\tmember\n" +
		"mod@example.org\tnomail\tmoderator\npause@example.net\tnomail\tmember\n"
	if got := d.mustCLI("member", "ls", "kita"); !sameLines(got, wantMembers) {
		t.Errorf("members:\n%s\nwant\n%s", got, wantMembers)
	}
	checkArchive(t, d, "kita", 3, 2, map[string]string{"m1@example.net": "Anna Müller", "m2@example.net": "Ben Schulz"})

	// Again: nothing new, every member reported as there.
	stdout, stderr, code = runListd(t, d.config, "import", "mailman2", "kita", dir)
	if code != 0 || !strings.Contains(stdout, "kita: 0 members added, 5 already members") ||
		!strings.Contains(stdout, "imported 0 messages from") || !strings.Contains(stderr, "config.txt:8: anna@example.net is already a member of kita (left as it is)") {
		t.Errorf("again: exit %d, %q, %q", code, stdout, stderr)
	}
	time.Sleep(2500 * time.Millisecond) // longer than the queue's look at rows others queued
	if got := sk.snapshot(); len(got) != 0 {
		t.Fatalf("the import sent %d mails, e.g. to %s", len(got), got[0].To)
	}

	// Ben was moderated: his post waits; Anna was not: hers goes out.
	for _, from := range []string{"ben@example.net", "anna@example.net"} {
		if err := send(d.addrs["smtp"], from, []string{"kita@" + domain}, post(from, "Nach dem Umzug", "Hallo")); err != nil {
			t.Fatalf("post from %s: %v", from, err)
		}
	}
	held := d.mustCLI("mod", "ls")
	if strings.Count(held, "\n") != 1 || !strings.Contains(held, "ben@example.net") || !strings.Contains(held, "first post") {
		t.Errorf("held: %q", held)
	}
}

// TestImportMailman3: a Postorius member CSV and a HyperKitty mbox into an anonymous
// list: the old full names are not taken.
func TestImportMailman3(t *testing.T) {
	sk := newSink(t)
	d := newDaemon(t, options{relay: sk.addr})
	d.mustCLI("list", "create", "kita", "-archive", "public", "-moderation", "first-post")
	d.mustCLI("member", "add", "kita", "anna@example.net", "-name", "Sonnenblume")
	d.start()
	csv := filepath.Join(d.dir, "Subscribers.csv")
	write(t, csv, "\ufeffemail,display_name,delivery_mode,delivery_status,moderation_action,role\r\n"+
		"anna@example.net,Anna Müller,regular,enabled,,member\r\n"+
		"ben@example.net,Ben Schulz,mime_digests,enabled,hold,member\r\n"+
		"carla@example.net,,regular,by_user,,owner\r\n"+
		"spam@example.com,,regular,enabled,discard,nonmember\r\n"+
		"nobody,,regular,enabled,,member\r\n")
	mbox := filepath.Join(d.dir, "kita.mbox")
	write(t, mbox, strings.ReplaceAll(mm2Mbox, " at example.net", "@example.net"))

	stdout, stderr, code := runListd(t, d.config, "import", "mailman3", "kita", csv, mbox)
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, stdout, stderr)
	}
	for _, want := range []string{
		"kita: 2 members added, 1 already members, 2 entries skipped (read: 1 each, 1 digest, 1 nomail; 1 moderated)\n",
		"kita: the list is anonymous: the old list's full names were not taken",
		"kita: imported 3 messages from " + mbox,
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout %q lacks %q", stdout, want)
		}
	}
	for _, want := range []string{
		csv + ":5: a nonmember entry",
		csv + `:6: "nobody" is not a mail address (skipped)`,
		csv + ":2: anna@example.net is already a member of kita (left as it is)",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr %q lacks %q", stderr, want)
		}
	}
	wantMembers := "anna@example.net\teach\tmember\nben@example.net\tdigest\tmember\ncarla@example.net\tnomail\towner\n"
	if got := d.mustCLI("member", "ls", "kita"); !sameLines(got, wantMembers) {
		t.Errorf("members:\n%s\nwant\n%s", got, wantMembers)
	}
	// The archive shows pseudonyms: Anna's, chosen on listd, and one of the list's
	// for each of the others, never their names or addresses.
	checkArchive(t, d, "kita", 3, 2, nil, "Anna Müller", "Ben Schulz", "Dora")
	var msgs []map[string]any
	getJSON(t, d.httpBase+"/api/v1/lists/kita/messages", &msgs)
	if len(msgs) != 3 || msgs[2]["from_name"] != "Sonnenblume" || !strings.HasPrefix(fmt.Sprint(msgs[1]["from_name"]), "Mitglied ") {
		t.Errorf("authors: %v", msgs)
	}
	time.Sleep(2500 * time.Millisecond)
	if got := sk.snapshot(); len(got) != 0 {
		t.Fatalf("the import sent %d mails, e.g. to %s", len(got), got[0].To)
	}
}

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

func sameLines(a, b string) bool {
	x, y := strings.Split(strings.TrimSpace(a), "\n"), strings.Split(strings.TrimSpace(b), "\n")
	if len(x) != len(y) {
		return false
	}
	seen := map[string]int{}
	for _, l := range x {
		seen[l]++
	}
	for _, l := range y {
		if seen[l] == 0 {
			return false
		}
		seen[l]--
	}
	return true
}

// checkArchive checks a list's archive through the API: n messages in threads
// threads, the author names of some Message-IDs, and names that no post may show.
func checkArchive(t *testing.T, d *daemon, list string, n, threads int, names map[string]string, never ...string) {
	t.Helper()
	var msgs []map[string]any
	if code := getJSON(t, d.httpBase+"/api/v1/lists/"+list+"/messages?limit=50", &msgs); code != 200 || len(msgs) != n {
		t.Fatalf("messages: %d %v", code, msgs)
	}
	ids := map[string]bool{}
	for _, m := range msgs {
		ids[fmt.Sprint(m["thread_id"])] = true
		if want, ok := names[fmt.Sprint(m["message_id"])]; ok && m["from_name"] != want {
			t.Errorf("%v: from_name %q, want %q", m["message_id"], m["from_name"], want)
		}
		for _, name := range never {
			if m["from_name"] == name {
				t.Errorf("%v: from_name %q", m["message_id"], name)
			}
		}
	}
	if len(ids) != threads {
		t.Errorf("%d threads, want %d", len(ids), threads)
	}
}

// TestImportMailman2ListMembers: without dumpdb, list_members output, one file per
// kind, and config_list's owner; and bad calls get one clear line.
func TestImportMailman2ListMembers(t *testing.T) {
	d := newDaemon(t, options{})
	d.mustCLI("list", "create", "schule", "-anonymous", "no", "-moderation", "first-post")
	dir := filepath.Join(d.dir, "export")
	os.Mkdir(dir, 0o700)
	write(t, filepath.Join(dir, "regular.txt"), "Anna M\xfcller <anna@example.net>\nben@example.net\n")     // list_members -f -r (Latin-1)
	write(t, filepath.Join(dir, "digest-plain.txt"), "Dora <dora@example.net>\n")                           // list_members -f -d plain
	write(t, filepath.Join(dir, "nomail.txt"), "ben@example.net\nDora <dora@example.net>\n")                // list_members -f -n
	write(t, filepath.Join(dir, "moderated.txt"), "ben@example.net\n\nnot-an-address\n")                    // list_members -m
	write(t, filepath.Join(dir, "config_list.txt"), "real_name = 'Schule'\nowner = ['anna@example.net']\n") // config_list -o
	write(t, filepath.Join(dir, "notes.doc"), "x")
	stdout, stderr, code := runListd(t, d.config, "import", "mailman2", "schule", dir)
	if code != 0 || !strings.Contains(stdout, "schule: 3 members added, 0 already members, 2 entries skipped (read: 1 each, 0 digest, 2 nomail; 1 moderated)\n") ||
		strings.Contains(stdout, "moderation switched") {
		t.Fatalf("exit %d, %q, %q", code, stdout, stderr)
	}
	for _, want := range []string{filepath.Join(dir, "moderated.txt") + `:3: "not-an-address" is not a mail address (skipped)`,
		filepath.Join(dir, "notes.doc") + ": not a kind of file listd reads (skipped)"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr %q lacks %q", stderr, want)
		}
	}
	want := "anna@example.net\teach\towner\nben@example.net\tnomail\tmember\ndora@example.net\tnomail\tmember\n"
	if got := d.mustCLI("member", "ls", "schule"); !sameLines(got, want) {
		t.Errorf("members:\n%s\nwant\n%s", got, want)
	}

	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"import", "mailman2", "nosuch", dir}, 1, "create it first with `listd list create nosuch`"},
		{[]string{"import", "mailman2", "schule"}, 2, "LIST DIR|FILE..."},
		{[]string{"import", "mailman3", "schule"}, 2, "LIST MEMBERS.csv [ARCHIVE.mbox]"},
		{[]string{"import", "mailman3", "schule", filepath.Join(dir, "regular.txt"), filepath.Join(dir, "nomail.txt")}, 1, "not an mbox"},
		{[]string{"import", "mailman2", "schule", filepath.Join(dir, "missing.txt")}, 1, "missing.txt"},
	} {
		stdout, stderr, code := runListd(t, d.config, tt.args...)
		if code != tt.code || !strings.Contains(stderr, tt.want) || strings.Count(strings.TrimSpace(stderr), "\n") > 0 || stdout != "" {
			t.Errorf("%v: exit %d, %q, %q; want exit %d mentioning %q", tt.args, code, stdout, stderr, tt.code, tt.want)
		}
	}
}
