package archive

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/textproto"
	"strings"

	"github.com/inbucket/html2text"
	"golang.org/x/net/html/charset"

	"listd/internal/mailmsg"
)

// maxPartDepth bounds the multipart nesting Parse follows; deeper multiparts are
// read as leaves. countHeaderFields bounds the parts themselves.
const maxPartDepth = 50

// errUnreadable is wrapped by readPart's errors: the message cannot be archived.
var errUnreadable = errors.New("unreadable message")

// part is one node of a message's MIME tree as Parse reads it.
type part struct {
	header   textproto.MIMEHeader
	ctype    string // media type, lower-cased; "" when none could be read
	disp     string // disposition type, lower-cased
	content  []byte // a text leaf's content: transfer decoding undone, in UTF-8 where declared
	children []*part
}

// readHeader reads the header of a message or part. Its rule differs from
// mailmsg.SplitHeader's, which the web page and the copies follow, and is kept
// from the parser the archive used before, so that stored texts stay the same: a
// line without a colon continues the field before it (instead of starting the
// body), a line whose field name has bytes outside printable ASCII is skipped, and
// only an empty line or the end ends the header. A header that starts with a
// continuation is unreadable.
func readHeader(raw []byte) (textproto.MIMEHeader, []byte, error) {
	hdr := textproto.MIMEHeader{}
	var key string
	for len(raw) > 0 {
		line := raw
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			line, raw = bytes.TrimSuffix(raw[:i], []byte("\r")), raw[i+1:]
		} else {
			raw = nil
		}
		if len(line) == 0 {
			break
		}
		colon := bytes.IndexByte(line, ':')
		if blank := line[0] == ' ' || line[0] == '\t' || line[0] == '\r'; blank || colon < 0 {
			if key == "" {
				return nil, nil, fmt.Errorf("%w: the header starts with %q", errUnreadable, clipBytes(line, 40))
			}
			if blank {
				line = bytes.TrimSpace(line)
			}
			vs := hdr[key]
			vs[len(vs)-1] = strings.TrimRight(vs[len(vs)-1]+" "+string(line), " \t")
			continue
		}
		if colon == 0 {
			continue
		}
		if i := bytes.Index(line[:colon+1], []byte(" :")); i >= 0 {
			line = append(append(line[:i:i], ':'), line[i+2:]...)
			colon = i
		}
		if !printableName(line[:colon]) {
			continue
		}
		name, value, _ := bytes.Cut(bytes.TrimSpace(line), []byte(":"))
		key = textproto.CanonicalMIMEHeaderKey(string(name))
		hdr[key] = append(hdr[key], strings.Trim(string(value), " \t"))
	}
	return hdr, raw, nil
}

// printableName reports whether a field name has only printable ASCII and spaces.
func printableName(name []byte) bool {
	for _, c := range name {
		if c != ' ' && (c < 33 || c > 126) {
			return false
		}
	}
	return true
}

// clipBytes shortens b to at most n bytes for a message.
func clipBytes(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

// clip shortens s to at most n bytes for a message.
func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// readPart reads a message (root) or a MIME part and, below a multipart, its parts.
// A message without Content-Type is text/plain; a part without one has no type.
func readPart(raw []byte, root bool, depth int, errs *[]string) (*part, error) {
	hdr, body, err := readHeader(raw)
	if err != nil {
		return nil, err
	}
	p := &part{header: hdr}
	var params map[string]string
	ct := hdr.Get("Content-Type")
	if ct == "" && root {
		ct = "text/plain"
	}
	if ct != "" {
		mt, ps, err := mailmsg.ParseMediaType(ct)
		if err != nil {
			return nil, fmt.Errorf("%w: Content-Type %q: %v", errUnreadable, clip(ct, 60), err)
		}
		p.ctype, params = strings.ToLower(mt), ps
	}
	if d, _, err := mailmsg.ParseMediaType(hdr.Get("Content-Disposition")); err == nil {
		p.disp = strings.ToLower(d)
	}
	if strings.HasPrefix(p.ctype, "multipart/") {
		boundary := params["boundary"]
		switch {
		case boundary == "" && root:
			return nil, fmt.Errorf("%w: multipart without a boundary", errUnreadable)
		case boundary != "" && depth < maxPartDepth:
			segs, unclosed := mailmsg.SplitMultipart(body, boundary, 0)
			if unclosed {
				*errs = append(*errs, fmt.Sprintf("multipart %q not closed", clip(boundary, 60)))
			}
			for _, s := range segs {
				c, err := readPart(s, false, depth+1, errs)
				if err != nil {
					return nil, err
				}
				p.children = append(p.children, c)
			}
			return p, nil
		}
	}
	if p.ctype != "text/plain" && p.ctype != "text/html" && p.ctype != "" {
		return p, nil // only text is read; a file's content is not needed
	}
	cte := hdr.Get("Content-Transfer-Encoding")
	data, err := mailmsg.DecodeTransfer(body, cte, mailmsg.Lenient)
	if err != nil {
		*errs = append(*errs, err.Error())
		p.content = data
		return p, nil
	}
	p.content = textToUTF8(data, p.ctype, params["charset"], errs)
	return p, nil
}

// textToUTF8 converts the content of a text/plain or text/html part from its
// declared charset. Undeclared text/plain, and text/plain declared as US-ASCII,
// Latin-1 or Windows-1252, keeps its bytes for mailmsg.UTF8OrWindows1252; HTML
// without a declaration gets the charset its <meta> or bytes say (as browsers
// find it). Other content is left as it is.
func textToUTF8(data []byte, ctype, label string, errs *[]string) []byte {
	label = mailmsg.CleanCharset(label)
	switch {
	case ctype == "text/plain" && (label == "" || mailmsg.CharsetName(label) == "windows-1252"):
		return data
	case ctype == "text/html" && label == "":
		_, label, _ = charset.DetermineEncoding(data, "text/html")
	case ctype != "text/plain" && ctype != "text/html":
		return data
	}
	if mailmsg.IsUTF8(mailmsg.Charset(label)) {
		return data
	}
	r, err := mailmsg.CharsetReader(label, bytes.NewReader(data))
	if err != nil {
		*errs = append(*errs, err.Error())
		return data
	}
	out, err := io.ReadAll(r)
	if err != nil {
		*errs = append(*errs, fmt.Sprintf("charset %q: %v", clip(label, 40), err))
		return data
	}
	return out
}

// breadth returns the parts below and including p that match, breadth first.
func (p *part) breadth(match func(*part) bool) []*part {
	var out []*part
	for q := []*part{p}; len(q) > 0; q = q[1:] {
		if match(q[0]) {
			out = append(out, q[0])
		}
		q = append(q, q[0].children...)
	}
	return out
}

// depth returns the parts below and including p that match, depth first.
func (p *part) depth(match func(*part) bool) []*part {
	var out []*part
	if match(p) {
		out = append(out, p)
	}
	for _, c := range p.children {
		out = append(out, c.depth(match)...)
	}
	return out
}

func (p *part) multipart() bool { return strings.HasPrefix(p.ctype, "multipart/") }

// textAndAttachments finds the body text of the message p and the parts that are
// not body text: attachments (disposition attachment, or
// application/octet-stream), inline parts, and then the other parts of a type
// other than text/plain and text/html, each group breadth first.
func (p *part) textAndAttachments() (string, []*part) {
	var text, html string
	var atts []*part
	if p.multipart() {
		isText := func(c *part) bool { return c.ctype == "text/plain" && c.disp != "attachment" }
		if p.ctype == "multipart/alternative" {
			if ps := p.breadth(isText); len(ps) > 0 {
				text = string(ps[0].content)
			}
		} else {
			var b strings.Builder
			for i, c := range p.depth(isText) {
				if i > 0 {
					b.WriteString("\n--\n")
				}
				b.Write(c.content)
			}
			text = b.String()
		}
		if ps := p.depth(func(c *part) bool { return c.ctype == "text/html" && c.disp != "attachment" }); len(ps) > 0 {
			html = string(ps[0].content)
		}
		atts = append(atts, p.breadth(func(c *part) bool { return c.disp == "attachment" || c.ctype == "application/octet-stream" })...)
		atts = append(atts, p.breadth(func(c *part) bool { return c.disp == "inline" && !c.multipart() })...)
		atts = append(atts, p.breadth(func(c *part) bool {
			return !c.multipart() && c.disp == "" && c.ctype != "application/octet-stream" &&
				c.ctype != "text/plain" && c.ctype != "text/html"
		})...)
	} else {
		// A message with a declared type other than text is a file, as is text
		// sent as an attachment.
		isText := p.header.Get("Content-Type") == "" || p.ctype == "text/plain" || p.ctype == "text/html"
		switch {
		case !isText || p.disp == "attachment":
			atts = append(atts, p)
		case p.ctype == "text/html":
			html = string(p.content)
		default:
			text = string(p.content)
		}
	}
	if text == "" && html != "" {
		if s, err := html2text.FromString(html); err == nil {
			text = s
		}
	}
	return text, atts
}
