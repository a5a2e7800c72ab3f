package migrate

import (
	"encoding/csv"
	"errors"
	"io"
	"strings"
)

// Mailman 3's member export: Postorius's "Download as CSV" on a list's members page.
// Postorius 1.3 writes one column, the address, and no header; later versions and
// hand-made exports add the display name and a header row, with Mailman 3's member
// properties as columns (delivery_mode, delivery_status, moderation_action, role).
// Read liberally: with or without a header, "," or ";" or tabs, UTF-8 with or without
// a BOM (or Latin-1), a cell "Name <addr>" as `mailman members` prints it.

// csvColumn folds a header cell: "Display Name", "display_name" and "display-name" are
// one column.
func csvColumn(s string) string {
	return strings.NewReplacer(" ", "", "_", "", "-", "").Replace(strings.ToLower(strings.TrimSpace(s)))
}

var csvColumns = map[string]string{
	"email": "email", "emailaddress": "email", "address": "email", "mail": "email", "subscriber": "email",
	"name": "name", "displayname": "name", "fullname": "name", "realname": "name",
	"deliverymode": "mode", "mode": "mode",
	"deliverystatus": "status", "status": "status",
	"moderationaction": "moderation", "moderation": "moderation", "moderated": "moderation",
	"role": "role",
}

// ReadPostoriusCSV reads a Mailman 3 member export.
func (r *Roster) ReadPostoriusCSV(file string, data []byte) {
	s := text(data)
	first, _, _ := strings.Cut(s, "\n")
	cr := csv.NewReader(strings.NewReader(s))
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.TrimLeadingSpace = true
	switch {
	case strings.Count(first, ";") > strings.Count(first, ","):
		cr.Comma = ';'
	case strings.Count(first, "\t") > strings.Count(first, ","):
		cr.Comma = '\t'
	}
	var cols map[string]int // column name -> index, from a header row
	for rowNo := 0; ; rowNo++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.Line
			}
			r.skip(file, line, "not readable as CSV: %v", err)
			if !errors.As(err, &pe) {
				return
			}
			continue
		}
		if rowNo == 0 && cols == nil && isHeader(rec) {
			cols = map[string]int{}
			for i, c := range rec {
				if name, ok := csvColumns[csvColumn(c)]; ok {
					if _, dup := cols[name]; !dup {
						cols[name] = i
					}
				}
			}
			if _, ok := cols["email"]; !ok {
				r.skip(file, line, "a header row without an email column: every row skipped")
				return
			}
			continue
		}
		if blank(rec) {
			continue
		}
		m, reason := csvMember(rec, cols)
		if reason != "" {
			r.skip(file, line, "%s", reason)
			continue
		}
		m.File, m.Line, m.listed = file, line, true
		r.add(m)
	}
}

func blank(rec []string) bool {
	for _, c := range rec {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// isHeader reports whether a first row names columns rather than holding a member.
func isHeader(rec []string) bool {
	known := false
	for _, c := range rec {
		if strings.Contains(c, "@") {
			return false
		}
		if _, ok := csvColumns[csvColumn(c)]; ok {
			known = true
		}
	}
	return known
}

// csvMember reads one row; a non-empty reason says why it is skipped.
func csvMember(rec []string, cols map[string]int) (Member, string) {
	cell := func(name string) string {
		if i, ok := cols[name]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	var addrCell, name string
	if cols != nil {
		addrCell, name = cell("email"), cell("name")
	} else {
		// No header: the cell with an "@" is the address, another one the name.
		for _, c := range rec {
			c = strings.TrimSpace(c)
			switch {
			case addrCell == "" && strings.Contains(c, "@"):
				addrCell = c
			case name == "" && c != "" && !strings.Contains(c, "@"):
				name = c
			}
		}
	}
	if addrCell == "" {
		return Member{}, "no address in the row"
	}
	addr, n, err := address(addrCell)
	if err != nil {
		return Member{}, err.Error()
	}
	m := Member{Address: addr, Name: name, Mode: ModeEach}
	if m.Name == "" {
		m.Name = n
	}
	switch mode := strings.ToLower(cell("mode")); mode {
	case "", "regular", "each":
	case "plaintext_digests", "plain":
		m.Mode, m.DigestFormat = ModeDigest, "plain"
	case "mime_digests", "mime":
		m.Mode, m.DigestFormat = ModeDigest, "mime"
	case "summary_digests", "digest", "digests":
		m.Mode = ModeDigest
	case "nomail":
		m.Mode = ModeNoMail
	default:
		return Member{}, "unknown delivery mode " + clip(mode)
	}
	switch st := strings.ToLower(cell("status")); st {
	case "", "enabled":
	case "by_user", "by_bounces", "by_moderator", "unknown", "disabled", "nomail":
		m.Mode = ModeNoMail
	default:
		return Member{}, "unknown delivery status " + clip(st)
	}
	switch act := strings.ToLower(cell("moderation")); act {
	case "", "accept", "defer", "default", "none", "no", "false", "0":
	case "hold", "reject", "discard", "yes", "true", "1":
		m.Moderated = true
	default:
		return Member{}, "unknown moderation action " + clip(act)
	}
	switch role := strings.ToLower(cell("role")); role {
	case "", "member", "subscriber":
		m.Role = RoleMember
	case "owner":
		m.Role = RoleOwner
	case "moderator":
		m.Role = RoleModerator
	case "nonmember":
		return Member{}, "a nonmember entry (an address the old list knew, not a member)"
	default:
		return Member{}, "unknown role " + clip(role)
	}
	return m, ""
}
