package e2e

import (
	"html"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"listd/internal/i18n"
	"listd/templates"
)

// TestBrowserOwnerPages drives headless Chromium at a phone's width (390 px)
// through a list owner's pages: the owner logs in by the mailed link, changes a
// setting, finds a member and changes their mode, imports a spreadsheet's CSV
// (byte order mark, semicolons), downloads the export and adds a ban. Every page
// passes axe-core, fits the phone's width and, in German, holds no English text of
// the catalogue.
func TestBrowserOwnerPages(t *testing.T) {
	t.Parallel()
	axe := axeSource(t)
	cat, err := i18n.Load(templates.FS("../templates"))
	if err != nil {
		t.Fatal(err)
	}
	var english []string
	for _, k := range cat.Keys() {
		de, en := cat.T(i18n.German, k), cat.T(i18n.English, k)
		if de != en && len([]rune(en)) > 12 {
			english = append(english, en)
		}
	}
	br := newChromium(t)
	sk := newSink(t)
	d := newDaemon(t, options{relay: sk.addr})
	d.mustCLI("list", "create", "kita", "-title", "Kita und Betreuung", "-anonymous", "no")
	d.mustCLI("member", "add", "kita", "owner@example.org", "-role", "owner", "-mode", "nomail")
	d.mustCLI("member", "add", "kita", "anna@example.net", "-name", "Sonne")
	d.mustCLI("member", "add", "kita", "bert@example.net")
	d.start()
	base := d.httpBase
	phone := func() {
		br.run(t, "phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(1), chromedp.EmulateMobile))
	}
	// check runs axe-core, the width and the language check on the page shown.
	check := func(name string) {
		t.Helper()
		br.checkAxe(t, axe, name)
		if w := browserValue(t, br, "page width", chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > 390 {
			t.Errorf("%s is %d px wide on a 390 px phone", name, w)
		}
		page := html.UnescapeString(browserValue(t, br, "page html", chromedp.OuterHTML(chromedp.CSS("html"))))
		for _, en := range english {
			if strings.Contains(page, en) {
				t.Errorf("%s (German) holds English %q", name, en)
			}
		}
	}
	phone()
	br.run(t, "login form", chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.ID("address")),
		chromedp.SendKeys(chromedp.ID("address"), "owner@example.org"), chromedp.Submit(chromedp.ID("address")), chromedp.WaitVisible(chromedp.CSS("main")))
	login := d.link(t, loginMail(t, sk, "owner@example.org"), "/login/")
	br.run(t, "log in", chromedp.Navigate(login), chromedp.WaitVisible(chromedp.CSS("main form button")),
		chromedp.Click(chromedp.CSS("main form button")), chromedp.WaitVisible(chromedp.CSS("main")), chromedp.Sleep(300*time.Millisecond))

	// The overview leads to the owner's pages.
	br.run(t, "overview", chromedp.Navigate(base+"/kita/admin/"), chromedp.WaitVisible(chromedp.CSS(`a[href^="/kita/admin/settings"]`)))
	check("/kita/admin/")

	// A setting: the title, saved with the form's first button.
	br.run(t, "settings", chromedp.Click(chromedp.CSS(`a[href^="/kita/admin/settings"]`)), chromedp.WaitVisible(chromedp.ID("set-title")))
	check("/kita/admin/settings")
	br.run(t, "change the title", chromedp.SetValue(chromedp.ID("set-title"), "Kita und Schule"),
		chromedp.Click(chromedp.CSS(`button[value="save"]`)), chromedp.WaitVisible(chromedp.CSS(`p.ok[role="status"]`)))
	if s := br.text(t); !strings.Contains(s, "Die Einstellungen sind gespeichert.") {
		t.Errorf("after saving:\n%s", s)
	}
	if out := d.mustCLI("list", "show", "kita"); !strings.Contains(out, "Kita und Schule") {
		t.Errorf("list show after the web's change:\n%s", out)
	}
	// A bad value: its error at the field, the page still passes axe.
	br.run(t, "bad value", chromedp.SetValue(chromedp.ID("set-retention"), "zwölf"),
		chromedp.Click(chromedp.CSS(`button[value="save"]`)), chromedp.WaitVisible(chromedp.ID("set-retention-error")))
	check("/kita/admin/settings with an error")
	// The preview of the list's texts: the welcome mail as sent, nothing saved.
	br.run(t, "preview", chromedp.SetValue(chromedp.ID("set-retention"), "0"), chromedp.SetValue(chromedp.ID("set-welcome-de"), "Schön, dass du da bist."),
		chromedp.Click(chromedp.CSS(`button[value="preview"]`)), chromedp.WaitVisible(chromedp.ID("preview-h")))
	if s := br.text(t); !strings.Contains(s, "Willkommen bei „Kita und Schule“") || !strings.Contains(s, "Schön, dass du da bist.") {
		t.Errorf("preview:\n%s", s)
	}
	br.checkAxe(t, axe, "/kita/admin/settings with a preview")

	// Find a member and change their mode.
	br.run(t, "members", chromedp.Navigate(base+"/kita/admin/members"), chromedp.WaitVisible(chromedp.ID("q")))
	check("/kita/admin/members")
	br.run(t, "search", chromedp.SendKeys(chromedp.ID("q"), "anna"), chromedp.Submit(chromedp.ID("q")))
	if s := br.textWith(t, "Gefunden: 1"); !strings.Contains(s, "Gefunden: 1") {
		t.Errorf("search anna:\n%s", s)
	}
	if n := br.count(t, `ul.members li`); n != 1 {
		t.Errorf("search anna: %d members", n)
	}
	br.run(t, "member page", chromedp.Click(chromedp.CSS(`a[href^="/kita/admin/members/anna@example.net"]`)), chromedp.WaitVisible(chromedp.CSS(`button[value="set"]`)))
	check("/kita/admin/members/ADDRESS")
	br.run(t, "change mode", chromedp.SetValue(chromedp.ID("mode"), "digest"), chromedp.Click(chromedp.CSS(`button[value="set"]`)),
		chromedp.WaitVisible(chromedp.CSS(`p.ok[role="status"]`)))
	if out := d.mustCLI("member", "export", "kita"); !strings.Contains(out, "anna@example.net,Sonne,digest,member") {
		t.Errorf("member export after the mode change:\n%s", out)
	}

	// Import a spreadsheet's CSV: byte order mark, semicolons, German headers.
	csv := filepath.Join(t.TempDir(), "mitglieder.csv")
	if err := os.WriteFile(csv, []byte("\ufeffE-Mail;Name;Modus;PLZ\r\nclara@example.net;Clara;digest;50667\r\ndirk@example.net;;each;\r\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	br.run(t, "import", chromedp.Navigate(base+"/kita/admin/members"), chromedp.WaitVisible(chromedp.ID("file")),
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{csv}), chromedp.Click(chromedp.CSS(`form[enctype="multipart/form-data"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`p.ok[role="status"]`)))
	if s := br.text(t); !strings.Contains(s, "Eingetragen: 2 neu, 0 waren schon auf der Liste.") || !strings.Contains(s, "clara@example.net") {
		t.Errorf("after the import:\n%s", s)
	}
	check("/kita/admin/members after an import")

	// The export, as the page's link downloads it.
	href := br.attr(t, `a[href$="members.csv"]`, "href")
	got := browserValue(t, br, "export", chromedp.Evaluate[string](`fetch(`+"`"+href+"`"+`).then(r => r.text())`, chromedp.EvalAwaitPromise))
	if !strings.HasPrefix(got, "email,name,mode,role,postal\r\n") || !strings.Contains(got, "clara@example.net,Clara,digest,member,50667") ||
		!strings.Contains(got, "anna@example.net,Sonne,digest,member") {
		t.Errorf("export:\n%s", got)
	}

	// A ban.
	br.run(t, "bans", chromedp.Navigate(base+"/kita/admin/bans"), chromedp.WaitVisible(chromedp.ID("what")))
	check("/kita/admin/bans")
	br.run(t, "add a ban", chromedp.SendKeys(chromedp.ID("what"), "@spam.example"), chromedp.Click(chromedp.CSS(`button[value="add"]`)),
		chromedp.WaitVisible(chromedp.CSS(`p.ok[role="status"]`)))
	if s := br.text(t); !strings.Contains(s, "@spam.example") {
		t.Errorf("after the ban:\n%s", s)
	}
	check("/kita/admin/bans with a ban")
	if out := d.mustCLI("ban", "ls", "kita"); !strings.Contains(out, "@spam.example") {
		t.Errorf("ban ls:\n%s", out)
	}

	// The audit log has it all.
	br.run(t, "audit", chromedp.Navigate(base+"/kita/admin/audit"), chromedp.WaitVisible(chromedp.CSS("main h1")))
	s := br.text(t)
	for _, want := range []string{"list-set", "member-set", "member-import", "member-export", "ban-add", "owner@example.org"} {
		if !strings.Contains(s, want) {
			t.Errorf("audit log lacks %q:\n%s", want, s)
		}
	}
	check("/kita/admin/audit")

	// Deleting is the site admins': the owner is told so; made one, the page offers
	// the archive first.
	br.run(t, "delete as owner", chromedp.Navigate(base+"/kita/admin/delete"), chromedp.WaitVisible(chromedp.CSS("main h1")))
	if s := br.text(t); !strings.Contains(s, "Listen löschen dürfen nur die Verantwortlichen der ganzen Seite.") {
		t.Errorf("delete page for an owner:\n%s", s)
	}
	if _, err := d.cli("admin", "add", "owner@example.org"); err != nil {
		t.Logf("admin add on the running daemon: %v", err)
	} else {
		br.run(t, "delete page", chromedp.Navigate(base+"/kita/admin/delete"), chromedp.WaitVisible(chromedp.ID("confirm")))
		check("/kita/admin/delete")
	}
	br.mu.Lock()
	defer br.mu.Unlock()
	if len(br.dialogs) > 0 {
		t.Errorf("script ran: dialogs %q", br.dialogs)
	}
}
