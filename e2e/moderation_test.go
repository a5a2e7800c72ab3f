package e2e

import (
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"
)

// TestModerationByReply: a non-member's post is held; the moderator's plain "ok"
// releases it; "ablehnen ..." reaches the poster only; replies from anyone else, a
// forwarded notice, a vacation auto-reply and a second reply change nothing.
func TestModerationByReply(t *testing.T) {
	t.Parallel()
	sk := newSink(t)
	d := newDaemon(t, options{relay: sk.addr})
	d.mustCLI("list", "create", "kita")
	d.mustCLI("member", "add", "kita", "mod@example.org", "-role", "moderator", "-mode", "nomail")
	d.mustCLI("member", "add", "kita", "anna@example.net")
	d.mustCLI("member", "add", "kita", "ben@example.net")
	d.start()
	smtpAddr := d.addrs["smtp"]
	list := "kita@" + domain

	// A stranger's post waits; the poster is told, the moderator gets the notice.
	if err := send(smtpAddr, "gast@example.com", []string{list}, plain("Gast <gast@example.com>", list, "Frage zum Kita-Gutschein", "Wer kennt sich aus?\r\n")); err != nil {
		t.Fatalf("non-member post: %v", err)
	}
	notice, _ := sk.mailTo(t, "mod@example.org", 0)
	if !strings.Contains(notice.GetHeader("Subject"), "Frage zum Kita-Gutschein") || !strings.Contains(notice.Text, "not a member") {
		t.Fatalf("notice: %s\n%s", notice.GetHeader("Subject"), notice.Text)
	}
	if len(notice.Attachments) != 1 || notice.Attachments[0].ContentType != "message/rfc822" {
		t.Errorf("the held post is not attached as message/rfc822: %d attachments", len(notice.Attachments))
	}
	held, _ := sk.mailTo(t, "gast@example.com", 0)
	if !strings.Contains(held.GetHeader("Subject"), "wartet auf Freigabe") {
		t.Errorf("poster notice: %q", held.GetHeader("Subject"))
	}
	if out := d.mustCLI("mod", "ls"); !strings.Contains(out, "\tkita\t") || !strings.Contains(out, "Frage zum Kita-Gutschein") {
		t.Errorf("mod ls:\n%s", out)
	}
	modAddr := strings.Trim(notice.GetHeader("Reply-To"), "<>")
	if !strings.HasPrefix(modAddr, "kita-moderate+") {
		t.Fatalf("Reply-To = %q", modAddr)
	}
	quote := "\r\n\r\nAm 25.11.2026 um 10:00 schrieb kita <kita-owner@" + domain + ">:\r\n> ok, ablehnen, verwerfen\r\n"

	// None of these may act.
	for _, c := range []struct{ env, from, body string }{
		{"anna@example.net", "anna@example.net", "ok" + quote},                                               // a member who is not a moderator
		{"eve@example.com", "mod@example.org", "ok" + quote},                                                 // forged From, foreign envelope
		{"mod@example.org", "mod@example.org\r\nAuto-Submitted: auto-replied", "Ich bin im Urlaub." + quote}, // vacation
		{"gast@example.com", "gast@example.com", "ok" + quote},                                               // the poster, with a forwarded notice
	} {
		if err := send(smtpAddr, c.env, []string{modAddr}, plain(c.from, modAddr, "Re: Freigabe", c.body)); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(500 * time.Millisecond)
	if n := sk.countTo("anna@example.net"); n != 0 {
		t.Fatalf("the post went out without a moderator's decision (%d copies)", n)
	}

	// The moderator's plain "ok" releases it to every member.
	if err := send(smtpAddr, "mod@example.org", []string{modAddr}, plain("mod@example.org", modAddr, "Re: Freigabe", "ok"+quote)); err != nil {
		t.Fatal(err)
	}
	copyAnna, _ := sk.mailTo(t, "anna@example.net", 0)
	sk.mailTo(t, "ben@example.net", 0)
	if !strings.Contains(copyAnna.GetHeader("Subject"), "[kita] Frage zum Kita-Gutschein") {
		t.Errorf("released copy: %q", copyAnna.GetHeader("Subject"))
	}
	confirm, _ := sk.mailTo(t, "mod@example.org", 1)
	if !strings.Contains(confirm.Text, "Freigegeben") {
		t.Errorf("moderator's confirmation: %s", confirm.Text)
	}
	// A second reply changes nothing and says who decided.
	send(smtpAddr, "mod@example.org", []string{modAddr}, plain("mod@example.org", modAddr, "Re: Freigabe", "verwerfen"+quote))
	again, _ := sk.mailTo(t, "mod@example.org", 2)
	if !strings.Contains(again.Text, "Schon erledigt von mod@example.org") {
		t.Errorf("second reply: %s", again.Text)
	}

	// A rejection reaches the poster, and nobody else.
	if err := send(smtpAddr, "gast@example.com", []string{list}, plain("gast@example.com", list, "Mein Ex Thomas Müller aus Köln", "...\r\n")); err != nil {
		t.Fatal(err)
	}
	notice2, _ := sk.mailTo(t, "mod@example.org", 3)
	modAddr2 := strings.Trim(notice2.GetHeader("Reply-To"), "<>")
	before := map[string]int{"anna@example.net": sk.countTo("anna@example.net"), "ben@example.net": sk.countTo("ben@example.net")}
	send(smtpAddr, "mod@example.org", []string{modAddr2}, plain("mod@example.org", modAddr2, "Re: Freigabe", "ablehnen Bitte ohne Namen"+quote))
	rej, _ := sk.mailTo(t, "gast@example.com", 2)
	if !strings.Contains(rej.Text, "Bitte ohne Namen") {
		t.Errorf("rejection: %s", rej.Text)
	}
	time.Sleep(300 * time.Millisecond)
	for addr, n := range before {
		if sk.countTo(addr) != n {
			t.Errorf("%s got mail about a rejected post", addr)
		}
	}
	if out := d.mustCLI("mod", "ls"); strings.TrimSpace(out) != "" {
		t.Errorf("still waiting:\n%s", out)
	}
}

// TestModerationRules: first posts of new members, emergency, keywords and the command
// line's decisions.
func TestModerationRules(t *testing.T) {
	t.Parallel()
	sk := newSink(t)
	d := newDaemon(t, options{relay: sk.addr})
	d.mustCLI("list", "create", "umgang", "-moderation", "first-post")
	d.mustCLI("member", "add", "umgang", "mod@example.org", "-role", "moderator", "-mode", "nomail")
	d.mustCLI("member", "add", "umgang", "neu@example.net")
	d.start()
	smtpAddr := d.addrs["smtp"]
	list := "umgang@" + domain
	sendUmgang := func(subject string) {
		t.Helper()
		if err := send(smtpAddr, "neu@example.net", []string{list}, plain("neu@example.net", list, subject, "Text\r\n")); err != nil {
			t.Fatal(err)
		}
	}
	sendUmgang("Erster Beitrag")
	sk.mailTo(t, "mod@example.org", 0)
	ls := d.mustCLI("mod", "ls")
	if !strings.Contains(ls, "first post of a new member") {
		t.Fatalf("mod ls:\n%s", ls)
	}
	id := strings.SplitN(ls, "\t", 2)[0]
	if out := d.mustCLI("mod", "approve", id); !strings.Contains(out, "approved "+id) {
		t.Fatalf("mod approve: %s", out)
	}
	sk.mailTo(t, "neu@example.net", 0) // the member's own copy
	if _, err := d.cli("mod", "approve", id); err == nil || !strings.Contains(err.Error(), "already handled") {
		t.Errorf("deciding twice: %v", err)
	}
	// After the first post the member is trusted.
	sendUmgang("Zweiter Beitrag")
	sk.mailTo(t, "neu@example.net", 1)

	d.mustCLI("list", "set", "umgang", "-keywords", "anwalt,adresse")
	sendUmgang("Wer kennt einen Anwalt?")
	sk.mailTo(t, "mod@example.org", 1)
	d.mustCLI("list", "set", "umgang", "-emergency", "on", "-keywords", "")
	sendUmgang("Noch einer")
	sk.mailTo(t, "mod@example.org", 2)
	ls = d.mustCLI("mod", "ls")
	if !strings.Contains(ls, "anwalt") || !strings.Contains(ls, "emergency") {
		t.Errorf("mod ls:\n%s", ls)
	}
	for _, line := range strings.Split(strings.TrimSpace(ls), "\n") {
		d.mustCLI("mod", "discard", strings.SplitN(line, "\t", 2)[0])
	}
	if _, err := d.cli("mod", "reject", "999"); err == nil || !strings.Contains(err.Error(), "no such held post") {
		t.Errorf("unknown id: %v", err)
	}
	if _, err := d.cli("list", "set", "umgang", "-nonmember", "maybe"); err == nil {
		t.Error("bad -nonmember accepted")
	}
}

// TestModerationOnTheWeb: a moderator logs in with an emailed link and decides on the
// queue page; someone who moderates nothing cannot.
func TestModerationOnTheWeb(t *testing.T) {
	t.Parallel()
	sk := newSink(t)
	d := newDaemon(t, options{relay: sk.addr})
	d.mustCLI("list", "create", "kita", "-moderation", "all")
	d.mustCLI("member", "add", "kita", "mod@example.org", "-role", "moderator", "-mode", "nomail")
	d.mustCLI("member", "add", "kita", "anna@example.net", "-name", "Sonne")
	d.start()
	list := "kita@" + domain
	if err := send(d.addrs["smtp"], "anna@example.net", []string{list}, plain("Anna Mueller <anna@example.net>", list, "Bitte freigeben", "Hallo\r\n",
		"Received: from annas-laptop.fritz.box ([93.184.1.2]) by mx.example.net", "X-Mailer: Foo")); err != nil {
		t.Fatal(err)
	}
	// kita is anonymous: the notice names her pseudonym and poster number, and
	// attaches the archive copy, nothing of her name, address or machine.
	notice := sk.mailWith(t, "mod@example.org", "Bitte freigeben")
	seen := notice.Text
	for _, a := range append(notice.Attachments, notice.Inlines...) {
		seen += "\n" + string(a.Content)
	}
	for _, x := range []string{"Mueller", "anna@", "93.184.1.2", "annas-laptop", "X-Mailer"} {
		if strings.Contains(seen, x) {
			t.Errorf("the moderator's notice shows %q:\n%s", x, seen)
		}
	}
	if !strings.Contains(seen, "Sonne, Absender Nr. ") || !strings.Contains(seen, "Sonne via kita") {
		t.Errorf("the notice names neither pseudonym nor poster number, or lacks the post:\n%s", seen)
	}

	login := func(addr string) *http.Client {
		c := browser(t)
		_, page := fetch(t, c, "GET", d.httpBase+"/login", nil)
		csrf := csrfRE.FindStringSubmatch(page)[1]
		fetch(t, c, "POST", d.httpBase+"/login", url.Values{"csrf": {csrf}, "address": {addr}})
		env := sk.mailWith(t, addr, "Anmeldelink")
		press(t, c, d.link(t, env, "/login/"))
		return c
	}
	// A member who moderates nothing sees an empty queue and cannot decide.
	anna := login("anna@example.net")
	code, page := fetch(t, anna, "GET", d.httpBase+"/mod", nil)
	if code != 200 || strings.Contains(page, "Bitte freigeben") {
		t.Fatalf("member's queue: %d\n%s", code, page)
	}
	id := strings.SplitN(d.mustCLI("mod", "ls"), "\t", 2)[0]
	_, prefs := fetch(t, anna, "GET", d.httpBase+"/prefs", nil) // an empty queue has no form
	csrf := csrfRE.FindStringSubmatch(prefs)[1]
	if code, _ := fetch(t, anna, "POST", d.httpBase+"/mod", url.Values{"csrf": {csrf}, "id": {id}, "do": {"approve"}}); code != 403 {
		t.Errorf("a non-moderator's decision: %d", code)
	}

	mod := login("mod@example.org")
	code, page = fetch(t, mod, "GET", d.httpBase+"/mod", nil)
	if code != 200 || !strings.Contains(page, "Bitte freigeben") || strings.Contains(page, "anna@example.net") ||
		strings.Contains(page, "Mueller") || !strings.Contains(page, "Sonne · Absender Nr. ") {
		t.Fatalf("moderator's queue: %d\n%s", code, page)
	}
	csrf = csrfRE.FindStringSubmatch(page)[1]
	if code, page := fetch(t, mod, "POST", d.httpBase+"/mod", url.Values{"csrf": {csrf}, "id": {id}, "do": {"approve"}}); code != 200 {
		t.Fatalf("approve: %d\n%s", code, page)
	}
	sk.mailWith(t, "anna@example.net", "[kita] Bitte freigeben")
	if code, _ := fetch(t, mod, "POST", d.httpBase+"/mod", url.Values{"csrf": {csrf}, "id": {id}, "do": {"discard"}}); code != 409 {
		t.Errorf("a second decision: %d", code)
	}

	// Moderators preview the next digest; members cannot.
	if code, page := fetch(t, mod, "GET", d.httpBase+"/kita/digest", nil); code != 200 || !strings.Contains(page, "Bitte freigeben") {
		t.Errorf("digest preview: %d\n%s", code, page)
	}
	if code, _ := fetch(t, anna, "GET", d.httpBase+"/kita/digest", nil); code != 403 {
		t.Errorf("a member's digest preview: %d", code)
	}
}

// TestModerationBySiteAdmins: a list with neither moderators nor owners holds a
// stranger's post for the site admins, whose notice is in the site's language and
// whose "ok" releases it; without site admins the same post is refused (550 5.7.1).
func TestModerationBySiteAdmins(t *testing.T) {
	t.Parallel()
	sk := newSink(t)
	d := newDaemon(t, options{relay: sk.addr})
	cfg, err := os.ReadFile(d.config)
	if err != nil {
		t.Fatal(err)
	}
	// admins is a top-level key: it goes before the first table.
	if err := os.WriteFile(d.config, append([]byte("admins = [\"Chair@Example.org\"]\n"), cfg...), 0o600); err != nil {
		t.Fatal(err)
	}
	d.mustCLI("list", "create", "kita")
	d.mustCLI("member", "add", "kita", "anna@example.net")
	d.mustCLI("list", "create", "schule")
	d.start()
	smtpAddr, list := d.addrs["smtp"], "kita@"+domain

	if err := send(smtpAddr, "gast@example.com", []string{list}, plain("gast@example.com", list, "Frage", "Hallo\r\n")); err != nil {
		t.Fatalf("post to a list without moderators, with a site admin: %v", err)
	}
	notice, _ := sk.mailTo(t, "chair@example.org", 0)
	if !strings.Contains(notice.GetHeader("Subject"), "Freigabe nötig") {
		t.Errorf("site admin's notice: %q", notice.GetHeader("Subject"))
	}
	modAddr := strings.Trim(notice.GetHeader("Reply-To"), "<>")
	if err := send(smtpAddr, "chair@example.org", []string{modAddr}, plain("chair@example.org", modAddr, "Re: Freigabe", "ok\r\n")); err != nil {
		t.Fatal(err)
	}
	if c, _ := sk.mailTo(t, "anna@example.net", 0); !strings.Contains(c.GetHeader("Subject"), "[kita] Frage") {
		t.Errorf("released copy: %q", c.GetHeader("Subject"))
	}

	d.stop(5 * time.Second)
	if err := os.WriteFile(d.config, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	d.start()
	err = send(d.addrs["smtp"], "gast@example.com", []string{"schule@" + domain}, plain("gast@example.com", "schule@"+domain, "Frage", "Hallo\r\n"))
	if err == nil || !strings.Contains(err.Error(), "550") || !strings.Contains(err.Error(), "has no moderators") {
		t.Errorf("post with neither moderators nor site admins: %v, want 550 5.7.1", err)
	}
}
