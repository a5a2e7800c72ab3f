package e2e

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"listd/internal/token"
)

// annaSecrets are what tells who Anna is: her address, domain, machine, IP and
// surname.
var annaSecrets = []string{"anna.zwiebelmeier", "annahome", "annas-laptop", "198.51.100.23", "Zwiebelmeier"}

// leakyMail is a mail from Anna to rcpt with the identifying fields that mail
// programs, hosting providers and news gateways write, and MIME parts whose
// Content-ID, Content-Description and file names name her. It answers a mail of
// hers that never reached the list (In-Reply-To), and refs (a post of the list).
func leakyMail(rcpt, subject, refs string) string {
	addr := "anna.zwiebelmeier@annahome.example"
	fields := []string{
		"Received: from annas-laptop.annahome.example (dsl-198-51-100-23.annahome.example [198.51.100.23])\r\n\tby mx.annahome.example with ESMTPSA id 42",
		"From: Anna Zwiebelmeier <" + addr + ">",
		"To: <" + rcpt + ">, Anna Zwiebelmeier <" + addr + ">",
		"Subject: " + subject,
		"Date: " + time.Now().UTC().Format(time.RFC1123Z),
		"Message-ID: <" + fmt.Sprint(time.Now().UnixNano()) + ".42@annas-laptop.annahome.example>",
		"In-Reply-To: <earlier.1@annas-laptop.annahome.example>",
		"References: <earlier.0@annas-laptop.annahome.example> " + refs + " <earlier.1@annas-laptop.annahome.example>",
		"Mail-Reply-To: " + addr,
		"Mail-Followup-To: " + addr,
		"Resent-From: Anna Zwiebelmeier <" + addr + ">",
		"Resent-Sender: " + addr,
		"Resent-Message-ID: <r1@annas-laptop.annahome.example>",
		"X-AntiAbuse: Primary Hostname - annas-laptop.annahome.example",
		"X-AntiAbuse: Sender Address Domain - annahome.example",
		"X-Get-Message-Sender-Via: annahome.example: authenticated_id: " + addr,
		"X-Authenticated-Id: " + addr,
		"X-AuthUser: " + addr,
		"X-Source-Dir: annahome.example:/home/zwiebelmeier/public_html",
		"X-Envelope-From: <" + addr + ">",
		"X-Envelope-To: <" + rcpt + ">",
		"Envelope-From: " + addr,
		"X-Original-To: " + addr,
		"X-Apparently-From: " + addr,
		"NNTP-Posting-Host: annas-laptop.annahome.example",
		"X-Trace: annahome.example 1764061200 198.51.100.23 (25 Nov 2026 10:00:00 GMT)",
		`Injection-Info: annahome.example; posting-host="annas-laptop.annahome.example:198.51.100.23"`,
		"Path: annahome.example!annas-laptop!not-for-mail",
		"X-Face: #Zwiebelmeier(annahome",
		"Comments: written by Anna Zwiebelmeier on annas-laptop",
		"X-PGP-Key: https://annahome.example/zwiebelmeier.asc",
		"X-Identity: Anna Zwiebelmeier",
		"X-Complaints-To: abuse@annahome.example",
		"User-Agent: Thunderbird/128.0 on annas-laptop",
		"MIME-Version: 1.0",
		`Content-Type: multipart/mixed; boundary="outer"`,
		"Content-Description: Anna Zwiebelmeier's mail",
	}
	body := "--outer\r\n" +
		`Content-Type: multipart/related; boundary="rel"; start="<part1.zwiebelmeier@annahome.example>"` + "\r\n\r\n" +
		"--rel\r\nContent-Type: text/html; charset=utf-8\r\nContent-ID: <part1.zwiebelmeier@annahome.example>\r\n" +
		"Content-Transfer-Encoding: quoted-printable\r\n\r\n" +
		"<p>Wie regelt ihr den Umgang am Wochenende? <img src=3D\"cid:part2.zwiebelmeier@annahome.example\"> <img src=3D\"cid:logo@annahome.example\"></p>\r\n" +
		"--rel\r\nContent-Type: image/png; name=\"" + addr + ".png\"\r\n" +
		"Content-ID: <part2.zwiebelmeier@annahome.example>\r\nContent-Description: Foto von Anna Zwiebelmeier\r\n" +
		"Content-Disposition: inline; filename=\"" + addr + ".png\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==\r\n" +
		"--rel--\r\n" +
		"--outer\r\nContent-Type: application/pdf; name*=utf-8''anna.zwiebelmeier%40annahome.example.pdf\r\n" +
		"Content-Disposition: attachment; filename=\"=?utf-8?q?anna=2Ezwiebelmeier=40annahome=2Eexample=2Epdf?=\"\r\n" +
		"Content-Description: Lebenslauf Zwiebelmeier\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n" +
		"--outer--\r\n"
	return strings.Join(fields, "\r\n") + "\r\n\r\n" + body
}

// TestAnonymousHeaderAllowList: a post to an anonymous list that carries every
// identifying field mail programs and providers write, and MIME parts that name the
// sender, reaches the members, the mbox downloads, IMAP, the JSON API, the feeds and
// the attachment downloads without her address, domain, machine, IP or surname; and
// so does a private reply through the relay. Replies still thread under the list's
// public ids.
func TestAnonymousHeaderAllowList(t *testing.T) {
	sk := newSink(t)
	d := newDaemon(t, options{relay: sk.addr, imap: true})
	d.mustCLI("list", "create", "umgang", "-anonymous", "yes", "-archive", "public")
	d.mustCLI("member", "add", "umgang", "Anna Zwiebelmeier <anna.zwiebelmeier@annahome.example>", "-name", "Sonnenblume")
	d.mustCLI("member", "add", "umgang", "ben@example.org", "-name", "Löwenzahn")
	benPassword := strings.TrimSpace(d.mustCLI("user", "password", "ben@example.org"))
	d.start()
	smtpAddr, list := d.addrs["smtp"], "umgang@"+domain

	check := func(what string, b []byte) {
		t.Helper()
		for _, s := range annaSecrets {
			if bytes.Contains(bytes.ToLower(b), bytes.ToLower([]byte(s))) {
				t.Errorf("%s contains %q:\n%s", what, s, b)
			}
		}
	}

	// Ben starts a thread; Anna answers it on the list with her leaky mail.
	if err := send(smtpAddr, "ben@example.org", []string{list}, plain("ben@example.org", list, "Umgang", "Wie macht ihr das?\r\n")); err != nil {
		t.Fatal(err)
	}
	sk.waitFor(t, 2, 20*time.Second)
	var posts []struct {
		ID        int64  `json:"id"`
		MessageID string `json:"message_id"`
		ThreadID  int64  `json:"thread_id"`
	}
	getJSON(t, d.httpBase+"/api/v1/lists/umgang/messages", &posts)
	if len(posts) != 1 {
		t.Fatalf("archive: %+v", posts)
	}
	benPost := posts[0]
	if err := send(smtpAddr, "anna.zwiebelmeier@annahome.example", []string{list},
		leakyMail(list, "Re: Umgang", "<"+benPost.MessageID+">")); err != nil {
		t.Fatal(err)
	}
	sk.waitFor(t, 4, 20*time.Second)

	// Members' copies.
	var annaPost []byte
	for _, m := range sk.snapshot()[2:] {
		check("the copy to "+m.To, m.Data)
		if m.To == "ben@example.org" {
			annaPost = m.Data
		}
	}
	if got := headerOf(t, annaPost, "References"); got != "<"+benPost.MessageID+">" {
		t.Errorf("References %q, want only the list's post <%s>", got, benPost.MessageID)
	}
	if got := headerOf(t, annaPost, "In-Reply-To"); got != "" {
		t.Errorf("In-Reply-To %q names no post of the list", got)
	}

	getJSON(t, d.httpBase+"/api/v1/lists/umgang/messages", &posts)
	if len(posts) != 2 || posts[0].ThreadID != benPost.ID {
		t.Fatalf("archive: %+v", posts)
	}
	anna := posts[0]
	if headerOf(t, annaPost, "Message-Id") != "<"+anna.MessageID+">" || !strings.HasSuffix(anna.MessageID, "@"+domain) {
		t.Errorf("API message_id %q, copy's Message-ID %q", anna.MessageID, headerOf(t, annaPost, "Message-Id"))
	}

	// Downloads, API, feeds, pages.
	month := time.Now().UTC().Format("2006-01")
	id := fmt.Sprint(anna.ID)
	for _, path := range []string{"/umgang/t/" + fmt.Sprint(benPost.ID) + ".mbox", "/umgang/" + month + ".mbox",
		"/api/v1/lists/umgang/messages", "/api/v1/lists/umgang/messages/" + id, "/api/v1/lists/umgang/threads/" + fmt.Sprint(benPost.ID),
		"/umgang/atom.xml", "/umgang/t/" + fmt.Sprint(benPost.ID) + "/atom.xml", "/umgang/", "/umgang/m/" + id,
		"/umgang/t/" + fmt.Sprint(benPost.ID)} {
		check(path, []byte(httpGet(t, d.httpBase+path)))
	}
	mbox := httpGet(t, d.httpBase+"/umgang/t/"+fmt.Sprint(benPost.ID)+".mbox")
	if !strings.Contains(mbox, "References: <"+benPost.MessageID+">") {
		t.Errorf("the mbox does not thread Anna's post under Ben's:\n%s", mbox)
	}
	for i := 0; i < 2; i++ {
		resp, err := http.Get(d.httpBase + "/umgang/m/" + id + "/a/" + fmt.Sprint(i))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("attachment %d: status %d", i, resp.StatusCode)
		}
		check(fmt.Sprintf("attachment %d's header", i), []byte(fmt.Sprint(resp.Header)))
		if cd := resp.Header.Get("Content-Disposition"); !strings.Contains(cd, "%E2%80%A6%40%E2%80%A6") {
			t.Errorf("attachment %d named %q, not as the page names it", i, cd)
		}
	}

	// IMAP.
	c := dialIMAP(t, d, "ben@example.org", benPassword)
	if _, err := c.Select("umgang", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	whole := &imap.FetchItemBodySection{Peek: true}
	msgs, err := c.Fetch(imap.SeqSet{imap.SeqRange{Start: 1, Stop: 0}}, &imap.FetchOptions{Envelope: true, BodySection: []*imap.FetchItemBodySection{whole}}).Collect()
	if err != nil || len(msgs) != 2 {
		t.Fatalf("imap fetch: %d messages, %v", len(msgs), err)
	}
	for _, m := range msgs {
		check("IMAP BODY[]", m.FindBodySection(whole))
		env := m.Envelope
		check("IMAP ENVELOPE", []byte(fmt.Sprintf("%+v %+v %+v %+v %s %v", env.From, env.Sender, env.ReplyTo, env.To, env.MessageID, env.InReplyTo)))
	}

	// A private reply from Anna to Ben's post, through the relay.
	key, err := token.LoadOrCreateKey(filepath.Join(d.dir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	bid := fmt.Sprint(benPost.ID)
	replyAddr := "umgang-reply+" + bid + "." + token.NewSigner(key, nil).Short("reply-post", "umgang", bid) + "@" + domain
	n := len(sk.snapshot())
	if err := send(smtpAddr, "anna.zwiebelmeier@annahome.example", []string{replyAddr},
		leakyMail(replyAddr, "Privat: Umgang", "<"+benPost.MessageID+">")); err != nil {
		t.Fatalf("private reply: %v", err)
	}
	toBen := sk.waitMail(t, n, "ben@example.org", "Privat: Umgang")
	check("the private reply", toBen.Data)
	if got := headerOf(t, toBen.Data, "References"); got != "<"+benPost.MessageID+">" {
		t.Errorf("private reply's References %q", got)
	}
}
