// Package migrate reads what other list managers export (Mailman 2's dumpdb,
// config_list and list_members output, Mailman 3's Postorius member CSV) into the
// members listd imports. It reads files only: storing is the list domain's.
package migrate

import (
	"bytes"
	"fmt"
	"net/mail"
	"strings"
	"unicode/utf8"
)

// Mode is how a member gets the list's mail, in listd's words.
type Mode string

const (
	ModeEach   Mode = "each"
	ModeDigest Mode = "digest"
	ModeNoMail Mode = "nomail"
)

// Role is a member's part in the list, in listd's words.
type Role string

const (
	RoleMember    Role = "member"
	RoleModerator Role = "moderator"
	RoleOwner     Role = "owner"
)

// Member is one member as the old list manager had it.
type Member struct {
	Address      string // lower-cased
	Name         string // the full name the old list kept; "" if none
	Mode         Mode
	DigestFormat string // "mime" or "plain" for digest members whose kind is known; else ""
	Role         Role
	Moderated    bool   // the old list held this member's posts
	File         string // where it was read
	Line         int

	listed bool // read from a list of members, not only as an owner or moderator
}

// Skip is an entry that was not read, and why.
type Skip struct {
	File   string
	Line   int // 0: the whole file
	Reason string
}

func (s Skip) String() string {
	if s.Line == 0 {
		return fmt.Sprintf("%s: %s (skipped)", s.File, s.Reason)
	}
	return fmt.Sprintf("%s:%d: %s (skipped)", s.File, s.Line, s.Reason)
}

// Roster gathers the members read from several files: one entry per address,
// combined as the files say (a member in the digest file and the nomail file gets
// no mail; one in the moderated file is moderated).
type Roster struct {
	byAddr map[string]*Member
	order  []string
	Skips  []Skip
}

// NewRoster returns an empty roster.
func NewRoster() *Roster { return &Roster{byAddr: map[string]*Member{}} }

// Members returns the members in the order they were first read.
func (r *Roster) Members() []*Member {
	out := make([]*Member, 0, len(r.order))
	for _, a := range r.order {
		out = append(out, r.byAddr[a])
	}
	return out
}

// modeRank orders modes: a later file cannot turn nomail back into mail.
var modeRank = map[Mode]int{"": 0, ModeEach: 1, ModeDigest: 2, ModeNoMail: 3}

var roleRank = map[Role]int{"": 0, RoleMember: 1, RoleModerator: 2, RoleOwner: 3}

// add merges m into the roster.
func (r *Roster) add(m Member) {
	old, ok := r.byAddr[m.Address]
	if !ok {
		c := m
		r.byAddr[m.Address] = &c
		r.order = append(r.order, m.Address)
		return
	}
	if old.Name == "" {
		old.Name = m.Name
	}
	if modeRank[m.Mode] > modeRank[old.Mode] {
		old.Mode = m.Mode
	}
	if old.DigestFormat == "" {
		old.DigestFormat = m.DigestFormat
	}
	if roleRank[m.Role] > roleRank[old.Role] {
		old.Role = m.Role
	}
	old.Moderated = old.Moderated || m.Moderated
	old.listed = old.listed || m.listed
}

func (r *Roster) skip(file string, line int, format string, args ...any) {
	r.Skips = append(r.Skips, Skip{File: file, Line: line, Reason: fmt.Sprintf(format, args...)})
}

// Finish gives every member a mode and a role: an owner or moderator who was no
// member of the old list gets no list mail.
func (r *Roster) Finish() {
	for _, m := range r.byAddr {
		if m.Mode == "" && m.listed {
			m.Mode = ModeEach
		}
		if m.Mode == "" {
			m.Mode = ModeNoMail
		}
		if m.Role == "" {
			m.Role = RoleMember
		}
	}
}

// address reads "addr", "Name <addr>" or "addr (Name)" (RFC 2047 words decoded) and
// returns the lower-cased address and the name.
func address(s string) (addr, name string, err error) {
	s = strings.TrimSpace(s)
	a, err := mail.ParseAddress(s)
	if err != nil {
		// Names with unquoted specials ("Müller, Anna <a@b>"), as old tools wrote them.
		if i := strings.LastIndexByte(s, '<'); i >= 0 && strings.HasSuffix(s, ">") {
			if b, err2 := mail.ParseAddress(s[i:]); err2 == nil {
				a, err = b, nil
				a.Name = strings.Trim(strings.TrimSpace(s[:i]), `"`)
			}
		}
	}
	if err != nil {
		return "", "", fmt.Errorf("%q is not a mail address", clip(s))
	}
	if !strings.Contains(a.Address, "@") || strings.ContainsAny(a.Address, " \t\r\n") {
		return "", "", fmt.Errorf("%q is not a mail address", clip(s))
	}
	return strings.ToLower(a.Address), strings.TrimSpace(a.Name), nil
}

// clip keeps quoted input in a report line short and on one line.
func clip(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 80 {
		i := 80
		for i > 0 && !utf8.RuneStart(s[i]) {
			i--
		}
		s = s[:i] + "…"
	}
	return s
}

// text turns file content into UTF-8 text: a BOM removed, Latin-1 (what Mailman 2
// wrote for many European lists) read as such when it is not UTF-8.
func text(b []byte) string {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	return latin1IfNotUTF8(string(b))
}
