package compose

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"mime"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-message/textproto"

	"listd/internal/mailmsg"
	"listd/internal/mailview"
)

// The body parts of an anonymous post (and of a private reply) lose what could name
// their sender, by allow-lists as the header does: a part keeps only partFields,
// each of them once, written anew from its parsed value (see scrubber.field);
// Content-Type and Content-Disposition keep only the parameters in typeParams, and
// a file name (filename, name) becomes the one the archive pages show
// (mailview.PublicFileName, so the page, the download and the copies agree);
// Content-Description goes; a Content-ID (Thunderbird writes the sender's domain
// into it) becomes an id of the list's, and the cid: links of HTML parts follow.
// A PGP/MIME or S/MIME signature (multipart/signed) is taken off, as it names the
// signer's key. An attached message (message/rfc822) is content the sender chose to
// attach and is left as it is.

// partFields are the fields a body part keeps.
var partFields = []string{"Content-Type", "Content-Transfer-Encoding", "Content-Disposition", "Content-Language", "Content-ID"}

// typeParams are the Content-Type parameters kept: how to read the content, nothing
// about where it came from.
var typeParams = map[string]bool{"charset": true, "boundary": true, "format": true, "delsp": true, "reply-type": true,
	"type": true, "start": true, "start-info": true, "protocol": true, "micalg": true, "method": true,
	"smime-type": true, "report-type": true}

// maxScrubDepth bounds the nesting followed; mailview follows 20 levels.
const maxScrubDepth = 24

// scrubber rewrites the part headers of one message.
type scrubber struct {
	domain string
	tag    string            // part of the new Content-IDs, different per post
	cids   map[string]string // old Content-ID (without brackets) → new
}

// scrubMIME returns the header and body of a message (h and its body, CRLF or LF) with the
// parts' headers scrubbed for a list at domain. seed makes the new Content-IDs differ
// from post to post. The top header loses Content-ID, Content-Description and the
// other content fields outside partFields, and its Content-Type and
// Content-Disposition parameters are scrubbed as a part's are; each field of
// KeptFields is kept once and the content fields, Date and MIME-Version are written
// anew from their parsed values; its other fields are left for the header
// allow-list. It is the one place the members' copies, the archive copy and private
// replies are cleaned this way.
func scrubMIME(h textproto.Header, body []byte, domain, seed string) (textproto.Header, []byte) {
	sum := sha256.Sum256([]byte(seed))
	s := &scrubber{domain: domain, tag: hex.EncodeToString(sum[:6]), cids: map[string]string{}}
	h = h.Copy()
	// Most posts are one text part: no signature, no parts, no Content-IDs to look for,
	// and the body is passed on as it is.
	if hasMultipart(h.Get("Content-Type")) {
		body = ToCRLF(body)
		if top := newEntity(h, body); top.mediaType == "multipart/signed" {
			// A PGP/MIME or S/MIME signature names the signer's key, and so the signer.
			if e, err := unsign(top); err == nil {
				h, body = e.h, e.body
			}
		}
		s.collect(&h, body, 0)
	}
	nb, _ := s.entity(&h, body, 0, true)
	return h, nb
}

// collect gives every Content-ID of the message its new id, in the order they come.
func (s *scrubber) collect(h *textproto.Header, body []byte, depth int) {
	if id := strings.Trim(strings.TrimSpace(h.Get("Content-Id")), "<>"); id != "" && depth > 0 {
		if _, ok := s.cids[id]; !ok {
			s.cids[id] = s.newID()
		}
	}
	m := s.split(h, body, depth)
	if m == nil {
		return
	}
	for _, sp := range m.parts {
		if p, ok := parsePart(m.body[sp.start:sp.end]); ok {
			s.collect(&p.h, p.body, depth+1)
		}
	}
}

// newID returns a new Content-ID of the list's for the message.
func (s *scrubber) newID() string {
	return "part" + strconv.Itoa(len(s.cids)+1) + "." + s.tag + "@" + s.domain
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// split returns the parts of a multipart entity, or nil. A multipart that lacks its
// close delimiter is read as a mail reader reads it, to the end of the body.
func (s *scrubber) split(h *textproto.Header, body []byte, depth int) *multipart {
	if depth >= maxScrubDepth || !hasMultipart(h.Get("Content-Type")) {
		return nil
	}
	mt, params, err := mailmsg.ParseMediaType(h.Get("Content-Type"))
	if err != nil || !strings.HasPrefix(strings.ToLower(mt), "multipart/") {
		return nil
	}
	m, _ := splitParts(body, params["boundary"], true)
	return m
}

// hasMultipart reports whether a Content-Type value may name a multipart type.
func hasMultipart(v string) bool {
	for i := 0; i+len("multipart") <= len(v); i++ {
		if strings.EqualFold(v[i:i+len("multipart")], "multipart") {
			return true
		}
	}
	return false
}

// entity scrubs the header h of an entity in place and returns its new body, and
// whether anything changed.
func (s *scrubber) entity(h *textproto.Header, body []byte, depth int, top bool) ([]byte, bool) {
	// The kept fields are written anew from their parsed values, one of each: a
	// second Content-Type, a comment in Date or a parameter left as it came could
	// carry anything.
	changed := false
	var kept []byte
	seen := map[string]bool{}
	fields := h.Fields()
	for fields.Next() {
		k := fields.Key()
		keep := false
		for _, f := range partFields {
			keep = keep || strings.EqualFold(k, f)
		}
		if top {
			// The header allow-list decides about the other fields; the Content-ID
			// of the message itself names nothing in it.
			keep = (keep || !hasPrefixFold(k, "Content-")) && !strings.EqualFold(k, "Content-Id")
		}
		raw, err := fields.Raw()
		if !keep || err != nil {
			changed = true
			continue
		}
		if top && !senderKeeps(k) && !isPartField(k) {
			kept = append(kept, raw...)
			continue
		}
		lk := strings.ToLower(k)
		if seen[lk] {
			changed = true
			continue
		}
		seen[lk] = true
		nv, ok := s.field(k, fields.Value())
		if !ok {
			changed = true
			continue
		}
		if nv == nil {
			kept = append(kept, raw...)
			continue
		}
		if !bytes.Equal(nv, raw) {
			changed = true
		}
		kept = append(kept, nv...)
	}
	if changed {
		nh, err := parseHeader(append(kept, "\r\n"...))
		if err != nil {
			nh = textproto.Header{}
		}
		*h = nh
	}

	if m := s.split(h, body, depth); m != nil {
		repl := map[int][]byte{}
		for i, sp := range m.parts {
			p, ok := parsePart(m.body[sp.start:sp.end])
			if !ok {
				continue
			}
			nb, ok := s.entity(&p.h, p.body, depth+1, false)
			if !ok {
				continue
			}
			out, err := appendFields(nil, &p.h, nil, nil)
			if err != nil {
				continue
			}
			out = append(out, "\r\n"...)
			repl[i] = append(out, nb...)
		}
		if len(repl) == 0 {
			return body, changed
		}
		// A part's new header holds only content fields (no line of it can start
		// with "--"), and its body lines were its lines before: no delimiter is
		// added where a reader did not see one.
		return m.replace(repl, nil), true
	}
	if mt, _, err := mailmsg.ParseMediaType(h.Get("Content-Type")); err == nil && strings.EqualFold(mt, "text/html") {
		if nb, cte, ok := s.links(h, body); ok {
			if cte != "" {
				h.Set("Content-Transfer-Encoding", cte)
			}
			return nb, true
		}
	}
	return body, changed
}

// links points the cid: links of an HTML body at the new Content-IDs: the new body
// and, when it changes, the new transfer encoding. ok is false when nothing changed.
func (s *scrubber) links(h *textproto.Header, body []byte) ([]byte, string, bool) {
	cte := strings.ToLower(strings.TrimSpace(h.Get("Content-Transfer-Encoding")))
	if cte == "" {
		cte = "7bit"
	}
	content, err := mailmsg.DecodeTransfer(body, cte, mailmsg.Strict)
	if err != nil {
		return nil, "", false
	}
	out, changed := s.replaceLinks(content)
	if !changed {
		return nil, "", false
	}
	if isIdentityCTE(cte) {
		out = ToCRLF(out)
	}
	if bytes.HasPrefix(out, []byte("--")) || bytes.Contains(out, []byte("\n--")) {
		// Written out as text, a line of it could read as a delimiter of a
		// multipart around it; base64 has no such line.
		return encodeBase64(out), "base64", true
	}
	newCTE, nb := encodeText(out, cte, isIdentityCTE(cte))
	return nb, newCTE, true
}

// encodeBase64 encodes b in lines of 76 characters (RFC 2045), each ending in CRLF.
func encodeBase64(b []byte) []byte {
	enc := base64.StdEncoding.EncodeToString(b)
	out := make([]byte, 0, len(enc)+len(enc)/76*2+2)
	for len(enc) > 76 {
		out = append(out, enc[:76]...)
		out = append(out, "\r\n"...)
		enc = enc[76:]
	}
	out = append(out, enc...)
	return append(out, "\r\n"...)
}

// replaceLinks replaces each "cid:ID" (any case) by the new id of ID, in one pass
// over content; an ID no part of the message has gets a new id too.
func (s *scrubber) replaceLinks(content []byte) ([]byte, bool) {
	var out []byte
	last, changed := 0, false
	for i := 0; i+4 <= len(content); {
		j := bytes.IndexByte(content[i:], ':')
		if j < 0 {
			break
		}
		i += j
		if i < 3 || !bytes.EqualFold(content[i-3:i], []byte("cid")) || (i > 3 && isAlnum(content[i-4])) {
			i++
			continue
		}
		start := i + 1
		end := start
		for end < len(content) && !isLinkEnd(content[end]) {
			end++
		}
		if end == start {
			i = end
			continue
		}
		id := string(content[start:end])
		nw, ok := s.cids[id]
		if !ok {
			// A link to a part the message lacks still names the sender's domain.
			nw = s.newID()
			s.cids[id] = nw
		}
		out = append(out, content[last:i-3]...)
		out = append(out, "cid:"+nw...)
		last, i, changed = end, end, true
	}
	if !changed {
		return content, false
	}
	return append(out, content[last:]...), true
}

// isLinkEnd reports whether c ends the id of a cid: link in HTML.
func isLinkEnd(c byte) bool {
	return c <= ' ' || c == '"' || c == '\'' || c == '>' || c == '<' || c == ')' || c == 0x7f
}

// params returns the value of Content-Type or Content-Disposition written from its
// parsed value: without the parameters that are not kept, without comments, with
// the file name made public.
func (s *scrubber) params(key, v string) string {
	v = stripComments(v)
	mt, params, err := mailmsg.ParseMediaType(v)
	if err != nil {
		if key == "Content-Type" {
			return "application/octet-stream"
		}
		return "attachment"
	}
	mt = strings.ToLower(mt)
	nameParam, name := "filename", mailview.FileName(v, "")
	if key == "Content-Type" {
		nameParam, name = "name", mailview.FileName("", v)
	}
	keep := map[string]string{}
	for k, val := range params {
		k = strings.ToLower(k)
		if key == "Content-Type" && typeParams[k] && k != nameParam {
			// A comment after an unquoted value leaves blanks behind.
			val = strings.TrimSpace(val)
			if k == "start" {
				if nw, ok := s.cids[strings.Trim(strings.TrimSpace(val), "<>")]; ok {
					val = "<" + nw + ">"
				}
			}
			keep[k] = val
		}
	}
	if _, had := params[nameParam]; had || name != "" {
		if pub := mailview.PublicFileName(name); pub != "" {
			keep[nameParam] = pub
		}
	}
	if strings.HasPrefix(mt, "multipart/") {
		if _, _, err := mime.ParseMediaType(v); err != nil || keep["boundary"] == "" {
			// Mail readers do not read it as a multipart: it is one opaque part,
			// and written out as a multipart it would become one.
			return "application/octet-stream"
		}
	}
	out := mime.FormatMediaType(mt, keep)
	if out == "" {
		if key == "Content-Type" {
			return "application/octet-stream"
		}
		return "attachment"
	}
	return out
}

// isPartField reports whether key is one of partFields.
func isPartField(key string) bool {
	for _, f := range partFields {
		if strings.EqualFold(f, key) {
			return true
		}
	}
	return false
}

// field returns the field key (a part field, or a kept field of the top header)
// written anew from its parsed value, so that no comment, odd spelling or second
// value of the sender's passes: Date from the parsed time, MIME-Version as 1.0,
// Content-Transfer-Encoding as its token, Content-Language as its language tags,
// Content-Type and Content-Disposition as their scrubbed type and parameters,
// Content-ID as the list's id. raw is nil for the fields other code rewrites
// (Subject, In-Reply-To, References), which keep their bytes here; ok is false when
// the field goes.
func (s *scrubber) field(key, v string) (raw []byte, ok bool) {
	var nv string
	switch strings.ToLower(key) {
	case "date":
		t, err := mail.ParseDate(strings.TrimSpace(stripComments(v)))
		if err != nil {
			return nil, false
		}
		if name, _ := t.Zone(); obsZones[name] != 0 {
			// time.Parse gives a zone name it does not know the offset 0.
			t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0,
				time.FixedZone(name, obsZones[name]*3600))
		}
		nv = t.Format(time.RFC1123Z)
	case "mime-version":
		nv = "1.0"
	case "content-transfer-encoding":
		f := strings.Fields(stripComments(v))
		if len(f) != 1 || !isToken(f[0], "-") {
			return nil, false
		}
		nv = strings.ToLower(f[0])
	case "content-language":
		var tags []string
		for _, t := range strings.Split(stripComments(v), ",") {
			if t = strings.TrimSpace(t); isToken(t, "-") && len(tags) < 16 {
				tags = append(tags, t)
			}
		}
		if len(tags) == 0 {
			return nil, false
		}
		nv = strings.Join(tags, ", ")
	case "content-type", "content-disposition":
		nv = s.params(key, v)
	case "content-id":
		nw, found := s.cids[strings.Trim(strings.TrimSpace(v), "<>")]
		if !found {
			return nil, false
		}
		nv = "<" + nw + ">"
	default:
		return nil, true
	}
	b, err := formatField(key, nv)
	if err != nil {
		return nil, false
	}
	return b, true
}

// obsZones are the offsets (in hours) of the zone names RFC 5322 4.3 still reads.
var obsZones = map[string]int{"EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7}

// stripComments returns v without its RFC 5322 comments (nested, with quoted
// pairs); quoted strings are left as they are.
func stripComments(v string) string {
	var b strings.Builder
	depth, quoted := 0, false
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '\\' && (quoted || depth > 0):
			if depth == 0 {
				b.WriteByte(c)
				if i+1 < len(v) {
					b.WriteByte(v[i+1])
				}
			}
			i++
		case quoted:
			b.WriteByte(c)
			quoted = c != '"'
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
			if depth == 0 {
				b.WriteByte(' ')
			}
		case depth > 0:
		case c == '"':
			quoted = true
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
