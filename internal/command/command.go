// Package command reads the commands that people send to a list's -request address,
// in the Subject or the first lines of the body, in German and English.
package command

import (
	"listd/internal/mailtext"
	"listd/internal/textfold"
	"regexp"
	"strings"
	"unicode"
)

// Verb is what a command asks for.
type Verb string

// The verbs. The words after each are what people write for it (see vocab.go for all).
const (
	Help        Verb = "help"        // help, hilfe, ?, info
	Subscribe   Verb = "subscribe"   // subscribe, join, anmelden, abonnieren, eintragen
	Unsubscribe Verb = "unsubscribe" // unsubscribe, leave, signoff, remove, abmelden, austragen, kündigen, abbestellen
	Digest      Verb = "digest"      // digest, zusammenfassung, sammelmail, "set digest", "modus digest"
	Each        Verb = "each"        // each, einzeln, "set each", nodigest, "set nodigest", normal
	NoMail      Verb = "nomail"      // nomail, nurweb, "nur web", webonly, "set nomail", pause
	Postal      Verb = "postal"      // postal CODE, plz CODE, postleitzahl CODE, zip CODE
	Name        Verb = "name"        // name PSEUDONYM, pseudonym PSEUDONYM, nickname PSEUDONYM
	Confirm     Verb = "confirm"     // confirm TOKEN, bestätigen TOKEN, bestaetigen TOKEN
	Counsel     Verb = "counsel"     // beratung CODE: counselling centres near a postal code
	Withdraw    Verb = "withdraw"    // withdraw ID-OR-URL, zurückziehen ID-OR-URL: take one's own post back
	Unknown     Verb = "unknown"     // a line that looked like a command but is not one
)

// Command is one command found in a mail.
type Command struct {
	Verb Verb
	Arg  string // CODE, PSEUDONYM, TOKEN or post (trimmed; original case kept); "" when none
	Line string // the line it came from (trimmed, at most 200 bytes), for replies
}

// MaxCommands is the most commands Parse returns for one mail.
const MaxCommands = 10

// Limits that keep the work per mail small whatever arrives.
const (
	maxBody    = 64 << 10 // bytes of the body looked at
	maxLines   = 200      // lines of the body looked at
	maxLine    = 1000     // bytes of one line parsed; no command is near this long
	maxLineOut = 200      // bytes of Command.Line
	maxGarbage = 3        // non-command lines in a row before the body is given up
)

// Parse reads the commands in subject and body (already decoded to UTF-8 text; LF or
// CRLF). It returns at most MaxCommands commands, in order, without duplicates of the
// same verb+arg.
//
// Only a valid command counts in the subject: replies keep whatever subject they had.
// Unknown commands are deduplicated by their line, so each bad line is reported once.
func Parse(subject, body string) []Command {
	p := parser{seen: make(map[string]bool)}
	if s := trimLine(stripSubject(mailtext.Clip(subject, maxLine))); s != "" {
		if c, k := parseLine(s); k == kindCommand {
			p.add(c)
		}
	}
	p.body(body)
	return p.out
}

type parser struct {
	out   []Command
	seen  map[string]bool
	found bool // a valid command was found
}

// add appends c unless it is a duplicate; it reports whether there is room for more.
func (p *parser) add(c Command) bool {
	if len(p.out) >= MaxCommands {
		return false
	}
	key := string(c.Verb) + "\x00" + c.Arg
	if c.Verb == Unknown {
		key += "\x00" + strings.ToLower(c.Line)
	} else {
		p.found = true
	}
	if !p.seen[key] {
		p.seen[key] = true
		p.out = append(p.out, c)
	}
	return len(p.out) < MaxCommands
}

func (p *parser) body(body string) {
	if len(body) > maxBody {
		// Drop the cut line too: half a line could read as a different command.
		body = body[:maxBody]
		i := strings.LastIndexByte(body, '\n')
		body = body[:max(i, 0)]
	}
	garbage := 0
	for n := 0; n < maxLines && body != ""; n++ {
		var line string
		line, body, _ = strings.Cut(body, "\n")
		t := trimLine(mailtext.Clip(line, maxLine))
		if t == "" {
			continue
		}
		if isStop(t) {
			return
		}
		c, k := parseLine(t)
		switch k {
		case kindBlank:
			continue
		case kindCommand:
			if !p.add(c) {
				return
			}
			garbage = 0
			continue
		case kindUnknown:
			if !p.add(c) {
				return
			}
		case kindWord:
			// A lone word after a command is more likely a name signing off
			// than a mistyped command.
			if !p.found && !p.add(c) {
				return
			}
		}
		garbage++
		if garbage >= maxGarbage {
			return
		}
	}
}

// subjectPrefix matches one reply/forward prefix or [tag] at the start of a subject.
var subjectPrefix = regexp.MustCompile(`(?i)^\s*(?:(?:re|aw|antw|antwort|fw|fwd|wg)\s*(?:\[\d+\]|\(\d+\))?\s*:|\[[^\]]{0,100}\])\s*`)

// stripSubject removes reply and forward prefixes and list tags, however many.
func stripSubject(s string) string {
	for {
		loc := subjectPrefix.FindStringIndex(s)
		if loc == nil || loc[1] == 0 {
			return s
		}
		s = s[loc[1]:]
	}
}

// Markers of where the text someone typed ends.
var (
	// "Am 24.11.2026 um 10:00 schrieb X:", "On Tue, … X wrote:"; Gmail may wrap the
	// address onto the next line, so the colon is not required here.
	attributionOpen = regexp.MustCompile(`(?i)^(?:am|on)\b.*\b(?:schrieb|wrote)\b`)
	// "X <x@example.org> schrieb am …:", and the second half of a wrapped one.
	attributionEnd = regexp.MustCompile(`(?i)\b(?:schrieb|wrote)\b.*:$`)
	// The header block Outlook puts above the quoted mail.
	headerBlock = regexp.MustCompile(`(?i)^(?:von|from|gesendet|sent|an|to|cc|betreff|subject|datum|date)\s*:`)
)

// isStop reports whether the trimmed line ends what the sender typed: a signature,
// quoted text or the mail being replied to.
func isStop(t string) bool {
	if t[0] == '>' {
		return true
	}
	// "-- " is trimmed to "--"; "-----Original Message-----" and friends have words.
	if strings.HasPrefix(t, "--") && (t == "--" || strings.IndexFunc(t, unicode.IsLetter) >= 0) {
		return true
	}
	if attributionOpen.MatchString(t) || attributionEnd.MatchString(t) || headerBlock.MatchString(t) {
		return true
	}
	f := textfold.Fold(t, textfold.Spelled)
	for _, p := range stopPrefixes {
		if strings.HasPrefix(f, p) {
			return true
		}
	}
	return isSignOff(f)
}

// isSignOff reports whether the folded line is a closing like "Liebe Grüße" or
// "LG Anna"; what follows is a signature.
func isSignOff(f string) bool {
	words := strings.FieldsFunc(f, func(r rune) bool { return unicode.IsSpace(r) || strings.ContainsRune(",.!:;", r) })
	if len(words) == 0 || len(words) > 6 {
		return false
	}
	return mailtext.SignOff(words)
}

// trimLine trims white space, including the no-break and zero-width spaces that
// HTML conversion and phones leave around words.
func trimLine(s string) string {
	return strings.TrimFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || r == '\u200b' || r == '\u200c' || r == '\u200d' || r == '\ufeff' || r == '\u2060'
	})
}
