package e2e

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"
)

// TestCLI covers the operator commands as CONTRACT.md spells them: options before or
// after the arguments, --x like -x, clear one-line errors and exit codes.
func TestCLI(t *testing.T) {
	t.Parallel()
	d := newDaemon(t, options{})
	d.mustCLI("list", "create", "kita", "-archive", "public", "-title", "Kita")
	d.mustCLI("list", "create", "-archive", "members", "--title", "Unterhalt", "unterhalt", "-topics", "unterhalt,finanzen")
	d.mustCLI("member", "add", "kita", "Anna <Anna@Example.net>", "-mode", "digest")
	d.mustCLI("member", "add", "-role", "moderator", "kita", "mod@example.net")
	d.mustCLI("serve", "--help")

	if out := d.mustCLI("list", "ls"); out != "kita\t2\tKita\nunterhalt\t0\tUnterhalt\n" {
		t.Errorf("list ls = %q", out)
	}
	if out := d.mustCLI("member", "ls", "kita"); out != "anna@example.net\tdigest\tmember\nmod@example.net\teach\tmoderator\n" {
		t.Errorf("member ls = %q", out)
	}
	d.mustCLI("member", "rm", "kita", "anna@example.net")
	if out := d.mustCLI("member", "ls", "kita"); strings.Contains(out, "anna") {
		t.Errorf("after rm: %q", out)
	}

	bad := filepath.Join(d.dir, "bad.txt")
	os.WriteFile(bad, []byte("ok@example.net\n# comment\n\nnot an address\n"), 0o600)
	good := filepath.Join(d.dir, "good.txt")
	os.WriteFile(good, []byte("\ufeffA <a@example.net>\r\nb@example.net\r\n"), 0o600)

	tests := []struct {
		name string
		args []string
		want string // in stderr
	}{
		{"unknown command", []string{"frobnicate"}, "unknown command"},
		{"duplicate list", []string{"list", "create", "kita"}, "already exists"},
		{"bad list name", []string{"list", "create", "Kita-Neu"}, "list name"},
		{"bad archive", []string{"list", "create", "x", "-archive", "secret"}, "-archive"},
		{"unknown option", []string{"list", "create", "x", "-colour", "red"}, "colour"},
		{"missing arg", []string{"member", "add", "kita"}, "LIST ADDRESS"},
		{"no such list", []string{"member", "add", "nosuch", "a@example.net"}, "no such list"},
		{"bad address", []string{"member", "add", "kita", "nobody"}, "not a mail address"},
		{"bad mode", []string{"member", "add", "kita", "a@example.net", "-mode", "weekly"}, "-mode"},
		{"not a member", []string{"member", "rm", "kita", "zed@example.net"}, "not a member"},
		{"import names the line", []string{"member", "import", "kita", bad}, bad + ":4:"},
		{"import missing file", []string{"member", "import", "kita", filepath.Join(d.dir, "nope.txt")}, "nope.txt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := d.cli(tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.want)
			}
			if lines := strings.Count(strings.TrimSpace(err.Error()), "\n"); lines > 0 && tt.name != "unknown command" {
				t.Errorf("error is %d lines, want one: %v", lines+1, err)
			}
		})
	}
	if out := d.mustCLI("member", "import", "kita", good); !strings.Contains(out, "imported 2") {
		t.Errorf("import = %q", out)
	}
	if out := d.mustCLI("member", "ls", "kita"); !strings.Contains(out, "a@example.net\teach") {
		t.Errorf("after import: %q", out)
	}

	// A config file with a mistake is named with its line.
	badCfg := filepath.Join(d.dir, "bad.toml")
	os.WriteFile(badCfg, []byte("domain = \"x.org\"\nlanguage = \n"), 0o600)
	cmd := exec.Command(listdBin, "list", "ls", "-config", badCfg)
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "bad.toml:2") {
		t.Errorf("bad config: %v %s", err, out)
	}
}

// TestCLIWhileServing: operator commands work while serve holds the database.
func TestCLIWhileServing(t *testing.T) {
	t.Parallel()
	d := newDaemon(t, options{})
	d.mustCLI("list", "create", "kita")
	d.start()
	for i := 0; i < 20; i++ {
		d.mustCLI("member", "add", "kita", "p"+string(rune('a'+i))+"@example.net")
	}
	if out := d.mustCLI("list", "ls"); out != "kita\t20\t\n" {
		t.Errorf("list ls = %q", out)
	}
	text := strings.Repeat("Die Kita am Park hat wieder Plätze frei, fragt nach Frau Berger. ", 20)
	if err := send(d.addrs["smtp"], "pa@example.net", []string{"kita@" + domain}, post("pa@example.net", "Plätze frei", text+"\r\n")); err != nil {
		t.Fatal(err)
	}
	backup := filepath.Join(d.dir, "backup.db")
	d.mustCLI("backup", backup)
	if st, err := os.Stat(backup); err != nil || st.Size() == 0 {
		t.Fatalf("backup: %v", err)
	}

	// The backup is the database: a listd started on it has the post, its text
	// (stored compressed) and its search index.
	r := newDaemon(t, options{})
	os.MkdirAll(filepath.Join(r.dir, "data"), 0o700)
	b, _ := os.ReadFile(backup)
	os.WriteFile(filepath.Join(r.dir, "data", "listd.db"), b, 0o600)
	r.start()
	var msgs []map[string]any
	if code := getJSON(t, r.httpBase+"/api/v1/lists/kita/messages", &msgs); code != 200 || len(msgs) != 1 {
		t.Fatalf("restored messages: %d %v", code, msgs)
	}
	var one map[string]any
	getJSON(t, fmt.Sprintf("%s/api/v1/lists/kita/messages/%v", r.httpBase, msgs[0]["id"]), &one)
	if got, _ := one["text"].(string); !strings.Contains(got, "Frau Berger") {
		t.Errorf("restored text: %q", got)
	}
	var found struct {
		Hits []map[string]any `json:"hits"`
	}
	if getJSON(t, r.httpBase+"/api/v1/lists/kita/search?q=berger", &found); len(found.Hits) != 1 {
		t.Errorf("restored search: %v", found)
	}
}

// TestOutbox: with no relay, copies stay queued and are shown at /outbox.
func TestOutbox(t *testing.T) {
	t.Parallel()
	d := newDaemon(t, options{})
	d.mustCLI("list", "create", "kita")
	d.mustCLI("member", "add", "kita", "anna@example.net")
	d.mustCLI("member", "add", "kita", "ben@example.net")
	d.start()
	if err := send(d.addrs["smtp"], "anna@example.net", []string{"kita@" + domain}, post("anna@example.net", "Hallo", "Hallo!\r\n")); err != nil {
		t.Fatal(err)
	}
	page := httpGet(t, d.httpBase+"/outbox")
	if !strings.Contains(page, "ben@example.net") || !strings.Contains(page, "/outbox/") {
		t.Fatalf("outbox page:\n%s", page)
	}
	copy1 := httpGet(t, d.httpBase+"/outbox/1")
	for _, want := range []string{"X-Envelope-To: <anna@example.net>", "List-Id: <kita." + domain + ">", "Subject: [kita] Hallo", "Hallo!"} {
		if !strings.Contains(copy1, want) {
			t.Errorf("outbox copy lacks %q:\n%s", want, copy1)
		}
	}
}

// TestLMTP: the same backend over LMTP answers per recipient, as Postfix expects.
func TestLMTP(t *testing.T) {
	t.Parallel()
	sk := newSink(t)
	d := newDaemon(t, options{relay: sk.addr, lmtp: true})
	d.mustCLI("list", "create", "kita")
	d.mustCLI("list", "create", "job")
	d.mustCLI("member", "add", "kita", "anna@example.net")
	d.start()
	if d.addrs["lmtp"] == "" {
		t.Fatalf("no lmtp listener announced:\n%s", d.log.String())
	}
	conn, err := net.Dial("tcp", d.addrs["lmtp"])
	if err != nil {
		t.Fatal(err)
	}
	c := gosmtp.NewClientLMTP(conn)
	defer c.Close()
	if err := c.Hello("mta.example.org"); err != nil {
		t.Fatal(err)
	}
	c.Mail("anna@example.net", nil)
	if err := c.Rcpt("kita@"+domain, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt("job@"+domain, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt("nosuch@"+domain, nil); err == nil {
		t.Fatal("unknown list accepted at RCPT")
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, post("anna@example.net", "Zwei Listen", "Hallo\r\n"))
	results, err := w.CloseWithLMTPResponse()
	if err == nil {
		t.Fatalf("want a per-recipient refusal for job (not a member there), got %v", results)
	}
	if r := results["kita@"+domain]; r == nil {
		t.Errorf("kita was not accepted: %v", err)
	}
	lerr, ok := err.(gosmtp.LMTPDataError)
	if !ok || lerr["job@"+domain] == nil || lerr["job@"+domain].Code != 550 {
		t.Errorf("job: want 550, got %v", err)
	}
	sk.waitFor(t, 1, 20*time.Second)
}

func httpGet(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d\n%s", url, resp.StatusCode, b)
	}
	return string(b)
}
