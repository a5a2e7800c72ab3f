// Package mailtext holds the small text helpers shared by the parsers of what people
// write in mail (list commands, moderators' replies): words with their offsets,
// cutting without breaking UTF-8, and the sign-offs after which a signature follows.
// Folding of case and umlauts is textfold's.
package mailtext

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Word is a white-space separated word of a line with its byte offsets.
type Word struct {
	Text       string
	Start, End int
}

// Words splits t at white space, keeping where each word stands.
func Words(t string) []Word {
	var ws []Word
	start := -1
	for i, r := range t {
		sp := unicode.IsSpace(r)
		switch {
		case sp && start >= 0:
			ws = append(ws, Word{t[start:i], start, i})
			start = -1
		case !sp && start < 0:
			start = i
		}
	}
	if start >= 0 {
		ws = append(ws, Word{t[start:], start, len(t)})
	}
	return ws
}

// Clip cuts s to at most n bytes without splitting a UTF-8 sequence.
func Clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}

// signOffs close a mail; whatever follows them is a signature. Folded
// (textfold.Spelled).
var signOffs = map[string]bool{
	"lg": true, "vg": true, "mfg": true, "gruss": true, "gruesse": true, "gruessle": true,
	"gruesschen": true, "cheers": true, "regards": true, "best": true, "ciao": true,
	"tschuess": true, "bye": true, "xoxo": true, "herzlichst": true,
	"liebe gruesse": true, "lieben gruss": true, "liebe gruss": true, "lieben gruessen": true,
	"lieben gruesse": true, "viele gruesse": true, "beste gruesse": true,
	"herzliche gruesse": true, "freundliche gruesse": true, "schoene gruesse": true,
	"sonnige gruesse": true, "best regards": true, "kind regards": true, "warm regards": true,
	"bis bald": true, "bis dann": true, "alles gute": true, "all the best": true,
	"mit freundlichen gruessen": true, "mit besten gruessen": true,
	"mit lieben gruessen": true, "mit herzlichen gruessen": true,
}

// SignOff reports whether a line's first one to three words (textfold.Spelled) close
// a mail ("LG", "Liebe Grüße", "Best regards"): what follows is a signature.
func SignOff(words []string) bool {
	for n := 1; n <= 3 && n <= len(words); n++ {
		if signOffs[strings.Join(words[:n], " ")] {
			return true
		}
	}
	return false
}
