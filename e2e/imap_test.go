package e2e

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"

	"listd/internal/testcert"
)

// imapPosts are what the IMAP tests put into the archive of kita (public, anonymous):
// plain and MIME posts, LF-only and CRLF, with fields that name the sender.
func imapPosts() []struct{ from, raw string } {
	var ps []struct{ from, raw string }
	for i := 0; i < 6; i++ {
		ps = append(ps, struct{ from, raw string }{"anna@example.net", fmt.Sprintf("From: Anna Schmidt <anna@example.net>\r\n"+
			"To: kita@lists.example.org\r\nCc: freundin@elsewhere.example\r\nSubject: Kitaplatz in Köln %d\r\n"+
			"Message-ID: <imap%d@example.net>\r\nDate: Mon, 06 May 2024 10:0%d:00 +0200\r\nX-Mailer: Mail 1.0\r\n"+
			"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"+
			"Wer weiß einen Kitaplatz? Frage %d.\r\n", i, i, i, i)})
	}
	ps = append(ps, struct{ from, raw string }{"ben@example.net", "From: ben@example.net\nSubject: Re: Kitaplatz in Köln 1\n" +
		"Message-ID: <imap-mime@example.net>\nIn-Reply-To: <imap1@example.net>\nMIME-Version: 1.0\n" +
		"Content-Type: multipart/alternative; boundary=xx\n\n--xx\nContent-Type: text/plain; charset=utf-8\n\n" +
		"Im Rathaus fragen.\n--xx\nContent-Type: text/html; charset=utf-8\n\n<p>Im Rathaus fragen.</p>\n--xx--\n"})
	return ps
}

// archiveCount asks the JSON API how many posts the list's archive has.
func archiveCount(t *testing.T, d *daemon, list string) int {
	t.Helper()
	resp, err := http.Get(d.httpBase + "/api/v1/lists/" + list + "/messages?limit=1000")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var ms []json.RawMessage
	if err := json.NewDecoder(resp.Body).Decode(&ms); err != nil {
		t.Fatalf("messages of %s: %v", list, err)
	}
	return len(ms)
}

func waitArchived(t *testing.T, d *daemon, list string, n int) {
	t.Helper()
	end := time.Now().Add(20 * time.Second)
	for archiveCount(t, d, list) < n {
		if time.Now().After(end) {
			t.Fatalf("%s has %d posts, want %d", list, archiveCount(t, d, list), n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// imapSetup starts listd with IMAP and a sink, with the lists kita (public,
// anonymous), umgang (members only), vorstand (private) and halt (every post held),
// and returns the app passwords.
func imapSetup(t *testing.T) (*daemon, *sink, map[string]string) {
	t.Helper()
	sk := newSink(t)
	d := newDaemon(t, options{relay: sk.addr, imap: true})
	d.mustCLI("list", "create", "kita", "-title", "Kita und Schule")
	d.mustCLI("list", "create", "umgang", "-archive", "members")
	d.mustCLI("list", "create", "vorstand", "-archive", "private", "-anonymous", "no")
	d.mustCLI("list", "create", "halt", "-moderation", "all", "-archive", "members")
	for _, m := range [][]string{
		{"kita", "anna@example.net", "-name", "Sonnenblume"}, {"kita", "ben@example.net"}, {"umgang", "anna@example.net"},
		{"vorstand", "ben@example.net"}, {"halt", "anna@example.net"}, {"halt", "leser@example.net"},
		{"halt", "mod@example.net", "-role", "moderator"},
	} {
		d.mustCLI(append([]string{"member", "add"}, m...)...)
	}
	pw := map[string]string{}
	for _, a := range []string{"anna@example.net", "ben@example.net", "mod@example.net"} {
		pw[a] = strings.TrimSpace(d.mustCLI("user", "password", a))
		if !regexp.MustCompile(`^[a-z2-7-]{20,}$`).MatchString(pw[a]) {
			t.Fatalf("user password printed %q", pw[a])
		}
	}
	d.start()
	for _, p := range imapPosts() {
		if err := send(d.addrs["smtp"], p.from, []string{"kita@" + domain}, p.raw); err != nil {
			t.Fatal(err)
		}
	}
	waitArchived(t, d, "kita", len(imapPosts()))
	return d, sk, pw
}

func dialIMAP(t *testing.T, d *daemon, user, pw string) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialInsecure(d.addrs["imap"], nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if user != "" {
		if err := c.Login(user, pw).Wait(); err != nil {
			t.Fatalf("login %s: %v", user, err)
		}
	}
	return c
}

// TestIMAPPython reads the archive with Python's imaplib: LIST, SELECT, FETCH,
// SEARCH and IDLE, and the access rules.
func TestIMAPPython(t *testing.T) {
	t.Parallel()
	py := need(t, "python3")
	d, _, pw := imapSetup(t)
	host, port, _ := strings.Cut(d.addrs["imap"], ":")
	script := `
import imaplib, json, sys
host, port, user, pw = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
out = {}
M = imaplib.IMAP4(host, port)
try:
    M.login(user, "wrong-password")
    out["wrong"] = "accepted"
except imaplib.IMAP4.error as e:
    out["wrong"] = str(e)
M.logout()

A = imaplib.IMAP4(host, port)
A.authenticate("ANONYMOUS", lambda challenge: b"reader@example.com")
out["anon_list"] = [b.decode() for b in A.list()[1]]
out["anon_umgang"] = A.select("umgang")[0]
A.logout()

M = imaplib.IMAP4(host, port)
M.login(user, pw)
out["list"] = [b.decode() for b in M.list()[1]]
out["vorstand"] = M.select("vorstand")[0]
out["umgang"] = M.select("umgang")[0]
typ, data = M.select("kita", readonly=True)
out["exists"] = int(data[0])
typ, data = M.fetch("1:*", "(UID FLAGS RFC822.SIZE ENVELOPE BODY.PEEK[])")
out["fetch"] = [{"meta": i[0].decode(), "body": i[1].decode("utf-8", "replace")} for i in data if isinstance(i, tuple)]
out["search_text"] = M.search(None, "TEXT", "Rathaus")[1][0].decode().split()
out["search_subject"] = M.uid("SEARCH", None, "SUBJECT", "Kitaplatz")[1][0].decode().split()
out["search_from_address"] = M.search(None, "FROM", "anna")[1][0].decode().split()
out["search_since"] = M.search(None, "SENTSINCE", "06-May-2024", "SENTBEFORE", "07-May-2024")[1][0].decode().split()
M.select("kita")
print(json.dumps(out), flush=True)

tag = M._new_tag()
M.send(tag + b" IDLE\r\n")
M.readline()
print("IDLING", flush=True)
M.sock.settimeout(30)
line = b""
while True:
    line = M.readline()
    if not line or line.endswith(b"EXISTS\r\n"):
        break
M.send(b"DONE\r\n")
while True:
    l = M.readline()
    if not l or l.startswith(tag):
        break
print(json.dumps({"idle": line.decode(), "done": l.decode()}), flush=True)
M.logout()
`
	cmd := exec.Command(py, "-c", script, host, port, "anna@example.net", pw["anna@example.net"])
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := make(chan string, 4)
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	next := func() string {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("python ended: %s", stderr.String())
			}
			return l
		case <-time.After(30 * time.Second):
			t.Fatalf("python said nothing: %s", stderr.String())
		}
		return ""
	}
	var out struct {
		Wrong             string   `json:"wrong"`
		AnonUmgang        string   `json:"anon_umgang"`
		Vorstand          string   `json:"vorstand"`
		Umgang            string   `json:"umgang"`
		AnonList          []string `json:"anon_list"`
		List              []string `json:"list"`
		Exists            int      `json:"exists"`
		Fetch             []struct{ Meta, Body string }
		SearchText        []string `json:"search_text"`
		SearchSubject     []string `json:"search_subject"`
		SearchFromAddress []string `json:"search_from_address"`
		SearchSince       []string `json:"search_since"`
	}
	first := next()
	if err := json.Unmarshal([]byte(first), &out); err != nil {
		t.Fatalf("%v: %s", err, first)
	}
	n := len(imapPosts())
	if !strings.Contains(out.Wrong, "AUTHENTICATIONFAILED") {
		t.Errorf("wrong password: %q", out.Wrong)
	}
	if !slices.Equal(listNames(out.AnonList), []string{"INBOX", "kita"}) || out.AnonUmgang != "NO" {
		t.Errorf("anonymous: %v, umgang %s", out.AnonList, out.AnonUmgang)
	}
	if !slices.Equal(listNames(out.List), []string{"INBOX", "halt", "kita", "umgang"}) || out.Vorstand != "NO" || out.Umgang != "OK" {
		t.Errorf("anna: LIST %v, vorstand %s, umgang %s", out.List, out.Vorstand, out.Umgang)
	}
	if out.Exists != n || len(out.Fetch) != n {
		t.Fatalf("EXISTS %d, fetched %d, want %d", out.Exists, len(out.Fetch), n)
	}
	sizeRE := regexp.MustCompile(`RFC822\.SIZE (\d+)`)
	for _, m := range out.Fetch {
		size, _ := strconv.Atoi(sizeRE.FindStringSubmatch(m.Meta)[1])
		if size != len(m.Body) {
			t.Errorf("RFC822.SIZE %d, BODY[] %d bytes", size, len(m.Body))
		}
		for _, s := range []string{"anna@", "ben@", "Schmidt", "freundin@", "X-Mailer"} {
			if strings.Contains(m.Body, s) || strings.Contains(m.Meta, s) {
				t.Errorf("a reader of the anonymous list sees %q:\n%s\n%s", s, m.Meta, m.Body)
			}
		}
		if !strings.Contains(m.Meta, `"kita" "lists.example.org"`) || !strings.Contains(m.Body, "Subject: [kita] ") {
			t.Errorf("envelope or header: %s\n%s", m.Meta, m.Body)
		}
	}
	if !slices.Equal(out.SearchText, []string{strconv.Itoa(n)}) || len(out.SearchSubject) != n || len(out.SearchFromAddress) != 0 ||
		len(out.SearchSince) != n-1 {
		t.Errorf("SEARCH TEXT %v, SUBJECT %v, FROM address %v, SENTSINCE %v", out.SearchText, out.SearchSubject, out.SearchFromAddress, out.SearchSince)
	}

	if l := next(); l != "IDLING" {
		t.Fatalf("python: %s", l)
	}
	raw := "From: anna@example.net\r\nSubject: Neu\r\nMessage-ID: <imap-idle@example.net>\r\n\r\nNeu!\r\n"
	if err := send(d.addrs["smtp"], "anna@example.net", []string{"kita@" + domain}, raw); err != nil {
		t.Fatal(err)
	}
	var idle struct{ Idle, Done string }
	if err := json.Unmarshal([]byte(next()), &idle); err != nil {
		t.Fatal(err)
	}
	if idle.Idle != fmt.Sprintf("* %d EXISTS\r\n", n+1) || !strings.Contains(idle.Done, "OK") {
		t.Errorf("IDLE: %q, %q", idle.Idle, idle.Done)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("python: %v\n%s", err, stderr.String())
	}
}

// listNames takes the names out of imaplib's LIST lines: (\HasNoChildren) "/" kita
func listNames(lines []string) []string {
	var out []string
	for _, l := range lines {
		i := strings.LastIndex(l, `"/" `)
		out = append(out, strings.Trim(l[i+4:], `"`))
	}
	return out
}

// TestIMAPMbsync syncs a list's archive into a Maildir with mbsync (isync): as many
// messages as the archive has, with the same bytes as BODY[] serves.
func TestIMAPMbsync(t *testing.T) {
	t.Parallel()
	mbsync := need(t, "mbsync")
	d, _, pw := imapSetup(t)
	host, port, _ := strings.Cut(d.addrs["imap"], ":")
	dir := t.TempDir()
	maildir := filepath.Join(dir, "mail")
	cfg := fmt.Sprintf(`IMAPAccount listd
Host %s
Port %s
User anna@example.net
Pass %s
SSLType None
AuthMechs PLAIN LOGIN

IMAPStore listd-remote
Account listd

MaildirStore listd-local
Path %s/
Inbox %s/INBOX
SubFolders Verbatim

Channel kita
Far :listd-remote:kita
Near :listd-local:kita
Create Near
Sync Pull
Expunge None
SyncState *
`, host, port, pw["anna@example.net"], maildir, maildir)
	if err := os.MkdirAll(maildir, 0o700); err != nil {
		t.Fatal(err)
	}
	cfgFile := filepath.Join(dir, "mbsyncrc")
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func() {
		out, err := exec.Command(mbsync, "-c", cfgFile, "kita").CombinedOutput()
		if err != nil {
			t.Fatalf("mbsync: %v\n%s", err, out)
		}
	}
	run()

	// What the server serves, by Message-ID.
	c := dialIMAP(t, d, "anna@example.net", pw["anna@example.net"])
	if _, err := c.Select("kita", &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		t.Fatal(err)
	}
	whole := &imap.FetchItemBodySection{Peek: true}
	msgs, err := c.Fetch(imap.SeqSet{imap.SeqRange{Start: 1, Stop: 0}}, &imap.FetchOptions{Envelope: true, RFC822Size: true,
		BodySection: []*imap.FetchItemBodySection{whole}}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	served := map[string][]byte{}
	var servedBytes int64
	for _, m := range msgs {
		served[m.Envelope.MessageID] = m.FindBodySection(whole)
		servedBytes += m.RFC822Size
	}

	files := maildirFiles(t, filepath.Join(maildir, "kita"))
	archived := archiveCount(t, d, "kita")
	if len(files) != archived || len(msgs) != archived {
		t.Fatalf("Maildir has %d messages, the server %d, the archive %d", len(files), len(msgs), archived)
	}
	var syncedBytes int64
	idRE := regexp.MustCompile(`(?im)^Message-ID: <([^>]+)>`)
	tuidRE := regexp.MustCompile(`(?m)^X-TUID: \S+\r\n`)
	for _, f := range files {
		// mbsync marks what it stores with an X-TUID field of its own.
		b := tuidRE.ReplaceAll(toCRLF(mustReadBytes(t, f)), nil)
		syncedBytes += int64(len(b))
		m := idRE.FindSubmatch(b)
		if m == nil || !bytes.Equal(served[string(m[1])], b) {
			t.Errorf("%s differs from what the server serves:\n%q", filepath.Base(f), b)
		}
		if bytes.Contains(b, []byte("anna@example.net")) || bytes.Contains(b, []byte("ben@example.net")) {
			t.Errorf("%s names a member", filepath.Base(f))
		}
	}
	if syncedBytes != servedBytes {
		t.Errorf("Maildir holds %d bytes, the server's RFC822.SIZE add up to %d", syncedBytes, servedBytes)
	}

	// A new post arrives at the next sync; nothing else changes.
	raw := "From: anna@example.net\r\nSubject: Noch einer\r\nMessage-ID: <imap-sync2@example.net>\r\n\r\nText\r\n"
	if err := send(d.addrs["smtp"], "anna@example.net", []string{"kita@" + domain}, raw); err != nil {
		t.Fatal(err)
	}
	waitArchived(t, d, "kita", archived+1)
	run()
	if n := len(maildirFiles(t, filepath.Join(maildir, "kita"))); n != archived+1 {
		t.Errorf("after the second sync the Maildir has %d messages, want %d", n, archived+1)
	}
}

func maildirFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	for _, sub := range []string{"cur", "new"} {
		es, err := os.ReadDir(filepath.Join(dir, sub))
		if err != nil {
			t.Fatalf("maildir: %v", err)
		}
		for _, e := range es {
			out = append(out, filepath.Join(dir, sub, e.Name()))
		}
	}
	return out
}

func mustReadBytes(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// toCRLF undoes a Maildir's LF line endings.
func toCRLF(b []byte) []byte {
	return bytes.ReplaceAll(bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n")), []byte("\n"), []byte("\r\n"))
}

// TestIMAPModeration approves a held post by moving it, over IMAP, and sees it reach
// the members at the sink; and checks who may do it.
func TestIMAPModeration(t *testing.T) {
	t.Parallel()
	d, sk, pw := imapSetup(t)
	before := len(sk.snapshot())
	for i := 1; i <= 2; i++ {
		raw := fmt.Sprintf("From: Anna <anna@example.net>\r\nSubject: Bitte freigeben %d\r\nMessage-ID: <held%d@example.net>\r\n\r\nText\r\n", i, i)
		if err := send(d.addrs["smtp"], "anna@example.net", []string{"halt@" + domain}, raw); err != nil {
			t.Fatal(err)
		}
	}
	// The moderator's notices go out; nothing reaches the members yet.
	sk.waitFor(t, before+2, 20*time.Second)
	// (The notices attach the post, with the list's tag in its Subject: only a mail's
	// own header tells a post.)
	for _, m := range sk.snapshot() {
		hdr, _, _ := bytes.Cut(m.Data, []byte("\r\n\r\n"))
		if bytes.Contains(hdr, []byte("Subject: [halt] Bitte freigeben")) {
			t.Fatalf("a held post went out to %s", m.To)
		}
	}

	// A member who does not moderate sees no moderation folder.
	a := dialIMAP(t, d, "anna@example.net", pw["anna@example.net"])
	if _, err := a.Select("Moderation/halt", nil).Wait(); err == nil {
		t.Error("anna opened the moderation folder")
	}

	c := dialIMAP(t, d, "mod@example.net", pw["mod@example.net"])
	sel, err := c.Select("Moderation/halt", nil).Wait()
	if err != nil || sel.NumMessages != 2 {
		t.Fatalf("SELECT Moderation/halt: %+v, %v", sel, err)
	}
	msgs, err := c.Fetch(imap.SeqSetNum(1), &imap.FetchOptions{Envelope: true}).Collect()
	// halt is anonymous: the moderator gets the archive copy, not Anna's address.
	if err != nil || len(msgs) != 1 || msgs[0].Envelope.Subject != "[halt] Bitte freigeben 1" ||
		len(msgs[0].Envelope.From) != 1 || msgs[0].Envelope.From[0].Addr() != "halt@"+domain {
		t.Fatalf("FETCH: %+v, %v", msgs, err)
	}
	if _, err := c.Move(imap.SeqSetNum(1), "Moderation/halt/Approve").Wait(); err != nil {
		t.Fatalf("MOVE: %v", err)
	}
	end := time.Now().Add(20 * time.Second)
	for {
		got := map[string]bool{}
		for _, m := range sk.snapshot() {
			if bytes.Contains(m.Data, []byte("Subject: [halt] Bitte freigeben 1")) {
				got[m.To] = true
			}
		}
		if got["anna@example.net"] && got["leser@example.net"] {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("the approved post reached %v", got)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Discarding by \Deleted and EXPUNGE; the log names the moderator.
	if err := c.Store(imap.SeqSetNum(1), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Expunge().Close(); err != nil {
		t.Fatal(err)
	}
	if out := d.mustCLI("mod", "ls"); strings.Contains(out, "Bitte freigeben") {
		t.Errorf("still held:\n%s", out)
	}
	// halt's archive is for members: anna sees the one approved post there.
	if sel, err := a.Select("halt", nil).Wait(); err != nil || sel.NumMessages != 1 {
		t.Errorf("halt's archive: %+v, %v", sel, err)
	}
}

// TestIMAPAccess checks the access rules with go-imap's client against the binary.
func TestIMAPAccess(t *testing.T) {
	t.Parallel()
	d, _, pw := imapSetup(t)
	anna := dialIMAP(t, d, "anna@example.net", pw["anna@example.net"])
	if _, err := anna.Select("vorstand", nil).Wait(); err == nil {
		t.Error("anna selected vorstand, a list she is not on")
	}
	if _, err := anna.Select("umgang", nil).Wait(); err != nil {
		t.Errorf("anna cannot select her own members-only list: %v", err)
	}
	ben := dialIMAP(t, d, "ben@example.net", pw["ben@example.net"])
	if _, err := ben.Select("umgang", nil).Wait(); err == nil {
		t.Error("ben selected umgang, a list he is not on")
	}
	if _, err := ben.Select("vorstand", nil).Wait(); err != nil {
		t.Errorf("ben cannot select vorstand: %v", err)
	}

	anon := dialIMAP(t, d, "", "")
	if err := anon.Authenticate(sasl.NewAnonymousClient("")); err != nil {
		t.Fatal(err)
	}
	ls, err := anon.List("", "*", nil).Collect()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range ls {
		names = append(names, l.Mailbox)
	}
	if !slices.Equal(names, []string{"INBOX", "kita"}) {
		t.Errorf("anonymous LIST = %v", names)
	}
	for _, b := range []string{"umgang", "vorstand", "halt"} {
		if _, err := anon.Select(b, nil).Wait(); err == nil {
			t.Errorf("anonymous selected %s", b)
		}
	}

	wrong := dialIMAP(t, d, "", "")
	if err := wrong.Login("anna@example.net", "abcd-efgh-ijkl-mnop").Wait(); err == nil {
		t.Error("a wrong password was accepted")
	}
	if err := wrong.Login("anna@example.net", pw["ben@example.net"]).Wait(); err == nil {
		t.Error("ben's password opened anna's archive")
	}

	if out, err := d.cli("user", "password", "not an address"); err == nil || !strings.Contains(err.Error(), "not a mail address") {
		t.Errorf("user password for a non-address: %q, %v", out, err)
	}

	// Erasing an address ends its app passwords.
	d.mustCLI("user", "erase", "ben@example.net")
	again := dialIMAP(t, d, "", "")
	if err := again.Login("ben@example.net", pw["ben@example.net"]).Wait(); err == nil {
		t.Error("an erased address can still log in")
	}
	var doc struct {
		AppPasswords []json.RawMessage `json:"imap_app_passwords"`
	}
	if err := json.Unmarshal([]byte(d.mustCLI("user", "export", "anna@example.net")), &doc); err != nil || len(doc.AppPasswords) != 1 {
		t.Errorf("export of anna: %d app passwords, %v", len(doc.AppPasswords), err)
	}
}

// TestIMAPTLS starts listd with a certificate: implicit TLS on tls_listen and
// STARTTLS on listen both take a login.
func TestIMAPTLS(t *testing.T) {
	t.Parallel()
	d := newDaemon(t, options{imap: true})
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writeSelfSigned(t, certFile, keyFile)
	cfg := strings.Replace(mustRead(t, d.config), "[imap]\nlisten = \"127.0.0.1:0\"\n",
		fmt.Sprintf("[imap]\nlisten = \"127.0.0.1:0\"\ntls_listen = \"127.0.0.1:0\"\ntls_cert = %q\ntls_key = %q\n", certFile, keyFile), 1)
	if err := os.WriteFile(d.config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	d.mustCLI("list", "create", "kita")
	d.mustCLI("member", "add", "kita", "anna@example.net")
	pw := strings.TrimSpace(d.mustCLI("user", "password", "anna@example.net"))
	d.start()
	if d.addrs["imaps"] == "" {
		t.Fatalf("no imaps listener:\n%s", d.log.String())
	}
	opts := &imapclient.Options{TLSConfig: &tls.Config{InsecureSkipVerify: true}}
	for name, dial := range map[string]func() (*imapclient.Client, error){
		"implicit TLS": func() (*imapclient.Client, error) { return imapclient.DialTLS(d.addrs["imaps"], opts) },
		"STARTTLS":     func() (*imapclient.Client, error) { return imapclient.DialStartTLS(d.addrs["imap"], opts) },
	} {
		c, err := dial()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := c.Login("anna@example.net", pw).Wait(); err != nil {
			t.Errorf("%s: login: %v", name, err)
		}
		if _, err := c.Select("kita", nil).Wait(); err != nil {
			t.Errorf("%s: select: %v", name, err)
		}
		c.Close()
	}
}

func writeSelfSigned(t *testing.T, certFile, keyFile string) {
	t.Helper()
	_, certPEM, keyPEM := testcert.New(t)
	if err := os.WriteFile(certFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
}
