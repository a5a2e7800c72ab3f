package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// importMbox is an old archive with the awkward kinds of message: encoded words (Q and
// B), a quoted-printable body with an mboxrd-quoted "From " line, a base64 body, an
// HTML-only post, a reply known only by References, a post without Message-ID, a
// duplicate, a message without any header, and CRLF line ends in one message.
const importMbox = "From anna@example.net Mon Mar  2 09:00:00 2015\n" +
	"From: =?utf-8?q?Anna_M=C3=BCller?= <anna@example.net>\n" +
	"Subject: =?utf-8?b?VW50ZXJoYWx0c3ZvcnNjaHVzcyBiZWFudHJhZ3Q=?=\n" +
	"Date: Mon, 2 Mar 2015 10:00:00 +0100\n" +
	"Message-ID: <root@example.net>\n" +
	"MIME-Version: 1.0\n" +
	"Content-Type: text/plain; charset=utf-8\n" +
	"Content-Transfer-Encoding: quoted-printable\n" +
	"\n" +
	"Wir haben den Unterhaltsvorschuss beim Jugendamt in K=C3=B6ln beantragt.\n" +
	">From now on: wie lange dauert das?\n" +
	"\n" +
	"From ben@example.net Tue Mar  3 09:00:00 2015\n" +
	"From: Ben <ben@example.net>\n" +
	"Subject: Re: Unterhaltsvorschuss beantragt\n" +
	"Date: Tue, 3 Mar 2015 10:00:00 +0100\n" +
	"Message-ID: <b@example.net>\n" +
	"In-Reply-To: <root@example.net>\n" +
	"MIME-Version: 1.0\n" +
	"Content-Type: text/plain; charset=utf-8\n" +
	"Content-Transfer-Encoding: base64\n" +
	"\n" +
	"QmVpIHVucyBoYXQgZXMgZHJlaSBNb25hdGUgZ2VkYXVlcnQsIGdyw7bDn2VyIMOEcmdlci4K\n" +
	"\n" +
	"From nobody@example.net Tue Mar  3 10:00:00 2015\n" +
	"this is no mail at all\n" +
	"\n" +
	"From carla@example.net Wed Mar  4 09:00:00 2015\r\n" +
	"From: Carla <carla@example.net>\r\n" +
	"Subject: AW: Unterhaltsvorschuss beantragt\r\n" +
	"Date: Wed, 4 Mar 2015 10:00:00 +0100\r\n" +
	"Message-ID: <c@example.net>\r\n" +
	"References: <root@example.net> <b@example.net>\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: text/html; charset=utf-8\r\n" +
	"\r\n" +
	"<p>Bei uns ging es <b>schneller</b>.</p>\r\n" +
	"\r\n" +
	"From dora@example.net Thu Mar  5 09:00:00 2015\n" +
	"From: Dora <dora@example.net>\n" +
	"Subject: Re: Unterhaltsvorschuss beantragt\n" +
	"Date: Thu, 5 Mar 2015 10:00:00 +0100\n" +
	"\n" +
	"Ohne Message-ID, aber mit Betreff.\n" +
	"\n" +
	"From erik@example.net Fri Mar  6 09:00:00 2015\n" +
	"From: Erik <erik@example.net>\n" +
	"Subject: Kitaplatz gesucht\n" +
	"Date: Fri, 6 Mar 2015 10:00:00 +0100\n" +
	"Message-ID: <e@example.net>\n" +
	"\n" +
	"Ein neues Thema.\n" +
	"\n" +
	"From ben@example.net Tue Mar  3 09:00:00 2015\n" +
	"From: Ben <ben@example.net>\n" +
	"Subject: Re: Unterhaltsvorschuss beantragt\n" +
	"Message-ID: <b@example.net>\n" +
	"\n" +
	"A copy of an earlier message.\n"

// TestArchiveImport imports an old archive into a live list: the messages are in the
// archive, threaded, searchable, and nothing goes out, neither copies nor the digest.
func TestArchiveImport(t *testing.T) {
	t.Parallel()
	sk := newSink(t)
	d := newDaemon(t, options{relay: sk.addr})
	d.mustCLI("list", "create", "archiv", "-archive", "public", "-anonymous", "no")
	d.mustCLI("member", "add", "archiv", "each@example.net")
	d.mustCLI("member", "add", "archiv", "digest@example.net", "-mode", "digest")
	d.start()
	file := filepath.Join(d.dir, "old.mbox")
	if err := os.WriteFile(file, []byte(importMbox), 0o600); err != nil {
		t.Fatal(err)
	}

	stdout, stderr, code := runListd(t, d.config, "archive", "import", "archiv", file)
	if code != 0 || !regexp.MustCompile(`^imported 5 messages into archiv \(1 duplicates skipped, 1 unreadable\) in \d+\.\d\d s\n$`).MatchString(stdout) {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if want := file + ": message 3 (line 25): no header (skipped)"; !strings.Contains(stderr, want) {
		t.Errorf("stderr %q lacks %q", stderr, want)
	}

	var msgs []map[string]any
	if code := getJSON(t, d.httpBase+"/api/v1/lists/archiv/messages?limit=50", &msgs); code != 200 || len(msgs) != 5 {
		t.Fatalf("messages: %d %v", code, msgs)
	}
	// Newest first: the file's order, reversed.
	wantSubjects := []string{"Kitaplatz gesucht", "Re: Unterhaltsvorschuss beantragt", "AW: Unterhaltsvorschuss beantragt",
		"Re: Unterhaltsvorschuss beantragt", "Unterhaltsvorschuss beantragt"}
	for i, m := range msgs {
		if m["subject"] != wantSubjects[i] {
			t.Errorf("message %d: subject %v, want %q", i, m["subject"], wantSubjects[i])
		}
	}
	root := msgs[4]
	if root["from_name"] != "Anna Müller" || root["date"] != "2015-03-02T09:00:00Z" || root["message_id"] != "root@example.net" {
		t.Errorf("first post: %v", root)
	}
	if id := fmt.Sprint(msgs[1]["message_id"]); !strings.HasSuffix(id, "@import.invalid") {
		t.Errorf("post without Message-ID got %q", id)
	}
	var thread struct {
		Messages []map[string]any `json:"messages"`
	}
	if code := getJSON(t, fmt.Sprintf("%s/api/v1/lists/archiv/threads/%v", d.httpBase, root["id"]), &thread); code != 200 || len(thread.Messages) != 4 {
		t.Fatalf("thread: %d %v", code, thread.Messages)
	}
	if msgs[0]["thread_id"] == root["id"] {
		t.Errorf("the new topic joined the old thread")
	}
	texts := map[string]string{}
	for _, m := range msgs {
		var one map[string]any
		getJSON(t, fmt.Sprintf("%s/api/v1/lists/archiv/messages/%v", d.httpBase, m["id"]), &one)
		texts[fmt.Sprint(m["message_id"])] = fmt.Sprint(one["text"])
	}
	for mid, want := range map[string]string{
		"root@example.net": "\nFrom now on: wie lange dauert das?", // unquoted
		"b@example.net":    "größer Ärger",                         // base64
		"c@example.net":    "schneller",                            // HTML only
	} {
		if !strings.Contains(texts[mid], want) {
			t.Errorf("%s: text %q lacks %q", mid, texts[mid], want)
		}
	}
	var search struct {
		Hits []map[string]any `json:"hits"`
	}
	getJSON(t, d.httpBase+"/api/v1/lists/archiv/search?q=Jugendamt", &search)
	if len(search.Hits) != 1 || search.Hits[0]["id"] != root["id"] {
		t.Errorf("search hits = %v", search.Hits)
	}

	// Importing again adds nothing; the digest has nothing new; nothing reached the sink.
	if stdout, stderr, code := runListd(t, d.config, "archive", "import", "archiv", file); code != 0 ||
		!strings.HasPrefix(stdout, "imported 0 messages into archiv (6 duplicates skipped, 1 unreadable)") {
		t.Errorf("again: exit %d, %q %q", code, stdout, stderr)
	}
	if out := d.mustCLI("digest", "send", "archiv"); out != "archiv: nothing new\n" {
		t.Errorf("digest send = %q", out)
	}
	time.Sleep(2500 * time.Millisecond) // longer than the queue's look at rows others queued
	if got := sk.snapshot(); len(got) != 0 {
		t.Errorf("the import sent %d mails, e.g. to %s", len(got), got[0].To)
	}
}

// TestArchiveImportRefuses: bad input gets one clear line and a failing exit status.
func TestArchiveImportRefuses(t *testing.T) {
	t.Parallel()
	d := newDaemon(t, options{})
	d.mustCLI("list", "create", "archiv")
	eml := filepath.Join(d.dir, "one.eml")
	os.WriteFile(eml, []byte("From: a@example.net\nSubject: s\n\nbody\n"), 0o600)
	gz := filepath.Join(d.dir, "old.mbox.gz")
	os.WriteFile(gz, []byte("\x1f\x8b\x08\x00\x00\x00\x00\x00"), 0o600)
	mbox := filepath.Join(d.dir, "ok.mbox")
	os.WriteFile(mbox, []byte(importMbox), 0o600)
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"a single message", []string{"archive", "import", "archiv", eml}, 1, eml + ": not an mbox: line 1 is a header field"},
		{"compressed", []string{"archive", "import", "archiv", gz}, 1, "compressed (gzip)"},
		{"missing file", []string{"archive", "import", "archiv", filepath.Join(d.dir, "nope.mbox")}, 1, "nope.mbox"},
		{"no such list", []string{"archive", "import", "nosuch", mbox}, 1, "no such list"},
		{"missing argument", []string{"archive", "import", "archiv"}, 2, "LIST FILE.mbox"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := runListd(t, d.config, tt.args...)
			if code != tt.code || !strings.Contains(stderr, tt.want) || stdout != "" {
				t.Fatalf("exit %d, stdout %q, stderr %q; want exit %d mentioning %q", code, stdout, stderr, tt.code, tt.want)
			}
			if lines := strings.Count(strings.TrimSpace(stderr), "\n"); lines > 0 {
				t.Errorf("error is %d lines, want one: %q", lines+1, stderr)
			}
		})
	}
	var msgs []map[string]any
	d.start()
	if getJSON(t, d.httpBase+"/api/v1/lists/archiv/messages", &msgs); len(msgs) != 0 {
		t.Errorf("refused imports archived %d messages", len(msgs))
	}
}

// runListd runs a listd command and returns its output and exit status.
func runListd(t *testing.T, config string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(listdBin, append([]string{"-config", config}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	return out.String(), errb.String(), cmd.ProcessState.ExitCode()
}
