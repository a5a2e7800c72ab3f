package compose

import (
	"bytes"
	"mime"
	"slices"
)

// multipart is a multipart body split into parts on the raw bytes, so that
// parts can be replaced while everything else (preamble, delimiter lines
// with their padding, untouched parts, epilogue) keeps its exact bytes.
type multipart struct {
	body     []byte
	boundary string
	// parts are the contents (header and body) of the body parts, without
	// the CRLF that belongs to the following delimiter (RFC 2046 5.1.1).
	parts []span
}

type span struct{ start, end int }

// splitMultipart splits a CRLF body on boundary. It fails for an invalid
// boundary, no parts, an empty part or a missing close delimiter: such a
// body is left alone. Delimiter lines are recognised as
// mime/multipart does: "--" boundary ["--"] [blanks] CRLF.
func splitMultipart(body []byte, boundary string) (*multipart, bool) {
	return splitParts(body, boundary, false)
}

// splitParts is splitMultipart; when lenient, a missing close delimiter ends the last
// part at the end of the body, as mail readers read it.
func splitParts(body []byte, boundary string, lenient bool) (*multipart, bool) {
	if !validBoundary(boundary) {
		return nil, false
	}
	dash := []byte("--" + boundary)
	m := &multipart{body: body, boundary: boundary}
	start := -1 // content start of the current part; -1 in the preamble
	for pos := 0; pos < len(body); {
		line, next, hasNL := body[pos:], len(body), false
		if i := bytes.IndexByte(line, '\n'); i >= 0 {
			line, next, hasNL = line[:i], pos+i+1, true
		}
		rest, ok := bytes.CutPrefix(line, dash)
		if !ok {
			pos = next
			continue
		}
		rest, final := bytes.CutPrefix(rest, []byte("--"))
		rest = bytes.TrimLeft(rest, " \t")
		switch {
		case hasNL && string(rest) == "\r":
		case !hasNL && final && len(rest) == 0:
		default:
			pos = next
			continue
		}
		if start >= 0 {
			// The CRLF before the delimiter line is part of the delimiter.
			end := pos - 2
			if end < start {
				return nil, false
			}
			m.parts = append(m.parts, span{start, end})
		}
		if final {
			return m, len(m.parts) > 0
		}
		start = next
		pos = next
	}
	if lenient && start >= 0 {
		m.parts = append(m.parts, span{start, len(body)})
		return m, true
	}
	return nil, false
}

// validBoundary accepts RFC 2046 boundaries, leniently about length and
// characters, but nothing that could not appear on a delimiter line.
func validBoundary(b string) bool {
	if b == "" || len(b) > 200 || b[len(b)-1] == ' ' {
		return false
	}
	for i := 0; i < len(b); i++ {
		if b[i] < ' ' || b[i] >= 0x7f {
			return false
		}
	}
	return true
}

// rebuild returns the body with the parts in repl replaced and, if extra is
// not nil, a new part with content extra inserted before the close
// delimiter. It fails if new content contains a line that a parser could
// take for one of this multipart's delimiters.
func (m *multipart) rebuild(repl map[int][]byte, extra []byte) ([]byte, bool) {
	for _, r := range repl {
		if hasDelimiter(r, m.boundary) {
			return nil, false
		}
	}
	if hasDelimiter(extra, m.boundary) {
		return nil, false
	}
	return m.replace(repl, extra), true
}

// replace is rebuild without the check for delimiters: for parts whose new content
// holds no line that was not a line of the part before.
func (m *multipart) replace(repl map[int][]byte, extra []byte) []byte {
	size := len(m.body) + len(extra) + len(m.boundary) + 8
	for _, r := range repl {
		size += len(r)
	}
	out := make([]byte, 0, size)
	prev := 0
	keys := make([]int, 0, len(repl))
	for i := range repl {
		keys = append(keys, i)
	}
	slices.Sort(keys)
	for _, i := range keys {
		p := m.parts[i]
		out = append(out, m.body[prev:p.start]...)
		out = append(out, repl[i]...)
		prev = p.end
	}
	if extra != nil {
		last := m.parts[len(m.parts)-1].end
		out = append(out, m.body[prev:last]...)
		out = append(out, "\r\n--"+m.boundary+"\r\n"...)
		out = append(out, extra...)
		prev = last
	}
	return append(out, m.body[prev:]...)
}

// hasDelimiter reports whether a line of b starts with "--" boundary.
func hasDelimiter(b []byte, boundary string) bool {
	dash := []byte("--" + boundary)
	for len(b) > 0 {
		if bytes.HasPrefix(b, dash) {
			return true
		}
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			return false
		}
		b = b[i+1:]
	}
	return false
}

// encodeText picks the transfer encoding for changed text: 7bit when it is
// ASCII with short lines, 8bit when allowed (the text was not encoded
// before) and the lines are short, otherwise quoted-printable. orig is the part's current encoding; the
// returned label is "" when the current Content-Transfer-Encoding field can
// stay as it is.
func encodeText(text []byte, orig string, allow8bit bool) (string, []byte) {
	ascii, ok := scanText(text)
	var want string
	switch {
	case ascii && ok:
		want = "7bit"
	case allow8bit && ok:
		want = "8bit"
	default:
		return "quoted-printable", encodeQP(text)
	}
	if want == orig || (want == "7bit" && orig == "8bit") {
		return "", text
	}
	return want, text
}

// scanText reports whether text is ASCII, and whether it may be sent
// unencoded: lines of at most 998 bytes, no NUL, no CR outside CRLF.
func scanText(text []byte) (ascii, ok bool) {
	ascii, ok = true, true
	lineStart := 0
	for i, c := range text {
		switch {
		case c >= 0x80:
			ascii = false
		case c == 0:
			ok = false
		case c == '\r' && (i+1 >= len(text) || text[i+1] != '\n'):
			ok = false
		case c == '\n':
			if i-1-lineStart > maxLineLen {
				ok = false
			}
			lineStart = i + 1
		}
	}
	if len(text)-lineStart > maxLineLen {
		ok = false
	}
	return ascii, ok
}

// utf8TextType is the Content-Type for a text part converted to UTF-8; the
// other parameters (format=flowed, delsp, ...) are kept.
func utf8TextType(mediaType string, params map[string]string) string {
	p := make(map[string]string, len(params)+1)
	for k, v := range params {
		p[k] = v
	}
	p["charset"] = "utf-8"
	if s := mime.FormatMediaType(mediaType, p); s != "" {
		return s
	}
	return mediaType + "; charset=utf-8"
}

// lastIndexFold returns the index of the last ASCII case-insensitive
// occurrence of s in b, or -1.
func lastIndexFold(b []byte, s string) int {
	bs := []byte(s)
	for i := len(b) - len(bs); i >= 0; i-- {
		if bytes.EqualFold(b[i:i+len(bs)], bs) {
			return i
		}
	}
	return -1
}
