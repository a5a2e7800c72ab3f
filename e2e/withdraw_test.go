package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// apiPost is one post as the JSON API gives it.
type apiPost struct {
	ID        int64   `json:"id"`
	MessageID string  `json:"message_id"`
	Subject   string  `json:"subject"`
	Text      *string `json:"text"`
	Withdrawn bool    `json:"withdrawn"`
}

// postID waits until the list's archive has a post with subject and returns its id.
func postID(t *testing.T, d *daemon, list, subject string) int64 {
	t.Helper()
	end := time.Now().Add(20 * time.Second)
	for {
		var ms []apiPost
		getJSON(t, d.httpBase+"/api/v1/lists/"+list+"/messages?limit=500", &ms)
		for _, m := range ms {
			if m.Subject == subject {
				return m.ID
			}
		}
		if time.Now().After(end) {
			t.Fatalf("no post %q in %s", subject, list)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func apiMessage(t *testing.T, d *daemon, list string, id int64) apiPost {
	t.Helper()
	var m apiPost
	if code := getJSON(t, fmt.Sprintf("%s/api/v1/lists/%s/messages/%d", d.httpBase, list, id), &m); code != 200 {
		t.Fatalf("message %d: %d", id, code)
	}
	return m
}

// login logs a browser in as rcpt through an emailed link; skip is how many mails to
// rcpt came before the login link.
func login(t *testing.T, d *daemon, sk *sink, c *http.Client, rcpt string, skip int) {
	t.Helper()
	_, page := fetch(t, c, "GET", d.httpBase+"/login", nil)
	fetch(t, c, "POST", d.httpBase+"/login", url.Values{"csrf": {csrfRE.FindStringSubmatch(page)[1]}, "address": {rcpt}})
	env, _ := sk.mailTo(t, rcpt, skip)
	if code, page := press(t, c, d.link(t, env, "/login/")); code != 200 {
		t.Fatalf("login: %d\n%s", code, page)
	}
}

var actionRE = regexp.MustCompile(`<form method="post" action="([^"]+)">`)

// TestWithdraw: an author withdraws one post by a mail command and another on the
// web; the archive, API, search and the next digest show only that they were
// withdrawn, and the replies stay in their threads.
func TestWithdraw(t *testing.T) {
	t.Parallel()
	sk := newSink(t)
	d := newDaemon(t, options{relay: sk.addr})
	d.mustCLI("list", "create", "kita", "-title", "Kita")
	d.mustCLI("member", "add", "kita", "anna@example.net", "-name", "Sonnenblume")
	d.mustCLI("member", "add", "kita", "ben@example.net")
	d.mustCLI("member", "add", "kita", "leser@example.net", "-mode", "digest")
	d.start()
	smtpAddr, list := d.addrs["smtp"], "kita@"+domain
	send(smtpAddr, "anna@example.net", []string{list}, post("anna@example.net", "Umgang mit dem Amt",
		"Unser Aktenzeichen ist Zauberberg-4711.\r\n", "Message-ID: <1@annas-laptop.fritz.box>"))
	send(smtpAddr, "ben@example.net", []string{list}, post("ben@example.net", "Re: Umgang mit dem Amt",
		"Danke, bei uns ging es schneller.\r\n", "In-Reply-To: <1@annas-laptop.fritz.box>"))
	send(smtpAddr, "anna@example.net", []string{list}, post("anna@example.net", "Zweite Frage",
		"Wer kennt die Kita Regenbogenfisch-0815?\r\n"))
	first, reply, second := postID(t, d, "kita", "Umgang mit dem Amt"), postID(t, d, "kita", "Re: Umgang mit dem Amt"),
		postID(t, d, "kita", "Zweite Frage")
	sk.waitFor(t, 6, 20*time.Second) // each post to anna and ben

	// By mail: the command names the permalink; the link in the answer withdraws.
	permalink := fmt.Sprintf("http://127.0.0.1:8080/kita/m/%d", first)
	req := "From: anna@example.net\r\nTo: kita-request@" + domain + "\r\nSubject: zurückziehen\r\nMessage-ID: <w1@annas-laptop>\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nzurückziehen " + permalink + "\r\n\r\nDanke!\r\n"
	if err := send(smtpAddr, "anna@example.net", []string{"kita-request@" + domain}, req); err != nil {
		t.Fatal(err)
	}
	env := sk.mailWith(t, "anna@example.net", "Beitrag zurückziehen")
	// Anybody can send the command: the mail names the post by its link, never by
	// its subject.
	if !strings.Contains(env.Text, permalink) || strings.Contains(env.Text, "Umgang mit dem Amt") {
		t.Errorf("confirmation mail:\n%s", env.Text)
	}
	// Someone else's command reaches nobody but the sender, and withdraws nothing.
	send(smtpAddr, "ben@example.net", []string{"kita-request@" + domain}, strings.Replace(strings.Replace(req, "anna@", "ben@", 1), "<w1@", "<w2@", 1))
	if env := sk.mailWith(t, "ben@example.net", "Ihre Einstellungen"); strings.Contains(env.Text, "/confirm/") {
		t.Errorf("ben got a link:\n%s", env.Text)
	}
	c := browser(t)
	link := d.link(t, env, "/confirm/")
	if code, page := press(t, c, link); code != 200 || !strings.Contains(page, "zurückgezogen") {
		t.Fatalf("confirm: %d\n%s", code, page)
	}
	if code, _ := fetch(t, browser(t), "GET", link, nil); code != 400 {
		t.Errorf("the link works twice: %d", code)
	}

	// On the web: logged in, the author sees a button on her post, nobody else does.
	if page := httpGet(t, fmt.Sprintf("%s/kita/m/%d", d.httpBase, second)); strings.Contains(page, `value="withdraw"`) {
		t.Error("a visitor sees the withdraw button")
	}
	login(t, d, sk, c, "anna@example.net", sk.countTo("anna@example.net"))
	_, page := fetch(t, c, "GET", fmt.Sprintf("%s/kita/t/%d", d.httpBase, reply), nil)
	if strings.Count(page, `value="withdraw"`) != 0 {
		t.Error("the thread offers to withdraw a post that is withdrawn or not hers")
	}
	_, page = fetch(t, c, "GET", fmt.Sprintf("%s/kita/m/%d", d.httpBase, second), nil)
	m := csrfRE.FindStringSubmatch(page)
	if m == nil || !strings.Contains(page, `value="withdraw"`) {
		t.Fatalf("no withdraw button for the author:\n%s", page)
	}
	code, page := fetch(t, c, "POST", d.httpBase+"/prefs", url.Values{"csrf": {m[1]}, "do": {"withdraw"}, "list": {"kita"},
		"id": {fmt.Sprint(second)}})
	if code != 200 || !strings.Contains(page, "Zweite Frage") || apiMessage(t, d, "kita", second).Withdrawn {
		t.Fatalf("the button withdrew without asking, or no confirm step: %d\n%s", code, page)
	}
	action := strings.ReplaceAll(actionRE.FindStringSubmatch(page)[1], "&amp;", "&")
	if code, _ := fetch(t, c, "POST", d.httpBase+action, url.Values{}); code != 403 {
		t.Errorf("withdrawn without CSRF token: %d", code)
	}
	code, page = fetch(t, c, "POST", d.httpBase+action, url.Values{"csrf": {csrfRE.FindStringSubmatch(page)[1]}})
	if code != 200 || !strings.Contains(page, "zurückgezogen") {
		t.Fatalf("withdraw on the web: %d\n%s", code, page)
	}
	// Not hers: ben's reply cannot be withdrawn by anna.
	code, _ = fetch(t, c, "POST", d.httpBase+"/prefs", url.Values{"csrf": {m[1]}, "do": {"withdraw-confirm"}, "list": {"kita"},
		"id": {fmt.Sprint(reply)}})
	if code != 404 || apiMessage(t, d, "kita", reply).Withdrawn {
		t.Errorf("another's post: %d", code)
	}

	for _, id := range []int64{first, second} {
		p := apiMessage(t, d, "kita", id)
		if !p.Withdrawn || p.Text == nil || *p.Text != "" {
			t.Errorf("API for withdrawn post %d: %+v", id, p)
		}
		page := httpGet(t, fmt.Sprintf("%s/kita/m/%d", d.httpBase, id))
		if !strings.Contains(page, "Dieser Beitrag wurde von der Verfasserin oder dem Verfasser zurückgezogen.") ||
			strings.Contains(page, "Zauberberg") || strings.Contains(page, "Regenbogenfisch") {
			t.Errorf("page of withdrawn post %d:\n%s", id, page)
		}
	}
	page = httpGet(t, fmt.Sprintf("%s/kita/t/%d?lang=en", d.httpBase, first))
	if !strings.Contains(page, "This post was withdrawn by its author.") || !strings.Contains(page, "bei uns ging es schneller") {
		t.Errorf("thread after withdrawal:\n%s", page)
	}
	for _, q := range []string{"Zauberberg", "Regenbogenfisch"} {
		var res struct {
			Hits []map[string]any `json:"hits"`
		}
		getJSON(t, d.httpBase+"/api/v1/lists/kita/search?q="+q, &res)
		if len(res.Hits) != 0 {
			t.Errorf("search %s: %v", q, res.Hits)
		}
	}
	// The digest that goes out now leaves the withdrawn posts out.
	d.mustCLI("digest", "send", "kita")
	digest := sk.mailWith(t, "leser@example.net", "Rundbrief")
	if strings.Contains(digest.Text, "Zauberberg") || strings.Contains(digest.Text, "Regenbogenfisch") ||
		!strings.Contains(digest.Text, "bei uns ging es schneller") {
		t.Errorf("digest:\n%s", digest.Text)
	}
	d.stop(20 * time.Second)
	if found := scanData(t, filepath.Join(d.dir, "data"), "Zauberberg-4711", "Regenbogenfisch-0815"); len(found) > 0 {
		t.Errorf("traces of withdrawn posts: %v", found)
	}
}

// retentionMbox holds two posts from 2015 for a list that keeps posts a year.
const retentionMbox = "From anna@example.net Mon Mar  2 09:00:00 2015\n" +
	"From: Anna <anna@example.net>\n" +
	"Subject: Alter Beitrag\n" +
	"Date: Mon, 2 Mar 2015 10:00:00 +0100\n" +
	"Message-ID: <old1@example.net>\n" +
	"\n" +
	"Damals war es das Pfefferminzamt.\n" +
	"\n" +
	"From ben@example.net Tue Mar  3 09:00:00 2015\n" +
	"From: Ben <ben@example.net>\n" +
	"Subject: Re: Alter Beitrag\n" +
	"Date: Tue, 3 Mar 2015 10:00:00 +0100\n" +
	"Message-ID: <old2@example.net>\n" +
	"In-Reply-To: <old1@example.net>\n" +
	"\n" +
	"Bei uns auch das Pfefferminzamt.\n"

// TestRetention: `list set -retention` and a restart, whose maintenance deletes the
// posts older than the list keeps them (imported ones count from their date) and
// leaves no trace of them in the data files. The binary has no clock to move, so
// the old posts come from an import; the clock itself is moved in the unit tests.
func TestRetention(t *testing.T) {
	t.Parallel()
	sk := newSink(t)
	d := newDaemon(t, options{relay: sk.addr})
	if _, err := d.cli("list", "create", "kita", "-retention", "-3"); err == nil {
		t.Error("a negative retention was taken")
	}
	d.mustCLI("list", "create", "kita", "-retention", "0")
	d.mustCLI("member", "add", "kita", "anna@example.net")
	file := filepath.Join(d.dir, "old.mbox")
	if err := os.WriteFile(file, []byte(retentionMbox), 0o600); err != nil {
		t.Fatal(err)
	}
	d.mustCLI("archive", "import", "kita", file)
	d.start()
	send(d.addrs["smtp"], "anna@example.net", []string{"kita@" + domain}, post("anna@example.net", "Neuer Beitrag", "Heute.\r\n"))
	postID(t, d, "kita", "Neuer Beitrag")
	if out := d.mustCLI("list", "set", "kita", "-retention", "12"); !strings.Contains(out, "posts kept 12 months") {
		t.Errorf("list set: %s", out)
	}
	if _, err := d.cli("list", "set", "kita", "-retention", "abc"); err == nil {
		t.Error("a retention that is no number was taken")
	}
	d.stop(20 * time.Second)
	d.start()
	end := time.Now().Add(20 * time.Second)
	for {
		var ms []apiPost
		getJSON(t, d.httpBase+"/api/v1/lists/kita/messages", &ms)
		if len(ms) == 1 && ms[0].Subject == "Neuer Beitrag" {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("after the restart: %+v", ms)
		}
		time.Sleep(50 * time.Millisecond)
	}
	d.stop(20 * time.Second)
	if found := scanData(t, filepath.Join(d.dir, "data"), "Pfefferminzamt"); len(found) > 0 {
		t.Errorf("traces of deleted posts: %v", found)
	}
}

// TestPrefsExportAndErase: a logged-in member downloads their data from the settings
// page and erases it with the emailed link, which also ends the session.
func TestPrefsExportAndErase(t *testing.T) {
	t.Parallel()
	sk := newSink(t)
	d := newDaemon(t, options{relay: sk.addr, extra: "[privacy]\nerase_posts = \"delete\"\n"})
	d.mustCLI("list", "create", "kita")
	d.mustCLI("member", "add", "kita", "anna@example.net", "-name", "Sonnenblume", "-postal", "50667")
	d.mustCLI("member", "add", "kita", "ben@example.net")
	d.start()
	list := "kita@" + domain
	send(d.addrs["smtp"], "anna@example.net", []string{list}, post("anna@example.net", "Ehrenfelder Kitas", "Schreibt mir gern.\r\n"))
	postID(t, d, "kita", "Ehrenfelder Kitas")
	sk.waitFor(t, 2, 20*time.Second)

	c := browser(t)
	login(t, d, sk, c, "anna@example.net", sk.countTo("anna@example.net"))
	_, page := fetch(t, c, "GET", d.httpBase+"/prefs", nil)
	csrf := csrfRE.FindStringSubmatch(page)[1]
	if !strings.Contains(page, `value="export"`) || !strings.Contains(page, `value="erase"`) {
		t.Fatalf("the settings page offers no export or erasure:\n%s", page)
	}
	if code, _ := fetch(t, c, "POST", d.httpBase+"/prefs", url.Values{"do": {"export"}}); code != 403 {
		t.Errorf("export without CSRF token: %d", code)
	}
	req, _ := http.NewRequest("POST", d.httpBase+"/prefs", strings.NewReader(url.Values{"csrf": {csrf}, "do": {"export"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") ||
		!strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("export: %d %v", resp.StatusCode, resp.Header)
	}
	var doc struct {
		Address     string           `json:"address"`
		Memberships []map[string]any `json:"memberships"`
		Posts       []map[string]any `json:"posts"`
		Mbox        string           `json:"posts_mbox"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatalf("export is not JSON: %v\n%s", err, body)
	}
	if doc.Address != "anna@example.net" || len(doc.Memberships) != 1 || len(doc.Posts) != 1 ||
		!strings.Contains(doc.Mbox, "Ehrenfelder Kitas") || !strings.Contains(string(body), "50667") {
		t.Errorf("export:\n%s", body)
	}

	before := sk.countTo("anna@example.net")
	code, page := fetch(t, c, "POST", d.httpBase+"/prefs", url.Values{"csrf": {csrf}, "do": {"erase"}})
	if code != 200 || strings.Contains(d.mustCLI("member", "ls", "kita"), "anna") == false {
		t.Fatalf("asking for erasure: %d (or erased at once)\n%s", code, page)
	}
	env, _ := sk.mailTo(t, "anna@example.net", before)
	link := d.link(t, env, "/confirm/")
	code, page = fetch(t, c, "GET", link, nil)
	if code != 200 || !strings.Contains(page, "löschen") || !strings.Contains(d.mustCLI("member", "ls", "kita"), "anna") {
		t.Fatalf("the link's page: %d (or it erased on GET)\n%s", code, page)
	}
	if code, page := press(t, c, link); code != 200 || !strings.Contains(page, "Gelöscht") {
		t.Fatalf("erase: %d\n%s", code, page)
	}
	if _, page := fetch(t, c, "GET", d.httpBase+"/prefs", nil); !strings.Contains(page, `action="/login`) {
		t.Error("still logged in after erasure")
	}
	if out := d.mustCLI("member", "ls", "kita"); strings.Contains(out, "anna") {
		t.Errorf("still a member: %s", out)
	}
	var res struct {
		Hits []map[string]any `json:"hits"`
	}
	getJSON(t, d.httpBase+"/api/v1/lists/kita/search?q=Ehrenfelder", &res)
	if len(res.Hits) != 0 {
		t.Errorf("the post stays under erase_posts = delete: %v", res.Hits)
	}
	d.stop(20 * time.Second)
	if found := scanData(t, filepath.Join(d.dir, "data"), "anna@example.net", "Sonnenblume", "50667"); len(found) > 0 {
		t.Errorf("traces left after erase: %v", found)
	}
}

// TestWithdrawFromOwnCopy: the poster's own copy of a post carries a link that
// withdraws it; nobody else's copy has one.
func TestWithdrawFromOwnCopy(t *testing.T) {
	t.Parallel()
	sk := newSink(t)
	d := newDaemon(t, options{relay: sk.addr})
	d.mustCLI("list", "create", "kita")
	d.mustCLI("member", "add", "kita", "anna@example.net", "-name", "Sonnenblume")
	d.mustCLI("member", "add", "kita", "ben@example.net")
	d.start()
	list := "kita@" + domain
	if err := send(d.addrs["smtp"], "anna@example.net", []string{list}, post("anna@example.net", "Eine Frage",
		"Hier steht zu viel über uns.\r\n")); err != nil {
		t.Fatal(err)
	}
	own, _ := sk.mailTo(t, "anna@example.net", 0)
	other, _ := sk.mailTo(t, "ben@example.net", 0)
	if strings.Contains(other.Text, "zurückziehen") || strings.Contains(other.Text, "/confirm/") {
		t.Errorf("another member's copy offers the withdrawal:\n%s", other.Text)
	}
	if !strings.Contains(own.Text, "Ihren Beitrag zurückziehen: ") {
		t.Fatalf("the poster's copy lacks the link:\n%s", own.Text)
	}
	id := postID(t, d, "kita", "Eine Frage")
	if code, page := press(t, browser(t), d.link(t, own, "/confirm/")); code != 200 || !strings.Contains(page, "zurückgezogen") {
		t.Fatalf("withdraw from the copy: %d\n%s", code, page)
	}
	if body := httpGet(t, d.httpBase+fmt.Sprintf("/kita/m/%d", id)); strings.Contains(body, "zu viel über uns") {
		t.Errorf("the post is still there:\n%s", body)
	}
}
