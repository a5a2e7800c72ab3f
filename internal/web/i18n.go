package web

import (
	"fmt"
	"strings"

	"listd/internal/i18n"
)

// tr returns the page text for key in lang from the catalogue in use (keys
// without a section are the page section's).
func (s *Server) tr(lang, key string) string {
	if !strings.Contains(key, ".") {
		key = "page." + key
	}
	return s.cat.Load().T(i18n.Lang(lang), key)
}

// author is how a post's author appears: the name they gave, never the address.
func (s *Server) author(lang, name string) string {
	if name == "" {
		return s.tr(lang, "anonymous")
	}
	return maskAddresses(name)
}

// dict builds a map for passing several values to a sub-template.
func dict(kv ...any) map[string]any {
	m := make(map[string]any, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		if k, ok := kv[i].(string); ok {
			m[k] = kv[i+1]
		}
	}
	return m
}

// humanSize formats a byte count for people.
func humanSize(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d KB", (n+512)>>10)
	}
	return fmt.Sprintf("%d B", n)
}
