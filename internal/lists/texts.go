package lists

import (
	"time"

	"listd/internal/i18n"
)

const hour = time.Hour

// text returns a sentence of replies and notices (the catalogue's mail section) in
// lang, or in the site's language when lang is not one listd speaks.
func (s *Service) text(lang, key string) string {
	return s.cat.Load().T(i18n.Lang(s.lang(lang)), "mail."+key)
}
