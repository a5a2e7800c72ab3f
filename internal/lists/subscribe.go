package lists

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"listd/internal/store"
	"listd/internal/token"
)

// Joining and leaving: nobody becomes a member, and nobody is removed by mail, without
// the address confirming, by a plain reply or a button on the web. The answers are
// the same whether or not the address was a member, so they reveal nothing.

// JoinRequest asks for an address to join a list.
type JoinRequest struct {
	List        string
	Address     string
	Mode        string // each, digest, nomail; "" for each
	Name        string // pseudonym, optional
	Postal      string // optional
	Language    string // de, en; "" for the site's
	ConsentText string // the web form's consent text, when given there
	InReplyTo   string // Message-ID of the mail that asked, if any
}

// How long links work; what one address can cause to be sent is bounded by the
// rule in unconfirmed.go.
const (
	unsubscribeTTL  = UnsubscribeTTL
	reenableTTL     = 30 * 24 * time.Hour
	loginTTL        = time.Hour
	disabledRemoval = 30 * 24 * time.Hour
)

// ErrRateLimited means too many mails went to the address, or were asked for from
// the client's network, recently; nothing was sent.
var ErrRateLimited = errors.New("too many mails were sent to this address recently; please try again later")

// ErrBadToken means a link or reply token is forged, expired or used.
var ErrBadToken = errors.New("this link is not valid: it may have expired or been used already")

func (s *Service) lang(l string) string {
	if l == "de" || l == "en" {
		return l
	}
	return s.cfg.Language
}

// RequestJoin stores a pending request and mails the confirmation.
func (s *Service) RequestJoin(ctx context.Context, r JoinRequest) error {
	l, err := s.List(ctx, r.List)
	if err != nil {
		return err
	}
	addr, _, err := NormalizeAddress(r.Address)
	if err != nil {
		return err
	}
	o, err := MemberOptions{Name: r.Name, Mode: r.Mode, Postal: r.Postal}.validate()
	if err != nil {
		return err
	}
	if o.Name, err = cleanName(o.Name); err != nil {
		return err
	}
	if err := s.banned(ctx, l, addr); err != nil {
		var be *BannedError
		if errors.As(err, &be) {
			be.Lang = s.lang(r.Language)
		}
		return err
	}
	return s.requestPending(ctx, l, &store.Pending{ListID: l.ID, Address: addr, Action: "subscribe", Mode: o.Mode,
		Name: o.Name, Postal: o.Postal, Language: s.lang(r.Language), ConsentText: r.ConsentText,
		ConsentAt: consentTime(r.ConsentText, s.cfg.Now())}, r.InReplyTo)
}

// RequestLeave mails a confirmation to leave (sent whether or not the address is a
// member, so the answer reveals nothing).
func (s *Service) RequestLeave(ctx context.Context, list, address, lang, inReplyTo string) error {
	l, addr, err := s.listAndAddress(ctx, list, address)
	if err != nil {
		return err
	}
	return s.requestPending(ctx, l, &store.Pending{ListID: l.ID, Address: addr, Action: "unsubscribe", Mode: string(ModeEach),
		Language: s.lang(lang)}, inReplyTo)
}

func consentTime(text string, now time.Time) time.Time {
	if text == "" {
		return time.Time{}
	}
	return now
}

func (s *Service) requestPending(ctx context.Context, l *store.List, p *store.Pending, inReplyTo string) error {
	p.Nonce = nonce()
	p.ExpiresAt = s.cfg.Now().Add(confirmTTL)
	tok := s.signer.Sign(token.Bound("confirm", p.Address, p.Action), []string{l.Name, p.Nonce}, confirmTTL)
	d := s.data(l)
	d.ConfirmURL = s.cfg.BaseURL + "/confirm/" + tok
	kind := "confirm-join"
	if p.Action == "unsubscribe" {
		kind = "confirm-leave"
	}
	err := s.st.Update(ctx, func(tx *store.Tx) error {
		if err := s.allowUnconfirmed(ctx, tx, kind, p.Address); err != nil {
			return err
		}
		if err := tx.PutPending(p); err != nil {
			return err
		}
		reply := l.Name + "-confirm+" + p.Nonce + "." + s.signer.Short(token.Bound("confirm", p.Address, p.Action), l.Name, p.Nonce) + "@" + s.cfg.Domain
		return s.queue(tx, outMail{kind: kind, lang: p.Language, list: l, to: p.Address, data: d,
			replyTo: reply, inReplyTo: inReplyTo, auto: autoFor(inReplyTo)})
	})
	if err != nil {
		return fmt.Errorf("%s request for %s: %w", p.Action, l.Name, err)
	}
	s.log.Info("confirmation sent", "list", l.Name, "action", p.Action)
	s.kick()
	return nil
}

func autoFor(inReplyTo string) string {
	if inReplyTo != "" {
		return "auto-replied"
	}
	return "auto-generated"
}

func (s *Service) kick() {
	if s.cfg.Kick != nil {
		s.cfg.Kick()
	}
}

// Confirmed says what a confirmation did.
type Confirmed struct {
	List   string
	Action string // subscribe, unsubscribe
}

// CheckConfirm tells what a confirmation token would do, without doing it (for the
// page that shows the button: a GET never changes anything).
func (s *Service) CheckConfirm(ctx context.Context, tok string) (*Confirmed, error) {
	f := token.Peek(tok)
	if len(f) != 2 {
		return nil, ErrBadToken
	}
	if _, err := s.List(ctx, f[0]); err != nil {
		return nil, ErrBadToken
	}
	// The address and action the token is bound to are in the pending row only.
	for _, action := range []string{"subscribe", "unsubscribe"} {
		if s.pendingMatches(ctx, tok, action) {
			return &Confirmed{List: f[0], Action: action}, nil
		}
	}
	return nil, ErrBadToken
}

func (s *Service) pendingMatches(ctx context.Context, tok, action string) bool {
	f := token.Peek(tok)
	p, err := s.st.PendingByNonce(ctx, f[1])
	if err != nil || p.Action != action {
		return false
	}
	_, _, err = s.signer.Verify(token.Bound("confirm", p.Address, p.Action), tok)
	return err == nil
}

// Confirm carries out the pending request whose web token is tok.
func (s *Service) Confirm(ctx context.Context, tok string) (*Confirmed, error) {
	f := token.Peek(tok)
	if len(f) != 2 {
		return nil, ErrBadToken
	}
	return s.confirmPending(ctx, f[0], f[1], "", func(p *store.Pending) (time.Time, bool) {
		_, exp, err := s.signer.Verify(token.Bound("confirm", p.Address, p.Action), tok)
		return exp, err == nil
	}, token.Digest(tok))
}

// confirmByReply carries out the pending request named in a reply's address
// NAME-confirm+NONCE.MAC.
func (s *Service) confirmByReply(ctx context.Context, list, nonceMAC, inReplyTo string) (*Confirmed, error) {
	n, mac, ok := strings.Cut(nonceMAC, ".")
	if !ok {
		return nil, ErrBadToken
	}
	n = strings.ToLower(n)
	return s.confirmPending(ctx, list, n, inReplyTo, func(p *store.Pending) (time.Time, bool) {
		return p.ExpiresAt, s.cfg.Now().Before(p.ExpiresAt) &&
			s.signer.CheckShort(mac, token.Bound("confirm", p.Address, p.Action), list, n)
	}, "reply:"+n)
}

// confirmPending takes the pending request, checks it with verify, records the token
// as used and acts, all in one transaction.
func (s *Service) confirmPending(ctx context.Context, list, nonce, inReplyTo string,
	verify func(*store.Pending) (time.Time, bool), digest string) (*Confirmed, error) {
	l, err := s.List(ctx, list)
	if err != nil {
		return nil, ErrBadToken
	}
	var done Confirmed
	err = s.st.Update(ctx, func(tx *store.Tx) error {
		p, err := tx.TakePending(nonce)
		if errors.Is(err, store.ErrNotFound) {
			return ErrBadToken
		}
		if err != nil {
			return err
		}
		exp, ok := verify(p)
		if !ok || p.ListID != l.ID {
			return ErrBadToken
		}
		if err := tx.UseToken(digest, exp); err != nil {
			return ErrBadToken
		}
		done = Confirmed{List: l.Name, Action: p.Action}
		m, err := tx.Member(l.ID, p.Address)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		d := s.data(l)
		if p.Action == "unsubscribe" {
			if m != nil {
				if err := tx.RemoveMember(m.ID); err != nil {
					return err
				}
			}
			return s.queue(tx, outMail{kind: "goodbye", lang: p.Language, list: l, to: p.Address, data: d,
				inReplyTo: inReplyTo, auto: autoFor(inReplyTo)})
		}
		if m == nil {
			// A ban that came after the request still keeps the address out.
			if b, err := tx.Banned(l.ID, banPatterns(p.Address)...); err != nil {
				return err
			} else if b != "" {
				return &BannedError{List: l.Name}
			}
			m = &store.Member{ListID: l.ID, Address: p.Address, Role: string(RoleMember)}
			if p.Name == "" {
				// One pseudonym for all lists: a new member who gives none keeps the
				// one they have elsewhere.
				ms, err := tx.Memberships(p.Address)
				if err != nil {
					return err
				}
				for _, o := range ms {
					if o.Name != "" {
						m.Name = o.Name
						break
					}
				}
			}
		}
		m.Mode, m.Name, m.Postal, m.Language = p.Mode, or(p.Name, m.Name), or(p.Postal, m.Postal), p.Language
		if p.ConsentText != "" {
			m.ConsentText, m.ConsentAt = p.ConsentText, p.ConsentAt
		}
		if m.ID == 0 {
			err = tx.AddMember(m)
		} else {
			err = tx.SaveMember(m)
		}
		if err != nil {
			return err
		}
		d.Name, d.Mode = m.Name, s.modeText(m.Language, m.Mode)
		return s.queue(tx, outMail{kind: "welcome", lang: m.Language, list: l, to: m.Address, memberID: m.ID, data: d,
			inReplyTo: inReplyTo, auto: autoFor(inReplyTo)})
	})
	if err != nil {
		return nil, err
	}
	s.log.Info("confirmed", "list", l.Name, "action", done.Action)
	s.kick()
	return &done, nil
}

// memberToken resolves a token made for purpose over [list, member id] to its list
// and member; the member is nil when it is no longer on the list.
func (s *Service) memberToken(ctx context.Context, purpose, tok string) (*store.List, *store.Member, time.Time, error) {
	f, exp, err := s.signer.Verify(purpose, tok)
	if err != nil || len(f) != 2 {
		return nil, nil, time.Time{}, ErrBadToken
	}
	l, err := s.List(ctx, f[0])
	if err != nil {
		return nil, nil, time.Time{}, ErrBadToken
	}
	id, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return nil, nil, time.Time{}, ErrBadToken
	}
	m, err := s.st.MemberByID(ctx, id)
	if err != nil || m.ListID != l.ID {
		return l, nil, exp, nil
	}
	return l, m, exp, nil
}

// unsubscribeMember resolves a one-click unsubscribe token; a member who is gone
// already is no error, since leaving twice is not one.
func (s *Service) unsubscribeMember(ctx context.Context, tok string) (*store.List, *store.Member, time.Time, error) {
	return s.memberToken(ctx, "unsubscribe", tok)
}

// CheckUnsubscribe returns the list a one-click token is for, without acting.
func (s *Service) CheckUnsubscribe(ctx context.Context, tok string) (string, error) {
	l, _, _, err := s.unsubscribeMember(ctx, tok)
	if err != nil {
		return "", err
	}
	return l.Name, nil
}

// Unsubscribe removes the member named by a one-click token (RFC 8058): the token came
// in a mail to that member, so no further confirmation is asked.
func (s *Service) Unsubscribe(ctx context.Context, tok string) (string, error) {
	l, m, exp, err := s.unsubscribeMember(ctx, tok)
	if err != nil {
		return "", err
	}
	if m == nil {
		return l.Name, nil
	}
	err = s.st.Update(ctx, func(tx *store.Tx) error {
		if err := tx.UseToken(token.Digest(tok), exp); err != nil {
			if errors.Is(err, store.ErrExists) {
				return nil
			}
			return err
		}
		if err := tx.RemoveMember(m.ID); err != nil {
			return err
		}
		return s.queue(tx, outMail{kind: "goodbye", lang: m.Language, list: l, to: m.Address, data: s.data(l)})
	})
	if err != nil {
		return "", err
	}
	s.log.Info("unsubscribed by one-click link", "list", l.Name)
	s.kick()
	return l.Name, nil
}

func (s *Service) modeText(lang, mode string) string {
	return s.text(lang, "mode_"+mode)
}

// cleanName checks a pseudonym: a name, never an address.
func cleanName(n string) (string, error) {
	n = strings.Join(strings.Fields(n), " ")
	if len([]rune(n)) > 60 || strings.Contains(n, "@") || strings.ContainsAny(n, "<>\"") {
		return "", fieldErr("name", "the name %q is not usable: at most 60 characters, and no address", n)
	}
	return n, nil
}

// CleanName checks a pseudonym as joining and the settings do, and returns it with
// its white space folded; the error is an InputError about the field "name".
func CleanName(n string) (string, error) { return cleanName(n) }
