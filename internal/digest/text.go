package digest

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// cutAt is the length in characters after which a post is cut in the
// newsletter; the full text is one click away.
const cutAt = 1500

// attribution matches the line a mail program puts above a quote, in the
// languages our members write in ("Am … schrieb Anna:", "On … wrote:").
var attribution = regexp.MustCompile(`(?i)\b(schrieb|wrote|a écrit|escribió)\b.*:\s*$`)

// forwardMarker starts a trailing full quote in Outlook style.
var forwardMarker = regexp.MustCompile(`(?i)^\s*-{2,}\s*(original message|ursprüngliche nachricht|weitergeleitete nachricht|forwarded message)\s*-{2,}\s*$`)

// cleanText prepares a post's text for the newsletter: quoted lines and the
// attribution above them go (readers have the earlier posts right there),
// a trailing Outlook-style full quote goes, and runs of blank lines shrink to one.
func cleanText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		// The cheap test first: the regexps dominated the benchmark.
		if strings.Contains(l, "--") && forwardMarker.MatchString(l) {
			lines = lines[:i]
			break
		}
	}
	quoted := func(l string) bool { return strings.HasPrefix(strings.TrimLeft(l, " \t"), ">") }
	var out []string
	for i := 0; i < len(lines); i++ {
		l := strings.TrimRight(lines[i], " \t")
		if quoted(l) {
			continue
		}
		if strings.HasSuffix(l, ":") && attribution.MatchString(l) && nextNonBlankQuoted(lines[i+1:], quoted) {
			continue
		}
		out = append(out, l)
	}
	// Collapse blank runs and trim, so removed quotes leave no holes.
	var b strings.Builder
	blank := true // drops leading blank lines
	pending := false
	for _, l := range out {
		if strings.TrimSpace(l) == "" {
			if !blank {
				pending = true
			}
			blank = true
			continue
		}
		if pending {
			b.WriteString("\n")
			pending = false
		}
		b.WriteString(l)
		b.WriteString("\n")
		blank = false
	}
	return strings.TrimRight(b.String(), "\n")
}

func nextNonBlankQuoted(lines []string, quoted func(string) bool) bool {
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		return quoted(l)
	}
	return false
}

// cut shortens s to about max characters, at a paragraph, line or word
// boundary in the last third if there is one, and reports whether it cut.
func cut(s string, max int) (string, bool) {
	if utf8.RuneCountInString(s) <= max {
		return s, false
	}
	// Byte offset of the max-th rune.
	end := len(s)
	n := 0
	for i := range s {
		if n == max {
			end = i
			break
		}
		n++
	}
	head := s[:end]
	min := len(head) * 2 / 3
	for _, sep := range []string{"\n\n", "\n", " "} {
		if i := strings.LastIndex(head, sep); i >= min {
			return strings.TrimRight(head[:i], " \n") + " …", true
		}
	}
	return head + "…", true
}

// paragraphs splits text into paragraphs of lines for the HTML part, which
// cannot rely on white-space: pre-wrap in every mail program.
func paragraphs(s string) [][]string {
	var out [][]string
	for _, p := range strings.Split(s, "\n\n") {
		if strings.TrimSpace(p) == "" {
			continue
		}
		out = append(out, strings.Split(p, "\n"))
	}
	return out
}
