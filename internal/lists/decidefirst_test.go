package lists

import (
	"context"
	"errors"
	"testing"
)

// TestDecidedBeforeComposed: a post is decided on before it is composed, so a
// stranger's post costs no composing, and one that could not be composed is dropped,
// refused or held as the list says rather than answered with 554. A member's post
// that cannot be composed is still refused at once.
func TestDecidedBeforeComposed(t *testing.T) {
	s, _, _ := newService(t)
	ctx := context.Background()
	for _, o := range []struct{ name, nonmember string }{{"ruhig", "discard"}, {"zu", "reject"}, {"offen", "hold"}} {
		if _, err := s.CreateList(ctx, o.name, ListOptions{Title: o.name}); err != nil {
			t.Fatal(err)
		}
		nm := o.nonmember
		if _, err := s.UpdateList(ctx, o.name, ListSettings{"nonmember": nm}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddMember(ctx, o.name, "anna@example.net", MemberOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.AddMember(ctx, "offen", "mod@example.org", MemberOptions{Role: "moderator", Mode: "nomail"}); err != nil {
		t.Fatal(err)
	}
	// With a base URL compose refuses, no post to any list can be composed: the
	// stand-in for a message compose cannot handle.
	s.cfg.BaseURL = "https://lists.example.org/<kaputt>"
	tests := []struct {
		name, from, rcpt string
		wantCode         int // 0: accepted (dropped or held)
	}{
		{"stranger on a discarding list", "eve@example.com", "ruhig@lists.example.org", 0},
		{"stranger on a refusing list", "eve@example.com", "zu@lists.example.org", 550},
		{"stranger on a holding list", "eve@example.com", "offen@lists.example.org", 0},
		{"member", "anna@example.net", "ruhig@lists.example.org", 554},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			post := "From: " + tt.from + "\r\nSubject: Frage\r\n\r\nHallo\r\n"
			err := deliver(t, s, tt.from, tt.rcpt, post)
			var rej *Rejection
			switch {
			case tt.wantCode == 0 && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.wantCode != 0 && (!errors.As(err, &rej) || rej.Code != tt.wantCode):
				t.Fatalf("err = %v, want code %d", err, tt.wantCode)
			}
		})
	}
	// The held stranger's post is composed when approved, and cannot be sent on.
	held, err := s.HeldPosts(ctx, "mod@example.org")
	if err != nil || len(held) != 1 {
		t.Fatalf("held: %d, %v", len(held), err)
	}
	if err := s.Moderate(ctx, held[0].Held.ID, ModApprove, "", "cli"); err == nil {
		t.Fatal("a post that cannot be composed was approved")
	}
}
