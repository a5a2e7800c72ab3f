package lists

import (
	"context"
	"fmt"

	"listd/internal/compose"
	"listd/internal/store"
)

// ArchiveCopy returns what readers of the web archive download for post m of list l:
// its header as members of an anonymous list get it and its body as received, without
// anything personal to one member. Downloads may reach the public, so the author's
// address is left out on every list: From is "Name via NAME" <NAME@DOMAIN>.
func (s *Service) ArchiveCopy(ctx context.Context, l *store.List, m *store.Message) ([]byte, error) {
	raw, err := s.st.Raw(ctx, m.ID)
	if err != nil {
		return nil, fmt.Errorf("archive copy %d: %w", m.ID, err)
	}
	if l.Anonymous {
		if raw, err = s.publicRaw(ctx, l, m, raw); err != nil {
			return nil, fmt.Errorf("archive copy %d: %w", m.ID, err)
		}
	}
	cl := s.composeList(l, m.FromName)
	cl.Anonymous = true
	b, err := compose.ArchiveCopy(cl, m.ID, raw)
	if err != nil {
		return nil, fmt.Errorf("archive copy %d: %w", m.ID, err)
	}
	return b, nil
}
