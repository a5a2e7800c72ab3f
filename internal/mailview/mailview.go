package mailview

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"net/url"
	"strings"
	"unicode/utf8"

	"listd/internal/i18n"
	"listd/internal/mailmsg"
)

// Options shape a rendering.
type Options struct {
	Lang          string // "de" (the default) or "en", for the few texts added to the body
	MaskAddresses bool   // mask mail addresses in all text, names and links
	PreferHTML    bool   // render the HTML alternative even when there is a text part
	// AttachmentURL gives the URL of attachment index, used for cid: images in HTML.
	// Without it such images are shown as a placeholder.
	AttachmentURL func(index int) string
}

// View is a rendered message.
type View struct {
	Subject     string        // decoded (and masked, if asked)
	Body        template.HTML // safe to embed
	Attachments []Attachment
	// HTMLAlternative is set when the text part was shown although an HTML version
	// exists; Options.PreferHTML shows that one.
	HTMLAlternative bool
	BlockedImages   int      // remote images that were not loaded
	Errors          []string // parse problems, short and in English, for a small note
}

// Attachment describes one attachment. Index is what OpenAttachment and
// Options.AttachmentURL take; it is the same for every rendering of a message.
type Attachment struct {
	Index       int
	Name        string // safe file name (no path, no controls), never empty; masked in a View when asked
	ContentType string // as declared, lower-cased, without parameters
	Size        int    // decoded size in bytes
	// Inline is set for parts meant to be shown inside the body (disposition inline,
	// or an image with a Content-ID inside multipart/related).
	Inline bool
}

// ErrNoAttachment is returned by OpenAttachment for an index the message lacks.
var ErrNoAttachment = errors.New("no such attachment")

// maxErrors caps View.Errors; a broken message should get a note, not a page of them.
const maxErrors = 10

// Render turns a message as stored into its reading view. Damage inside the message
// is shown as far as it goes and listed in View.Errors; only an empty message is an
// error.
func Render(raw []byte, opt Options) (*View, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, errors.New("render message: empty message")
	}
	m := parseMessage(raw)
	v := &View{}
	r := &renderer{opt: opt, m: m, view: v, w: words(opt.Lang)}
	r.b.Grow(len(raw) + len(raw)/4)
	v.Subject = r.visible(decodeHeader(m.root.header.Get("Subject")))
	r.body(m.root)
	v.Body = template.HTML(r.b.String())
	for i := range m.atts {
		a := m.info(i, nil, opt.MaskAddresses)
		v.Attachments = append(v.Attachments, a)
	}
	for _, e := range append(m.errs, r.errs...) {
		if len(v.Errors) == maxErrors {
			break
		}
		if opt.MaskAddresses {
			e = Mask(e)
		}
		v.Errors = append(v.Errors, e)
	}
	return v, nil
}

// RenderText renders text that is already decoded (the archive's stored plain text,
// say) the way a text/plain body is rendered: escaped, links made, quotes and
// signature folded, addresses masked if asked.
func RenderText(text string, opt Options) template.HTML {
	if !utf8.ValidString(text) {
		text = fixUTF8([]byte(text))
	}
	r := &renderer{opt: opt, w: words(opt.Lang), view: &View{}}
	r.b.Grow(len(text) + len(text)/4)
	r.writeText(cleanText(text), false, false)
	return template.HTML(r.b.String())
}

// OpenAttachment returns attachment index of a message, decoded, with the
// Content-Type and Content-Disposition to serve it under (see safeHeaders). With
// opt.MaskAddresses the file name (in a and in the disposition) is the one a View
// shows, PublicFileName's: a download must not tell more than the page that links
// to it.
func OpenAttachment(raw []byte, index int, opt Options) (a Attachment, data []byte, contentType, disposition string, err error) {
	m := parseMessage(raw)
	if index < 0 || index >= len(m.atts) {
		return Attachment{}, nil, "", "", fmt.Errorf("open attachment %d: %w", index, ErrNoAttachment)
	}
	p := m.atts[index]
	data, _ = decodeTransfer(p.header.Get("Content-Transfer-Encoding"), p.body)
	a = m.info(index, data, opt.MaskAddresses)
	contentType, disposition = safeHeaders(a.Name, a.ContentType, p.params["charset"], data)
	return a, data, contentType, disposition, nil
}

// message is a parsed message: the MIME tree and its attachments in a fixed order.
type message struct {
	root *part
	atts []*part
	cids map[string]int // Content-ID (lower-cased) of inert images → attachment index
	errs []string
}

func parseMessage(raw []byte) *message {
	var ps parser
	m := &message{cids: map[string]int{}}
	m.root = ps.parse(raw, nil, 0, "text/plain")
	m.errs = ps.errs
	m.collect()
	return m
}

// walk yields every part below and including root, depth first, without recursion.
func walk(root *part) func(func(*part) bool) {
	return func(yield func(*part) bool) {
		stack := []*part{root}
		for len(stack) > 0 {
			p := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if !yield(p) {
				return
			}
			for i := len(p.children) - 1; i >= 0; i-- {
				stack = append(stack, p.children[i])
			}
		}
	}
}

// collect numbers the attachments: every leaf that is not body text, depth first.
// The order depends on the message only, never on the options.
func (m *message) collect() {
	for p := range walk(m.root) {
		if len(p.children) > 0 || isBodyPart(p) {
			continue
		}
		i := len(m.atts)
		m.atts = append(m.atts, p)
		if id := strings.ToLower(p.contentID); id != "" && inertImage(normType(p.ctype)) {
			if _, dup := m.cids[id]; !dup {
				m.cids[id] = i
			}
		}
	}
}

// isBodyPart reports a part shown as the message text: text/plain or text/html (or
// no type, or a multipart that lost its parts) not marked as an attachment.
func isBodyPart(p *part) bool {
	if len(p.children) > 0 || p.disp == "attachment" {
		return false
	}
	return p.ctype == "" || p.ctype == "text/plain" || p.ctype == "text/html" || strings.HasPrefix(p.ctype, "multipart/")
}

// info describes attachment i; data is its decoded content when at hand. With mask
// the name is PublicFileName's.
func (m *message) info(i int, data []byte, mask bool) Attachment {
	p := m.atts[i]
	name := fileName(p)
	if mask {
		name = PublicFileName(name)
	}
	a := Attachment{Index: i, ContentType: p.ctype, Name: safeName(name, i, p.ctype)}
	if data != nil {
		a.Size = len(data)
	} else {
		a.Size = decodedLen(p)
	}
	a.Inline = p.disp == "inline" || (p.contentID != "" && p.parent != nil && p.parent.ctype == "multipart/related")
	return a
}

// fileName reads the name of a part: filename of the disposition, else name of the
// type, in RFC 2231 or RFC 2047 form or raw.
func fileName(p *part) string {
	return FileName(p.header.Get("Content-Disposition"), p.header.Get("Content-Type"))
}

// FileName reads the file name a part's Content-Disposition (filename) or, failing
// that, Content-Type (name) gives, decoded from RFC 2231 or RFC 2047 form or raw:
// the name the archive pages show (before PublicFileName). "" when there is none.
func FileName(contentDisposition, contentType string) string {
	for _, h := range [...]struct{ value, param string }{{contentDisposition, "filename"}, {contentType, "name"}} {
		if v, ok := paramValue(headerParams(h.value), h.param); ok && strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}

func decodedLen(p *part) int {
	return mailmsg.DecodedSize(p.body, p.header.Get("Content-Transfer-Encoding"))
}

// renderer holds one rendering.
type renderer struct {
	opt   Options
	w     wording
	m     *message
	view  *View
	b     strings.Builder
	parts int // body parts written, for the separators
	errs  []string
}

func (r *renderer) note(s string) { r.errs = append(r.errs, s) }

// visible prepares text from the mail for the page: controls removed, addresses
// masked if asked.
func (r *renderer) visible(s string) string {
	s = cleanText(s)
	if r.opt.MaskAddresses {
		s = Mask(s)
	}
	return s
}

// body renders the parts of p that are shown as the message text.
func (r *renderer) body(p *part) {
	if len(p.children) == 0 {
		if isBodyPart(p) {
			r.bodyPart(p)
		}
		return
	}
	switch p.ctype {
	case "multipart/alternative":
		r.alternative(p)
	case "multipart/related":
		// The root is the part named by "start", else the first.
		root := p.children[0]
		if start := strings.Trim(strings.TrimSpace(p.params["start"]), "<>"); start != "" {
			for _, c := range p.children {
				if strings.EqualFold(c.contentID, start) {
					root = c
					break
				}
			}
		}
		r.body(root)
	default:
		for _, c := range p.children {
			r.body(c)
		}
	}
}

// alternative picks one of the versions: the text one unless it is empty or HTML is
// preferred.
func (r *renderer) alternative(p *part) {
	var plain, rich *part
	for _, c := range p.children {
		switch firstBodyType(c) {
		case "text/plain":
			if plain == nil {
				plain = c
			}
		case "text/html":
			rich = c
		}
	}
	usePlain := plain != nil && !(r.opt.PreferHTML && rich != nil) && !r.emptyText(plain)
	switch {
	case usePlain:
		if rich != nil {
			r.view.HTMLAlternative = true
		}
		r.body(plain)
	case rich != nil:
		r.body(rich)
	case plain != nil:
		r.body(plain)
	default:
		r.body(p.children[len(p.children)-1])
	}
}

// firstBodyType is the type of the first body part within p (text/plain standing for
// all plain kinds), "none" if it has none.
func firstBodyType(p *part) string {
	for q := range walk(p) {
		if isBodyPart(q) {
			if q.ctype == "text/html" {
				return q.ctype
			}
			return "text/plain"
		}
	}
	return "none"
}

// emptyText reports a text alternative with nothing but white space in it.
func (r *renderer) emptyText(p *part) bool {
	if len(p.children) > 0 {
		return false
	}
	s, _ := r.decodeText(p)
	return strings.TrimSpace(s) == ""
}

// decodeText decodes a body part to UTF-8 text, and reports whether it is HTML.
func (r *renderer) decodeText(p *part) (string, bool) {
	data, note := decodeTransfer(p.header.Get("Content-Transfer-Encoding"), p.body)
	if note != "" {
		r.note(note)
	}
	isHTML := p.ctype == "text/html"
	cs := p.params["charset"]
	if cs == "" && isHTML {
		cs = htmlCharset(data)
	}
	s, note := decodeCharset(data, cs)
	if note != "" {
		r.note(note)
	}
	return s, isHTML
}

func (r *renderer) bodyPart(p *part) {
	s, isHTML := r.decodeText(p)
	if r.parts > 0 {
		r.b.WriteString(`<hr class="mv-sep">`)
	}
	r.parts++
	if isHTML {
		r.writeHTML(s)
		return
	}
	flowed := strings.EqualFold(strings.TrimSpace(p.params["format"]), "flowed")
	delSp := strings.EqualFold(strings.TrimSpace(p.params["delsp"]), "yes")
	r.writeText(cleanText(s), flowed, delSp)
}

// cidURL is the caller's URL for the inert image with Content-ID ref, or "".
func (r *renderer) cidURL(ref string) string {
	if r.opt.AttachmentURL == nil {
		return ""
	}
	ref = strings.TrimSpace(ref)
	if u, err := url.PathUnescape(ref); err == nil {
		ref = u
	}
	i, ok := r.m.cids[strings.ToLower(strings.Trim(ref, "<>"))]
	if !ok {
		return ""
	}
	return r.opt.AttachmentURL(i)
}

// wording is the few words the body adds.
type wording struct {
	quote, sig, image, imageHost string
}

// words are the catalogue's view section in lang (German for a language listd does
// not speak).
func words(lang string) wording {
	cat, l := i18n.Default(), i18n.Or(lang, i18n.German)
	t := func(key string) string { return cat.T(l, "view."+key) }
	return wording{quote: t("quote"), sig: t("signature"), image: t("image"), imageHost: t("image_host")}
}
