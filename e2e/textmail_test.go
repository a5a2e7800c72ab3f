package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
)

// TestAnonymousSignatureRemoved: on an anonymous list a post's signature (the "-- "
// block of the text part and the HTML part's signature block) reaches nobody: not
// the members' copies, the pages, the search, the feeds, the mbox downloads or IMAP.
// The poster is told once that signatures are removed.
func TestAnonymousSignatureRemoved(t *testing.T) {
	t.Parallel()
	sk := newSink(t)
	d := newDaemon(t, options{relay: sk.addr, imap: true})
	d.mustCLI("list", "create", "umgang", "-anonymous", "yes", "-archive", "public")
	d.mustCLI("member", "add", "umgang", "anna@example.net", "-name", "Sonnenblume")
	d.mustCLI("member", "add", "umgang", "ben@example.org", "-name", "Löwenzahn")
	benPassword := strings.TrimSpace(d.mustCLI("user", "password", "ben@example.org"))
	d.start()
	smtpAddr, list := d.addrs["smtp"], "umgang@"+domain
	secrets := []string{"Zwiebelmeier", "Lindenstr", "0171 2345678"}
	post := func(n int) string {
		return "From: anna@example.net\r\nTo: " + list + "\r\nSubject: Umgangsrecht " + fmt.Sprint(n) + "\r\n" +
			"Message-ID: <sig" + fmt.Sprint(n) + "@client.example>\r\nMIME-Version: 1.0\r\n" +
			"Content-Type: multipart/alternative; boundary=alt\r\n\r\n" +
			"--alt\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nWie regelt ihr die Ferien?\r\n\r\n-- \r\nAnna Zwiebelmeier\r\nLindenstr. 5, 10115 Berlin\r\nMobil 0171 2345678\r\n" +
			"--alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body><p>Wie regelt ihr die Ferien?</p>" +
			"<div class=\"moz-signature\">Anna Zwiebelmeier<br>Lindenstr. 5<br>0171 2345678</div></body></html>\r\n--alt--\r\n"
	}
	check := func(what, s string) {
		t.Helper()
		for _, x := range secrets {
			if strings.Contains(s, x) {
				t.Errorf("%s contains %q:\n%s", what, x, s)
			}
		}
	}
	if err := send(smtpAddr, "anna@example.net", []string{list}, post(1)); err != nil {
		t.Fatal(err)
	}
	copyToBen, _ := sk.mailTo(t, "ben@example.org", 0)
	if !strings.Contains(copyToBen.Text, "Wie regelt ihr die Ferien?") {
		t.Fatalf("copy:\n%s", copyToBen.Text)
	}
	for _, m := range sk.snapshot() {
		if m.To == "ben@example.org" {
			check("the copy to ben", string(m.Data))
		}
	}
	notice := sk.mailWith(t, "anna@example.net", "Ihre Signatur wurde entfernt")
	if !strings.Contains(notice.Text, "anonyme Liste") {
		t.Errorf("notice:\n%s", notice.Text)
	}
	// A second post: no second notice.
	if err := send(smtpAddr, "anna@example.net", []string{list}, post(2)); err != nil {
		t.Fatal(err)
	}
	sk.mailTo(t, "ben@example.org", 1)
	time.Sleep(300 * time.Millisecond)
	told := 0
	for _, m := range sk.snapshot() {
		if m.To == "anna@example.net" && strings.Contains(string(m.Data), "Subject: Ihre Signatur") {
			told++
		}
	}
	if told != 1 {
		t.Errorf("told %d times, want once", told)
	}

	var posts []struct {
		ID       int64 `json:"id"`
		ThreadID int64 `json:"thread_id"`
	}
	getJSON(t, d.httpBase+"/api/v1/lists/umgang/messages", &posts)
	if len(posts) != 2 {
		t.Fatalf("archive: %+v", posts)
	}
	month := time.Now().UTC().Format("2006-01")
	for _, path := range []string{"/umgang/", fmt.Sprintf("/umgang/m/%d", posts[0].ID), fmt.Sprintf("/umgang/t/%d", posts[0].ThreadID),
		"/umgang/atom.xml", "/umgang/" + month + ".mbox", fmt.Sprintf("/umgang/t/%d.mbox", posts[0].ThreadID),
		fmt.Sprintf("/api/v1/lists/umgang/messages/%d", posts[0].ID)} {
		check(path, httpGet(t, d.httpBase+path))
	}
	// The search finds the post by its text, not by its signature.
	link := fmt.Sprintf("/umgang/m/%d", posts[0].ID)
	if page := httpGet(t, d.httpBase+"/umgang/search?q=Ferien"); !strings.Contains(page, link) {
		t.Errorf("search for the text does not find the post")
	}
	for _, q := range []string{"Zwiebelmeier", "Lindenstr"} {
		if page := httpGet(t, d.httpBase+"/umgang/search?q="+q); strings.Contains(page, link) {
			t.Errorf("search for %q finds the post", q)
		}
	}
	if page := httpGet(t, d.httpBase+fmt.Sprintf("/umgang/m/%d", posts[0].ID)); !strings.Contains(page, "Wie regelt ihr die Ferien?") {
		t.Errorf("page without the post's text:\n%s", page)
	}

	c := dialIMAP(t, d, "ben@example.org", benPassword)
	if _, err := c.Select("umgang", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	whole := &imap.FetchItemBodySection{Peek: true}
	msgs, err := c.Fetch(imap.SeqSet{imap.SeqRange{Start: 1, Stop: 0}}, &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{whole}}).Collect()
	if err != nil || len(msgs) != 2 {
		t.Fatalf("imap fetch: %d messages, %v", len(msgs), err)
	}
	for _, m := range msgs {
		check("IMAP BODY[]", string(m.FindBodySection(whole)))
	}
}

// TestCrisisPostHeld: a member's post with crisis words waits for the moderators
// (it reaches no member), the poster gets the crisis lines at once, and the
// moderator's notice names the crisis word.
func TestCrisisPostHeld(t *testing.T) {
	t.Parallel()
	sk := newSink(t)
	d := newDaemon(t, options{relay: sk.addr})
	d.mustCLI("list", "create", "kita")
	d.mustCLI("member", "add", "kita", "mod@example.org", "-role", "moderator", "-mode", "nomail")
	d.mustCLI("member", "add", "kita", "anna@example.net")
	d.mustCLI("member", "add", "kita", "ben@example.net")
	d.start()
	list := "kita@" + domain
	if err := send(d.addrs["smtp"], "ben@example.net", []string{list}, plain("ben@example.net", list, "Abends", "Ich sehe keinen Ausweg mehr.\r\n")); err != nil {
		t.Fatal(err)
	}
	crisis := sk.mailWith(t, "ben@example.net", "Hinweise zu Beratungsangeboten")
	if !strings.Contains(crisis.Text, "0800 111 0 111") || !strings.Contains(crisis.Text, "wartet noch") {
		t.Errorf("crisis reply:\n%s", crisis.Text)
	}
	notice, _ := sk.mailTo(t, "mod@example.org", 0)
	if !strings.Contains(notice.GetHeader("Subject"), "Freigabe") || !strings.Contains(notice.Text, "Krisenwort „keinen ausweg“") {
		t.Errorf("notice: %s\n%s", notice.GetHeader("Subject"), notice.Text)
	}
	time.Sleep(300 * time.Millisecond)
	if n := sk.countTo("anna@example.net"); n != 0 {
		t.Errorf("the held post reached a member: %d mails", n)
	}
	if out := d.mustCLI("mod", "ls"); !strings.Contains(out, "Abends") {
		t.Errorf("mod ls:\n%s", out)
	}
	d.mustCLI("list", "set", "kita", "-crisis", "publish")
	if err := send(d.addrs["smtp"], "ben@example.net", []string{list}, plain("ben@example.net", list, "Nachts", "Wieder keinen Ausweg.\r\n")); err != nil {
		t.Fatal(err)
	}
	if copyToAnna, _ := sk.mailTo(t, "anna@example.net", 0); !strings.Contains(copyToAnna.GetHeader("Subject"), "Nachts") {
		t.Errorf("published: %q", copyToAnna.GetHeader("Subject"))
	}
}
