package lists

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"listd/internal/bounce"
	"listd/internal/store"
	"listd/internal/token"
)

// Bounce handling: every copy goes out with a return path that names the member and
// carries a short MAC, so a forged bounce cannot disable anyone. A hard failure scores
// 1, a soft one 0.5; a score older than a week starts over; at 5 delivery stops, the
// member gets a link to turn it back on and the owners are told. DMARC rejections are
// the sender domain's policy, not the member's fault: they are counted apart.
const (
	bounceThreshold = 5.0
	bounceStale     = 7 * 24 * time.Hour
)

// VERP is the return path that attributes a bounce to rcpt on list:
// NAME-bounces+local=domain.MAC@DOMAIN.
func (s *Service) VERP(list, rcpt string) string {
	return list + "-bounces+" + strings.Replace(rcpt, "@", "=", 1) + "." + s.signer.Short("verp", list, rcpt) + "@" + s.cfg.Domain
}

// verpAddress recovers and checks the member address in a VERP token.
func (s *Service) verpAddress(list, tok string) (string, bool) {
	dot := strings.LastIndexByte(tok, '.')
	if dot < 0 {
		return "", false
	}
	enc, mac := tok[:dot], tok[dot+1:]
	eq := strings.LastIndexByte(enc, '=')
	if eq < 0 {
		return "", false
	}
	addr := strings.ToLower(enc[:eq] + "@" + enc[eq+1:])
	return addr, s.signer.CheckShort(mac, "verp", list, addr)
}

func (s *Service) bounce(ctx context.Context, rc *Recipient, raw []byte) error {
	l := rc.List
	if rc.Token == "" {
		s.log.Info("bounce of a notice, not attributed", "list", l.Name)
		return nil
	}
	addr, ok := s.verpAddress(l.Name, rc.Token)
	if !ok {
		s.bounces.WithLabelValues("forged").Inc()
		s.log.Warn("bounce with a wrong signature ignored", "list", l.Name)
		return nil
	}
	rep, err := bounce.Parse(raw)
	if err != nil {
		s.log.Info("unreadable bounce ignored", "list", l.Name, "err", err)
		return nil
	}
	class := rep.Class()
	s.bounces.WithLabelValues(strings.ToLower(class.String())).Inc()
	if class == bounce.NotABounce {
		return nil
	}
	diag := ""
	for _, r := range rep.Recipients {
		if r.Class == class {
			diag = strings.TrimSpace(r.Status + " " + r.Diagnostic)
			break
		}
	}
	now := s.cfg.Now()
	var disabled bool
	err = s.st.Update(ctx, func(tx *store.Tx) error {
		m, err := tx.Member(l.ID, addr)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if class == bounce.DMARC {
			m.DMARCBounces++
			return tx.SaveMember(m)
		}
		if now.Sub(m.BounceLast) > bounceStale {
			m.BounceScore = 0
		}
		m.BounceScore += map[bounce.Class]float64{bounce.Hard: 1, bounce.Soft: 0.5}[class]
		m.BounceLast = now
		m.BounceReason = clipReason(diag)
		if m.BounceScore >= bounceThreshold && m.DisabledAt.IsZero() {
			m.DisabledAt = now
			disabled = true
			if err := s.disabledNotices(tx, l, m, diag); err != nil {
				return err
			}
		}
		return tx.SaveMember(m)
	})
	if err != nil {
		return fmt.Errorf("record bounce for %s: %w", l.Name, err)
	}
	s.log.Info("bounce recorded", "list", l.Name, "class", class.String(), "disabled", disabled)
	if disabled {
		s.kick()
	}
	return nil
}

func (s *Service) disabledNotices(tx *store.Tx, l *store.List, m *store.Member, diag string) error {
	d := s.data(l)
	d.ReenableURL = s.cfg.BaseURL + "/reenable/" + s.signer.Sign("reenable", []string{l.Name, strconv.FormatInt(m.ID, 10)}, reenableTTL)
	if err := s.queue(tx, outMail{kind: "disabled", lang: m.Language, list: l, to: m.Address, memberID: m.ID, data: d}); err != nil {
		return err
	}
	owners, err := tx.Owners(l.ID)
	if err != nil {
		return err
	}
	for _, o := range owners {
		od := s.data(l)
		od.Address = m.Address
		if diag != "" {
			od.Lines = []string{diag}
		}
		if err := s.queue(tx, outMail{kind: "owner-disabled", lang: o.Language, list: l, to: o.Address, memberID: o.ID, data: od}); err != nil {
			return err
		}
	}
	return nil
}

// reenableMember resolves a re-enable token to a member who is still on the list.
func (s *Service) reenableMember(ctx context.Context, tok string) (*store.List, *store.Member, time.Time, error) {
	l, m, exp, err := s.memberToken(ctx, "reenable", tok)
	if err == nil && m == nil {
		err = ErrBadToken
	}
	return l, m, exp, err
}

// CheckReenable returns the list a re-enable token is for, without acting.
func (s *Service) CheckReenable(ctx context.Context, tok string) (string, error) {
	l, _, _, err := s.reenableMember(ctx, tok)
	if err != nil {
		return "", err
	}
	return l.Name, nil
}

// Reenable turns delivery back on for the member named by tok and clears the score.
func (s *Service) Reenable(ctx context.Context, tok string) (string, error) {
	l, m, exp, err := s.reenableMember(ctx, tok)
	if err != nil {
		return "", err
	}
	err = s.st.Update(ctx, func(tx *store.Tx) error {
		if err := tx.UseToken(token.Digest(tok), exp); err != nil {
			return ErrBadToken
		}
		m.DisabledAt, m.BounceScore = time.Time{}, 0
		return tx.SaveMember(m)
	})
	if err != nil {
		return "", err
	}
	s.log.Info("delivery re-enabled", "list", l.Name)
	return l.Name, nil
}

// Maintain does the periodic work: members disabled for 30 days are removed, and
// expired requests, tokens, sessions and rate windows are dropped.
func (s *Service) Maintain(ctx context.Context) error {
	now := s.cfg.Now()
	ms, err := s.st.DisabledSince(ctx, now.Add(-disabledRemoval))
	if err != nil {
		return err
	}
	for _, m := range ms {
		err := s.st.Update(ctx, func(tx *store.Tx) error { return tx.RemoveMember(m.ID) })
		if err != nil {
			return fmt.Errorf("remove disabled member: %w", err)
		}
		s.log.Info("member removed after 30 days without delivery", "list_id", m.ListID)
	}
	if err := s.maintainModeration(ctx); err != nil {
		return err
	}
	return s.st.Expire(ctx, now)
}

// clipReason keeps a bounce's diagnostic short for the owners' bounce view.
func clipReason(diag string) string {
	diag = strings.Join(strings.Fields(diag), " ")
	if r := []rune(diag); len(r) > 200 {
		return string(r[:200]) + "…"
	}
	return diag
}
