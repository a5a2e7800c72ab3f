package digest

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	netmail "net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // golden dates must not depend on the host's zoneinfo

	"listd/internal/compose"

	"github.com/emersion/go-message/mail"
	"github.com/jhillyerd/enmime/v2"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

func berlin(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func raw(from, subject, msgid, body string) []byte {
	return []byte("Received: from mx.example.net by lists.example.org\n" +
		"From: " + from + "\n" +
		"To: kita@lists.example.org\n" +
		"Subject: " + subject + "\n" +
		"Message-ID: <" + msgid + ">\n" +
		"MIME-Version: 1.0\n" +
		"Content-Type: text/plain; charset=utf-8\n" +
		"Content-Transfer-Encoding: 8bit\n\n" + body)
}

// longText is a post of about 2,400 characters, to be cut near 1,500.
func longText() string {
	var b strings.Builder
	b.WriteString("Hallo zusammen,\n\nich möchte von unseren Erfahrungen mit dem Umgang erzählen, weil es vielleicht anderen hilft.\n\n")
	for i := 1; i <= 12; i++ {
		fmt.Fprintf(&b, "Absatz %d: Die Übergaben am Freitag waren anfangs schwierig, für die Kinder und für mich. Wir haben dann feste Zeiten vereinbart und eine Übergabe an der Kita ausprobiert.\n\n", i)
	}
	b.WriteString("Viele Grüße\nEine Mutter")
	return b.String()
}

// fixture is an issue with one new and two continued threads, given in the
// wrong order on purpose.
func fixture(t testing.TB, language string, counselling bool) Issue {
	loc := berlin(t)
	at := func(d, h, m int) time.Time { return time.Date(2025, 3, d, h, m, 0, 0, loc) }
	base := "https://lists.example.org/kita"
	post := func(id, thread int64, author, from, subject, text string, date time.Time) Post {
		mid := fmt.Sprintf("%d.%d@lists.example.org", thread, id)
		return Post{
			ID: id, ThreadID: thread, MessageID: mid, Subject: subject, Author: author, Date: date, Text: text,
			Raw:         raw(from, subject, mid, text),
			URL:         fmt.Sprintf("%s/m/%d", base, id),
			ThreadURL:   fmt.Sprintf("%s/t/%d", base, thread),
			ReplyMailto: fmt.Sprintf("mailto:kita@lists.example.org?subject=Re%%3A%%20Thema%%20%d&In-Reply-To=%%3C%s%%3E", thread, mid),
		}
	}
	is := Issue{
		ListName: "kita", ListTitle: "Kita und Schule", ListAddr: "kita@lists.example.org",
		Language: language, Volume: 2, Number: 10,
		From: at(3, 0, 0), Until: at(9, 23, 59),
		PrefsURL:       base + "/prefs?t=abc123",
		UnsubscribeURL: base + "/unsubscribe?t=abc123",
		ArchiveURL:     base + "/",
		Threads: []Thread{
			{ID: 12, Subject: "Ausflugstipps fürs Wochenende", Posts: []Post{
				post(45, 12, "Sonnenblume", "Anna <anna@example.net>", "Re: Ausflugstipps fürs Wochenende",
					"Der Wildpark in Bad Schönborn ist für Kleine großartig & kostet wenig.\n\nSonnige Grüße", at(6, 18, 5)),
			}},
			{ID: 11, Subject: "Umgangsrecht – Erfahrungen?", New: true, Posts: []Post{
				post(43, 11, "", "Bernd <bernd@example.com>", "Umgangsrecht – Erfahrungen?",
					"Hat jemand Erfahrung mit dem Jugendamt, wenn der Vater <sich> nicht an Absprachen hält?", at(4, 9, 30)),
				post(44, 11, "Papa Bär", "Jörg Müller <joerg@example.org>", "Re: Umgangsrecht – Erfahrungen?",
					longText(), at(5, 22, 15)),
			}},
			{ID: 10, Subject: "Kita-Platz in Leipzig", Posts: []Post{
				post(42, 10, "Sonnenblume", "Anna <anna@example.net>", "Re: Kita-Platz in Leipzig",
					"Wir haben nach vier Monaten endlich einen Platz bekommen!\nDer Kita-Navigator hat geholfen.\n\nAm 01.03.2025 um 21:14 schrieb Lena:\n> Wie lange habt ihr gewartet?\n> Wir suchen seit Januar.\n", at(3, 8, 0)),
			}},
		},
	}
	if counselling {
		is.Counselling = []string{
			"Familienberatung Leipzig-Süd, Karl-Liebknecht-Str. 10, 04107 Leipzig, Tel. 0341 123456",
			"Beratungsstelle für Alleinerziehende, Mo–Fr 9–16 Uhr",
		}
	}
	return is
}

func header(t testing.TB) mail.Header {
	var h mail.Header
	h.SetAddressList("From", []*mail.Address{{Name: "Kita und Schule", Address: "kita@lists.example.org"}})
	h.SetAddressList("To", []*mail.Address{{Address: "mitglied@example.com"}})
	h.SetDate(time.Date(2025, 3, 10, 6, 0, 0, 0, berlin(t)))
	h.SetMessageID("digest.kita.2.10@lists.example.org")
	h.Set("List-Id", "Kita und Schule <kita.lists.example.org>")
	h.Set("List-Unsubscribe", "<https://lists.example.org/kita/unsubscribe?t=abc123>")
	return h
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run go test -update and review the diff)\ngot:\n%s", name, got)
	}
}

func TestGolden(t *testing.T) {
	tests := []struct {
		name        string
		language    string
		counselling bool
		build       func(Issue, mail.Header) ([]byte, error)
		files       []string
	}{
		{"newsletter de", "de", true, nil, []string{"newsletter_de.txt", "newsletter_de.html"}},
		{"newsletter en", "en", false, nil, []string{"newsletter_en.txt", "newsletter_en.html"}},
		{"message de", "de", true, Message, []string{"message_de.eml"}},
		{"mime digest", "de", false, MIMEDigest, []string{"mimedigest_de.eml"}},
		{"rfc 1153", "de", false, RFC1153, []string{"rfc1153_de.eml"}},
		{"rfc 1153 en", "en", false, RFC1153, []string{"rfc1153_en.eml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := fixture(t, tt.language, tt.counselling)
			if tt.build == nil {
				_, text, html, err := Newsletter(is)
				if err != nil {
					t.Fatal(err)
				}
				golden(t, tt.files[0], []byte(text))
				golden(t, tt.files[1], []byte(html))
				return
			}
			b, err := tt.build(is, header(t))
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tt.files[0], b)
			// Twice the same input, twice the same bytes: boundaries are derived.
			again, _ := tt.build(is, header(t))
			if !bytes.Equal(b, again) {
				t.Error("output is not deterministic")
			}
		})
	}
}

func TestNewsletterContent(t *testing.T) {
	tests := []struct {
		name        string
		language    string
		counselling bool
		want        []string
		wantNot     []string
	}{
		{"de", "de", true,
			[]string{"Jahrgang 2, Nr. 10", "Ohne Namen", "weiterlesen", "https://lists.example.org/kita/m/44",
				"Beratung in Ihrer Nähe", "Familienberatung Leipzig-Süd", "05.03.2025 22:15", "Meine Einstellungen",
				"https://lists.example.org/kita/unsubscribe?t=abc123", "per E-Mail antworten", "Thema im Web",
				"1 neuer Beitrag", "2 neue Beiträge", "Wir haben nach vier Monaten"},
			[]string{"Wie lange habt ihr gewartet", "schrieb Lena", "Absatz 12", "Counselling", "@example.net"}},
		{"en", "en", false,
			[]string{"Volume 2, issue 10", "No name", "read on", "5 Mar 2025, 22:15 CET", "My preferences", "Unsubscribe",
				"reply by email", "2 new posts"},
			[]string{"Wie lange habt ihr gewartet", "Beratung", "Counselling near you", "@example.net"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			subject, text, html, err := Newsletter(fixture(t, tt.language, tt.counselling))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(subject, "Kita und Schule") {
				t.Errorf("subject %q lacks the list title", subject)
			}
			for _, part := range []struct{ name, body string }{{"text", text}, {"html", html}} {
				for _, w := range tt.want {
					if !strings.Contains(part.body, w) {
						t.Errorf("%s lacks %q", part.name, w)
					}
				}
				for _, w := range tt.wantNot {
					if strings.Contains(part.body, w) {
						t.Errorf("%s contains %q", part.name, w)
					}
				}
				// New threads first, then continued ones by first post date.
				a, b, c := strings.Index(part.body, "Umgangsrecht"), strings.Index(part.body, "Kita-Platz"), strings.Index(part.body, "Ausflugstipps")
				if !(a < b && b < c) {
					t.Errorf("%s: thread order wrong: %d %d %d", part.name, a, b, c)
				}
			}
			// html/template escaped the post's angle brackets.
			if !strings.Contains(html, "&lt;sich&gt;") || strings.Contains(html, "<sich>") {
				t.Error("html: post text not escaped")
			}
		})
	}
}

func TestHTMLIsSafe(t *testing.T) {
	for _, lang := range []string{"de", "en"} {
		t.Run(lang, func(t *testing.T) {
			_, _, doc, err := Newsletter(fixture(t, lang, true))
			if err != nil {
				t.Fatal(err)
			}
			checkHTML(t, doc)
		})
	}
}

// checkHTML walks the tokens: every element known, every non-void element
// closed in order, and no attribute that loads anything from elsewhere.
func checkHTML(t *testing.T, doc string) {
	t.Helper()
	if _, err := html.Parse(strings.NewReader(doc)); err != nil {
		t.Fatalf("parse: %v", err)
	}
	for _, bad := range []string{"<img", "<link", "<script", "<iframe", "<object", "<embed", "url(", "@import", "@font-face"} {
		if strings.Contains(strings.ToLower(doc), bad) {
			t.Errorf("html contains %q", bad)
		}
	}
	void := map[atom.Atom]bool{atom.Br: true, atom.Meta: true, atom.Hr: true}
	var stack []string
	z := html.NewTokenizer(strings.NewReader(doc))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			if z.Err() != io.EOF {
				t.Fatalf("tokenizer: %v", z.Err())
			}
			break
		}
		tok := z.Token()
		switch tt {
		case html.StartTagToken, html.SelfClosingTagToken:
			if tok.DataAtom == 0 {
				t.Errorf("unknown element <%s>", tok.Data)
			}
			for _, a := range tok.Attr {
				v := strings.ToLower(strings.TrimSpace(a.Val))
				switch a.Key {
				case "src", "background", "action", "srcset", "poster":
					t.Errorf("<%s %s=%q>: resource attribute", tok.Data, a.Key, a.Val)
				case "href":
					if tok.DataAtom != atom.A {
						t.Errorf("<%s href=%q>: only links may have href", tok.Data, a.Val)
					}
					if !strings.HasPrefix(v, "https://") && !strings.HasPrefix(v, "http://") &&
						!strings.HasPrefix(v, "mailto:") && !strings.HasPrefix(v, "#") {
						t.Errorf("<a href=%q>: unexpected scheme", a.Val)
					}
				case "style":
					if strings.Contains(v, "url(") || strings.Contains(v, "expression(") {
						t.Errorf("<%s style=%q>: loads a resource", tok.Data, a.Val)
					}
				}
			}
			if tt == html.StartTagToken && !void[tok.DataAtom] {
				stack = append(stack, tok.Data)
			}
		case html.EndTagToken:
			if len(stack) == 0 || stack[len(stack)-1] != tok.Data {
				t.Fatalf("unbalanced </%s>, open: %v", tok.Data, stack)
			}
			stack = stack[:len(stack)-1]
		}
	}
	if len(stack) != 0 {
		t.Errorf("unclosed elements: %v", stack)
	}
}

func TestMessagesParse(t *testing.T) {
	tests := []struct {
		name      string
		build     func(Issue, mail.Header) ([]byte, error)
		wantType  string
		wantRFC   int // message/rfc822 parts
		wantText  string
		wantHTML  bool
		wantSubj  string
		keepField string
	}{
		{"message", Message, "multipart/alternative", 0, "weiterlesen", true, "Kita und Schule: Rundbrief Nr. 10 (Jahrgang 2)", "List-Unsubscribe"},
		{"mime digest", MIMEDigest, "multipart/digest", 4, "Die Themen dieser Ausgabe:", false, "kita Rundbrief, Jahrgang 2, Nr. 10", "List-Id"},
		{"rfc 1153", RFC1153, "text/plain", 0, "Ende des Rundbriefs kita", false, "kita Rundbrief, Jahrgang 2, Nr. 10", "Message-Id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := tt.build(fixture(t, "de", true), header(t))
			if err != nil {
				t.Fatal(err)
			}
			env, err := enmime.ReadEnvelope(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range env.Errors {
				if e.Severe {
					t.Errorf("severe: %v", e)
				}
			}
			if got := env.Root.ContentType; got != tt.wantType {
				t.Errorf("content type %q, want %q", got, tt.wantType)
			}
			if got := env.GetHeader("Subject"); got != tt.wantSubj {
				t.Errorf("subject %q, want %q", got, tt.wantSubj)
			}
			if env.GetHeader(tt.keepField) == "" {
				t.Errorf("caller's %s lost", tt.keepField)
			}
			if !strings.Contains(env.Text, tt.wantText) {
				t.Errorf("text lacks %q:\n%s", tt.wantText, env.Text)
			}
			if tt.wantHTML != (env.HTML != "") {
				t.Errorf("html present %v, want %v", env.HTML != "", tt.wantHTML)
			}
			if tt.wantHTML {
				checkHTML(t, env.HTML)
			}
			n := 0
			var walk func(p *enmime.Part)
			walk = func(p *enmime.Part) {
				for ; p != nil; p = p.NextSibling {
					if p.ContentType == "message/rfc822" {
						n++
					}
					walk(p.FirstChild)
				}
			}
			walk(env.Root)
			if n != tt.wantRFC {
				t.Errorf("%d message/rfc822 parts, want %d", n, tt.wantRFC)
			}
			if bytes.Contains(bytes.ReplaceAll(b, []byte("\r\n"), nil), []byte("\n")) {
				t.Error("bare LF in message")
			}
		})
	}
}

// TestNoAddressLeaks: the posters' addresses reach only the MIME digest,
// whose caller passes anonymized Raw bytes for anonymous lists.
func TestNoAddressLeaks(t *testing.T) {
	is := fixture(t, "de", true)
	var addrs []string
	for _, th := range is.Threads {
		for _, p := range th.Posts {
			m, err := netmail.ReadMessage(bytes.NewReader(p.Raw))
			if err != nil {
				t.Fatal(err)
			}
			a, err := netmail.ParseAddress(m.Header.Get("From"))
			if err != nil {
				t.Fatal(err)
			}
			addrs = append(addrs, a.Address, strings.Split(a.Address, "@")[0]+"@")
		}
	}
	_, text, html, err := Newsletter(is)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := Message(is, header(t))
	if err != nil {
		t.Fatal(err)
	}
	rfc, err := RFC1153(is, header(t))
	if err != nil {
		t.Fatal(err)
	}
	mime, err := MIMEDigest(is, header(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, out := range []struct {
		name  string
		body  string
		leaks bool
	}{{"text", text, false}, {"html", html, false}, {"message", string(msg), false}, {"rfc1153", string(rfc), false}, {"mime digest", string(mime), true}} {
		for _, a := range addrs {
			if got := strings.Contains(out.body, a); got != out.leaks && !(out.leaks && strings.HasSuffix(a, "@")) {
				t.Errorf("%s: contains %q = %v", out.name, a, got)
			}
		}
	}
	if !strings.Contains(string(rfc), "From: Sonnenblume <kita@lists.example.org>") {
		t.Error("rfc1153: author not shown with the list address")
	}
}

func TestMIMEDigestWithoutRaw(t *testing.T) {
	is := fixture(t, "en", false)
	for i := range is.Threads {
		for j := range is.Threads[i].Posts {
			is.Threads[i].Posts[j].Raw = nil
		}
	}
	b, err := MIMEDigest(is, header(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"anna@", "bernd@", "joerg@"} {
		if strings.Contains(string(b), a) {
			t.Errorf("synthesized parts leak %s…", a)
		}
	}
	if !strings.Contains(string(b), `From: "No name" <kita@lists.example.org>`) {
		t.Errorf("anonymous post not synthesized with the list address:\n%s", b)
	}
}

func TestCallerHeaderUntouched(t *testing.T) {
	h := header(t)
	before := h.Copy()
	for _, f := range []func(Issue, mail.Header) ([]byte, error){Message, MIMEDigest, RFC1153} {
		if _, err := f(fixture(t, "de", false), h); err != nil {
			t.Fatal(err)
		}
	}
	if h.Has("Content-Type") || h.Has("Subject") || h.Len() != before.Len() {
		t.Error("caller's header was modified")
	}
	// A subject chosen by the caller wins.
	h.SetSubject("Eigener Betreff")
	b, err := Message(fixture(t, "de", false), h)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "Subject: Eigener Betreff") {
		t.Error("caller's subject replaced")
	}
}

func TestEmptyIssue(t *testing.T) {
	is := fixture(t, "en", false)
	is.Threads = []Thread{{ID: 1, Subject: "empty"}}
	_, text, html, err := Newsletter(is)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "no posts") || !strings.Contains(html, "no posts") {
		t.Error("empty issue does not say so")
	}
	checkHTML(t, html)
}

func TestCleanText(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", "Hallo\nWelt", "Hallo\nWelt"},
		{"quote and attribution", "Ja, genau.\n\nAm 01.03.2025 um 21:14 schrieb Lena:\n> Frage?\n>> ältere Frage\n", "Ja, genau."},
		{"english attribution", "Sure.\n\nOn Sat, 1 Mar 2025, Lena wrote:\n\n> Question?", "Sure."},
		{"interleaved", "> Frage 1\nAntwort 1\n\n> Frage 2\nAntwort 2", "Antwort 1\n\nAntwort 2"},
		{"attribution-like line kept without quote", "Sie schrieb:\nich komme mit", "Sie schrieb:\nich komme mit"},
		{"outlook full quote", "Danke!\n\n-----Ursprüngliche Nachricht-----\nVon: x\nText", "Danke!"},
		{"blank runs and CRLF", "\r\n\r\nA\r\n\r\n\r\n\r\nB\r\n\r\n", "A\n\nB"},
		{"indented quote", "A\n  > zitiert\nB", "A\nB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cleanText(tt.in); got != tt.want {
				t.Errorf("cleanText(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestCut(t *testing.T) {
	words := strings.Repeat("wort ", 400)           // 2,000 characters
	paras := strings.Repeat("Absatz äöü.\n\n", 200) // 2,600 characters
	tests := []struct {
		name    string
		in      string
		max     int
		wantCut bool
		suffix  string
	}{
		{"short", "kurz", 10, false, "kurz"},
		{"exact", "zehn zeich", 10, false, "zehn zeich"},
		{"word boundary", words, 1500, true, "wort …"},
		{"paragraph boundary", paras, 1500, true, "Absatz äöü. …"},
		{"no boundary", strings.Repeat("ü", 2000), 1500, true, "ü…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, cut := cut(tt.in, tt.max)
			if cut != tt.wantCut || !strings.HasSuffix(got, tt.suffix) {
				t.Errorf("cut = %v, %q…; want %v, suffix %q", cut, got[max(0, len(got)-30):], tt.wantCut, tt.suffix)
			}
			if n := len([]rune(got)); n > tt.max+2 {
				t.Errorf("cut to %d characters, max %d", n, tt.max)
			}
			if cut && len([]rune(got)) < tt.max*2/3 {
				t.Errorf("cut too short: %d", len([]rune(got)))
			}
		})
	}
}

func TestRFC1153Separators(t *testing.T) {
	is := fixture(t, "de", false)
	is.Threads[0].Posts[0].Text = "vorher\n" + strings.Repeat("-", 30) + "\nnachher"
	b, err := RFC1153(is, header(t))
	if err != nil {
		t.Fatal(err)
	}
	m, err := mail.CreateReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	p, err := m.NextPart()
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(p.Body)
	body := strings.ReplaceAll(string(raw), "\r\n", "\n")
	lines := strings.Split(body, "\n")
	var long, short int
	for _, l := range lines {
		switch l {
		case strings.Repeat("-", 70):
			long++
		case strings.Repeat("-", 30):
			short++
		}
	}
	// One after the preamble, one per message (4) after each message.
	if long != 1 || short != 4 {
		t.Errorf("separators: %d of 70, %d of 30; want 1 and 4", long, short)
	}
	if !strings.HasPrefix(lines[0], "kita Rundbrief  09.03.2025  Jahrgang 2 : Nr. 10") {
		t.Errorf("first line %q", lines[0])
	}
	if !strings.Contains(body, "Ende des Rundbriefs kita\n************************\n") {
		t.Error("no trailer")
	}
}

func BenchmarkNewsletter500(b *testing.B) {
	loc := berlin(b)
	is := fixture(b, "de", true)
	is.Threads = nil
	start := time.Date(2025, 3, 3, 0, 0, 0, 0, loc)
	id := int64(1)
	for th := range 60 {
		t := Thread{ID: int64(th), Subject: fmt.Sprintf("Thema %d: Fragen zur Kinderbetreuung", th), New: th%3 == 0}
		n := 500 / 60
		if th < 500%60 {
			n++
		}
		for range n {
			text := "Danke für eure Antworten!\n\nAm Montag schrieb jemand:\n> Zitat\n> noch mehr Zitat\n\n" + strings.Repeat("Ein Satz über den Alltag mit Kindern. ", 10+int(id%60))
			t.Posts = append(t.Posts, Post{
				ID: id, ThreadID: t.ID, Subject: "Re: " + t.Subject, Author: fmt.Sprintf("Elternteil %d", id%40),
				Date: start.Add(time.Duration(id) * 17 * time.Minute), Text: text,
				URL: fmt.Sprintf("https://lists.example.org/kita/m/%d", id), ThreadURL: fmt.Sprintf("https://lists.example.org/kita/t/%d", th),
				ReplyMailto: fmt.Sprintf("mailto:kita@lists.example.org?In-Reply-To=%%3C%d@x%%3E", id),
			})
			id++
		}
		is.Threads = append(is.Threads, t)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, _, err := Newsletter(is); err != nil {
			b.Fatal(err)
		}
	}
}

// TestSiteFooter: every format ends with the site's name, contact and legal links
// (Impressum, Datenschutz), labelled in the issue's language, as a list copy does; a
// value on more than one line adds no lines of its own.
func TestSiteFooter(t *testing.T) {
	site := compose.Site{Name: "Verein Alleinerziehende e.V.", Contact: "kontakt@verein.example",
		ImpressumURL: "https://verein.example/impressum", DatenschutzURL: "https://verein.example/datenschutz\nInjected: line"}
	tests := []struct {
		language string
		want     []string
	}{
		{"de", []string{"Verein Alleinerziehende e.V.", "Kontakt: kontakt@verein.example",
			"Impressum: https://verein.example/impressum", "Datenschutz: https://verein.example/datenschutz"}},
		{"en", []string{"Verein Alleinerziehende e.V.", "Contact: kontakt@verein.example",
			"Legal notice: https://verein.example/impressum", "Privacy policy: https://verein.example/datenschutz"}},
	}
	for _, tt := range tests {
		t.Run(tt.language, func(t *testing.T) {
			is := fixture(t, tt.language, false)
			is.Site = site
			_, text, htmlPart, err := Newsletter(is)
			if err != nil {
				t.Fatal(err)
			}
			parts := map[string]string{"newsletter text": text}
			for name, build := range map[string]func(Issue, mail.Header) ([]byte, error){"mime digest": MIMEDigest, "rfc 1153": RFC1153} {
				b, err := build(is, header(t))
				if err != nil {
					t.Fatal(err)
				}
				env, err := enmime.ReadEnvelope(bytes.NewReader(b))
				if err != nil {
					t.Fatal(err)
				}
				parts[name] = strings.ReplaceAll(env.Text, "\r\n", "\n")
			}
			for name, body := range parts {
				for _, w := range tt.want {
					if !strings.Contains(body, w+"\n") {
						t.Errorf("%s lacks the line %q:\n%s", name, w, body)
					}
				}
				if strings.Contains(body, "Injected") {
					t.Errorf("%s: a site setting added a line", name)
				}
			}
			for _, w := range []string{`<a href="https://verein.example/impressum"`, `<a href="https://verein.example/datenschutz"`,
				`<a href="mailto:kontakt@verein.example"`, "Verein Alleinerziehende e.V."} {
				if !strings.Contains(htmlPart, w) {
					t.Errorf("html lacks %q", w)
				}
			}
			checkHTML(t, htmlPart)
		})
	}
}
