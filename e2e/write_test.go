package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/jhillyerd/enmime/v2"
)

// mailWithText waits for the first mail to rcpt whose Subject contains subject and whose
// text contains text.
func (s *sink) mailWithText(t *testing.T, rcpt, subject, text string) (*enmime.Envelope, sunk) {
	t.Helper()
	end := time.Now().Add(20 * time.Second)
	for {
		for _, m := range s.snapshot() {
			if m.To != rcpt {
				continue
			}
			env, err := enmime.ReadEnvelope(bytes.NewReader(m.Data))
			if err != nil {
				t.Fatalf("mail to %s does not parse: %v", rcpt, err)
			}
			if strings.Contains(env.GetHeader("Subject"), subject) && strings.Contains(env.Text, text) {
				return env, m
			}
		}
		if time.Now().After(end) {
			t.Fatalf("no mail to %s with %q / %q; the sink has %d mails", rcpt, subject, text, len(s.snapshot()))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// axeCheck runs axe-core (WCAG 2 A and AA) on the part of the page that scope
// selects (a CSS selector; "" the whole document) and fails on a violation.
func axeCheck(t *testing.T, br *chromium, page, scope string) {
	t.Helper()
	src := ""
	for _, p := range []string{"/usr/lib/node_modules/axe-core/axe.min.js", "/usr/share/nodejs/axe-core/axe.min.js",
		"/usr/share/javascript/axe-core/axe.min.js"} {
		if b, err := os.ReadFile(p); err == nil {
			src = string(b)
			break
		}
	}
	if src == "" {
		// .ci/run does not install it (npm's axe-core, Debian's node-axe-core).
		t.Log("axe-core is not installed; no accessibility check")
		return
	}
	browserValue(t, br, "load axe", chromedp.Evaluate[bool](src+";true"))
	out := browserValue(t, br, "axe "+page, chromedp.Evaluate[string](
		`axe.run(`+axeScope(scope)+`, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa"]}}).then(r => JSON.stringify(r.violations.map(v => v.id + ": " + v.nodes.map(n => n.target.join(" ")).join(", "))))`,
		chromedp.EvalAwaitPromise))
	var violations []string
	if err := json.Unmarshal([]byte(out), &violations); err != nil {
		t.Fatalf("axe %s: %v (%s)", page, err, out)
	}
	for _, v := range violations {
		t.Errorf("axe %s: %s", page, v)
	}
}

func axeScope(scope string) string {
	if scope == "" {
		return "document"
	}
	return "document.querySelector(" + strconv.Quote(scope) + ")"
}

// TestWebJourney is issue 18's journey on a phone: a visitor asks a question on a
// list page, confirms by the link in the mail, a moderator approves by replying, a
// member replies by mail, the visitor gets that reply because they follow the
// thread, and answers on the web. Every copy is valid MIME for Python's email
// parser, threads by In-Reply-To, in mbsync's Maildir too, and names nobody.
func TestWebJourney(t *testing.T) {
	t.Parallel()
	br := newChromium(t)
	py := need(t, "python3")
	sk := newSink(t)
	d := newDaemon(t, options{relay: sk.addr, imap: true})
	d.mustCLI("list", "create", "kita", "-title", "Kita und Betreuung", "-moderation", "first-post")
	d.mustCLI("member", "add", "kita", "mod@example.org", "-role", "moderator", "-mode", "nomail")
	d.mustCLI("member", "add", "kita", "anna@example.net", "-name", "Sonnenblume")
	d.mustCLI("member", "add", "kita", "ben@example.net", "-name", "Ben")
	d.start()
	smtpAddr, list, base := d.addrs["smtp"], "kita@"+domain, d.httpBase
	const visitor = "visitor@example.com"
	approve := func(subject string) {
		t.Helper()
		notice, _ := sk.mailWithText(t, "mod@example.org", subject, "")
		modAddr := strings.Trim(notice.GetHeader("Reply-To"), "<>")
		if err := send(smtpAddr, "mod@example.org", []string{modAddr}, plain("mod@example.org", modAddr, "Re: Freigabe", "ok\r\n")); err != nil {
			t.Fatal(err)
		}
	}
	// Ben has written before (his first post was approved), so his reply is not held.
	if err := send(smtpAddr, "ben@example.net", []string{list}, plain("ben@example.net", list, "Hallo aus Ehrenfeld", "Hallo zusammen!\r\n")); err != nil {
		t.Fatal(err)
	}
	approve("Hallo aus Ehrenfeld")
	sk.mailWithText(t, "anna@example.net", "Hallo aus Ehrenfeld", "")

	// The visitor asks on the list page, on a phone.
	phone := func() {
		t.Helper()
		br.run(t, "phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(1), chromedp.EmulateMobile))
	}
	phone()
	br.run(t, "list page", chromedp.Navigate(base+"/kita/"), chromedp.WaitVisible(chromedp.CSS("main")))
	br.run(t, "ask", chromedp.Click(chromedp.CSS(`a[href="/kita/ask"]`)), chromedp.WaitVisible(chromedp.CSS("#subject")))
	axeCheck(t, br, "ask", "")
	br.run(t, "fill the question",
		chromedp.SendKeys(chromedp.CSS("#subject"), "Kitaplatz ab Februar?"),
		chromedp.SendKeys(chromedp.CSS("#text"), "Hallo,\nwie finde ich einen Kitaplatz ab Februar?\n\nDanke, Mona"),
		chromedp.SendKeys(chromedp.CSS("#email"), visitor),
		chromedp.SendKeys(chromedp.CSS("#name"), "Mona"),
		chromedp.SendKeys(chromedp.CSS("#postal"), "50667"),
		chromedp.Click(chromedp.CSS(`form.stack button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("main h1")))
	if s := br.textWith(t, "Link unterwegs"); !strings.Contains(s, "Link unterwegs") {
		t.Fatalf("after asking:\n%s", s)
	}
	br.shoot(t, "18-1-asked")
	phone() // shoot leaves the desktop's width

	// The link in the mail at the sink sends the question; it waits for the moderator.
	confirm, _ := sk.mailWithText(t, visitor, "Ihre Frage", "/kita/ask/")
	if strings.Contains(confirm.Text, "Kitaplatz") || strings.Contains(confirm.Text, "Mona") {
		t.Errorf("the confirmation mail carries what the visitor wrote:\n%s", confirm.Text)
	}
	br.run(t, "confirm", chromedp.Navigate(d.link(t, confirm, "/kita/ask/")), chromedp.WaitVisible(chromedp.CSS("main form button")),
		chromedp.Click(chromedp.CSS("main form button")), chromedp.WaitVisible(chromedp.CSS("main h1")))
	if s := br.textWith(t, "Moderation"); !strings.Contains(s, "Moderation") {
		t.Fatalf("after confirming:\n%s", s)
	}
	approve("Kitaplatz ab Februar?")
	question, _ := sk.mailWithText(t, "anna@example.net", "Kitaplatz ab Februar?", "Danke, Mona")

	// Ben replies by mail to the copy he got; the visitor gets the reply by mail.
	benCopy, _ := sk.mailWithText(t, "ben@example.net", "Kitaplatz ab Februar?", "Danke, Mona")
	qid := benCopy.GetHeader("Message-ID")
	if err := send(smtpAddr, "ben@example.net", []string{list}, plain("Ben <ben@example.net>", list, "Re: [kita] Kitaplatz ab Februar?",
		"Frag beim Jugendamt nach dem Kita-Navigator.\r\n", "In-Reply-To: "+qid, "References: "+qid)); err != nil {
		t.Fatal(err)
	}
	reply, replyRaw := sk.mailWithText(t, visitor, "Kitaplatz ab Februar?", "Jugendamt")
	if lu := reply.GetHeader("List-Unsubscribe"); !strings.Contains(lu, "/kita/unfollow/") || reply.GetHeader("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
		t.Errorf("the follower's copy has no one-click unfollow: %q", lu)
	}
	if got := reply.GetHeader("In-Reply-To"); got != qid {
		t.Errorf("ben's reply answers %q, want %q", got, qid)
	}

	// The visitor answers on the web: the confirmed link logged them in.
	thread := threadOfSubject(t, base, "Kitaplatz ab Februar?")
	br.run(t, "thread", chromedp.Navigate(base+"/kita/t/"+strconv.FormatInt(thread, 10)), chromedp.WaitVisible(chromedp.CSS("#text")))
	// The reply form and the follow buttons; the posts above are the archive's.
	axeCheck(t, br, "thread", "section.reply")
	br.shoot(t, "18-2-reply-form")
	phone()
	br.run(t, "answer", chromedp.SendKeys(chromedp.CSS("#text"), "Danke Ben, das probiere ich morgen.\n\nhttps://kita-navigator.example"),
		chromedp.Click(chromedp.CSS(`button[value="send"]`)), chromedp.WaitVisible(chromedp.CSS("div.thread")))
	if s := br.textWith(t, "das probiere ich morgen"); !strings.Contains(s, "das probiere ich morgen") {
		t.Fatalf("the answer is not on the thread page:\n%s", s)
	}
	if n := br.count(t, `div.body a[href="https://kita-navigator.example"]`); n != 1 {
		t.Errorf("the link in the answer is not clickable (%d)", n)
	}
	br.shoot(t, "18-3-answered")
	answer, answerRaw := sk.mailWithText(t, "anna@example.net", "Kitaplatz ab Februar?", "probiere ich morgen")
	_, benReplyRaw := sk.mailWithText(t, "anna@example.net", "Kitaplatz ab Februar?", "Jugendamt")
	_, questionRaw := sk.mailWithText(t, "anna@example.net", "Kitaplatz ab Februar?", "Danke, Mona")
	_ = question
	_ = answer

	// The members' copies: valid MIME for Python, threaded, and nobody's address.
	dir := t.TempDir()
	var files []string
	for i, raw := range [][]byte{questionRaw.Data, benReplyRaw.Data, answerRaw.Data, replyRaw.Data} {
		f := filepath.Join(dir, fmt.Sprintf("%d.eml", i))
		if err := os.WriteFile(f, raw, 0o600); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	script := `
import email, sys
from email import policy
for f in sys.argv[1:]:
    m = email.message_from_bytes(open(f, "rb").read(), policy=policy.default)
    defects = list(m.defects)
    for p in m.walk():
        defects += list(p.defects)
        p.get_content() if not p.is_multipart() else None
    print(" ".join([f, str(len(defects)), m["Message-ID"] or "-", m["In-Reply-To"] or "-"]))
`
	out, err := exec.Command(py, append([]string{"-c", script}, files...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	ids := map[string][2]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) != 4 || f[1] != "0" {
			t.Fatalf("python's email parser: %s", line)
		}
		ids[filepath.Base(f[0])] = [2]string{f[2], f[3]}
	}
	if ids["1.eml"][1] != ids["0.eml"][0] || ids["2.eml"][1] != ids["1.eml"][0] {
		t.Errorf("copies do not thread by In-Reply-To: %v", ids)
	}
	for _, c := range []struct {
		name string
		raw  []byte
	}{{"question", questionRaw.Data}, {"ben's reply", benReplyRaw.Data}, {"web answer", answerRaw.Data}, {"visitor's copy", replyRaw.Data}} {
		for _, a := range []string{visitor, "ben@example.net", "anna@example.net", "mod@example.org"} {
			if bytes.Contains(bytes.ToLower(c.raw), []byte(a)) {
				t.Errorf("%s names %s", c.name, a)
			}
		}
	}

	// mbsync: the archive over IMAP threads the same way in a Maildir.
	mbsyncThreads(t, d, visitor)

	// First posts by channel: Ben's by mail, the visitor's on the web.
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	var mb bytes.Buffer
	mb.ReadFrom(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`listd_first_posts_total{channel="mail"} 1`, `listd_first_posts_total{channel="web"} 1`,
		`listd_first_posts_by_channel{channel="web",list="kita"} 1`} {
		if !strings.Contains(mb.String(), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if out := d.mustCLI("figures"); !strings.Contains(out, "first_posts_channel\tkita\tweb\t1\n") ||
		!strings.Contains(out, "first_posts_channel\tkita\tmail\t1\n") {
		t.Errorf("listd figures:\n%s", out)
	}
}

// threadOfSubject finds the thread of a subject through the JSON API.
func threadOfSubject(t *testing.T, base, subject string) int64 {
	t.Helper()
	resp, err := http.Get(base + "/api/v1/lists/kita/messages?limit=50")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var ms []struct {
		Subject  string `json:"subject"`
		ThreadID int64  `json:"thread_id"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&ms); err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.Subject == subject {
			return m.ThreadID
		}
	}
	t.Fatalf("no thread %q in %v", subject, ms)
	return 0
}

// mbsyncThreads syncs the list's archive into a Maildir as user and checks that
// every reply's In-Reply-To names a message in it.
func mbsyncThreads(t *testing.T, d *daemon, user string) {
	t.Helper()
	mbsync := need(t, "mbsync")
	pw := strings.TrimSpace(d.mustCLI("user", "password", user))
	host, port, _ := strings.Cut(d.addrs["imap"], ":")
	dir := t.TempDir()
	maildir := filepath.Join(dir, "mail")
	cfg := fmt.Sprintf("IMAPAccount listd\nHost %s\nPort %s\nUser %s\nPass %s\nSSLType None\nAuthMechs PLAIN LOGIN\n\n"+
		"IMAPStore listd-remote\nAccount listd\n\nMaildirStore listd-local\nPath %s/\nInbox %s/INBOX\nSubFolders Verbatim\n\n"+
		"Channel kita\nFar :listd-remote:kita\nNear :listd-local:kita\nCreate Near\nSync Pull\nExpunge None\nSyncState *\n",
		host, port, user, pw, maildir, maildir)
	if err := os.MkdirAll(maildir, 0o700); err != nil {
		t.Fatal(err)
	}
	cfgFile := filepath.Join(dir, "mbsyncrc")
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(mbsync, "-c", cfgFile, "kita").CombinedOutput(); err != nil {
		t.Fatalf("mbsync: %v\n%s", err, out)
	}
	idRE := regexp.MustCompile(`(?im)^Message-ID:\s*(<[^>]+>)`)
	irtRE := regexp.MustCompile(`(?im)^In-Reply-To:\s*(<[^>]+>)`)
	have := map[string]bool{}
	var replies []string
	answered := false
	for _, f := range maildirFiles(t, filepath.Join(maildir, "kita")) {
		b := mustReadBytes(t, f)
		if m := idRE.FindSubmatch(b); m != nil {
			have[string(m[1])] = true
		}
		if m := irtRE.FindSubmatch(b); m != nil {
			replies = append(replies, string(m[1]))
		}
		answered = answered || bytes.Contains(b, []byte("probiere ich morgen"))
		if bytes.Contains(b, []byte(user)) || bytes.Contains(b, []byte("ben@example.net")) {
			t.Errorf("%s in the Maildir names a member", filepath.Base(f))
		}
	}
	if !answered || len(replies) < 2 {
		t.Fatalf("Maildir: answer %v, %d replies", answered, len(replies))
	}
	for _, r := range replies {
		if !have[r] {
			t.Errorf("In-Reply-To %s names no message in the Maildir", r)
		}
	}
}
