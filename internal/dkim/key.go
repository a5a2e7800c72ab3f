// Package dkim owns DKIM for listd's outgoing mail: making a key and the DNS record
// that publishes it, keeping the key in data_dir, loading it at start, and signing
// every copy on its way to the relay (a decorator of delivery's Renderer). The
// canonicalization and the signature itself are go-msgauth's.
package dkim

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// Algorithms keygen can make: "rsa" (2048 bits, what every verifier knows) and
// "ed25519" (RFC 8463, short, not yet verified everywhere).
const (
	RSA     = "rsa"
	Ed25519 = "ed25519"
)

// rsaBits is the size of a new RSA key: RFC 8301 asks for at least 1024, 2048 still
// fits one DNS TXT record of two strings.
const rsaBits = 2048

// minRSABits is the smallest RSA key verifiers still accept (RFC 8301 §3.2).
const minRSABits = 1024

// selectorRE is RFC 6376's selector: dot-separated labels of letters, digits and
// hyphens. It also keeps the selector safe as a file name.
var selectorRE = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)

// KeyPath returns where the key for selector lives under dataDir:
// DATA_DIR/dkim/SELECTOR.pem.
func KeyPath(dataDir, selector string) (string, error) {
	if len(selector) > 63 || !selectorRE.MatchString(selector) {
		return "", fmt.Errorf("dkim selector %q must be lower-case letters, digits, hyphens and dots", selector)
	}
	return filepath.Join(dataDir, "dkim", selector+".pem"), nil
}

// GenerateKey makes a new private key of the given algorithm.
func GenerateKey(algorithm string) (crypto.Signer, error) {
	switch algorithm {
	case RSA:
		k, err := rsa.GenerateKey(rand.Reader, rsaBits)
		if err != nil {
			return nil, fmt.Errorf("dkim: generate rsa key: %w", err)
		}
		return k, nil
	case Ed25519:
		_, k, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("dkim: generate ed25519 key: %w", err)
		}
		return k, nil
	}
	return nil, fmt.Errorf("dkim: algorithm %q must be %s or %s", algorithm, RSA, Ed25519)
}

// MarshalKey encodes a private key as PKCS#8 PEM.
func MarshalKey(key crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("dkim: encode key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// ParseKey reads a PEM private key: PKCS#8 ("PRIVATE KEY", what keygen writes) or
// PKCS#1 ("RSA PRIVATE KEY", what opendkim-genkey writes), RSA of at least 1024
// bits or Ed25519.
func ParseKey(b []byte) (crypto.Signer, error) {
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, errors.New("no PEM block")
	}
	var key any
	var err error
	switch block.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("PEM block %q is not a private key", block.Type)
	}
	if err != nil {
		return nil, err
	}
	switch k := key.(type) {
	case *rsa.PrivateKey:
		if k.N.BitLen() < minRSABits {
			return nil, fmt.Errorf("rsa key of %d bits: verifiers need at least %d", k.N.BitLen(), minRSABits)
		}
		return k, nil
	case ed25519.PrivateKey:
		return k, nil
	}
	return nil, fmt.Errorf("unsupported key type %T: DKIM signs with rsa or ed25519", key)
}

// LoadKey reads and parses the key file at path. A missing file gives an error
// matching os.ErrNotExist; every error names the file.
func LoadKey(path string) (crypto.Signer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("dkim key: %w", err)
	}
	k, err := ParseKey(b)
	if err != nil {
		return nil, fmt.Errorf("dkim key %s: %w", path, err)
	}
	return k, nil
}

// WriteKey stores a new private key at path (mode 0600, its folder 0700). It never
// replaces a file: a key that may already be published must not be lost.
func WriteKey(path string, key crypto.Signer) error {
	b, err := MarshalKey(key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("dkim key: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return fmt.Errorf("dkim key %s already exists: choose another selector to make a new key", path)
	}
	if err != nil {
		return fmt.Errorf("dkim key: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		os.Remove(path)
		return fmt.Errorf("dkim key %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(path)
		return fmt.Errorf("dkim key %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return fmt.Errorf("dkim key %s: %w", path, err)
	}
	return nil
}

// TXT returns the text of the DNS record that publishes pub:
// "v=DKIM1; k=rsa; p=BASE64".
func TXT(pub crypto.PublicKey) (string, error) {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		der, err := x509.MarshalPKIXPublicKey(k)
		if err != nil {
			return "", fmt.Errorf("dkim: encode public key: %w", err)
		}
		return "v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(der), nil
	case ed25519.PublicKey:
		// RFC 8463 §4.2: the bare 32-byte key, not SubjectPublicKeyInfo.
		return "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(k), nil
	}
	return "", fmt.Errorf("dkim: unsupported public key type %T", pub)
}

// maxTXTString is the longest character-string in a DNS TXT record (RFC 1035 §3.3).
const maxTXTString = 255

// Record returns the zone-file line that publishes pub for selector and domain:
//
//	SELECTOR._domainkey.DOMAIN. IN TXT ( "v=DKIM1; k=rsa; p=..." "..." )
//
// with the text split into strings of at most 255 bytes; DNS joins them again.
func Record(selector, domain string, pub crypto.PublicKey) (string, error) {
	txt, err := TXT(pub)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString(selector + "._domainkey." + domain + ". IN TXT (")
	for len(txt) > 0 {
		n := min(len(txt), maxTXTString)
		b.WriteString(` "` + txt[:n] + `"`)
		txt = txt[n:]
	}
	b.WriteString(" )")
	return b.String(), nil
}
