package lists

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"listd/internal/store"
)

func TestRetentionCutoff(t *testing.T) {
	tests := []struct {
		now    string
		months int
		want   string
	}{
		{"2026-11-25T16:30:00Z", 12, "2025-11-25T00:00:00Z"},
		{"2026-03-31T23:59:00Z", 1, "2026-03-03T00:00:00Z"},      // Go normalizes 31 February
		{"2026-01-01T00:30:00+02:00", 6, "2025-07-01T00:00:00Z"}, // 31 December UTC, less 6 months
	}
	for _, tt := range tests {
		now, _ := time.Parse(time.RFC3339, tt.now)
		if got := RetentionCutoff(now, tt.months).Format(time.RFC3339); got != tt.want {
			t.Errorf("RetentionCutoff(%s, %d) = %s, want %s", tt.now, tt.months, got, tt.want)
		}
	}
}

func TestRetentionSettings(t *testing.T) {
	s, _, _ := newService(t)
	ctx := context.Background()
	for _, n := range []int{-1, MaxRetention + 1} {
		var ie *InputError
		if err := s.SetRetention(ctx, "kita", n); !errors.As(err, &ie) {
			t.Errorf("retention %d: %v", n, err)
		}
	}
	if err := s.SetRetention(ctx, "nosuch", 3); !errors.Is(err, ErrNoSuchList) {
		t.Errorf("unknown list: %v", err)
	}
	if err := s.SetRetention(ctx, "kita", 24); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Retention(ctx, "kita"); err != nil || n != 24 {
		t.Errorf("retention %d %v", n, err)
	}
}

// TestApplyRetention runs the maintenance's retention with the service's clock moved
// on: posts older than the list's months go, with their traces in the files; another
// list keeps everything.
func TestApplyRetention(t *testing.T) {
	s, db, _ := newService(t)
	ctx := context.Background()
	c := &clock{t: time.Now()}
	s.cfg.Now = c.now
	if _, err := s.CreateList(ctx, "job", ListOptions{}); err != nil {
		t.Fatal(err)
	}
	s.AddMember(ctx, "job", "anna@example.net", MemberOptions{})
	old := c.t.AddDate(-2, 0, 0)
	var posts []*store.Post
	for i := 0; i < 3; i++ {
		posts = append(posts, &store.Post{MessageID: fmt.Sprintf("old%d@x", i), Subject: "Alt", Date: old, Text: "Uraltgeheimnis",
			Raw: []byte("Subject: Alt\r\n\r\nUraltgeheimnis\r\n")})
	}
	if _, err := db.ImportPosts(ctx, 1, posts); err != nil {
		t.Fatal(err)
	}
	postOf(t, s, db, "anna@example.net", "new@x", "Neu", "", "Frisch")
	raw := "From: anna@example.net\r\nSubject: Job\r\nMessage-ID: <job@x>\r\n\r\nJobtext\r\n"
	if err := deliver(t, s, "anna@example.net", "job@lists.example.org", raw); err != nil {
		t.Fatal(err)
	}
	count := func(list int64) int {
		ms, err := db.Messages(ctx, list, 100, 0)
		if err != nil {
			t.Fatal(err)
		}
		return len(ms)
	}
	if err := s.ApplyRetention(ctx); err != nil || count(1) != 4 {
		t.Fatalf("no list has a retention yet: %v, %d posts", err, count(1))
	}
	if err := s.SetRetention(ctx, "kita", 12); err != nil {
		t.Fatal(err)
	}
	if err := s.ApplyRetention(ctx); err != nil {
		t.Fatal(err)
	}
	if count(1) != 1 || count(2) != 1 {
		t.Errorf("after a year's retention: kita %d posts (want 1), job %d (want 1)", count(1), count(2))
	}
	filepath.Walk(filepath.Dir(db.Path()), func(path string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			if b, _ := os.ReadFile(path); bytes.Contains(b, []byte("Uraltgeheimnis")) {
				t.Errorf("%s still holds a deleted post", filepath.Base(path))
			}
		}
		return nil
	})
	// Thirteen months on, the post of today is old too; job keeps its own.
	c.t = c.t.AddDate(1, 1, 0)
	if err := s.ApplyRetention(ctx); err != nil {
		t.Fatal(err)
	}
	if count(1) != 0 || count(2) != 1 {
		t.Errorf("thirteen months on: kita %d posts, job %d", count(1), count(2))
	}
}

// TestApplyRetentionFinishesPurge: posts deleted by a run whose purge never ended
// (listd killed between the two) leave no trace after the next run, though it has
// nothing left to delete.
func TestApplyRetentionFinishesPurge(t *testing.T) {
	s, db, _ := newService(t)
	ctx := context.Background()
	c := &clock{t: time.Now()}
	s.cfg.Now = c.now
	old := c.t.AddDate(-2, 0, 0)
	if _, err := db.ImportPosts(ctx, 1, []*store.Post{{MessageID: "old@x", Subject: "Alt", Date: old, Text: "Uraltgeheimnis",
		Raw: []byte("Subject: Alt\r\n\r\nUraltgeheimnis\r\n")}}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetRetention(ctx, "kita", 12); err != nil {
		t.Fatal(err)
	}
	// The first run, up to the deletion.
	if e, err := db.DeletePostsBefore(ctx, 1, RetentionCutoff(c.t, 12)); err != nil || e.Posts != 1 {
		t.Fatalf("deleted %+v: %v", e, err)
	}
	held := func() []string {
		var found []string
		filepath.Walk(filepath.Dir(db.Path()), func(path string, info os.FileInfo, err error) error {
			if err == nil && !info.IsDir() {
				if b, _ := os.ReadFile(path); bytes.Contains(bytes.ToLower(b), []byte("uraltgeheimnis")) {
					found = append(found, filepath.Base(path))
				}
			}
			return nil
		})
		return found
	}
	if len(held()) == 0 {
		t.Fatal("the deletion left nothing to purge")
	}
	if err := s.ApplyRetention(ctx); err != nil {
		t.Fatal(err)
	}
	if found := held(); len(found) > 0 {
		t.Errorf("traces of the deleted post in %v", found)
	}
}
