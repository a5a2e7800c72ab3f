package migrate

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Mailman 2 keeps a list in config.pck, a Python pickle. listd does not read pickles
// (they are programs as much as data); Mailman's own bin/dumpdb prints one as a
// Python literal (pprint), which this file reads: dicts, lists, tuples, strings
// (Python 2 byte strings with \x escapes, and unicode strings), numbers, True, False,
// None, calls such as set([...]), and "<... instance at 0x...>" placeholders for
// objects, which are kept opaque.

type pyKind int

const (
	pyNone pyKind = iota
	pyStr
	pyNum
	pyBool
	pySeq    // list, tuple, set, or a call's arguments
	pyDict   // keys and items in pairs
	pyOpaque // <...> or an unknown name
)

// pyValue is one parsed literal; line is where it starts.
type pyValue struct {
	kind  pyKind
	str   string
	num   float64
	items []*pyValue // pySeq: the elements; pyDict: key, value, key, value, ...
	line  int
}

// get returns the value of a dict's string key, or nil.
func (v *pyValue) get(key string) *pyValue {
	if v == nil || v.kind != pyDict {
		return nil
	}
	for i := 0; i+1 < len(v.items); i += 2 {
		if k := v.items[i]; k.kind == pyStr && k.str == key {
			return v.items[i+1]
		}
	}
	return nil
}

// maxPyDepth bounds nesting, so that no input can exhaust the stack.
const maxPyDepth = 64

type pyParser struct {
	s    string
	pos  int
	line int
}

// parsePyLiteral reads one Python literal from the start of s (after blanks) and
// returns it with the rest of s.
func parsePyLiteral(s string, line int) (*pyValue, string, error) {
	p := &pyParser{s: s, line: line}
	v, err := p.value(0)
	if err != nil {
		return nil, "", err
	}
	return v, p.s[p.pos:], nil
}

func (p *pyParser) errorf(format string, args ...any) error {
	return fmt.Errorf("line %d: %s", p.line, fmt.Sprintf(format, args...))
}

func (p *pyParser) skipSpace() {
	for p.pos < len(p.s) {
		switch c := p.s[p.pos]; c {
		case '\n':
			p.line++
			p.pos++
		case ' ', '\t', '\r', '\f', '\\':
			p.pos++
		default:
			return
		}
	}
}

func (p *pyParser) value(depth int) (*pyValue, error) {
	if depth > maxPyDepth {
		return nil, p.errorf("nested too deep")
	}
	p.skipSpace()
	if p.pos >= len(p.s) {
		return nil, p.errorf("unexpected end")
	}
	start := p.line
	c := p.s[p.pos]
	switch {
	case c == '{':
		p.pos++
		v := &pyValue{kind: pyDict, line: start}
		for {
			p.skipSpace()
			if p.peek('}') {
				return v, nil
			}
			k, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			p.skipSpace()
			if !p.peek(':') {
				return nil, p.errorf("':' expected in a dict")
			}
			val, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			v.items = append(v.items, k, val)
			p.skipSpace()
			if !p.peek(',') && !(p.pos < len(p.s) && p.s[p.pos] == '}') {
				return nil, p.errorf("',' or '}' expected in a dict")
			}
		}
	case c == '[' || c == '(':
		p.pos++
		end := byte(']')
		if c == '(' {
			end = ')'
		}
		return p.seq(end, start, depth)
	case c == '<':
		// An object pprint cannot show: <Mailman.Bouncer._BounceInfo instance at 0x...>.
		i := strings.IndexByte(p.s[p.pos:], '>')
		if i < 0 {
			return nil, p.errorf("unterminated <...>")
		}
		p.line += strings.Count(p.s[p.pos:p.pos+i], "\n")
		p.pos += i + 1
		return &pyValue{kind: pyOpaque, line: start}, nil
	case c == '\'' || c == '"':
		return p.strings(start, false)
	case c == '-' || c == '+' || c == '.' || '0' <= c && c <= '9':
		return p.number(start)
	case isIdentStart(c):
		j := p.pos
		for j < len(p.s) && (isIdentStart(p.s[j]) || '0' <= p.s[j] && p.s[j] <= '9' || p.s[j] == '.') {
			j++
		}
		word := p.s[p.pos:j]
		// String prefixes: u, b, r, ur.
		if j < len(p.s) && (p.s[j] == '\'' || p.s[j] == '"') && len(word) <= 2 && strings.Trim(strings.ToLower(word), "ubr") == "" {
			p.pos = j
			return p.strings(start, strings.ContainsAny(word, "uU"))
		}
		p.pos = j
		switch word {
		case "None":
			return &pyValue{kind: pyNone, line: start}, nil
		case "True", "False":
			return &pyValue{kind: pyBool, num: map[bool]float64{true: 1}[word == "True"], line: start}, nil
		}
		p.skipSpace()
		if p.peek('(') {
			return p.seq(')', start, depth) // set([...]), OrderedDict(...), datetime(...)
		}
		return &pyValue{kind: pyOpaque, str: word, line: start}, nil
	}
	return nil, p.errorf("unexpected %q", c)
}

func isIdentStart(c byte) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

func (p *pyParser) peek(c byte) bool {
	if p.pos < len(p.s) && p.s[p.pos] == c {
		p.pos++
		return true
	}
	return false
}

func (p *pyParser) seq(end byte, start, depth int) (*pyValue, error) {
	v := &pyValue{kind: pySeq, line: start}
	for {
		p.skipSpace()
		if p.peek(end) {
			return v, nil
		}
		item, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		v.items = append(v.items, item)
		p.skipSpace()
		if !p.peek(',') && !(p.pos < len(p.s) && p.s[p.pos] == end) {
			return nil, p.errorf("',' or %q expected", end)
		}
	}
}

func (p *pyParser) number(start int) (*pyValue, error) {
	j := p.pos
	for j < len(p.s) && strings.IndexByte("+-0123456789.eExXabcdefABCDEF", p.s[j]) >= 0 {
		j++
	}
	text := p.s[p.pos:j]
	if j < len(p.s) && (p.s[j] == 'L' || p.s[j] == 'l') {
		j++ // Python 2 long
	}
	p.pos = j
	if n, err := strconv.ParseFloat(text, 64); err == nil {
		return &pyValue{kind: pyNum, num: n, line: start}, nil
	}
	if n, err := strconv.ParseInt(text, 0, 64); err == nil {
		return &pyValue{kind: pyNum, num: float64(n), line: start}, nil
	}
	return nil, p.errorf("bad number %q", text)
}

// strings reads one string literal and those adjacent to it ('ab' 'cd' is 'abcd', as
// pprint splits long strings).
func (p *pyParser) strings(start int, unicode bool) (*pyValue, error) {
	var b strings.Builder
	for {
		s, err := p.oneString(unicode)
		if err != nil {
			return nil, err
		}
		b.WriteString(s)
		save, saveLine := p.pos, p.line
		p.skipSpace()
		j := p.pos
		for j < len(p.s) && j-p.pos < 2 && strings.IndexByte("uUbBrR", p.s[j]) >= 0 {
			j++
		}
		if j < len(p.s) && (p.s[j] == '\'' || p.s[j] == '"') {
			unicode = unicode || strings.ContainsAny(p.s[p.pos:j], "uU")
			p.pos = j
			continue
		}
		p.pos, p.line = save, saveLine
		return &pyValue{kind: pyStr, str: latin1IfNotUTF8(b.String()), line: start}, nil
	}
}

// oneString reads a quoted string with Python's escapes. In unicode strings (u"...") \x escapes
// are code points; in Mailman 2's byte strings they are bytes in the list's charset
// (UTF-8, or else Latin-1, which latin1IfNotUTF8 turns into UTF-8).
func (p *pyParser) oneString(unicode bool) (string, error) {
	q := p.s[p.pos]
	p.pos++
	var b []byte
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		p.pos++
		switch {
		case c == q:
			return string(b), nil
		case c == '\n':
			return "", p.errorf("line end in a string")
		case c != '\\':
			b = append(b, c)
		case p.pos >= len(p.s):
			return "", p.errorf("unterminated string")
		default:
			e := p.s[p.pos]
			p.pos++
			switch e {
			case 'n':
				b = append(b, '\n')
			case 't':
				b = append(b, '\t')
			case 'r':
				b = append(b, '\r')
			case 'x', 'u', 'U':
				n := map[byte]int{'x': 2, 'u': 4, 'U': 8}[e]
				if p.pos+n > len(p.s) {
					return "", p.errorf("short \\%c escape", e)
				}
				r, err := strconv.ParseUint(p.s[p.pos:p.pos+n], 16, 32)
				if err != nil {
					return "", p.errorf("bad \\%c escape", e)
				}
				p.pos += n
				if e == 'x' && !unicode {
					b = append(b, byte(r))
				} else {
					b = utf8.AppendRune(b, rune(r))
				}
			case '0', '1', '2', '3', '4', '5', '6', '7':
				j := p.pos - 1
				for j < len(p.s) && j < p.pos+2 && '0' <= p.s[j] && p.s[j] <= '7' {
					j++
				}
				r, _ := strconv.ParseUint(p.s[p.pos-1:j], 8, 16)
				b = append(b, byte(r))
				p.pos = j
			case '\n':
				p.line++
			default:
				b = append(b, e) // \\, \', \" and unknown escapes
			}
		}
	}
	return "", p.errorf("unterminated string")
}

// latin1IfNotUTF8 reads bytes that are not UTF-8 as Latin-1.
func latin1IfNotUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	r := make([]rune, 0, len(s))
	for i := 0; i < len(s); i++ {
		r = append(r, rune(s[i]))
	}
	return string(r)
}
