package command

import (
	"listd/internal/mailtext"
	"listd/internal/textfold"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// lineKind is what parseLine made of a line.
type lineKind int

const (
	kindProse   lineKind = iota // nothing that looks like a command
	kindBlank                   // nothing but white space and markup
	kindCommand                 // a valid command
	kindUnknown                 // starts like a command but is not a valid one
	kindWord                    // a single unknown word, perhaps a mistyped verb
)

// argKind is what a verb takes after it.
type argKind int

const (
	argNone   argKind = iota // nothing but the list name and polite words
	argPostal                // a postal code
	argName                  // the rest of the line
	argToken                 // one token
	argPost                  // an archive id or a post's permalink
)

var argKinds = map[Verb]argKind{Postal: argPostal, Counsel: argPostal, Name: argName, Confirm: argToken, Withdraw: argPost}

// trailingPunct is stripped from the end of a line and of a verb word.
const trailingPunct = ".!:,;"

// parseLine reads one trimmed, non-empty line. Command.Line is always set.
func parseLine(line string) (Command, lineKind) {
	c := Command{Verb: Unknown, Line: mailtext.Clip(line, maxLineOut)}
	// "*abmelden*" and "* abmelden" are what HTML bold and lists become.
	t := trimLine(strings.Trim(line, "*_"))
	if t == "" {
		return c, kindBlank
	}
	if strings.Trim(t, "?") == "" {
		c.Verb = Help
		return c, kindCommand
	}
	t = trimLine(strings.TrimRight(t, trailingPunct))
	fs := mailtext.Words(t)
	if len(fs) == 0 {
		return c, kindBlank
	}

	i := 0
	// "Hallo, bitte abmelden": greetings and "bitte" may lead into a command.
	for i < len(fs) && (leadPolite[key(fs[i].Text)] || greetings[key(fs[i].Text)]) {
		i++
	}
	set := false
	if i < len(fs) && setWords[key(fs[i].Text)] {
		set = true
		i++
	}
	if i == len(fs) {
		if set {
			return c, kindUnknown // "set" alone
		}
		return c, kindProse
	}

	v, off, ok := lookupVerb(t, fs, i)
	if !ok {
		switch {
		case set:
			return c, kindUnknown // "set foo"
		case len(fs) == 1 && !greetings[key(fs[0].Text)] && isWord(fs[0].Text):
			return c, kindWord
		}
		return c, kindProse
	}
	rest := trimLine(t[off:])
	switch argKinds[v] {
	case argPostal:
		c.Arg, ok = postalArg(strings.Fields(rest))
	case argName:
		c.Arg, ok = nameArg(rest)
	case argToken:
		c.Arg, ok = tokenArg(strings.Fields(rest))
	case argPost:
		c.Arg, ok = postArg(strings.Fields(rest))
	default:
		ok = extrasOK(v, strings.Fields(rest))
	}
	if !ok {
		return Command{Verb: Unknown, Line: c.Line}, kindUnknown
	}
	c.Verb = v
	return c, kindCommand
}

// key is the form of a word the tables use: folded, without a leading "/" (chat
// habit) and without trailing punctuation.
func key(w string) string {
	return textfold.Fold(strings.TrimRight(strings.TrimLeft(w, "/"), trailingPunct+"?"), textfold.Spelled)
}

// lookupVerb finds the verb at fs[i] and returns the offset in t where its
// argument starts.
func lookupVerb(t string, fs []mailtext.Word, i int) (Verb, int, bool) {
	k := key(fs[i].Text)
	if i+1 < len(fs) {
		if v, ok := phrases[k+" "+key(fs[i+1].Text)]; ok {
			return v, fs[i+1].End, true
		}
	}
	if v, ok := verbs[k]; ok {
		return v, fs[i].End, true
	}
	// "PLZ:01067", "name:Anna".
	if j := strings.IndexByte(fs[i].Text, ':'); j > 0 {
		if v, ok := verbs[key(fs[i].Text[:j])]; ok {
			return v, fs[i].Start + j + 1, true
		}
	}
	return "", 0, false
}

// isWord reports whether w (a whole line) is a plain word, like a mistyped verb,
// rather than an address, a link, a number or an emoji.
func isWord(w string) bool {
	w = strings.TrimRight(w, trailingPunct+"?")
	if w == "" || len(w) > 40 {
		return false
	}
	letter := false
	for _, r := range w {
		switch {
		case unicode.IsLetter(r):
			letter = true
		case unicode.IsDigit(r), r == '-', r == '\'', unicode.Is(unicode.Mn, r):
		default:
			return false
		}
	}
	return letter
}

// extrasOK checks what follows a verb that takes no argument. Allowed are the list
// name or address ("abmelden kita", "subscribe to kita@lists.example.org") and
// filler ("remove me from the list please"); anything else means the line is prose
// that happens to start with a verb ("Normal ist das nicht"), or a wish we cannot
// grant ("digest aus").
func extrasOK(v Verb, ws []string) bool {
	mode := v == Digest || v == Each || v == NoMail
	slot, named := true, false // slot: the next word may be the list name
	for _, w := range ws {
		k := key(w)
		switch {
		case negators[k] || mode && k == "aus":
			return false
		case strings.Contains(w, "@") || strings.HasPrefix(k, "mailto:") || !hasAlnum(w):
			slot = false // an address, "( … )", an emoji
		case fillers[k]:
			slot = listIntro[k]
		case slot && !named && isListName(w):
			slot, named = false, true
		default:
			return false
		}
	}
	return true
}

func hasAlnum(w string) bool {
	return strings.IndexFunc(w, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) >= 0
}

var listName = regexp.MustCompile(`^<?[\p{L}\p{N}][\p{L}\p{N}._+-]{0,63}>?$`)

func isListName(w string) bool {
	return listName.MatchString(strings.TrimRight(w, trailingPunct+"?"))
}

// postalArg reads a postal code: German five digits, or generally 3–10 letters and
// digits with at most one space or hyphen ("1010", "SW1A 1AA", "1234 AB").
func postalArg(ws []string) (string, bool) {
	for len(ws) > 1 && politeTrail[key(ws[len(ws)-1])] {
		ws = ws[:len(ws)-1]
	}
	for i := range ws {
		ws[i] = strings.TrimRight(ws[i], trailingPunct+"?")
	}
	// "PLZ 10115 Berlin": the town is often added; it is not part of the code.
	if len(ws) >= 2 && len(ws[0]) == 5 && allDigits(ws[0]) && startsWithLetter(ws[1]) &&
		!strings.ContainsFunc(strings.Join(ws[1:], ""), unicode.IsDigit) {
		return ws[0], true
	}
	var s string
	switch len(ws) {
	case 1:
		s = ws[0]
	case 2:
		s = ws[0] + " " + ws[1]
	default:
		return "", false
	}
	alnum, seps, digit := 0, 0, false
	for i := 0; i < len(s); i++ {
		switch b := s[i]; {
		case '0' <= b && b <= '9':
			alnum++
			digit = true
		case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z':
			alnum++
		case b == ' ' || b == '-':
			if i == 0 || i == len(s)-1 || seps > 0 {
				return "", false
			}
			seps++
		default:
			return "", false
		}
	}
	// Every postal code has a digit; without one, "plz abc" is a mistake.
	return s, digit && alnum >= 3 && alnum <= 10
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func startsWithLetter(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsLetter(r)
}

// quotePairs are the quotes people put around a pseudonym; they are not part of it.
var quotePairs = [][2]string{{`"`, `"`}, {"'", "'"}, {"„", "“"}, {"„", `"`}, {"“", "”"}, {"»", "«"}, {"«", "»"}, {"‚", "‘"}}

// nameArg reads a pseudonym: the rest of the line, 1–60 characters. It must not be
// an address (pseudonyms are shown to others) nor carry control or bidi characters
// that could disguise it.
func nameArg(rest string) (string, bool) {
	s := trimLine(strings.TrimLeft(rest, ":= \t"))
	for _, q := range quotePairs {
		if len(s) >= len(q[0])+len(q[1]) && strings.HasPrefix(s, q[0]) && strings.HasSuffix(s, q[1]) {
			s = trimLine(s[len(q[0]) : len(s)-len(q[1])])
			break
		}
	}
	// A question ("name of the list?") is not a pseudonym.
	if s == "" || !utf8.ValidString(s) || utf8.RuneCountInString(s) > 60 ||
		strings.Contains(s, "@") || strings.HasSuffix(s, "?") {
		return "", false
	}
	for _, r := range s {
		if unicode.IsControl(r) || isBidi(r) {
			return "", false
		}
	}
	return s, true
}

func isBidi(r rune) bool {
	return r >= '\u202a' && r <= '\u202e' || r >= '\u2066' && r <= '\u2069' || r == '\u200e' || r == '\u200f'
}

var tokenChars = regexp.MustCompile(`^[A-Za-z0-9._-]{10,200}$`)

// tokenArg reads a confirmation token: the next word; anything after it is ignored.
func tokenArg(ws []string) (string, bool) {
	if len(ws) == 0 {
		return "", false
	}
	// Tokens never end in punctuation; a sentence around them may.
	tok := strings.Trim(ws[0], "<>\"'()"+trailingPunct+"?")
	return tok, tokenChars.MatchString(tok)
}
