package mailview

import (
	"bytes"
	"fmt"
	"net/textproto"
	"strings"

	"listd/internal/mailmsg"
)

const (
	maxDepth = 20   // multipart nesting followed; deeper content stays one part
	maxParts = 1000 // parts read; the rest of a message stays unread
)

// part is a node of the MIME tree. The content of a leaf is kept as transmitted
// (transfer-encoded); decoding is left to whoever shows or serves it.
type part struct {
	header    textproto.MIMEHeader
	ctype     string            // media type, lower-cased; "" when none was given
	params    map[string]string // Content-Type parameters, names lower-cased
	disp      string            // disposition type, lower-cased
	contentID string            // without angle brackets
	body      []byte            // content of a leaf
	children  []*part
	parent    *part
}

// parser reads one message. The MIME structure is parsed here rather than by
// enmime: its boundary reader copies byte by byte, which cost most of the time of
// rendering a multipart mail. The parse is lenient in the ways mail needs (header
// lines without a colon end the header, a missing closing boundary ends the part at
// the end of the message), bounded in depth and count, and never fails.
type parser struct {
	nparts int
	errs   []string
}

func (ps *parser) note(format string, args ...any) {
	if len(ps.errs) < maxErrors {
		ps.errs = append(ps.errs, fmt.Sprintf(format, args...))
	}
}

func (ps *parser) parse(raw []byte, parent *part, depth int, defaultType string) *part {
	ps.nparts++
	hdr, body := ps.splitHeader(raw)
	p := &part{header: hdr, parent: parent}
	ct := hdr.Get("Content-Type")
	if ct == "" {
		ct = defaultType
	}
	mt, params, err := mailmsg.ParseMediaType(ct)
	if err != nil {
		ps.note("unreadable Content-Type %q", clip(ct, 60))
		mt, params = "", nil
	}
	p.ctype, p.params = strings.ToLower(mt), params
	if p.params == nil {
		p.params = map[string]string{}
	}
	if d := hdr.Get("Content-Disposition"); d != "" {
		if dt, _, err := mailmsg.ParseMediaType(d); err == nil {
			p.disp = strings.ToLower(dt)
		} else if i := strings.IndexByte(d, ';'); i > 0 {
			p.disp = strings.ToLower(strings.TrimSpace(d[:i]))
		}
	}
	p.contentID = strings.Trim(strings.TrimSpace(hdr.Get("Content-Id")), "<>")

	boundary := p.params["boundary"]
	if !strings.HasPrefix(p.ctype, "multipart/") || boundary == "" {
		p.body = body
		return p
	}
	if depth >= maxDepth || ps.nparts >= maxParts {
		ps.note("MIME structure too deep or too large; the rest is not shown")
		p.body = body
		return p
	}
	segments := ps.splitMultipart(body, boundary)
	if segments == nil {
		ps.note("multipart without its boundary; shown as text")
		p.body = body
		return p
	}
	childType := "text/plain"
	if p.ctype == "multipart/digest" {
		childType = "message/rfc822"
	}
	for _, seg := range segments {
		if ps.nparts >= maxParts {
			ps.note("more than %d MIME parts; the rest is not shown", maxParts)
			break
		}
		p.children = append(p.children, ps.parse(seg, p, depth+1, childType))
	}
	return p
}

// splitHeader reads the header as mailmsg.SplitHeader ends it (a line that is
// neither a field nor a continuation starts the body, so a message without any
// header shows as text), after an mbox separator line.
func (ps *parser) splitHeader(raw []byte) (textproto.MIMEHeader, []byte) {
	if bytes.HasPrefix(raw, []byte("From ")) {
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			raw = raw[i+1:] // an mbox separator line
		} else {
			raw = nil
		}
	}
	block, body := mailmsg.SplitHeader(raw)
	if len(block) > 0 && len(body) > 0 && len(block)+len(body) == len(raw) {
		ps.note("header ends without a blank line")
	}
	hdr := textproto.MIMEHeader{}
	var key string
	for len(block) > 0 {
		line := block
		if i := bytes.IndexByte(block, '\n'); i >= 0 {
			line, block = block[:i], block[i+1:]
		} else {
			block = nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) > 0 && (line[0] == ' ' || line[0] == '\t') {
			if key != "" {
				vs := hdr[key]
				vs[len(vs)-1] += " " + strings.TrimSpace(string(line))
			}
			continue
		}
		name, value, _ := bytes.Cut(line, []byte(":"))
		key = textproto.CanonicalMIMEHeaderKey(string(bytes.TrimRight(name, " \t")))
		if key == "" {
			continue // an empty name, skipped as go-message does
		}
		hdr[key] = append(hdr[key], strings.TrimSpace(string(value)))
	}
	return hdr, body
}

// splitMultipart cuts a multipart body at its boundary lines (mailmsg.SplitMultipart),
// noting a multipart that is not closed. nil means no boundary line was found.
func (ps *parser) splitMultipart(body []byte, boundary string) [][]byte {
	segs, unclosed := mailmsg.SplitMultipart(body, boundary, 0)
	if unclosed {
		ps.note("multipart not closed")
	}
	return segs
}
