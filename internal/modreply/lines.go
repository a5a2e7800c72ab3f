package modreply

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"listd/internal/mailtext"
	"listd/internal/textfold"
)

// Markers of where the text the moderator typed ends. All are matched against
// plain(line): trimmed, without the "*" that HTML bold becomes.
var (
	// "Am 24.11.2026 um 10:00 schrieb X:", "On Tue, Nov 24, 2026 at 10:00 AM X <x@y> wrote:".
	// Gmail may wrap the address onto the next line, so the colon is not required; the
	// digit (date or time) is, so that "On it, wrote …" stays text.
	attribOpen = regexp.MustCompile(`(?i)^(?:am|on|le)\s.*\d.*\s(?:schrieb|wrote|schreibt|writes|geschrieben|a écrit)(?:\s|:|$)`)
	// The first half of a wrapped one: "Am Di., 24. Nov. 2026 um 10:00 Uhr".
	attribStart = regexp.MustCompile(`(?i)^(?:am|on|le)\s.*\d`)
	// "X <x@y> schrieb am 24.11.2026 10:00:", "schrieb X <x@y>:" (second half), "Anna
	// wrote:", Yahoo's "… hat X <x@y> Folgendes geschrieben:".
	attribEnd = regexp.MustCompile(`(?i)(?:^|\s)(?:schrieb|wrote|schreibt|writes|geschrieben)(?:\s.*)?:$`)
	// Dates and times as attributions have them.
	dateLike = regexp.MustCompile(`\d{1,2}\.\s?\d{1,2}\.\s?\d{2,4}|\d{4}-\d{2}-\d{2}|\d{1,2}:\d{2}`)
	// A header line of the block Outlook and web mailers put above the original.
	headerLabel = regexp.MustCompile(`(?i)^(?:von|from|gesendet|sent|an|to|cc|bcc|betreff|subject|datum|date|reply-to|antwort an)\s*:`)
	// Outlook may put a whole header block on one line when converting HTML.
	headerInline = regexp.MustCompile(`(?i)\s(?:gesendet|sent|datum|date)\s*:`)
	// Phone and app footers: "Gesendet von meinem iPhone", "Sent from Outlook for
	// Android", "Gesendet mit der WEB.DE Mail App", "Von meinem iPhone gesendet".
	footer = regexp.MustCompile(`(?i)^(?:(?:gesendet|sent)\s+(?:von|vom|mit|from|with|via|using|ueber|über|aus)\s|von meinem\s.*gesendet\W*$)`)
	// What HTML-to-text makes of pictures in a signature: "[image: Logo]", "[cid:…]".
	imageLine = regexp.MustCompile(`(?i)^(?:\[(?:image|bild|grafik|cid|inline-bild|eingebettetes bild)\b[^\]]*\]|<image\d*\.(?:png|jpe?g|gif)>)$`)
)

// maxStopLine bounds the lines tried as attributions and footers; real ones are
// shorter, and it keeps the regexp work per line small.
const maxStopLine = 400

// maxGreeting is longer than any greeting line.
const maxGreeting = 200

// A quoted line of this length may be one that the replying client wrapped, leaving
// its tail on the next line without ">"; a longer one was not wrapped.
const (
	minWrap = 60
	maxWrap = 100
)

func isQuote(t string) bool { return strings.HasPrefix(t, ">") }

// isBlank reports whether a trimmed line carries nothing: empty, only bold markup,
// or a leftover picture.
func isBlank(t string) bool {
	return strings.Trim(t, "*") == "" || len(t) < maxStopLine && imageLine.MatchString(t)
}

// attribution reports how many lines, from ls[i], form an attribution line: 0, 1 or
// 2 when it is wrapped.
func attribution(ls []string, i int) int {
	t := plain(ls[i])
	if len(t) > maxStopLine {
		return 0
	}
	if attribOpen.MatchString(t) {
		// "… schrieb Kita-Liste <" + "kita@lists.example.org>:"
		if !strings.HasSuffix(t, ":") && i+1 < len(ls) {
			if n := plain(ls[i+1]); len(n) < 100 && strings.HasSuffix(n, ":") && (strings.Contains(n, "@") || !strings.Contains(n, " ")) {
				return 2
			}
		}
		return 1
	}
	if attribEnd.MatchString(t) && (strings.Contains(t, "@") || dateLike.MatchString(t)) {
		return 1
	}
	if i+1 < len(ls) && attribStart.MatchString(t) {
		if n := plain(ls[i+1]); len(n) < maxStopLine && attribOpen.MatchString(t+" "+n) {
			return 2
		}
	}
	// "Anna schrieb:", FairEmail's "24.11.2026 10:00, Kita-Liste:": only if quoted text follows.
	if strings.HasSuffix(t, ":") && (attribEnd.MatchString(t) || strings.Contains(t, "@") || dateLike.MatchString(t)) {
		for j := i + 1; j < len(ls) && j <= i+2; j++ {
			if isQuote(ls[j]) {
				return 1
			}
			if ls[j] != "" {
				break
			}
		}
	}
	return 0
}

// isStop reports whether ls[i] (not a quote, not blank) ends what the moderator
// typed: a signature, an attribution, the header block of the mail replied to, a
// footer, a sign-off, or the notice itself, which some clients include without ">".
func isStop(ls []string, i int) bool {
	t := plain(ls[i])
	if t == "" {
		return false
	}
	// "-- " is trimmed to "--"; "-----Original Message-----" and friends have words.
	if strings.HasPrefix(t, "--") && (t == "--" || strings.IndexFunc(t, unicode.IsLetter) >= 0) {
		return true
	}
	if isSeparator(t) || attribution(ls, i) > 0 || isHeaderBlock(ls, i) {
		return true
	}
	if len(t) > maxStopLine {
		return false
	}
	f := textfold.Fold(t, textfold.Spelled)
	if footer.MatchString(f) {
		return true
	}
	for _, p := range stopPrefixes {
		if strings.HasPrefix(f, p) {
			return true
		}
	}
	for _, m := range noticeMarkers {
		if strings.Contains(f, m) {
			return true
		}
	}
	return isSignOff(f)
}

// isSeparator matches Outlook's "________________________________" and what HTML
// <hr> becomes.
func isSeparator(t string) bool {
	if len(t) < 3 {
		return false
	}
	for _, r := range t {
		if !strings.ContainsRune("-_=─━—–", r) {
			return false
		}
	}
	return true
}

// isHeaderBlock reports whether ls[i] starts a block of mail headers: "Von: …"
// followed by "Gesendet: …" and the like. One such line alone may be text.
func isHeaderBlock(ls []string, i int) bool {
	t := plain(ls[i])
	if !headerLabel.MatchString(t) {
		return false
	}
	if headerInline.MatchString(t) {
		return true
	}
	for j := i + 1; j < len(ls) && j <= i+2; j++ {
		if n := plain(ls[j]); n != "" {
			return headerLabel.MatchString(n)
		}
	}
	return false
}

// isSignOff reports whether the folded line is a closing like "Liebe Grüße",
// "LG Anna" or "Danke und LG".
func isSignOff(f string) bool {
	ws := strings.FieldsFunc(f, func(r rune) bool { return unicode.IsSpace(r) || strings.ContainsRune(",.!:;", r) })
	if len(ws) > 6 {
		return false
	}
	for len(ws) > 0 && thanksWords[ws[0]] {
		ws = ws[1:]
	}
	return mailtext.SignOff(ws)
}

// isGreeting reports whether a line is only a greeting or thanks: "Hallo,", "Moin",
// "Hallo Anna", "Hallo liebe Moderatorinnen,", "Danke!".
func isGreeting(t string) bool {
	s := strings.Trim(t, "*_")
	if len(s) > maxGreeting || strings.Contains(s, "?") {
		return false
	}
	fs := strings.Fields(s)
	all := true
	for _, w := range fs {
		k := key(w)
		all = all && (greetings[k] || polite[k])
	}
	if all {
		return true
	}
	if !greetings[key(fs[0])] {
		return false
	}
	if strings.HasSuffix(s, ",") && len(fs) <= 6 {
		return true
	}
	if len(fs) > 4 {
		return false
	}
	for _, w := range fs[1:] {
		k := key(w)
		r, _ := utf8.DecodeRuneInString(w)
		if !greetings[k] && !polite[k] && !greetWho[k] && !unicode.IsUpper(r) {
			return false
		}
	}
	return true
}

// onlyPolite reports whether s holds nothing a poster could learn from: "danke",
// "bitte nicht", "Danke!".
func onlyPolite(s string) bool {
	for _, w := range strings.Fields(s) {
		if k := key(w); k != "" && !polite[k] && !noReason[k] {
			return false
		}
	}
	return true
}

// onlyThanks reports whether a line is nothing but thanks: "Danke!", "Vielen Dank,",
// "Thanks,".
func onlyThanks(t string) bool {
	fs := strings.Fields(t)
	for _, w := range fs {
		if !thanksWords[key(w)] {
			return false
		}
	}
	return len(fs) > 0
}

// plain is a trimmed line without the "*" of HTML bold, for the stop markers:
// "*Von:* Kita-Liste", "*Gesendet von meinem iPhone*".
func plain(t string) string {
	if !strings.Contains(t, "*") {
		return t
	}
	return trimLine(strings.ReplaceAll(t, "*", ""))
}

// trimLine trims white space, including the no-break and zero-width spaces that
// HTML conversion and phones leave around words.
func trimLine(s string) string {
	return strings.TrimFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || r == '\u200b' || r == '\u200c' || r == '\u200d' || r == '\ufeff' || r == '\u2060'
	})
}

// clean makes a line fit to be shown and mailed back: spaces of all kinds become
// plain ones; control, zero-width and bidi characters, which could garble or disguise
// the text, are dropped. The input is valid UTF-8.
func clean(s string) string {
	return trimLine(strings.Map(func(r rune) rune {
		switch {
		case unicode.IsSpace(r):
			return ' '
		case unicode.IsControl(r), isBidi(r), r == '\u200b', r == '\ufeff', r == '\u2060':
			return -1
		}
		return r
	}, s))
}

func isBidi(r rune) bool {
	return r >= '\u202a' && r <= '\u202e' || r >= '\u2066' && r <= '\u2069' || r == '\u200e' || r == '\u200f' || r == '\u061c'
}
