package e2e

import (
	"net/url"
	"strings"
	"testing"
)

// TestLoginAndPreferences: a member asks for a login link, logs in with its button,
// changes delivery mode and pseudonym, and leaves a list, all on the web.
func TestLoginAndPreferences(t *testing.T) {
	t.Parallel()
	sk := newSink(t)
	d := newDaemon(t, options{relay: sk.addr})
	d.mustCLI("list", "create", "kita", "-title", "Kita")
	d.mustCLI("list", "create", "job", "-title", "Job")
	d.mustCLI("member", "add", "kita", "anna@example.net")
	d.mustCLI("member", "add", "job", "anna@example.net")
	d.start()
	c := browser(t)

	// Without a session the settings page sends you to the login form.
	code, page := fetch(t, c, "GET", d.httpBase+"/prefs", nil)
	if code != 200 || !strings.Contains(page, `action="/login`) {
		t.Fatalf("prefs without login: %d\n%s", code, page)
	}
	csrf := csrfRE.FindStringSubmatch(page)[1]
	// The answer is the same for a stranger: nothing is revealed, nothing sent.
	_, stranger := fetch(t, c, "POST", d.httpBase+"/login", url.Values{"csrf": {csrf}, "address": {"nobody@example.net"}})
	_, member := fetch(t, c, "POST", d.httpBase+"/login", url.Values{"csrf": {csrf}, "address": {"anna@example.net"}})
	if stranger != member {
		t.Error("the login answer differs for members and strangers")
	}
	env, _ := sk.mailTo(t, "anna@example.net", 0)
	if sk.countTo("nobody@example.net") != 0 {
		t.Error("a login link went to a stranger")
	}
	login := d.link(t, env, "/login/")
	code, page = press(t, c, login)
	if code != 200 || !strings.Contains(page, "Kita") || !strings.Contains(page, "Job") {
		t.Fatalf("after login: %d\n%s", code, page)
	}
	// The link works once.
	if code, _ := fetch(t, browser(t), "GET", login, nil); code != 400 {
		t.Errorf("login link reused: %d", code)
	}

	csrf = csrfRE.FindStringSubmatch(page)[1]
	code, page = fetch(t, c, "POST", d.httpBase+"/prefs", url.Values{"csrf": {csrf}, "list": {"kita"}, "do": {"save"},
		"mode": {"nomail"}, "name": {"Sonnenblume"}, "postal": {"10115"}})
	if code != 200 || !strings.Contains(page, "Gespeichert") {
		t.Fatalf("save: %d\n%s", code, page)
	}
	if !strings.Contains(d.mustCLI("member", "ls", "kita"), "anna@example.net\tnomail") {
		t.Errorf("mode not saved: %s", d.mustCLI("member", "ls", "kita"))
	}
	code, _ = fetch(t, c, "POST", d.httpBase+"/prefs", url.Values{"csrf": {csrf}, "list": {"kita"}, "do": {"save"},
		"mode": {"each"}, "name": {"anna@example.net"}})
	if code != 400 {
		t.Errorf("an address as pseudonym: %d", code)
	}
	// Leaving asks once; only the button on that page leaves.
	code, page = fetch(t, c, "POST", d.httpBase+"/prefs", url.Values{"csrf": {csrf}, "list": {"job"}, "do": {"leave"}})
	if code != 200 || !strings.Contains(page, `value="leave-confirm"`) || !strings.Contains(d.mustCLI("member", "ls", "job"), "anna") {
		t.Errorf("leave asks first: %d %s\n%s", code, d.mustCLI("member", "ls", "job"), page)
	}
	code, page = fetch(t, c, "POST", d.httpBase+"/prefs", url.Values{"csrf": {csrf}, "list": {"job"}, "do": {"leave-confirm"}})
	if code != 200 || strings.Contains(d.mustCLI("member", "ls", "job"), "anna") || !strings.Contains(page, "verlassen") {
		t.Errorf("leave: %d %s", code, d.mustCLI("member", "ls", "job"))
	}
	// Forms without the token are refused.
	if code, _ := fetch(t, c, "POST", d.httpBase+"/prefs", url.Values{"list": {"kita"}, "do": {"leave"}}); code != 403 {
		t.Errorf("prefs without CSRF token: %d", code)
	}
	if code, _ := fetch(t, c, "POST", d.httpBase+"/logout", url.Values{"csrf": {csrf}}); code != 200 {
		t.Errorf("logout: %d", code)
	}
	if _, page := fetch(t, c, "GET", d.httpBase+"/prefs", nil); !strings.Contains(page, `action="/login`) {
		t.Error("still logged in after logout")
	}
}
