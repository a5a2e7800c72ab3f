package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestAdminJourney is the journey (#17) in one daemon and one headless
// Chromium at a phone's width (390 px): a site admin on no list logs in by the
// mailed link, creates a list, has non-members' posts held in its settings,
// imports members from a spreadsheet's CSV (byte order mark, semicolons, German
// headers), finds a non-member's post in the queue, rejects it by typing a reason
// and pressing Enter (the poster gets the reason), and opens the list's figures
// with their chart. Every page passes axe-core and fits the phone's width.
func TestAdminJourney(t *testing.T) {
	t.Parallel()
	axe := axeSource(t)
	br := newChromium(t)
	sk := newSink(t)
	d := newDaemon(t, options{relay: sk.addr})
	d.mustCLI("admin", "add", "chair@example.org")
	d.start()
	base := d.httpBase
	phone := func() {
		br.run(t, "phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(1), chromedp.EmulateMobile))
	}
	// look checks the page the browser shows: axe-core and its width.
	look := func(name string) string {
		t.Helper()
		if w := browserValue(t, br, "page width", chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > 390 {
			t.Errorf("%s is %d px wide on a 390 px phone", name, w)
		}
		br.checkAxe(t, axe, name)
		return br.text(t)
	}
	phone()

	// 1. The site admin logs in by the link mailed to them.
	br.run(t, "login form", chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.ID("address")),
		chromedp.SendKeys(chromedp.ID("address"), "chair@example.org"), chromedp.Submit(chromedp.ID("address")), chromedp.WaitVisible(chromedp.CSS("main")))
	look("/login sent")
	login := d.link(t, loginMail(t, sk, "chair@example.org"), "/login/")
	br.run(t, "log in", chromedp.Navigate(login), chromedp.WaitVisible(chromedp.CSS("main form button")),
		chromedp.Click(chromedp.CSS("main form button")), chromedp.WaitVisible(chromedp.CSS("main")), chromedp.Sleep(300*time.Millisecond))

	// 2. A list, made on /admin/lists; its settings hold non-members' posts.
	br.run(t, "lists", chromedp.Navigate(base+"/admin/lists"), chromedp.WaitVisible(chromedp.ID("list_name")))
	look("/admin/lists")
	br.run(t, "create", chromedp.SetValue(chromedp.ID("list_name"), "eltern"), chromedp.SetValue(chromedp.ID("title"), "Elternrat Köln"),
		chromedp.Click(chromedp.CSS("main form button")), chromedp.WaitVisible(chromedp.CSS(`p.notice[role="status"]`)))
	if s := look("/admin/lists created"); !strings.Contains(s, "Elternrat Köln") {
		t.Errorf("the new list is not listed:\n%s", s)
	}
	br.run(t, "settings", chromedp.Navigate(base+"/eltern/admin/settings"), chromedp.WaitVisible(chromedp.ID("set-nonmember")))
	look("/eltern/admin/settings")
	// A new list holds non-members' posts already (nonmember hold, the default): the
	// page shows it, nothing needs saving.
	if v := browserValue(t, br, "nonmember", chromedp.Value(chromedp.ID("set-nonmember"))); v != "hold" {
		t.Errorf("a new list's nonmember setting is %q, not hold", v)
	}

	// 3. Members from a spreadsheet's CSV, one of them the list's moderator: a list
	// without moderators refuses what it would hold, site admins or not.
	csv := filepath.Join(t.TempDir(), "mitglieder.csv")
	if err := os.WriteFile(csv, []byte("\ufeffE-Mail;Name;Modus;Rolle;PLZ\r\nclara@example.net;Clara;each;;50667\r\ndirk@example.net;Dirk;digest;moderator;\r\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	br.run(t, "members", chromedp.Navigate(base+"/eltern/admin/members"), chromedp.WaitVisible(chromedp.ID("file")))
	look("/eltern/admin/members")
	br.run(t, "import", chromedp.SetUploadFiles(chromedp.ID("file"), []string{csv}),
		chromedp.Click(chromedp.CSS(`form[enctype="multipart/form-data"] button`)), chromedp.WaitVisible(chromedp.CSS(`p.ok[role="status"]`)))
	if s := look("/eltern/admin/members after the import"); !strings.Contains(s, "Eingetragen: 2 neu, 0 waren schon auf der Liste.") ||
		!strings.Contains(s, "Clara") || !strings.Contains(s, "Dirk") {
		t.Errorf("after the import:\n%s", s)
	}

	// 4. A non-member posts; the post is held.
	list := "eltern@" + domain
	if err := send(d.addrs["smtp"], "fremd@example.com", []string{list},
		plain("fremd@example.com", list, "Nachhilfe gesucht", "Kennt jemand eine gute Nachhilfe in Mathe?\r\n")); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(d.mustCLI("mod", "ls"), "Nachhilfe gesucht") {
		if time.Now().After(deadline) {
			t.Fatalf("the non-member's post is not held:\n%s", d.mustCLI("mod", "ls"))
		}
		time.Sleep(100 * time.Millisecond)
	}

	// 5. The site admin reads it in the queue and rejects it with a reason and Enter.
	br.run(t, "queue", chromedp.Navigate(base+"/mod"), chromedp.WaitVisible(chromedp.CSS("section.held")))
	if s := look("/mod"); !strings.Contains(s, "Kennt jemand eine gute Nachhilfe in Mathe?") {
		t.Errorf("the queue lacks the post:\n%s", s)
	}
	heldID := br.attr(t, `section.held form.reject input[name="id"]`, "value")
	br.run(t, "reject by Enter", chromedp.SendKeys(chromedp.ID("reason-"+heldID), "Bitte erst der Liste beitreten."+kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(`p.ok[role="status"]`)))
	if s := look("/mod after the rejection"); !strings.Contains(s, "Abgelehnt; die Absenderin/der Absender bekommt Ihre Begründung.") ||
		strings.Contains(s, "Nachhilfe in Mathe") {
		t.Errorf("after Enter in the reason:\n%s", s)
	}
	rejected := sk.mailWith(t, "fremd@example.com", "nicht veröffentlicht")
	if !strings.Contains(rejected.Text, "Bitte erst der Liste beitreten.") {
		t.Errorf("the poster's notice lacks the reason:\n%s", rejected.Text)
	}
	if strings.Contains(d.mustCLI("mod", "ls"), "Nachhilfe gesucht") {
		t.Errorf("the rejected post still waits")
	}

	// 6. The list's figures, with their chart.
	br.run(t, "figures", chromedp.Navigate(base+"/eltern/admin/figures"), chromedp.WaitVisible(chromedp.CSS("main h1")))
	look("/eltern/admin/figures")
	if n := br.count(t, `svg[role="img"]`); n < 1 {
		t.Errorf("the figures show no chart:\n%s", br.text(t))
	}
	br.mu.Lock()
	defer br.mu.Unlock()
	if len(br.dialogs) > 0 {
		t.Errorf("script ran: dialogs %q", br.dialogs)
	}
}
