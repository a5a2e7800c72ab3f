package mailview

import (
	"fmt"
	"strings"
	"testing"
)

// tree prints a parsed message as type[disposition](body) with children in braces.
func tree(p *part) string {
	var b strings.Builder
	b.WriteString(p.ctype)
	if p.disp != "" {
		b.WriteString("[" + p.disp + "]")
	}
	if len(p.children) == 0 {
		fmt.Fprintf(&b, "(%s)", p.body)
		return b.String()
	}
	b.WriteString("{")
	for i, c := range p.children {
		if i > 0 {
			b.WriteString(" ")
		}
		b.WriteString(tree(c))
	}
	b.WriteString("}")
	return b.String()
}

func TestParseStructure(t *testing.T) {
	tests := []struct {
		name, raw, want string
		errs            int
	}{
		{name: "single part", raw: "Content-Type: text/plain\r\n\r\nbody\r\n", want: "text/plain(body\r\n)"},
		{name: "no header", raw: "just text\nmore", want: "text/plain(just text\nmore)"},
		{name: "indented first line", raw: "  indented\nSubject: no\n", want: "text/plain(  indented\nSubject: no\n)"},
		{name: "leading blank line", raw: "\r\nbody", want: "text/plain(body)"},
		{name: "mbox separator", raw: "From alice@example.org Mon Mar  2 10:00:00 2026\nSubject: x\n\nbody", want: "text/plain(body)"},
		{name: "header ends at a non-field line", raw: "Subject: x\nnot a header\nbody", want: "text/plain(not a header\nbody)", errs: 1},
		{name: "blank before colon is a field, as in the copies", raw: "Content-Type : text/html\n\n<p>x", want: "text/html(<p>x)"},
		{name: "8-bit field name ends the header", raw: "Subject: x\nF\xfc: y\n\nbody", want: "text/plain(F\xfc: y\n\nbody)", errs: 1},
		{name: "folded content type", raw: "Content-Type: multipart/mixed;\r\n\tboundary=\"b\"\r\n\r\n--b\r\n\r\none\r\n--b--\r\n", want: "multipart/mixed{text/plain(one)}"},
		{name: "parts with CRLF", raw: "Content-Type: multipart/mixed; boundary=b\r\n\r\npreamble\r\n--b\r\nContent-Type: text/plain\r\n\r\none\r\n--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment\r\n\r\n%PDF\r\n--b--\r\nepilogue",
			want: "multipart/mixed{text/plain(one) application/pdf[attachment](%PDF)}"},
		{name: "parts with LF and padding", raw: "Content-Type: multipart/mixed; boundary=b\n\n--b  \n\none\n\n--b\t\n\ntwo\n--b--  \n",
			want: "multipart/mixed{text/plain(one\n) text/plain(two)}"},
		{name: "boundary prefix of another", raw: "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: multipart/alternative; boundary=b1\n\n--b1\n\nx\n--b1\n\ny\n--b1--\n--b--\n",
			want: "multipart/mixed{multipart/alternative{text/plain(x) text/plain(y)}}"},
		{name: "boundary inside a line is content", raw: "Content-Type: multipart/mixed; boundary=b\n\n--b\n\na --b b\n--bx\n--b--\n",
			want: "multipart/mixed{text/plain(a --b b\n--bx)}"},
		{name: "unclosed", raw: "Content-Type: multipart/mixed; boundary=b\n\n--b\n\none\n--b\n\ntwo\n", want: "multipart/mixed{text/plain(one) text/plain(two\n)}", errs: 1},
		{name: "no boundary line", raw: "Content-Type: multipart/mixed; boundary=b\n\nplain", want: "multipart/mixed(plain)", errs: 1},
		{name: "no boundary parameter", raw: "Content-Type: multipart/mixed\n\nplain", want: "multipart/mixed(plain)"},
		{name: "part without header", raw: "Content-Type: multipart/mixed; boundary=b\n\n--b\nno header here\n--b--", want: "multipart/mixed{text/plain(no header here)}"},
		{name: "digest", raw: "Content-Type: multipart/digest; boundary=b\n\n--b\n\nSubject: one\n\nbody\n--b--", want: "multipart/digest{message/rfc822(Subject: one\n\nbody)}"},
		{name: "empty content type", raw: "Content-Type: ;;;\n\nx", want: "(x)"},
		{name: "disposition without type params", raw: "Content-Type: image/png\nContent-Disposition: inline;;; filename\n\nx", want: "image/png[inline](x)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := parseMessage([]byte(tt.raw))
			if got := tree(m.root); got != tt.want {
				t.Errorf("tree %q, want %q", got, tt.want)
			}
			if len(m.errs) != tt.errs {
				t.Errorf("errors %q, want %d", m.errs, tt.errs)
			}
		})
	}
}

func TestParseLimits(t *testing.T) {
	var b strings.Builder
	for i := range 50 {
		fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n", i, i)
	}
	b.WriteString("\ninnermost\n")
	m := parseMessage([]byte(b.String()))
	depth := 0
	for p := m.root; len(p.children) > 0; p = p.children[0] {
		depth++
	}
	if depth != maxDepth {
		t.Errorf("depth %d, want %d", depth, maxDepth)
	}
	many := "Content-Type: multipart/mixed; boundary=b\n\n" + strings.Repeat("--b\n\nx\n", 3*maxParts) + "--b--\n"
	m = parseMessage([]byte(many))
	if n := len(m.root.children); n != maxParts-1 {
		t.Errorf("%d parts read", n)
	}
}
