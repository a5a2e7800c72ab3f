package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// geoFile is the excerpt of the German postal-code table kept with the tests.
func geoFile(t *testing.T) string {
	t.Helper()
	path, err := filepath.Abs("../testdata/geo/DE.txt")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestCounselling: with the directory and DE.txt loaded, a member's first post yields
// exactly one private reply naming the right centres, a second post none; beratung@
// answers its sender; crisis words answer at once and tell the moderators; the web
// search finds the same centres.
func TestCounselling(t *testing.T) {
	t.Parallel()
	geo := geoFile(t)
	sk := newSink(t)
	d := newDaemon(t, options{relay: sk.addr})
	if out := d.mustCLI("geo", "import", geo); !strings.Contains(out, "imported") {
		t.Fatalf("geo import: %s", out)
	}
	if out := d.mustCLI("centers", "import", "../examples/centers.example.csv"); !strings.Contains(out, "imported") {
		t.Fatalf("centers import: %s", out)
	}
	d.mustCLI("list", "create", "unterhalt", "-topics", "unterhalt,finanzen")
	d.mustCLI("member", "add", "unterhalt", "mod@example.org", "-role", "moderator", "-mode", "nomail")
	d.mustCLI("member", "add", "unterhalt", "anna@example.net", "-postal", "10115")
	d.mustCLI("member", "add", "unterhalt", "ben@example.net")
	d.start()
	smtpAddr := d.addrs["smtp"]
	list := "unterhalt@" + domain

	if err := send(smtpAddr, "anna@example.net", []string{list}, plain("anna@example.net", list, "Unterhaltsvorschuss", "Wie lange dauert der Antrag?\r\n")); err != nil {
		t.Fatal(err)
	}
	reply := sk.mailWith(t, "anna@example.net", "Hinweise zu Beratungsangeboten")
	for _, m := range sk.snapshot() {
		if m.To == "anna@example.net" && strings.Contains(string(m.Data), "Subject: Hinweise") && m.From != "" {
			t.Errorf("auto-reply envelope sender = %q, want the null sender", m.From)
		}
	}
	if reply.GetHeader("Subject") != "Hinweise zu Beratungsangeboten" || reply.GetHeader("Auto-Submitted") != "auto-replied" || reply.GetHeader("In-Reply-To") == "" {
		t.Errorf("headers: %q %q %q", reply.GetHeader("Subject"), reply.GetHeader("Auto-Submitted"), reply.GetHeader("In-Reply-To"))
	}
	berlin := strings.Index(reply.Text, "Berlin")
	if berlin < 0 || !strings.Contains(reply.Text, "km") {
		t.Fatalf("reply does not list Berlin centres:\n%s", reply.Text)
	}
	if hh := strings.Index(reply.Text, "Hamburg"); hh >= 0 && hh < berlin {
		t.Errorf("Hamburg before Berlin:\n%s", reply.Text)
	}
	// Nobody else hears of it, and a second post within 30 days gets no reply.
	if err := send(smtpAddr, "anna@example.net", []string{list}, plain("anna@example.net", list, "Noch eine Frage", "Und Unterhalt?\r\n")); err != nil {
		t.Fatal(err)
	}
	sk.mailTo(t, "ben@example.net", 1)
	time.Sleep(400 * time.Millisecond)
	if n := sk.countTo("anna@example.net"); n != 3 {
		t.Errorf("anna got %d mails, want 2 copies and 1 reply", n)
	}
	if n := sk.countTo("ben@example.net"); n != 2 {
		t.Errorf("ben got %d mails, want the 2 posts only", n)
	}

	// beratung@ answers its sender with centres near the code in the mail.
	if err := send(smtpAddr, "gast@example.com", []string{"beratung@" + domain}, plain("gast@example.com", "beratung@"+domain, "Beratung", "Ich wohne in 20095 und suche Hilfe beim Unterhalt.\r\n")); err != nil {
		t.Fatal(err)
	}
	ask, _ := sk.mailTo(t, "gast@example.com", 0)
	if !strings.Contains(ask.Text, "Hamburg") {
		t.Errorf("beratung@ reply:\n%s", ask.Text)
	}
	// Automatic mail to beratung@ is never answered.
	send(smtpAddr, "robot@example.com", []string{"beratung@" + domain}, plain("robot@example.com", "beratung@"+domain, "x", "10115\r\n", "Auto-Submitted: auto-replied"))

	// Crisis words: the crisis lines at once, and the moderators are told.
	if err := send(smtpAddr, "ben@example.net", []string{list}, plain("ben@example.net", list, "Ich kann nicht mehr", "Ich sehe keinen Ausweg mehr.\r\n")); err != nil {
		t.Fatal(err)
	}
	crisis := sk.mailWith(t, "ben@example.net", "Hinweise zu Beratungsangeboten")
	if !strings.Contains(crisis.Text, "0800 111 0 111") {
		t.Errorf("crisis reply:\n%s", crisis.Text)
	}
	flag, _ := sk.mailTo(t, "mod@example.org", 0)
	if !strings.Contains(flag.Text, "keinen ausweg") || strings.Contains(flag.Text, "ben@example.net") {
		t.Errorf("moderators' flag:\n%s", flag.Text)
	}
	time.Sleep(300 * time.Millisecond)
	if n := sk.countTo("robot@example.com"); n != 0 {
		t.Errorf("answered automatic mail %d times", n)
	}

	page := httpGet(t, d.httpBase+"/beratung?plz=10115&thema=unterhalt")
	if !strings.Contains(page, "Berlin") || !strings.Contains(page, "openstreetmap.org") || strings.Contains(page, "<iframe") {
		t.Errorf("web search:\n%s", page)
	}
	if code, _ := fetch(t, browser(t), "GET", d.httpBase+"/beratung?plz=abc", nil); code != 400 {
		t.Errorf("bad postal code: %d", code)
	}
}
