package lists

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestSiteInFooters: the site's name, contact and legal links set by a site admin
// end every list copy, every notice and every digest, in the reader's language.
func TestSiteInFooters(t *testing.T) {
	s, db, _ := newService(t)
	ctx := context.Background()
	ss := SiteSettings{Name: "Netzwerk Alleinerziehende", Contact: "info@verein.example",
		ImpressumURL: "https://verein.example/impressum", DatenschutzURL: "https://verein.example/datenschutz"}
	if err := s.SetSiteSettings(ctx, Actor("admin@example.org"), ss); err != nil {
		t.Fatal(err)
	}
	if err := deliver(t, s, "anna@example.net", "kita@lists.example.org", "From: anna@example.net\r\nSubject: Frage\r\n\r\nWer weiß Rat?\r\n"); err != nil {
		t.Fatal(err)
	}
	ds, err := db.Deliveries(ctx, []string{"queued"}, 100, 0)
	if err != nil || len(ds) == 0 {
		t.Fatalf("deliveries: %d %v", len(ds), err)
	}
	var copyText string
	for _, d := range ds {
		if d.MessageID == 0 {
			continue
		}
		c, err := s.Render(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		c.Message.WriteTo(&b)
		copyText = mailText(t, b.Bytes())
		break
	}
	for _, want := range []string{"Netzwerk Alleinerziehende\n", "Kontakt: info@verein.example", "Impressum: https://verein.example/impressum",
		"Datenschutz: https://verein.example/datenschutz"} {
		if !strings.Contains(copyText, want) {
			t.Errorf("list copy lacks %q:\n%s", want, copyText)
		}
	}
	l, err := db.ListByName(ctx, "kita")
	if err != nil {
		t.Fatal(err)
	}
	for lang, want := range map[string][]string{"de": {"\n-- \nNetzwerk Alleinerziehende\nKontakt: info@verein.example\nImpressum: https://verein.example/impressum\nDatenschutz: https://verein.example/datenschutz"},
		"en": {"\n-- \nNetzwerk Alleinerziehende\nContact: info@verein.example\nLegal notice: https://verein.example/impressum\nPrivacy policy: https://verein.example/datenschutz"}} {
		m, err := s.build(outMail{kind: "welcome", lang: lang, list: l, to: "anna@example.net", data: s.data(l)})
		if err != nil {
			t.Fatal(err)
		}
		if text := mailText(t, m.Raw); !strings.Contains(text, want[0]) {
			t.Errorf("welcome (%s) lacks the site footer:\n%s", lang, text)
		}
	}
	// Digests end with the same lines, in every format.
	if _, err := s.AddMember(ctx, "kita", "leser@example.net", MemberOptions{Mode: "digest"}); err != nil {
		t.Fatal(err)
	}
	is, _, err := s.SendDigest(ctx, "kita")
	if err != nil || is == nil {
		t.Fatalf("digest issue: %v %v", is, err)
	}
	for _, format := range []string{"newsletter", "mime", "plain"} {
		for lang, want := range map[string][]string{"de": {"Impressum: https://verein.example/impressum", "Datenschutz: https://verein.example/datenschutz"},
			"en": {"Legal notice: https://verein.example/impressum", "Privacy policy: https://verein.example/datenschutz"}} {
			raw, err := s.digestBody(ctx, db, l, is, format, lang, "")
			if err != nil {
				t.Fatal(err)
			}
			text := strings.ReplaceAll(mailText(t, raw), "\r\n", "\n")
			for _, w := range append(want, "Netzwerk Alleinerziehende\n") {
				if !strings.Contains(text, w) {
					t.Errorf("%s digest (%s) lacks %q", format, lang, w)
				}
			}
		}
	}
	// A site without settings adds nothing.
	if err := s.SetSiteSettings(ctx, ActorCLI, SiteSettings{}); err != nil {
		t.Fatal(err)
	}
	m, err := s.build(outMail{kind: "welcome", lang: "de", list: l, to: "anna@example.net", data: s.data(l)})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(mailText(t, m.Raw), "\n-- \n") {
		t.Error("a footer without site settings")
	}
}
