package token

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestSignVerify(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	clock := func() time.Time { return now }
	s := NewSigner([]byte("0123456789abcdef0123456789abcdef"), clock)
	other := NewSigner([]byte("fedcba9876543210fedcba9876543210"), clock)
	tok := s.Sign("unsubscribe", []string{"kita", "42"}, time.Hour)

	tests := []struct {
		name    string
		signer  *Signer
		purpose string
		tok     string
		advance time.Duration
		want    error
	}{
		{"valid", s, "unsubscribe", tok, 0, nil},
		{"other purpose", s, "confirm", tok, 0, ErrInvalid},
		{"other key", other, "unsubscribe", tok, 0, ErrInvalid},
		{"expired", s, "unsubscribe", tok, 2 * time.Hour, ErrExpired},
		{"tampered", s, "unsubscribe", "a" + tok, 0, ErrInvalid},
		{"garbage", s, "unsubscribe", "nodot", 0, ErrInvalid},
		{"empty", s, "unsubscribe", "", 0, ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now = time.Unix(1_800_000_000, 0).Add(tt.advance)
			fields, _, err := tt.signer.Verify(tt.purpose, tt.tok)
			if !errors.Is(err, tt.want) && !(tt.want == nil && err == nil) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if tt.want == nil && (len(fields) != 2 || fields[0] != "kita" || fields[1] != "42") {
				t.Fatalf("fields = %q", fields)
			}
		})
	}
}

func TestLoadOrCreateKey(t *testing.T) {
	dir := t.TempDir()
	k1, err := LoadOrCreateKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := LoadOrCreateKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(k1) != 32 || !bytes.Equal(k1, k2) {
		t.Fatalf("keys differ or short: %x %x", k1, k2)
	}
}

func FuzzVerify(f *testing.F) {
	s := NewSigner([]byte("0123456789abcdef0123456789abcdef"), nil)
	f.Add(s.Sign("p", []string{"a"}, time.Hour))
	f.Add("x.y")
	f.Fuzz(func(t *testing.T, tok string) {
		s.Verify("p", tok)
	})
}

func TestBoundAndPeek(t *testing.T) {
	s := NewSigner([]byte("0123456789abcdef0123456789abcdef"), nil)
	tok := s.Sign(Bound("confirm", "anna@example.net"), []string{"kita", "n1"}, time.Hour)
	if got := Peek(tok); len(got) != 2 || got[1] != "n1" {
		t.Fatalf("Peek = %q", got)
	}
	if _, _, err := s.Verify(Bound("confirm", "anna@example.net"), tok); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Verify(Bound("confirm", "eve@example.net"), tok); !errors.Is(err, ErrInvalid) {
		t.Fatalf("other address: %v", err)
	}
	if Peek("garbage") != nil || Peek("!!.x") != nil {
		t.Fatal("Peek of garbage")
	}
}

func TestShort(t *testing.T) {
	s := NewSigner([]byte("0123456789abcdef0123456789abcdef"), nil)
	mac := s.Short("verp", "kita", "anna@example.net")
	if len(mac) != 13 || strings.ToLower(mac) != mac {
		t.Fatalf("mac %q", mac)
	}
	tests := []struct {
		mac    string
		fields []string
		ok     bool
	}{
		{mac, []string{"kita", "anna@example.net"}, true},
		{strings.ToUpper(mac), []string{"kita", "anna@example.net"}, true},
		{mac, []string{"kita", "eve@example.net"}, false},
		{mac, []string{"job", "anna@example.net"}, false},
		{"", []string{"kita", "anna@example.net"}, false},
	}
	for _, tt := range tests {
		if got := s.CheckShort(tt.mac, "verp", tt.fields...); got != tt.ok {
			t.Errorf("CheckShort(%q, %q) = %v", tt.mac, tt.fields, got)
		}
	}
}
