package lists

import (
	"context"
	"fmt"
	"testing"

	"listd/internal/store"
)

// TestStoreKeepsTheWords: the store's CHECK constraints accept every word vocab.go
// names and refuse others, so the two sets cannot drift apart unnoticed.
func TestStoreKeepsTheWords(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	const bogus = "bogus"

	for i, a := range append(Archives(), bogus) {
		err := db.CreateList(ctx, &store.List{Name: fmt.Sprintf("archive%d", i), Archive: string(a), Moderation: "none"})
		if (err == nil) != (a != bogus) {
			t.Errorf("archive %q: %v", a, err)
		}
	}

	l := &store.List{Name: "words", Archive: string(ArchivePublic), Moderation: "none"}
	if err := db.CreateList(ctx, l); err != nil {
		t.Fatal(err)
	}
	for _, p := range append(NonmemberPolicies(), bogus) {
		l, err := db.ListByName(ctx, "words")
		if err != nil {
			t.Fatal(err)
		}
		l.Nonmember = string(p)
		if err := db.SaveList(ctx, l); (err == nil) != (p != bogus) {
			t.Errorf("non-member policy %q: %v", p, err)
		}
	}

	n := 0
	add := func(mode Mode, role Role) error {
		n++
		return db.AddMember(ctx, &store.Member{ListID: l.ID, Address: fmt.Sprintf("m%d@example.net", n), Mode: string(mode),
			Role: string(role), DigestFormat: "newsletter"})
	}
	for _, m := range append(Modes(), bogus) {
		if err := add(m, RoleMember); (err == nil) != (m != bogus) {
			t.Errorf("mode %q: %v", m, err)
		}
	}
	for _, r := range append(Roles(), bogus) {
		if err := add(ModeEach, r); (err == nil) != (r != bogus) {
			t.Errorf("role %q: %v", r, err)
		}
	}

	for i, st := range append(HeldStates(), bogus) {
		held := &store.Held{ListID: l.ID, MessageID: fmt.Sprintf("<%d@example.net>", i), FromAddr: "x@example.net",
			Raw: []byte("Subject: x\r\n\r\nx\r\n")}
		if err := db.Update(ctx, func(tx *store.Tx) error { return tx.Hold(held) }); err != nil {
			t.Fatal(err)
		}
		err := db.Update(ctx, func(tx *store.Tx) error {
			_, err := tx.Decide(held.ID, string(st), "test", "")
			return err
		})
		if (err == nil) != (st != bogus) {
			t.Errorf("held state %q: %v", st, err)
		}
	}
}
