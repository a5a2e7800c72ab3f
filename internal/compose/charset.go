package compose

import (
	"bytes"
	"mime/quotedprintable"
	"unicode/utf8"

	"listd/internal/mailmsg"
)

// isUTF8Label reports whether a charset label needs no conversion to UTF-8
// (us-ascii text is valid UTF-8).
func isUTF8Label(cs string) bool {
	switch cs {
	case "", "utf-8", "utf8", "us-ascii", "ascii":
		return true
	}
	return false
}

func isASCIILabel(cs string) bool {
	return cs == "" || cs == "us-ascii" || cs == "ascii"
}

// toUTF8 converts text in charset cs to UTF-8. ok is false for unknown
// charsets and for us-ascii text that is not even UTF-8 (so we cannot tell
// what it is).
func toUTF8(b []byte, cs string) (out []byte, ok bool) {
	if isUTF8Label(cs) {
		return b, !isASCIILabel(cs) || utf8.Valid(b)
	}
	enc := mailmsg.Charset(cs)
	if enc == nil {
		return nil, false
	}
	out, err := enc.NewDecoder().Bytes(b)
	if err != nil {
		return nil, false
	}
	return out, true
}

// asciiCompatible reports whether ASCII bytes mean the same in charset cs,
// checked by encoding the probe (which must be ASCII).
func asciiCompatible(cs string, probe []byte) bool {
	if isUTF8Label(cs) {
		return true
	}
	enc := mailmsg.Charset(cs)
	if enc == nil {
		return false
	}
	out, err := enc.NewEncoder().Bytes(probe)
	return err == nil && bytes.Equal(out, probe)
}

// isIdentityCTE reports whether a transfer encoding leaves the bytes as they
// are.
func isIdentityCTE(cte string) bool {
	return cte == "7bit" || cte == "8bit" || cte == "binary"
}

// encodeQP quoted-printable encodes text; CRLF stays a hard line break.
func encodeQP(text []byte) []byte {
	var b bytes.Buffer
	b.Grow(len(text) + len(text)/8)
	w := quotedprintable.NewWriter(&b)
	// Writes to a bytes.Buffer cannot fail.
	_, _ = w.Write(text)
	_ = w.Close()
	return b.Bytes()
}
