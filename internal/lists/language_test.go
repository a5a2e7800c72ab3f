package lists

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"mime"
	"path"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/emersion/go-message/mail"

	"listd/internal/compose"
	"listd/internal/digest"
	"listd/internal/i18n"
	"listd/internal/store"
	"listd/templates"
)

// everything is template data with every field any mail template reads.
type everything struct {
	counselData
	BlockAddr, Sender, PostDate, PostURL string
	Hours                                int
}

var verb = regexp.MustCompile(`%[-+# 0-9.]*[a-zA-Z%]`)

// foreignTexts are the pieces of the catalogue's texts in from that differ from
// to's and are long enough to be recognised (more than 12 characters between the
// places a value fills).
func foreignTexts(cat *i18n.Catalog, from, to i18n.Lang) []string {
	var out []string
	for _, k := range cat.Keys() {
		v := cat.T(from, k)
		if v == cat.T(to, k) {
			continue
		}
		for _, piece := range verb.Split(v, -1) {
			if piece = strings.TrimSpace(piece); utf8.RuneCountInString(piece) > 12 && !strings.Contains(cat.T(to, k), piece) {
				out = append(out, piece)
			}
		}
	}
	return out
}

// TestMailsSpeakOneLanguage renders every mail kind, the digests, the SMTP refusals,
// the hold reasons and the list copy's footer in German and in English, and fails on
// a text of the other language's catalogue in them. The moderation notice's English
// block (after "-- English --") is English by design; an SMTP refusal is German,
// then English, so each half is checked.
func TestMailsSpeakOneLanguage(t *testing.T) {
	s, db, _ := newService(t)
	ctx := context.Background()
	cat := i18n.Default()
	l, err := db.ListByName(ctx, "kita")
	if err != nil {
		t.Fatal(err)
	}
	kinds, err := fs.Glob(templates.FS(""), "mail/de/*.txt")
	if err != nil || len(kinds) < 20 {
		t.Fatalf("mail templates: %d %v", len(kinds), err)
	}
	// A few posts for the digest.
	s.AddMember(ctx, "kita", "leser@example.net", MemberOptions{Mode: "digest", Postal: "10115"})
	for _, subj := range []string{"Kita-Platz", "Umgang am Wochenende"} {
		if err := deliver(t, s, "anna@example.net", "kita@lists.example.org", "From: anna@example.net\r\nSubject: "+subj+"\r\n\r\nWer weiß Rat?\r\n"); err != nil {
			t.Fatal(err)
		}
	}
	is, _, err := s.SendDigest(ctx, "kita")
	if err != nil || is == nil {
		t.Fatalf("digest: %v", err)
	}
	held := &store.Held{ReasonCode: string(HoldSize), ReasonDetail: "30000\t20000", Subject: "Frage"}

	for _, tt := range []struct{ lang, other i18n.Lang }{{i18n.German, i18n.English}, {i18n.English, i18n.German}} {
		lang := string(tt.lang)
		foreign := foreignTexts(cat, tt.other, tt.lang)
		check := func(what, text string) {
			t.Helper()
			for _, f := range foreign {
				if strings.Contains(text, f) {
					t.Errorf("%s (%s) contains %q", what, lang, f)
				}
			}
		}
		for _, name := range kinds {
			kind := strings.TrimSuffix(path.Base(name), ".txt")
			d := everything{counselData: counselData{mailData: s.data(l), PostalCode: "10115", Place: "Berlin", Approximate: true,
				Crisis: []string{"TelefonSeelsorge 0800 111 0 111"}, OptOut: "https://lists.example.org/prefs", Held: true,
				Nearby: []counselHit{{Name: "Beratungsstelle Mitte", Organisation: "Verband", Address: "Hauptstr. 1, 10115 Berlin",
					Distance: "2 km", Phone: "030 123", Hours: "Mo–Fr 9–17 Uhr", Email: "rat@example.org", Web: "https://example.org", Map: "https://osm.example"}},
				Remote: []counselHit{{Name: "Online-Beratung", Phone: "0800 1", Hours: "rund um die Uhr", Web: "https://online.example"}}},
				BlockAddr: "kita-reply+x1@lists.example.org", Sender: "Ein Mitglied via kita", PostDate: "01.03.2026", PostURL: "https://lists.example.org/kita/m/1", Hours: 24}
			d.Lines = []string{s.text(lang, "bad_token"), s.HoldReasonText(lang, held)}
			d.Address, d.Name, d.Mode = "anna@example.net", "Sonnenblume", s.text(lang, "mode_digest")
			d.HeldSubject, d.HeldFrom, d.HeldText, d.Expires = "Frage", s.text(lang, "mod_member"), heldText("Hallo\n\n\n\nzusammen\n\n"), "20.03.2026"
			d.Reason, d.ReasonEN = s.HoldReasonText(lang, held), s.HoldReasonText("en", held)
			d.ConfirmURL, d.LoginURL, d.ReenableURL = "https://lists.example.org/confirm/x", "https://lists.example.org/login/x", "https://lists.example.org/reenable/x"
			built, err := s.buildWith(outMail{kind: kind, lang: lang, list: l, to: "anna@example.net", data: d.mailData}, d)
			if err != nil {
				t.Errorf("%s: %v", kind, err)
				continue
			}
			text := mailText(t, built.Raw)
			if strings.Contains(strings.TrimSpace(text), "\n\n\n") {
				t.Errorf("%s (%s) has two blank lines in a row:\n%s", kind, lang, text)
			}
			for _, line := range strings.Split(text, "\n") {
				// The held notice is the first mail a new poster may get.
				if kind == "held" && utf8.RuneCountInString(line) > 72 {
					t.Errorf("%s (%s) has a line of %d characters: %q", kind, lang, utf8.RuneCountInString(line), line)
				}
			}
			if lang == "de" && kind == "moderate" {
				text, _, _ = strings.Cut(text, "-- English --")
			}
			check("mail "+kind, text)
		}

		issue, err := s.digestIssue(ctx, db, l, is, true, lang, "10115")
		if err != nil {
			t.Fatal(err)
		}
		issue.Counselling = []string{"Beratungsstelle Mitte, 030 123"}
		_, text, html, err := digest.Newsletter(issue)
		if err != nil {
			t.Fatal(err)
		}
		check("digest text", text)
		check("digest html", html)
		var h mail.Header
		h.Set("From", "kita-request@lists.example.org")
		for name, build := range map[string]func(digest.Issue, mail.Header) ([]byte, error){"rfc 1153": digest.RFC1153, "mime digest": digest.MIMEDigest} {
			b, err := build(issue, h)
			if err != nil {
				t.Fatal(err)
			}
			check(name, mailText(t, b))
		}

		for _, k := range cat.Keys() {
			if !strings.HasPrefix(k, "smtp.") {
				continue
			}
			de, en, ok := strings.Cut(s.reject(550, [3]int{5, 1, 1}, strings.TrimPrefix(k, "smtp."), "x@example.org", "y").Msg, " / ")
			if !ok {
				t.Errorf("%s is not German / English", k)
			}
			if lang == "de" {
				check(k, de)
			} else {
				check(k, en)
			}
		}
		for _, c := range holdCodes {
			check("hold reason "+string(c), s.HoldReasonText(lang, &store.Held{ReasonCode: string(c), ReasonDetail: "x"}))
		}

		s.cfg.Language = lang
		p, err := compose.Prepare([]byte("From: anna@example.net\r\nSubject: s\r\n\r\nHallo\r\n"), s.composeList(l, "Sonnenblume"), 1)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if _, err := p.WriteTo(&b, "https://lists.example.org/u/x"); err != nil {
			t.Fatal(err)
		}
		check("list copy", mailText(t, b.Bytes()))
	}
}

// mailText is a message's subject and decoded text as a reader sees them.
func mailText(t *testing.T, raw []byte) string {
	t.Helper()
	r, err := mail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("read mail: %v", err)
	}
	subject, _ := r.Header.Subject()
	var b strings.Builder
	b.WriteString(subject + "\n")
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("read part: %v", err)
		}
		body, _ := io.ReadAll(p.Body)
		b.Write(body)
		b.WriteString("\n")
	}
	dec := new(mime.WordDecoder)
	out, err := dec.DecodeHeader(strings.ReplaceAll(b.String(), "\r\n", "\n"))
	if err != nil {
		return strings.ReplaceAll(b.String(), "\r\n", "\n")
	}
	return out
}
