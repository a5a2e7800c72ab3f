package lists

import (
	"context"
	"errors"
	"testing"
)

func TestEraseOnRequest(t *testing.T) {
	s, db, _ := newService(t)
	s.cfg.ErasePosts = ErasePostsDelete
	ctx := context.Background()
	id := postOf(t, s, db, "Anna <anna@example.net>", "a@x", "Frage", "", "Text")
	if err := s.RequestErase(ctx, "not an address", "de"); err == nil {
		t.Error("a request for no address was taken")
	}
	if err := s.RequestErase(ctx, "Anna@Example.net", "en"); err != nil {
		t.Fatal(err)
	}
	links := mailsOfKind(t, db, "erase-confirm", "anna@example.net")
	if len(links) != 1 {
		t.Fatalf("%d erase links", len(links))
	}
	tok := confirmURLToken(t, links[0].Raw)
	if _, err := s.CheckWithdraw(ctx, tok); !errors.Is(err, ErrBadToken) {
		t.Errorf("an erase link passes as a withdraw link: %v", err)
	}
	if _, err := s.Login(ctx, tok); !errors.Is(err, ErrBadToken) {
		t.Errorf("an erase link logs in: %v", err)
	}
	if err := s.CheckErase(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if ms, _ := db.Memberships(ctx, "anna@example.net"); len(ms) != 1 {
		t.Fatal("checking erased the address")
	}
	addr, e, err := s.ConfirmErase(ctx, tok)
	if err != nil || addr != "anna@example.net" || e.Memberships != 1 || e.Posts != 1 {
		t.Fatalf("erase: %q %+v %v", addr, e, err)
	}
	if _, err := db.Message(ctx, 1, id); err == nil {
		t.Error("the post stays under the delete policy")
	}
	if _, _, err := s.ConfirmErase(ctx, tok); !errors.Is(err, ErrBadToken) {
		t.Errorf("link used twice: %v", err)
	}
	if err := s.CheckErase(ctx, "x.y"); !errors.Is(err, ErrBadToken) {
		t.Errorf("garbage: %v", err)
	}
	// A few links a day at most.
	var err2 error
	for i := 0; i < mailboxPerHour+1 && err2 == nil; i++ {
		err2 = s.RequestErase(ctx, "ben@example.net", "de")
	}
	if !errors.Is(err2, ErrRateLimited) {
		t.Errorf("no rate limit: %v", err2)
	}
}
