package lists

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"listd/internal/store"
)

// App passwords let mail programs log in over IMAP with a member's address. Each is
// a random 128-bit secret shown once; only its SHA-256 is stored. A fast hash is
// enough because nobody can guess 128 random bits, which is what slow, salted hashes
// protect weak human passwords against.

// ErrBadLogin means the address and password do not go together.
var ErrBadLogin = errors.New("wrong address or app password")

// maxAppPasswords bounds the app passwords one address may have.
const maxAppPasswords = 50

// NewAppPassword makes an app password for address, labelled for the person's own
// overview ("Thunderbird at home"), and returns it: this is the only time it can be
// seen.
func (s *Service) NewAppPassword(ctx context.Context, address, label string) (string, *store.AppPassword, error) {
	addr, _, err := NormalizeAddress(address)
	if err != nil {
		return "", nil, err
	}
	ps := s.st
	have, err := ps.AppPasswords(ctx, addr)
	if err != nil {
		return "", nil, err
	}
	if len(have) >= maxAppPasswords {
		return "", nil, inputErr("%s has %d app passwords already; revoke some first", addr, len(have))
	}
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", nil, fmt.Errorf("app password: %w", err)
	}
	secret := strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
	// Groups of four are easier to copy by hand; the dashes are not part of the secret.
	var shown strings.Builder
	for i := 0; i < len(secret); i += 4 {
		if i > 0 {
			shown.WriteByte('-')
		}
		shown.WriteString(secret[i:min(i+4, len(secret))])
	}
	p, err := ps.AddAppPassword(ctx, addr, hashAppPassword(secret), cleanLabel(label))
	if err != nil {
		return "", nil, err
	}
	s.log.Info("app password created", "id", p.ID)
	return shown.String(), p, nil
}

// AppPasswords lists the app passwords of address (never the passwords themselves).
func (s *Service) AppPasswords(ctx context.Context, address string) ([]*store.AppPassword, error) {
	addr, _, err := NormalizeAddress(address)
	if err != nil {
		return nil, err
	}
	ps := s.st
	return ps.AppPasswords(ctx, addr)
}

// RevokeAppPassword deletes one of address's app passwords; store.ErrNotFound when it
// has none with that id. Sessions logged in with it end at their next login.
func (s *Service) RevokeAppPassword(ctx context.Context, address string, id int64) error {
	addr, _, err := NormalizeAddress(address)
	if err != nil {
		return err
	}
	ps := s.st
	if err := ps.RevokeAppPassword(ctx, addr, id); err != nil {
		return err
	}
	s.log.Info("app password revoked", "id", id)
	return nil
}

// CheckAppPassword returns the normalized address when password is one of its app
// passwords, and ErrBadLogin otherwise. Dashes, blanks and case in password do not
// matter.
func (s *Service) CheckAppPassword(ctx context.Context, address, password string) (string, error) {
	addr, _, err := NormalizeAddress(address)
	if err != nil {
		return "", ErrBadLogin
	}
	secret := strings.Map(func(r rune) rune {
		if r == '-' || unicode.IsSpace(r) {
			return -1
		}
		return unicode.ToLower(r)
	}, password)
	if secret == "" || len(secret) > 200 {
		return "", ErrBadLogin
	}
	ps := s.st
	ok, err := ps.UseAppPassword(ctx, addr, hashAppPassword(secret))
	if err != nil {
		return "", err
	}
	if !ok {
		return "", ErrBadLogin
	}
	return addr, nil
}

func hashAppPassword(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// cleanLabel keeps a label printable and short.
func cleanLabel(s string) string {
	s = strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "")))
	if r := []rune(s); len(r) > 100 {
		s = string(r[:100])
	}
	return s
}
