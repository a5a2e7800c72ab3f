// Package modreply reads a moderator's reply to the notice about a held post:
// approve, reject with a reason, discard, always approve this sender, or claim the post.
package modreply

import (
	"listd/internal/mailtext"
	"listd/internal/textfold"
	"strings"
	"unicode"
)

// Action is what the moderator decided.
type Action string

// The actions. The words after each are what moderators write for it (see vocab.go
// for all).
const (
	Approve Action = "approve" // an empty reply, or ok, okay, ja, yes, y, approve, freigeben, genehmigen, passt, gut, 👍, +1, "in ordnung"
	Reject  Action = "reject"  // reject, ablehnen, nein, no, zurückweisen, "nicht freigeben" (then an optional reason)
	Discard Action = "discard" // discard, verwerfen, löschen, loeschen, spam, delete, weg
	Always  Action = "always"  // always, immer, "immer erlauben", whitelist, vertrauen
	Claim   Action = "claim"   // claim, übernehmen, uebernehmen, "ich mach das", "ich übernehme", mine
	Unknown Action = "unknown" // something written that is none of these
)

// Reply is what Parse made of a moderator's reply.
type Reply struct {
	Action Action
	// Reason is, for Reject, the rest of the first line after the keyword and the
	// lines below it up to the quote or signature: trimmed, joined with "\n", at most
	// 1000 bytes, without a closing "Danke"/"LG". It may be "" and is "" for every
	// other action.
	Reason string
	// Line is the first line the moderator wrote, trimmed, at most 200 bytes, for
	// "we did not understand: …"; "" for an empty reply.
	Line string
}

// Limits that keep the work per reply small whatever arrives.
const (
	maxText   = 64 << 10 // bytes of the reply looked at
	maxLines  = 300      // lines of the reply looked at
	maxLine   = 200      // bytes of Reply.Line
	maxReason = 1000     // bytes of Reply.Reason
)

// Parse reads the reply's plain text (already decoded; LF or CRLF; when the mail was
// HTML-only, the caller passes HTML converted to text, which may contain artifacts like
// "*bold*", non-breaking spaces, "> " quotes rendered as text, and leftover
// "[image: ...]" lines). The subject is not used for the decision.
//
// Only what the moderator wrote counts: the lines above the quoted notice, or below
// it when the reply starts with the quote (bottom-posting). Greetings and thanks are
// skipped; the first line left decides by its first word. A reply with nothing
// written approves, by design: moderators on phones just hit reply and send.
func Parse(text string) Reply {
	ls := splitLines(text)
	i, ok := firstLine(ls)
	if !ok {
		return Reply{Action: Approve}
	}
	act, rest := decide(ls[i])
	r := Reply{Action: act, Line: mailtext.Clip(ls[i], maxLine)}
	if act == Reject {
		r.Reason = reason(rest, ls, i+1)
	}
	return r
}

// splitLines returns the lines of the first maxText bytes and maxLines lines of text,
// cleaned (see clean) and trimmed.
func splitLines(text string) []string {
	if len(text) > maxText {
		// Drop the cut line too: half a line may read differently.
		text = text[:maxText]
		text = text[:max(strings.LastIndexByte(text, '\n'), 0)]
	}
	var ls []string
	for len(ls) < maxLines && text != "" {
		var l string
		l, text, _ = strings.Cut(text, "\n")
		ls = append(ls, clean(strings.ToValidUTF8(l, "\uFFFD")))
	}
	return ls
}

// firstLine finds the first line the moderator wrote. It skips blank lines,
// greetings and thanks, and a quote block (with its attribution) that comes before
// anything written: that is a bottom-posted reply, read below the quote. It reports
// false when nothing was written before a signature, footer or the mail replied to.
func firstLine(ls []string) (int, bool) {
	for i := 0; i < len(ls); i++ {
		t := ls[i]
		switch {
		case isBlank(t):
		case isQuote(t):
			i = skipQuote(ls, i) - 1
		case startsWithAction(t):
			// Before the other markers: a decision is never mistaken for one.
			return i, true
		case attribution(ls, i) > 0:
			i = skipQuote(ls, i) - 1
		case isStop(ls, i):
			return 0, false
		case isGreeting(t):
		default:
			return i, true
		}
	}
	return 0, false
}

// skipQuote returns the index of the first line after the quote block at ls[i].
func skipQuote(ls []string, i int) int {
	for i < len(ls) {
		t := ls[i]
		switch {
		case isBlank(t) || isQuote(t):
			i++
		case attribution(ls, i) > 0:
			i += attribution(ls, i)
		case i > 0 && isQuote(ls[i-1]) && len(ls[i-1]) >= minWrap && len(ls[i-1]) <= maxWrap && i+1 < len(ls) && isQuote(ls[i+1]):
			// The tail of a long quoted line that the client wrapped without ">";
			// it belongs to the notice, which mentions every keyword.
			i++
		default:
			return i
		}
	}
	return i
}

func startsWithAction(t string) bool {
	a, _ := decide(t)
	return a != Unknown
}

// decide reads the first line the moderator wrote. It returns the action and, for
// Reject, the text after the keyword.
func decide(t string) (Action, string) {
	// The keyword is near the start and the reason is clipped anyway.
	s := trimLine(strings.Trim(mailtext.Clip(t, 2*maxReason), "*_"))
	fs := mailtext.Words(s)
	for _, i := range starts(fs) {
		a, off, ok := lookup(fs, i)
		if !ok {
			continue
		}
		rest := trimLine(s[off:])
		// "Ok?" and "Spam ?" ask rather than decide.
		if strings.HasPrefix(rest, "?") {
			return Unknown, ""
		}
		// "Ja, ablehnen", "ok, verwerfen": the yes agrees to what follows.
		if k := key(fs[i].Text); a == Approve && affirmations[k] && off == fs[i].End {
			j := i + 1
			for j < len(fs) && polite[key(fs[j].Text)] {
				j++
			}
			if b, off2, ok := lookup(fs, j); ok && b != Approve {
				a, rest = b, trimLine(s[off2:])
			}
		}
		// Always lasts: "Immer wieder dieselbe Person" is a complaint, not a wish.
		if a == Always && !alwaysRestOK(rest) {
			return Unknown, ""
		}
		return a, rest
	}
	return Unknown, ""
}

// alwaysRestOK reports whether the text after an Always keyword only repeats it:
// "immer erlauben für diese Absenderin", "immer ok, danke".
func alwaysRestOK(rest string) bool {
	for _, w := range strings.Fields(rest) {
		k := key(w)
		if a, ok := words[k]; k != "" && !polite[k] && !alwaysExtras[k] && (!ok || a != Approve && a != Always) {
			return false
		}
	}
	return true
}

// starts returns where in the line the keyword may be: after leading greetings and
// polite words ("Hallo, bitte ablehnen"), or after a greeting's comma ("Hallo Anna,
// ablehnen").
func starts(fs []mailtext.Word) []int {
	if len(fs) == 0 {
		return nil
	}
	skip := func(i int) int {
		for i < len(fs) && (greetings[key(fs[i].Text)] || polite[key(fs[i].Text)]) {
			i++
		}
		return i
	}
	out := []int{skip(0)}
	if greetings[key(fs[0].Text)] {
		for i := 0; i < len(fs) && i < 4; i++ {
			if strings.HasSuffix(fs[i].Text, ",") {
				if j := skip(i + 1); j != out[0] {
					out = append(out, j)
				}
				break
			}
		}
	}
	return out
}

// lookup finds an action at fs[i] and returns the offset in the line where the text
// after it starts.
func lookup(fs []mailtext.Word, i int) (Action, int, bool) {
	if i >= len(fs) {
		return "", 0, false
	}
	for n := 3; n >= 2; n-- {
		if i+n > len(fs) {
			continue
		}
		ks := make([]string, n)
		for j := range ks {
			ks[j] = key(fs[i+j].Text)
		}
		if a, ok := phrases[strings.Join(ks, " ")]; ok {
			return a, fs[i+n-1].End, true
		}
	}
	w := fs[i].Text
	if a, ok := words[key(w)]; ok {
		return a, fs[i].End, true
	}
	// "ablehnen:Werbung", "ok👍", "ok:)": a keyword glued to punctuation or emoji.
	p := strings.IndexFunc(w, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.Is(unicode.Mn, r) })
	if p <= 0 {
		return "", 0, false
	}
	a, ok := words[key(w[:p])]
	tail := w[p:]
	if !ok || strings.Contains(tail, "?") {
		return "", 0, false
	}
	if strings.ContainsRune(":,;", rune(w[p])) || strings.IndexFunc(tail, isAlnum) < 0 {
		return a, fs[i].Start + p, true
	}
	return "", 0, false
}

func isAlnum(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// trailingPunct is ignored at the end of a keyword.
const trailingPunct = ".,!:;-…"

// key is the form of a word the tables use: folded, without bold markup, a leading
// "/" (chat habit), trailing punctuation, and without the skin tones and variation
// selectors that make one emoji many; "👍👍" is "👍".
func key(w string) string {
	w = strings.TrimLeft(w, "/*_")
	w = strings.TrimRight(w, trailingPunct+"*_")
	w = strings.Map(func(r rune) rune {
		if r == '\ufe0f' || r == '\ufe0e' || r >= 0x1f3fb && r <= 0x1f3ff {
			return -1
		}
		return r
	}, w)
	w = textfold.Fold(w, textfold.Spelled)
	// A repeated emoji or mark: "👍👍👍", "✅✅".
	if rs := []rune(w); len(rs) > 1 && len(rs) <= 10 && !unicode.IsLetter(rs[0]) {
		same := true
		for _, r := range rs[1:] {
			same = same && r == rs[0]
		}
		if same {
			return string(rs[0])
		}
	}
	return w
}

// reason collects the reason of a Reject: rest (the first line after the keyword) and
// the lines from ls[from] up to a stop line.
func reason(rest string, ls []string, from int) string {
	var parts []string
	size := 0
	add := func(s string) {
		if s = clean(s); s != "" {
			parts = append(parts, s)
			size += len(s) + 1
		}
	}
	add(strings.TrimLeft(rest, " :-,.;–—*"))
	for i := from; i < len(ls) && size <= maxReason; i++ {
		t := ls[i]
		if isBlank(t) {
			continue
		}
		// A line of thanks closes the mail; a name or signature may follow it.
		if isQuote(t) || isStop(ls, i) || onlyThanks(t) {
			break
		}
		add(t)
	}
	// "Nein danke" is no reason; a closing "Danke!" is meant for the moderators' tool,
	// not for the poster.
	for len(parts) > 0 && onlyPolite(parts[0]) {
		parts = parts[1:]
	}
	for len(parts) > 0 && onlyPolite(parts[len(parts)-1]) {
		parts = parts[:len(parts)-1]
	}
	return trimLine(mailtext.Clip(strings.Join(parts, "\n"), maxReason))
}
