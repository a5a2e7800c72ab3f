package compose

import (
	"bytes"
	"strings"
	"testing"
)

// TestFooterSite: the site's lines end the footer, linked in HTML, each on one line
// whatever the value holds.
func TestFooterSite(t *testing.T) {
	l := testList
	l.Language = "de"
	l.Site = Site{Name: "Netzwerk Alleinerziehende", Contact: "info@verein.example",
		ImpressumURL: "https://verein.example/impressum", DatenschutzURL: "https://verein.example/datenschutz\r\nBcc: x@example.com"}
	f := newFooter(l)
	want := "Netzwerk Alleinerziehende\r\nKontakt: info@verein.example\r\nImpressum: https://verein.example/impressum\r\nDatenschutz: https://verein.example/datenschutz\r\n"
	if !strings.HasSuffix(string(f.text), want) {
		t.Errorf("text footer\n%q\nwant it to end with\n%q", f.text, want)
	}
	if bytes.Contains(f.text, []byte("Bcc")) || bytes.Contains(f.html, []byte("Bcc")) {
		t.Error("a second line of a value reached the footer")
	}
	for _, w := range []string{`<a href="mailto:info@verein.example">`, `<a href="https://verein.example/impressum">`} {
		if !bytes.Contains(f.html, []byte(w)) {
			t.Errorf("HTML footer lacks %s:\n%s", w, f.html)
		}
	}
	if !isASCII(f.html) {
		t.Error("HTML footer not ASCII")
	}
	if f := newFooter(testList); bytes.Contains(f.text, []byte("Kontakt")) || bytes.Contains(f.text, []byte("Contact")) {
		t.Error("a footer without site settings names a contact")
	}
}
