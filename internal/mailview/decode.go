package mailview

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"

	"listd/internal/mailmsg"
)

// decodeTransfer undoes a Content-Transfer-Encoding leniently (mailmsg.Lenient). It
// never fails: damaged input yields what could be decoded, and an unknown encoding
// leaves the bytes as they are, with a note for View.Errors.
func decodeTransfer(cte string, b []byte) ([]byte, string) {
	out, err := mailmsg.DecodeTransfer(b, cte, mailmsg.Lenient)
	if err != nil {
		return out, fmt.Sprintf("unknown transfer encoding %q", clip(cte, 40))
	}
	return out, ""
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

// lookupCharset finds the decoder for a label. utf8 reports UTF-8 (and the labels
// that mean "unknown"), which need no decoder.
func lookupCharset(label string) (enc encoding.Encoding, utf8 bool, known bool) {
	switch label {
	case "", "utf-8", "utf8", "unknown-8bit", "x-unknown", "unknown":
		return nil, true, label != "unknown-8bit" && label != "x-unknown" && label != "unknown"
	}
	e := mailmsg.Charset(label)
	if e == nil {
		return nil, true, false
	}
	if mailmsg.IsUTF8(e) {
		return nil, true, true
	}
	return e, false, true
}

// decodeCharset turns text in the declared charset into UTF-8, never failing:
//   - undeclared or UTF-8 text that is not valid UTF-8 keeps its valid sequences and
//     reads the other bytes as windows-1252 (the usual undeclared 8-bit mail);
//   - a single-byte charset declared for bytes that are valid UTF-8 with non-ASCII in
//     them is a wrong declaration (real Latin-1 or KOI8-R text is practically never
//     valid UTF-8), so UTF-8 wins;
//   - an unknown charset is treated as undeclared, with a note.
func decodeCharset(b []byte, label string) (string, string) {
	label = mailmsg.CleanCharset(label)
	enc, isUTF8, known := lookupCharset(label)
	note := ""
	if !known {
		note = fmt.Sprintf("unknown charset %q", clip(label, 40))
	}
	if isUTF8 {
		return fixUTF8(b), note
	}
	if _, single := enc.(*charmap.Charmap); single && utf8.Valid(b) {
		return string(b), ""
	}
	out, err := enc.NewDecoder().Bytes(b)
	if err != nil {
		return fixUTF8(b), fmt.Sprintf("charset %q: %v", clip(label, 40), err)
	}
	return string(out), ""
}

// htmlCharset finds the charset of an HTML part that declares none in its header:
// a BOM or a <meta> in the first KB, else UTF-8 when valid, else windows-1252.
func htmlCharset(b []byte) string {
	_, name, _ := charset.DetermineEncoding(b, "text/html")
	return name
}

// fixUTF8 keeps valid UTF-8 and reads each invalid byte as windows-1252, as the
// archive's search text does.
func fixUTF8(b []byte) string { return mailmsg.UTF8OrWindows1252(b) }

// cleanText removes what must not reach a page: control characters other than tab and
// line feed (C0, DEL, C1), a byte-order mark, and carriage returns (line ends become
// "\n").
func cleanText(s string) string {
	if strings.IndexByte(s, '\r') >= 0 {
		s = strings.ReplaceAll(s, "\r\n", "\n") // the common case, done fast
	}
	clean := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 && c != '\t' && c != '\n' || c == 0x7f || c == 0xc2 || c == 0xef {
			clean = false // 0xc2 starts C1 controls, 0xef the BOM: look closer
			break
		}
	}
	if clean {
		return s
	}
	var sb strings.Builder
	sb.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '\r':
			if i+1 >= len(s) || s[i+1] != '\n' {
				sb.WriteByte('\n')
			}
		case r == '\t' || r == '\n':
			sb.WriteRune(r)
		case unicode.IsControl(r) || r == '\ufeff':
		default:
			sb.WriteString(s[i : i+size])
		}
		i += size
	}
	return sb.String()
}

// decodeHeader decodes a header value: RFC 2047 encoded words in any charset known
// here, raw 8-bit bytes as UTF-8 or windows-1252, folding and controls removed.
func decodeHeader(v string) string {
	if strings.Contains(v, "=?") {
		if s, err := mailmsg.DecodeWords(v); err == nil {
			v = s
		}
	}
	v = fixUTF8([]byte(v))
	v = strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\r' || r == '\n':
			return ' '
		case unicode.IsControl(r) || r == '\ufeff':
			return -1
		}
		return r
	}, v)
	return strings.Join(strings.Fields(v), " ")
}

// clip shortens s to at most n bytes without splitting a UTF-8 sequence.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// headerParams splits the parameters of a structured header value (Content-Type,
// Content-Disposition) as written: keys lower-cased, quoted values unquoted, nothing
// decoded. It is lenient where mail is sloppy: 8-bit bytes, missing quotes, stray
// separators. The first value of a repeated key wins.
func headerParams(v string) map[string]string {
	params := map[string]string{}
	i := strings.IndexByte(v, ';')
	if i < 0 {
		return params
	}
	for i < len(v) && len(params) < 200 {
		for i < len(v) && (v[i] == ';' || v[i] == ' ' || v[i] == '\t' || v[i] == '\r' || v[i] == '\n') {
			i++
		}
		start := i
		for i < len(v) && v[i] != '=' && v[i] != ';' {
			i++
		}
		if i >= len(v) || v[i] != '=' {
			continue
		}
		key := strings.ToLower(strings.TrimSpace(v[start:i]))
		i++
		for i < len(v) && (v[i] == ' ' || v[i] == '\t') {
			i++
		}
		var val strings.Builder
		if i < len(v) && v[i] == '"' {
			for i++; i < len(v) && v[i] != '"'; i++ {
				if v[i] == '\\' && i+1 < len(v) {
					i++
				}
				val.WriteByte(v[i])
			}
			i++ // the closing quote
		} else {
			start := i
			for i < len(v) && v[i] != ';' {
				i++
			}
			val.WriteString(strings.TrimSpace(v[start:i]))
		}
		if _, dup := params[key]; !dup && key != "" {
			params[key] = val.String()
		}
	}
	return params
}

// paramValue decodes parameter name: RFC 2231 (name*, or the continuations name*0,
// name*1*, ...) in any charset known here, else the plain value with RFC 2047
// encoded words (which many mailers put there) and raw 8-bit bytes.
func paramValue(params map[string]string, name string) (string, bool) {
	if v, ok := params[name+"*"]; ok {
		cs, text := split2231(v)
		s, _ := decodeCharset(percentDecode(text), cs)
		return s, true
	}
	_, plain0 := params[name+"*0"]
	_, ext0 := params[name+"*0*"]
	if plain0 || ext0 {
		var raw []byte
		cs := ""
		for n := 0; n < 100; n++ {
			k := name + "*" + strconv.Itoa(n)
			if v, ok := params[k+"*"]; ok {
				if n == 0 {
					cs, v = split2231(v)
				}
				raw = append(raw, percentDecode(v)...)
			} else if v, ok := params[k]; ok {
				raw = append(raw, v...)
			} else {
				break
			}
		}
		s, _ := decodeCharset(raw, cs)
		return s, true
	}
	if v, ok := params[name]; ok {
		return decodeHeader(v), true
	}
	return "", false
}

// split2231 cuts "charset'language'text".
func split2231(v string) (charset, text string) {
	cs, rest, ok := strings.Cut(v, "'")
	if !ok {
		return "", v
	}
	_, text, ok = strings.Cut(rest, "'")
	if !ok {
		return "", v
	}
	return cs, text
}

// percentDecode undoes %XX escapes, keeping a "%" that starts none.
func percentDecode(s string) []byte {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			hi, ok1 := unhex(s[i+1])
			lo, ok2 := unhex(s[i+2])
			if ok1 && ok2 {
				out = append(out, hi<<4|lo)
				i += 2
				continue
			}
		}
		out = append(out, s[i])
	}
	return out
}
