package lists

import (
	"bytes"
	"context"
	"errors"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/emersion/go-message"
)

// readable is a mail as its reader may see it: the bytes as sent and every part
// decoded, so that no encoding hides what a check looks for.
func readable(t *testing.T, raw []byte) string {
	t.Helper()
	var out strings.Builder
	out.Write(raw)
	e, err := message.Read(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	// The walk ends at the attached post, which it does not open: its bytes are
	// in raw as they are.
	e.Walk(func(_ []int, p *message.Entity, err error) error {
		if err != nil || p.MultipartReader() != nil {
			return err
		}
		b, _ := io.ReadAll(p.Body)
		out.WriteString("\n")
		out.Write(b)
		return nil
	})
	return out.String()
}

var posterNo = regexp.MustCompile(`(?:Absender Nr\.|poster no\.) ([A-Z0-9]{6})`)

// TestModeratorsOfAnonymousListSeeNoAddress: on an anonymous list the notice of a
// held post names the pseudonym (or "Nichtmitglied") and a poster number, and its
// attached copy is the archive copy; nothing of the poster's name, address, machine
// or mail program reaches the moderator. Other lists show the sender as before.
func TestModeratorsOfAnonymousListSeeNoAddress(t *testing.T) {
	s, db, _ := newService(t)
	ctx := context.Background()
	for _, l := range []struct{ name, anonymous string }{{"anon", "yes"}, {"offen", "no"}} {
		if _, err := s.CreateList(ctx, l.name, ListOptions{Moderation: "all", Anonymous: l.anonymous}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddMember(ctx, l.name, "mod@example.org", MemberOptions{Role: "moderator", Mode: "nomail"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddMember(ctx, l.name, "anna@example.net", MemberOptions{Name: "Sonne"}); err != nil {
			t.Fatal(err)
		}
	}
	post := func(from, list, id string) string {
		return "Received: from annas-laptop.fritz.box ([93.184.1.2]) by mx.example.net; Sun, 6 Dec 2026 02:00:00 +0000\r\n" +
			"From: " + from + "\r\nTo: " + list + "@lists.example.org\r\nSubject: Frage zum Umgang\r\n" +
			"Message-ID: <" + id + "@annas-laptop.fritz.box>\r\nX-Mailer: Foo 1.0\r\nUser-Agent: Foo\r\n" +
			"Date: Sun, 6 Dec 2026 02:00:00 +0000\r\n\r\nWie regelt ihr das?\r\n"
	}
	// notice delivers a post and returns the moderator's notice of it.
	seen := 0
	notice := func(envFrom, from, list, id string) string {
		t.Helper()
		if err := deliver(t, s, envFrom, list+"@lists.example.org", post(from, list, id)); err != nil {
			t.Fatalf("deliver %s: %v", id, err)
		}
		ms := mailsOfKind(t, db, "moderate", "mod@example.org")
		if len(ms) != seen+1 {
			t.Fatalf("notices after %s: %d, want %d", id, len(ms), seen+1)
		}
		seen++
		return readable(t, ms[len(ms)-1].Raw)
	}
	hidden := []string{"/m/0>", "Mueller", "anna@", "gast@", "93.184.1.2", "annas-laptop", "X-Mailer", "User-Agent", "Received:"}
	number := func(n string) string {
		t.Helper()
		for _, h := range hidden {
			if strings.Contains(n, h) {
				t.Errorf("the notice shows %q:\n%s", h, n)
			}
		}
		if !strings.Contains(n, "filename=post.eml") || !strings.Contains(n, "From: \"Sonne via anon\"") && !strings.Contains(n, "via anon") {
			t.Errorf("no archive copy attached:\n%s", n)
		}
		m := posterNo.FindStringSubmatch(n)
		if m == nil {
			t.Fatalf("no poster number in:\n%s", n)
		}
		return m[1]
	}

	first := notice("anna@example.net", "Anna Mueller <anna@example.net>", "anon", "a1")
	if !strings.Contains(first, "Sonne") {
		t.Errorf("the member's notice does not name her pseudonym:\n%s", first)
	}
	annaNo := number(first)
	again := notice("Anna@Example.net", "Anna Mueller <Anna@Example.net>", "anon", "a2")
	if n := number(again); n != annaNo || !strings.Contains(again, "Sonne") {
		t.Errorf("the same poster got numbers %s and %s:\n%s", annaNo, n, again)
	}
	// Another spelling of her mailbox is no member, but the same poster.
	tagged := notice("anna+liste@example.net", "Anna Mueller <anna+liste@example.net>", "anon", "a3")
	if n := number(tagged); n != annaNo || !strings.Contains(tagged, "Nichtmitglied") {
		t.Errorf("her mailbox with a +tag got the number %s, not %s:\n%s", n, annaNo, tagged)
	}
	stranger := notice("gast@example.com", "Gustav Gast <gast@example.com>", "anon", "g1")
	if !strings.Contains(stranger, "Nichtmitglied") || strings.Contains(stranger, "Gast") {
		t.Errorf("a stranger's notice:\n%s", stranger)
	}
	if n := number(stranger); n == annaNo {
		t.Errorf("two posters share the number %s", n)
	}

	open := notice("anna@example.net", "Anna Mueller <anna@example.net>", "offen", "o1")
	if !strings.Contains(open, "anna@example.net") || !strings.Contains(open, "annas-laptop") {
		t.Errorf("a list that is not anonymous no longer shows the sender:\n%s", open)
	}

	// The web queue and IMAP get the same view.
	held, err := s.HeldPosts(ctx, "mod@example.org")
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, h := range held {
		b, err := s.HeldCopy(ctx, h.Held.ID)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case h.List.Name == "offen":
			kinds["offen"]++
			if h.Anonymous || !bytes.Contains(b, []byte("anna@example.net")) {
				t.Errorf("held post on a list that is not anonymous: %+v\n%s", h, b)
			}
		case h.Member:
			kinds["member"]++
			if h.Pseudonym != "Sonne" || string(h.Poster) != annaNo {
				t.Errorf("member's held post: %+v", h)
			}
		default:
			kinds["stranger"]++
			if h.Pseudonym != "" || h.Poster == "" || (h.Held.FromAddr == "gast@example.com") == (string(h.Poster) == annaNo) {
				t.Errorf("stranger's held post: %+v", h)
			}
		}
		if h.List.Name == "anon" {
			for _, x := range hidden {
				if bytes.Contains(b, []byte(x)) {
					t.Errorf("held copy shows %q:\n%s", x, b)
				}
			}
		}
	}
	if kinds["offen"] != 1 || kinds["member"] != 2 || kinds["stranger"] != 2 {
		t.Errorf("held posts: %v", kinds)
	}
}

// TestLateModeratorLearnsNoAddress: on an anonymous list a moderator who decides
// after another learns the other's poster number, not their address; the one who
// decided is named as they are, and lists that are not anonymous name addresses.
func TestLateModeratorLearnsNoAddress(t *testing.T) {
	s, _, _ := newService(t)
	ctx := context.Background()
	for _, tc := range []struct {
		list, anonymous string
		masked          bool
	}{{"anon", "yes", true}, {"offen", "no", false}} {
		if _, err := s.CreateList(ctx, tc.list, ListOptions{Moderation: "all", Anonymous: tc.anonymous}); err != nil {
			t.Fatal(err)
		}
		for _, m := range []string{"erste@example.org", "zweite@example.org"} {
			if _, err := s.AddMember(ctx, tc.list, m, MemberOptions{Role: "moderator", Mode: "nomail"}); err != nil {
				t.Fatal(err)
			}
		}
		if err := deliver(t, s, "gast@example.com", tc.list+"@lists.example.org", "From: gast@example.com\r\nSubject: Frage\r\nMessage-ID: <"+tc.list+"@x>\r\n\r\nHallo\r\n"); err != nil {
			t.Fatal(err)
		}
		held, _ := s.HeldPosts(ctx, "erste@example.org")
		var id int64
		for _, h := range held {
			if h.List.Name == tc.list {
				id = h.Held.ID
			}
		}
		if err := s.Moderate(ctx, id, ModDiscard, "", "Erste+x@Example.org"); err != nil {
			t.Fatal(err)
		}
		var dec *ErrDecided
		if err := s.Moderate(ctx, id, ModApprove, "", "zweite@example.org"); !errors.As(err, &dec) {
			t.Fatalf("%s: late decision: %v", tc.list, err)
		}
		if dec.Poster != tc.masked || tc.masked == strings.Contains(dec.By, "@") {
			t.Errorf("%s: the late moderator is told %+v", tc.list, dec)
		}
		if err := s.Moderate(ctx, id, ModApprove, "", "erste@example.org"); !errors.As(err, &dec) || dec.Poster {
			t.Errorf("%s: the first moderator is told %+v (%v)", tc.list, dec, err)
		}
	}
}
