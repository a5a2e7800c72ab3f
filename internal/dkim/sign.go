package dkim

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"strings"

	msgauth "github.com/emersion/go-msgauth/dkim"
)

// SignedFields are the header fields a signature covers when the message has them:
// what a reader sees and what tells the list and its unsubscribe apart. From and
// Subject are also signed once more than present (oversigned), so that nobody can
// add a second one unnoticed (RFC 6376 §8.15).
var SignedFields = []string{"From", "To", "Subject", "Date", "Message-ID", "In-Reply-To", "References",
	"List-Id", "List-Unsubscribe", "List-Unsubscribe-Post", "List-Post", "Reply-To", "Content-Type", "MIME-Version"}

// oversigned are the fields named in h= once more than the message has them.
var oversigned = map[string]bool{"from": true, "subject": true}

// Signer signs messages for one domain and selector, relaxed/relaxed, SHA-256. It is
// safe for concurrent use.
type Signer struct {
	domain, selector string
	key              crypto.Signer
}

// NewSigner returns a Signer that signs as d=domain, s=selector with key.
func NewSigner(domain, selector string, key crypto.Signer) (*Signer, error) {
	if domain == "" {
		return nil, errors.New("dkim: no signing domain")
	}
	if _, err := KeyPath("", selector); err != nil {
		return nil, err
	}
	if key == nil {
		return nil, errors.New("dkim: no key")
	}
	// Fail now, not at the first message, on a key go-msgauth can't use.
	if _, err := msgauth.NewSigner(options(domain, selector, key, []string{"From"})); err != nil {
		return nil, err
	}
	return &Signer{domain: domain, selector: selector, key: key}, nil
}

func options(domain, selector string, key crypto.Signer, fields []string) *msgauth.SignOptions {
	return &msgauth.SignOptions{
		Domain:                 domain,
		Selector:               selector,
		Signer:                 key,
		Hash:                   crypto.SHA256,
		HeaderCanonicalization: msgauth.CanonicalizationRelaxed,
		BodyCanonicalization:   msgauth.CanonicalizationRelaxed,
		HeaderKeys:             fields,
	}
}

// Domain is the signing domain (d=).
func (s *Signer) Domain() string { return s.domain }

// Selector is the selector (s=).
func (s *Signer) Selector() string { return s.selector }

// Algorithm is the key's algorithm: RSA or Ed25519.
func (s *Signer) Algorithm() string {
	if _, ok := s.key.Public().(ed25519.PublicKey); ok {
		return Ed25519
	}
	return RSA
}

// Signature writes msg through the signer and returns the DKIM-Signature header
// field (with its CRLF) to put in front of it. msg is an RFC 5322 message with CRLF
// line endings; it must have a header and the empty line that ends it, and must not
// start with white space.
func (s *Signer) Signature(msg io.WriterTo) ([]byte, error) {
	w := &signWriter{s: s}
	_, err := msg.WriteTo(w)
	if cerr := w.close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("dkim: sign: %w", err)
	}
	return []byte(w.sig.Signature()), nil
}

// signWriter holds the message's header until it is complete, to learn which of
// SignedFields it has, then starts go-msgauth's signer with those and streams the
// rest through. Signing only fields that are there means an MTA that adds a
// missing Date or Message-ID on the way does not break the signature.
type signWriter struct {
	s    *Signer
	head []byte // the message so far, while its header is incomplete
	scan int    // the message's first scan bytes are whole header lines, none of them empty
	sig  *msgauth.Signer
	err  error
}

func (w *signWriter) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if w.sig != nil {
		n, err := w.sig.Write(p)
		if err != nil {
			w.err = err
		}
		return n, err
	}
	if len(w.head) == 0 && len(p) > 0 && (p[0] == ' ' || p[0] == '\t') {
		// It would continue the DKIM-Signature field put in front of it.
		w.err = errors.New("message starts with a folded line")
		return 0, w.err
	}
	// The header is usually complete in the first write: look at p in place then.
	buf := p
	if len(w.head) > 0 {
		w.head = append(w.head, p...)
		buf = w.head
	}
	end := w.headerEnd(buf)
	if end < 0 {
		if len(w.head) == 0 {
			w.head = append(w.head, p...)
		}
		return len(p), nil
	}
	sig, err := msgauth.NewSigner(options(w.s.domain, w.s.selector, w.s.key, fieldsToSign(buf[:end])))
	if err != nil {
		w.err = err
		return 0, err
	}
	w.sig = sig
	if _, err := sig.Write(buf); err != nil {
		w.err = err
		return 0, err
	}
	w.head = nil
	return len(p), nil
}

// headerEnd returns the offset in buf just past the empty line that ends the header,
// or -1 while it has not been written yet; buf is the message so far. Lines end in
// LF, an optional CR before it, as go-msgauth reads them.
func (w *signWriter) headerEnd(buf []byte) int {
	for {
		i := bytes.IndexByte(buf[w.scan:], '\n')
		if i < 0 {
			return -1
		}
		line := buf[w.scan : w.scan+i]
		w.scan += i + 1
		if len(line) == 0 || (len(line) == 1 && line[0] == '\r') {
			return w.scan
		}
	}
}

func (w *signWriter) close() error {
	if w.sig == nil {
		if w.err != nil {
			return w.err
		}
		return errors.New("message has no empty line after its header")
	}
	if err := w.sig.Close(); err != nil {
		return err
	}
	return w.err
}

// fieldsToSign lists, for the header head, each of SignedFields as often as head has
// it, and From and Subject once more.
func fieldsToSign(head []byte) []string {
	count := map[string]int{}
	for line := range bytes.Lines(head) {
		if len(line) == 0 || line[0] == ' ' || line[0] == '\t' {
			continue // folded continuation
		}
		name, _, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		count[strings.ToLower(string(bytes.TrimSpace(name)))]++
	}
	var fields []string
	for _, f := range SignedFields {
		n := count[strings.ToLower(f)]
		if oversigned[strings.ToLower(f)] {
			n++
		}
		for range n {
			fields = append(fields, f)
		}
	}
	return fields
}
