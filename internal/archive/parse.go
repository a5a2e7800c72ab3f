// Package archive owns what listd keeps of a post besides its bytes: the parsed fields
// (through enmime), the plain text that feeds the search index, and the threading
// rules (In-Reply-To and References first, the subject only as a last resort).
package archive

import (
	"bytes"
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"time"

	"github.com/jhillyerd/enmime/v2"
)

// Parsed is what the archive keeps of a message besides its raw bytes.
type Parsed struct {
	MessageID  string // without angle brackets; "" if the message has none
	Subject    string // decoded
	FromName   string
	FromAddr   string // lower-cased; "" if no usable From
	Date       time.Time
	InReplyTo  []string
	References []string
	Text       string // the plain-text body (HTML converted when there is no text part)
	Errors     []string
	// Automatic and loop markers, for the policy.
	ListID        string // List-Id header as received
	XLoop         []string
	AutoSubmitted string
	Precedence    string
	// Attachments are the content types of the parts that are not the body text.
	Attachments []string
	// AutoReply is set by the vendor headers that autoresponders add
	// (X-Autoreply, X-Autorespond, X-Auto-Response-Suppress, X-Vacation).
	AutoReply bool
}

// Parse reads a message as received. It fails only when the message has no readable
// header; problems inside the body are recorded in Errors.
func Parse(raw []byte) (*Parsed, error) {
	// The declared charset is trusted; guessing only where none is declared. enmime's
	// detection otherwise overrules the declaration, misreads UTF-8 as ISO-8859-1 now
	// and then, and costs most of the parse time.
	env, err := enmime.NewParser(enmime.DisableCharacterDetection(true)).ReadEnvelope(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("parse message: %w", err)
	}
	p := &Parsed{
		Subject:       strings.TrimSpace(env.GetHeader("Subject")),
		Text:          env.Text,
		ListID:        strings.TrimSpace(env.GetHeader("List-Id")),
		XLoop:         env.GetHeaderValues("X-Loop"),
		AutoSubmitted: strings.ToLower(strings.TrimSpace(env.GetHeader("Auto-Submitted"))),
		Precedence:    strings.ToLower(strings.TrimSpace(env.GetHeader("Precedence"))),
	}
	for _, h := range []string{"X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress", "X-Vacation"} {
		if env.GetHeader(h) != "" {
			p.AutoReply = true
		}
	}
	if ids := msgIDs(env.GetHeader("Message-Id")); len(ids) > 0 {
		p.MessageID = ids[0]
	}
	p.InReplyTo = msgIDs(env.GetHeader("In-Reply-To"))
	p.References = msgIDs(env.GetHeader("References"))
	if addrs, err := env.AddressList("From"); err == nil && len(addrs) > 0 {
		p.FromName = strings.TrimSpace(addrs[0].Name)
		p.FromAddr = strings.ToLower(addrs[0].Address)
	} else if err != nil {
		p.Errors = append(p.Errors, "From: "+err.Error())
	}
	if d, err := mail.ParseDate(env.GetHeader("Date")); err == nil {
		p.Date = d.UTC()
	}
	for _, parts := range [][]*enmime.Part{env.Attachments, env.Inlines, env.OtherParts} {
		for _, part := range parts {
			p.Attachments = append(p.Attachments, strings.ToLower(part.ContentType))
		}
	}
	for _, e := range env.Errors {
		p.Errors = append(p.Errors, e.Error())
	}
	return p, nil
}

var msgIDRE = regexp.MustCompile(`<([^<>\s]+)>`)

// msgIDs returns the Message-IDs in a header value, without brackets.
func msgIDs(v string) []string {
	var out []string
	for _, m := range msgIDRE.FindAllStringSubmatch(v, -1) {
		out = append(out, m[1])
	}
	if len(out) == 0 {
		// Some clients omit the brackets.
		if f := strings.Fields(v); len(f) == 1 && strings.Contains(f[0], "@") {
			out = append(out, f[0])
		}
	}
	return out
}

// ParentCandidates lists the Message-IDs that may be the parent, nearest first.
func (p *Parsed) ParentCandidates() []string {
	var out []string
	seen := map[string]bool{p.MessageID: true}
	add := func(id string) {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	for _, id := range p.InReplyTo {
		add(id)
	}
	for i := len(p.References) - 1; i >= 0; i-- {
		add(p.References[i])
	}
	return out
}

var (
	replyPrefixRE = regexp.MustCompile(`(?i)^\s*(re|aw|antw|fwd?|wg|sv|vs)\s*(\[\d+\])?\s*:\s*`)
	tagRE         = regexp.MustCompile(`^\s*\[[^\]]*\]\s*`)
	spaceRE       = regexp.MustCompile(`\s+`)
)

// SubjectKey normalizes a subject for threading by subject: reply prefixes and list
// tags removed, case and spacing folded. isReply says whether any prefix was there:
// only replies are threaded by subject.
func SubjectKey(subject string) (key string, isReply bool) {
	s := subject
	for {
		if m := replyPrefixRE.FindString(s); m != "" {
			s = s[len(m):]
			isReply = true
			continue
		}
		if m := tagRE.FindString(s); m != "" {
			s = s[len(m):]
			continue
		}
		break
	}
	return strings.ToLower(spaceRE.ReplaceAllString(strings.TrimSpace(s), " ")), isReply
}
