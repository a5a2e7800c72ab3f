package mailview

import (
	"fmt"
	"strings"
)

const (
	// foldLines is the length above which a quote is folded into <details>.
	foldLines = 4
	// maxQuoteDepth caps the nesting of <blockquote>: deeper quotes are shown at this
	// level, so a line of a thousand ">" cannot build a thousand elements.
	maxQuoteDepth = 8
)

// textLine is one logical line of a text body: its quote depth and its text with the
// quote markers removed.
type textLine struct {
	depth int
	text  string
}

// splitText cuts a decoded text body into logical lines. With format=flowed
// (RFC 3676) soft-broken lines are joined into one per paragraph, DelSp=yes removing
// the space before each soft break; otherwise each line stands as written.
func splitText(s string, flowed, delSp bool) []textLine {
	s = strings.TrimRight(s, " \t\n")
	if s == "" {
		return nil
	}
	var out []textLine
	var para strings.Builder
	paraDepth, open := 0, false
	flush := func() {
		if open {
			out = append(out, textLine{paraDepth, para.String()})
			para.Reset()
			open = false
		}
	}
	for line := range strings.SplitSeq(s, "\n") {
		if !flowed {
			d, t := quoteDepth(line)
			out = append(out, textLine{min(d, maxQuoteDepth), t})
			continue
		}
		d := 0
		for d < len(line) && line[d] == '>' {
			d++
		}
		t := strings.TrimPrefix(line[d:], " ") // space-stuffing
		d = min(d, maxQuoteDepth)
		if open && d != paraDepth {
			flush() // a flowed line before a change of depth is taken as fixed
		}
		if t == "-- " {
			flush()
			out = append(out, textLine{d, t})
			continue
		}
		soft := strings.HasSuffix(t, " ")
		if soft && delSp {
			t = t[:len(t)-1]
		}
		para.WriteString(t)
		paraDepth, open = d, true
		if !soft {
			flush()
		}
	}
	flush()
	return out
}

// quoteDepth reads the quote markers of a fixed line: ">", ">>" and "> >" all count,
// and one space after the last marker belongs to the marker.
func quoteDepth(line string) (int, string) {
	d, i := 0, 0
	for i < len(line) {
		if line[i] == '>' {
			d++
			i++
			continue
		}
		if d > 0 && line[i] == ' ' && i+1 < len(line) && line[i+1] == '>' {
			i++
			continue
		}
		break
	}
	t := line[i:]
	if d > 0 {
		t = strings.TrimPrefix(t, " ")
	}
	return d, t
}

// sigStart is the index of the signature separator ("-- ", or "--" from clients that
// strip trailing blanks) outside quotes, or -1.
func sigStart(lines []textLine) int {
	for i, l := range lines {
		if l.depth == 0 && (l.text == "-- " || l.text == "--") {
			return i
		}
	}
	return -1
}

// writeText renders a text body into r.b.
func (r *renderer) writeText(s string, flowed, delSp bool) {
	lines := splitText(s, flowed, delSp)
	r.b.WriteString(`<div class="mv-text">`)
	body, sig := lines, []textLine(nil)
	if i := sigStart(lines); i >= 0 {
		body, sig = lines[:i], lines[i+1:]
		for len(body) > 0 && body[len(body)-1].depth == 0 && strings.TrimSpace(body[len(body)-1].text) == "" {
			body = body[:len(body)-1]
		}
	}
	r.writeLines(body, 0)
	if len(sig) > 0 {
		r.b.WriteString(`<details class="mv-sig"><summary>`)
		r.b.WriteString(r.w.sig)
		r.b.WriteString(`</summary>`)
		r.writeLines(sig, 0)
		r.b.WriteString(`</details>`)
	}
	r.b.WriteString(`</div>`)
}

// writeLines writes lines at the given depth and opens a quote for each run of
// deeper lines. Each line ends in "\n"; a line end right before a block does not
// show, so blocks need no extra breaks.
func (r *renderer) writeLines(lines []textLine, depth int) {
	for i := 0; i < len(lines); {
		if lines[i].depth <= depth {
			r.writeLine(lines[i].text)
			r.b.WriteByte('\n')
			i++
			continue
		}
		j := i + 1
		for j < len(lines) && lines[j].depth > depth {
			j++
		}
		fold := j-i > foldLines
		if fold {
			r.b.WriteString(`<details class="mv-fold"><summary>`)
			fmt.Fprintf(&r.b, r.w.quote, j-i)
			r.b.WriteString(`</summary>`)
		}
		r.b.WriteString(`<blockquote class="mv-quote">`)
		r.writeLines(lines[i:j], depth+1)
		r.b.WriteString(`</blockquote>`)
		if fold {
			r.b.WriteString(`</details>`)
		}
		i = j
	}
}

// writeLine writes one line, escaped, with its http and https URLs as links. With
// masking, a URL that carries an address is shown masked and not linked.
func (r *renderer) writeLine(s string) {
	for s != "" {
		start, end := nextURL(s)
		if start < 0 {
			r.writeEscaped(s)
			return
		}
		r.writeEscaped(s[:start])
		u := s[start:end]
		if h, ok := safeLink(u); ok && !(r.opt.MaskAddresses && hasAddress(u)) {
			r.b.WriteString(`<a href="`)
			escapeTo(&r.b, h)
			r.b.WriteString(`" rel="` + linkRel + `">`)
			escapeTo(&r.b, u)
			r.b.WriteString(`</a>`)
		} else {
			r.writeEscaped(u)
		}
		s = s[end:]
	}
}

func (r *renderer) writeEscaped(s string) {
	if r.opt.MaskAddresses {
		s = Mask(s)
	}
	escapeTo(&r.b, s)
}

// escapeTo writes s with the five HTML special characters escaped.
func escapeTo(b *strings.Builder, s string) {
	last := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch s[i] {
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '&':
			esc = "&amp;"
		case '"':
			esc = "&#34;"
		case '\'':
			esc = "&#39;"
		default:
			continue
		}
		b.WriteString(s[last:i])
		b.WriteString(esc)
		last = i + 1
	}
	b.WriteString(s[last:])
}
