package lists

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"listd/internal/compose"
	"listd/internal/store"
)

// What moderators see of a held post. On an anonymous list a moderator learns who
// wrote a post no better than the members do: the poster's pseudonym (or that the
// poster is no member) and a poster number, the same for every post of one mailbox to
// the list, so that repeat posters can be told apart without their address. The copy
// of the post they get (attached to the notice, served over IMAP) is the archive
// copy: the header allow-list and the part scrubbing of the members' copies apply.
// On other lists moderators see the sender as received.

// PosterNumber is a short, stable number for one mailbox on one list.
type PosterNumber string

// heldAuthor is the sender of a held post as moderators of an anonymous list see it.
type heldAuthor struct {
	Pseudonym string // the member's name in the list; "" for none
	Member    bool
	Number    PosterNumber
}

// posterNumber is the number of the mailbox addr on list l: a MAC, so that nobody
// can get from the number back to the address.
func (s *Service) posterNumber(l *store.List, addr string) PosterNumber {
	mac := s.signer.Short("poster", l.Name, string(MailboxOf(addr)))
	return PosterNumber(strings.ToUpper(mac[:6]))
}

// authorOfHeld looks up who sent h, for moderators of the anonymous list l.
func (s *Service) authorOfHeld(ctx context.Context, l *store.List, h *store.Held) (heldAuthor, error) {
	addr := or(h.FromAddr, h.EnvFrom)
	a := heldAuthor{Number: s.posterNumber(l, addr)}
	if addr == "" {
		return a, nil
	}
	m, err := s.st.Member(ctx, l.ID, addr)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return a, nil
	case err != nil:
		return a, fmt.Errorf("poster of held post: %w", err)
	}
	a.Pseudonym, a.Member = m.Name, true
	return a, nil
}

// line is the author as the notice names it, in lang.
func (a heldAuthor) line(s *Service, lang string) string {
	who := s.text(lang, "mod_nonmember")
	if a.Member {
		who = or(strings.TrimSpace(a.Pseudonym), s.text(lang, "mod_member"))
	}
	return who + ", " + s.text(lang, "mod_poster") + " " + string(a.Number)
}

// heldCopy is the copy of h moderators of l get: on an anonymous list the archive
// copy under the pseudonym, with a Message-ID of the list's own; else the bytes as
// received.
func (s *Service) heldCopy(ctx context.Context, l *store.List, h *store.Held, a heldAuthor) ([]byte, error) {
	if !l.Anonymous {
		return h.Raw, nil
	}
	refs, err := s.shownRefs(ctx, l, h.Raw)
	if err != nil {
		return nil, fmt.Errorf("held copy: %w", err)
	}
	id := "held." + s.signer.Short("held", l.Name, h.MessageID) + "@" + s.cfg.Domain
	raw, err := compose.RewriteMessageIDs(h.Raw, id, refs)
	if err != nil {
		return nil, fmt.Errorf("held copy: %w", err)
	}
	author := ""
	if a.Member {
		author = a.Pseudonym
	}
	b, err := compose.ArchiveCopy(s.composeList(l, author), 0, raw)
	if err != nil {
		return nil, fmt.Errorf("held copy: %w", err)
	}
	// The post is not in the archive (yet): no Archived-At pointing nowhere.
	noPost := "Archived-At: <" + s.cfg.BaseURL + "/" + l.Name + "/m/0>\r\n"
	return bytes.Replace(b, []byte(noPost), nil, 1), nil
}

// HeldCopy returns the copy of held post heldID its moderators get (see heldCopy).
func (s *Service) HeldCopy(ctx context.Context, heldID int64) ([]byte, error) {
	h, err := s.st.HeldByID(ctx, heldID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNoSuchHeld
	}
	if err != nil {
		return nil, err
	}
	l, err := s.st.ListByID(ctx, h.ListID)
	if err != nil {
		return nil, err
	}
	if !l.Anonymous {
		return h.Raw, nil
	}
	a, err := s.authorOfHeld(ctx, l, h)
	if err != nil {
		return nil, err
	}
	return s.heldCopy(ctx, l, h, a)
}
