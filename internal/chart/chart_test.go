package chart

import (
	"bytes"
	"encoding/xml"
	"io"
	"math"
	"strings"
	"testing"
)

// parse checks that b is one well-formed XML element and returns its text.
func parse(t *testing.T, b []byte) (root xml.StartElement, text string) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(b))
	depth := 0
	var sb strings.Builder
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not XML: %v\n%s", err, b)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				if root.Name.Local != "" {
					t.Fatalf("more than one root element:\n%s", b)
				}
				root = e.Copy()
			}
			depth++
		case xml.EndElement:
			depth--
		case xml.CharData:
			sb.Write(e)
		}
	}
	if depth != 0 || root.Name.Local != "svg" {
		t.Fatalf("want one <svg> element:\n%s", b)
	}
	return root, sb.String()
}

func attr(e xml.StartElement, name string) string {
	for _, a := range e.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func TestSVG(t *testing.T) {
	points := []Point{{Label: "11/26", Value: 12}, {Label: "12/26", Value: 0, Text: "<5"}, {Label: "01/27", Value: 7}}
	for _, tc := range []struct {
		name  string
		c     Chart
		parts []string
	}{
		{"bars", Chart{ID: "posters", Title: "Schreibende <pro> Monat", Desc: "Anzahl & Monat", Points: points},
			[]string{`<rect `, `Schreibende &lt;pro&gt; Monat`, `Anzahl &amp; Monat`, `&lt;5`, `11/26`}},
		{"line", Chart{ID: "joined", Title: "Neu", Desc: "d", Kind: Line, Points: points}, []string{`<polyline `, `<circle `}},
		{"empty", Chart{ID: "x", Title: "Leer", Desc: "nichts"}, []string{`<title id="x-title">Leer</title>`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.c.SVG()
			root, text := parse(t, b)
			if attr(root, "role") != "img" || attr(root, "viewBox") == "" || attr(root, "aria-labelledby") != tc.c.ID+"-title "+tc.c.ID+"-desc" {
				t.Errorf("root attributes: %v", root.Attr)
			}
			if !strings.Contains(text, tc.c.Title) || !strings.Contains(text, tc.c.Desc) {
				t.Errorf("title or description missing from the text %q", text)
			}
			for _, p := range tc.parts {
				if !bytes.Contains(b, []byte(p)) {
					t.Errorf("missing %q in\n%s", p, b)
				}
			}
			if bytes.Contains(b, []byte("<script")) || bytes.Contains(b, []byte(" on")) || bytes.Contains(b, []byte("style=")) {
				t.Errorf("script, handler or inline style in\n%s", b)
			}
		})
	}
}

func TestOddValues(t *testing.T) {
	b := Chart{ID: "1 bad\"id", Title: "t", Desc: "d", Points: []Point{{Label: "a", Value: math.NaN()}, {Label: "b", Value: math.Inf(1)},
		{Label: "c", Value: -3}}}.SVG()
	root, _ := parse(t, b)
	if got := attr(root, "aria-labelledby"); got != "chart1badid-title chart1badid-desc" {
		t.Errorf("id: %q", got)
	}
	if bytes.Contains(b, []byte("NaN")) || bytes.Contains(b, []byte("Inf")) || bytes.Contains(b, []byte("-")) && bytes.Contains(b, []byte(`height="-`)) {
		t.Errorf("odd values drawn:\n%s", b)
	}
}

// Many points still give labels that do not overlap: every one is written in the
// table beside the chart anyway.
func TestManyPoints(t *testing.T) {
	var ps []Point
	for i := 0; i < 100; i++ {
		ps = append(ps, Point{Label: "01/26", Value: float64(i)})
	}
	b := Chart{ID: "m", Title: "t", Desc: "d", Points: ps}.SVG()
	parse(t, b)
	if n := bytes.Count(b, []byte("01/26")); n >= 100 || n == 0 {
		t.Errorf("%d labels of 100 points", n)
	}
}

func FuzzSVG(f *testing.F) {
	for _, s := range []string{"Kita", "<script>alert(1)</script>", "a&b", "\x00\x01\xff", "]]>", `"'`, "März 2026", "\uFFFE"} {
		f.Add(s, s, 3.5)
	}
	f.Fuzz(func(t *testing.T, label, title string, v float64) {
		c := Chart{ID: label, Title: title, Desc: label, Points: []Point{{Label: label, Value: v, Text: label}, {Label: title, Value: 1}}}
		for _, k := range []Kind{Bars, Line} {
			c.Kind = k
			b := c.SVG()
			_, text := parse(t, b)
			if strings.ToValidUTF8(title, "") != "" && strings.TrimSpace(title) == title && isPlain(title) && !strings.Contains(text, title) {
				t.Errorf("title %q not in the chart's text %q", title, text)
			}
		}
	})
}

// isPlain reports whether s has only runes XML keeps as they are.
func isPlain(s string) bool {
	for _, r := range s {
		if r == '\uFFFD' || r < 0x20 || r == '\r' || r >= 0xFFFE || r >= 0xD800 && r <= 0xDFFF {
			return false
		}
	}
	return true
}
