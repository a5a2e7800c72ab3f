package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"listd/internal/i18n"
	"listd/templates"
)

// TestBrowserSiteAdmin drives headless Chromium at 390 px through the site admin's
// pages: a site admin on no list (`listd admin add`) logs in by the mailed link,
// names the site and its Impressum, creates a list (after a name the domain
// refuses), uploads a counselling file with a bad line (nothing imported, the line
// named) and then a good one, and reads the audit log. axe-core finds no violation
// on any page, no page holds English catalogue text, and the site's name and
// Impressum show on the index page and in a list copy's footer.
func TestBrowserSiteAdmin(t *testing.T) {
	t.Parallel()
	axe := axeSource(t)
	cat, err := i18n.Load(templates.FS("../templates"))
	if err != nil {
		t.Fatal(err)
	}
	var english []string
	for _, k := range cat.Keys() {
		if de, en := cat.T(i18n.German, k), cat.T(i18n.English, k); de != en && len([]rune(en)) > 12 {
			english = append(english, en)
		}
	}
	br := newChromium(t)
	sk := newSink(t)
	d := newDaemon(t, options{relay: sk.addr})
	d.mustCLI("admin", "add", "chair@example.org")
	d.start()
	base := d.httpBase
	phone := func() {
		br.run(t, "phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(1), chromedp.EmulateMobile))
	}
	// look checks the page the browser shows: axe-core, its width, its language.
	look := func(name string) string {
		t.Helper()
		body := browserValue(t, br, "page text", chromedp.Evaluate[string](`document.body.innerText`))
		for _, en := range english {
			if strings.Contains(body, en) {
				t.Errorf("%s holds English %q", name, en)
			}
		}
		if w := browserValue(t, br, "page width", chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > 390 {
			t.Errorf("%s is %d px wide on a 390 px phone", name, w)
		}
		br.checkAxe(t, axe, name)
		br.shoot(t, "site-"+name)
		phone()
		return body
	}
	phone()
	br.run(t, "login form", chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.ID("address")),
		chromedp.SendKeys(chromedp.ID("address"), "chair@example.org"), chromedp.Submit(chromedp.ID("address")), chromedp.WaitVisible(chromedp.CSS("main")))
	login := d.link(t, loginMail(t, sk, "chair@example.org"), "/login/")
	br.run(t, "log in", chromedp.Navigate(login), chromedp.WaitVisible(chromedp.CSS("main form button")),
		chromedp.Click(chromedp.CSS("main form button")), chromedp.WaitVisible(chromedp.CSS("main")), chromedp.Sleep(300*time.Millisecond))

	// The site's settings: a bad Impressum link first, named next to its field.
	br.run(t, "site settings", chromedp.Navigate(base+"/admin/site"), chromedp.WaitVisible(chromedp.ID("site_name")),
		chromedp.SetValue(chromedp.ID("site_name"), "Netzwerk Alleinerziehende"),
		chromedp.SetValue(chromedp.ID("impressum_url"), "javascript:alert(1)"),
		chromedp.Click(chromedp.CSS("main form button")), chromedp.WaitVisible(chromedp.ID("impressum_url-error")))
	if v := br.attr(t, "#site_name", "value"); v != "Netzwerk Alleinerziehende" {
		t.Errorf("the site name typed is lost: %q", v)
	}
	look("settings-error")
	br.run(t, "site settings again", chromedp.SetValue(chromedp.ID("impressum_url"), "https://verein.example/impressum"),
		chromedp.Click(chromedp.CSS("main form button")), chromedp.WaitVisible(chromedp.CSS(`p.notice[role="status"]`)))
	look("settings")
	br.run(t, "index", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS("main")))
	if body := look("index"); !strings.Contains(body, "Netzwerk Alleinerziehende") || br.count(t, `footer a[href="https://verein.example/impressum"]`) != 1 {
		t.Errorf("the index page lacks the site's name or Impressum:\n%s", body)
	}

	// A list: a name the domain refuses, then a good one.
	br.run(t, "lists", chromedp.Navigate(base+"/admin/lists"), chromedp.WaitVisible(chromedp.ID("list_name")),
		chromedp.SetValue(chromedp.ID("list_name"), "Treff-Berlin"), chromedp.SetValue(chromedp.ID("title"), "Treff Berlin"),
		chromedp.Click(chromedp.CSS("main form button")), chromedp.WaitVisible(chromedp.ID("list_name-error")))
	if v := br.attr(t, "#title", "value"); v != "Treff Berlin" {
		t.Errorf("the title typed is lost: %q", v)
	}
	look("lists-error")
	br.run(t, "create", chromedp.SetValue(chromedp.ID("list_name"), "treff"),
		chromedp.Click(chromedp.CSS("main form button")), chromedp.WaitVisible(chromedp.CSS(`p.notice[role="status"]`)))
	if s := look("lists"); !strings.Contains(s, "Treff Berlin") || !strings.Contains(s, "nur für Mitglieder") {
		t.Errorf("the new list is not listed:\n%s", s)
	}
	if !strings.Contains(d.mustCLI("list", "show", "treff"), "Treff Berlin") {
		t.Error("the list was not created")
	}

	// The counselling directory: a file with a bad line, then a good one.
	dir := t.TempDir()
	badFile, goodFile := filepath.Join(dir, "kaputt.csv"), filepath.Join(dir, "beratung.csv")
	os.WriteFile(badFile, []byte("Name;PLZ;Ort;Themen\nBeratung Mitte;10115;Berlin;Unterhalt\nOhne PLZ;;Berlin;Umgang\n"), 0o644)
	os.WriteFile(goodFile, []byte("\ufeffName;PLZ;Ort;Themen\nBeratung Mitte;10115;Berlin;Unterhalt\nBeratung Nord;13407;Berlin;Umgang\n"), 0o644)
	br.run(t, "bad upload", chromedp.Navigate(base+"/admin/beratung"), chromedp.WaitVisible(chromedp.ID("centers_file")),
		chromedp.SetUploadFiles(chromedp.ID("centers_file"), []string{badFile}),
		chromedp.Submit(chromedp.ID("centers_file")), chromedp.WaitVisible(chromedp.CSS("ul.problems")))
	if s := br.text(t); !strings.Contains(s, "Zeile 3") {
		t.Errorf("the bad line is not named:\n%s", s)
	}
	look("counsel-error")
	if out := d.mustCLI("centers", "ls"); strings.TrimSpace(out) != "" {
		t.Errorf("a file with a bad line imported:\n%s", out)
	}
	br.run(t, "good upload", chromedp.SetUploadFiles(chromedp.ID("centers_file"), []string{goodFile}),
		chromedp.Submit(chromedp.ID("centers_file")), chromedp.WaitVisible(chromedp.CSS(`p.notice[role="status"]`)))
	if s := look("counsel"); !strings.Contains(s, "Eingelesen: 2 Beratungsstellen") || !strings.Contains(s, "Beratung Nord") {
		t.Errorf("after the upload:\n%s", s)
	}

	// The audit log names what was done, and by whom.
	br.run(t, "audit", chromedp.Navigate(base+"/admin/audit"), chromedp.WaitVisible(chromedp.CSS("main h1")))
	if s := look("audit"); !strings.Contains(s, "Liste angelegt") || !strings.Contains(s, "Beratungsstellen eingelesen") || !strings.Contains(s, "chair@example.org") {
		t.Errorf("the audit log:\n%s", s)
	}

	// A list copy ends with the site's name and Impressum.
	d.mustCLI("member", "add", "treff", "anna@example.net")
	d.mustCLI("member", "add", "treff", "ben@example.net")
	if err := send(d.addrs["smtp"], "anna@example.net", []string{"treff@" + domain}, plain("anna@example.net", "treff@"+domain, "Grillfest am Samstag", "Wer ist dabei?\r\n")); err != nil {
		t.Fatal(err)
	}
	listCopy := sk.mailWith(t, "ben@example.net", "Grillfest am Samstag")
	for _, want := range []string{"Netzwerk Alleinerziehende", "Impressum: https://verein.example/impressum"} {
		if !strings.Contains(listCopy.Text, want) {
			t.Errorf("the list copy's footer lacks %q:\n%s", want, listCopy.Text)
		}
	}
}
