// Package mailmsg is the one place that reads the pieces of a mail message that
// every other package needs: charsets (one lookup for every label x/text knows),
// RFC 2047 encoded words, undeclared 8-bit text (UTF-8, else Windows-1252) and the
// tolerant split of a message or MIME part into its header block and body, and of a
// multipart body into its parts. A new mail
// parser builds on these instead of bringing its own. It does no I/O and keeps no
// state; what a caller makes of a part (a safe page, a copy to send, a bounce's
// verdict) stays in that caller's package.
package mailmsg

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/ianaindex"
)

// ErrUnknownCharset is returned (wrapped) for a charset label that no decoder here
// knows.
var ErrUnknownCharset = errors.New("unknown charset")

// Charset returns the decoder for a MIME charset label (case and surrounding space
// ignored), or nil when the label is unknown. The WHATWG (HTML) names are tried
// first because they map the labels mailers get wrong in practice to the supersets
// they really mean (iso-8859-1 to windows-1252 and so on); the IANA names follow.
// WHATWG's "replacement" encoding (for ISO-2022-KR and similar) counts as unknown:
// it would turn the whole text into one U+FFFD.
func Charset(label string) encoding.Encoding {
	label = strings.ToLower(strings.TrimSpace(label))
	if enc, err := htmlindex.Get(label); err == nil && enc != nil && enc != encoding.Replacement {
		return enc
	}
	if enc, err := ianaindex.IANA.Encoding(label); err == nil && enc != nil {
		return enc
	}
	return nil
}

// CleanCharset cleans a charset label as found in mail: surrounding quotes and
// space, case, and the "charset=utf-8" that some mailers put inside the value.
func CleanCharset(label string) string {
	l := strings.ToLower(strings.Trim(strings.TrimSpace(label), `"' `))
	if k, v, ok := strings.Cut(l, "="); ok && (k == "charset" || k == "iso") {
		l = strings.Trim(v, `"' `)
	}
	return l
}

// CharsetName returns the WHATWG name of a charset label (the name browsers know,
// e.g. "windows-1252" for "latin1"), or "" when Charset does not know the label or
// the charset has no WHATWG name.
func CharsetName(label string) string {
	enc := Charset(label)
	if enc == nil {
		return ""
	}
	name, err := htmlindex.Name(enc)
	if err != nil {
		return ""
	}
	return name
}

// IsUTF8 reports whether enc is UTF-8 (as Charset returns it for "utf-8", "utf8",
// "unicode-1-1-utf-8" and the like).
func IsUTF8(enc encoding.Encoding) bool {
	if enc == nil {
		return false
	}
	name, err := htmlindex.Name(enc)
	return err == nil && name == "utf-8"
}

// CharsetReader converts input in the charset called label (cleaned by
// CleanCharset) to UTF-8; it is the hook for mime.WordDecoder and go-message. UTF-8 labels pass the bytes through
// unchanged, as mime.WordDecoder does for "utf-8" itself, so that the caller's rule
// for invalid bytes (e.g. UTF8OrWindows1252) applies.
func CharsetReader(label string, input io.Reader) (io.Reader, error) {
	enc := Charset(CleanCharset(label))
	if enc == nil {
		return nil, fmt.Errorf("%w %q", ErrUnknownCharset, clip(label, 40))
	}
	if IsUTF8(enc) {
		return input, nil
	}
	return enc.NewDecoder().Reader(input), nil
}

// DecodeWords decodes the RFC 2047 encoded words of a header value in any charset
// that Charset knows. On error (an unknown charset, a malformed word) it returns
// the error and the caller decides whether to keep the raw value.
func DecodeWords(v string) (string, error) {
	if !strings.Contains(v, "=?") {
		return v, nil
	}
	d := mime.WordDecoder{CharsetReader: CharsetReader}
	return d.DecodeHeader(v)
}

// UTF8OrWindows1252 is how listd reads 8-bit text whose charset is not declared (or
// is declared as US-ASCII, Latin-1 or Windows-1252): valid UTF-8 sequences are UTF-8,
// every other byte is Windows-1252 (the usual undeclared 8-bit mail).
func UTF8OrWindows1252(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var sb strings.Builder
	sb.Grow(len(b) + len(b)/8)
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size <= 1 {
			sb.WriteRune(charmap.Windows1252.DecodeByte(b[0]))
			b = b[1:]
			continue
		}
		sb.Write(b[:size])
		b = b[size:]
	}
	return sb.String()
}

// clip shortens s to at most n bytes without splitting a UTF-8 sequence.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
