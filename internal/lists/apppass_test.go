package lists

import (
	"bytes"
	"context"
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"

	"listd/internal/store"
)

func TestAppPasswords(t *testing.T) {
	s, db, _ := newService(t)
	ctx := context.Background()
	pw, p, err := s.NewAppPassword(ctx, "Anna <ANNA@example.net>", "  Thunderbird\x00 zu Hause ")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^([a-z2-7]{4}-){6}[a-z2-7]{2}$`).MatchString(pw) {
		t.Errorf("password %q", pw)
	}
	if p.Address != "anna@example.net" || p.Label != "Thunderbird  zu Hause" {
		t.Errorf("stored %+v", p)
	}
	other, _, err := s.NewAppPassword(ctx, "ben@example.net", "")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, addr, pw string
		want           string
	}{
		{"as shown", "anna@example.net", pw, "anna@example.net"},
		{"without dashes, upper case, address with name", "Anna <Anna@Example.NET>", strings.ToUpper(strings.ReplaceAll(pw, "-", "")), "anna@example.net"},
		{"with blanks", "anna@example.net", strings.ReplaceAll(pw, "-", " "), "anna@example.net"},
		{"wrong", "anna@example.net", "aaaa-bbbb-cccc", ""},
		{"empty", "anna@example.net", "", ""},
		{"someone else's", "anna@example.net", other, ""},
		{"no address", "anna", pw, ""},
		{"very long", "anna@example.net", strings.Repeat("a", 5000), ""},
	}
	for _, tt := range tests {
		got, err := s.CheckAppPassword(ctx, tt.addr, tt.pw)
		if tt.want == "" {
			if !errors.Is(err, ErrBadLogin) {
				t.Errorf("%s: %q, %v; want ErrBadLogin", tt.name, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s: %q, %v", tt.name, got, err)
		}
	}
	// Only the hash is stored.
	secret := strings.ReplaceAll(pw, "-", "")
	for _, f := range []string{db.Path(), db.Path() + "-wal"} {
		if b, err := os.ReadFile(f); err == nil && bytes.Contains(b, []byte(secret)) {
			t.Errorf("%s holds the password", f)
		}
	}
	ex, err := db.ExportAddress(ctx, "anna@example.net")
	if err != nil || len(ex.AppPasswords) != 1 {
		t.Fatalf("export: %v", err)
	}
	list, err := s.AppPasswords(ctx, "anna@example.net")
	if err != nil || len(list) != 1 || list[0].LastUsed.IsZero() {
		t.Fatalf("AppPasswords = %v, %v", list, err)
	}
	if err := s.RevokeAppPassword(ctx, "ben@example.net", p.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("revoking anna's password as ben: %v", err)
	}
	if err := s.RevokeAppPassword(ctx, "anna@example.net", p.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CheckAppPassword(ctx, "anna@example.net", pw); !errors.Is(err, ErrBadLogin) {
		t.Errorf("revoked password: %v", err)
	}
	if _, _, err := s.NewAppPassword(ctx, "not an address", ""); err == nil {
		t.Error("password for a non-address")
	}
}

func TestAppPasswordLimit(t *testing.T) {
	s, _, _ := newService(t)
	ctx := context.Background()
	for i := 0; i < maxAppPasswords; i++ {
		if _, _, err := s.NewAppPassword(ctx, "anna@example.net", ""); err != nil {
			t.Fatal(err)
		}
	}
	var ie *InputError
	if _, _, err := s.NewAppPassword(ctx, "anna@example.net", ""); !errors.As(err, &ie) {
		t.Errorf("password %d: %v", maxAppPasswords+1, err)
	}
}
