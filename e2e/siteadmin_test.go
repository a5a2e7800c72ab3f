package e2e

import (
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	gosmtp "github.com/emersion/go-smtp"
)

// TestSiteAdminCLI drives the commands for running the site (#17): site admins,
// member set and export, CSV import, bans (a banned address with another case or
// +tag is still banned, joining and posting), the audit log and list rm.
func TestSiteAdminCLI(t *testing.T) {
	t.Parallel()
	d := newDaemon(t, options{})
	cfg, err := os.ReadFile(d.config)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(d.config, append([]byte("admins = [\"Chair@Example.org\"]\n"), cfg...), 0o600); err != nil {
		t.Fatal(err)
	}

	// Site admins.
	d.mustCLI("admin", "add", "Boss+web@Example.ORG")
	if out := d.mustCLI("admin", "ls"); out != "boss@example.org\tadded\nchair@example.org\tconfig\n" {
		t.Errorf("admin ls = %q", out)
	}
	if _, err := d.cli("admin", "rm", "chair@example.org"); err == nil || !strings.Contains(err.Error(), "config") {
		t.Errorf("admin rm of the config's admin: %v", err)
	}
	d.mustCLI("admin", "rm", "boss@example.org")
	if out := d.mustCLI("admin", "ls"); out != "chair@example.org\tconfig\n" {
		t.Errorf("admin ls after rm = %q", out)
	}

	// Members.
	d.mustCLI("list", "create", "kita", "-title", "Kita")
	d.mustCLI("member", "add", "kita", "Anna <anna@example.net>")
	d.mustCLI("member", "set", "kita", "ANNA@example.net", "-mode", "digest", "--role", "moderator", "-postal", "10115", "-name", "Anna, K.")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"member", "set", "kita", "anna@example.net", "-mode", "weekly"}, `-mode "weekly"`},
		{[]string{"member", "set", "kita", "anna@example.net", "-role", "admin"}, `"admin"`},
		{[]string{"member", "set", "kita", "anna@example.net", "-postal", "<b>"}, `"<b>"`},
		{[]string{"member", "set", "kita", "anna@example.net"}, "nothing to change"},
		{[]string{"member", "set", "kita", "zed@example.net", "-mode", "each"}, "not a member"},
	} {
		if _, err := d.cli(c.args...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want an error with %s", c.args, err, c.want)
		}
	}
	csvFile := filepath.Join(d.dir, "members.csv")
	os.WriteFile(csvFile, []byte("\ufeffAdresse;Name;Modus;PLZ\r\nben@example.net;Ben;nomail;80331\r\n\"cem@example.net\";\"Cem; C.\";;\r\n"), 0o600)
	if out := d.mustCLI("member", "import", "kita", csvFile); !strings.Contains(out, "imported 2 new members") {
		t.Errorf("CSV import = %q", out)
	}
	badCSV := filepath.Join(d.dir, "bad.csv")
	os.WriteFile(badCSV, []byte("email,mode\nd@example.net,each\nnobody,each\ne@example.net,weekly\n"), 0o600)
	if _, err := d.cli("member", "import", "kita", badCSV); err == nil || !strings.Contains(err.Error(), "line 3") ||
		!strings.Contains(err.Error(), "line 4") {
		t.Errorf("bad CSV import: %v", err)
	}
	want := "email,name,mode,role,postal\r\nanna@example.net,\"Anna, K.\",digest,moderator,10115\r\n" +
		"ben@example.net,Ben,nomail,member,80331\r\ncem@example.net,Cem; C.,each,member,\r\n"
	if out := d.mustCLI("member", "export", "kita"); out != want {
		t.Errorf("member export =\n%q\nwant\n%q", out, want)
	}

	// Bans.
	d.mustCLI("ban", "add", "kita", "Eve+List@EXAMPLE.org")
	d.mustCLI("ban", "add", "kita", "@Spam.Example")
	if out := d.mustCLI("ban", "ls", "kita"); !strings.HasPrefix(out, "@spam.example\t") || !strings.Contains(out, "\neve@example.org\t") {
		t.Errorf("ban ls = %q", out)
	}
	for _, a := range []string{"eve@example.org", "EVE+other@Example.Org", "x@mail.spam.example"} {
		if _, err := d.cli("member", "add", "kita", a); err == nil || !strings.Contains(err.Error(), "may not join") {
			t.Errorf("member add of banned %s: %v", a, err)
		}
	}
	d.start()
	post := func(from string) error {
		return send(d.addrs["smtp"], from, []string{"kita@" + domain},
			"From: "+from+"\r\nTo: kita@"+domain+"\r\nSubject: Hallo\r\nMessage-ID: <"+strings.ReplaceAll(from, "@", ".")+"@x>\r\n\r\nHallo\r\n")
	}
	for _, from := range []string{"EVE+tag@example.org", "eve@EXAMPLE.ORG", "x@spam.example"} {
		var se *gosmtp.SMTPError
		if err := post(from); !errors.As(err, &se) || se.Code != 550 || se.EnhancedCode != (gosmtp.EnhancedCode{5, 7, 1}) {
			t.Errorf("post from banned %s: %v, want 550 5.7.1", from, err)
		}
	}
	if err := post("anna@example.net"); err != nil {
		t.Errorf("post from a member: %v", err)
	}
	d.mustCLI("ban", "rm", "kita", "eve@example.org")
	d.mustCLI("member", "add", "kita", "eve+x@example.org")

	// The audit log names who did what, members only by number.
	audit := d.mustCLI("audit", "ls", "kita")
	for _, action := range []string{"member-add", "member-set", "member-import", "member-export", "ban-add", "ban-remove"} {
		if !strings.Contains(audit, "\tkita\tcli\t"+action+"\t") {
			t.Errorf("audit ls has no %s:\n%s", action, audit)
		}
	}
	for _, addr := range []string{"anna", "ben@", "eve"} {
		if strings.Contains(audit, addr) {
			t.Errorf("audit ls names %s:\n%s", addr, audit)
		}
	}

	// list rm deletes the list with its archive and members.
	if out := d.mustCLI("list", "rm", "kita"); !strings.Contains(out, "deleted kita: 1 posts, 4 members") {
		t.Errorf("list rm = %q", out)
	}
	if out := d.mustCLI("list", "ls"); out != "" {
		t.Errorf("list ls after rm = %q", out)
	}
	if _, err := d.cli("list", "show", "kita"); err == nil || !strings.Contains(err.Error(), "no such list") {
		t.Errorf("list show after rm: %v", err)
	}
	if out := d.mustCLI("audit", "ls"); !strings.Contains(out, "\tkita\tcli\tlist-delete\t") || strings.Contains(out, "member-add") {
		t.Errorf("audit ls after list rm:\n%s", out)
	}
	if err := post("anna@example.net"); err == nil {
		t.Error("a post to the deleted list was taken")
	}
}

// TestSiteAdminLogin: a site admin on no list gets the emailed login link, sees
// every list's held posts on /mod and decides on them; the decision is in the audit
// log under the admin's address, the poster only by number.
func TestSiteAdminLogin(t *testing.T) {
	t.Parallel()
	sk := newSink(t)
	d := newDaemon(t, options{relay: sk.addr})
	cfg, err := os.ReadFile(d.config)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(d.config, append([]byte("admins = [\"chair@example.org\"]\n"), cfg...), 0o600); err != nil {
		t.Fatal(err)
	}
	d.mustCLI("list", "create", "kita", "-moderation", "all")
	d.mustCLI("member", "add", "kita", "anna@example.net", "-name", "Sonne")
	d.mustCLI("member", "add", "kita", "mod@example.org", "-role", "moderator", "-mode", "nomail")
	d.start()
	list := "kita@" + domain
	if err := send(d.addrs["smtp"], "anna@example.net", []string{list}, plain("Anna <anna@example.net>", list, "Bitte freigeben", "Hallo\r\n")); err != nil {
		t.Fatal(err)
	}
	c := browser(t)
	_, page := fetch(t, c, "GET", d.httpBase+"/login", nil)
	csrf := csrfRE.FindStringSubmatch(page)[1]
	fetch(t, c, "POST", d.httpBase+"/login", url.Values{"csrf": {csrf}, "address": {"Chair+web@Example.org"}})
	env := sk.mailWith(t, "chair+web@example.org", "Anmeldelink")
	press(t, c, d.link(t, env, "/login/"))
	code, page := fetch(t, c, "GET", d.httpBase+"/mod", nil)
	if code != 200 || !strings.Contains(page, "Bitte freigeben") || strings.Contains(page, "anna@example.net") {
		t.Fatalf("site admin's queue: %d\n%s", code, page)
	}
	id := strings.SplitN(d.mustCLI("mod", "ls"), "\t", 2)[0]
	csrf = csrfRE.FindStringSubmatch(page)[1]
	if code, page := fetch(t, c, "POST", d.httpBase+"/mod", url.Values{"csrf": {csrf}, "id": {id}, "do": {"approve"}}); code != 200 {
		t.Fatalf("approve: %d\n%s", code, page)
	}
	audit := d.mustCLI("audit", "ls", "kita")
	if !strings.Contains(audit, "\tkita\tchair+web@example.org\tmoderate\tapprove held #"+id+" from poster ") || strings.Contains(audit, "anna") {
		t.Errorf("audit ls:\n%s", audit)
	}
}
