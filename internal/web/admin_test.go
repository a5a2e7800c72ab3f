package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/html"

	"listd/internal/lists"
	"listd/internal/store"
	"listd/internal/token"
	"listd/templates"
)

// withSiteAdmins is the list service with the site's admins named, as the list
// domain names them.
type withSiteAdmins struct {
	*lists.Service
	admins map[string]bool
}

func (w withSiteAdmins) IsSiteAdmin(ctx context.Context, address string) (bool, error) {
	return w.admins[strings.ToLower(address)], nil
}

func (w withSiteAdmins) ViewerOf(ctx context.Context, address string) (lists.Viewer, error) {
	if w.admins[strings.ToLower(address)] {
		return lists.SiteAdmin, nil
	}
	return w.Service.ViewerOf(ctx, address)
}

// adminEnv is a web server over a store with lists, members, held posts and a clock
// the test moves.
type adminEnv struct {
	t    *testing.T
	url  string
	db   *store.DB
	now  atomic.Int64 // offset from the real time, in nanoseconds
	held map[string]int64
}

const heldHTML = "From: Bea Beispiel <bea@example.net>\r\nTo: kita@lists.example.org\r\nSubject: Kitaplatz in Köln\r\nMessage-ID: <h1@example.net>\r\n" +
	"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" +
	"<p>Hallo, wer kennt eine <b>Kita</b>? Schreibt an bea@example.net</p><script>alert(1)</script><img src=\"https://tracker.example/x.png\">\r\n" +
	"--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"bea@example.net Lebenslauf.pdf\"\r\n\r\n%PDF-1.4\r\n--b--\r\n"

func newAdminEnv(t *testing.T) *adminEnv {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e := &adminEnv{t: t, db: db, held: map[string]int64{}}
	ids := map[string]int64{}
	for _, l := range []*store.List{
		{Name: "kita", Title: "Kita", Archive: "public", Moderation: "all"},
		{Name: "anon", Title: "Anonym", Archive: "members", Moderation: "all", Anonymous: true},
		{Name: "other", Archive: "private", Moderation: "all"},
	} {
		if err := db.CreateList(ctx, l); err != nil {
			t.Fatal(err)
		}
		ids[l.Name] = l.ID
	}
	for _, m := range []struct{ list, addr, role, name string }{
		{"kita", "mod@example.org", "moderator", ""}, {"anon", "mod@example.org", "moderator", ""},
		{"kita", "owner@example.org", "owner", ""}, {"anon", "owner@example.org", "owner", ""},
		{"kita", "anna@example.net", "member", "Anna"}, {"anon", "dora@example.net", "member", "Sonne"},
		{"other", "othermod@example.org", "moderator", ""},
	} {
		if _, err := db.ImportMembers(ctx, []*store.Member{{ListID: ids[m.list], Address: m.addr, Mode: "each", Role: m.role, Name: m.name}}); err != nil {
			t.Fatal(err)
		}
	}
	for _, h := range []struct {
		key, list, from, subject, reason, raw string
	}{
		{"html", "kita", "bea@example.net", "Kitaplatz in Köln", "first_post", heldHTML},
		{"anon", "anon", "dora@example.net", "Frage zum Umgang", "moderated",
			"From: Dora Echtname <dora@example.net>\r\nSubject: Frage zum Umgang\r\nMessage-ID: <h2@example.net>\r\n\r\nWie regelt ihr das?\r\n"},
		{"spam1", "kita", "spam@example.com", "Kredit sofort", "keyword\tkredit",
			"From: spam@example.com\r\nSubject: Kredit sofort\r\nMessage-ID: <s1@example.com>\r\n\r\nKredit!\r\n"},
		{"spam2", "kita", "spam@example.com", "Kredit jetzt", "non_member",
			"From: spam@example.com\r\nSubject: Kredit jetzt\r\nMessage-ID: <s2@example.com>\r\n\r\nKredit!\r\n"},
		{"other", "other", "x@example.com", "Anderswo", "moderated",
			"From: x@example.com\r\nSubject: Anderswo\r\nMessage-ID: <o1@example.com>\r\n\r\nHallo\r\n"},
	} {
		hp := &store.Held{ListID: ids[h.list], MessageID: "<" + h.key + "@x>", EnvFrom: h.from, FromAddr: h.from, Subject: h.subject,
			Raw: []byte(h.raw), ExpiresAt: time.Now().Add(24 * time.Hour)}
		// As the list domain keeps a reason: a code and its detail.
		hp.ReasonCode, hp.ReasonDetail, _ = strings.Cut(h.reason, "\t")
		if err := db.Update(ctx, func(tx *store.Tx) error { return tx.Hold(hp) }); err != nil {
			t.Fatal(err)
		}
		e.held[h.key] = hp.ID
	}
	signer := token.NewSigner([]byte("0123456789abcdef0123456789abcdef"), nil)
	svc, err := lists.New(db, signer, lists.Config{Domain: "lists.example.org", BaseURL: "http://127.0.0.1:8080", Language: "de",
		Templates: templates.FS(""), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	members := withSiteAdmins{svc, map[string]bool{"admin@example.org": true}}
	h, err := New(db, noRender{}, members, svc, svc, db, templates.FS(""), Config{Domain: "lists.example.org", Language: "de",
		Logger: slog.New(slog.DiscardHandler), Signer: signer, Now: func() time.Time { return time.Now().Add(time.Duration(e.now.Load())) },
		Lists: ListDomainOf(members)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	e.url = srv.URL
	return e
}

// later moves the server's clock d ahead of the real time.
func (e *adminEnv) later(d time.Duration) { e.now.Store(int64(d)) }

// client is a browser logged in as addr (a session made now), or a stranger for "".
func (e *adminEnv) client(addr string) *http.Client {
	e.t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if addr != "" {
		id := randomHex(32)
		if err := e.db.CreateSession(context.Background(), hashHex(id), addr, time.Now().Add(30*24*time.Hour)); err != nil {
			e.t.Fatal(err)
		}
		u, _ := url.Parse(e.url)
		jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: id}})
	}
	return c
}

func (e *adminEnv) do(c *http.Client, method, path string, form url.Values) (int, string) {
	e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, e.url+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf returns the form token of c's queue page.
func (e *adminEnv) csrf(c *http.Client) string {
	e.t.Helper()
	_, page := e.do(c, "GET", "/mod", nil)
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		_, page = e.do(c, "GET", "/login", nil)
		m = csrfField.FindStringSubmatch(page)
	}
	if m == nil {
		e.t.Fatalf("no CSRF token:\n%s", page)
	}
	return m[1]
}

func (e *adminEnv) state(key string) string {
	e.t.Helper()
	h, err := e.db.HeldByID(context.Background(), e.held[key])
	if err != nil {
		e.t.Fatal(err)
	}
	return h.State
}

func id(n int64) string { return strconv.FormatInt(n, 10) }

// forms returns the forms of a page, each as its submit buttons' name=value and its
// fields' names.
type formInfo struct {
	fields  map[string][]string // name: values of hidden and other inputs
	submits []string            // name=value of each submit button
	id      string
}

func pageForms(t *testing.T, page string) []formInfo {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	var out []formInfo
	var walk func(n *html.Node, f *formInfo)
	walk = func(n *html.Node, f *formInfo) {
		if n.Type == html.ElementNode {
			a := map[string]string{}
			for _, at := range n.Attr {
				a[at.Key] = at.Val
			}
			switch n.Data {
			case "form":
				out = append(out, formInfo{fields: map[string][]string{}, id: a["id"]})
				f = &out[len(out)-1]
				for c := n.FirstChild; c != nil; c = c.NextSibling {
					walk(c, f)
				}
				out[len(out)-1] = *f
				return
			case "input", "select", "textarea":
				if f != nil && a["form"] == "" {
					f.fields[a["name"]] = append(f.fields[a["name"]], a["value"])
				}
			case "button":
				if f != nil && (a["type"] == "" || a["type"] == "submit") {
					f.submits = append(f.submits, a["name"]+"="+a["value"])
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, f)
		}
	}
	walk(doc, nil)
	return out
}

// The queue renders each held post as the archive renders a message: script and
// remote images gone, addresses masked, attachments listed under masked names, the
// reason in the page's language; on an anonymous list the pseudonym and poster
// number, never the address.
func TestModQueueShowsHeldPosts(t *testing.T) {
	e := newAdminEnv(t)
	mod := e.client("mod@example.org")
	code, page := e.do(mod, "GET", "/mod", nil)
	if code != 200 {
		t.Fatalf("queue: %d\n%s", code, page)
	}
	for _, want := range []string{"wer kennt eine <b>Kita</b>", "Lebenslauf.pdf", "application/pdf", "erster Beitrag eines neuen Mitglieds",
		"enthält das Wort „kredit“", "Sonne · Absender Nr. ", "Wie regelt ihr das?", "auf der Liste wird jeder Beitrag moderiert"} {
		if !strings.Contains(page, want) {
			t.Errorf("queue lacks %q", want)
		}
	}
	for _, bad := range []string{"<script", `src="https://tracker.example`, "bea@example.net", "dora@example.net", "Dora Echtname", "Anderswo",
		"first post of a new member"} {
		if strings.Contains(page, bad) {
			t.Errorf("queue shows %q", bad)
		}
	}
	_, page = e.do(mod, "GET", "/mod?lang=en", nil)
	if !strings.Contains(page, "first post of a new member") || strings.Contains(page, "erster Beitrag") {
		t.Errorf("English queue: reason not in English")
	}
}

// Enter in the reason field submits the form it is in: that form's only submit is
// the rejection, and no form holding a reason field can approve.
func TestModRejectFormCannotApprove(t *testing.T) {
	e := newAdminEnv(t)
	mod := e.client("mod@example.org")
	_, page := e.do(mod, "GET", "/mod", nil)
	forms := pageForms(t, page)
	rejects := 0
	for _, f := range forms {
		if _, ok := f.fields["reason"]; !ok {
			continue
		}
		rejects++
		if len(f.submits) != 1 || strings.Contains(f.submits[0], "approve") || strings.Join(f.fields["do"], ",") != "reject" {
			t.Errorf("a reason's form submits %v with do=%v", f.submits, f.fields["do"])
		}
	}
	if rejects != 4 {
		t.Errorf("%d reject forms for 4 held posts", rejects)
	}
	// What a browser sends on Enter in the reason field: that form's fields.
	csrf := e.csrf(mod)
	code, page := e.do(mod, "POST", "/mod", url.Values{"csrf": {csrf}, "id": {id(e.held["html"])}, "do": {"reject"}, "preset": {""},
		"reason": {"Bitte ohne Adresse"}})
	if code != 200 || !strings.Contains(page, "Abgelehnt; die Absenderin/der Absender bekommt Ihre Begründung.") {
		t.Fatalf("reject: %d\n%s", code, page)
	}
	if s := e.state("html"); s != "rejected" {
		t.Errorf("state after reject: %s", s)
	}
	// A preset alone is the reason; approve, always and claim say who was told.
	for _, tc := range []struct {
		key, do, preset, want string
	}{
		{"spam1", "claim", "", "Übernommen"},
		{"spam1", "reject", "werbung", "Abgelehnt; die Absenderin/der Absender bekommt Ihre Begründung."},
		{"anon", "approve", "", "Freigegeben; der Beitrag geht an die Mitglieder der Liste."},
		{"spam2", "discard", "", "Verworfen; niemand wurde benachrichtigt."},
	} {
		code, page := e.do(mod, "POST", "/mod", url.Values{"csrf": {csrf}, "id": {id(e.held[tc.key])}, "do": {tc.do}, "preset": {tc.preset}})
		if code != 200 || !strings.Contains(page, tc.want) {
			t.Errorf("%s %s: %d, want %q", tc.do, tc.key, code, tc.want)
		}
	}
	if code, _ := e.do(mod, "POST", "/mod", url.Values{"csrf": {csrf}, "id": {id(e.held["html"])}, "do": {"approve"}}); code != 409 {
		t.Errorf("a second decision: %d", code)
	}
	// An out-of-office reply is never answered: the page says nobody was told.
	kita, _ := e.db.ListByName(context.Background(), "kita")
	auto := &store.Held{ListID: kita.ID, MessageID: "<auto@x>", EnvFrom: "anna@example.net", FromAddr: "anna@example.net", Subject: "Abwesend",
		Reason: "the list moderates every post", ExpiresAt: time.Now().Add(time.Hour),
		Raw: []byte("From: anna@example.net\r\nSubject: Abwesend\r\nAuto-Submitted: auto-replied\r\nMessage-ID: <auto@x>\r\n\r\nBin weg.\r\n")}
	if err := e.db.Update(context.Background(), func(tx *store.Tx) error { return tx.Hold(auto) }); err != nil {
		t.Fatal(err)
	}
	code, page = e.do(mod, "POST", "/mod", url.Values{"csrf": {csrf}, "id": {id(auto.ID)}, "do": {"reject"}, "reason": {"Nein"}})
	if code != 200 || !strings.Contains(page, "Abgelehnt; niemand wurde benachrichtigt") {
		t.Errorf("rejecting automatic mail: %d\n%s", code, page)
	}
}

// The spam form discards every checked post at once and tells nobody.
func TestModBulkDiscard(t *testing.T) {
	e := newAdminEnv(t)
	mod := e.client("mod@example.org")
	_, page := e.do(mod, "GET", "/mod", nil)
	var bulk *formInfo
	for _, f := range pageForms(t, page) {
		if f.id == "bulk" {
			bulk = &f
		}
	}
	if bulk == nil || len(bulk.submits) != 1 || strings.Join(bulk.fields["do"], "") != "discard" {
		t.Fatalf("bulk form: %+v", bulk)
	}
	if n := strings.Count(page, `name="ids"`); n != 4 {
		t.Errorf("%d checkboxes for 4 posts", n)
	}
	csrf := e.csrf(mod)
	code, page := e.do(mod, "POST", "/mod", url.Values{"csrf": {csrf}, "do": {"discard"}, "ids": {id(e.held["spam1"]), id(e.held["spam2"])}})
	if code != 200 || !strings.Contains(page, "2 Beiträge verworfen; niemand wurde benachrichtigt.") {
		t.Fatalf("bulk discard: %d\n%s", code, page)
	}
	for _, k := range []string{"spam1", "spam2"} {
		if s := e.state(k); s != "discarded" {
			t.Errorf("%s: %s", k, s)
		}
	}
	if s := e.state("html"); s != "held" {
		t.Errorf("an unchecked post: %s", s)
	}
	// One post of a list the moderator does not moderate spoils the whole request.
	code, _ = e.do(mod, "POST", "/mod", url.Values{"csrf": {csrf}, "do": {"discard"}, "ids": {id(e.held["html"]), id(e.held["other"])}})
	if code != 403 || e.state("html") != "held" || e.state("other") != "held" {
		t.Errorf("bulk with a foreign post: %d, %s, %s", code, e.state("html"), e.state("other"))
	}
	// Bulk is for discarding only.
	if code, _ := e.do(mod, "POST", "/mod", url.Values{"csrf": {csrf}, "do": {"approve"}, "ids": {id(e.held["html"])}}); code != 403 {
		t.Errorf("bulk approve: %d", code)
	}
}

// Every role sees only what it may: moderators of one list cannot touch another's
// posts, owners administer their lists only, site admins the site.
func TestAdminRoles(t *testing.T) {
	e := newAdminEnv(t)
	for _, tc := range []struct {
		who, path string
		status    int
	}{
		{"", "/admin/", 303},
		{"", "/kita/admin/", 303},
		{"anna@example.net", "/admin/", 403},
		{"anna@example.net", "/kita/admin/", 403},
		{"mod@example.org", "/kita/admin/", 403},
		{"mod@example.org", "/kita/admin/figures", 403},
		{"owner@example.org", "/kita/admin/", 200},
		{"owner@example.org", "/kita/admin/figures", 200},
		{"owner@example.org", "/anon/admin/figures", 200},
		{"owner@example.org", "/admin/", 403},
		{"owner@example.org", "/admin/figures", 403},
		{"owner@example.org", "/other/admin/", 404}, // a private list is not named to those not on it
		{"othermod@example.org", "/other/admin/", 403},
		{"admin@example.org", "/admin/", 200},
		{"admin@example.org", "/admin/figures", 200},
		{"owner@example.org", "/nosuch/admin/", 404},
	} {
		code, page := e.do(e.client(tc.who), "GET", tc.path, nil)
		if code != tc.status {
			t.Errorf("%s %s: %d, want %d", tc.who, tc.path, code, tc.status)
		}
		if code == 403 && !strings.Contains(page, "nur für die Verantwortlichen") {
			t.Errorf("%s %s: 403 without a sentence", tc.who, tc.path)
		}
	}
	// Settings link to the admin pages a viewer may open, and no others.
	_, prefs := e.do(e.client("owner@example.org"), "GET", "/prefs", nil)
	if !strings.Contains(prefs, `href="/kita/admin/"`) || !strings.Contains(prefs, `href="/anon/admin/"`) || strings.Contains(prefs, `href="/admin/"`) {
		t.Errorf("owner's settings lack the admin links")
	}
	_, prefs = e.do(e.client("mod@example.org"), "GET", "/prefs", nil)
	if strings.Contains(prefs, `/admin/"`) || !strings.Contains(prefs, `href="/mod"`) {
		t.Errorf("moderator's settings link to admin pages")
	}
	// A moderator of another list cannot decide on this one's posts.
	other := e.client("othermod@example.org")
	csrf := e.csrf(other)
	for _, do := range []string{"approve", "reject", "discard", "always", "claim", "reveal"} {
		if code, _ := e.do(other, "POST", "/mod", url.Values{"csrf": {csrf}, "id": {id(e.held["html"])}, "do": {do}}); code != 403 {
			t.Errorf("foreign moderator %s: %d", do, code)
		}
	}
	if s := e.state("html"); s != "held" {
		t.Errorf("after a foreign moderator: %s", s)
	}
}

// Every POST needs the form's CSRF token.
func TestAdminPostsNeedCSRF(t *testing.T) {
	e := newAdminEnv(t)
	mod := e.client("owner@example.org")
	e.csrf(mod) // the browser has its CSRF cookie
	for _, f := range []url.Values{
		{"id": {id(e.held["html"])}, "do": {"approve"}},
		{"id": {id(e.held["html"])}, "do": {"reject"}, "reason": {"x"}},
		{"id": {id(e.held["html"])}, "do": {"discard"}},
		{"id": {id(e.held["html"])}, "do": {"always"}},
		{"id": {id(e.held["html"])}, "do": {"claim"}},
		{"id": {id(e.held["anon"])}, "do": {"reveal"}},
		{"ids": {id(e.held["spam1"])}, "do": {"discard"}},
		{"id": {id(e.held["html"])}, "do": {"approve"}, "csrf": {"forged"}},
	} {
		code, page := e.do(mod, "POST", "/mod", f)
		if code != 403 || !strings.Contains(page, "Formular") {
			t.Errorf("POST %v without a valid token: %d", f, code)
		}
	}
	if code, _ := e.do(mod, "POST", "/login", url.Values{"address": {"owner@example.org"}, "next": {"/admin/"}}); code != 403 {
		t.Errorf("login form without token: %d", code)
	}
	if s := e.state("html"); s != "held" {
		t.Errorf("after forged posts: %s", s)
	}
}

// A login older than 12 hours opens no admin page; it asks for a new link, in the
// reader's language, that leads back to the page.
func TestAdminStaleSession(t *testing.T) {
	e := newAdminEnv(t)
	owner := e.client("owner@example.org")
	if code, _ := e.do(owner, "GET", "/kita/admin/", nil); code != 200 {
		t.Fatalf("fresh login: %d", code)
	}
	e.later(13 * time.Hour)
	code, page := e.do(owner, "GET", "/kita/admin/figures", nil)
	if code != 403 || !strings.Contains(page, "Bitte neu anmelden") || !strings.Contains(page, `name="next" value="/kita/admin/figures"`) ||
		strings.Contains(page, "<svg") {
		t.Fatalf("stale login: %d\n%s", code, page)
	}
	code, page = e.do(owner, "GET", "/kita/admin/?lang=en", nil)
	if code != 403 || !strings.Contains(page, "Please log in again") || strings.Contains(page, "Bitte neu") {
		t.Errorf("stale login, English: %d", code)
	}
	// Asking for the link keeps where it leads, on this site only.
	csrf := csrfField.FindStringSubmatch(page)[1]
	req, _ := http.NewRequest("POST", e.url+"/login", strings.NewReader(url.Values{"csrf": {csrf}, "address": {"owner@example.org"},
		"next": {"/kita/admin/"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := owner.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	u, _ := url.Parse(e.url)
	next := ""
	for _, c := range owner.Jar.Cookies(u) {
		if c.Name == nextCookie {
			next = c.Value
		}
	}
	if resp.StatusCode != 200 || next != "/kita/admin/" {
		t.Errorf("login link request: %d, next %q", resp.StatusCode, next)
	}
	for _, bad := range []string{"//evil.example/", "https://evil.example/", "/\\evil", "admin"} {
		if localPath(bad) != "" {
			t.Errorf("localPath(%q) let it through", bad)
		}
	}
}

// Revealing a poster's address is the owners' and needs a login younger than ten
// minutes; moderators never see it.
func TestRevealPosterAddress(t *testing.T) {
	e := newAdminEnv(t)
	anon := id(e.held["anon"])
	mod := e.client("mod@example.org")
	_, page := e.do(mod, "GET", "/mod", nil)
	if strings.Contains(page, `value="reveal"`) {
		t.Errorf("a moderator is offered the address")
	}
	if code, page := e.do(mod, "POST", "/mod", url.Values{"csrf": {e.csrf(mod)}, "id": {anon}, "do": {"reveal"}}); code != 403 ||
		strings.Contains(page, "dora@example.net") {
		t.Errorf("moderator reveal: %d", code)
	}
	owner := e.client("owner@example.org")
	csrf := e.csrf(owner)
	code, page := e.do(owner, "POST", "/mod", url.Values{"csrf": {csrf}, "id": {anon}, "do": {"reveal"}})
	if code != 200 || !strings.Contains(page, "dora@example.net") {
		t.Fatalf("owner reveal with a fresh login: %d\n%s", code, page)
	}
	if strings.Count(page, "@example.net") != 1 {
		t.Errorf("the page shows more addresses than the one asked for")
	}
	// The reveal is in the audit log, under the owner, naming no address.
	es, err := e.db.AuditLog(context.Background(), store.AuditQuery{})
	if err != nil || len(es) == 0 || es[0].Action != "member-reveal" || es[0].Actor != "owner@example.org" ||
		strings.Contains(es[0].Detail, "dora@") {
		t.Errorf("audit after the reveal: %+v %v", es, err)
	}
	e.later(11 * time.Minute)
	code, page = e.do(owner, "POST", "/mod", url.Values{"csrf": {csrf}, "id": {anon}, "do": {"reveal"}})
	if code != 403 || strings.Contains(page, "dora@example.net") || !strings.Contains(page, "frische Anmeldung") {
		t.Errorf("owner reveal with an older login: %d\n%s", code, page)
	}
}

// The figures pages: a chart, the same numbers as a table, CSV; small counts as <5.
func TestFiguresPages(t *testing.T) {
	e := newAdminEnv(t)
	owner := e.client("owner@example.org")
	code, page := e.do(owner, "GET", "/kita/admin/figures", nil)
	if code != 200 || !strings.Contains(page, `role="img"`) || !strings.Contains(page, "<title id=\"chart-readers-title\">") ||
		!strings.Contains(page, "<table>") || !strings.Contains(page, "&lt;5") || strings.Contains(page, "Beratungssuchen") {
		t.Fatalf("list figures: %d\n%s", code, page)
	}
	for _, bad := range []string{"@example", "/anon/", ">anon<"} {
		if strings.Contains(page, bad) {
			t.Errorf("list figures name %q", bad)
		}
	}
	resp, err := owner.Get(e.url + "/kita/admin/figures?format=csv")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	csv := string(b)
	if resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" || !strings.HasPrefix(csv, "figure,list,month_or_mode,count\n") ||
		!strings.Contains(csv, "readers,kita,each,<5\n") || strings.Contains(csv, ",anon,") {
		t.Errorf("CSV: %s\n%s", resp.Header.Get("Content-Type"), csv)
	}
	admin := e.client("admin@example.org")
	code, page = e.do(admin, "GET", "/admin/figures?lang=en", nil)
	if code != 200 || !strings.Contains(page, "Counselling searches") || !strings.Contains(page, "anon") || !strings.Contains(page, "kita") {
		t.Errorf("site figures: %d", code)
	}
	if code, _ := e.do(admin, "GET", "/admin/figures?since=13-2026", nil); code != 400 {
		t.Errorf("bad month: %d", code)
	}
}

// A total is never exact when a cell of its column is shown as <5: the difference
// would give the small cell away.
func TestFigureTotalsHideSmallCells(t *testing.T) {
	e := newAdminEnv(t)
	_, page := e.do(e.client("admin@example.org"), "GET", "/admin/figures", nil)
	start := strings.Index(page, `id="fig-readers"`)
	end := strings.Index(page, `id="fig-joined"`)
	if start < 0 || end < start {
		t.Fatalf("no readers figure:\n%s", page)
	}
	readers := page[start:end]
	// kita, anon (3 readers each) and other (1) are each <5; their sum, 7, is not shown.
	if strings.Count(readers, "<td>&lt;5</td>") != 3 || !strings.Contains(readers, "<td>≥3</td>") || strings.Contains(readers, ">7<") {
		t.Errorf("readers:\n%s", readers)
	}
}

// A decision that came too late names who decided first; on an anonymous list by
// poster number, never by the other moderator's address.
func TestModAlreadyDecidedNamesNoAddress(t *testing.T) {
	e := newAdminEnv(t)
	l, _ := e.db.ListByName(context.Background(), "anon")
	if _, err := e.db.ImportMembers(context.Background(), []*store.Member{{ListID: l.ID, Address: "mod2@hidden.example", Mode: "each", Role: "moderator"}}); err != nil {
		t.Fatal(err)
	}
	mod2 := e.client("mod2@hidden.example")
	if code, page := e.do(mod2, "POST", "/mod", url.Values{"csrf": {e.csrf(mod2)}, "id": {id(e.held["anon"])}, "do": {"discard"}}); code != 200 {
		t.Fatalf("first decision: %d\n%s", code, page)
	}
	mod := e.client("mod@example.org")
	code, page := e.do(mod, "POST", "/mod", url.Values{"csrf": {e.csrf(mod)}, "id": {id(e.held["anon"])}, "do": {"approve"}})
	if code != http.StatusConflict || strings.Contains(page, "hidden.example") || !strings.Contains(page, "Schon erledigt von") {
		t.Errorf("late decision on an anonymous list: %d\n%s", code, page)
	}
	// On a list that is not anonymous moderators see who decided.
	k, _ := e.db.ListByName(context.Background(), "kita")
	if _, err := e.db.ImportMembers(context.Background(), []*store.Member{{ListID: k.ID, Address: "mod2@hidden.example", Mode: "each", Role: "moderator"}}); err != nil {
		t.Fatal(err)
	}
	e.do(mod2, "POST", "/mod", url.Values{"csrf": {e.csrf(mod2)}, "id": {id(e.held["spam1"])}, "do": {"discard"}})
	if _, page := e.do(mod, "POST", "/mod", url.Values{"csrf": {e.csrf(mod)}, "id": {id(e.held["spam1"])}, "do": {"discard"}}); !strings.Contains(page, "mod2@hidden.example") {
		t.Errorf("late decision on a list that is not anonymous does not say who")
	}
}
