package web

import (
	"bytes"
	"context"
	"html"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"listd/internal/counsel"
	"listd/internal/i18n"
	"listd/internal/lists"
	"listd/internal/token"
	"listd/templates"
)

// withCounsel serves e's store again with the counselling directory's pages, and
// returns the directory the server answers from.
func (e *adminEnv) withCounsel() *counsel.Live {
	e.t.Helper()
	signer := token.NewSigner([]byte("0123456789abcdef0123456789abcdef"), nil)
	svc, err := lists.New(e.db, signer, lists.Config{Domain: "lists.example.org", BaseURL: "http://127.0.0.1:8080", Language: "de",
		Templates: templates.FS(""), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		e.t.Fatal(err)
	}
	// A version check far in the future: only Reload, as after an upload, shows a change.
	live := counsel.NewLive(e.db, counsel.LiveOptions{CheckEvery: time.Hour, Logger: slog.New(slog.DiscardHandler)})
	members := withSiteAdmins{svc, map[string]bool{"admin@example.org": true}}
	h, err := New(e.db, noRender{}, members, svc, svc, e.db, templates.FS(""),
		Config{Domain: "lists.example.org", Language: "de", Logger: slog.New(slog.DiscardHandler), Signer: signer,
			CounselStore: e.db, CounselLive: live, Lists: ListDomainOf(members)})
	if err != nil {
		e.t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	e.t.Cleanup(srv.Close)
	e.url = srv.URL
	return live
}

// uploadCounsel posts a file to /admin/beratung as the form does.
func (e *adminEnv) uploadCounsel(c *http.Client, tok, do, name string, content []byte) (int, string) {
	e.t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	if tok != "" {
		mw.WriteField("csrf", tok)
	}
	mw.WriteField("do", do)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(content)
	mw.Close()
	req, _ := http.NewRequest("POST", e.url+"/admin/beratung?lang=de", &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	page, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(page)
}

const goodCenters = "name,postal_code,city,topics,online,nationwide\r\nBeratung Mitte,10115,Berlin,Unterhalt;Umgang,no,no\r\nHotline,,,Krise,yes,yes\r\n"

// TestSiteCounsel: a centres file with a bad line imports nothing and names every
// bad line; a good one replaces the directory and the running server finds its
// centres at once; one centre is edited by the file's rules; the export reads back.
func TestSiteCounsel(t *testing.T) {
	e := newAdminEnv(t)
	live := e.withCounsel()
	ctx := context.Background()
	for _, who := range []string{"owner@example.org", "anna@example.net"} {
		for _, p := range []string{"/admin/beratung", "/admin/beratung/export", "/admin/beratung/1"} {
			if code, _ := e.do(e.client(who), "GET", p, nil); code != http.StatusForbidden {
				t.Errorf("%s GET %s: %d, want 403", who, p, code)
			}
		}
	}
	c := e.client("admin@example.org")
	tok := e.csrf(c)
	if code, _ := e.uploadCounsel(c, "", "centers", "a.csv", []byte(goodCenters)); code != http.StatusForbidden {
		t.Errorf("upload without the token: %d", code)
	}
	bad, err := os.ReadFile("../counsel/testdata/centers_broken.csv")
	if err != nil {
		t.Fatal(err)
	}
	_, want := counsel.ParseCenters(bytes.NewReader(bad), "x")
	code, page := e.uploadCounsel(c, tok, "centers", "kaputt.csv", bad)
	if code != http.StatusBadRequest || len(want) < 2 {
		t.Fatalf("broken file: %d, %d problems", code, len(want))
	}
	// A German admin reads every problem in German, none in English.
	for _, p := range want {
		de, en := p.Text(nil, i18n.German), p.Reason()
		if !strings.Contains(page, "Zeile "+strconv.Itoa(p.Line)) || !strings.Contains(html.UnescapeString(page), de) {
			t.Errorf("page does not list line %d: %s", p.Line, de)
		}
		if de == en || strings.Contains(html.UnescapeString(page), en) {
			t.Errorf("line %d in English: %s", p.Line, en)
		}
	}
	if strings.Contains(page, `<span lang="en">`) {
		t.Error("the problems are marked English")
	}
	if cs, _ := e.db.Centers(ctx); len(cs) != 0 {
		t.Fatalf("a file with bad lines imported %d centres", len(cs))
	}
	if code, page = e.uploadCounsel(c, tok, "centers", "gut.csv", []byte(goodCenters)); code != http.StatusSeeOther {
		t.Fatalf("good file: %d\n%s", code, page)
	}
	d, err := live.Directory(ctx)
	if err != nil || len(d.Centers()) != 2 {
		t.Fatalf("the running directory was not reloaded: %v", err)
	}
	_, page = e.do(c, "GET", "/admin/beratung", nil)
	if !strings.Contains(page, "Beratung Mitte") || !strings.Contains(page, "2 Beratungsstellen") {
		t.Errorf("the centres are not listed:\n%s", page)
	}
	cs, _ := e.db.Centers(ctx)
	var mitte int64
	for _, c := range cs {
		if c.Name == "Beratung Mitte" {
			mitte = c.ID
		}
	}
	path := "/admin/beratung/" + itoa(mitte)
	_, page = e.do(c, "GET", path, nil)
	if !strings.Contains(page, `value="10115"`) {
		t.Fatalf("edit page lacks the centre:\n%s", page)
	}
	if code, _ := e.do(c, "POST", path, url.Values{"name": {"Übernommen"}, "postal_code": {"10115"}}); code != http.StatusForbidden {
		t.Errorf("edit without the token: %d", code)
	}
	form := url.Values{"csrf": {tok}, "name": {"Beratung Mitte"}, "postal_code": {"10115"}, "city": {"Berlin"}, "topics": {"Unterhalt"},
		"email": {"info(at)example.org"}, "online": {"nein"}}
	code, page = e.do(c, "POST", path, form)
	if code != http.StatusBadRequest || !strings.Contains(page, `id="email-error"`) || !strings.Contains(page, `value="info(at)example.org"`) {
		t.Errorf("a bad address: %d, no error next to the field or value lost", code)
	}
	form.Set("email", "info@example.org")
	form.Set("city", "Berlin-Mitte")
	if code, page = e.do(c, "POST", path, form); code != http.StatusSeeOther {
		t.Fatalf("edit: %d\n%s", code, page)
	}
	if d, _ = live.Directory(ctx); len(d.Centers()) != 2 {
		t.Fatalf("after the edit: %d centres", len(d.Centers()))
	}
	code, export := e.do(c, "GET", "/admin/beratung/export", nil)
	if code != http.StatusOK || !strings.Contains(export, "Berlin-Mitte") || !strings.Contains(export, "info@example.org") {
		t.Errorf("export: %d\n%s", code, export)
	}
	back, problems := counsel.ParseCenters(strings.NewReader(export), "export")
	if len(problems) != 0 || len(back) != 2 {
		t.Errorf("the export does not read back: %d centres, %v", len(back), problems)
	}
	geo, err := os.ReadFile("../counsel/testdata/geo_sample.txt")
	if err != nil {
		t.Fatal(err)
	}
	if code, page = e.uploadCounsel(c, tok, "geo", "DE.txt", []byte("kein GeoNames\n")); code != http.StatusBadRequest || !strings.Contains(page, `id="geo_file-error"`) {
		t.Errorf("bad geo file: %d", code)
	}
	if code, page = e.uploadCounsel(c, tok, "geo", "DE.txt", geo); code != http.StatusSeeOther {
		t.Fatalf("geo: %d\n%s", code, page)
	}
	d, _ = live.Directory(ctx)
	if d.PostalCodes() == 0 {
		t.Fatal("the running directory has no postal codes after the upload")
	}
	_, page = e.do(c, "GET", "/admin/beratung", nil)
	if !strings.Contains(page, "Ortsdaten für "+strconv.Itoa(d.PostalCodes())+" Postleitzahlen") {
		t.Errorf("the page does not say how many codes are loaded (%d)", d.PostalCodes())
	}
	_, page = e.do(c, "GET", "/admin/audit", nil)
	for _, want := range []string{"Beratungsstellen eingelesen", "Beratungsstelle geändert", "Postleitzahlen eingelesen"} {
		if !strings.Contains(page, want) {
			t.Errorf("the audit log lacks %q", want)
		}
	}
}

// The note after an upload shows a count from the link; any other text in the link
// is not put into the page as if listd said it.
func TestSiteCounselImportedNoteIsACount(t *testing.T) {
	e := newAdminEnv(t)
	e.withCounsel()
	c := e.client("admin@example.org")
	_, page := e.do(c, "GET", "/admin/beratung?imported=centers&n="+url.QueryEscape("0. Bitte neu anmelden unter evil.example"), nil)
	if strings.Contains(page, "Eingelesen: 0. Bitte") {
		t.Errorf("the page repeats text from its link as its own")
	}
	_, page = e.do(c, "GET", "/admin/beratung?imported=centers&n=12", nil)
	if !strings.Contains(page, "Eingelesen: 12 ") {
		t.Errorf("the count is not shown")
	}
}
