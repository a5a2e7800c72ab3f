package lists

import (
	"context"
	"errors"
	"fmt"

	"listd/internal/store"
)

// Erasure on request: a logged-in member asks on the settings page, gets a
// single-use link by mail, and the link's page erases the address exactly as
// `listd user erase` does, with the site's policy for the posts.

// RequestErase mails address a link that erases it and everything stored about it.
// It is sent whatever the address has on record (the caller is its logged-in owner),
// within the limits on mail to unconfirmed addresses.
func (s *Service) RequestErase(ctx context.Context, address, lang string) error {
	addr, _, err := NormalizeAddress(address)
	if err != nil {
		return err
	}
	n := nonce()
	d := s.data(nil)
	d.Address = addr
	d.ConfirmURL = s.cfg.BaseURL + "/confirm/" + s.signer.Sign("erase", []string{n}, linkTTL)
	err = s.st.Update(ctx, func(tx *store.Tx) error {
		if err := s.allowUnconfirmed(ctx, tx, "erase-confirm", addr); err != nil {
			return err
		}
		if err := tx.PutLogin(linkDigest("erase", n), addr, s.cfg.Now().Add(linkTTL)); err != nil {
			return err
		}
		return s.queue(tx, outMail{kind: "erase-confirm", lang: s.lang(lang), to: addr, data: d})
	})
	if err != nil {
		return fmt.Errorf("erase link: %w", err)
	}
	s.log.Info("erasure link sent")
	s.kick()
	return nil
}

// eraseNonce reads an erase link's token.
func (s *Service) eraseNonce(tok string) (string, error) {
	f, _, err := s.signer.Verify("erase", tok)
	if err != nil || len(f) != 1 {
		return "", ErrBadToken
	}
	return f[0], nil
}

// CheckErase tells whether an erase link is valid and unused, without using it.
func (s *Service) CheckErase(ctx context.Context, tok string) error {
	n, err := s.eraseNonce(tok)
	if err != nil {
		return err
	}
	ok, err := s.st.LoginWaiting(ctx, linkDigest("erase", n), s.cfg.Now())
	if err != nil {
		return err
	}
	if !ok {
		return ErrBadToken
	}
	return nil
}

// ConfirmErase uses an erase link: the address it was sent to is erased, and its
// posts deleted or kept without address and names as the site's policy says
// (Config.ErasePosts), as `listd user erase` does. It returns the address erased.
// The link works once.
func (s *Service) ConfirmErase(ctx context.Context, tok string) (string, *store.Erased, error) {
	n, err := s.eraseNonce(tok)
	if err != nil {
		return "", nil, err
	}
	addr, err := s.st.TakeLogin(ctx, linkDigest("erase", n), s.cfg.Now())
	if errors.Is(err, store.ErrNotFound) {
		return "", nil, ErrBadToken
	}
	if err != nil {
		return "", nil, err
	}
	e, err := s.erase(ctx, addr, s.cfg.ErasePosts.DeletesPosts())
	if err != nil {
		return "", nil, err
	}
	s.forget(0)
	return addr, e, nil
}

// EraseByLink is ConfirmErase for the settings page, which needs only the address.
func (s *Service) EraseByLink(ctx context.Context, tok string) (string, error) {
	addr, _, err := s.ConfirmErase(ctx, tok)
	return addr, err
}
