// Package chart draws small charts as SVG on the server: bars or a line over labelled
// points, for pages that must work without JavaScript. A chart is an image to screen
// readers (role="img") named by its title and described by its description; every
// value is also written as text, and the drawing scales to the width it is given
// (viewBox), a phone's 390 pixels included.
package chart

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Kind is how the points are drawn.
type Kind int

const (
	Bars Kind = iota // one bar per point
	Line             // a line through the points, with a dot on each
)

// Point is one value on the chart.
type Point struct {
	Label string  // under the bar or dot (a month, say)
	Value float64 // its height; negative values are drawn as 0
	// Text is the value as written above the bar; "" writes Value. A count too small
	// to show ("<5") has Value 0 and Text "<5".
	Text string
}

// Chart is one chart.
type Chart struct {
	ID     string // prefix of the ids of its title and description, unique on the page
	Title  string
	Desc   string
	Kind   Kind
	Points []Point
}

// The drawing's size in its own units; the SVG scales to the width of its container.
const (
	width     = 400.0
	height    = 220.0
	left      = 8.0
	right     = 8.0
	top       = 22.0
	bottom    = 34.0
	maxLabel  = 24 // runes of a label drawn; the table beside the chart has it whole
	fontSize  = 11
	barColour = "#2b5f8a"
	axisColor = "#555"
)

// SVG returns the chart as an <svg> element: valid XML, every text escaped.
func (c Chart) SVG() []byte {
	var b bytes.Buffer
	id := safeID(c.ID)
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="%s-title %s-desc" viewBox="0 0 %g %g" width="100%%" preserveAspectRatio="xMidYMid meet" class="chart">`,
		id, id, width, height)
	fmt.Fprintf(&b, `<title id="%s-title">%s</title><desc id="%s-desc">%s</desc>`, id, esc(c.Title), id, esc(c.Desc))
	base := height - bottom
	fmt.Fprintf(&b, `<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="%s" stroke-width="1"/>`, left, base, width-right, base, axisColor)
	n := len(c.Points)
	if n == 0 {
		b.WriteString(`</svg>`)
		return b.Bytes()
	}
	maxV := 0.0
	for _, p := range c.Points {
		if v := clean(p.Value); v > maxV {
			maxV = v
		}
	}
	slot := (width - left - right) / float64(n)
	scale := 0.0
	if maxV > 0 {
		scale = (base - top) / maxV
	}
	// Labels are written every step-th point when the slots are too narrow for each.
	step := int(math.Ceil(float64(fontSize*4) / slot))
	if step < 1 {
		step = 1
	}
	// A label takes at most its slot (step slots when not every label is written):
	// about 0.6 em a letter.
	fit := min(maxLabel, max(3, int(slot*float64(step)/(fontSize*0.6))-1))
	var line []string
	for i, p := range c.Points {
		x := left + slot*float64(i)
		cx := x + slot/2
		h := clean(p.Value) * scale
		y := base - h
		switch c.Kind {
		case Line:
			line = append(line, fmt.Sprintf("%s,%s", num(cx), num(y)))
			fmt.Fprintf(&b, `<circle cx="%s" cy="%s" r="3" fill="%s"/>`, num(cx), num(y), barColour)
		default:
			bw := math.Max(slot*0.7, 1)
			fmt.Fprintf(&b, `<rect x="%s" y="%s" width="%s" height="%s" fill="%s"/>`, num(cx-bw/2), num(y), num(bw), num(h), barColour)
		}
		text := p.Text
		if text == "" {
			text = strconv.FormatFloat(clean(p.Value), 'f', -1, 64)
		}
		if slot >= fontSize*2 || i%step == 0 {
			fmt.Fprintf(&b, `<text x="%s" y="%s" font-size="%d" text-anchor="middle" fill="#000">%s</text>`, num(cx), num(y-4), fontSize, esc(clip(text, 8)))
		}
		if i%step == 0 {
			fmt.Fprintf(&b, `<text x="%s" y="%s" font-size="%d" text-anchor="middle" fill="#000">%s</text>`, num(cx), num(base+14), fontSize, esc(clip(p.Label, fit)))
		}
	}
	if c.Kind == Line && len(line) > 1 {
		fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"/>`, strings.Join(line, " "), barColour)
	}
	b.WriteString(`</svg>`)
	return b.Bytes()
}

// clean makes a value drawable: NaN, infinities and negatives are 0.
func clean(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return 0
	}
	return v
}

func num(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

// esc escapes text for XML content and attributes; runes XML does not allow are
// replaced.
func esc(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(strings.ToValidUTF8(s, "\uFFFD")))
	return b.String()
}

// clip shortens s to n runes, with an ellipsis.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// safeID keeps the letters, digits, '-' and '_' of id, so that it cannot end the
// attribute it is written into; "chart" when nothing is left.
func safeID(id string) string {
	var b strings.Builder
	for _, r := range id {
		if r < 128 && (r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 || !(b.String()[0] >= 'a' && b.String()[0] <= 'z' || b.String()[0] >= 'A' && b.String()[0] <= 'Z') {
		return "chart" + b.String()
	}
	return b.String()
}
