package bounce

import (
	"regexp"
	"strings"
)

const (
	maxDiag       = 300 // bytes of Recipient.Diagnostic
	maxRecipients = 100 // recipients read from one report
)

var (
	// reReply is an SMTP reply with an enhanced status code ("550 5.1.1",
	// "550-5.7.26"); in free text only failures matter.
	reReply = regexp.MustCompile(`\b([45]\d\d)[ -]([45]\.[0-7]\.\d{1,3})\b`)
	// reReplyAny also takes success codes, which a Diagnostic-Code may report.
	reReplyAny = regexp.MustCompile(`\b([245]\d\d)[ -]([245]\.[0-7]\.\d{1,3})\b`)
	// reBareReply is a reply without an enhanced code, only where reports put
	// replies: a bare number anywhere in prose is too often something else.
	reBareReply = regexp.MustCompile(`(?im)(?:^[ \t>]*|said:[ \t]*|reason:[ \t]*|returned[ \t]+'|<<<[ \t]*|smtp;[ \t]*|error:[ \t]*|was:[ \t]*|response:[ \t]*)([245][0-5]\d)(?:[ -]|$)`)
	// Status subjects only go up to 7 (RFC 3463), which rules out most
	// version numbers.
	reEnhanced = regexp.MustCompile(`[245]\.[0-7]\.\d{1,3}`)
	// reLeadReply is the code a diagnostic starts with; multi-line replies
	// repeat it on every line.
	reLeadReply = regexp.MustCompile(`^([245]\d\d)[ -]([245]\.[0-7]\.\d{1,3} )?`)
	// reDMARCWord and reAuthWord skip "dmarc=pass", "dkim=fail" and
	// "DKIM-Signature", which header dumps in reports are full of.
	reDMARCWord = regexp.MustCompile(`\bdmarc\b(?:[^=-]|$)`)
	reAuthWord  = regexp.MustCompile(`\b(?:spf|dkim)\b(?:[^=-]|$)`)
)

var (
	// quotaWords make even a 5xx failure soft: a full mailbox empties again.
	quotaWords = []string{
		"mailbox full", "mailbox is full", "quota", "storage allocation",
		"insufficient storage", "out of storage", "postfach voll", "postfach ist voll",
		"speicherplatz",
	}
	softWords = append([]string{
		"temporar", "try again", "greylist", "graylist", "vorübergehend",
	}, quotaWords...)
	hardWords = []string{
		"user unknown", "unknown user", "no such user", "no such mailbox",
		"no such recipient", "unknown recipient", "does not exist", "doesn't exist",
		"mailbox unavailable", "mailbox not found", "recipient not found",
		"recipientnotfound", "recipnotfound", "address not found", "invalid recipient",
		"invalid mailbox", "no mailbox here", "unrouteable address", "no such domain",
		"domain not found", "host not found", "host or domain name not found",
		"couldn't be found", "could not be found", "account has been disabled",
		"account is disabled", "wasn't found", "was not found", "no longer active",
		"no longer valid", "no longer accepts", "permanent", "unbekannt", "unknown host",
		"user not found", "user doesn't have a", "not listed in domino directory",
		"does not have a final email delivery point", "n'existe pas",
		"invalid final delivery userid",
		"existiert nicht", "gibt es nicht", "ungültig", "nicht mehr gültig",
	}
	// gaveUpWords say the sending MTA stopped retrying: hard, whatever the
	// last temporary reply was.
	gaveUpWords = []string{"not going to try again", "in the queue too long"}
	// reGaveUp is SMTP32's "Delivery failed 20 attempts".
	reGaveUp = regexp.MustCompile(`delivery failed \d+ attempts`)
)

// classify decides how bad one recipient's failure is from the enhanced
// status code, the basic SMTP reply code and the lower-cased diagnostic or
// reason text; fallback applies when none of them tells.
func classify(status, code, text string, fallback Class) Class {
	switch {
	case strings.HasPrefix(status, "5."):
		return permanent(status, text)
	case strings.HasPrefix(status, "4."):
		return Soft
	case strings.HasPrefix(status, "2."):
		return NotABounce
	}
	switch {
	case strings.HasPrefix(code, "5"):
		return permanent("", text)
	case strings.HasPrefix(code, "4"):
		return Soft
	case strings.HasPrefix(code, "2"):
		return NotABounce
	}
	switch {
	case reDMARCWord.MatchString(text):
		return DMARC
	case containsAny(text, softWords):
		return Soft
	case containsAny(text, hardWords):
		return Hard
	}
	return fallback
}

// permanent refines a 5xx failure: a DMARC rejection is the sender domain's
// problem and a full mailbox the member's temporary one.
func permanent(status, text string) Class {
	switch {
	case isDMARC(status, text):
		return DMARC
	case status == "5.2.2" || containsAny(text, quotaWords):
		return Soft
	}
	return Hard
}

// isDMARC tells a rejection for the sender domain's authentication policy
// from other 5.7.x refusals (relaying, spam, blocked users).
func isDMARC(status, text string) bool {
	switch status {
	case "5.7.23", "5.7.25", "5.7.26", "5.7.27", "5.7.28", "5.7.509":
		// Codes that only mean an authentication (DMARC, SPF, DKIM,
		// reverse DNS) failure of the sending domain.
		return true
	}
	if reDMARCWord.MatchString(text) {
		// Address and mailbox codes are definite whatever the text says.
		return !strings.HasPrefix(status, "5.1.") && !strings.HasPrefix(status, "5.2.")
	}
	if !strings.HasPrefix(status, "5.7.") || strings.Contains(text, "relay") {
		return false
	}
	if strings.Contains(text, "unauthenticated") || reAuthWord.MatchString(text) {
		return true
	}
	// 5.7.1 is the catch-all "not authorized": "policy" and "authentication"
	// there mostly mean relaying or blocklists, not DMARC.
	if status == "5.7.1" {
		return false
	}
	return strings.Contains(text, "policy") || strings.Contains(text, "authentication")
}

// reply is an SMTP reply found in text.
type reply struct {
	diag   string // cleaned, one line
	status string // enhanced status code, "" if none
	code   string // basic reply code, "" if none
}

// findReply looks for the first SMTP failure reply in the given lines: one
// with an enhanced code first, as that is the most reliable sign, then a
// bare code where reports put replies, then a lone enhanced code ("#5.1.1").
func findReply(lines []string, idx []int) reply {
	for _, i := range idx {
		if m := reReply.FindStringSubmatchIndex(lines[i]); m != nil {
			l := lines[i]
			return reply{diag: replyText(lines, i, m[0]), code: l[m[2]:m[3]], status: l[m[4]:m[5]]}
		}
	}
	for _, i := range idx {
		if m := reBareReply.FindStringSubmatchIndex(lines[i]); m != nil && lines[i][m[2]] != '2' {
			r := reply{diag: replyText(lines, i, m[2]), code: lines[i][m[2]:m[3]]}
			if st := findEnhanced(r.diag); st != "" && st[0] == r.code[0] {
				r.status = st
			}
			return r
		}
	}
	for _, i := range idx {
		if st := findEnhanced(lines[i]); st != "" && st[0] != '2' {
			return reply{status: st}
		}
	}
	return reply{}
}

// replyText returns the reply starting at column col of line i, with the
// lines that continue it: indented ones at least as deep (Postfix wraps long
// replies that way) and, for a multi-line reply ("550-"), the ones
// repeating its code.
func replyText(lines []string, i, col int) string {
	s := lines[i][col:]
	code := s[:3]
	multi := len(s) > 3 && s[3] == '-'
	ind := indent(lines[i])
	var b strings.Builder
	b.WriteString(s)
	for j := i + 1; j < len(lines) && j <= i+12 && b.Len() < 2*maxDiag; j++ {
		t := strings.TrimSpace(lines[j])
		switch {
		case t == "":
			return cleanDiag(b.String())
		case multi && len(t) > 3 && strings.HasPrefix(t, code) && (t[3] == '-' || t[3] == ' '):
			multi = t[3] == '-'
			b.WriteString(" ")
			b.WriteString(t)
			if !multi {
				return cleanDiag(b.String())
			}
		case !multi && indent(lines[j]) > 0 && indent(lines[j]) >= ind:
			b.WriteString(" ")
			b.WriteString(t)
		default:
			return cleanDiag(b.String())
		}
	}
	return cleanDiag(b.String())
}

func indent(s string) int {
	return len(s) - len(strings.TrimLeft(s, " \t"))
}

// findEnhanced returns the first enhanced status code in s that stands on
// its own, so that IP addresses and version numbers do not count.
func findEnhanced(s string) string {
	for off := 0; off < len(s); {
		loc := reEnhanced.FindStringIndex(s[off:])
		if loc == nil {
			return ""
		}
		a, b := off+loc[0], off+loc[1]
		before := a == 0 || !isWordByte(s[a-1]) && s[a-1] != '.'
		after := b == len(s) || !isWordByte(s[b]) && (s[b] != '.' || b+1 == len(s) || !isDigit(s[b+1]))
		if before && after {
			return s[a:b]
		}
		off = a + 1
	}
	return ""
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isWordByte(c byte) bool {
	return isDigit(c) || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}

// cleanDiag makes a diagnostic one tidy line of at most maxDiag bytes.
func cleanDiag(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	// Unfolded multi-line replies repeat "550-5.7.26" on every line.
	if m := reLeadReply.FindStringSubmatch(s); m != nil {
		rest := s[len(m[0]):]
		for _, sep := range []string{"-", " "} {
			rest = strings.ReplaceAll(rest, " "+m[1]+sep+m[2], " ")
		}
		s = m[1] + " " + m[2] + rest
		s = strings.Join(strings.Fields(s), " ")
	}
	// Quoting around replies: Remote Server returned '550 ...', <#5.1.1 ...>.
	for {
		t := strings.TrimRight(s, " #")
		switch {
		case strings.HasSuffix(t, "'") && strings.Count(t, "'")%2 == 1,
			strings.HasSuffix(t, ">") && strings.Count(t, ">") > strings.Count(t, "<"),
			strings.HasSuffix(t, ")") && strings.Count(t, ")") > strings.Count(t, "("):
			t = t[:len(t)-1]
		}
		if t == s {
			break
		}
		s = t
	}
	return strings.TrimSpace(clip(s, maxDiag))
}

func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// asciiLower lower-cases ASCII letters only, so byte offsets stay valid.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
