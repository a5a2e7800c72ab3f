package e2e

import (
	"bytes"
	"html"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jhillyerd/enmime/v2"

	"listd/internal/i18n"
	"listd/templates"
)

// demoDaemon starts listd with the demo's data, set up by the demo's own scripts:
// scripts/demo-data.sh (lists, members, centres, postal codes) and
// scripts/demo-posts.py (threads, and a first post held for the moderators). No
// relay: mail waits in the outbox, as in `make demo`.
func demoDaemon(t *testing.T) *daemon {
	t.Helper()
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 is not installed")
	}
	d := newDaemon(t, options{})
	setup := exec.Command("bash", "../scripts/demo-data.sh")
	setup.Env = append(os.Environ(), "LISTD="+listdBin+" -config "+d.config)
	if out, err := setup.CombinedOutput(); err != nil {
		t.Fatalf("demo-data.sh: %v\n%s", err, out)
	}
	d.start()
	if out, err := exec.Command("python3", "../scripts/demo-posts.py", d.addrs["smtp"]).CombinedOutput(); err != nil {
		t.Fatalf("demo-posts.py: %v\n%s", err, out)
	}
	return d
}

var outboxRowRE = regexp.MustCompile(`<tr><td><a href="/outbox/(\d+)">`)

// outboxLogin logs a new browser in as addr with the login link that waits in the
// outbox, as the demo's banner tells a visitor to do.
func outboxLogin(t *testing.T, d *daemon, addr string) *http.Client {
	t.Helper()
	c := browser(t)
	_, page := fetch(t, c, "GET", d.httpBase+"/login", nil)
	csrf := csrfRE.FindStringSubmatch(page)[1]
	if code, page := fetch(t, c, "POST", d.httpBase+"/login", url.Values{"csrf": {csrf}, "address": {addr}}); code != 200 {
		t.Fatalf("ask for a login link: %d\n%s", code, page)
	}
	_, outbox := fetch(t, c, "GET", d.httpBase+"/outbox", nil)
	id := 0
	for _, row := range strings.Split(outbox, "<tr>")[1:] {
		m := outboxRowRE.FindStringSubmatch("<tr>" + row)
		if m != nil && strings.Contains(row, "Anmeldelink") && strings.Contains(row, "<td>"+addr+"</td>") {
			id = max(id, atoi(m[1]))
		}
	}
	if id == 0 {
		t.Fatalf("no login mail to %s in the outbox:\n%s", addr, outbox)
	}
	_, raw := fetch(t, c, "GET", d.httpBase+"/outbox/"+strconv.Itoa(id), nil)
	env, err := enmime.ReadEnvelope(strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	link := d.link(t, env, "/login/")
	_, page = fetch(t, c, "GET", link, nil)
	csrf = csrfRE.FindStringSubmatch(page)[1]
	if code, page := fetch(t, c, "POST", link, url.Values{"csrf": {csrf}}); code != 200 || !strings.Contains(page, `action="/prefs`) {
		t.Fatalf("log in: %d\n%s", code, page)
	}
	return c
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// demoPage is one page of the demo as someone reaches it.
type demoPage struct {
	name   string
	who    string // "" a stranger, "member" tom@example.com, "mod" moderation@example.org
	method string
	path   string
	form   url.Values // for a POST; csrf is added
	status int
}

// demoPages are every kind of page of the demo: the archive, the forms and their
// errors, the notices, the error pages, the settings, the moderation queue and the
// outbox. thread is the Kita thread's id.
func demoPages(thread string) []demoPage {
	g := func(name, who, path string, status int) demoPage {
		return demoPage{name: name, who: who, method: "GET", path: path, status: status}
	}
	p := func(name, who, path string, form url.Values, status int) demoPage {
		return demoPage{name: name, who: who, method: "POST", path: path, form: form, status: status}
	}
	return []demoPage{
		g("index", "", "/", 200),
		g("list", "", "/kita/", 200),
		g("thread", "", "/kita/t/"+thread, 200),
		g("message", "", "/kita/m/"+thread, 200),
		g("month", "", "/kita/"+monthNow()+"/", 200),
		g("search", "", "/kita/search?q=kita", 200),
		g("site search", "", "/search?q=kitaplatz", 200),
		g("subscribe", "", "/kita/subscribe", 200),
		p("subscribe errors", "", "/kita/subscribe", url.Values{"address": {"keine adresse"}, "name": {"a@b.de"}, "postal": {"123"}, "mode": {"each"}}, 400),
		p("subscribe sent", "", "/kita/subscribe", url.Values{"address": {"neu@example.net"}, "mode": {"each"}, "consent": {"yes"}}, 200),
		g("login", "", "/login", 200),
		p("login error", "", "/login", url.Values{"address": {"x"}}, 400),
		g("members only", "", "/umgang/", 403),
		g("counsel", "", "/beratung", 200),
		g("counsel plz", "", "/beratung?plz=10115", 200),
		g("counsel crisis", "", "/beratung?plz=10115&thema=krise", 200),
		g("counsel bad plz", "", "/beratung?plz=1011", 400),
		g("not found", "", "/keine-seite/da/", 404),
		g("no such list", "", "/nosuch/", 404),
		p("forbidden", "member", "/prefs", url.Values{"csrf": {"forged"}}, 403),
		g("link invalid", "", "/login/abc.def", 400),
		g("confirm invalid", "", "/confirm/abc.def", 400),
		g("outbox", "", "/outbox", 200),
		g("outbox copy", "", "/outbox/1?view=1", 200),
		g("prefs", "member", "/prefs", 200),
		g("list as member", "member", "/kita/", 200),
		g("subscribe as member", "member", "/kita/subscribe", 200),
		p("prefs errors", "member", "/prefs", url.Values{"list": {"kita"}, "do": {"save"}, "mode": {"each"}, "name": {"x@y.de"}, "postal": {"abc"}}, 400),
		p("leave asks", "member", "/prefs", url.Values{"list": {"job"}, "do": {"leave"}}, 200),
		g("mod", "mod", "/mod", 200),
		g("prefs of a moderator", "mod", "/prefs", 200),
	}
}

// monthNow is this month's page name, where the demo's posts are.
func monthNow() string { return time.Now().Format("2006-01") }

// visit fetches a demo page in lang ("de" by the site's default, or "en") with the
// client of its visitor.
func visit(t *testing.T, d *daemon, clients map[string]*http.Client, p demoPage, lang string) (int, string) {
	t.Helper()
	c := clients[p.who]
	u := d.httpBase + p.path
	if lang == "en" {
		if strings.Contains(u, "?") {
			u += "&lang=en"
		} else {
			u += "?lang=en"
		}
	}
	if p.method == "GET" {
		return fetch(t, c, "GET", u, nil)
	}
	form := url.Values{}
	for k, v := range p.form {
		form[k] = v
	}
	if form.Get("csrf") == "" {
		_, page := fetch(t, c, "GET", d.httpBase+"/login", nil)
		form.Set("csrf", csrfRE.FindStringSubmatch(page)[1])
	}
	return fetch(t, c, "POST", u, form)
}

// TestPagesSpeakOneLanguage renders every kind of page of the demo in German and in
// English and fails when a German page holds a text of the English catalogue (longer
// than 12 characters and not the same in German), or an English page one of the
// German catalogue's page texts.
func TestPagesSpeakOneLanguage(t *testing.T) {
	t.Parallel()
	cat, err := i18n.Load(templates.FS("../templates"))
	if err != nil {
		t.Fatal(err)
	}
	d := demoDaemon(t)
	clients := map[string]*http.Client{"": browser(t), "member": outboxLogin(t, d, "tom@example.com"), "mod": outboxLogin(t, d, "moderation@example.org")}
	thread := kitaThread(t, d)
	type foreign struct{ key, text string }
	var english, german []foreign
	for _, k := range cat.Keys() {
		de, en := cat.T(i18n.German, k), cat.T(i18n.English, k)
		if de == en {
			continue
		}
		if len([]rune(en)) > 12 {
			english = append(english, foreign{k, en})
		}
		if len([]rune(de)) > 12 && strings.HasPrefix(k, "page.") {
			german = append(german, foreign{k, de})
		}
	}
	// English from outside the catalogue that pages once showed: Go's status texts
	// and the list domain's operator messages.
	for _, e := range []string{"Not Found", "Forbidden", "Bad Request", "Too Many Requests", "Internal Server Error",
		"is not a mail address", "not a postal code", "is not usable", ": must be "} {
		english = append(english, foreign{"(English outside the catalogue)", e})
	}
	for _, p := range demoPages(thread) {
		for _, lang := range []string{"de", "en"} {
			code, page := visit(t, d, clients, p, lang)
			if code != p.status {
				t.Errorf("%s (%s): status %d, want %d", p.name, lang, code, p.status)
			}
			text := html.UnescapeString(page)
			others := english
			if lang == "en" {
				others = german
				if strings.HasPrefix(p.path, "/outbox/") {
					continue // a copy is in its recipient's language
				}
			}
			for _, f := range others {
				if strings.Contains(text, f.text) {
					t.Errorf("%s (%s) holds %s %q", p.name, lang, f.key, f.text)
				}
			}
			if lang == "de" && !strings.Contains(page, `<html lang="de">`) {
				t.Errorf("%s: not a German page", p.name)
			}
		}
	}
}

// kitaThread is the id of the demo's Kita thread.
func kitaThread(t *testing.T, d *daemon) string {
	t.Helper()
	_, page := fetch(t, browser(t), "GET", d.httpBase+"/kita/", nil)
	m := regexp.MustCompile(`href="/kita/t/(\d+)">Kitaplatz`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no Kita thread:\n%s", page)
	}
	return m[1]
}

// TestDemoFreshClone: the demo's data come with the project alone. Its postal
// codes answer /beratung for central Berlin, the Kita list is open to search
// engines and the others are not, and the pages show what the banner promises.
func TestDemoFreshClone(t *testing.T) {
	t.Parallel()
	d := demoDaemon(t)
	c := browser(t)
	code, page := fetch(t, c, "GET", d.httpBase+"/beratung?plz=10115", nil)
	if code != 200 || !strings.Contains(page, "Familienberatung Mitte") || !strings.Contains(page, "TelefonSeelsorge") {
		t.Fatalf("/beratung?plz=10115: %d\n%s", code, page)
	}
	_, robots := fetch(t, c, "GET", d.httpBase+"/robots.txt", nil)
	if !strings.Contains(robots, "Allow: /kita/\n") || strings.Contains(robots, "umgang") || strings.Contains(robots, "unterhalt") ||
		!strings.HasSuffix(robots, "Disallow: /\n") {
		t.Errorf("robots.txt:\n%s", robots)
	}
	if _, page := fetch(t, c, "GET", d.httpBase+"/unterhalt/", nil); !strings.Contains(page, `<meta name="robots" content="noindex">`) {
		t.Error("a list without indexing has no robots noindex")
	}
	if _, page := fetch(t, c, "GET", d.httpBase+"/kita/", nil); strings.Contains(page, `name="robots"`) {
		t.Error("the Kita list, indexing on, says noindex")
	}
	resp, err := c.Get(d.httpBase + "/favicon.ico")
	if err != nil {
		t.Fatal(err)
	}
	var icon bytes.Buffer
	icon.ReadFrom(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/svg+xml" || !strings.Contains(icon.String(), "<svg") {
		t.Errorf("favicon: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	// The moderator sees the held first post on /mod, as the banner says.
	mod := outboxLogin(t, d, "moderation@example.org")
	if _, page := fetch(t, mod, "GET", d.httpBase+"/mod", nil); !strings.Contains(page, "Übergabe am Wochenende") {
		t.Errorf("/mod lacks the held post:\n%s", page)
	}
}
