package lists

import (
	"context"
	"errors"
	"fmt"

	"listd/internal/migrate"
	"listd/internal/store"
)

// MigrationSummary says what a member import from another list manager did.
type MigrationSummary struct {
	Added     int // new members
	Existing  int // already members: left as they were
	Moderated int // new members whose posts are held (untrusted under first-post moderation)
	// ModeratedAddrs are the moderated new members, for KeepModerated after the
	// archive import.
	ModeratedAddrs []string
	// NamesDropped: the list is anonymous, so the old list's full names were not taken.
	NamesDropped bool
	// ModerationOn: the list held no posts; it now holds the first posts of members
	// who are not trusted, so that the moderated members stay moderated.
	ModerationOn bool
}

// ImportMigratedMembers adds members read from another list manager's export (see
// package migrate), as an operator's add: nothing is sent. A member the list has
// already is reported and left as it is, so that a second run adds nothing.
//
// Mailman's per-member moderation flag maps onto listd's first-post moderation: a
// member who was not moderated is trusted (never held by first-post rules); a
// moderated one is not, and on a list with first-post moderation their posts wait
// for a moderator until one is approved. A list without moderation is switched to
// first-post when moderated members come in; the summary says so.
func (s *Service) ImportMigratedMembers(ctx context.Context, l *store.List, ms []*migrate.Member, report func(line string)) (MigrationSummary, error) {
	var sum MigrationSummary
	if report == nil {
		report = func(string) {}
	}
	have, err := s.st.Members(ctx, l.ID)
	if err != nil {
		return sum, err
	}
	existing := make(map[string]bool, len(have))
	for _, m := range have {
		existing[m.Address] = true
	}
	var add []*store.Member
	for _, m := range ms {
		addr, _, err := NormalizeAddress(m.Address)
		if err != nil {
			report(fmt.Sprintf("%s:%d: %v (skipped)", m.File, m.Line, err))
			continue
		}
		if err := s.banned(ctx, l, addr); errors.Is(err, ErrBanned) {
			report(fmt.Sprintf("%s:%d: %s is banned from %s (skipped)", m.File, m.Line, addr, l.Name))
			continue
		} else if err != nil {
			return sum, err
		}
		if existing[addr] {
			sum.Existing++
			report(fmt.Sprintf("%s:%d: %s is already a member of %s (left as it is)", m.File, m.Line, addr, l.Name))
			continue
		}
		o, err := MemberOptions{Mode: string(m.Mode), Role: string(m.Role), DigestFormat: m.DigestFormat}.validate()
		if err != nil {
			report(fmt.Sprintf("%s:%d: %v (skipped)", m.File, m.Line, err))
			continue
		}
		name := m.Name
		if l.Anonymous && name != "" {
			// On an anonymous list the name is the pseudonym that the archive shows;
			// a full name from the old list would give the member away.
			name, sum.NamesDropped = "", true
		}
		existing[addr] = true
		if m.Moderated {
			sum.Moderated++
			sum.ModeratedAddrs = append(sum.ModeratedAddrs, addr)
		}
		add = append(add, &store.Member{ListID: l.ID, Address: addr, Name: name, Mode: o.Mode, Role: o.Role,
			DigestFormat: o.DigestFormat, Trusted: !m.Moderated})
	}
	n, err := s.st.ImportMembers(ctx, add)
	sum.Added = n
	if err != nil {
		return sum, err
	}
	s.audit(ctx, ActorCLI, l, AuditMemberImport, fmt.Sprintf("migration: %d new of %d", n, len(ms)))
	if sum.Moderated > 0 && l.Moderation == "none" {
		moderation := "first-post"
		if _, err := s.UpdateList(ctx, l.Name, ListSettings{"moderation": moderation}); err != nil {
			return sum, fmt.Errorf("%s: members imported, but moderation not switched on: %w", l.Name, err)
		}
		l.Moderation, sum.ModerationOn = moderation, true
	}
	return sum, nil
}

// KeepModerated sets the post count of the given members back to zero if they are
// still untrusted: an archive import counts the old posts of members, and a member
// with posts is past the first-post rule, which is what holds a moderated member's
// posts.
func (s *Service) KeepModerated(ctx context.Context, l *store.List, addrs []string) error {
	var ms []*store.Member
	for _, a := range addrs {
		m, err := s.st.Member(ctx, l.ID, a)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if !m.Trusted && m.Posts > 0 {
			m.Posts = 0
			ms = append(ms, m)
		}
	}
	if len(ms) == 0 {
		return nil
	}
	return s.st.Update(ctx, func(tx *store.Tx) error {
		for _, m := range ms {
			if err := tx.SaveMember(m); err != nil {
				return err
			}
		}
		return nil
	})
}
