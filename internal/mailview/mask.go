package mailview

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Mask replaces every mail address in s by its first character and "…@…", the form
// the archive pages show; "%40" counts as "@", as in the query of an unsubscribe link.
// A hand-written scanner, as it runs over every text node.
func Mask(s string) string {
	at, w := nextAt(s, 0)
	if at < 0 {
		return s
	}
	var b strings.Builder
	last := 0 // s[:last] is written or masked
	for at >= 0 {
		start := at
		// Bounded by the longest local part (64) and domain (255) there are, so a
		// run of "%40%40..." cannot make this quadratic.
		for start > last && at-start < 64 {
			r, size := utf8.DecodeLastRuneInString(s[last:start])
			if !isLocalRune(r) {
				break
			}
			start -= size
		}
		// Dots before the address are usually the sentence's ("see...a@b.c"); a
		// local part of dots only is still masked, as a reader might take it for one.
		if t := start + len(s[start:at]) - len(strings.TrimLeft(s[start:at], ".")); t < at {
			start = t
		}
		end := at + w
		for end < len(s) && end-at < 256 {
			r, size := utf8.DecodeRuneInString(s[end:])
			if !isDomainRune(r) {
				break
			}
			end += size
		}
		for end > at+w && (s[end-1] == '.' || s[end-1] == '-') {
			end--
		}
		next := at + w
		if start < at && end > at+w && hasAlnum(s[at+w:end]) {
			b.WriteString(s[last:start])
			_, size := utf8.DecodeRuneInString(s[start:])
			b.WriteString(s[start : start+size])
			b.WriteString("…@…")
			last, next = end, end
		}
		at, w = nextAt(s, next)
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// nextAt finds the next "@" or "%40" from index from: its index and length, or -1.
func nextAt(s string, from int) (int, int) {
	if from >= len(s) {
		return -1, 0
	}
	i := strings.IndexByte(s[from:], '@')
	j := strings.Index(s[from:], "%40")
	switch {
	case i < 0 && j < 0:
		return -1, 0
	case j < 0 || (i >= 0 && i < j):
		return from + i, 1
	}
	return from + j, 3
}

// isLocalRune is the local part of an address: letters (also of internationalized
// addresses), digits and ".", "_", "%", "+", "-". RFC 5322 allows more, but "/", "="
// or "?" would pull the path of a URL into the address.
func isLocalRune(r rune) bool {
	if r < utf8.RuneSelf {
		return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
			r == '.' || r == '_' || r == '%' || r == '+' || r == '-'
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

func isDomainRune(r rune) bool {
	if r < utf8.RuneSelf {
		return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-'
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

func hasAlnum(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return true
		}
	}
	return false
}

// hasAddress reports whether a URL carries a mail address.
func hasAddress(u string) bool { return Mask(u) != u }

// nextURL finds the next http or https URL in plain text: [start, end) or -1.
// The end stops at white space and at characters that enclose URLs in text, and
// trailing punctuation (and an unbalanced closing bracket) is left to the sentence.
func nextURL(s string) (int, int) {
	off := 0
	for {
		i := strings.Index(s[off:], "://")
		if i < 0 {
			return -1, -1
		}
		i += off
		off = i + 3
		start := -1
		switch {
		case i >= 5 && strings.EqualFold(s[i-5:i], "https"):
			start = i - 5
		case i >= 4 && strings.EqualFold(s[i-4:i], "http"):
			start = i - 4
		}
		if start < 0 {
			continue
		}
		if start > 0 {
			if r, _ := utf8.DecodeLastRuneInString(s[:start]); unicode.IsLetter(r) || unicode.IsDigit(r) {
				continue // "xhttp://" is not a link
			}
		}
		end := off
		for end < len(s) {
			r, size := utf8.DecodeRuneInString(s[end:])
			if !isURLRune(r) {
				break
			}
			end += size
		}
		end = trimURL(s[start:end]) + start
		if end-off < 1 {
			continue // no host
		}
		return start, end
	}
}

func isURLRune(r rune) bool {
	if r < utf8.RuneSelf {
		return r > ' ' && r < 0x7f && !strings.ContainsRune(`<>"`+"`", r)
	}
	return !unicode.IsSpace(r) && !unicode.IsControl(r) && r != '«' && r != '»' &&
		r != '“' && r != '”' && r != '„' && r != '‘' && r != '’' && r != '‚' && r != '\ufffd'
}

// trimURL returns the length of u without trailing punctuation.
func trimURL(u string) int {
	var opens, closes [3]int // (), [], {}
	counted := false
	for len(u) > 0 {
		c := u[len(u)-1]
		switch c {
		case '.', ',', ':', ';', '!', '?', '\'', '*', '_':
			u = u[:len(u)-1]
			continue
		case ')', ']', '}':
			k := strings.IndexByte(")]}", c)
			if !counted {
				// Counted once, then kept up to date: recounting per bracket
				// would be quadratic in a run of brackets.
				for i := 0; i < len(u); i++ {
					if j := strings.IndexByte("([{", u[i]); j >= 0 {
						opens[j]++
					} else if j := strings.IndexByte(")]}", u[i]); j >= 0 {
						closes[j]++
					}
				}
				counted = true
			}
			if opens[k] < closes[k] {
				closes[k]--
				u = u[:len(u)-1]
				continue
			}
		}
		break
	}
	return len(u)
}

// safeLink checks a link target for an <a href>: http and https with a host, or
// mailto. Anything with white space or controls in it is refused rather than
// cleaned, since browsers strip those and would see a different scheme.
func safeLink(h string) (string, bool) {
	h = strings.TrimSpace(h)
	for i := 0; i < len(h); i++ {
		if h[i] <= ' ' || h[i] == 0x7f {
			return "", false
		}
	}
	lower := strings.ToLower(h)
	switch {
	case strings.HasPrefix(lower, "http://"), strings.HasPrefix(lower, "https://"):
		u, err := url.Parse(h)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return "", false
		}
		return h, true
	case strings.HasPrefix(lower, "mailto:"):
		u, err := url.Parse(h)
		if err != nil || u.Scheme != "mailto" {
			return "", false
		}
		return h, true
	}
	return "", false
}
