package lists

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"listd/internal/archive"
	"listd/internal/command"
	"listd/internal/store"
)

// englishWords are command words that only English speakers use; a request written
// with them is answered in English.
var englishWords = map[string]bool{"help": true, "subscribe": true, "join": true, "unsubscribe": true, "leave": true,
	"signoff": true, "remove": true, "digest": true, "each": true, "nomail": true, "webonly": true, "postal": true,
	"zip": true, "confirm": true, "nodigest": true, "set": true, "mode": true, "pseudonym": true, "nickname": true,
	"withdraw": true, "retract": true}

func requestLang(cmds []command.Command, def string) string {
	for _, c := range cmds {
		f := strings.Fields(strings.ToLower(strings.TrimLeft(c.Line, "/")))
		if len(f) > 0 && englishWords[strings.Trim(f[0], ".!:")] {
			return "en"
		}
		if len(f) > 0 {
			return "de"
		}
	}
	return def
}

// request handles mail to the list's own addresses (not posts): -request, -subscribe,
// -unsubscribe, -confirm+TOKEN and -owner. Mail from programs is never answered.
func (s *Service) request(ctx context.Context, rc *Recipient, envFrom string, p *archive.Parsed, raw []byte) error {
	l := rc.List
	log := s.log.With("list", l.Name, "address_kind", rc.Kind.String())
	if rc.Kind == KindOwner {
		return s.forwardToOwners(ctx, l, raw)
	}
	if auto, why := Automatic(p, envFrom); auto {
		log.Info("automatic mail not answered", "reason", why)
		return nil
	}
	sender := p.FromAddr
	if sender == "" {
		sender = envFrom
	}
	if _, _, err := NormalizeAddress(sender); err != nil {
		log.Info("request without a usable sender address")
		return nil
	}
	cmds := command.Parse(p.Subject, p.Text)
	lang := requestLang(cmds, s.cfg.Language)
	if m, err := s.st.Member(ctx, l.ID, sender); err == nil && len(cmds) == 0 {
		lang = m.Language
	}
	switch rc.Kind {
	case KindConfirm:
		_, err := s.confirmByReply(ctx, l.Name, rc.Token, p.MessageID)
		if errors.Is(err, ErrBadToken) {
			return s.reply(ctx, l, sender, lang, "token-invalid", []string{s.text(lang, "bad_token")}, p.MessageID)
		}
		return err
	case KindSubscribe:
		r := JoinRequest{List: l.Name, Address: sender, Language: lang, InReplyTo: p.MessageID, Name: p.FromName}
		for _, c := range cmds {
			switch c.Verb {
			case command.Digest, command.Each, command.NoMail:
				r.Mode = string(modeOf(c.Verb))
			case command.Name:
				r.Name = c.Arg
			case command.Postal:
				r.Postal = c.Arg
			}
		}
		if _, err := cleanName(r.Name); err != nil {
			r.Name = ""
		}
		return s.quietly(s.RequestJoin(ctx, r))
	case KindUnsubscribe:
		return s.quietly(s.RequestLeave(ctx, l.Name, sender, lang, p.MessageID))
	}

	// KindRequest: commands in the subject or body.
	if len(cmds) == 0 {
		return s.reply(ctx, l, sender, lang, "help", nil, p.MessageID)
	}
	var results []string
	help := false
	for _, c := range cmds {
		switch c.Verb {
		case command.Help:
			help = true
		case command.Unknown:
			if !help {
				// Never quoted back: the reply may reach anybody's address.
				results = append(results, s.text(lang, "unknown"))
			}
			help = true
		case command.Subscribe:
			if err := s.RequestJoin(ctx, JoinRequest{List: l.Name, Address: sender, Language: lang, InReplyTo: p.MessageID}); err != nil {
				results = append(results, s.failText(lang, err))
			}
		case command.Unsubscribe:
			if err := s.RequestLeave(ctx, l.Name, sender, lang, p.MessageID); err != nil {
				results = append(results, s.failText(lang, err))
			}
		case command.Confirm:
			if _, err := s.Confirm(ctx, c.Arg); err != nil {
				results = append(results, s.failText(lang, err))
			}
		case command.Counsel:
			if err := s.askCounsel(ctx, l, sender, lang, c.Arg, l.Topics, p.MessageID); err != nil {
				results = append(results, s.failText(lang, err))
			}
		case command.Withdraw:
			// A confirmation link goes to the author; only a refusal makes a line.
			if line := s.requestWithdraw(ctx, l, sender, lang, c.Arg, p.MessageID); line != "" {
				results = append(results, line)
			}
		case command.Postal:
			results = append(results, s.setting(ctx, l, sender, lang, c))
			if err := s.askCounsel(ctx, l, sender, lang, c.Arg, l.Topics, p.MessageID); err != nil {
				results = append(results, s.failText(lang, err))
			}
		default:
			results = append(results, s.setting(ctx, l, sender, lang, c))
		}
	}
	if help {
		return s.reply(ctx, l, sender, lang, "help", results, p.MessageID)
	}
	if len(results) > 0 {
		return s.reply(ctx, l, sender, lang, "result", results, p.MessageID)
	}
	return nil
}

// quietly turns refusals that the answer must not reveal into silence: a rate limit
// is logged, not answered.
func (s *Service) quietly(err error) error {
	var ie *InputError
	switch {
	case errors.Is(err, ErrRateLimited):
		s.log.Info("request not answered", "reason", "rate limited")
		return nil
	case errors.As(err, &ie):
		// The input may be an address, a name or a postal code: not for the log.
		s.log.Info("request not answered", "reason", "bad input")
		return nil
	}
	return err
}

// setting applies one delivery-mode, name or postal command of a member and says
// what it did. Changes take effect at once; the reply tells the member, and how to
// undo it.
func (s *Service) setting(ctx context.Context, l *store.List, sender, lang string, c command.Command) string {
	var out string
	err := s.st.Update(ctx, func(tx *store.Tx) error {
		m, err := tx.Member(l.ID, sender)
		if errors.Is(err, store.ErrNotFound) {
			out = s.text(lang, "not_member")
			return nil
		}
		if err != nil {
			return err
		}
		switch c.Verb {
		case command.Digest, command.Each, command.NoMail:
			m.Mode = string(modeOf(c.Verb))
			out = s.text(lang, "mode_set") + " " + s.modeText(lang, m.Mode)
		case command.Name:
			name, err := cleanName(c.Arg)
			if err != nil {
				out = s.text(lang, "bad_name")
				return nil
			}
			m.Name = name
			out = s.text(lang, "name_set")
		case command.Postal:
			o, err := MemberOptions{Postal: c.Arg}.validate()
			if err != nil {
				out = s.text(lang, "bad_postal")
				return nil
			}
			m.Postal = o.Postal
			out = s.text(lang, "postal_set") + " " + o.Postal
		default:
			return fmt.Errorf("no setting for %s", c.Verb)
		}
		return tx.SaveMember(m)
	})
	if err != nil {
		s.log.Error("member setting", "list", l.Name, "err", err)
		return s.text(lang, "failed")
	}
	return out
}

func (s *Service) failText(lang string, err error) string {
	switch {
	case errors.Is(err, ErrRateLimited):
		return s.text(lang, "rate_limited")
	case errors.Is(err, ErrBadToken):
		return s.text(lang, "bad_token")
	case errors.Is(err, ErrBanned):
		return s.text(lang, "banned")
	}
	var ie *InputError
	if errors.As(err, &ie) {
		// Its sentence may repeat what the sender wrote.
		return s.text(lang, "bad_input")
	}
	s.log.Error("request", "err", err)
	return s.text(lang, "failed")
}

// reply answers a request, within the limits on mail to unconfirmed addresses.
func (s *Service) reply(ctx context.Context, l *store.List, to, lang, kind string, lines []string, inReplyTo string) error {
	err := s.st.Update(ctx, func(tx *store.Tx) error {
		if err := s.allowUnconfirmed(ctx, tx, kind, to); err != nil {
			return err
		}
		d := s.data(l)
		d.Lines = lines
		return s.queue(tx, outMail{kind: kind, lang: lang, list: l, to: to, data: d, inReplyTo: inReplyTo, auto: "auto-replied"})
	})
	if err := s.quietly(err); err != nil {
		return fmt.Errorf("reply to request: %w", err)
	}
	s.kick()
	return nil
}

// forwardToOwners passes mail for NAME-owner@ on to the list's owners and moderators,
// unchanged but for a loop marker.
func (s *Service) forwardToOwners(ctx context.Context, l *store.List, raw []byte) error {
	loop := l.Name + "-owner@" + s.cfg.Domain
	if p, err := archive.Parse(raw); err == nil {
		for _, v := range p.XLoop {
			if strings.EqualFold(strings.TrimSpace(v), loop) {
				s.log.Warn("owner mail dropped", "list", l.Name, "reason", "loop")
				return nil
			}
		}
	}
	err := s.st.Update(ctx, func(tx *store.Tx) error {
		owners, err := tx.Owners(l.ID)
		if err != nil || len(owners) == 0 {
			return err
		}
		var rcpts []store.MailRcpt
		for _, o := range owners {
			rcpts = append(rcpts, store.MailRcpt{Address: o.Address, ListID: l.ID, MemberID: o.ID})
		}
		msg := append([]byte("X-Loop: "+loop+"\r\n"), raw...)
		return tx.QueueMail(&store.Mail{Kind: "owner", MailFrom: l.Name + "-bounces@" + s.cfg.Domain, Raw: msg}, rcpts)
	})
	if err != nil {
		return fmt.Errorf("forward to owners of %s: %w", l.Name, err)
	}
	s.kick()
	return nil
}
