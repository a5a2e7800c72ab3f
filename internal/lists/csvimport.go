package lists

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf8"

	"listd/internal/i18n"
	"listd/internal/store"
)

// Importing members from a spreadsheet: CSV with a header row, separated by ';' or
// ',' (found from the header), UTF-8 with or without a byte order mark. Every bad
// line is reported with its number and reason, and nothing is imported unless every
// line is good.

// maxMemberCSV bounds the file read for one import.
const maxMemberCSV = 20 << 20

// CSVReason is why a line of a member CSV cannot be imported.
type CSVReason string

// The reasons, each with a sentence in German and English (Text).
const (
	CSVNoHeader      CSVReason = "no_header"      // the first line names no address column
	CSVUnreadable    CSVReason = "unreadable"     // not CSV (quotes), or not UTF-8
	CSVBadAddress    CSVReason = "bad_address"    // not a mail address
	CSVDuplicate     CSVReason = "duplicate"      // the address is in the file already
	CSVBadMode       CSVReason = "bad_mode"       // not each, digest or nomail
	CSVBadRole       CSVReason = "bad_role"       // not member, moderator or owner
	CSVBadName       CSVReason = "bad_name"       // too long, or an address
	CSVBadPostal     CSVReason = "bad_postal"     // not a postal code
	CSVBanned        CSVReason = "banned"         // banned from the list
	CSVTooLarge      CSVReason = "too_large"      // the file is larger than listd takes
	CSVDuplicateHead CSVReason = "duplicate_head" // a column named twice in the header
)

// Text is the reason in lang, from the catalogue cat (the default one when nil).
func (r CSVReason) Text(cat *i18n.Catalog, lang i18n.Lang) string {
	if cat == nil {
		cat = i18n.Default()
	}
	return cat.T(lang, "members_csv."+string(r))
}

// CSVLineError is one bad line of a member CSV.
type CSVLineError struct {
	Line   int // 1 is the header
	Reason CSVReason
	Value  string // the cell that is wrong, if one is
}

func (e CSVLineError) Error() string {
	if e.Value != "" {
		return fmt.Sprintf("line %d: %q: %s", e.Line, e.Value, e.Reason.Text(nil, i18n.English))
	}
	return fmt.Sprintf("line %d: %s", e.Line, e.Reason.Text(nil, i18n.English))
}

// CSVImportError lists every bad line of a member CSV; nothing was imported.
type CSVImportError struct {
	File  string
	Lines []CSVLineError
}

func (e *CSVImportError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d bad lines, nothing imported", or(e.File, "CSV"), len(e.Lines))
	for _, l := range e.Lines {
		b.WriteString("\n  ")
		b.WriteString(l.Error())
	}
	return b.String()
}

// CSVMember is one good line of a member CSV.
type CSVMember struct {
	Line    int
	Address string
	Name    string
	Mode    string // "" for the import's default
	Role    string // "" for member
	Postal  string
}

// csvColumns are the header words for each column, lower case, English and German.
var csvColumns = map[string]string{
	"email": "email", "e-mail": "email", "mail": "email", "address": "email", "adresse": "email",
	"e-mail-adresse": "email", "emailadresse": "email", "mailadresse": "email",
	"name": "name", "pseudonym": "name",
	"mode": "mode", "modus": "mode",
	"role": "role", "rolle": "role",
	"postal": "postal", "plz": "postal", "postleitzahl": "postal", "postal_code": "postal",
}

// LooksLikeMemberCSV reports whether data begins with a member CSV's header row
// (rather than one address a line).
func LooksLikeMemberCSV(data []byte) bool {
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	first, _, _ := bytes.Cut(data, []byte("\n"))
	cols, _ := headerColumns(strings.TrimRight(string(first), "\r"))
	_, ok := cols["email"]
	return ok
}

// headerColumns reads a header line: the column index of each known column, and
// the separator. Unknown columns are ignored.
func headerColumns(line string) (map[string]int, rune) {
	sep := ','
	if strings.Count(line, ";") > strings.Count(line, ",") {
		sep = ';'
	}
	cols := map[string]int{}
	for i, h := range strings.Split(line, string(sep)) {
		h = strings.ToLower(strings.Trim(strings.TrimSpace(h), `"`))
		if c, ok := csvColumns[strings.TrimSpace(h)]; ok {
			if _, dup := cols[c]; dup {
				cols["!dup"] = i
				continue
			}
			cols[c] = i
		}
	}
	return cols, sep
}

// ParseMembersCSV reads a member CSV. It returns the good lines, and every bad
// line's reason in a *CSVImportError (the good lines are still returned). Addresses
// are lower-cased; duplicates within the file are bad lines.
func ParseMembersCSV(r io.Reader) ([]CSVMember, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxMemberCSV+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxMemberCSV {
		return nil, &CSVImportError{Lines: []CSVLineError{{Line: 1, Reason: CSVTooLarge}}}
	}
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	first, _, _ := bytes.Cut(data, []byte("\n"))
	cols, sep := headerColumns(strings.TrimRight(string(first), "\r"))
	if _, ok := cols["email"]; !ok {
		return nil, &CSVImportError{Lines: []CSVLineError{{Line: 1, Reason: CSVNoHeader}}}
	}
	if _, dup := cols["!dup"]; dup {
		return nil, &CSVImportError{Lines: []CSVLineError{{Line: 1, Reason: CSVDuplicateHead}}}
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.Comma = sep
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true
	var out []CSVMember
	var bad []CSVLineError
	seen := map[string]int{}
	cell := func(rec []string, col string) string {
		i, ok := cols[col]
		if !ok || i >= len(rec) {
			return ""
		}
		return strings.TrimSpace(rec[i])
	}
	for n := 0; ; n++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				bad = append(bad, CSVLineError{Line: pe.StartLine, Reason: CSVUnreadable})
				if pe.Err == csv.ErrQuote || pe.Err == csv.ErrBareQuote {
					// The reader cannot find where the broken field ends.
					break
				}
				continue
			}
			return nil, err
		}
		if n == 0 {
			continue // the header
		}
		line, _ := cr.FieldPos(0)
		blank := true
		for _, f := range rec {
			if strings.TrimSpace(f) != "" {
				blank = false
				break
			}
		}
		if blank {
			continue
		}
		lineBad := func(reason CSVReason, value string) {
			bad = append(bad, CSVLineError{Line: line, Reason: reason, Value: clipValue(value)})
		}
		valid := true
		for _, f := range rec {
			if !utf8.ValidString(f) {
				lineBad(CSVUnreadable, "")
				valid = false
				break
			}
		}
		if !valid {
			continue
		}
		m := CSVMember{Line: line}
		raw := unSafe(cell(rec, "email"))
		addr, name, err := NormalizeAddress(raw)
		if err != nil {
			lineBad(CSVBadAddress, raw)
			continue
		}
		m.Address = addr
		if first, dup := seen[addr]; dup {
			lineBad(CSVDuplicate, fmt.Sprintf("%s (%d)", raw, first))
			continue
		}
		seen[addr] = line
		m.Name = or(unSafe(cell(rec, "name")), name)
		if m.Name, err = cleanName(m.Name); err != nil {
			lineBad(CSVBadName, cell(rec, "name"))
			continue
		}
		if v := strings.ToLower(cell(rec, "mode")); v != "" {
			if _, err := ParseMode(v); err != nil {
				lineBad(CSVBadMode, v)
				continue
			}
			m.Mode = v
		}
		if v := strings.ToLower(cell(rec, "role")); v != "" {
			if _, err := ParseRole(v); err != nil {
				lineBad(CSVBadRole, v)
				continue
			}
			m.Role = v
		}
		m.Postal = unSafe(cell(rec, "postal"))
		if m.Postal != "" && !postalRE.MatchString(m.Postal) {
			lineBad(CSVBadPostal, m.Postal)
			continue
		}
		out = append(out, m)
	}
	if len(bad) > 0 {
		return out, &CSVImportError{Lines: bad}
	}
	return out, nil
}

// unSafe undoes csvSafe: the quote an export put before a leading =, +, - or @.
func unSafe(v string) string {
	if len(v) > 1 && v[0] == '\'' && csvEscaped(v[1:]) {
		return v[1:]
	}
	return v
}

func clipValue(v string) string {
	if r := []rune(v); len(r) > 80 {
		return string(r[:80]) + "…"
	}
	return v
}

// CSVImportOptions are how ImportMembersCSV adds the members.
type CSVImportOptions struct {
	File string // the file's name, for messages
	Mode string // each, digest, nomail: for lines without a mode; "" for each
	// Confirm sends each address a confirmation mail instead of adding it: it joins
	// when it confirms (the limits on mail to unconfirmed addresses apply).
	Confirm bool
	// Language of the confirmation mails; "" for the site's.
	Language string
}

// CSVImportResult says what an import did.
type CSVImportResult struct {
	Lines   int // good lines read
	Added   int // new members (without Confirm)
	Existed int // already members, left as they were
	Asked   int // confirmation mails sent (with Confirm)
}

// ImportMembersCSV imports members from a CSV with a header row (see
// ParseMembersCSV). When any line is bad, it imports nothing and returns a
// *CSVImportError listing every bad line (banned addresses too).
func (s *Service) ImportMembersCSV(ctx context.Context, by Actor, list string, r io.Reader, o CSVImportOptions) (CSVImportResult, error) {
	var res CSVImportResult
	l, err := s.List(ctx, list)
	if err != nil {
		return res, err
	}
	mode := or(o.Mode, string(ModeEach))
	if _, err := ParseMode(mode); err != nil {
		return res, flagErr("mode", err)
	}
	ms, err := ParseMembersCSV(r)
	var ie *CSVImportError
	if err != nil && !errors.As(err, &ie) {
		return res, err
	}
	if ie == nil {
		ie = &CSVImportError{}
	}
	ie.File = o.File
	for _, m := range ms {
		if err := s.banned(ctx, l, m.Address); errors.Is(err, ErrBanned) {
			ie.Lines = append(ie.Lines, CSVLineError{Line: m.Line, Reason: CSVBanned, Value: m.Address})
		} else if err != nil {
			return res, err
		}
	}
	if len(ie.Lines) > 0 {
		sort.SliceStable(ie.Lines, func(i, j int) bool { return ie.Lines[i].Line < ie.Lines[j].Line })
		return res, ie
	}
	res.Lines = len(ms)
	if o.Confirm {
		for _, m := range ms {
			err := s.RequestJoin(ctx, JoinRequest{List: l.Name, Address: m.Address, Mode: or(m.Mode, mode), Name: m.Name,
				Postal: m.Postal, Language: o.Language})
			if err != nil {
				s.audit(ctx, by, l, AuditMemberImport, fmt.Sprintf("confirmation asked of %d of %d, then stopped", res.Asked, len(ms)))
				return res, fmt.Errorf("line %d: %w (confirmation mails went to the lines before it)", m.Line, err)
			}
			res.Asked++
		}
		s.audit(ctx, by, l, AuditMemberImport, fmt.Sprintf("confirmation asked of %d", res.Asked))
		return res, nil
	}
	sms := make([]*store.Member, len(ms))
	for i, m := range ms {
		sms[i] = &store.Member{ListID: l.ID, Address: m.Address, Name: m.Name, Mode: or(m.Mode, mode),
			Role: or(m.Role, string(RoleMember)), Postal: m.Postal}
	}
	n, err := s.st.ImportMembers(ctx, sms)
	if err != nil {
		return res, err
	}
	res.Added, res.Existed = n, len(ms)-n
	s.audit(ctx, by, l, AuditMemberImport, fmt.Sprintf("%d new of %d", n, len(ms)))
	return res, nil
}
