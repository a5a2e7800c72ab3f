package compose

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"mime"
	"strings"

	"github.com/emersion/go-message/textproto"

	"listd/internal/mailmsg"
)

// maxDepth bounds how deep into nested multiparts the footer is looked for;
// real mail needs three levels (mixed > related > alternative).
const maxDepth = 4

// composer holds what the body rewrite needs while one post is prepared.
type composer struct {
	footer footer
	msg    []byte // the whole message (CRLF), which a new boundary must avoid
	seed   string // makes the boundary depend on the list and post, not only the bytes
}

// entity is a message or MIME part: parsed header fields plus raw bytes.
type entity struct {
	h    textproto.Header
	head []byte // header block and blank line exactly as received (parts only)
	body []byte

	mediaType string            // lower case; text/plain when absent
	params    map[string]string // keys lower case
	badType   bool              // Content-Type present but unparseable
}

// edit is a changed entity: its new body and, if they change, the new
// Content-Type and Content-Transfer-Encoding values ("" keeps the field).
type edit struct {
	body []byte
	ct   string
	cte  string
}

// made8bit reports whether the edit turned 7bit content into 8bit, so the
// enclosing multiparts must be declared 8bit too (RFC 2045 6.4).
func (ed edit) made8bit() bool {
	return ed.cte == "8bit"
}

func newEntity(h textproto.Header, body []byte) *entity {
	e := &entity{h: h, body: body, mediaType: "text/plain", params: map[string]string{}}
	if v := h.Get("Content-Type"); strings.TrimSpace(v) != "" {
		mt, params, err := mime.ParseMediaType(v)
		if err != nil {
			e.badType = true
			e.mediaType = mt
		} else {
			e.mediaType, e.params = mt, params
		}
	}
	return e
}

// parsePart parses the raw bytes of one body part.
func parsePart(raw []byte) (*entity, bool) {
	hdr, body := splitHeader(raw)
	h, err := parseHeader(hdr)
	if err != nil {
		return nil, false
	}
	e := newEntity(h, body)
	e.head = raw[:len(raw)-len(body)]
	return e, true
}

func (e *entity) charset() string {
	return strings.ToLower(strings.TrimSpace(e.params["charset"]))
}

// transferEncoding returns the normalized Content-Transfer-Encoding, with
// the RFC 2045 default 7bit.
func (e *entity) transferEncoding() string {
	cte := strings.ToLower(strings.TrimSpace(e.h.Get("Content-Transfer-Encoding")))
	if cte == "" {
		return "7bit"
	}
	return cte
}

// isAttachment reports whether the part is a file rather than message text;
// a footer must never be appended to a file. Unparseable dispositions count
// as attachments to stay on the safe side.
func (e *entity) isAttachment() bool {
	if e.params["name"] != "" {
		return true
	}
	cd := strings.TrimSpace(e.h.Get("Content-Disposition"))
	if cd == "" {
		return false
	}
	disp, params, err := mime.ParseMediaType(cd)
	return err != nil || disp != "inline" || params["filename"] != ""
}

// rebuild returns the part's bytes after ed. An unchanged header keeps its
// original bytes if it ended with a blank line; one that did not (the body
// started at a non-field line, or the part was all header) is rewritten
// with one, or the new body would run into it.
func (e *entity) rebuild(ed edit) ([]byte, bool) {
	if ed.ct == "" && ed.cte == "" && (string(e.head) == "\r\n" || bytes.HasSuffix(e.head, []byte("\r\n\r\n"))) {
		out := make([]byte, 0, len(e.head)+len(ed.body))
		out = append(out, e.head...)
		return append(out, ed.body...), true
	}
	repl, err := contentFields(ed)
	if err != nil {
		return nil, false
	}
	out, err := appendFields(nil, &e.h, repl, nil)
	if err != nil {
		return nil, false
	}
	out = append(out, "\r\n"...)
	return append(out, ed.body...), true
}

// replacement is a header field written in place of the first field with
// the same key (later ones are dropped), or appended if there is none.
type replacement struct {
	key string
	raw []byte
}

// contentFields returns the replacements for the content fields ed changes.
func contentFields(ed edit) ([]replacement, error) {
	var repl []replacement
	for _, f := range []struct{ k, v string }{
		{"Content-Type", ed.ct},
		{"Content-Transfer-Encoding", ed.cte},
	} {
		if f.v == "" {
			continue
		}
		raw, err := formatField(f.k, f.v)
		if err != nil {
			return nil, err
		}
		repl = append(repl, replacement{f.k, raw})
	}
	return repl, nil
}

// appendFields appends h's fields in their original order and bytes, with
// the replacements applied. Fields for which skip returns true are left
// out (replacements take precedence).
func appendFields(out []byte, h *textproto.Header, repl []replacement, skip func(key string) bool) ([]byte, error) {
	done := make([]bool, len(repl))
	fields := h.Fields()
next:
	for fields.Next() {
		k := fields.Key()
		for i, r := range repl {
			if strings.EqualFold(k, r.key) {
				if !done[i] {
					out = append(out, r.raw...)
					done[i] = true
				}
				continue next
			}
		}
		if skip != nil && skip(k) {
			continue
		}
		raw, err := fields.Raw()
		if err != nil {
			return nil, fmt.Errorf("field %s: %w", k, err)
		}
		out = append(out, raw...)
	}
	for i, r := range repl {
		if !done[i] {
			out = append(out, r.raw...)
		}
	}
	return out, nil
}

// addFooter adds the footer to e, if e is something it can be added to
// without breaking anything.
func (c *composer) addFooter(e *entity, depth int) (edit, bool) {
	if e.badType || depth > maxDepth {
		return edit{}, false
	}
	switch e.mediaType {
	case "text/plain":
		if e.isAttachment() {
			return edit{}, false
		}
		return c.plain(e)
	case "text/html":
		if e.isAttachment() {
			return edit{}, false
		}
		return c.html(e)
	case "multipart/alternative":
		return c.alternative(e, depth)
	case "multipart/related":
		return c.related(e, depth)
	case "multipart/mixed":
		return c.mixed(e, depth)
	}
	return edit{}, false
}

// plain appends the text footer to a text/plain entity, converting it to
// UTF-8 if needed.
func (c *composer) plain(e *entity) (edit, bool) {
	cte, cs := e.transferEncoding(), e.charset()
	content, err := mailmsg.DecodeTransfer(e.body, cte, mailmsg.Strict)
	if err != nil {
		return edit{}, false
	}
	text, ok := toUTF8(content, cs)
	if !ok {
		return edit{}, false
	}
	// Undecoded text is already CRLF (see ToCRLF in Prepare).
	fast := isIdentityCTE(cte) && isUTF8Label(cs)
	if !fast {
		text = ToCRLF(text)
	}
	out := make([]byte, 0, len(text)+2+len(c.footer.text))
	out = append(out, text...)
	if len(out) > 0 && out[len(out)-1] != '\n' {
		out = append(out, '\r', '\n')
	}
	out = append(out, c.footer.text...)

	var ed edit
	ed.cte, ed.body = encodeText(out, cte, fast)
	if cs != "utf-8" && !(isASCIILabel(cs) && isASCII(out)) {
		ed.ct = utf8TextType(e.mediaType, e.params)
	}
	return ed, true
}

// html inserts the HTML footer before </body>. The footer is ASCII, so the
// part keeps its charset; only the transfer encoding is undone and redone.
func (c *composer) html(e *entity) (edit, bool) {
	cte, cs := e.transferEncoding(), e.charset()
	if !asciiCompatible(cs, c.footer.html) {
		return edit{}, false
	}
	content, err := mailmsg.DecodeTransfer(e.body, cte, mailmsg.Strict)
	if err != nil {
		return edit{}, false
	}
	fast := isIdentityCTE(cte)
	if !fast {
		content = ToCRLF(content)
	}
	i := lastIndexFold(content, "</body")
	if i < 0 {
		i = len(content)
	}
	out := make([]byte, 0, len(content)+2+len(c.footer.html))
	out = append(out, content[:i]...)
	if len(out) > 0 && out[len(out)-1] != '\n' {
		out = append(out, '\r', '\n')
	}
	out = append(out, c.footer.html...)
	out = append(out, content[i:]...)

	var ed edit
	ed.cte, ed.body = encodeText(out, cte, fast)
	return ed, true
}

// alternative adds the matching footer to every text/plain and text/html
// alternative (and the HTML root of a multipart/related alternative), so
// each view shows it exactly once. All or nothing: if one of them cannot
// be changed, none is.
func (c *composer) alternative(e *entity, depth int) (edit, bool) {
	m, ok := splitMultipart(e.body, e.params["boundary"])
	if !ok {
		return edit{}, false
	}
	repl := map[int][]byte{}
	var children []edit
	for i, sp := range m.parts {
		p, ok := parsePart(m.body[sp.start:sp.end])
		if !ok || p.badType || p.isAttachment() {
			continue
		}
		switch p.mediaType {
		case "text/plain", "text/html", "multipart/related":
		default:
			continue
		}
		ed, ok := c.addFooter(p, depth+1)
		if !ok {
			return edit{}, false
		}
		if repl[i], ok = p.rebuild(ed); !ok {
			return edit{}, false
		}
		children = append(children, ed)
	}
	if len(repl) == 0 {
		return edit{}, false
	}
	body, ok := m.rebuild(repl, nil)
	return container(e, body, children...), ok
}

// container is the edit of a multipart whose body changed because of the
// children's edits.
func container(e *entity, body []byte, children ...edit) edit {
	ed := edit{body: body}
	for _, ch := range children {
		if ch.made8bit() && e.transferEncoding() == "7bit" {
			ed.cte = "8bit"
		}
	}
	return ed
}

// related adds the footer to the root (first) part of a multipart/related.
func (c *composer) related(e *entity, depth int) (edit, bool) {
	m, ok := splitMultipart(e.body, e.params["boundary"])
	if !ok {
		return edit{}, false
	}
	p, ok := parsePart(m.body[m.parts[0].start:m.parts[0].end])
	if !ok || p.isAttachment() {
		return edit{}, false
	}
	// A start parameter may name another part as the root.
	if start := strings.Trim(e.params["start"], "<> "); start != "" &&
		start != strings.Trim(p.h.Get("Content-Id"), "<> ") {
		return edit{}, false
	}
	switch p.mediaType {
	case "text/plain", "text/html", "multipart/alternative":
	default:
		return edit{}, false
	}
	ed, ok := c.addFooter(p, depth+1)
	if !ok {
		return edit{}, false
	}
	part, ok := p.rebuild(ed)
	if !ok {
		return edit{}, false
	}
	body, ok := m.rebuild(map[int][]byte{0: part}, nil)
	return container(e, body, ed), ok
}

// mixed adds the footer to the first part when that is the message text
// (text, alternative or related), else appends a footer part.
func (c *composer) mixed(e *entity, depth int) (edit, bool) {
	m, ok := splitMultipart(e.body, e.params["boundary"])
	if !ok {
		return edit{}, false
	}
	if p, ok := parsePart(m.body[m.parts[0].start:m.parts[0].end]); ok && !p.badType && !p.isAttachment() {
		switch p.mediaType {
		case "text/plain", "text/html", "multipart/alternative", "multipart/related":
			if ed, ok := c.addFooter(p, depth+1); ok {
				if part, ok := p.rebuild(ed); ok {
					if body, ok := m.rebuild(map[int][]byte{0: part}, nil); ok {
						return container(e, body, ed), true
					}
				}
			}
		}
	}
	body, ok := m.rebuild(nil, c.footerPart())
	return edit{body: body}, ok
}

// wrap puts the untouched original entity into a new multipart/mixed with a
// footer part: the only safe way for signed, encrypted or unknown content.
func (c *composer) wrap(top *entity) edit {
	b := c.boundary()
	var out []byte
	out = append(out, "--"+b+"\r\n"...)
	fields := top.h.Fields()
	for fields.Next() {
		if hasPrefixFold(fields.Key(), "Content-") {
			// Fields from ReadHeader always have their raw bytes.
			raw, _ := fields.Raw()
			out = append(out, raw...)
		}
	}
	out = append(out, "\r\n"...)
	out = append(out, top.body...)
	out = append(out, "\r\n--"+b+"\r\n"...)
	out = append(out, c.footerPart()...)
	out = append(out, "\r\n--"+b+"--\r\n"...)

	ed := edit{body: out, ct: mime.FormatMediaType("multipart/mixed", map[string]string{"boundary": b})}
	// A multipart's transfer encoding must cover its parts.
	switch {
	case top.transferEncoding() == "binary":
		ed.cte = "binary"
	case !isASCII(top.body):
		ed.cte = "8bit"
	}
	return ed
}

// footerPart is a complete text/plain part (header and body) holding the
// footer. Quoted-printable keeps it 7bit, so it fits into any multipart.
func (c *composer) footerPart() []byte {
	out := []byte("Content-Type: text/plain; charset=utf-8\r\nContent-Disposition: inline\r\n")
	if isASCII(c.footer.text) {
		out = append(out, "Content-Transfer-Encoding: 7bit\r\n\r\n"...)
		return append(out, c.footer.text...)
	}
	out = append(out, "Content-Transfer-Encoding: quoted-printable\r\n\r\n"...)
	return append(out, encodeQP(c.footer.text)...)
}

// boundary returns a boundary for the wrapper that is deterministic for
// the post but does not occur in the message. "=_" cannot occur in
// quoted-printable or base64 text.
func (c *composer) boundary() string {
	h := sha256.New()
	h.Write(c.msg)
	h.Write([]byte(c.seed))
	sum := h.Sum(nil)
	var b string
	for range 16 {
		b = "=_listd_" + hex.EncodeToString(sum[:12])
		if !bytes.Contains(c.msg, []byte(b)) {
			break
		}
		s := sha256.Sum256(sum)
		sum = s[:]
	}
	return b
}

// assemble returns the shared header (kept fields, new subject and
// content fields, list fields), the blank line and the body.
func (c *composer) assemble(l List, top *entity, ed edit, archiveID int64, wrapped bool) ([]byte, error) {
	subject, err := subjectField(&top.h, l.Name)
	if err != nil {
		return nil, fmt.Errorf("compose: %w", err)
	}
	repl := []replacement{{"Subject", subject}}
	if l.Anonymous {
		from, err := formatField("From", anonymousFrom(l))
		if err != nil {
			return nil, fmt.Errorf("compose: %w", err)
		}
		replyTo, err := formatField("Reply-To", "<"+l.Name+"@"+l.Domain+">")
		if err != nil {
			return nil, fmt.Errorf("compose: %w", err)
		}
		to, err := formatField("To", "<"+l.Name+"@"+l.Domain+">")
		if err != nil {
			return nil, fmt.Errorf("compose: %w", err)
		}
		repl = append(repl, replacement{"From", from}, replacement{"Reply-To", replyTo}, replacement{"To", to})
	} else if l.MungeFrom {
		from, err := formatField("From", anonymousFrom(l))
		if err != nil {
			return nil, fmt.Errorf("compose: %w", err)
		}
		repl = append(repl, replacement{"From", from})
		if orig := top.h.Get("From"); orig != "" && !top.h.Has("Reply-To") {
			replyTo, err := formatField("Reply-To", strings.TrimSpace(orig))
			if err != nil {
				return nil, fmt.Errorf("compose: %w", err)
			}
			repl = append(repl, replacement{"Reply-To", replyTo})
		}
	}
	content, err := contentFields(ed)
	if err != nil {
		return nil, fmt.Errorf("compose: %w", err)
	}
	if (wrapped || len(content) > 0) && !top.h.Has("Mime-Version") {
		// Content fields mean nothing without MIME-Version.
		repl = append(repl, replacement{"MIME-Version", []byte("MIME-Version: 1.0\r\n")})
	}
	repl = append(repl, content...)
	list, err := listFields(l, archiveID)
	if err != nil {
		return nil, fmt.Errorf("compose: %w", err)
	}

	out := make([]byte, 0, len(c.msg)-len(top.body)+len(ed.body)+len(list)+256)
	out, err = appendFields(out, &top.h, repl, func(k string) bool {
		// Other content fields of a wrapped message moved into its part.
		return isDropped(k) || (wrapped && hasPrefixFold(k, "Content-")) || (l.Anonymous && !anonymousKeeps(k))
	})
	if err != nil {
		return nil, fmt.Errorf("compose: header: %w", err)
	}
	out = append(out, list...)
	out = append(out, "\r\n"...)
	return append(out, ed.body...), nil
}
