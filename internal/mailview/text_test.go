package mailview

import (
	"strings"
	"testing"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// textMail builds a single-part text/plain message.
func textMail(ctype, body string) []byte {
	return []byte("From: Alice <alice@example.org>\r\nSubject: t\r\nMIME-Version: 1.0\r\nContent-Type: " +
		ctype + "\r\n\r\n" + body)
}

// textBody renders a text/plain message and returns the inside of its mv-text div.
func textBody(t *testing.T, ctype, body string, opt Options) string {
	t.Helper()
	v, err := Render(textMail(ctype, body), opt)
	if err != nil {
		t.Fatal(err)
	}
	if err := checkSafe(string(v.Body), opt.MaskAddresses); err != nil {
		t.Fatalf("%v: %s", err, v.Body)
	}
	s := string(v.Body)
	const open, end = `<div class="mv-text">`, `</div>`
	if !strings.HasPrefix(s, open) || !strings.HasSuffix(s, end) {
		t.Fatalf("body not in mv-text: %q", s)
	}
	return s[len(open) : len(s)-len(end)]
}

const rel = `" rel="nofollow noopener noreferrer ugc">`

func TestTextRendering(t *testing.T) {
	const plain = "text/plain; charset=utf-8"
	const flowed = "text/plain; charset=utf-8; format=flowed"
	tests := []struct {
		name, ctype, in, want string
		opt                   Options
	}{
		{name: "escaping", ctype: plain,
			in:   "<script>alert(\"x\") & 'y'</script>\r\n<b>bold</b> &amp;",
			want: "&lt;script&gt;alert(&#34;x&#34;) &amp; &#39;y&#39;&lt;/script&gt;\n&lt;b&gt;bold&lt;/b&gt; &amp;amp;\n"},
		{name: "line breaks kept", ctype: plain,
			in:   "eins\r\nzwei\r\n\r\n  drei mit Einzug\rvier\n",
			want: "eins\nzwei\n\n  drei mit Einzug\nvier\n"},
		{name: "controls removed", ctype: plain,
			in:   "a\x00b\x07c\x1bd\x7fe\u0085f\ufeffg\th",
			want: "abcdefg\th\n"},
		{name: "links", ctype: plain,
			in: "Siehe https://example.org/a_(b) und (https://example.org/c). Oder http://x.example/?a=1&b=2, bitte!",
			want: `Siehe <a href="https://example.org/a_(b)` + rel + `https://example.org/a_(b)</a> und (` +
				`<a href="https://example.org/c` + rel + `https://example.org/c</a>). Oder ` +
				`<a href="http://x.example/?a=1&amp;b=2` + rel + `http://x.example/?a=1&amp;b=2</a>, bitte!` + "\n"},
		{name: "link in angle brackets and quotes", ctype: plain,
			in:   `<https://example.org/x> "https://example.org/y" HTTPS://EXAMPLE.ORG/Z`,
			want: `&lt;<a href="https://example.org/x` + rel + `https://example.org/x</a>&gt; &#34;<a href="https://example.org/y` + rel + `https://example.org/y</a>&#34; <a href="HTTPS://EXAMPLE.ORG/Z` + rel + `HTTPS://EXAMPLE.ORG/Z</a>` + "\n"},
		{name: "only http and https are links", ctype: plain,
			in:   "javascript:alert(1) ftp://x.example/ xhttps://a.example/ https:// mailto:a@b.example data:text/html,x",
			want: "javascript:alert(1) ftp://x.example/ xhttps://a.example/ https:// mailto:a@b.example data:text/html,x\n"},
		{name: "link with quote character is escaped", ctype: plain,
			in:   `https://example.org/'onmouseover=alert(1)'x`,
			want: `<a href="https://example.org/&#39;onmouseover=alert(1)&#39;x` + rel + `https://example.org/&#39;onmouseover=alert(1)&#39;x</a>` + "\n"},
		{name: "short quote", ctype: plain,
			in:   "Am Montag schrieb Bob:\n> eins\n> zwei\n\nAntwort",
			want: "Am Montag schrieb Bob:\n" + `<blockquote class="mv-quote">eins` + "\nzwei\n</blockquote>\nAntwort\n"},
		{name: "long quote folded", ctype: plain,
			in: "Oben\n> 1\n> 2\n> 3\n> 4\n> 5\nUnten",
			want: "Oben\n" + `<details class="mv-fold"><summary>Zitat (5 Zeilen)</summary><blockquote class="mv-quote">` +
				"1\n2\n3\n4\n5\n</blockquote></details>Unten\n"},
		{name: "long quote folded, English", ctype: plain, opt: Options{Lang: "en"},
			in:   "> 1\n> 2\n> 3\n> 4\n> 5",
			want: `<details class="mv-fold"><summary>Quoted text (5 lines)</summary><blockquote class="mv-quote">` + "1\n2\n3\n4\n5\n</blockquote></details>"},
		{name: "nested quotes", ctype: plain,
			in: "> a\n>> b\n> > c\n>>> d\n> e",
			want: `<details class="mv-fold"><summary>Zitat (5 Zeilen)</summary><blockquote class="mv-quote">a` + "\n" +
				`<blockquote class="mv-quote">b` + "\nc\n" + `<blockquote class="mv-quote">d` + "\n</blockquote></blockquote>e\n</blockquote></details>"},
		{name: "quoted markup is escaped", ctype: plain,
			in:   "> <img src=x onerror=alert(1)>",
			want: `<blockquote class="mv-quote">&lt;img src=x onerror=alert(1)&gt;` + "\n</blockquote>"},
		{name: "deep quote capped", ctype: plain,
			in:   strings.Repeat(">", 50) + " deep",
			want: strings.Repeat(`<blockquote class="mv-quote">`, maxQuoteDepth) + "deep\n" + strings.Repeat(`</blockquote>`, maxQuoteDepth)},
		{name: "signature", ctype: plain,
			in: "Gruß\nAlice\n\n-- \nAlice Beispiel\nhttps://alice.example",
			want: "Gruß\nAlice\n" + `<details class="mv-sig"><summary>Signatur</summary>Alice Beispiel` + "\n" +
				`<a href="https://alice.example` + rel + `https://alice.example</a>` + "\n</details>"},
		{name: "signature without trailing space", ctype: plain,
			in:   "Text\n--\nSig",
			want: "Text\n" + `<details class="mv-sig"><summary>Signatur</summary>Sig` + "\n</details>"},
		{name: "quoted signature is no signature", ctype: plain,
			in:   "> -- \n> sig\nText",
			want: `<blockquote class="mv-quote">-- ` + "\nsig\n</blockquote>Text\n"},
		{name: "flowed paragraphs", ctype: flowed,
			in:   "Dies ist ein langer \r\nAbsatz, der umbrochen \r\nwurde.\r\nNeue Zeile.\r\n\r\nZweiter Absatz.\r\n",
			want: "Dies ist ein langer Absatz, der umbrochen wurde.\nNeue Zeile.\n\nZweiter Absatz.\n"},
		{name: "flowed DelSp", ctype: "text/plain; charset=utf-8; format=flowed; delsp=yes",
			in:   "Donau\r\ndampf \r\nschiff \r\nfahrt.\r\n",
			want: "Donau\ndampfschifffahrt.\n"},
		{name: "flowed quotes and stuffing", ctype: flowed,
			in: "> zitiert und \r\n> fortgesetzt\r\n>> tiefer \r\n>> auch\r\n >kein Zitat\r\n From here\r\n",
			want: `<blockquote class="mv-quote">zitiert und fortgesetzt` + "\n" + `<blockquote class="mv-quote">tiefer auch` + "\n" +
				"</blockquote></blockquote>&gt;kein Zitat\nFrom here\n"},
		{name: "flowed line before depth change is fixed", ctype: flowed,
			in:   "eins \r\n> zwei\r\n",
			want: "eins \n" + `<blockquote class="mv-quote">zwei` + "\n</blockquote>"},
		{name: "flowed signature", ctype: flowed,
			in:   "Ende \r\n-- \r\nSig \r\nzeile\r\n",
			want: "Ende \n" + `<details class="mv-sig"><summary>Signatur</summary>Sig zeile` + "\n</details>"},
		{name: "format=fixed is not flowed", ctype: "text/plain; format=fixed",
			in:   "a \r\nb\r\n",
			want: "a \nb\n"},
		{name: "masking", ctype: plain, opt: Options{MaskAddresses: true},
			in: "Schreib an alice@example.org oder <bob.b@mail.example.net>.\nhttps://lists.example.org/u?e=carol@example.org https://lists.example.org/u?e=carol%40example.org https://ok.example/",
			want: "Schreib an a…@… oder &lt;b…@…&gt;.\nhttps://lists.example.org/u?e=c…@… https://lists.example.org/u?e=c…@… " +
				`<a href="https://ok.example/` + rel + `https://ok.example/</a>` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := textBody(t, tt.ctype, tt.in, tt.opt)
			if got != tt.want {
				t.Errorf("got\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

// TestTextEscapesEverything renders every hostile HTML mail as if it were plain text:
// all of it must come out as text, with no element the text renderer did not make.
func TestTextEscapesEverything(t *testing.T) {
	for name, raw := range hostileFiles(t) {
		_, body, ok := strings.Cut(string(raw), "\r\n\r\n")
		if !ok {
			t.Fatalf("%s: no body", name)
		}
		for _, ctype := range []string{"text/plain; charset=utf-8", "text/plain; charset=utf-8; format=flowed; delsp=yes"} {
			v, err := Render(textMail(ctype, body), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if err := checkSafe(string(v.Body), false); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			doc, err := html.ParseFragment(strings.NewReader(string(v.Body)), &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div})
			if err != nil {
				t.Fatal(err)
			}
			var text strings.Builder
			for _, n := range doc {
				for d := range n.Descendants() {
					switch {
					case d.Type == html.TextNode:
						text.WriteString(d.Data)
					case d.Type == html.ElementNode:
						switch d.DataAtom {
						case atom.Div, atom.A, atom.Blockquote, atom.Details, atom.Summary:
						default:
							t.Fatalf("%s: text renderer made <%s>", name, d.Data)
						}
					}
				}
			}
			if strings.Contains(body, "<script") && !strings.Contains(text.String(), "<script") {
				t.Errorf("%s: the markup should show as text", name)
			}
		}
	}
}

func TestQuoteDepth(t *testing.T) {
	tests := []struct {
		in   string
		d    int
		text string
	}{
		{"plain", 0, "plain"}, {"> a", 1, "a"}, {">a", 1, "a"}, {">> a", 2, "a"}, {"> > a", 2, "a"},
		{">  two spaces", 1, " two spaces"}, {" > not", 0, " > not"}, {">", 1, ""}, {"a > b", 0, "a > b"},
	}
	for _, tt := range tests {
		d, text := quoteDepth(tt.in)
		if d != tt.d || text != tt.text {
			t.Errorf("quoteDepth(%q) = %d, %q; want %d, %q", tt.in, d, text, tt.d, tt.text)
		}
	}
}

func TestRenderText(t *testing.T) {
	tests := []struct {
		in, want string
		opt      Options
	}{
		{in: "<b>Hallo</b> & https://example.org/", want: `<div class="mv-text">&lt;b&gt;Hallo&lt;/b&gt; &amp; <a href="https://example.org/` + rel + `https://example.org/</a>` + "\n</div>"},
		{in: "Frag alice@example.org\r\n> a\n> b\n> c\n> d\n> e", opt: Options{MaskAddresses: true, Lang: "en"},
			want: `<div class="mv-text">Frag a…@…` + "\n" + `<details class="mv-fold"><summary>Quoted text (5 lines)</summary><blockquote class="mv-quote">a` + "\nb\nc\nd\ne\n</blockquote></details></div>"},
		{in: "K\xf6ln\x00", want: `<div class="mv-text">Köln` + "\n</div>"},
		{in: "", want: `<div class="mv-text"></div>`},
	}
	for _, tt := range tests {
		got := string(RenderText(tt.in, tt.opt))
		if got != tt.want {
			t.Errorf("RenderText(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
		if err := checkSafe(got, tt.opt.MaskAddresses); err != nil {
			t.Error(err)
		}
	}
}
