// Package textfold owns the rules by which two spellings of a German word count as
// one: case, diacritics, umlauts and their ae/oe/ue spellings, ß and ss, and the
// white space and separators between words. Fold applies a set of Rules; the named
// sets are the foldings listd compares text by: the search index's words (Index),
// counselling topics and file headers (Topic, Header), and the words of mail
// commands and moderators' replies (Spelled).
package textfold

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Rules is a set of differences Fold removes. Fold applies them in this order:
// Umlauts, then Diacritics' decomposition, then Case, SharpS, Diacritics,
// Spaces/Separators rune by rune, then Digraphs on the result.
type Rules uint

const (
	// Case lower-cases every letter (unicode.ToLower).
	Case Rules = 1 << iota
	// Umlauts spells ä, ö and ü out as ae, oe and ue (Ä as Ae), precomposed or as a
	// vowel followed by a combining diaeresis (as some phones send them).
	Umlauts
	// Diacritics decomposes the text (NFD) and drops the combining marks: é is e,
	// and ü (unless Umlauts spelled it out first) is u.
	Diacritics
	// SharpS writes ß and ẞ as ss.
	SharpS
	// Digraphs reads ae, oe and ue as the umlauts they may spell, folded: a, o and
	// u ("schueler" is "schuler"). It applies after Case.
	Digraphs
	// FinalDigraphs, with Digraphs, keeps an ae, oe or ue that ends a word (the
	// text, or followed by white space), where it rarely spells an umlaut ("neue",
	// "blue", "toe").
	FinalDigraphs
	// Spaces makes each run of white space one space and drops it at both ends.
	Spaces
	// Separators drops white space and the separators '-', '_' and '.' ("Postal
	// code", "postal_code" and "E-Mail" become "postalcode" and "email").
	Separators
)

// The foldings listd compares text by.
const (
	// Index is a word as the search index holds it (SQLite FTS5's unicode61
	// tokenizer with remove_diacritics 2): lower case, no diacritics (ü is u), ß
	// kept. Query words folded so are looked up among the words existing indexes
	// hold: it must keep folding as that tokenizer does.
	Index = Case | Diacritics
	// Topic is the key counselling topics are compared by: lower case, single
	// spaces, no diacritics, ß as ss, and ae, oe, ue read as a, o, u, so
	// "Schüler", "Schueler" and "schuler" are one topic.
	Topic = Case | Diacritics | SharpS | Digraphs | Spaces
	// Header is the key a column header of a centres file is recognised by: Topic
	// without white space and separators.
	Header = Case | Diacritics | SharpS | Digraphs | Separators
	// Spelled is the key of the words of list commands and moderators' replies:
	// lower case, umlauts and ß spelled out ("Kündigen", "kuendigen" and
	// "KÜNDIGEN" are "kuendigen"); other diacritics are kept.
	Spelled = Case | Umlauts | SharpS
)

// Fold returns s with the differences in rules removed. Text that is not valid UTF-8
// has each invalid byte replaced by U+FFFD.
func Fold(s string, rules Rules) string {
	if rules&Umlauts != 0 && hasUmlaut(s) {
		s = spellUmlauts(s)
	}
	if rules&Diacritics != 0 && !isASCII(s) {
		s = norm.NFD.String(s)
	}
	switch {
	case rules&(Spaces|Separators) != 0 || !isASCII(s):
		s = foldRunes(s, rules)
	case rules&Case != 0:
		s = strings.ToLower(s) // the usual word: no copy when it is lower case already
	}
	if rules&Digraphs != 0 {
		s = collapseDigraphs(s, rules&FinalDigraphs != 0)
	}
	return s
}

// foldRunes applies Case, SharpS, Diacritics (the marks' removal), Spaces and
// Separators.
func foldRunes(s string, rules Rules) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false // white space is pending
	for _, r := range s {
		switch {
		case rules&Diacritics != 0 && unicode.Is(unicode.Mn, r):
			continue
		case rules&Separators != 0 && (unicode.IsSpace(r) || r == '-' || r == '_' || r == '.'):
			continue
		case rules&Spaces != 0 && unicode.IsSpace(r):
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		if rules&Case != 0 {
			r = unicode.ToLower(r)
		}
		if rules&SharpS != 0 && (r == 'ß' || r == 'ẞ') {
			b.WriteString("ss")
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

const diaeresis = "\u0308" // combining

// umlautVowels are the vowels an umlaut is made of, precomposed or with a combining
// diaeresis.
var umlautVowels = map[rune]rune{'ä': 'a', 'ö': 'o', 'ü': 'u', 'Ä': 'A', 'Ö': 'O', 'Ü': 'U',
	'a': 'a', 'o': 'o', 'u': 'u', 'A': 'A', 'O': 'O', 'U': 'U'}

func hasUmlaut(s string) bool {
	return strings.ContainsAny(s, "äöüÄÖÜ"+diaeresis)
}

// spellUmlauts writes ä, ö and ü, precomposed or decomposed, as ae, oe and ue.
func spellUmlauts(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		base, ok := umlautVowels[r]
		switch {
		case ok && base != r: // precomposed
		case ok && strings.HasPrefix(s[i:], diaeresis):
			i += len(diaeresis)
		default:
			b.WriteRune(r)
			continue
		}
		b.WriteRune(base)
		b.WriteByte('e')
	}
	return b.String()
}

// collapseDigraphs writes ae, oe and ue as a, o and u, except, with keepFinal, where
// the e ends the text or is followed by white space.
func collapseDigraphs(s string, keepFinal bool) string {
	if !strings.Contains(s, "e") {
		return s
	}
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		out = append(out, c)
		if (c == 'a' || c == 'o' || c == 'u') && i+1 < len(s) && s[i+1] == 'e' &&
			!(keepFinal && (i+2 == len(s) || isSpaceAt(s, i+2))) {
			i++
		}
	}
	return string(out)
}

func isSpaceAt(s string, i int) bool {
	r, _ := utf8.DecodeRuneInString(s[i:])
	return unicode.IsSpace(r)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
