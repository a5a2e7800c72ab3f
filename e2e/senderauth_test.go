package e2e

import (
	"strings"
	"testing"
	"time"
)

// TestSenderForgedEnvelope: a stranger's envelope with a member's From is not sent to
// the members and not archived under the member's pseudonym; it waits for the
// moderators with a reason in both languages. The member's own post goes out.
func TestSenderForgedEnvelope(t *testing.T) {
	t.Parallel()
	sk := newSink(t)
	d := newDaemon(t, options{relay: sk.addr})
	d.mustCLI("list", "create", "kita", "-anonymous", "yes", "-archive", "public")
	d.mustCLI("member", "add", "kita", "mod@example.org", "-role", "moderator", "-mode", "nomail")
	d.mustCLI("member", "add", "kita", "anna@example.net")
	d.mustCLI("member", "add", "kita", "Bob Becker <bob@example.net>", "-name", "Papa B.")
	d.start()
	list := "kita@" + domain

	forged := plain("Bob Becker <bob@example.net>", list, "Treffen bei mir", "Kommt alle zu mir nach Hause.\r\n")
	if err := send(d.addrs["smtp"], "attacker@evil.example", []string{list}, forged); err != nil {
		t.Fatalf("forged post: %v", err)
	}
	notice := sk.mailWith(t, "mod@example.org", "Treffen bei mir")
	if !strings.Contains(notice.Text, "sender not authenticated") || !strings.Contains(notice.Text, "Absender nicht bestätigt") {
		t.Errorf("moderator notice without the reason:\n%s", notice.Text)
	}
	if out := d.mustCLI("mod", "ls"); !strings.Contains(out, "Treffen bei mir") {
		t.Errorf("mod ls:\n%s", out)
	}

	// Bob's own post comes after the forged one; when it has reached Anna, the forged
	// one would have too.
	own := plain("Bob Becker <bob@example.net>", list, "Echte Frage", "Wer kennt eine gute Kita?\r\n")
	if err := send(d.addrs["smtp"], "Bob@Example.net", []string{list}, own); err != nil {
		t.Fatalf("member's own post: %v", err)
	}
	got := sk.mailWith(t, "anna@example.net", "Echte Frage")
	if !strings.Contains(got.GetHeader("From"), "Papa B.") {
		t.Errorf("the member's own post is not under the pseudonym: From %q", got.GetHeader("From"))
	}
	time.Sleep(300 * time.Millisecond)
	for _, m := range sk.snapshot() {
		if m.To != "mod@example.org" && strings.Contains(string(m.Data), "Treffen bei mir") && m.To != "bob@example.net" {
			t.Errorf("the forged post reached %s", m.To)
		}
		if m.To == "anna@example.net" && strings.Contains(string(m.Data), "Kommt alle zu mir") {
			t.Errorf("the forged post reached a member")
		}
	}
	var page []map[string]any
	if code := getJSON(t, d.httpBase+"/api/v1/lists/kita/messages", &page); code != 200 || len(page) != 1 {
		t.Errorf("archive: %d, %v; want only the member's own post", code, page)
	}
	if log := d.log.String(); strings.Contains(log, "evil.example") || strings.Contains(log, "bob@example.net") {
		t.Errorf("the log names an address:\n%s", log)
	}
	if !strings.Contains(d.log.String(), "sender authentication") {
		t.Errorf("no verdict in the log:\n%s", d.log.String())
	}
}

// TestSenderDMARCDomain: listd asks the configured resolver. A member whose domain
// publishes DMARC p=reject and whose post carries no aligned signature is held, even
// with the member's own envelope; a member of a domain that publishes nothing posts.
func TestSenderDMARCDomain(t *testing.T) {
	t.Parallel()
	dns.publishTXT("_dmarc.strict.example", "v=DMARC1; p=reject")
	sk := newSink(t)
	d := newDaemon(t, options{relay: sk.addr})
	d.mustCLI("list", "create", "umgang", "-archive", "public")
	d.mustCLI("member", "add", "umgang", "mod@example.org", "-role", "moderator", "-mode", "nomail")
	d.mustCLI("member", "add", "umgang", "carla@strict.example")
	d.mustCLI("member", "add", "umgang", "anna@example.net")
	d.start()
	list := "umgang@" + domain

	if err := send(d.addrs["smtp"], "carla@strict.example", []string{list},
		plain("carla@strict.example", list, "Ohne Signatur", "Hallo\r\n")); err != nil {
		t.Fatalf("post: %v", err)
	}
	sk.mailWith(t, "mod@example.org", "Ohne Signatur")
	if err := send(d.addrs["smtp"], "anna@example.net", []string{list},
		plain("anna@example.net", list, "Von Anna", "Hallo\r\n")); err != nil {
		t.Fatalf("post: %v", err)
	}
	sk.mailWith(t, "carla@strict.example", "Von Anna")
	if out := d.mustCLI("mod", "ls"); !strings.Contains(out, "Ohne Signatur") || strings.Contains(out, "Von Anna") {
		t.Errorf("mod ls:\n%s", out)
	}
}
