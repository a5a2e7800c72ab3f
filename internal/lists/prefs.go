package lists

import (
	"context"
	"errors"
	"fmt"

	"listd/internal/store"
	"listd/internal/token"
)

// RequestLogin mails a one-hour, single-use login link to address if it is a member
// of any list or a site admin; otherwise nothing is sent. The caller answers the same either way;
// ErrRateLimited, which members and strangers meet alike, says too many mails went
// to the address or were asked for from the client's network recently.
func (s *Service) RequestLogin(ctx context.Context, address, lang string) error {
	addr, _, err := NormalizeAddress(address)
	if err != nil {
		return err
	}
	n := nonce()
	tok := s.signer.Sign("login", []string{n}, loginTTL)
	d := s.data(nil)
	d.LoginURL = s.cfg.BaseURL + "/login/" + tok
	member := true
	admin, err := s.IsSiteAdmin(ctx, addr)
	if err != nil {
		return fmt.Errorf("login link: %w", err)
	}
	err = s.st.Update(ctx, func(tx *store.Tx) error {
		// Counted before looking: a stranger asking for anyone's link hits the same
		// limit whether or not the address is on a list, so the answer tells nothing.
		if err := s.allowUnconfirmed(ctx, tx, "login", addr); err != nil {
			return err
		}
		ms, err := tx.Memberships(addr)
		if err != nil {
			return err
		}
		if len(ms) == 0 {
			// A site admin gets the link without being on any list.
			if !admin {
				member = false
				return nil
			}
			lang = s.lang(lang)
		} else {
			lang = s.lang(or(lang, ms[0].Language))
		}
		if err := tx.PutLogin(token.Digest(n), addr, s.cfg.Now().Add(loginTTL)); err != nil {
			return err
		}
		return s.queue(tx, outMail{kind: "login", lang: lang, to: addr, data: d})
	})
	if err != nil {
		return fmt.Errorf("login link: %w", err)
	}
	if !member {
		s.log.Info("login link not sent: not a member anywhere")
		return nil
	}
	s.kick()
	return nil
}

// CheckLogin tells whether a login token is valid and unused, without using it.
func (s *Service) CheckLogin(ctx context.Context, tok string) error {
	f, _, err := s.signer.Verify("login", tok)
	if err != nil || len(f) != 1 {
		return ErrBadToken
	}
	ok, err := s.st.LoginWaiting(ctx, token.Digest(f[0]), s.cfg.Now())
	if err != nil {
		return err
	}
	if !ok {
		return ErrBadToken
	}
	return nil
}

// Login uses a login token and returns the address it was sent to.
func (s *Service) Login(ctx context.Context, tok string) (string, error) {
	f, _, err := s.signer.Verify("login", tok)
	if err != nil || len(f) != 1 {
		return "", ErrBadToken
	}
	addr, err := s.st.TakeLogin(ctx, token.Digest(f[0]), s.cfg.Now())
	if errors.Is(err, store.ErrNotFound) {
		return "", ErrBadToken
	}
	return addr, err
}

// Membership is one list an address is on.
type Membership struct {
	List   *store.List
	Member *store.Member
}

// Memberships returns the lists address is on.
func (s *Service) Memberships(ctx context.Context, address string) ([]Membership, error) {
	ms, err := s.st.Memberships(ctx, address)
	if err != nil {
		return nil, err
	}
	var out []Membership
	for _, m := range ms {
		l, err := s.st.ListByID(ctx, m.ListID)
		if err != nil {
			return nil, err
		}
		out = append(out, Membership{List: l, Member: m})
	}
	return out, nil
}

// UpdateMembership changes a logged-in member's own settings.
func (s *Service) UpdateMembership(ctx context.Context, address, list string, o MemberOptions) error {
	l, err := s.List(ctx, list)
	if err != nil {
		return err
	}
	if o, err = o.validate(); err != nil {
		return err
	}
	if o.Name, err = cleanName(o.Name); err != nil {
		return err
	}
	return s.st.Update(ctx, func(tx *store.Tx) error {
		m, err := tx.Member(l.ID, address)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("%s: %w", l.Name, ErrNoSuchMember)
		}
		if err != nil {
			return err
		}
		m.Mode, m.Name, m.Postal = o.Mode, o.Name, o.Postal
		if o.AutoReplies != "" {
			m.AutoReplies = o.AutoReplies == "yes"
		}
		if o.DigestFormat != "" {
			if !oneOf(o.DigestFormat, "newsletter", "mime", "plain") {
				return fieldErr("digest_format", "digest format %q: must be newsletter, mime or plain", o.DigestFormat)
			}
			m.DigestFormat = o.DigestFormat
		}
		return tx.SaveMember(m)
	})
}

// Leave removes a logged-in member from a list at once and says goodbye.
func (s *Service) Leave(ctx context.Context, address, list string) error {
	l, err := s.List(ctx, list)
	if err != nil {
		return err
	}
	err = s.st.Update(ctx, func(tx *store.Tx) error {
		m, err := tx.Member(l.ID, address)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := tx.RemoveMember(m.ID); err != nil {
			return err
		}
		return s.queue(tx, outMail{kind: "goodbye", lang: m.Language, list: l, to: m.Address, data: s.data(l)})
	})
	if err != nil {
		return err
	}
	s.kick()
	return nil
}
