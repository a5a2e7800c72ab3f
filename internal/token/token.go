// Package token owns listd's signed tokens: HMAC-SHA256 over a purpose, the fields it
// binds and an expiry, so a token made for one purpose, list or person is useless for
// any other. Single use is recorded by the caller through Digest.
package token

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Errors of Verify.
var (
	ErrInvalid = errors.New("invalid token")
	ErrExpired = errors.New("expired token")
)

// Signer makes and checks tokens with one secret key.
type Signer struct {
	key []byte
	now func() time.Time
}

// NewSigner returns a Signer; now may be nil for time.Now.
func NewSigner(key []byte, now func() time.Time) *Signer {
	if now == nil {
		now = time.Now
	}
	return &Signer{key: key, now: now}
}

var enc = base64.RawURLEncoding

// Sign returns a token for purpose binding fields, valid for ttl. Fields must not
// contain "|".
func (s *Signer) Sign(purpose string, fields []string, ttl time.Duration) string {
	exp := strconv.FormatInt(s.now().Add(ttl).Unix(), 36)
	payload := strings.Join(append([]string{exp}, fields...), "|")
	return enc.EncodeToString([]byte(payload)) + "." + enc.EncodeToString(s.mac(purpose, payload))
}

func (s *Signer) mac(purpose, payload string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(purpose))
	m.Write([]byte{0})
	m.Write([]byte(payload))
	return m.Sum(nil)[:16]
}

// Verify checks a token made for purpose and returns its fields and expiry.
func (s *Signer) Verify(purpose, tok string) (fields []string, expires time.Time, err error) {
	p, m, ok := strings.Cut(tok, ".")
	if !ok {
		return nil, time.Time{}, ErrInvalid
	}
	payload, err1 := enc.DecodeString(p)
	sum, err2 := enc.DecodeString(m)
	if err1 != nil || err2 != nil || !hmac.Equal(sum, s.mac(purpose, string(payload))) {
		return nil, time.Time{}, ErrInvalid
	}
	parts := strings.Split(string(payload), "|")
	secs, err := strconv.ParseInt(parts[0], 36, 64)
	if err != nil {
		return nil, time.Time{}, ErrInvalid
	}
	expires = time.Unix(secs, 0)
	if s.now().After(expires) {
		return nil, expires, ErrExpired
	}
	return parts[1:], expires, nil
}

// Digest is what a single-use record keeps of a token: not the token itself, so the
// record cannot be replayed.
func Digest(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return enc.EncodeToString(sum[:16])
}

// LoadOrCreateKey reads the secret in dataDir, creating it on first start.
func LoadOrCreateKey(dataDir string) ([]byte, error) {
	path := filepath.Join(dataDir, "secret.key")
	b, err := os.ReadFile(path)
	if err == nil {
		key, err := enc.DecodeString(strings.TrimSpace(string(b)))
		if err != nil || len(key) < 32 {
			return nil, fmt.Errorf("%s: not a listd secret (delete it to make a new one)", path)
		}
		return key, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read secret: %w", err)
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("make secret: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		// Another listd process made it first: use theirs.
		return LoadOrCreateKey(dataDir)
	}
	if err != nil {
		return nil, fmt.Errorf("write secret: %w", err)
	}
	if _, err := f.WriteString(enc.EncodeToString(key) + "\n"); err != nil {
		f.Close()
		return nil, fmt.Errorf("write secret: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, fmt.Errorf("write secret: %w", err)
	}
	return key, f.Close()
}

// Peek returns a token's fields without checking them, so that a caller can look up
// what else the token is bound to (say, the address of a pending request) and then
// Verify with a purpose that includes it. Never act on Peek's result alone.
func Peek(tok string) []string {
	p, _, ok := strings.Cut(tok, ".")
	if !ok {
		return nil
	}
	payload, err := enc.DecodeString(p)
	if err != nil {
		return nil
	}
	parts := strings.Split(string(payload), "|")
	return parts[1:]
}

// Bound makes a purpose that also binds values the token does not carry (they must be
// known again to verify it): the token is useless for any other value.
func Bound(purpose string, values ...string) string {
	return purpose + "\x00" + strings.Join(values, "\x00")
}

var short = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// Short is a 13-character MAC for purpose and fields, in lower-case letters and digits
// so that it survives in the local part of a mail address (which some systems fold to
// lower case, and which must stay short). It carries no expiry: use it where the
// fields name a stored record that expires.
func (s *Signer) Short(purpose string, fields ...string) string {
	return short.EncodeToString(s.mac(purpose, strings.Join(fields, "|"))[:8])
}

// CheckShort reports whether mac is Short(purpose, fields...), ignoring case.
func (s *Signer) CheckShort(mac, purpose string, fields ...string) bool {
	return hmac.Equal([]byte(strings.ToLower(mac)), []byte(s.Short(purpose, fields...)))
}
