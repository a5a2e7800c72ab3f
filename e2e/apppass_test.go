package e2e

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var newAppPasswordRE = regexp.MustCompile(`<code>([a-z2-7-]{20,})</code>`)

// TestAppPasswordFromSettings: a member logged in on the web makes an app password on
// the settings page, reads the list over IMAP with it, and revokes it there.
func TestAppPasswordFromSettings(t *testing.T) {
	t.Parallel()
	sk := newSink(t)
	d := newDaemon(t, options{relay: sk.addr, imap: true})
	d.mustCLI("list", "create", "kita")
	d.mustCLI("member", "add", "kita", "anna@example.net")
	d.start()
	c := browser(t)
	_, page := fetch(t, c, "GET", d.httpBase+"/login", nil)
	csrf := csrfRE.FindStringSubmatch(page)[1]
	fetch(t, c, "POST", d.httpBase+"/login", url.Values{"csrf": {csrf}, "address": {"anna@example.net"}})
	if code, _ := press(t, c, d.link(t, loginMail(t, sk, "anna@example.net"), "/login/")); code != 200 {
		t.Fatalf("login: %d", code)
	}

	_, page = fetch(t, c, "GET", d.httpBase+"/prefs", nil)
	csrf = csrfRE.FindStringSubmatch(page)[1]
	code, page := fetch(t, c, "POST", d.httpBase+"/prefs", url.Values{"csrf": {csrf}, "do": {"apppass_new"}, "label": {"Handy"}})
	m := newAppPasswordRE.FindStringSubmatch(page)
	if code != 200 || m == nil || !strings.Contains(page, "Handy") {
		t.Fatalf("new app password: %d\n%s", code, page)
	}
	imap := dialIMAP(t, d, "anna@example.net", m[1])
	if _, err := imap.Select("kita", nil).Wait(); err != nil {
		t.Fatalf("select with the new password: %v", err)
	}
	imap.Logout().Wait()

	// Shown once only; then revoked, it no longer opens the mailbox.
	_, page = fetch(t, c, "GET", d.httpBase+"/prefs", nil)
	if strings.Contains(page, m[1]) {
		t.Error("the password is shown again")
	}
	id := regexp.MustCompile(`name="id" value="(\d+)"`).FindStringSubmatch(page)
	if id == nil {
		t.Fatalf("no revoke button:\n%s", page)
	}
	fetch(t, c, "POST", d.httpBase+"/prefs", url.Values{"csrf": {csrf}, "do": {"apppass_revoke"}, "id": {id[1]}})
	c2 := dialIMAP(t, d, "", "")
	if err := c2.Login("anna@example.net", m[1]).Wait(); err == nil {
		t.Error("a revoked password still logs in")
	}
}
