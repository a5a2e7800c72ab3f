package mailmsg

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime/quotedprintable"
	"strings"
)

// Strictness says what DecodeTransfer does with a body whose transfer encoding is
// damaged.
type Strictness int

const (
	// Strict fails on damage: a writer that re-encodes a part (compose) must not
	// send out what it could not read whole. Base64 may be split over lines,
	// indented and without its padding; quoted-printable is read as
	// mime/quotedprintable reads it.
	Strict Strictness = iota
	// StrictCut is Strict, except that base64 whose last group of four characters
	// is incomplete (cut off, or unpadded) ends with the last whole group instead of
	// decoding or failing on that rest: a body cut short (a photo in a truncated
	// message) still decodes up to the cut.
	StrictCut
	// Lenient never fails on damage and decodes what can be decoded, as mail
	// readers do: base64 skips every character outside its alphabet (padding
	// included) and a last single character; quoted-printable keeps an "=" that
	// starts no escape and keeps trailing white space (format=flowed needs it).
	Lenient
)

// ErrUnknownEncoding is returned (wrapped) by DecodeTransfer for a transfer encoding
// it does not know.
var ErrUnknownEncoding = errors.New("unknown transfer encoding")

// ErrDamaged is returned (wrapped) by DecodeTransfer in Strict and StrictCut mode
// for a body that does not decode.
var ErrDamaged = errors.New("damaged transfer encoding")

// DecodeTransfer undoes the Content-Transfer-Encoding cte (case and surrounding
// space ignored; "" is 7bit) of body. 7bit, 8bit and binary return body itself.
// An unknown encoding returns an error wrapping ErrUnknownEncoding together with
// body as it is, which a Lenient reader may show; in the strict modes damage returns
// an error wrapping ErrDamaged (and no bytes). In Lenient mode an unknown encoding
// is the only error.
func DecodeTransfer(body []byte, cte string, mode Strictness) ([]byte, error) {
	switch c := strings.ToLower(strings.TrimSpace(cte)); c {
	case "", "7bit", "8bit", "binary":
		return body, nil
	case "base64":
		if mode == Lenient {
			return lenientBase64(body), nil
		}
		out, ok := strictBase64(body, mode == StrictCut)
		if !ok {
			return nil, fmt.Errorf("%w: base64", ErrDamaged)
		}
		return out, nil
	case "quoted-printable":
		if mode == Lenient {
			return lenientQP(body), nil
		}
		out, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(body)))
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrDamaged, err)
		}
		return out, nil
	}
	return body, fmt.Errorf("%w %q", ErrUnknownEncoding, clip(cte, 40))
}

// DecodedSize is the size of what DecodeTransfer in Lenient mode makes of body,
// computed without decoding base64.
func DecodedSize(body []byte, cte string) int {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "base64":
		n := 0
		for _, c := range body {
			if isBase64Char(c) {
				n++
			}
		}
		if n%4 == 1 {
			n--
		}
		return n * 3 / 4
	case "quoted-printable":
		return len(lenientQP(body))
	}
	return len(body)
}

// strictBase64 decodes base64 that may be split over lines, indented or missing
// its padding, as found in real mail; anything else outside the alphabet fails.
// With cut, what follows the last whole group of four is dropped.
func strictBase64(body []byte, cut bool) ([]byte, bool) {
	// The decoder skips line breaks itself: base64 in lines, as mail has it,
	// needs no copy.
	out := make([]byte, base64.StdEncoding.DecodedLen(len(body)))
	if n, err := base64.StdEncoding.Decode(out, body); err == nil {
		return out[:n], true
	}
	clean := make([]byte, 0, len(body))
	for _, c := range body {
		switch c {
		case ' ', '\t', '\r', '\n':
		default:
			clean = append(clean, c)
		}
	}
	n, err := base64.StdEncoding.Decode(out, clean)
	if err == nil {
		return out[:n], true
	}
	clean = bytes.TrimRight(clean, "=")
	if cut {
		clean = clean[:len(clean)/4*4]
	}
	// Unpadded input can decode to more than StdEncoding.DecodedLen says.
	out = make([]byte, base64.RawStdEncoding.DecodedLen(len(clean)))
	n, err = base64.RawStdEncoding.Decode(out, clean)
	if err != nil {
		return nil, false
	}
	return out[:n], true
}

func isBase64Char(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/'
}

// lenientBase64 decodes leniently: line breaks, padding and stray characters are
// skipped, as mail clients do.
func lenientBase64(b []byte) []byte {
	clean := make([]byte, 0, len(b))
	for _, c := range b {
		if isBase64Char(c) {
			clean = append(clean, c)
		}
	}
	if len(clean)%4 == 1 {
		clean = clean[:len(clean)-1] // a single leftover character carries no whole byte
	}
	out := make([]byte, base64.RawStdEncoding.DecodedLen(len(clean)))
	n, _ := base64.RawStdEncoding.Decode(out, clean)
	return out[:n]
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// lenientQP decodes quoted-printable leniently: an "=" that starts no valid escape
// is kept as it is, and trailing white space is kept too (format=flowed needs it,
// and some encoders leave it unencoded).
func lenientQP(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c != '=' {
			out = append(out, c)
			continue
		}
		// Soft line break: "=" followed by optional white space and the line end.
		j := i + 1
		for j < len(b) && (b[j] == ' ' || b[j] == '\t') {
			j++
		}
		switch {
		case j == len(b):
			i = j - 1
			continue
		case b[j] == '\n':
			i = j
			continue
		case b[j] == '\r':
			if j+1 < len(b) && b[j+1] == '\n' {
				j++
			}
			i = j
			continue
		}
		if i+2 < len(b) {
			hi, ok1 := unhex(b[i+1])
			lo, ok2 := unhex(b[i+2])
			if ok1 && ok2 {
				out = append(out, hi<<4|lo)
				i += 2
				continue
			}
		}
		out = append(out, '=')
	}
	return out
}
