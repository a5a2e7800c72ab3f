package bounce

import (
	"regexp"
	"strings"
)

const maxFieldLen = 4096 // bytes kept of one DSN field value

var (
	reField    = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9-]{0,63})[ \t]*:[ \t]*(.*)$`)
	reDiagType = regexp.MustCompile(`^\s*[A-Za-z][A-Za-z0-9.-]*\s*;\s*`)
	// reDSNRecipient and reDSNAction find DSN fields in a text part, where
	// some MTAs put them instead of a message/delivery-status part.
	reDSNRecipient = regexp.MustCompile(`(?im)^[ \t]*(?:final|original)-recipient[ \t]*:`)
	reDSNAction    = regexp.MustCompile(`(?im)^[ \t]*(?:action|status)[ \t]*:`)
)

// fieldGroup is one block of DSN fields (RFC 3464 §2.2, §2.3), keyed by
// lower-case name; a repeated field keeps its first value.
type fieldGroup map[string]string

// parseFieldGroups splits DSN text into its field groups. Groups end at blank
// lines; to cope with MTAs that leave those out, a repeated field name also
// starts a new group. Lines that are not fields end a group too, so DSN
// fields inside prose are found as well.
func parseFieldGroups(s string) []fieldGroup {
	var (
		groups []fieldGroup
		cur    map[string]*strings.Builder
		order  []string
		last   string
	)
	flush := func() {
		if len(cur) > 0 {
			g := make(fieldGroup, len(cur))
			for _, k := range order {
				g[k] = strings.TrimSpace(cur[k].String())
			}
			groups = append(groups, g)
		}
		cur, order, last = nil, nil, ""
	}
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" {
			flush()
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			// Folded continuation (RFC 5322 §2.2.3).
			if b := cur[last]; b != nil && b.Len() < maxFieldLen {
				b.WriteByte(' ')
				b.WriteString(clip(strings.TrimSpace(line), maxFieldLen-b.Len()))
			}
			continue
		}
		m := reField.FindStringSubmatch(line)
		if m == nil {
			flush()
			continue
		}
		name := strings.ToLower(m[1])
		if _, dup := cur[name]; dup {
			flush()
		}
		if cur == nil {
			cur = map[string]*strings.Builder{}
		}
		b := &strings.Builder{}
		b.WriteString(clip(m[2], maxFieldLen))
		cur[name] = b
		order = append(order, name)
		last = name
	}
	flush()
	return groups
}

// dsnRecipients reads the per-recipient groups of DSN text. lines is the
// human-readable part of the report, searched for a reply when a failed
// recipient has no Diagnostic-Code.
func dsnRecipients(s string, lines []string) []Recipient {
	var (
		out     []Recipient
		replies map[string]reply
		first   reply
	)
	// textReply finds the reply about addr in the text: under the address if
	// the text lists it, else the first one. The text is searched once.
	textReply := func(addr string) reply {
		if replies == nil {
			replies = map[string]reply{}
			for _, b := range addressBlocks(lines, nil) {
				if r := findReply(lines, b.lines); r.diag != "" || r.status != "" {
					replies[b.addr] = r
				}
			}
			first = findReply(lines, allLines(lines))
		}
		if r, ok := replies[addr]; ok {
			return r
		}
		return first
	}
	for _, g := range parseFieldGroups(s) {
		if len(out) >= maxRecipients {
			break
		}
		addr := g["final-recipient"]
		if addr == "" {
			addr = g["original-recipient"]
		}
		action, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(g["action"])), " ")
		if addr == "" && action == "" && g["status"] == "" {
			continue // per-message fields
		}
		addr = normalizeAddr(addr)
		status, code, diag := dsnStatus(g)
		if action == "failed" && diag == "" {
			// Some MTAs leave the Diagnostic-Code out; the text part says it.
			r := textReply(addr)
			if status == "" || r.status == "" || r.status[0] == status[0] {
				diag = r.diag
				if status == "" {
					status, code = r.status, r.code
				}
			}
		}
		out = append(out, Recipient{
			Address:    addr,
			Status:     status,
			Action:     action,
			Diagnostic: diag,
			Class:      classifyDSN(action, status, code, asciiLower(diag)),
		})
	}
	return out
}

// dsnStatus returns a recipient's enhanced status, basic reply code and
// cleaned diagnostic. The Diagnostic-Code fills in a missing Status and
// refines an unspecific x.0.0 one, which some MTAs report while passing on
// the remote server's exact code.
func dsnStatus(g fieldGroup) (status, code, diag string) {
	diag = cleanDiag(reDiagType.ReplaceAllString(g["diagnostic-code"], ""))
	status = findEnhanced(g["status"])
	if m := reReplyAny.FindStringSubmatch(diag); m != nil {
		code = m[1]
		if status == "" || strings.HasSuffix(status, ".0.0") && m[2][0] == status[0] {
			status = m[2]
		}
	} else if m := reBareReply.FindStringSubmatch(diag); m != nil {
		code = m[1]
	}
	if status == "" {
		status = findEnhanced(diag)
	}
	if status == "" && code == "" {
		// "Status: 550" is seen in the wild.
		if m := reBareReply.FindStringSubmatch(g["status"]); m != nil {
			code = m[1]
		}
	}
	return status, code, diag
}

// classifyDSN classifies a DSN recipient: the Action says whether it failed
// at all, the status and diagnostic how badly.
func classifyDSN(action, status, code, diag string) Class {
	fallback := Hard // failed, or an unknown action word
	switch action {
	case "delayed", "delivered", "relayed", "expanded":
		return NotABounce
	case "":
		fallback = NotABounce
	}
	return classify(status, code, diag, fallback)
}

// normalizeAddr turns "rfc822; <User@Example.COM>" into "user@example.com".
func normalizeAddr(v string) string {
	v = strings.TrimSpace(v)
	if t, rest, ok := strings.Cut(v, ";"); ok && !strings.Contains(t, "@") {
		v = strings.TrimSpace(rest)
	}
	if strings.HasPrefix(v, "<") {
		v = v[1:]
		if i := strings.IndexByte(v, '>'); i >= 0 {
			v = v[:i]
		}
	}
	if f := strings.Fields(v); len(f) > 0 {
		v = f[0]
	} else {
		v = ""
	}
	return clip(strings.ToLower(strings.Trim(v, "<>")), 320)
}

func allLines(lines []string) []int {
	idx := make([]int, len(lines))
	for i := range idx {
		idx[i] = i
	}
	return idx
}
