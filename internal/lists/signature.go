package lists

import (
	"context"
	"errors"

	"listd/internal/archive"
	"listd/internal/compose"
	"listd/internal/store"
)

// Signatures on anonymous lists: a post's signature is taken out once, before the
// post is decided on and stored (compose.StripSignatures), so that no way of reading
// the list shows it; the poster is told once that the list does this. On other lists
// posts keep their signatures.

// withoutSignature returns raw without its signatures, with its parse; removed
// reports whether there was one. Posts to lists that are not anonymous come back as
// they are.
func (s *Service) withoutSignature(l *store.List, raw []byte, p *archive.Parsed) ([]byte, *archive.Parsed, bool) {
	if !l.Anonymous {
		return raw, p, false
	}
	out, removed, err := compose.StripSignatures(raw)
	if err != nil || !removed {
		return raw, p, false
	}
	np, err := archive.Parse(out)
	if err != nil {
		s.log.Error("message unreadable after removing its signature", "message_id", p.MessageID, "err", err)
		return raw, p, false
	}
	s.log.Info("signature removed", "list", l.Name, "message_id", p.MessageID)
	return out, np, true
}

// tellSignature tells the poster of p, a member of l, that the list removes
// signatures: once per membership.
func (s *Service) tellSignature(ctx context.Context, l *store.List, envFrom string, p *archive.Parsed) {
	if p.FromAddr == "" {
		return
	}
	if auto, _ := Automatic(p, envFrom); auto {
		return
	}
	m, err := s.st.Member(ctx, l.ID, p.FromAddr)
	if errors.Is(err, store.ErrNotFound) {
		return
	}
	if err == nil {
		err = s.st.Update(ctx, func(tx *store.Tx) error {
			first, err := tx.TellSignatureOnce(m.ID)
			if err != nil || !first {
				return err
			}
			return s.queue(tx, outMail{kind: "signature", lang: m.Language, list: l, to: m.Address, memberID: m.ID,
				data: s.data(l), inReplyTo: p.MessageID, auto: "auto-replied"})
		})
	}
	if err != nil {
		s.log.Error("signature notice", "list", l.Name, "err", err)
		return
	}
	s.kick()
}
