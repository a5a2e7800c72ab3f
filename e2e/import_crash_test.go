package e2e

import (
	"bytes"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// crashMbox writes an mbox of n posts in threads of ten: the first post of each
// thread opens it, the other nine answer it by In-Reply-To, one post a day in
// order. It returns each thread's size by its first post's index.
func crashMbox(t *testing.T, path string, n int) map[int]int {
	t.Helper()
	var b bytes.Buffer
	sizes := map[int]int{}
	start := time.Date(2012, 1, 1, 9, 0, 0, 0, time.UTC)
	for i := range n {
		root := i - i%10
		sizes[root]++
		date := start.Add(time.Duration(i) * 6 * time.Hour)
		fmt.Fprintf(&b, "From sender%d@example.net %s\n", i%50, date.Format("Mon Jan _2 15:04:05 2006"))
		fmt.Fprintf(&b, "From: Elternteil %d <sender%d@example.net>\n", i%50, i%50)
		fmt.Fprintf(&b, "Message-ID: <crash-%d@example.net>\n", i)
		if i == root {
			fmt.Fprintf(&b, "Subject: Frage %d zum Unterhaltsvorschuss\n", root)
		} else {
			fmt.Fprintf(&b, "Subject: Re: Frage %d zum Unterhaltsvorschuss\nIn-Reply-To: <crash-%d@example.net>\n", root, root)
		}
		fmt.Fprintf(&b, "Date: %s\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n", date.Format(time.RFC1123Z))
		for k := range 12 {
			fmt.Fprintf(&b, "Beitrag %d, Zeile %d: Das Jugendamt hat den Antrag auf Kitaplatz wortnr%d geprüft.\n", i, k, i)
		}
		b.WriteString("\n")
	}
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return sizes
}

// TestCrashDuringImport kills `listd archive import` (SIGKILL) once batches of the
// full size are being committed (past its smaller first ones), before it ends. The database is intact and consistent
// (every thread and month counted as its posts are, the counting trigger in place),
// and importing the file again adds exactly what was missing.
func TestCrashDuringImport(t *testing.T) {
	t.Parallel()
	const n = 12000
	d := newDaemon(t, options{})
	d.mustCLI("list", "create", "absturz", "-archive", "public", "-anonymous", "no")
	file := filepath.Join(d.dir, "old.mbox")
	sizes := crashMbox(t, file, n)
	dbPath := filepath.Join(d.dir, "data", "listd.db")

	count := func() int {
		db, err := sql.Open("sqlite3", "file:"+dbPath+"?mode=ro&_busy_timeout=5000")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var k int
		if err := db.QueryRow(`SELECT COUNT(*) FROM messages`).Scan(&k); err != nil {
			return -1
		}
		return k
	}
	cmd := exec.Command(listdBin, "-config", d.config, "archive", "import", "absturz", file)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	deadline := time.Now().Add(60 * time.Second)
	for count() < 1500 {
		select {
		case err := <-done:
			t.Fatalf("the import ended (%v) before 1,500 posts were seen", err)
		default:
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("1,500 posts not committed within 60 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cmd.Process.Kill()
	<-done
	atKill := count()
	if atKill >= n {
		t.Fatalf("the import finished before the kill (%d posts); the test proves nothing", atKill)
	}
	t.Logf("killed at %d of %d posts", atKill, n)
	checkImportConsistent(t, dbPath)

	stdout, stderr, code := runListd(t, d.config, "archive", "import", "absturz", file)
	m := regexp.MustCompile(`^imported (\d+) messages into absturz \((\d+) duplicates skipped, 0 unreadable\)`).FindStringSubmatch(stdout)
	if code != 0 || m == nil {
		t.Fatalf("again: exit %d, %q %q", code, stdout, stderr)
	}
	imported, _ := strconv.Atoi(m[1])
	dups, _ := strconv.Atoi(m[2])
	if dups != atKill || imported+dups != n {
		t.Errorf("again: imported %d, skipped %d; want %d and %d", imported, dups, n-atKill, atKill)
	}
	checkImportConsistent(t, dbPath)

	d.start()
	var msgs []map[string]any
	if code := getJSON(t, d.httpBase+"/api/v1/lists/absturz/messages?limit=1", &msgs); code != 200 || len(msgs) != 1 {
		t.Fatalf("messages: %d %v", code, msgs)
	}
	for _, root := range []int{0, n / 2, n - 10} {
		var one map[string]any
		getJSON(t, fmt.Sprintf("%s/api/v1/lists/absturz/messages/%d", d.httpBase, root+1), &one)
		var thread struct {
			Messages []map[string]any `json:"messages"`
		}
		if code := getJSON(t, fmt.Sprintf("%s/api/v1/lists/absturz/threads/%v", d.httpBase, one["thread_id"]), &thread); code != 200 ||
			len(thread.Messages) != sizes[root] {
			t.Errorf("thread of post %d: HTTP %d, %d posts, want %d", root, code, len(thread.Messages), sizes[root])
		}
	}
}

// checkImportConsistent checks the database after an import: SQLite finds it intact,
// no Message-ID is archived twice, every thread's and month's counts are those of its
// posts, and the trigger that counts live posts is there.
func checkImportConsistent(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, c := range []struct{ what, query, want string }{
		{"integrity", `PRAGMA integrity_check`, "ok"},
		{"Message-IDs archived twice", `SELECT COUNT(*) FROM (SELECT message_id FROM messages GROUP BY list_id, message_id HAVING COUNT(*) > 1)`, "0"},
		{"threads counted wrong", `SELECT COUNT(*) FROM threads t WHERE t.posts != (SELECT COUNT(*) FROM messages m WHERE m.thread_id = t.id)
			OR t.last_id != (SELECT MAX(id) FROM messages m WHERE m.thread_id = t.id)`, "0"},
		{"threads missing", `SELECT COUNT(DISTINCT thread_id) - (SELECT COUNT(*) FROM threads) FROM messages`, "0"},
		{"months counted wrong", `SELECT COUNT(*) FROM (SELECT list_id, strftime('%Y-%m', date, 'unixepoch') AS month, COUNT(*) AS k FROM messages GROUP BY 1, 2) c
			LEFT JOIN archive_months a USING (list_id, month) WHERE a.posts IS NOT c.k`, "0"},
		{"counting trigger", `SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' AND name = 'messages_threads_ai'`, "1"},
	} {
		var got string
		if err := db.QueryRow(c.query).Scan(&got); err != nil {
			t.Fatalf("%s: %v", c.what, err)
		}
		if got != c.want {
			t.Errorf("%s: %s, want %s", c.what, got, c.want)
		}
	}
}
