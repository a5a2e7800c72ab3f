package e2e

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"
)

// mailbox folds an address as listd's limits do: lower-case, +tag dropped.
func mailbox(addr string) string {
	addr = strings.ToLower(addr)
	local, dom, _ := strings.Cut(addr, "@")
	local, _, _ = strings.Cut(local, "+")
	return local + "@" + dom
}

// settled waits until the sink has received nothing new for a while and returns what
// it holds.
func (s *sink) settled(quiet, timeout time.Duration) []sunk {
	end := time.Now().Add(timeout)
	n, since := -1, time.Now()
	for time.Now().Before(end) {
		got := s.snapshot()
		if len(got) != n {
			n, since = len(got), time.Now()
		} else if time.Since(since) >= quiet {
			return got
		}
		time.Sleep(50 * time.Millisecond)
	}
	return s.snapshot()
}

// TestMailCannon: a stranger asks for mail to one mailbox under thirty sub-addresses,
// through every address that answers and the web's forms. The mailbox gets at most
// its budget, and none of the mails carries the stranger's words.
func TestMailCannon(t *testing.T) {
	t.Parallel()
	sk := newSink(t)
	d := newDaemon(t, options{relay: sk.addr})
	d.mustCLI("list", "create", "kita", "-title", "Kita und Schule")
	d.mustCLI("member", "add", "kita", "mod@example.org", "-role", "moderator")
	d.start()
	smtpAddr := d.addrs["smtp"]
	const evil = "Click http://evil.example/win"

	for i := 1; i <= 30; i++ {
		from := fmt.Sprintf("Victim+%d@Example.org", i)
		var rcpt, subject, body string
		switch i % 5 {
		case 0:
			rcpt = "kita-subscribe@" + domain
			body = "name " + evil
		case 1:
			rcpt, subject, body = "kita-request@"+domain, "help", evil
		case 2:
			rcpt, subject = "beratung@"+domain, "Beratung"
		case 3:
			rcpt, subject, body = "kita@"+domain, evil, "Hallo" // a non-member's post: held, the poster told
		case 4:
			rcpt = "kita-unsubscribe@" + domain
		}
		raw := plain(`"`+evil+`" <`+from+`>`, rcpt, subject, body+"\r\n")
		if err := send(smtpAddr, from, []string{rcpt}, raw); err != nil {
			t.Fatalf("request %d to %s: %v", i, rcpt, err)
		}
	}
	// The web's join form and login form count against the same mailbox, and say so.
	c := browser(t)
	for i, page := range []string{"/kita/subscribe", "/login"} {
		code, form := fetch(t, c, "GET", d.httpBase+page, nil)
		if code != 200 {
			t.Fatalf("GET %s: %d", page, code)
		}
		v := url.Values{"csrf": {csrfRE.FindStringSubmatch(form)[1]}, "address": {fmt.Sprintf("victim+web%d@example.org", i)},
			"consent": {"yes"}, "name": {evil}, "mode": {"each"}}
		code, answer := fetch(t, c, "POST", d.httpBase+page, v)
		if code != 429 || !strings.Contains(answer, "zu viele") || !strings.Contains(answer, "nichts verschickt") && !strings.Contains(answer, "kein neuer Link verschickt") {
			t.Errorf("POST %s past the limit: %d\n%s", page, code, answer)
		}
	}

	got := sk.settled(2*time.Second, 30*time.Second)
	n := 0
	for _, m := range got {
		if mailbox(m.To) != "victim@example.org" {
			continue
		}
		n++
		if strings.Contains(string(m.Data), "evil") {
			t.Errorf("mail to %s carries the stranger's text:\n%s", m.To, m.Data)
		}
	}
	if n > 5 {
		t.Errorf("one mailbox got %d mails from a stranger's requests, want at most 5", n)
	}
	if n == 0 {
		t.Error("the mailbox got no mail at all")
	}
	if !strings.Contains(d.log.String(), `msg="mail to an unconfirmed address not sent"`) {
		t.Error("the refusals are not logged")
	}
	if strings.Contains(d.log.String(), "victim") {
		t.Error("the log names the address")
	}
}

// TestNoPseudonymInConfirmation: the pseudonym given with a join request, by mail or
// on the web, is not in the confirmation mail.
func TestNoPseudonymInConfirmation(t *testing.T) {
	t.Parallel()
	sk := newSink(t)
	d := newDaemon(t, options{relay: sk.addr})
	d.mustCLI("list", "create", "kita", "-title", "Kita und Schule")
	d.start()
	const evil = "Click http://evil.example/win"
	if err := send(d.addrs["smtp"], "mail@example.net", []string{"kita-subscribe@" + domain},
		plain(`"`+evil+`" <mail@example.net>`, "kita-subscribe@"+domain, "", "name "+evil+"\r\n")); err != nil {
		t.Fatal(err)
	}
	c := browser(t)
	_, form := fetch(t, c, "GET", d.httpBase+"/kita/subscribe", nil)
	code, page := fetch(t, c, "POST", d.httpBase+"/kita/subscribe", url.Values{"csrf": {csrfRE.FindStringSubmatch(form)[1]},
		"address": {"web@example.net"}, "consent": {"yes"}, "name": {evil}, "mode": {"each"}})
	if code != 200 {
		t.Fatalf("subscribe: %d\n%s", code, page)
	}
	for _, rcpt := range []string{"mail@example.net", "web@example.net"} {
		env, m := sk.mailTo(t, rcpt, 0)
		if !strings.Contains(env.GetHeader("Subject"), "bestätigen") {
			t.Fatalf("not a confirmation: %q", env.GetHeader("Subject"))
		}
		if strings.Contains(env.Text, "evil") || strings.Contains(string(m.Data), "evil") {
			t.Errorf("the confirmation to %s carries the pseudonym:\n%s", rcpt, m.Data)
		}
	}
}
