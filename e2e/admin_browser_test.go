package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// axeFinding is one rule axe-core finds broken on a page.
type axeFinding struct {
	ID    string `json:"id"`
	Help  string `json:"help"`
	Nodes []struct {
		Target []any `json:"target"`
	} `json:"nodes"`
}

// checkAxe runs axe-core on the page the browser shows and fails on any violation.
func (c *chromium) checkAxe(t *testing.T, axe, name string) {
	t.Helper()
	c.run(t, "load axe-core into "+name, chromedp.Evaluate[chromedp.Void](axe))
	out := browserValue(t, c, "axe "+name, chromedp.Evaluate[string](
		`axe.run(document, {resultTypes: ["violations"]}).then(r => JSON.stringify(r.violations))`, chromedp.EvalAwaitPromise))
	var vs []axeFinding
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		t.Fatalf("axe %s: %v: %s", name, err, out)
	}
	for _, v := range vs {
		var where []string
		for _, n := range v.Nodes {
			b, _ := json.Marshal(n.Target)
			where = append(where, string(b))
		}
		t.Errorf("axe on %s: %s (%s) at %s", name, v.ID, v.Help, strings.Join(where, ", "))
	}
}

// TestBrowserModerationAndFigures drives headless Chromium at a phone's width (390
// px) through the moderation queue and the figures: the owner of an anonymous list
// logs in by the mailed link, reads a held post rendered as the archive renders it
// (pseudonym and poster number, no address), rejects it by typing a reason and
// pressing Enter, discards two spam posts in bulk, and opens the figures with their
// chart. axe-core finds no violation on any of these pages.
func TestBrowserModerationAndFigures(t *testing.T) {
	t.Parallel()
	axe := axeSource(t)
	br := newChromium(t)
	sk := newSink(t)
	d := newDaemon(t, options{relay: sk.addr})
	d.mustCLI("list", "create", "kita", "-title", "Kita und Betreuung", "-moderation", "all", "-anonymous", "yes")
	d.mustCLI("member", "add", "kita", "owner@example.org", "-role", "owner", "-mode", "nomail")
	d.mustCLI("member", "add", "kita", "anna@example.net", "-name", "Sonne")
	siteAdmin := false
	if _, err := d.cli("admin", "add", "owner@example.org"); err == nil {
		siteAdmin = true
	} else {
		t.Logf("no site admins in this build (%v): /admin/figures is not driven", err)
	}
	d.start()
	list := "kita@" + domain
	for _, m := range []struct{ from, raw string }{
		{"anna@example.net", "From: Anna Mueller <anna@example.net>\r\nTo: " + list + "\r\nSubject: Kitaplatz in Köln\r\nMessage-ID: <held.1@client.example>\r\n" +
			"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" +
			"<p>Wer kennt eine gute <b>Kita</b> in Ehrenfeld? Schreibt an anna@example.net</p><script>alert('x')</script>\r\n" +
			"--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"anna@example.net Anmeldung.pdf\"\r\n\r\n%PDF-1.4\r\n--b--\r\n"},
		{"spam@example.com", plain("spam@example.com", list, "Kredit sofort", "Billig!\r\n")},
		{"spam@example.com", plain("spam@example.com", list, "Kredit jetzt", "Billiger!\r\n")},
	} {
		if err := send(d.addrs["smtp"], m.from, []string{list}, m.raw); err != nil {
			t.Fatal(err)
		}
	}
	base := d.httpBase
	// shoot leaves the desktop's width: each step sets the phone's again.
	phone := func() {
		br.run(t, "phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(1), chromedp.EmulateMobile))
	}
	phone()
	// Log in by the mailed link.
	br.run(t, "login form", chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.ID("address")),
		chromedp.SendKeys(chromedp.ID("address"), "owner@example.org"), chromedp.Submit(chromedp.ID("address")), chromedp.WaitVisible(chromedp.CSS("main")))
	login := d.link(t, loginMail(t, sk, "owner@example.org"), "/login/")
	br.run(t, "log in", chromedp.Navigate(login), chromedp.WaitVisible(chromedp.CSS("main form button")),
		chromedp.Click(chromedp.CSS("main form button")), chromedp.WaitVisible(chromedp.CSS("main")), chromedp.Sleep(300*time.Millisecond))

	// The queue: the post rendered, its attachment named, its poster by pseudonym.
	br.run(t, "queue", chromedp.Navigate(base+"/mod"), chromedp.WaitVisible(chromedp.CSS("section.held")))
	s := br.text(t)
	for _, want := range []string{"Wer kennt eine gute Kita in Ehrenfeld?", "Anmeldung.pdf", "Sonne · Absender Nr. ", "auf der Liste wird jeder Beitrag moderiert", "Kredit jetzt"} {
		if !strings.Contains(s, want) {
			t.Errorf("queue lacks %q:\n%s", want, s)
		}
	}
	for _, bad := range []string{"anna@example.net", "Mueller", "alert("} {
		if strings.Contains(s, bad) {
			t.Errorf("queue shows %q", bad)
		}
	}
	if w := browserValue(t, br, "page width", chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > 390 {
		t.Errorf("the queue is %d px wide on a 390 px phone", w)
	}
	br.checkAxe(t, axe, "/mod")
	br.shoot(t, "mod-1-queue")
	phone()

	// Reject the first post: type a reason and press Enter in its field.
	heldID := br.attr(t, `section.held form.reject input[name="id"]`, "value")
	br.run(t, "reject by Enter", chromedp.SendKeys(chromedp.ID("reason-"+heldID), "Bitte ohne Adresse und Namen."+kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(`p.ok[role="status"]`)))
	if s := br.text(t); !strings.Contains(s, "Abgelehnt; die Absenderin/der Absender bekommt Ihre Begründung.") || strings.Contains(s, "Kitaplatz in Köln") {
		t.Fatalf("after Enter in the reason:\n%s", s)
	}
	rejected := sk.mailWith(t, "anna@example.net", "nicht veröffentlicht")
	if !strings.Contains(rejected.Text, "Bitte ohne Adresse und Namen.") {
		t.Errorf("the poster's notice lacks the reason:\n%s", rejected.Text)
	}
	if strings.Contains(d.mustCLI("mod", "ls"), "Kitaplatz") {
		t.Errorf("the rejected post still waits")
	}
	br.checkAxe(t, axe, "/mod after a decision")

	// The spam, in bulk: check both, one discard.
	br.run(t, "check spam", chromedp.Click(chromedp.CSS(`section.held:nth-of-type(1) input[name="ids"]`)),
		chromedp.Click(chromedp.CSS(`section.held:nth-of-type(2) input[name="ids"]`)),
		chromedp.Click(chromedp.CSS(`form#bulk button`)), chromedp.WaitNotPresent(chromedp.CSS(`form#bulk`)),
		chromedp.WaitVisible(chromedp.CSS(`p.ok[role="status"]`)))
	if s := br.text(t); !strings.Contains(s, "2 Beiträge verworfen; niemand wurde benachrichtigt.") || !strings.Contains(s, "Nichts wartet") {
		t.Errorf("after bulk discard:\n%s", s)
	}
	br.shoot(t, "mod-2-done")
	phone()

	// The figures: a chart, the table, the CSV link.
	paths := []string{"/kita/admin/", "/kita/admin/figures"}
	if siteAdmin {
		paths = append(paths, "/admin/", "/admin/figures")
	}
	for _, p := range paths {
		br.run(t, p, chromedp.Navigate(base+p), chromedp.WaitVisible(chromedp.CSS("main h1")))
		s := br.text(t)
		if strings.Contains(s, "@example.net") {
			t.Errorf("%s shows an address", p)
		}
		if strings.HasSuffix(p, "figures") {
			if n := br.count(t, `svg[role="img"] title`); n < 4 || !strings.Contains(s, "Schreibende pro Monat") || br.count(t, "table") != n {
				t.Errorf("%s: %d charts, tables %d:\n%s", p, n, br.count(t, "table"), s)
			}
			if w := browserValue(t, br, "chart width", chromedp.Evaluate[float64](`document.querySelector("svg.chart").getBoundingClientRect().width`)); w > 390 || w < 200 {
				t.Errorf("%s: the chart is %.0f px wide on a 390 px phone", p, w)
			}
		}
		br.checkAxe(t, axe, p)
		br.shoot(t, "admin-"+strings.Trim(strings.ReplaceAll(p, "/", "-"), "-"))
		phone()
	}
	br.mu.Lock()
	defer br.mu.Unlock()
	if len(br.dialogs) > 0 {
		t.Errorf("script ran: dialogs %q", br.dialogs)
	}
}
