package lists

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strconv"
	"strings"
	"testing"
	"time"

	"listd/internal/store"
)

// postOf delivers a post from anna to kita and returns its archive id.
func postOf(t *testing.T, s *Service, db *store.DB, from, mid, subject, extra, body string) int64 {
	t.Helper()
	raw := "From: " + from + "\r\nSubject: " + subject + "\r\nMessage-ID: <" + mid + ">\r\n" + extra + "\r\n" + body + "\r\n"
	addr, _, _ := NormalizeAddress(from)
	if err := deliver(t, s, addr, "kita@lists.example.org", raw); err != nil {
		t.Fatal(err)
	}
	ms, err := db.Messages(context.Background(), 1, 1, 0)
	if err != nil || len(ms) == 0 || ms[0].MessageID != mid {
		t.Fatalf("post %s not archived: %v", mid, err)
	}
	return ms[0].ID
}

// mailsOfKind returns the queued standalone mails of one kind to rcpt.
func mailsOfKind(t *testing.T, db *store.DB, kind, rcpt string) []*store.Mail {
	t.Helper()
	var out []*store.Mail
	for _, m := range queuedMails(t, db) {
		if m.Kind == kind && bytes.Contains(m.Raw, []byte("To: <"+rcpt+">")) {
			out = append(out, m)
		}
	}
	return out
}

func TestWithdrawByMail(t *testing.T) {
	s, db, _ := newService(t)
	ctx := context.Background()
	root := postOf(t, s, db, "Ben <ben@example.net>", "root@ben", "Umgang", "", "Wie regelt ihr das?")
	id := postOf(t, s, db, "Anna <anna@example.net>", "123@annas-laptop.fritz.box", "Re: Umgang", "In-Reply-To: <root@ben>\r\n",
		"Bei uns steht das im Beschluss vom Amtsgericht Köln.")
	url := "https://lists.example.org/kita/m/" + strconv.FormatInt(id, 10)

	tests := []struct {
		name, from, cmd string
		link            bool   // a confirmation link goes to anna
		reply           string // the result line to the sender, if any
	}{
		{"not the author", "ben@example.net", "withdraw " + strconv.FormatInt(id, 10), false, "no post with that number from your address"},
		{"no such post", "anna@example.net", "zurückziehen 999", false, "gibt es in dieser Liste nicht"},
		{"another list's link", "anna@example.net", "withdraw https://lists.example.org/nosuch/m/1", false, "not a link to a post"},
		{"by number", "anna@example.net", "zurückziehen " + strconv.FormatInt(id, 10), true, ""},
		{"by link", "Anna@Example.net", "withdraw <" + url + ">", true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			links := len(mailsOfKind(t, db, "withdraw-confirm", "anna@example.net"))
			results := len(queuedMails(t, db))
			raw := "From: " + tt.from + "\r\nSubject: x\r\nMessage-ID: <" + strings.ReplaceAll(tt.name, " ", "") + "@c>\r\n" +
				"Content-Type: text/plain; charset=utf-8\r\n\r\n" + tt.cmd + "\r\n"
			if err := deliver(t, s, tt.from, "kita-request@lists.example.org", raw); err != nil {
				t.Fatal(err)
			}
			got := mailsOfKind(t, db, "withdraw-confirm", "anna@example.net")
			if (len(got) > links) != tt.link {
				t.Fatalf("confirmation link sent: %v, want %v", len(got) > links, tt.link)
			}
			all := queuedMails(t, db)
			if tt.reply == "" {
				if len(all) != results+1 {
					t.Errorf("%d mails for one command", len(all)-results)
				}
				return
			}
			last := all[len(all)-1]
			if text := qpText(last.Raw); !strings.Contains(text, tt.reply) || strings.Contains(text, "/confirm/") {
				t.Errorf("reply:\n%s", text)
			}
		})
	}

	links := mailsOfKind(t, db, "withdraw-confirm", "anna@example.net")
	text := qpText(links[0].Raw)
	for _, want := range []string{"https://lists.example.org/kita/m/" + strconv.FormatInt(id, 10), "24 Stunden"} {
		if !strings.Contains(text, want) {
			t.Errorf("confirmation mail lacks %q:\n%s", want, text)
		}
	}
	// Anybody can ask for the link: the mail names the post, never its subject.
	if strings.Contains(text, "Umgang") {
		t.Errorf("confirmation mail quotes the subject:\n%s", text)
	}
	tok := confirmURLToken(t, links[0].Raw)
	if _, err := s.Confirm(ctx, tok); !errors.Is(err, ErrBadToken) {
		t.Errorf("a withdraw link confirmed a join: %v", err)
	}
	if err := s.CheckErase(ctx, tok); !errors.Is(err, ErrBadToken) {
		t.Errorf("a withdraw link passes as an erase link: %v", err)
	}
	p, err := s.CheckWithdraw(ctx, tok)
	if err != nil || p.ID != id || p.List != "kita" || p.Subject != "Re: Umgang" {
		t.Fatalf("check: %+v %v", p, err)
	}
	if m, _ := db.Message(ctx, 1, id); m.Withdrawn() {
		t.Fatal("checking withdrew the post")
	}
	if _, err := s.ConfirmWithdraw(ctx, tok); err != nil {
		t.Fatal(err)
	}
	m, err := db.Message(ctx, 1, id)
	if err != nil || !m.Withdrawn() || m.FromAddr != "" || m.Text != "" || m.ParentID != root {
		t.Fatalf("after withdrawal: %+v %v", m, err)
	}
	// Links work once; the second link is for a post withdrawn already.
	if _, err := s.ConfirmWithdraw(ctx, tok); !errors.Is(err, ErrBadToken) {
		t.Errorf("link used twice: %v", err)
	}
	if _, err := s.CheckWithdraw(ctx, confirmURLToken(t, links[1].Raw)); !errors.Is(err, ErrBadToken) {
		t.Errorf("second link for a withdrawn post: %v", err)
	}
	if _, err := s.ConfirmWithdraw(ctx, "garbage"); !errors.Is(err, ErrBadToken) {
		t.Errorf("garbage token: %v", err)
	}
}

func TestWithdrawLinkExpires(t *testing.T) {
	s, db, _ := newService(t)
	c := &clock{t: time.Now()}
	s.cfg.Now = c.now
	s.signer = newSignerWithClock(c.now)
	ctx := context.Background()
	id := postOf(t, s, db, "anna@example.net", "a@x", "Frage", "", "Text")
	deliver(t, s, "anna@example.net", "kita-request@lists.example.org", fmt.Sprintf("From: anna@example.net\r\nSubject: withdraw %d\r\n\r\n", id))
	links := mailsOfKind(t, db, "withdraw-confirm", "anna@example.net")
	if len(links) != 1 {
		t.Fatalf("%d links", len(links))
	}
	c.t = c.t.Add(25 * time.Hour)
	if _, err := s.ConfirmWithdraw(ctx, confirmURLToken(t, links[0].Raw)); !errors.Is(err, ErrBadToken) {
		t.Fatalf("expired link: %v", err)
	}
}

func TestWithdrawOnTheWeb(t *testing.T) {
	s, db, _ := newService(t)
	ctx := context.Background()
	s.AddMember(ctx, "kita", "leser@example.net", MemberOptions{Mode: "digest"})
	id := postOf(t, s, db, "Anna <anna@example.net>", "a@annas-laptop", "Frage zum Umgang", "", "Geheimer Satz über Köln.")
	other := postOf(t, s, db, "ben@example.net", "b@x", "Re: Frage zum Umgang", "In-Reply-To: <a@annas-laptop>\r\n", "Antwort")
	ds, err := db.ClaimDue(ctx, s.cfg.Now().Add(time.Second), 100)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Withdraw(ctx, "kita", id, "ben@example.net"); !errors.Is(err, ErrNotAuthor) {
		t.Errorf("withdrawn by another member: %v", err)
	}
	if _, err := s.Withdraw(ctx, "kita", other, "anna@example.net"); !errors.Is(err, ErrNotAuthor) {
		t.Errorf("another's post withdrawn: %v", err)
	}
	if _, err := s.Withdraw(ctx, "nosuch", id, "anna@example.net"); !errors.Is(err, ErrNoSuchList) {
		t.Errorf("unknown list: %v", err)
	}
	if _, err := s.Withdraw(ctx, "kita", id, "anna@example.net"); err != nil {
		t.Fatal(err)
	}
	// A copy claimed before the withdrawal is not sent.
	for _, d := range ds {
		if d.MessageID != id {
			continue
		}
		if _, err := s.Render(ctx, d); !errors.Is(err, ErrGone) {
			t.Errorf("copy of a withdrawn post rendered: %v", err)
		}
	}
	// The placeholder stands in its place: subject, date and threading fields stay.
	raw, _ := db.Raw(ctx, id)
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	text := qpText(raw)
	if !strings.Contains(text, s.text("de", "withdrawn")) || !strings.Contains(text, s.text("en", "withdrawn")) ||
		msg.Header.Get("Subject") != "Frage zum Umgang" || msg.Header.Get("Message-Id") != "<a@annas-laptop>" ||
		strings.Contains(string(raw), "anna@example.net") || strings.Contains(text, "Geheimer") {
		t.Errorf("placeholder:\n%s", raw)
	}
	// The digest leaves the withdrawn post out and keeps the reply.
	issue, _, err := s.SendDigest(ctx, "kita")
	if err != nil || issue == nil {
		t.Fatalf("digest: %v", err)
	}
	var row *store.Delivery
	all, _ := db.Deliveries(ctx, []string{"queued"}, 100, 0)
	for _, d := range all {
		if d.DigestID == issue.ID {
			row = d
		}
	}
	c, err := s.Render(ctx, row)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	c.Message.WriteTo(&b)
	if out := qpText([]byte(b.String())); strings.Contains(out, "Geheimer") || !strings.Contains(out, "Antwort") {
		t.Errorf("digest after withdrawal:\n%s", out)
	}
	// With its last post withdrawn too, the issue is not sent at all.
	if _, err := s.Withdraw(ctx, "kita", other, "ben@example.net"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Render(ctx, row); !errors.Is(err, ErrGone) {
		t.Errorf("an issue of withdrawn posts only rendered: %v", err)
	}
}

// TestPublicMessageIDs: an anonymous list's copies, archive copies and digests carry
// Message-IDs at the list's domain, replies to them thread, and a list that is not
// anonymous passes the sender's ids on.
func TestPublicMessageIDs(t *testing.T) {
	s, db, _ := newService(t)
	ctx := context.Background()
	s.AddMember(ctx, "kita", "leser@example.net", MemberOptions{Mode: "digest"})
	root := postOf(t, s, db, "anna@example.net", "123@annas-laptop.fritz.box", "Umgang", "", "Frage")
	rm, _ := db.Message(ctx, 1, root)
	public := "<" + rm.PublicID + "@lists.example.org>"

	copyOf := func(id int64) *mail.Message {
		t.Helper()
		ds, err := db.ClaimDue(ctx, s.cfg.Now().Add(time.Hour), 100)
		if err != nil {
			t.Fatal(err)
		}
		var out *mail.Message
		var outs []store.Outcome
		for _, d := range ds {
			outs = append(outs, store.Outcome{ID: d.ID, State: "sent"})
			if d.MessageID != id || out != nil {
				continue
			}
			c, err := s.Render(ctx, d)
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			c.Message.WriteTo(&b)
			if out, err = mail.ReadMessage(&b); err != nil {
				t.Fatal(err)
			}
		}
		db.Finish(ctx, s.cfg.Now(), outs)
		if out == nil {
			t.Fatalf("no copy of %d", id)
		}
		return out
	}
	c := copyOf(root)
	if got := c.Header.Get("Message-Id"); got != public {
		t.Errorf("copy's Message-ID %q, want %q", got, public)
	}
	// A member answers the copy: the answer threads, and its own copy refers to the
	// public id. An answer to the original id is rewritten the same way.
	for i, inReplyTo := range []string{public, "<123@annas-laptop.fritz.box>"} {
		id := postOf(t, s, db, "ben@example.net", fmt.Sprintf("r%d@bens-pc.local", i), "Re: Umgang",
			"In-Reply-To: "+inReplyTo+"\r\nReferences: "+inReplyTo+"\r\n", "Antwort")
		if m, _ := db.Message(ctx, 1, id); m.ParentID != root || m.ThreadID != root {
			t.Errorf("post %d: parent %d thread %d, want %d", id, m.ParentID, m.ThreadID, root)
		}
		c := copyOf(id)
		if got := c.Header.Get("In-Reply-To"); got != public {
			t.Errorf("post %d: In-Reply-To %q, want %q", id, got, public)
		}
		if strings.Contains(c.Header.Get("Message-Id"), "bens-pc") {
			t.Errorf("post %d: Message-ID %q", id, c.Header.Get("Message-Id"))
		}
	}
	// The archive copy (mbox downloads) says the same.
	ac, err := s.ArchiveCopy(ctx, mustList(t, s, "kita"), rm)
	if err != nil || !bytes.Contains(ac, []byte("Message-Id: "+public+"\r\n")) || bytes.Contains(ac, []byte("annas-laptop")) {
		t.Errorf("archive copy: %v\n%s", err, ac)
	}
	// So does the digest's reply link.
	issue, _, err := s.SendDigest(ctx, "kita")
	if err != nil || issue == nil {
		t.Fatalf("digest: %v", err)
	}
	ms, _ := db.MessagesBetween(ctx, 1, issue.FromID, issue.ToID)
	is, err := s.digestIssue(ctx, db, mustList(t, s, "kita"), issue, true, "de", "")
	if err != nil || len(ms) == 0 {
		t.Fatal(err)
	}
	p := is.Threads[0].Posts[0]
	if !strings.Contains(p.ReplyMailto, rm.PublicID+"%40lists.example.org") && !strings.Contains(p.ReplyMailto, rm.PublicID+"@lists.example.org") ||
		strings.Contains(p.ReplyMailto, "annas-laptop") || bytes.Contains(p.Raw, []byte("annas-laptop")) || bytes.Contains(p.Raw, []byte("anna@")) {
		t.Errorf("digest post: %s\n%s", p.ReplyMailto, p.Raw)
	}

	// A list that is not anonymous keeps the sender's ids.
	if _, err := s.UpdateList(ctx, "kita", ListSettings{"anonymous": "no"}); err != nil {
		t.Fatal(err)
	}
	open := postOf(t, s, db, "anna@example.net", "456@annas-laptop.fritz.box", "Offen", "", "Text")
	if got := copyOf(open).Header.Get("Message-Id"); got != "<456@annas-laptop.fritz.box>" {
		t.Errorf("list that is not anonymous: Message-ID %q", got)
	}
}

func mustList(t *testing.T, s *Service, name string) *store.List {
	t.Helper()
	l, err := s.List(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return l
}
