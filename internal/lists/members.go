package lists

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"listd/internal/store"
)

// Members as owners and site admins see and change them: a page of a search, one
// member's settings and bounce record, the CSV export.

// MemberChange is a change to one member by an owner or admin; nil fields stay.
type MemberChange struct {
	Mode   *string // each, digest, nomail
	Role   *string // member, moderator, owner
	Name   *string // pseudonym; "" clears it
	Postal *string // postal code; "" clears it
}

// SetMember validates and saves a change to a member, all or nothing, and records
// it in the audit log. A bad value gives an *InputError naming it.
func (s *Service) SetMember(ctx context.Context, by Actor, list, address string, c MemberChange) (*store.Member, error) {
	l, addr, err := s.listAndAddress(ctx, list, address)
	if err != nil {
		return nil, err
	}
	if c.Mode != nil {
		if _, err := ParseMode(*c.Mode); err != nil {
			return nil, flagErr("mode", err)
		}
	}
	if c.Role != nil {
		if _, err := ParseRole(*c.Role); err != nil {
			return nil, flagErr("role", err)
		}
	}
	var name, postal string
	if c.Name != nil {
		if name, err = cleanName(*c.Name); err != nil {
			return nil, err
		}
	}
	if c.Postal != nil {
		postal = strings.TrimSpace(*c.Postal)
		if postal != "" && !postalRE.MatchString(postal) {
			return nil, inputErr("-postal %q: not a postal code", postal)
		}
	}
	var m *store.Member
	var changed []string
	err = s.st.Update(ctx, func(tx *store.Tx) error {
		m, err = tx.Member(l.ID, addr)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("%s on %s: %w", addr, l.Name, ErrNoSuchMember)
		}
		if err != nil {
			return err
		}
		set := func(field string, p *string, v string, dst *string) {
			if p != nil && *dst != v {
				*dst = v
				changed = append(changed, field)
			}
		}
		if c.Mode != nil {
			set("mode "+*c.Mode, c.Mode, *c.Mode, &m.Mode)
		}
		if c.Role != nil {
			set("role "+*c.Role, c.Role, *c.Role, &m.Role)
		}
		set("name", c.Name, name, &m.Name)
		set("postal", c.Postal, postal, &m.Postal)
		if len(changed) == 0 {
			return nil
		}
		if err := tx.SaveMember(m); err != nil {
			return err
		}
		return tx.Audit(auditEntry(by, l, AuditMemberSet, s.memberRef(l, addr)+": "+strings.Join(changed, ", ")))
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// Member returns one member of the list (with its bounce record, see BouncesOf), or
// ErrNoSuchMember.
func (s *Service) Member(ctx context.Context, list, address string) (*store.Member, error) {
	l, addr, err := s.listAndAddress(ctx, list, address)
	if err != nil {
		return nil, err
	}
	m, err := s.st.Member(ctx, l.ID, addr)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%s on %s: %w", addr, l.Name, ErrNoSuchMember)
	}
	return m, err
}

// Bounces is a member's bounce record, for the owners' bounce view.
type Bounces struct {
	Score         float64
	Last          time.Time // the last bounce; zero for none
	Reason        string    // the last bounce's status and diagnostic
	DisabledSince time.Time // zero while copies go out
}

// BouncesOf is m's bounce record.
func BouncesOf(m *store.Member) Bounces {
	return Bounces{Score: m.BounceScore, Last: m.BounceLast, Reason: m.BounceReason, DisabledSince: m.DisabledAt}
}

// ReenableMember starts delivery to a member that bounces had stopped, with a clean
// bounce record, and records it in the audit log.
func (s *Service) ReenableMember(ctx context.Context, by Actor, list, address string) error {
	l, addr, err := s.listAndAddress(ctx, list, address)
	if err != nil {
		return err
	}
	return s.st.Update(ctx, func(tx *store.Tx) error {
		m, err := tx.Member(l.ID, addr)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("%s on %s: %w", addr, l.Name, ErrNoSuchMember)
		}
		if err != nil {
			return err
		}
		m.DisabledAt, m.BounceScore, m.BounceLast, m.BounceReason, m.DMARCBounces = time.Time{}, 0, time.Time{}, "", 0
		if err := tx.SaveMember(m); err != nil {
			return err
		}
		return tx.Audit(auditEntry(by, l, AuditMemberReenable, s.memberRef(l, addr)))
	})
}

// MemberSearch asks for a page of a list's members, ordered by address.
type MemberSearch struct {
	Query string // a piece of the address or the name, in any case; "" for all
	After string // the last address of the page before; "" for the first page
	Limit int    // 1..1000; 0 for 50
	// NamesOnly searches the pseudonyms alone (the owners' view of an anonymous list).
	NamesOnly bool
}

// MemberPage is one page of members.
type MemberPage struct {
	Members []*store.Member
	Total   int    // members matching the query in all (at most 1000 for a search)
	More    bool   // a search has more than Total matches
	Next    string // After for the next page; "" on the last one
}

// SearchMembers returns a page of the list's members matching q.
func (s *Service) SearchMembers(ctx context.Context, list string, q MemberSearch) (*MemberPage, error) {
	l, err := s.List(ctx, list)
	if err != nil {
		return nil, err
	}
	if q.Limit <= 0 || q.Limit > 1000 {
		q.Limit = 50
	}
	ms, total, more, err := s.st.SearchMembers(ctx, store.MemberQuery{ListID: l.ID, Search: strings.TrimSpace(q.Query),
		After: strings.ToLower(q.After), Limit: q.Limit + 1, NamesOnly: q.NamesOnly})
	if err != nil {
		return nil, err
	}
	p := &MemberPage{Members: ms, Total: total, More: more}
	if len(ms) > q.Limit {
		p.Members = ms[:q.Limit]
		p.Next = p.Members[q.Limit-1].Address
	}
	return p, nil
}

// MemberCSVHeader is the header row of the member CSV export.
var MemberCSVHeader = []string{"email", "name", "mode", "role", "postal"}

// ExportMembersCSV writes the list's members as CSV (RFC 4180) with the header
// email,name,mode,role,postal, and records the export in the audit log: it hands
// out every address.
func (s *Service) ExportMembersCSV(ctx context.Context, by Actor, list string, w io.Writer) error {
	l, err := s.List(ctx, list)
	if err != nil {
		return err
	}
	ms, err := s.st.Members(ctx, l.ID)
	if err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(MemberCSVHeader); err != nil {
		return err
	}
	for _, m := range ms {
		if err := cw.Write([]string{csvSafe(m.Address), csvSafe(m.Name), m.Mode, m.Role, csvSafe(m.Postal)}); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("member export: %w", err)
	}
	s.audit(ctx, by, l, AuditMemberExport, fmt.Sprintf("%d members", len(ms)))
	return nil
}

// csvSafe keeps a spreadsheet from reading a cell as a formula (=, +, -, @ first)
// by putting a ' in front. A value that begins with such a ' already gets one more,
// so that the import (unSafe) takes off exactly the one added here.
func csvSafe(v string) string {
	if csvEscaped(v) {
		return "'" + v
	}
	return v
}

// csvEscaped reports whether csvSafe puts a ' in front of v.
func csvEscaped(v string) bool {
	for v != "" && v[0] == '\'' {
		v = v[1:]
	}
	return v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0]))
}

// PosterNumber is the stable number of the mailbox address on list l: what
// moderators and the audit log name a member or poster by instead of the address.
func (s *Service) PosterNumber(l *store.List, address string) PosterNumber {
	return s.posterNumber(l, address)
}

// InviteMember sends address a confirmation mail, as an owner or admin asked: it
// joins when it confirms (the limits on mail to unconfirmed addresses apply, and a
// banned address is refused). The invitation is in the audit log.
func (s *Service) InviteMember(ctx context.Context, by Actor, list, address string, o MemberOptions, lang string) error {
	l, err := s.List(ctx, list)
	if err != nil {
		return err
	}
	if err := s.RequestJoin(ctx, JoinRequest{List: l.Name, Address: address, Mode: o.Mode, Name: o.Name, Postal: o.Postal,
		Language: lang}); err != nil {
		return err
	}
	addr, _, _ := NormalizeAddress(address)
	s.audit(ctx, by, l, AuditMemberInvite, s.memberRef(l, addr))
	return nil
}

// listAndAddress looks up the list and normalizes address, the start of every
// change to one member.
func (s *Service) listAndAddress(ctx context.Context, list, address string) (*store.List, string, error) {
	l, err := s.List(ctx, list)
	if err != nil {
		return nil, "", err
	}
	addr, _, err := NormalizeAddress(address)
	if err != nil {
		return nil, "", err
	}
	return l, addr, nil
}
