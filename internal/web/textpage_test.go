package web

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

var csrfInput = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// formClient is a browser with cookies, and the CSRF token of the form at path.
func formClient(t *testing.T, base, path string) (*http.Client, string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.Get(base + path)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfInput.FindSubmatch(b)
	if m == nil {
		t.Fatalf("no form token on %s:\n%s", path, b)
	}
	return c, string(m[1])
}

func postForm(t *testing.T, c *http.Client, u string, v url.Values) (int, string) {
	t.Helper()
	resp, err := c.PostForm(u, v)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestPagesInGerman: error pages, form errors, expired links and /beratung speak
// German to a German browser, with no English from Go or the list domain.
func TestPagesInGerman(t *testing.T) {
	base := newTestServer(t)
	for _, tt := range []struct {
		path, want string
		status     int
	}{
		{"/nosuch/", "<h1>Nicht gefunden (404)</h1>", 404},
		{"/kita/m/999", "<h1>Nicht gefunden (404)</h1>", 404},
		{"/login/abc.def", `href="/login?lang=de">Neuen Anmeldelink anfordern</a>`, 400},
		{"/beratung", `<section class="crisis" aria-labelledby="crisis-h">`, 200},
		{"/beratung?plz=1011", `aria-invalid="true" aria-describedby="plz-error"`, 400},
		{"/kita/m/1", "Per Mail antworten", 200},
	} {
		resp, body := get(t, base+tt.path, "Accept-Language", "de-DE,de;q=0.9")
		if resp.StatusCode != tt.status || !strings.Contains(body, tt.want) {
			t.Errorf("%s: %d, want %d and %q:\n%s", tt.path, resp.StatusCode, tt.status, tt.want, body)
		}
		for _, en := range []string{"Not Found", "Forbidden", "Bad Request"} {
			if strings.Contains(body, en) {
				t.Errorf("%s shows %q", tt.path, en)
			}
		}
	}
	// aria-level is not allowed on an article (axe aria-allowed-attr).
	if _, body := get(t, base+"/kita/t/1"); regexp.MustCompile(`<article[^>]*aria-level`).MatchString(body) {
		t.Error("aria-level on an article")
	}
	// A post without an HTML part offers no "Originalformatierung".
	if _, body := get(t, base+"/kita/m/1"); strings.Contains(body, "Originalformatierung") {
		t.Error("a text post offers its original formatting")
	}
	// The crisis topic says to call now.
	if _, body := get(t, base+"/beratung?thema=krise"); !strings.Contains(body, "Rufen Sie jetzt") || !strings.Contains(body, "TelefonSeelsorge") {
		t.Errorf("crisis topic:\n%s", body)
	}
}

// TestJoinFormErrors: every wrong field is named at once, in German, next to the
// field it belongs to; the list domain's English never shows.
func TestJoinFormErrors(t *testing.T) {
	base := newTestServer(t)
	c, csrf := formClient(t, base, "/kita/subscribe")
	code, body := postForm(t, c, base+"/kita/subscribe", url.Values{"csrf": {csrf}, "address": {"x"}, "name": {"a@b.de"},
		"postal": {"1234"}, "mode": {"each"}})
	if code != 400 {
		t.Fatalf("status %d", code)
	}
	for _, want := range []string{
		`id="address" name="address" type="email" required autocomplete="email" value="x" aria-invalid="true" aria-describedby="address-error"`,
		`id="address-error">Das ist keine Mailadresse.`, `id="name-error">Dieser Name geht nicht`,
		`id="postal-error">Bitte geben Sie eine deutsche Postleitzahl`, `id="consent-error">Bitte stimmen Sie`,
		`<a href="#postal">`, `aria-describedby="name-hint name-error"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("lacks %q:\n%s", want, body)
		}
	}
	for _, en := range []string{"is not a mail address", "not usable", "postal code"} {
		if strings.Contains(body, en) {
			t.Errorf("English %q:\n%s", en, body)
		}
	}
	// Five digits pass; the form then asks for the confirmation by mail.
	code, body = postForm(t, c, base+"/kita/subscribe", url.Values{"csrf": {csrf}, "address": {"neu@example.net"}, "postal": {"10115"},
		"mode": {"each"}, "consent": {"yes"}})
	if code != 200 || !strings.Contains(body, "Postfach") {
		t.Errorf("valid join: %d\n%s", code, body)
	}
}

// TestRobots: robots.txt opens only archives whose list turned indexing on, names
// no other list, and the pages' robots meta tag agrees.
func TestRobots(t *testing.T) {
	base, db, _ := newTestEnv(t)
	_, body := get(t, base+"/robots.txt")
	if strings.Contains(body, "kita") || strings.Contains(body, "intern") || !strings.HasSuffix(body, "Disallow: /\n") {
		t.Errorf("robots.txt, nothing indexed:\n%s", body)
	}
	if _, page := get(t, base+"/kita/"); !strings.Contains(page, `<meta name="robots" content="noindex">`) {
		t.Error("list page without indexing lacks noindex")
	}
	ctx := context.Background()
	for _, name := range []string{"kita", "umgang", "intern"} {
		l, _ := db.ListByName(ctx, name)
		l.Indexing = true
		if err := db.SaveList(ctx, l); err != nil {
			t.Fatal(err)
		}
	}
	_, body = get(t, base+"/robots.txt")
	if !strings.Contains(body, "Allow: /kita/\nDisallow: /kita/search\n") || strings.Contains(body, "umgang") || strings.Contains(body, "intern") {
		t.Errorf("robots.txt, kita indexed:\n%s", body)
	}
	if _, page := get(t, base+"/kita/"); strings.Contains(page, `name="robots"`) {
		t.Error("list page with indexing says noindex")
	}
	if _, page := get(t, base+"/kita/search?q=kita"); !strings.Contains(page, `content="noindex"`) {
		t.Error("search page lacks noindex")
	}
	resp, icon := get(t, base+"/favicon.ico")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/svg+xml" || !strings.HasPrefix(icon, "<svg") {
		t.Errorf("favicon: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if _, page := get(t, base+"/"); !strings.Contains(page, `<meta name="description" content="Mailinglisten zum Austausch`) {
		t.Error("no meta description")
	}
}

// TestLeaveAsksOnce: leaving a list on the settings page asks once, and names only
// a list the member is on: a private list's title stays hidden.
func TestLeaveAsksOnce(t *testing.T) {
	base, db, _ := newTestEnv(t)
	ctx := context.Background()
	intern, _ := db.ListByName(ctx, "intern")
	intern.Title = "Vorstand geheim"
	if err := db.SaveList(ctx, intern); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateSession(ctx, hashHex("sess1"), "anna@example.net", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	c, csrf := formClient(t, base, "/login")
	u, _ := url.Parse(base)
	c.Jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: "sess1", Path: "/"}})
	code, body := postForm(t, c, base+"/prefs", url.Values{"csrf": {csrf}, "list": {"kita"}, "do": {"leave"}})
	if code != 200 || !strings.Contains(body, `name="do" value="leave-confirm"`) || !strings.Contains(body, "Liste verlassen") {
		t.Fatalf("leave asks: %d\n%s", code, body)
	}
	if code, body := postForm(t, c, base+"/prefs", url.Values{"csrf": {csrf}, "list": {"intern"}, "do": {"leave"}}); code != 404 || strings.Contains(body, "geheim") {
		t.Errorf("leave a private list one is not on: %d\n%s", code, body)
	}
	if code, body := postForm(t, c, base+"/prefs", url.Values{"csrf": {csrf}, "list": {"intern"}, "do": {"leave-confirm"}}); strings.Contains(body, "geheim") {
		t.Errorf("leave-confirm names a private list: %d", code)
	}
	kita, _ := db.ListByName(ctx, "kita")
	if _, err := db.Member(ctx, kita.ID, "anna@example.net"); err != nil {
		t.Fatal("asking to leave left the list")
	}
	code, body = postForm(t, c, base+"/prefs", url.Values{"csrf": {csrf}, "list": {"kita"}, "do": {"leave-confirm"}})
	if code != 200 || !strings.Contains(body, "Sie haben diese Liste verlassen: Kita") {
		t.Errorf("leave: %d\n%s", code, body)
	}
	if _, err := db.Member(ctx, kita.ID, "anna@example.net"); err == nil {
		t.Error("still a member after leaving")
	}
}
