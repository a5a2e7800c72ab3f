package counsel

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// FoldTopic is the key topics are compared by: lower case, single spaces, accents
// dropped, ß as ss, and the transliterations ae, oe, ue read as a, o, u. So
// "Schüler", "Schueler" and "schuler" are one topic, whichever way a keyboard (or a
// mail client) wrote it. The folding is lossy, but it is applied to both sides of
// every comparison and topic words do not collide under it.
func FoldTopic(s string) string {
	return fold(s, false)
}

// foldHeader is the key a header cell is recognised by: FoldTopic without spaces,
// '-', '_' or '.', so "Postal code", "postal_code" and "E-Mail" match.
func foldHeader(s string) string {
	return fold(s, true)
}

func fold(s string, header bool) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range lowerASCIIOrNFD(s) {
		switch {
		case r == 'ß' || r == 'ẞ':
			b.WriteString("ss")
			space = false
			continue
		case unicode.Is(unicode.Mn, r):
			continue // a combining accent left by NFD
		case unicode.IsSpace(r) || (header && (r == '-' || r == '_' || r == '.')):
			if !header {
				space = b.Len() > 0
			}
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return dropTransliterationE(b.String())
}

// dropTransliterationE turns ae, oe and ue into a, o and u.
func dropTransliterationE(s string) string {
	if !strings.Contains(s, "e") {
		return s
	}
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		out = append(out, s[i])
		if (s[i] == 'a' || s[i] == 'o' || s[i] == 'u') && i+1 < len(s) && s[i+1] == 'e' {
			i++
		}
	}
	return string(out)
}

// lowerASCIIOrNFD skips the decomposition for the usual ASCII input: folding runs for
// every topic of every query.
func lowerASCIIOrNFD(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return norm.NFD.String(s)
		}
	}
	return s
}
