package lists

import (
	"context"
	"strings"
	"testing"
)

// The preview shows the list's texts as members get them, with the changes typed,
// and saves nothing.
func TestPreviewTexts(t *testing.T) {
	s, _, _ := newService(t)
	ctx := context.Background()
	p, err := s.PreviewTexts(ctx, "kita", ListSettings{"welcome-de": "Schön, dass Sie da sind.", "footer-de": "Bitte freundlich bleiben.",
		"footer-en": "Please be kind."})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(p.Welcome["de"], "Schön, dass Sie da sind.") || !strings.Contains(p.Welcome["en"], "Schön, dass Sie da sind.") {
		t.Errorf("welcome:\n%s\n---\n%s", p.Welcome["de"], p.Welcome["en"])
	}
	if !strings.HasPrefix(p.Footer, "-- \n") || !strings.Contains(p.Footer, "Bitte freundlich bleiben.") || strings.Contains(p.Footer, "Please be kind.") {
		t.Errorf("footer:\n%s", p.Footer)
	}
	if l, _ := s.List(ctx, "kita"); l.WelcomeDE != "" || l.FooterDE != "" {
		t.Errorf("the preview saved: %+v", l)
	}
	if _, err := s.PreviewTexts(ctx, "kita", ListSettings{"retention": "x"}); err == nil {
		t.Errorf("a bad value previewed")
	}
}
