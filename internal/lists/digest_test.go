package lists

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"listd/internal/digest"
	"listd/internal/store"
)

func TestDigestDue(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no time zone data")
	}
	at := func(s string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04", s, berlin)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	daily := store.List{DigestFreq: "daily", DigestTime: "07:00", DigestTZ: "Europe/Berlin", DigestMaxPosts: 50}
	weekly := store.List{DigestFreq: "weekly", DigestTime: "07:00", DigestTZ: "Europe/Berlin", DigestDay: 1, DigestMaxPosts: 50}
	tests := []struct {
		name    string
		list    store.List
		lastAt  string
		now     string
		backlog int
		due     bool
	}{
		{"nothing new", daily, "2026-11-24 07:00", "2026-11-25 08:00", 0, false},
		{"daily before the time", daily, "2026-11-24 07:00", "2026-11-25 06:59", 3, false},
		{"daily at the time", daily, "2026-11-24 07:00", "2026-11-25 07:00", 3, true},
		{"daily sent already today", daily, "2026-11-25 07:00", "2026-11-25 18:00", 3, false},
		{"size threshold", daily, "2026-11-25 07:00", "2026-11-25 18:00", 50, true},
		// Spring forward (29 March 2026, 02:00 → 03:00): 07:00 stays 07:00 local.
		{"daily across spring DST, before", daily, "2026-03-28 07:00", "2026-03-29 06:59", 1, false},
		{"daily across spring DST, at", daily, "2026-03-28 07:00", "2026-03-29 07:00", 1, true},
		// Fall back (25 October 2026).
		{"daily across autumn DST, before", daily, "2026-10-24 07:00", "2026-10-25 06:59", 1, false},
		{"daily across autumn DST, at", daily, "2026-10-24 07:00", "2026-10-25 07:00", 1, true},
		{"weekly on another day", weekly, "2026-11-23 07:00", "2026-11-27 09:00", 5, false},
		{"weekly on its Monday", weekly, "2026-11-23 07:00", "2026-11-30 07:00", 5, true},
		{"weekly across DST", weekly, "2026-03-23 07:00", "2026-03-30 07:00", 5, true},
		{"weekly an hour early after DST", weekly, "2026-03-23 07:00", "2026-03-30 06:00", 5, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := tt.list
			l.DigestLastAt = at(tt.lastAt)
			if got := DigestDue(&l, tt.backlog, at(tt.now)); got != tt.due {
				t.Errorf("DigestDue = %v, want %v (last scheduled %v)", got, tt.due, lastScheduled(&l, at(tt.now)))
			}
		})
	}
}

func TestSendDigest(t *testing.T) {
	s, db, _ := newService(t)
	ctx := context.Background()
	s.AddMember(ctx, "kita", "leser@example.net", MemberOptions{Mode: "digest"})
	if is, _, err := s.SendDigest(ctx, "kita"); err != nil || is != nil {
		t.Fatalf("an empty period made an issue: %v %v", is, err)
	}
	for _, subj := range []string{"Erste Frage", "Zweite Frage"} {
		if err := deliver(t, s, "anna@example.net", "kita@lists.example.org", "From: Anna <anna@example.net>\r\nSubject: "+subj+"\r\n\r\nText über Kitaplätze\r\n"); err != nil {
			t.Fatal(err)
		}
	}
	is, n, err := s.SendDigest(ctx, "kita")
	if err != nil || is == nil || n != 1 || is.Number != 1 {
		t.Fatalf("issue %+v, %d copies, %v", is, n, err)
	}
	if again, _, _ := s.SendDigest(ctx, "kita"); again != nil {
		t.Fatal("the same posts made a second issue")
	}
	ds, _ := db.Deliveries(ctx, []string{"queued"}, 100, 0)
	var row *store.Delivery
	for _, d := range ds {
		if d.DigestID == is.ID {
			row = d
		}
	}
	if row == nil || row.Rcpt != "leser@example.net" {
		t.Fatalf("digest row: %+v", row)
	}
	c, err := s.Render(ctx, row)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	c.Message.WriteTo(&b)
	out := b.String()
	for _, want := range []string{"To: <leser@example.net>", "List-Unsubscribe: <https://lists.example.org/u/", "multipart/alternative", "Erste Frage"} {
		if !strings.Contains(out, want) {
			t.Errorf("digest copy lacks %q", want)
		}
	}
	if strings.Contains(out, "anna@example.net") {
		t.Error("the digest shows a poster's address")
	}
}

// TestDigestLinksAndNumbers: the preview shows the number the issue will have; the
// issue counts its posts; each post links to its thread and to a private reply; the
// counselling box links to /beratung; the text part has no percent-encoded mailto.
func TestDigestLinksAndNumbers(t *testing.T) {
	s, db, _ := newService(t)
	ctx := context.Background()
	s.AddMember(ctx, "kita", "leser@example.net", MemberOptions{Mode: "digest", Role: "owner"})
	for i := 0; i < 2; i++ {
		if _, _, err := s.SendDigest(ctx, "kita"); err != nil {
			t.Fatal(err)
		}
		if err := deliver(t, s, "anna@example.net", "kita@lists.example.org",
			fmt.Sprintf("From: Anna <anna@example.net>\r\nSubject: Frage %d\r\nMessage-ID: <d%d@x>\r\n\r\nText über Kitaplätze\r\n", i, i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := deliver(t, s, "ben@example.net", "kita@lists.example.org", "From: ben@example.net\r\nSubject: Noch eine\r\nMessage-ID: <d9@x>\r\n\r\nJa\r\n"); err != nil {
		t.Fatal(err)
	}
	preview, ok, err := s.PreviewDigest(ctx, "leser@example.net", "kita", "de")
	if err != nil || !ok {
		t.Fatalf("preview: %v %v", ok, err)
	}
	is, _, err := s.SendDigest(ctx, "kita")
	if err != nil || is == nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("Nr. %d", is.Number); !strings.Contains(preview, want) {
		t.Errorf("preview lacks %q (issue %d)", want, is.Number)
	}
	if is.Posts != 2 {
		t.Errorf("issue carries %d posts, want 2 (ids %d..%d)", is.Posts, is.FromID, is.ToID)
	}
	l, _ := db.ListByName(ctx, "kita")
	issue, err := s.digestIssue(ctx, db, l, is, false, "de", "10115")
	if err != nil {
		t.Fatal(err)
	}
	p := issue.Threads[0].Posts[0]
	if p.ThreadURL != fmt.Sprintf("https://lists.example.org/kita/t/%d", p.ThreadID) || !strings.HasPrefix(p.PrivateAddr, "kita-reply+") {
		t.Errorf("links: %q %q", p.ThreadURL, p.PrivateAddr)
	}
	if issue.CounsellingURL != "https://lists.example.org/beratung" {
		t.Errorf("counselling link %q", issue.CounsellingURL)
	}
	_, text, html, err := digest.Newsletter(issue)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(text, "%3C") || strings.Contains(text, "%20") || !strings.Contains(text, "Privat antworten: kita-reply+") {
		t.Errorf("text part:\n%s", text)
	}
	if !strings.Contains(html, "mailto:kita-reply&#43;") || !strings.Contains(html, "Privat antworten") {
		t.Errorf("html lacks the private reply link:\n%s", html)
	}
}
