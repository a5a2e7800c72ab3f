package e2e

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jhillyerd/enmime/v2"
)

// mailTo waits for the next mail the sink receives for rcpt after the first skip ones
// and returns it parsed.
func (s *sink) mailTo(t *testing.T, rcpt string, skip int) (*enmime.Envelope, sunk) {
	t.Helper()
	end := time.Now().Add(20 * time.Second)
	for {
		n := 0
		for _, m := range s.snapshot() {
			if m.To != rcpt {
				continue
			}
			if n == skip {
				env, err := enmime.ReadEnvelope(bytes.NewReader(m.Data))
				if err != nil {
					t.Fatalf("mail to %s does not parse: %v", rcpt, err)
				}
				return env, m
			}
			n++
		}
		if time.Now().After(end) {
			t.Fatalf("no mail #%d for %s; the sink has %d mails", skip+1, rcpt, len(s.snapshot()))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *sink) countTo(rcpt string) int {
	n := 0
	for _, m := range s.snapshot() {
		if m.To == rcpt {
			n++
		}
	}
	return n
}

func plain(from, to, subject, body string, extra ...string) string {
	h := "From: " + from + "\r\nTo: " + to + "\r\nSubject: " + subject + "\r\nMessage-ID: <" + fmt.Sprint(time.Now().UnixNano()) + "@client.example>\r\n"
	for _, e := range extra {
		h += e + "\r\n"
	}
	return h + "\r\n" + body
}

var urlRE = regexp.MustCompile(`http://127\.0\.0\.1:8080(/[A-Za-z0-9/_.\-]+)`)

// link finds the first listd link in a mail's text and points it at the daemon.
func (d *daemon) link(t *testing.T, env *enmime.Envelope, prefix string) string {
	t.Helper()
	for _, m := range urlRE.FindAllStringSubmatch(env.Text, -1) {
		if strings.HasPrefix(m[1], prefix) {
			return d.httpBase + m[1]
		}
	}
	t.Fatalf("no %s link in:\n%s", prefix, env.Text)
	return ""
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// browser is an HTTP client with cookies, as a person's browser.
func browser(t *testing.T) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 20 * time.Second}
}

func fetch(t *testing.T, c *http.Client, method, u string, form url.Values) (int, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, u, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// press loads a page with one form and submits it as a browser would.
func press(t *testing.T, c *http.Client, u string) (int, string) {
	t.Helper()
	code, page := fetch(t, c, "GET", u, nil)
	if code != 200 {
		t.Fatalf("GET %s: %d\n%s", u, code, page)
	}
	m := csrfRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no form on %s:\n%s", u, page)
	}
	return fetch(t, c, "POST", u, url.Values{"csrf": {m[1]}})
}

func members(t *testing.T, d *daemon, list string) string {
	return d.mustCLI("member", "ls", list)
}

func TestJoinAndLeave(t *testing.T) {
	t.Parallel()
	sk := newSink(t)
	d := newDaemon(t, options{relay: sk.addr})
	d.mustCLI("list", "create", "kita", "-title", "Kita und Schule")
	d.mustCLI("member", "add", "kita", "owner@example.org", "-role", "owner")
	d.start()
	smtpAddr := d.addrs["smtp"]
	list := "kita@" + domain

	t.Run("subscribe by mail, confirm by reply", func(t *testing.T) {
		if err := send(smtpAddr, "new@example.net", []string{"kita-subscribe@" + domain}, plain("Neu <new@example.net>", "kita-subscribe@"+domain, "", "")); err != nil {
			t.Fatal(err)
		}
		env, m := sk.mailTo(t, "new@example.net", 0)
		if !strings.Contains(env.GetHeader("Subject"), "Bitte bestätigen") || env.GetHeader("Auto-Submitted") == "" {
			t.Fatalf("confirmation: %q %q", env.GetHeader("Subject"), env.GetHeader("Auto-Submitted"))
		}
		if m.From != "kita-bounces@"+domain {
			t.Errorf("envelope sender of a notice = %q", m.From)
		}
		if strings.Contains(members(t, d, "kita"), "new@example.net") {
			t.Fatal("member before confirming")
		}
		replyTo := strings.Trim(env.GetHeader("Reply-To"), "<>")
		if !regexp.MustCompile(`^kita-confirm\+[0-9a-f]{16}\.[a-z2-7]{13}@`).MatchString(replyTo) {
			t.Fatalf("Reply-To = %q", replyTo)
		}
		if err := send(smtpAddr, "new@example.net", []string{replyTo}, plain("new@example.net", replyTo, "Re: "+env.GetHeader("Subject"), "ok\r\n")); err != nil {
			t.Fatal(err)
		}
		welcome, _ := sk.mailTo(t, "new@example.net", 1)
		if !strings.Contains(welcome.GetHeader("Subject"), "Willkommen") || !strings.Contains(welcome.Text, list) {
			t.Errorf("welcome: %s\n%s", welcome.GetHeader("Subject"), welcome.Text)
		}
		if !strings.Contains(members(t, d, "kita"), "new@example.net\teach\tmember") {
			t.Errorf("not a member after confirming:\n%s", members(t, d, "kita"))
		}
		// The same reply again does nothing but explain.
		if err := send(smtpAddr, "new@example.net", []string{replyTo}, plain("new@example.net", replyTo, "Re: nochmal", "ok\r\n")); err != nil {
			t.Fatal(err)
		}
		again, _ := sk.mailTo(t, "new@example.net", 2)
		if !strings.Contains(again.Text, "ungültig") {
			t.Errorf("reused confirmation: %s", again.Text)
		}
	})

	t.Run("confirm by web", func(t *testing.T) {
		if err := send(smtpAddr, "web@example.net", []string{"kita-request@" + domain}, plain("web@example.net", "kita-request@"+domain, "subscribe", "")); err != nil {
			t.Fatal(err)
		}
		env, _ := sk.mailTo(t, "web@example.net", 0)
		if !strings.Contains(env.GetHeader("Subject"), "Please confirm") {
			t.Errorf("an English request gets an English answer: %q", env.GetHeader("Subject"))
		}
		confirm := d.link(t, env, "/confirm/")
		c := browser(t)
		// A GET (a mail scanner following the link) changes nothing.
		if code, _ := fetch(t, c, "GET", confirm, nil); code != 200 || strings.Contains(members(t, d, "kita"), "web@") {
			t.Fatalf("GET changed something or failed: %d", code)
		}
		// A POST without the form's token is refused.
		if code, _ := fetch(t, c, "POST", confirm, url.Values{}); code != 403 {
			t.Errorf("POST without CSRF token: %d", code)
		}
		code, page := press(t, c, confirm)
		if code != 200 || !strings.Contains(members(t, d, "kita"), "web@example.net") {
			t.Fatalf("confirm by web: %d\n%s", code, page)
		}
		// Reused and forged tokens are refused and change nothing.
		if code, _ := fetch(t, c, "GET", confirm, nil); code != 400 {
			t.Errorf("reused token: %d", code)
		}
		forged := confirm[:len(confirm)-3] + "xyz"
		if code, _ := fetch(t, c, "GET", forged, nil); code != 400 {
			t.Errorf("forged token: %d", code)
		}
	})

	t.Run("subscribe form", func(t *testing.T) {
		c := browser(t)
		code, page := fetch(t, c, "GET", d.httpBase+"/kita/subscribe", nil)
		if code != 200 {
			t.Fatalf("form: %d", code)
		}
		csrf := csrfRE.FindStringSubmatch(page)[1]
		form := url.Values{"csrf": {csrf}, "address": {"form@example.net"}, "mode": {"digest"}, "name": {"Sonnenblume"}, "postal": {"10115"}}
		if code, _ := fetch(t, c, "POST", d.httpBase+"/kita/subscribe", form); code != 400 {
			t.Errorf("without consent: %d", code)
		}
		form.Set("consent", "yes")
		code, page = fetch(t, c, "POST", d.httpBase+"/kita/subscribe", form)
		if code != 200 || !strings.Contains(page, "Postfach") {
			t.Fatalf("subscribe: %d\n%s", code, page)
		}
		// A member asking again gets the very same page.
		form.Set("address", "new@example.net")
		if _, again := fetch(t, c, "POST", d.httpBase+"/kita/subscribe", form); again != page {
			t.Error("the answer differs for an existing member")
		}
		env, _ := sk.mailTo(t, "form@example.net", 0)
		press(t, c, d.link(t, env, "/confirm/"))
		if !strings.Contains(members(t, d, "kita"), "form@example.net\tdigest\tmember") {
			t.Errorf("form member:\n%s", members(t, d, "kita"))
		}
	})

	t.Run("set digest by mail", func(t *testing.T) {
		before := sk.countTo("new@example.net")
		if err := send(smtpAddr, "new@example.net", []string{"kita-request@" + domain},
			plain("new@example.net", "kita-request@"+domain, "Re: [kita] Frage", "set digest\r\n\r\n-- \r\nNeu\r\n")); err != nil {
			t.Fatal(err)
		}
		env, _ := sk.mailTo(t, "new@example.net", before)
		if !strings.Contains(env.Text, "Zusammenfassung") && !strings.Contains(env.Text, "digest") {
			t.Errorf("reply: %s", env.Text)
		}
		if !strings.Contains(members(t, d, "kita"), "new@example.net\tdigest") {
			t.Errorf("mode not set:\n%s", members(t, d, "kita"))
		}
	})

	t.Run("unsubscribe by mail", func(t *testing.T) {
		before := sk.countTo("new@example.net")
		if err := send(smtpAddr, "new@example.net", []string{"kita-unsubscribe@" + domain}, plain("new@example.net", "kita-unsubscribe@"+domain, "abmelden", "")); err != nil {
			t.Fatal(err)
		}
		env, _ := sk.mailTo(t, "new@example.net", before)
		replyTo := strings.Trim(env.GetHeader("Reply-To"), "<>")
		if !strings.Contains(members(t, d, "kita"), "new@example.net") {
			t.Fatal("removed before confirming")
		}
		send(smtpAddr, "new@example.net", []string{replyTo}, plain("new@example.net", replyTo, "Re: x", "ja\r\n"))
		bye, _ := sk.mailTo(t, "new@example.net", before+1)
		if !strings.Contains(bye.GetHeader("Subject"), "Abgemeldet") || strings.Contains(members(t, d, "kita"), "new@example.net") {
			t.Errorf("goodbye %q; members:\n%s", bye.GetHeader("Subject"), members(t, d, "kita"))
		}
	})

	t.Run("one-click unsubscribe", func(t *testing.T) {
		if err := send(smtpAddr, "web@example.net", []string{list}, plain("web@example.net", list, "Hallo", "Hallo\r\n")); err != nil {
			t.Fatal(err)
		}
		copyFor := func() (*enmime.Envelope, bool) {
			for _, m := range sk.snapshot() {
				if m.To == "web@example.net" && strings.HasPrefix(m.From, "kita-bounces+") {
					env, _ := enmime.ReadEnvelope(bytes.NewReader(m.Data))
					return env, true
				}
			}
			return nil, false
		}
		var env *enmime.Envelope
		for end := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			var ok bool
			if env, ok = copyFor(); ok {
				break
			}
			if time.Now().After(end) {
				t.Fatal("no list copy for web@example.net")
			}
		}
		u := regexp.MustCompile(`<http://127\.0\.0\.1:8080(/u/[^>]+)>`).FindStringSubmatch(env.GetHeader("List-Unsubscribe"))
		if u == nil {
			t.Fatalf("List-Unsubscribe = %q", env.GetHeader("List-Unsubscribe"))
		}
		target := d.httpBase + u[1]
		// A GET shows a button and changes nothing.
		if code, _ := fetch(t, http.DefaultClient, "GET", target, nil); code != 200 || !strings.Contains(members(t, d, "kita"), "web@") {
			t.Fatalf("GET: %d", code)
		}
		// RFC 8058: a POST with that body, no cookie, no form token.
		resp, err := http.Post(target, "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || strings.Contains(members(t, d, "kita"), "web@example.net") {
			t.Errorf("one-click: %d; members:\n%s", resp.StatusCode, members(t, d, "kita"))
		}
	})

	t.Run("automatic mail is never answered", func(t *testing.T) {
		before := sk.countTo("robot@example.net")
		for _, extra := range []string{"Auto-Submitted: auto-replied", "Precedence: bulk", "X-Autoreply: yes"} {
			send(smtpAddr, "robot@example.net", []string{"kita-request@" + domain}, plain("robot@example.net", "kita-request@"+domain, "hilfe", "", extra))
		}
		send(smtpAddr, "", []string{"kita-request@" + domain}, plain("robot@example.net", "kita-request@"+domain, "hilfe", ""))
		send(smtpAddr, "mailer-daemon@example.net", []string{"kita-subscribe@" + domain}, plain("MAILER-DAEMON@example.net", "kita-subscribe@"+domain, "x", ""))
		time.Sleep(500 * time.Millisecond)
		if n := sk.countTo("robot@example.net") + sk.countTo("mailer-daemon@example.net"); n != before {
			t.Errorf("%d answers to automatic mail", n-before)
		}
	})

	t.Run("replies are rate limited", func(t *testing.T) {
		for i := 0; i < 8; i++ {
			send(smtpAddr, "chatty@example.net", []string{"kita-request@" + domain}, plain("chatty@example.net", "kita-request@"+domain, "hilfe", ""))
		}
		time.Sleep(700 * time.Millisecond)
		if n := sk.countTo("chatty@example.net"); n > 5 || n == 0 {
			t.Errorf("%d help replies for 8 requests, want 1..5", n)
		}
	})
}

func dsn(to, status, diag string) string {
	return "From: MAILER-DAEMON@mx.example.net\r\nTo: " + to + "\r\nSubject: Undelivered Mail Returned to Sender\r\n" +
		"Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n" +
		"--b\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n" +
		"--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.net\r\n\r\n" +
		"Final-Recipient: rfc822; member@example.net\r\nAction: failed\r\nStatus: " + status + "\r\n" +
		"Diagnostic-Code: smtp; " + diag + "\r\n\r\n--b--\r\n"
}

func TestBounces(t *testing.T) {
	t.Parallel()
	sk := newSink(t)
	d := newDaemon(t, options{relay: sk.addr})
	d.mustCLI("list", "create", "kita")
	d.mustCLI("member", "add", "kita", "owner@example.org", "-role", "owner")
	d.mustCLI("member", "add", "kita", "gone@example.net")
	d.mustCLI("member", "add", "kita", "strict@example.net")
	d.start()
	smtpAddr := d.addrs["smtp"]
	list := "kita@" + domain
	if err := send(smtpAddr, "owner@example.org", []string{list}, plain("owner@example.org", list, "Hallo", "Hallo\r\n")); err != nil {
		t.Fatal(err)
	}
	_, gone := sk.mailTo(t, "gone@example.net", 0)
	_, strict := sk.mailTo(t, "strict@example.net", 0)

	// A forged bounce (a VERP address whose MAC does not match) changes nothing.
	forged := "kita-bounces+strict=example.net.aaaaaaaaaaaaa@" + domain
	for i := 0; i < 6; i++ {
		if err := send(smtpAddr, "", []string{forged}, dsn(forged, "5.1.1", "550 5.1.1 no such user")); err != nil {
			t.Fatal(err)
		}
	}
	// DMARC rejections are not the member's fault.
	for i := 0; i < 6; i++ {
		if err := send(smtpAddr, "", []string{strict.From}, dsn(strict.From, "5.7.26", "550 5.7.26 Unauthenticated email from example.org is not accepted due to domain's DMARC policy")); err != nil {
			t.Fatal(err)
		}
	}
	// Five hard bounces disable a member.
	for i := 0; i < 5; i++ {
		if err := send(smtpAddr, "", []string{gone.From}, dsn(gone.From, "5.1.1", "550 5.1.1 user unknown")); err != nil {
			t.Fatal(err)
		}
	}
	notice, _ := sk.mailTo(t, "gone@example.net", 1)
	if !strings.Contains(notice.GetHeader("Subject"), "pausiert") || !strings.Contains(notice.Text, "/reenable/") {
		t.Errorf("disabled notice: %s\n%s", notice.GetHeader("Subject"), notice.Text)
	}
	summary, _ := sk.mailTo(t, "owner@example.org", 1)
	if !strings.Contains(summary.Text, "gone@example.net") {
		t.Errorf("owner summary: %s", summary.Text)
	}

	if err := send(smtpAddr, "owner@example.org", []string{list}, plain("owner@example.org", list, "Zweiter", "Noch mal\r\n")); err != nil {
		t.Fatal(err)
	}
	sk.mailTo(t, "strict@example.net", 1) // DMARC bounces left the member alone
	sk.mailTo(t, "owner@example.org", 2)
	time.Sleep(300 * time.Millisecond)
	if n := sk.countTo("gone@example.net"); n != 2 {
		t.Errorf("gone@ got %d mails, want the first post and the notice only", n)
	}

	// The re-enable link turns delivery back on.
	c := browser(t)
	if code, page := press(t, c, d.link(t, notice, "/reenable/")); code != 200 {
		t.Fatalf("re-enable: %d\n%s", code, page)
	}
	send(smtpAddr, "owner@example.org", []string{list}, plain("owner@example.org", list, "Dritter", "Und noch mal\r\n"))
	sk.mailTo(t, "gone@example.net", 2)
}

// mailWith waits for a mail to rcpt whose Subject contains subject.
func (s *sink) mailWith(t *testing.T, rcpt, subject string) *enmime.Envelope {
	t.Helper()
	end := time.Now().Add(20 * time.Second)
	for {
		for _, m := range s.snapshot() {
			if m.To != rcpt {
				continue
			}
			env, err := enmime.ReadEnvelope(bytes.NewReader(m.Data))
			if err == nil && strings.Contains(env.GetHeader("Subject"), subject) {
				return env
			}
		}
		if time.Now().After(end) {
			t.Fatalf("no mail for %s with subject %q", rcpt, subject)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
