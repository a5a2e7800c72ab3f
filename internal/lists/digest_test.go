package lists

import (
	"context"
	"strings"
	"testing"
	"time"

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
