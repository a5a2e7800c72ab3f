package textfold

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

func TestFold(t *testing.T) {
	tests := []struct {
		in    string
		rules Rules
		want  string
	}{
		{"Mütter", Index, "mutter"},
		{"MUETTER", Index, "muetter"},
		{"Straße", Index, "straße"},
		{"STRAẞE", Index, "straße"},
		{"Crème", Index, "creme"},
		{"u\u0308ber", Index, "uber"},
		{"Kitaplatz", Index, "kitaplatz"},
		{"Yılmaz", Index, "yılmaz"},

		{"Schüler", Topic, "schuler"},
		{"Schueler", Topic, "schuler"},
		{"  häusliche   Gewalt ", Topic, "hausliche gewalt"},
		{"Straße", Topic, "strasse"},
		{"STRAẞE", Topic, "strasse"},
		{"Crèche", Topic, "creche"},
		{"neue Wege", Topic, "neu wege"},
		{"Kita ßtraße", Topic, "kita sstrasse"}, // the space before ß stays
		{"Postal code", Header, "postalcode"},
		{"postal_code", Header, "postalcode"},
		{"E-Mail", Header, "email"},
		{"Straße.Nr", Header, "strassenr"},

		{"KÜNDIGEN", Spelled, "kuendigen"},
		{"Straße", Spelled, "strasse"},
		{"u\u0308bernehmen", Spelled, "uebernehmen"},
		{"Crème", Spelled, "crème"},
		{"ok", Spelled, "ok"},

		{"kuehlschrank", Index | Digraphs | FinalDigraphs, "kuhlschrank"},
		{"neue", Index | Digraphs | FinalDigraphs, "neue"},
		{"blue toe", Digraphs | FinalDigraphs, "blue toe"},
		{"blues", Digraphs | FinalDigraphs, "blus"},
		{"Größe", Index | Umlauts, "groeße"},
		{"Ärger", Umlauts, "Aerger"},
		{"A\u0308rger", Umlauts, "Aerger"},
		{"Ärger", 0, "Ärger"},
		{"a\xffb", Case, "a\uFFFDb"},
	}
	for _, tt := range tests {
		if got := Fold(tt.in, tt.rules); got != tt.want {
			t.Errorf("Fold(%q, %b) = %q, want %q", tt.in, tt.rules, got, tt.want)
		}
	}
}

// The foldings as they were written before this package, each where it was used:
// Fold must give the same results (the search index's words must not change; the
// others fold both sides of comparisons with stored words and vocabularies).

// oldIndex was store's fold.
func oldIndex(w string) string {
	ascii := true
	for i := 0; i < len(w); i++ {
		if w[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return strings.ToLower(w)
	}
	var b strings.Builder
	for _, r := range norm.NFD.String(w) {
		if !unicode.Is(unicode.Mn, r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// oldSpelledForm was store's spelling of a lower-case NFC word with its umlauts
// written out.
func oldSpelledForm(tok string) string {
	return oldIndex(strings.NewReplacer("ä", "ae", "ö", "oe", "ü", "ue").Replace(tok))
}

// oldCollapse was store's collapseDigraphs, on a folded word.
func oldCollapse(w string) string {
	var b strings.Builder
	for i := 0; i < len(w); i++ {
		c := w[i]
		b.WriteByte(c)
		if (c == 'a' || c == 'o' || c == 'u') && i+2 < len(w) && w[i+1] == 'e' {
			i++
		}
	}
	return b.String()
}

// oldSpelled was mailtext's Fold.
func oldSpelled(s string) string {
	return strings.NewReplacer(
		"ä", "ae", "ö", "oe", "ü", "ue", "ß", "ss",
		"a\u0308", "ae", "o\u0308", "oe", "u\u0308", "ue",
	).Replace(strings.ToLower(s))
}

// oldCounsel was counsel's fold (FoldTopic, and foldHeader with header set).
func oldCounsel(s string, header bool) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			s = norm.NFD.String(s)
			break
		}
	}
	var b strings.Builder
	space := false
	for _, r := range s {
		switch {
		case r == 'ß' || r == 'ẞ':
			b.WriteString("ss")
			space = false
			continue
		case unicode.Is(unicode.Mn, r):
			continue
		case unicode.IsSpace(r) || (header && (r == '-' || r == '_' || r == '.')):
			if !header {
				space = b.Len() > 0
			}
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(unicode.ToLower(r))
	}
	out := []byte{}
	w := b.String()
	for i := 0; i < len(w); i++ {
		out = append(out, w[i])
		if (w[i] == 'a' || w[i] == 'o' || w[i] == 'u') && i+1 < len(w) && w[i+1] == 'e' {
			i++
		}
	}
	return string(out)
}

// words are German and English words as lists see them, with the spellings the
// foldings are about.
var words = []string{
	"", "a", "Kita", "Kitaplatz", "kita-gebühren", "Mütter", "Muetter", "MUTTER", "Väter",
	"Köln", "koeln", "Straße", "STRASSE", "STRAẞE", "Strasse", "Grüße", "Gruesse", "groß",
	"Weiß", "Jürgen", "Özlem", "Sören", "Björn", "Gül", "Yılmaz", "Dilek", "İstanbul",
	"neue", "blue", "due", "du", "toe", "Kuehlschrank", "Aerger", "Ärger", "A\u0308rger",
	"u\u0308bernehmen", "Crème", "Crèche", "naïve", "façade", "Ångström", "Øresund", "Łódź",
	"ǘ", "ǖ", "ȫ", "ǟ", "ṏ", "Ä\u0301", "a\u0301\u0308", "ﬁnden", "Ǆ", "ǅ", "K", "Å",
	"Unterhaltsvorschuss", "Umgangsrecht", "Ferienbetreuung", "häusliche Gewalt",
	"  Häusliche   Gewalt ", "Postal code", "postal_code", "E-Mail", "Straße.Nr", "Kita ßtraße",
	"Liebe Grüße", "Mit freundlichen Grüßen", "KÜNDIGEN", "abbestellen", "Ελληνικά", "ПРИВЕТ",
	"日本語", "😀", "a\xffb", "\xc3", "e\u0301\u0301", "\u0308", "ä\u0308", "ss", "ßß",
}

func sameAsBefore(t *testing.T, in string) {
	t.Helper()
	if got, want := Fold(in, Index), oldIndex(in); got != want {
		t.Errorf("Fold(%q, Index) = %q, before %q", in, got, want)
	}
	if got, want := Fold(in, Spelled), oldSpelled(in); got != want {
		t.Errorf("Fold(%q, Spelled) = %q, before %q", in, got, want)
	}
	if got, want := Fold(in, Header), oldCounsel(in, true); got != want {
		t.Errorf("Fold(%q, Header) = %q, before %q", in, got, want)
	}
	if got, want := Fold(in, Topic), oldCounsel(in, false); got != want && !spaceBeforeSharpS(in) {
		t.Errorf("Fold(%q, Topic) = %q, before %q", in, got, want)
	}
	// The search's spellings of a query word: tokens are lower case NFC words.
	if tok := strings.ToLower(norm.NFC.String(in)); !strings.ContainsFunc(tok, unicode.IsSpace) {
		if got, want := Fold(tok, Index|Umlauts), oldSpelledForm(tok); strings.ContainsAny(tok, "äöü") && got != want {
			t.Errorf("Fold(%q, Index|Umlauts) = %q, before %q", tok, got, want)
		}
		if got, want := Fold(tok, Index|Digraphs|FinalDigraphs), oldCollapse(oldIndex(tok)); got != want {
			t.Errorf("Fold(%q, Index|Digraphs|FinalDigraphs) = %q, before %q", tok, got, want)
		}
	}
}

// spaceBeforeSharpS says whether counsel's old folding lost a space in s: it dropped
// white space before ß or ẞ ("a ßb" was "assb").
func spaceBeforeSharpS(s string) bool {
	s = strings.TrimLeftFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.Is(unicode.Mn, r) })
	prevSpace := false
	for _, r := range s {
		if (r == 'ß' || r == 'ẞ') && prevSpace {
			return true
		}
		if !unicode.Is(unicode.Mn, r) {
			prevSpace = unicode.IsSpace(r)
		}
	}
	return false
}

func TestFoldAsBefore(t *testing.T) {
	for _, w := range words {
		sameAsBefore(t, w)
	}
}

// TestFoldEveryRune compares every assigned rune of the Basic Multilingual Plane
// (but the CJK ideographs and private use) alone, after a vowel, before a diaeresis,
// and at the end of a word after another.
func TestFoldEveryRune(t *testing.T) {
	last := rune(0xFFFF)
	if testing.Short() {
		last = 0x3000
	}
	for r := rune(0); r <= last; r++ {
		if !utf8.ValidRune(r) || unicode.Is(unicode.Co, r) || 0x4E00 <= r && r <= 0x9FFF ||
			!unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Z, unicode.C) {
			continue
		}
		c := string(r)
		for _, in := range []string{c, "a" + c, c + "\u0308", "x " + c + "e"} {
			sameAsBefore(t, in)
		}
		if t.Failed() {
			return
		}
	}
}

// TestFoldRandom compares random strings of the runes the rules are about.
func TestFoldRandom(t *testing.T) {
	alphabet := []string{"a", "e", "o", "u", "s", "ä", "Ö", "ü", "ß", "ẞ", " ", "\t", "-", "_", ".", "A", "U",
		"\u0308", "\u0301", "\u0323", "é", "ǘ", "ı", "İ", "\xff", "\xc3"}
	r := rand.New(rand.NewPCG(1, 2))
	for range 50000 {
		var b strings.Builder
		for k := r.IntN(12); k > 0; k-- {
			b.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		if sameAsBefore(t, b.String()); t.Failed() {
			return
		}
	}
}

func FuzzFold(f *testing.F) {
	for _, w := range words {
		f.Add(w)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sameAsBefore(t, s)
		for _, r := range []Rules{Index, Topic, Header, Spelled} {
			if got := Fold(s, r); !utf8.ValidString(got) {
				t.Errorf("Fold(%q, %b) = %q: not UTF-8", s, r, got)
			}
		}
	})
}
