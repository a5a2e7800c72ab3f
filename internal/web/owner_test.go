package web

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"listd/internal/i18n"
	"listd/internal/store"
	"listd/templates"
)

// ownerEnv is the admin test site with a site admin the list domain knows and an
// owner of another list.
func newOwnerEnv(t *testing.T) *adminEnv {
	t.Helper()
	e := newAdminEnv(t)
	ctx := context.Background()
	if err := e.db.AddSiteAdmin(ctx, "admin@example.org"); err != nil {
		t.Fatal(err)
	}
	other, err := e.db.ListByName(ctx, "other")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.ImportMembers(ctx, []*store.Member{{ListID: other.ID, Address: "otherowner@example.org", Mode: "each", Role: "owner"}}); err != nil {
		t.Fatal(err)
	}
	return e
}

// formOf returns the CSRF token of the page at path as c sees it.
func (e *adminEnv) formOf(c *http.Client, path string) string {
	e.t.Helper()
	code, page := e.do(c, "GET", path, nil)
	m := csrfField.FindStringSubmatch(page)
	if code != 200 || m == nil {
		e.t.Fatalf("GET %s: %d, no form token\n%s", path, code, page)
	}
	return m[1]
}

func (e *adminEnv) member(list, addr string) *store.Member {
	e.t.Helper()
	l, err := e.db.ListByName(context.Background(), list)
	if err != nil {
		e.t.Fatal(err)
	}
	m, err := e.db.Member(context.Background(), l.ID, addr)
	if err != nil {
		return nil
	}
	return m
}

// Every owner page is for the list's owners and the site admins only.
func TestOwnerPagesRoles(t *testing.T) {
	e := newOwnerEnv(t)
	for _, path := range []string{"/kita/admin/settings", "/kita/admin/members", "/kita/admin/members/anna@example.net",
		"/kita/admin/bans", "/kita/admin/audit", "/kita/admin/members.csv"} {
		for _, tc := range []struct {
			who    string
			status int
		}{
			{"", 303}, {"anna@example.net", 403}, {"mod@example.org", 403}, {"otherowner@example.org", 403},
			{"owner@example.org", 200}, {"admin@example.org", 200},
		} {
			code, _ := e.do(e.client(tc.who), "GET", path, nil)
			if code != tc.status {
				t.Errorf("%q GET %s: %d, want %d", tc.who, path, code, tc.status)
			}
		}
	}
	// A private list is not named to the owner of another.
	if code, _ := e.do(e.client("owner@example.org"), "GET", "/other/admin/members", nil); code != 404 {
		t.Errorf("owner of kita on other's members: %d", code)
	}
	// Deleting a list is the site admins' alone.
	for who, want := range map[string]int{"owner@example.org": 403, "admin@example.org": 200, "anna@example.net": 403} {
		if code, _ := e.do(e.client(who), "GET", "/kita/admin/delete", nil); code != want {
			t.Errorf("%s GET delete: %d, want %d", who, code, want)
		}
	}
	// The overview links to the pages.
	_, page := e.do(e.client("owner@example.org"), "GET", "/kita/admin/", nil)
	for _, p := range []string{"settings", "members", "bans", "audit"} {
		if !strings.Contains(page, `href="/kita/admin/`+p) {
			t.Errorf("overview lacks a link to %s", p)
		}
	}
}

// Every POST needs the form's token, and a forged one changes nothing.
func TestOwnerPostsNeedCSRF(t *testing.T) {
	e := newOwnerEnv(t)
	for _, who := range []string{"owner@example.org", "admin@example.org"} {
		c := e.client(who)
		e.formOf(c, "/kita/admin/members") // the browser has its CSRF cookie
		for _, tc := range []struct {
			path string
			f    url.Values
		}{
			{"/kita/admin/settings", url.Values{"title": {"Gekapert"}}},
			{"/kita/admin/members", url.Values{"address": {"neu@example.net"}, "mode": {"each"}, "role": {"owner"}}},
			{"/kita/admin/members/anna@example.net", url.Values{"do": {"set"}, "mode": {"nomail"}, "role": {"owner"}}},
			{"/kita/admin/members/anna@example.net", url.Values{"do": {"remove"}, "sure": {"yes"}}},
			{"/kita/admin/members/anna@example.net", url.Values{"do": {"reenable"}}},
			{"/kita/admin/bans", url.Values{"do": {"add"}, "what": {"@example.net"}}},
			{"/kita/admin/delete", url.Values{"confirm": {"kita"}}},
			{"/kita/admin/settings", url.Values{"title": {"Gekapert"}, "csrf": {"forged"}}},
		} {
			code, _ := e.do(c, "POST", tc.path, tc.f)
			if code != 403 {
				t.Errorf("%s POST %s %v without a token: %d", who, tc.path, tc.f, code)
			}
		}
		code, _ := e.upload(c, "/kita/admin/members/import", "", "email\nneu@example.net\n")
		if code != 403 {
			t.Errorf("%s import without a token: %d", who, code)
		}
	}
	l, _ := e.db.ListByName(context.Background(), "kita")
	if l.Title != "Kita" {
		t.Errorf("title after forged posts: %q", l.Title)
	}
	if m := e.member("kita", "anna@example.net"); m == nil || m.Mode != "each" || m.Role != "member" {
		t.Errorf("anna after forged posts: %+v", m)
	}
	if e.member("kita", "neu@example.net") != nil {
		t.Errorf("a forged add or import went through")
	}
}

// ownerSettingsForm is the settings form as a browser sends it: every field's value.
func ownerSettingsForm(t *testing.T, page string) url.Values {
	t.Helper()
	for _, f := range pageForms(t, page) {
		if _, ok := f.fields["retention"]; ok {
			v := url.Values{}
			for k, vs := range f.fields {
				v[k] = vs
			}
			return v
		}
	}
	t.Fatalf("no settings form:\n%s", page)
	return nil
}

var ownerSelected = regexp.MustCompile(`<select id="set-([a-z-]+)" name="[a-z-]+"[^>]*>.*?<option value="([^"]*)" selected>`)

// A bad value shows its error next to its field with everything typed kept, and
// nothing is saved; good values are saved in one go.
func TestOwnerSettingsForm(t *testing.T) {
	e := newOwnerEnv(t)
	c := e.client("owner@example.org")
	code, page := e.do(c, "GET", "/kita/admin/settings", nil)
	if code != 200 {
		t.Fatalf("settings: %d", code)
	}
	for _, want := range []string{`id="set-retention"`, `id="set-welcome-de"`, `<select id="set-archive"`, "Monate, die die Liste ihre Beiträge behält",
		`value="Kita"`} {
		if !strings.Contains(page, want) {
			t.Errorf("settings page lacks %q", want)
		}
	}
	f := ownerSettingsForm(t, page)
	// pageForms reads no select's choice: take the selected options.
	for _, m := range ownerSelected.FindAllStringSubmatch(page, -1) {
		f.Set(m[1], m[2])
	}
	f.Set("csrf", csrfField.FindStringSubmatch(page)[1])
	f.Set("title", "Kita neu")
	f.Set("retention", "zwölf")
	f.Set("welcome-de", "Hallo und willkommen!")
	code, page = e.do(c, "POST", "/kita/admin/settings", f)
	if code != 422 {
		t.Fatalf("bad retention: %d", code)
	}
	for _, want := range []string{`id="set-retention-error"`, `aria-describedby="set-retention-error"`, `value="zwölf"`, `value="Kita neu"`,
		"Hallo und willkommen!", "Dieser Wert geht nicht"} {
		if !strings.Contains(page, want) {
			t.Errorf("after a bad value the page lacks %q", want)
		}
	}
	l, _ := e.db.ListByName(context.Background(), "kita")
	if l.Title != "Kita" || l.WelcomeDE != "" {
		t.Errorf("a bad value saved the others: title %q, welcome %q", l.Title, l.WelcomeDE)
	}
	// The preview shows the texts as members get them and saves nothing.
	f.Set("retention", "12")
	f.Set("do", "preview")
	code, page = e.do(c, "POST", "/kita/admin/settings", f)
	if code != 200 || !strings.Contains(page, "So sehen Mitglieder die Texte") || strings.Count(page, "Hallo und willkommen!") < 3 ||
		!strings.Contains(page, "Willkommen bei") || !strings.Contains(page, "Welcome to") {
		t.Errorf("preview: %d", code)
	}
	if l, _ := e.db.ListByName(context.Background(), "kita"); l.Title != "Kita" {
		t.Errorf("the preview saved")
	}
	f.Set("do", "save")
	code, page = e.do(c, "POST", "/kita/admin/settings?lang=en", f)
	if code != 200 || !strings.Contains(page, "The settings are saved.") {
		t.Fatalf("save: %d\n%s", code, page)
	}
	l, _ = e.db.ListByName(context.Background(), "kita")
	if l.Title != "Kita neu" || l.RetentionMonths != 12 || l.WelcomeDE != "Hallo und willkommen!" || l.Archive != "public" {
		t.Errorf("saved: %+v", l)
	}
	es, err := e.db.AuditLog(context.Background(), store.AuditQuery{ListID: l.ID})
	if err != nil || len(es) == 0 || es[0].Action != "list-set" || es[0].Actor != "owner@example.org" {
		t.Errorf("audit after save: %+v %v", es, err)
	}
}

// upload posts a CSV file to path as a browser's multipart form.
func (e *adminEnv) upload(c *http.Client, path, csrf, csv string) (int, string) {
	e.t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	if csrf != "" {
		w.WriteField("csrf", csrf)
	}
	w.WriteField("mode", "each")
	fw, _ := w.CreateFormFile("file", "mitglieder.csv")
	io.WriteString(fw, csv)
	w.Close()
	req, _ := http.NewRequest("POST", e.url+path, &b)
	req.Header.Set("Content-Type", w.FormDataContentType())
	resp, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// A CSV with one bad line imports nothing and names the line; a good one (a
// spreadsheet's: BOM, semicolons) imports all; the export gives them back.
func TestOwnerImportExport(t *testing.T) {
	e := newOwnerEnv(t)
	c := e.client("owner@example.org")
	csrf := e.formOf(c, "/kita/admin/members")
	bad := "\ufeffE-Mail;Name;PLZ\r\nneu1@example.net;Neu Eins;10115\r\nkein-at-zeichen;Zwei;\r\nneu3@example.net;;12345\r\n"
	code, page := e.upload(c, "/kita/admin/members/import", csrf, bad)
	if code != 422 || !strings.Contains(page, "Zeile 3") || !strings.Contains(page, "Das ist keine Mailadresse.") ||
		!strings.Contains(page, "nichts wurde eingetragen") {
		t.Fatalf("bad import: %d\n%s", code, page)
	}
	if e.member("kita", "neu1@example.net") != nil {
		t.Fatalf("a bad file imported its good lines")
	}
	good := strings.Replace(bad, "kein-at-zeichen", "neu2@example.net", 1)
	code, page = e.upload(c, "/kita/admin/members/import?lang=en", csrf, good)
	if code != 200 || !strings.Contains(page, "Imported: 3 new, 0 were on the list already.") {
		t.Fatalf("good import: %d\n%s", code, page)
	}
	if m := e.member("kita", "neu1@example.net"); m == nil || m.Name != "Neu Eins" || m.Postal != "10115" {
		t.Errorf("imported: %+v", m)
	}
	resp, err := c.Get(e.url + "/kita/admin/members.csv")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") ||
		!strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") ||
		!strings.HasPrefix(string(body), "email,name,mode,role,postal\r\n") || !strings.Contains(string(body), "neu1@example.net,Neu Eins,each,member,10115") {
		t.Errorf("export: %d %q\n%s", resp.StatusCode, resp.Header, body)
	}
}

// The member list pages by address, 50 at a time, and finds by a piece of the
// address or name.
func TestOwnerMembersPaging(t *testing.T) {
	e := newOwnerEnv(t)
	l, _ := e.db.ListByName(context.Background(), "kita")
	var ms []*store.Member
	for i := range 120 {
		ms = append(ms, &store.Member{ListID: l.ID, Address: fmt.Sprintf("p%03d@example.com", i), Mode: "digest", Role: "member"})
	}
	if _, err := e.db.ImportMembers(context.Background(), ms); err != nil {
		t.Fatal(err)
	}
	c := e.client("owner@example.org")
	seen := map[string]bool{}
	next := "/kita/admin/members"
	pages := 0
	link := regexp.MustCompile(`<a href="/kita/admin/members/([^"?]+)\?`)
	nextLink := regexp.MustCompile(`<a href="([^"]+)" rel="next">`)
	for next != "" && pages < 10 {
		code, page := e.do(c, "GET", next, nil)
		if code != 200 {
			t.Fatalf("GET %s: %d", next, code)
		}
		pages++
		n := 0
		for _, m := range link.FindAllStringSubmatch(page, -1) {
			if seen[m[1]] {
				t.Errorf("%s on two pages", m[1])
			}
			seen[m[1]] = true
			n++
		}
		if n > ownerMemberPageSize {
			t.Errorf("page %d has %d members", pages, n)
		}
		next = ""
		if m := nextLink.FindStringSubmatch(page); m != nil {
			next = strings.ReplaceAll(m[1], "&amp;", "&")
		}
	}
	if pages != 3 || len(seen) != 123 {
		t.Errorf("%d pages, %d members, want 3 and 123", pages, len(seen))
	}
	_, page := e.do(c, "GET", "/kita/admin/members?q=P11", nil)
	if n := len(link.FindAllString(page, -1)); n != 10 {
		t.Errorf("search p11: %d members, want 10", n)
	}
}

// A member's page changes mode and role, re-enables, and removes after asking once.
func TestOwnerMemberPage(t *testing.T) {
	e := newOwnerEnv(t)
	c := e.client("owner@example.org")
	path := "/kita/admin/members/anna@example.net"
	csrf := e.formOf(c, path)
	code, page := e.do(c, "POST", path, url.Values{"csrf": {csrf}, "do": {"set"}, "mode": {"digest"}, "role": {"moderator"}, "name": {"Anna B"},
		"postal": {"1234"}})
	if code != 422 || !strings.Contains(page, `id="postal-error"`) || !strings.Contains(page, `value="Anna B"`) {
		t.Errorf("bad postal: %d", code)
	}
	if m := e.member("kita", "anna@example.net"); m.Mode != "each" || m.Name != "Anna" {
		t.Errorf("a bad postal code saved the rest: %+v", m)
	}
	code, _ = e.do(c, "POST", path, url.Values{"csrf": {csrf}, "do": {"set"}, "mode": {"digest"}, "role": {"moderator"}, "name": {"Anna B"},
		"postal": {"12345"}})
	if m := e.member("kita", "anna@example.net"); code != 200 || m.Mode != "digest" || m.Role != "moderator" || m.Name != "Anna B" || m.Postal != "12345" {
		t.Errorf("set: %d %+v", code, m)
	}
	m := e.member("kita", "anna@example.net")
	m.DisabledAt, m.BounceScore, m.BounceReason = time.Now(), 5, "5.1.1 user unknown"
	if err := e.db.Update(context.Background(), func(tx *store.Tx) error { return tx.SaveMember(m) }); err != nil {
		t.Fatal(err)
	}
	_, page = e.do(c, "GET", path, nil)
	if !strings.Contains(page, "5.1.1 user unknown") || !strings.Contains(page, `value="reenable"`) {
		t.Errorf("bounce view lacks the record")
	}
	e.do(c, "POST", path, url.Values{"csrf": {csrf}, "do": {"reenable"}})
	if m := e.member("kita", "anna@example.net"); !m.DisabledAt.IsZero() || m.BounceScore != 0 {
		t.Errorf("after re-enable: %+v", m)
	}
	code, page = e.do(c, "POST", path, url.Values{"csrf": {csrf}, "do": {"remove"}})
	if code != 200 || !strings.Contains(page, "Wirklich von der Liste nehmen?") || e.member("kita", "anna@example.net") == nil {
		t.Fatalf("remove did not ask: %d", code)
	}
	e.do(c, "POST", path, url.Values{"csrf": {csrf}, "do": {"remove"}, "sure": {"yes"}})
	if e.member("kita", "anna@example.net") != nil {
		t.Errorf("not removed")
	}
	// Adding: directly, and a second time is an error at the field.
	add := url.Values{"csrf": {csrf}, "address": {"neu@example.net"}, "mode": {"each"}, "role": {"member"}}
	if code, page := e.do(c, "POST", "/kita/admin/members", add); code != 200 || !strings.Contains(page, "Das Mitglied ist eingetragen.") {
		t.Errorf("add: %d", code)
	}
	if code, page := e.do(c, "POST", "/kita/admin/members", add); code != 422 || !strings.Contains(page, `id="address-error"`) {
		t.Errorf("add twice: %d", code)
	}
}

// On an anonymous list the pages show no address: members by pseudonym and
// number, an address found only when typed in full.
func TestOwnerAnonymousListHidesAddresses(t *testing.T) {
	e := newOwnerEnv(t)
	c := e.client("owner@example.org")
	// A bounce's diagnostic quoting the address.
	dora := e.member("anon", "dora@example.net")
	dora.BounceScore, dora.BounceReason = 1, "5.1.1 <dora@example.net>: user unknown"
	if err := e.db.Update(context.Background(), func(tx *store.Tx) error { return tx.SaveMember(dora) }); err != nil {
		t.Fatal(err)
	}
	code, page := e.do(c, "GET", "/anon/admin/members", nil)
	if code != 200 || strings.Contains(page, "dora@example.net") || !strings.Contains(page, "Sonne") {
		t.Errorf("anonymous members page: %d", code)
	}
	_, page = e.do(c, "GET", "/anon/admin/members?q=dora", nil)
	if strings.Contains(page, "Sonne") {
		t.Errorf("a piece of an address found a member of an anonymous list")
	}
	_, page = e.do(c, "GET", "/anon/admin/members?q=Dora@Example.net", nil)
	m := regexp.MustCompile(`href="(/anon/admin/members/[0-9]+)\?`).FindStringSubmatch(page)
	if m == nil || strings.Contains(page, "dora@example.net") {
		t.Fatalf("the whole address did not find the member:\n%s", page)
	}
	code, page = e.do(c, "GET", m[1], nil)
	if code != 200 || strings.Contains(page, "dora@example.net") || !strings.Contains(page, "Sonne") || !strings.Contains(page, "user unknown") {
		t.Errorf("member page: %d\n%s", code, page)
	}
	if code, _ := e.do(c, "GET", "/anon/admin/members/dora@example.net", nil); code != 404 {
		t.Errorf("member page by address on an anonymous list: %d", code)
	}
	csrf := csrfField.FindStringSubmatch(page)[1]
	e.do(c, "POST", m[1], url.Values{"csrf": {csrf}, "do": {"set"}, "mode": {"nomail"}, "role": {"member"}, "name": {"Sonne"}})
	if mm := e.member("anon", "dora@example.net"); mm.Mode != "nomail" {
		t.Errorf("mode by number: %s", mm.Mode)
	}
	// The export names everyone: it asks for a fresh login.
	e.later(11 * time.Minute)
	if code, page := e.do(c, "GET", "/anon/admin/members.csv", nil); code != 403 || strings.Contains(page, "dora@example.net") {
		t.Errorf("export of an anonymous list with an old login: %d", code)
	}
}

// Bans: add an address or a domain, list, lift; bad input at the field.
func TestOwnerBans(t *testing.T) {
	e := newOwnerEnv(t)
	c := e.client("owner@example.org")
	csrf := e.formOf(c, "/kita/admin/bans")
	for _, what := range []string{"Eve+x@Example.org", "@spam.example"} {
		if code, page := e.do(c, "POST", "/kita/admin/bans", url.Values{"csrf": {csrf}, "do": {"add"}, "what": {what}}); code != 200 ||
			!strings.Contains(page, "Die Sperre ist eingetragen.") {
			t.Errorf("ban %s: %d", what, code)
		}
	}
	code, page := e.do(c, "POST", "/kita/admin/bans", url.Values{"csrf": {csrf}, "do": {"add"}, "what": {"kein zeichen"}})
	if code != 422 || !strings.Contains(page, `id="what-error"`) || !strings.Contains(page, `value="kein zeichen"`) {
		t.Errorf("bad ban: %d", code)
	}
	if !strings.Contains(page, "eve@example.org") || !strings.Contains(page, "@spam.example") {
		t.Errorf("bans not listed")
	}
	e.do(c, "POST", "/kita/admin/bans", url.Values{"csrf": {csrf}, "do": {"remove"}, "what": {"@spam.example"}})
	_, page = e.do(c, "GET", "/kita/admin/bans", nil)
	if strings.Contains(page, "@spam.example") {
		t.Errorf("ban not lifted")
	}
	// The audit log shows it all, newest first, without the address.
	_, page = e.do(c, "GET", "/kita/admin/audit", nil)
	if !strings.Contains(page, "ban-remove") || !strings.Contains(page, "ban-add") || strings.Index(page, "ban-remove") > strings.Index(page, "ban-add") ||
		strings.Contains(page, "eve@example.org") {
		t.Errorf("audit page:\n%s", page)
	}
}

// The audit log pages, newest first.
func TestOwnerAuditPaging(t *testing.T) {
	e := newOwnerEnv(t)
	l, _ := e.db.ListByName(context.Background(), "kita")
	for i := range 60 {
		if err := e.db.Audit(context.Background(), &store.AuditEntry{ListID: l.ID, ListName: "kita", Actor: "cli", Action: "list-set",
			Detail: fmt.Sprintf("eintrag-%02d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	c := e.client("owner@example.org")
	_, page := e.do(c, "GET", "/kita/admin/audit", nil)
	m := regexp.MustCompile(`<a href="([^"]+)" rel="next">`).FindStringSubmatch(page)
	if !strings.Contains(page, "eintrag-59") || strings.Contains(page, "eintrag-09") || m == nil {
		t.Fatalf("first audit page wrong")
	}
	_, page = e.do(c, "GET", strings.ReplaceAll(m[1], "&amp;", "&"), nil)
	if !strings.Contains(page, "eintrag-09") || !strings.Contains(page, "eintrag-00") || strings.Contains(page, "eintrag-10") {
		t.Errorf("second audit page wrong")
	}
}

// Deleting a list: the site admin's, the name typed again, a login younger than
// ten minutes.
func TestOwnerDeleteList(t *testing.T) {
	e := newOwnerEnv(t)
	c := e.client("admin@example.org")
	csrf := e.formOf(c, "/kita/admin/delete")
	if code, _ := e.do(c, "POST", "/kita/admin/delete", url.Values{"csrf": {csrf}, "confirm": {"kit"}}); code != 422 {
		t.Errorf("wrong name: %d", code)
	}
	e.later(11 * time.Minute)
	code, page := e.do(c, "POST", "/kita/admin/delete", url.Values{"csrf": {csrf}, "confirm": {"kita"}})
	if code != 403 || !strings.Contains(page, `name="next" value="/kita/admin/delete"`) {
		t.Errorf("old login: %d", code)
	}
	if _, err := e.db.ListByName(context.Background(), "kita"); err != nil {
		t.Fatalf("deleted with an old login: %v", err)
	}
	e.later(0)
	code, page = e.do(c, "POST", "/kita/admin/delete", url.Values{"csrf": {csrf}, "confirm": {"kita"}})
	if code != 200 || !strings.Contains(page, "Die Liste ist gelöscht") {
		t.Fatalf("delete: %d\n%s", code, page)
	}
	if _, err := e.db.ListByName(context.Background(), "kita"); err == nil {
		t.Errorf("list still there")
	}
}

// The owner pages speak the reader's language alone: a German page holds no
// English text of the catalogue and an English one no German page text.
func TestOwnerPagesSpeakOneLanguage(t *testing.T) {
	e := newOwnerEnv(t)
	cat, err := i18n.Load(templates.FS(""))
	if err != nil {
		t.Fatal(err)
	}
	var english, german []string
	for _, k := range cat.Keys() {
		de, en := cat.T(i18n.German, k), cat.T(i18n.English, k)
		if de == en {
			continue
		}
		if len([]rune(en)) > 12 {
			english = append(english, en)
		}
		if len([]rune(de)) > 12 && strings.HasPrefix(k, "page.") {
			german = append(german, de)
		}
	}
	c := e.client("admin@example.org")
	csrf := e.formOf(c, "/kita/admin/members")
	// A page with errors and results too.
	e.do(c, "POST", "/kita/admin/bans", url.Values{"csrf": {csrf}, "do": {"add"}, "what": {"@spam.example"}})
	for _, lang := range []string{"de", "en"} {
		others := english
		if lang == "en" {
			others = german
		}
		for _, p := range []struct {
			method, path string
			form         url.Values
		}{
			{"GET", "/kita/admin/", nil}, {"GET", "/kita/admin/settings", nil}, {"GET", "/kita/admin/members", nil},
			{"GET", "/kita/admin/members/anna@example.net", nil}, {"GET", "/kita/admin/bans", nil}, {"GET", "/kita/admin/audit", nil},
			{"GET", "/kita/admin/delete", nil}, {"GET", "/anon/admin/members", nil},
			{"POST", "/kita/admin/settings", url.Values{"csrf": {csrf}, "retention": {"x"}, "do": {"save"}}}, // (a preview shows the mails of both languages)
			{"POST", "/kita/admin/members", url.Values{"csrf": {csrf}, "address": {"x"}, "role": {"x"}, "mode": {"x"}, "postal": {"1"}}},
			{"POST", "/kita/admin/members/anna@example.net", url.Values{"csrf": {csrf}, "do": {"remove"}}},
			{"POST", "/kita/admin/bans", url.Values{"csrf": {csrf}, "do": {"add"}, "what": {"x"}}},
			{"POST", "/kita/admin/delete", url.Values{"csrf": {csrf}, "confirm": {"x"}}},
		} {
			code, page := e.do(c, p.method, p.path+"?lang="+lang, p.form)
			if code >= 500 || code == 403 {
				t.Errorf("%s %s (%s): %d", p.method, p.path, lang, code)
			}
			text := html.UnescapeString(page)
			for _, f := range others {
				if strings.Contains(text, f) {
					t.Errorf("%s %s (%s) holds %q", p.method, p.path, lang, f)
				}
			}
		}
	}
}

// A member's page by number opens only members of that list.
func TestOwnerMemberByNumberStaysOnItsList(t *testing.T) {
	e := newOwnerEnv(t)
	c := e.client("owner@example.org")
	anna := e.member("kita", "anna@example.net")
	if code, _ := e.do(c, "GET", fmt.Sprintf("/anon/admin/members/%d", anna.ID), nil); code != 404 {
		t.Errorf("kita's member on anon's page: %d", code)
	}
	if code, page := e.do(c, "GET", fmt.Sprintf("/kita/admin/members/%d", anna.ID), nil); code != 200 || !strings.Contains(page, "anna@example.net") {
		t.Errorf("kita's member by number: %d", code)
	}
	for _, key := range []string{"0", "999999", "x", "-1"} {
		if code, _ := e.do(c, "GET", "/anon/admin/members/"+key, nil); code != 404 {
			t.Errorf("member %q: %d", key, code)
		}
	}
}

// The members' pages of an anonymous list are paged without an address in the
// link, and a search by a piece of an address tells nothing by its paging.
func TestOwnerAnonymousPagingHidesAddresses(t *testing.T) {
	e := newOwnerEnv(t)
	l, _ := e.db.ListByName(context.Background(), "anon")
	var ms []*store.Member
	for i := range 120 {
		name := ""
		if i%2 == 0 {
			name = fmt.Sprintf("Mond %03d", i)
		}
		ms = append(ms, &store.Member{ListID: l.ID, Address: fmt.Sprintf("p%03d@hidden.example", i), Name: name, Mode: "digest", Role: "member"})
	}
	if _, err := e.db.ImportMembers(context.Background(), ms); err != nil {
		t.Fatal(err)
	}
	c := e.client("owner@example.org")
	link := regexp.MustCompile(`<a href="/anon/admin/members/([^"?]+)\?`)
	nextLink := regexp.MustCompile(`<a href="([^"]+)" rel="next">`)
	walk := func(start string) (int, int) {
		seen := map[string]bool{}
		next, pages := start, 0
		for next != "" && pages < 10 {
			code, page := e.do(c, "GET", next, nil)
			if code != 200 {
				t.Fatalf("GET %s: %d", next, code)
			}
			if strings.Contains(page, "hidden.example") {
				t.Errorf("GET %s names a member's address:\n%s", next, page)
			}
			pages++
			for _, m := range link.FindAllStringSubmatch(page, -1) {
				if seen[m[1]] {
					t.Errorf("%s on two pages", m[1])
				}
				seen[m[1]] = true
			}
			next = ""
			if m := nextLink.FindStringSubmatch(page); m != nil {
				next = html.UnescapeString(m[1])
			}
		}
		return pages, len(seen)
	}
	if pages, n := walk("/anon/admin/members"); pages != 3 || n < 120 {
		t.Errorf("%d pages, %d members, want 3 and all", pages, n)
	}
	// A piece of the addresses finds nobody, and no further page either.
	if pages, n := walk("/anon/admin/members?q=hidden"); pages != 1 || n != 0 {
		t.Errorf("search by a piece of the addresses: %d pages, %d members", pages, n)
	}
	// A piece of the names pages through the names only.
	if pages, n := walk("/anon/admin/members?q=mond"); pages != 2 || n != 60 {
		t.Errorf("search by name: %d pages, %d members, want 2 and 60", pages, n)
	}
}

// Pages that name members (the admin area, the moderation queue) are kept in no
// cache: a shared family computer's browser must not hand them out after the fact.
func TestAdminPagesAreNotStored(t *testing.T) {
	e := newOwnerEnv(t)
	for _, tc := range []struct{ who, path string }{
		{"owner@example.org", "/kita/admin/"},
		{"owner@example.org", "/kita/admin/members"},
		{"owner@example.org", "/kita/admin/members/anna@example.net"},
		{"owner@example.org", "/kita/admin/audit"},
		{"owner@example.org", "/kita/admin/figures?format=csv"},
		{"admin@example.org", "/admin/"},
		{"admin@example.org", "/admin/audit"},
		{"mod@example.org", "/mod"},
	} {
		req, _ := http.NewRequest("GET", e.url+tc.path, nil)
		resp, err := e.client(tc.who).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Cache-Control"), "no-store") {
			t.Errorf("%s GET %s: %d, Cache-Control %q", tc.who, tc.path, resp.StatusCode, resp.Header.Get("Cache-Control"))
		}
	}
}

// On an anonymous list the audit log names the moderators and owners who acted by
// their poster number, as the members page does, not by their address.
func TestOwnerAuditAnonymousNamesNoAddress(t *testing.T) {
	e := newOwnerEnv(t)
	l, _ := e.db.ListByName(context.Background(), "anon")
	for _, actor := range []string{"helper@hidden.example", "cli"} {
		if err := e.db.Audit(context.Background(), &store.AuditEntry{ListID: l.ID, ListName: "anon", Actor: actor, Action: "moderate",
			Detail: "discard held #1 from poster ABCDEF"}); err != nil {
			t.Fatal(err)
		}
	}
	code, page := e.do(e.client("owner@example.org"), "GET", "/anon/admin/audit", nil)
	if code != 200 || strings.Contains(page, "hidden.example") || !strings.Contains(page, "<td>cli</td>") {
		t.Errorf("audit log of an anonymous list: %d\n%s", code, page)
	}
	// Elsewhere the log names who acted.
	k, _ := e.db.ListByName(context.Background(), "kita")
	e.db.Audit(context.Background(), &store.AuditEntry{ListID: k.ID, ListName: "kita", Actor: "helper@hidden.example", Action: "moderate"})
	if _, page := e.do(e.client("owner@example.org"), "GET", "/kita/admin/audit", nil); !strings.Contains(page, "helper@hidden.example") {
		t.Errorf("audit log of a list that is not anonymous lost the actor")
	}
}
