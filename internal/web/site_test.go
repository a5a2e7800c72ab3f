package web

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"listd/internal/lists"
	"listd/internal/token"
	"listd/templates"
)

// storedSiteAdmin makes addr a site admin in e's database, as `listd admin add`
// does, so that the list domain's ViewerOf names it one.
func (e *adminEnv) storedSiteAdmin(addr string) {
	e.t.Helper()
	svc, err := lists.New(e.db, token.NewSigner([]byte("0123456789abcdef0123456789abcdef"), nil), lists.Config{Domain: "lists.example.org",
		BaseURL: "http://127.0.0.1:8080", Language: "de", Templates: templates.FS(""), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := svc.AddSiteAdmin(context.Background(), lists.ActorCLI, addr); err != nil {
		e.t.Fatal(err)
	}
}

var sitePages = []string{"/admin/", "/admin/figures", "/admin/lists", "/admin/site", "/admin/audit"}

// TestSitePagesForSiteAdminsOnly: every /admin page is 403 for an owner, a
// moderator and a member, a login page for a stranger, and every POST wants the
// form's token.
func TestSitePagesForSiteAdminsOnly(t *testing.T) {
	e := newAdminEnv(t)
	for _, who := range []string{"owner@example.org", "mod@example.org", "anna@example.net"} {
		c := e.client(who)
		tok := e.csrf(c)
		for _, p := range sitePages {
			if code, _ := e.do(c, "GET", p, nil); code != http.StatusForbidden {
				t.Errorf("%s GET %s: %d, want 403", who, p, code)
			}
		}
		for _, p := range []string{"/admin/lists", "/admin/site"} {
			form := url.Values{"csrf": {tok}, "name": {"neu"}, "archive": {"members"}, "site_name": {"Übernommen"}}
			if code, _ := e.do(c, "POST", p, form); code != http.StatusForbidden {
				t.Errorf("%s POST %s: %d, want 403", who, p, code)
			}
		}
	}
	for _, p := range sitePages {
		if code, _ := e.do(e.client(""), "GET", p, nil); code != http.StatusSeeOther {
			t.Errorf("stranger GET %s: %d, want a redirect to the login", p, code)
		}
	}
	admin := e.client("admin@example.org")
	for _, p := range sitePages {
		if code, page := e.do(admin, "GET", p, nil); code != http.StatusOK {
			t.Errorf("admin GET %s: %d\n%s", p, code, page)
		}
	}
	for _, p := range []string{"/admin/lists", "/admin/site"} {
		for _, tok := range []string{"", "forged"} {
			form := url.Values{"name": {"neu"}, "archive": {"members"}, "site_name": {"Übernommen"}}
			if tok != "" {
				form.Set("csrf", tok)
			}
			if code, _ := e.do(admin, "POST", p, form); code != http.StatusForbidden {
				t.Errorf("admin POST %s with token %q: %d, want 403", p, tok, code)
			}
		}
	}
	if _, err := e.db.ListByName(context.Background(), "neu"); err == nil {
		t.Error("a POST without its token created a list")
	}
	if _, page := e.do(e.client(""), "GET", "/", nil); strings.Contains(page, "Übernommen") {
		t.Error("a POST without its token changed the site name")
	}
}

// TestSiteCreateList: bad input is named next to its field with everything typed
// kept and nothing created; good input creates the list, records it in the audit
// log and lists it with its archive setting.
func TestSiteCreateList(t *testing.T) {
	e := newAdminEnv(t)
	c := e.client("admin@example.org")
	tok := e.csrf(c)
	for _, tt := range []struct {
		name, archive, field string
	}{
		{"Eltern-Treff", "members", "list_name"},
		{"kita", "members", "list_name"},
		{"", "members", "list_name"},
		{"treff", "everyone", "archive"},
	} {
		code, page := e.do(c, "POST", "/admin/lists?lang=de", url.Values{"csrf": {tok}, "name": {tt.name}, "title": {"Treff für Eltern"},
			"description": {"Austausch & Fragen"}, "archive": {tt.archive}})
		if code != http.StatusBadRequest {
			t.Errorf("%q/%q: %d, want 400", tt.name, tt.archive, code)
		}
		if !strings.Contains(page, `id="`+tt.field+`-error"`) || !strings.Contains(page, `aria-describedby="`+tt.field+`-error"`) {
			t.Errorf("%q/%q: no error next to %s:\n%s", tt.name, tt.archive, tt.field, page)
		}
		if !strings.Contains(page, `value="Treff für Eltern"`) || !strings.Contains(page, "Austausch &amp; Fragen</textarea>") {
			t.Errorf("%q/%q: what was typed is lost", tt.name, tt.archive)
		}
		if tt.name != "" && !strings.Contains(page, `value="`+tt.name+`"`) {
			t.Errorf("%q: the name typed is lost", tt.name)
		}
	}
	if ls, _ := e.db.Lists(context.Background()); len(ls) != 3 {
		t.Fatalf("bad input created lists: %d lists", len(ls))
	}
	code, _ := e.do(c, "POST", "/admin/lists?lang=de", url.Values{"csrf": {tok}, "name": {"treff"}, "title": {"Treff für Eltern"}, "archive": {"private"}})
	if code != http.StatusSeeOther {
		t.Fatalf("create: %d", code)
	}
	l, err := e.db.ListByName(context.Background(), "treff")
	if err != nil || l.Archive != "private" || l.Title != "Treff für Eltern" {
		t.Fatalf("created list: %+v, %v", l, err)
	}
	_, page := e.do(c, "GET", "/admin/lists?created=treff&lang=de", nil)
	for _, want := range []string{`href="/treff/admin/"`, "privat (nirgends genannt)", "Die Liste ist angelegt"} {
		if !strings.Contains(page, want) {
			t.Errorf("lists page lacks %q", want)
		}
	}
	_, page = e.do(c, "GET", "/admin/audit?list=treff", nil)
	if !strings.Contains(page, "Liste angelegt") || !strings.Contains(page, "admin@example.org") {
		t.Errorf("the audit log lacks the creation:\n%s", page)
	}
	if _, page = e.do(c, "GET", "/admin/audit?list=kita", nil); strings.Contains(page, "Liste angelegt") {
		t.Error("the audit log filtered by kita shows treff's creation")
	}
	if code, _ := e.do(c, "GET", "/admin/audit?list=nosuch", nil); code != http.StatusNotFound {
		t.Errorf("audit of no list: %d", code)
	}
}

// TestSiteSettings: bad values are named next to their fields (all at once, values
// kept, nothing saved); good ones show on every page's header and footer.
func TestSiteSettings(t *testing.T) {
	e := newAdminEnv(t)
	c := e.client("admin@example.org")
	tok := e.csrf(c)
	bad := url.Values{"csrf": {tok}, "site_name": {"Netzwerk Alleinerziehende"}, "logo_url": {"javascript:alert(1)"},
		"impressum_url": {"https://verein.example/impressum"}, "datenschutz_url": {"ftp://verein.example/ds"},
		"contact": {"info@verein.example"}, "time_zone": {"Mars/Olympus"}}
	code, page := e.do(c, "POST", "/admin/site?lang=de", bad)
	if code != http.StatusBadRequest {
		t.Fatalf("bad settings: %d", code)
	}
	for _, f := range []string{"logo_url", "datenschutz_url", "time_zone"} {
		if !strings.Contains(page, `id="`+f+`-error"`) {
			t.Errorf("no error next to %s", f)
		}
	}
	for _, f := range []string{"site_name", "impressum_url", "contact"} {
		if strings.Contains(page, `id="`+f+`-error"`) {
			t.Errorf("an error next to the good %s", f)
		}
	}
	for _, v := range []string{"javascript:alert(1)", "Mars/Olympus", "https://verein.example/impressum"} {
		if !strings.Contains(page, `value="`+v+`"`) {
			t.Errorf("the value %q typed is lost", v)
		}
	}
	if _, page := e.do(e.client(""), "GET", "/", nil); strings.Contains(page, "Netzwerk Alleinerziehende") {
		t.Fatal("bad settings were half saved")
	}
	good := url.Values{"csrf": {tok}, "site_name": {"Netzwerk Alleinerziehende"}, "logo_url": {"https://verein.example/logo.svg"},
		"impressum_url": {"https://verein.example/impressum"}, "datenschutz_url": {"https://verein.example/datenschutz"},
		"contact": {"info@verein.example"}, "time_zone": {"America/New_York"}}
	if code, _ := e.do(c, "POST", "/admin/site?lang=de", good); code != http.StatusSeeOther {
		t.Fatalf("good settings: %d", code)
	}
	for _, lang := range []string{"de", "en"} {
		_, page := e.do(e.client(""), "GET", "/?lang="+lang, nil)
		for _, want := range []string{"Netzwerk Alleinerziehende</a>", `src="https://verein.example/logo.svg"`,
			`href="https://verein.example/impressum"`, `href="https://verein.example/datenschutz"`, `href="mailto:info@verein.example"`} {
			if !strings.Contains(page, want) {
				t.Errorf("index (%s) lacks %q", lang, want)
			}
		}
	}
	_, page = e.do(c, "GET", "/admin/audit", nil)
	if !strings.Contains(page, "Einstellungen der Seite geändert") {
		t.Error("the audit log lacks the settings change")
	}
	// Dates on pages are in the site's time zone now: the audit entry was made
	// just now, shown in New York time.
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().In(ny)
	if !strings.Contains(page, now.Format("02.01.2006 15:04")) && !strings.Contains(page, now.Add(-time.Minute).Format("02.01.2006 15:04")) {
		t.Errorf("the audit log does not show New York time %s:\n%s", now.Format("02.01.2006 15:04"), page)
	}
}

// TestSiteAdminReadsEverything: the web asks the list domain what a login is, so a
// site admin on no list reads a private archive; a member of another list does not.
func TestSiteAdminReadsEverything(t *testing.T) {
	e := newAdminEnv(t)
	e.storedSiteAdmin("chair@example.org")
	if code, page := e.do(e.client("chair@example.org"), "GET", "/other/", nil); code != http.StatusOK {
		t.Errorf("site admin on the private list: %d\n%s", code, page)
	}
	if code, _ := e.do(e.client("chair@example.org"), "GET", "/anon/", nil); code != http.StatusOK {
		t.Errorf("site admin on the members' list: %d", code)
	}
	for _, who := range []string{"anna@example.net", ""} {
		if code, _ := e.do(e.client(who), "GET", "/other/", nil); code == http.StatusOK {
			t.Errorf("%q reads the private list", who)
		}
	}
}
