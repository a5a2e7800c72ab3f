package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"
	"github.com/jhillyerd/enmime/v2"
)

func post(from, subject, body string, extra ...string) string {
	h := "From: Poster <" + from + ">\r\nTo: kita@" + domain + "\r\nSubject: " + subject +
		"\r\nDate: Wed, 25 Nov 2026 10:00:00 +0100\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n"
	for _, e := range extra {
		h += e + "\r\n"
	}
	return h + "\r\n" + body
}

func smtpCode(err error) (int, string) {
	var se *gosmtp.SMTPError
	if errors.As(err, &se) {
		return se.Code, fmt.Sprintf("%d.%d.%d", se.EnhancedCode[0], se.EnhancedCode[1], se.EnhancedCode[2])
	}
	return 0, ""
}

func getJSON(t *testing.T, url string, v any) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if v != nil && resp.StatusCode == 200 {
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("%s: %v: %s", url, err, b)
		}
	}
	return resp.StatusCode
}

// TestPostReachesEveryMember is the core path: a member's post is archived and each
// member gets a personalized copy with the list headers, through the relay.
func TestPostReachesEveryMember(t *testing.T) {
	t.Parallel()
	sk := newSink(t)
	d := newDaemon(t, options{relay: sk.addr})
	d.mustCLI("list", "create", "kita", "-title", "Kita und Schule", "-archive", "public")
	members := []string{"anna@example.net", "ben@example.com", "cem@example.org"}
	for _, m := range members {
		d.mustCLI("member", "add", "kita", m)
	}
	d.start()

	body := "Hallo zusammen,\r\nwer kennt eine Kita mit Plätzen in Köln?\r\n"
	raw := post("anna@example.net", "Kitaplätze", body,
		"Message-ID: <first@example.net>", "List-Post: <mailto:other@example.com>", "List-Unsubscribe: <mailto:x@example.com>")
	if err := send(d.addrs["smtp"], "anna@example.net", []string{"kita@" + domain}, raw); err != nil {
		t.Fatalf("member post: %v", err)
	}

	got := sk.waitFor(t, len(members), 20*time.Second)
	seenRcpt := map[string]bool{}
	unsubURLs := map[string]bool{}
	for _, m := range got {
		seenRcpt[m.To] = true
		// VERP: NAME-bounces+local=domain.MAC@DOMAIN
		if !regexp.MustCompile(`^kita-bounces\+` + regexp.QuoteMeta(strings.Replace(m.To, "@", "=", 1)) + `\.[a-z2-7]{13}@` + regexp.QuoteMeta(domain) + `$`).MatchString(m.From) {
			t.Errorf("envelope from = %q, want a signed VERP for %s", m.From, m.To)
		}
		env, err := enmime.ReadEnvelope(bytes.NewReader(m.Data))
		if err != nil {
			t.Fatalf("copy for %s does not parse: %v", m.To, err)
		}
		for _, e := range env.Errors {
			if e.Severe {
				t.Errorf("copy for %s: MIME error %v", m.To, e)
			}
		}
		want := map[string]string{
			"List-Id":               `"Kita und Schule" <kita.` + domain + `>`,
			"List-Post":             "<mailto:kita@" + domain + ">",
			"List-Help":             "<mailto:kita-request@" + domain + "?subject=help>",
			"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
			"List-Archive":          "<http://127.0.0.1:8080/kita/>",
			"Precedence":            "list",
			"Subject":               "[kita] Kitaplätze",
		}
		for k, v := range want {
			if got := env.GetHeader(k); got != v {
				t.Errorf("%s: %s = %q, want %q", m.To, k, got, v)
			}
		}
		for _, h := range []string{"List-Id", "List-Post", "List-Unsubscribe"} {
			if vs := env.GetHeaderValues(h); len(vs) != 1 {
				t.Errorf("%s appears %d times; the incoming one must be removed", h, len(vs))
			}
		}
		if !strings.HasPrefix(env.GetHeader("Archived-At"), "<http://127.0.0.1:8080/kita/m/") {
			t.Errorf("Archived-At = %q", env.GetHeader("Archived-At"))
		}
		if s := env.GetHeader("List-Subscribe"); !strings.Contains(s, "mailto:kita-subscribe@"+domain) {
			t.Errorf("List-Subscribe = %q", s)
		}
		unsub := env.GetHeader("List-Unsubscribe")
		if !regexp.MustCompile(`^<http://127\.0\.0\.1:8080/u/[A-Za-z0-9_.-]+>, <mailto:kita-unsubscribe@` + regexp.QuoteMeta(domain) + `>$`).MatchString(unsub) {
			t.Errorf("List-Unsubscribe = %q", unsub)
		}
		unsubURLs[unsub] = true
		if !strings.Contains(env.Text, "Plätzen in Köln") || !strings.Contains(env.Text, "kita-unsubscribe@"+domain) {
			t.Errorf("body lacks the post or the footer: %q", env.Text)
		}
		// The list is anonymous (the default): no copy names any member, the poster included.
		for _, other := range members {
			if other != m.To && bytes.Contains(m.Data, []byte(other)) {
				t.Errorf("copy for %s names another member %s", m.To, other)
			}
		}
		if from := env.GetHeader("From"); from != `"Ein Mitglied via kita" <kita@`+domain+`>` {
			t.Errorf("From = %q", from)
		}
		if rt := env.GetHeader("Reply-To"); rt != "<kita@"+domain+">" {
			t.Errorf("Reply-To = %q", rt)
		}
	}
	for _, m := range members {
		if !seenRcpt[m] {
			t.Errorf("%s got no copy", m)
		}
	}
	if len(unsubURLs) != len(members) {
		t.Errorf("List-Unsubscribe must be per member: %d distinct for %d members", len(unsubURLs), len(members))
	}

	// The archive API shows the post, without any address.
	var msgs []map[string]any
	if code := getJSON(t, d.httpBase+"/api/v1/lists/kita/messages?limit=10", &msgs); code != 200 || len(msgs) != 1 {
		t.Fatalf("messages: %d %v", code, msgs)
	}
	// On the anonymous list message_id is the list's public id (CONTRACT.md), as in the copies.
	if msgs[0]["subject"] != "Kitaplätze" || !regexp.MustCompile(`^[a-z2-7]{26}@`+regexp.QuoteMeta(domain)+`$`).MatchString(fmt.Sprint(msgs[0]["message_id"])) ||
		msgs[0]["from_name"] != "" {
		t.Errorf("archived: %v", msgs[0])
	}
	var one map[string]any
	getJSON(t, fmt.Sprintf("%s/api/v1/lists/kita/messages/%v", d.httpBase, msgs[0]["id"]), &one)
	if !strings.Contains(fmt.Sprint(one["text"]), "Plätzen in Köln") {
		t.Errorf("message text = %v", one["text"])
	}
	var lists []map[string]any
	getJSON(t, d.httpBase+"/api/v1/lists", &lists)
	if len(lists) != 1 || lists[0]["name"] != "kita" || lists[0]["title"] != "Kita und Schule" {
		t.Errorf("lists = %v", lists)
	}

	// A reply joins the thread; its subject tag is not doubled.
	reply := post("ben@example.com", "Re: [kita] Kitaplätze", "Ja, in Ehrenfeld.\r\n",
		"Message-ID: <second@example.com>", "In-Reply-To: <first@example.net>", "References: <first@example.net>")
	if err := send(d.addrs["smtp"], "ben@example.com", []string{"kita@" + domain}, reply); err != nil {
		t.Fatalf("reply: %v", err)
	}
	got = sk.waitFor(t, 2*len(members), 20*time.Second)
	env, _ := enmime.ReadEnvelope(bytes.NewReader(got[len(got)-1].Data))
	if s := env.GetHeader("Subject"); s != "Re: [kita] Kitaplätze" {
		t.Errorf("reply subject = %q", s)
	}
	var thread struct {
		ID       int64            `json:"id"`
		Messages []map[string]any `json:"messages"`
	}
	if code := getJSON(t, fmt.Sprintf("%s/api/v1/lists/kita/threads/%v", d.httpBase, msgs[0]["thread_id"]), &thread); code != 200 || len(thread.Messages) != 2 {
		t.Fatalf("thread: %d %+v", code, thread)
	}
	var search struct {
		Hits []map[string]any `json:"hits"`
	}
	getJSON(t, d.httpBase+"/api/v1/lists/kita/search?q=Ehrenfeld", &search)
	if len(search.Hits) != 1 {
		t.Errorf("search hits = %v", search.Hits)
	}

	// Sending the same Message-ID again (a client retrying) is accepted but not sent twice.
	if err := send(d.addrs["smtp"], "ben@example.com", []string{"kita@" + domain}, reply); err != nil {
		t.Fatalf("resend: %v", err)
	}
	time.Sleep(300 * time.Millisecond)
	if n := len(sk.snapshot()); n != 2*len(members) {
		t.Errorf("a resent Message-ID went out again: %d copies", n)
	}

	// The archive page shows the post and no address.
	resp, err := http.Get(d.httpBase + "/kita/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), "Kitaplätze") || strings.Contains(string(page), "@example.") {
		t.Errorf("archive page: %d\n%s", resp.StatusCode, page)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("CSP = %q", csp)
	}
}

// TestRefusals: strangers, unknown lists, other domains, loops and oversized mail get
// a clear SMTP reply and nothing goes out.
func TestRefusals(t *testing.T) {
	t.Parallel()
	sk := newSink(t)
	d := newDaemon(t, options{relay: sk.addr, maxMsg: 64 << 10})
	d.mustCLI("list", "create", "kita")
	d.mustCLI("member", "add", "kita", "anna@example.net")
	d.start()
	list := "kita@" + domain

	tests := []struct {
		name     string
		from     string
		rcpt     string
		raw      string
		code     int
		enhanced string
	}{
		{"non-member", "eve@example.com", list, post("eve@example.com", "Hallo", "x\r\n"), 550, "5.7.1"},
		{"unknown list", "anna@example.net", "nosuch@" + domain, post("anna@example.net", "x", "x\r\n"), 550, "5.1.1"},
		{"relay attempt", "anna@example.net", "someone@example.com", post("anna@example.net", "x", "x\r\n"), 550, "5.1.1"},
		{"too large", "anna@example.net", list, post("anna@example.net", "big", strings.Repeat("0123456789abcdef\r\n", 8<<10)), 552, "5.3.4"},
		{"loop by list-id is dropped", "anna@example.net", list, post("anna@example.net", "loop", "x\r\n", "List-Id: <kita."+domain+">"), 0, ""},
		{"loop by x-loop is dropped", "anna@example.net", list, post("anna@example.net", "loop", "x\r\n", "X-Loop: kita@"+domain), 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := send(d.addrs["smtp"], tt.from, []string{tt.rcpt}, tt.raw)
			code, enh := smtpCode(err)
			if code != tt.code || enh != tt.enhanced {
				t.Fatalf("reply = %d %s (%v), want %d %s", code, enh, err, tt.code, tt.enhanced)
			}
		})
	}
	time.Sleep(300 * time.Millisecond)
	if n := len(sk.snapshot()); n != 0 {
		t.Errorf("%d copies went out for refused or looping mail", n)
	}
	var msgs []map[string]any
	getJSON(t, d.httpBase+"/api/v1/lists/kita/messages", &msgs)
	if len(msgs) != 0 {
		t.Errorf("archived refused mail: %v", msgs)
	}
}
