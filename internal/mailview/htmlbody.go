package mailview

import (
	"fmt"
	"net/url"
	"strings"
	"sync"

	"github.com/microcosm-cc/bluemonday"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// linkRel is set on every link that leaves the archive.
const linkRel = "nofollow noopener noreferrer ugc"

// maxHTMLDepth caps element nesting; deeper elements are unwrapped to their text.
const maxHTMLDepth = 64

// textElements are the elements a mail body may keep: text structure and tables,
// nothing that loads, submits, runs or styles. a and img get their own rules.
const textElements = `abbr b bdi bdo big blockquote br caption center cite code col colgroup dd del
	dfn div dl dt em figcaption figure font h1 h2 h3 h4 h5 h6 hr i ins kbd li mark ol p pre q
	rp rt ruby s samp small span strike strong sub sup table tbody td tfoot th thead time tr
	tt u ul var wbr`

// sanitizer is built once and only read afterwards (bluemonday policies are safe for
// concurrent use once built).
type sanitizer struct {
	policy  *bluemonday.Policy
	allowed map[atom.Atom]bool
}

var getSanitizer = sync.OnceValue(func() *sanitizer {
	p := bluemonday.NewPolicy()
	p.AllowElements(strings.Fields(textElements)...)
	p.AllowAttrs("href").OnElements("a")
	p.AllowAttrs("src", "alt").OnElements("img")
	// Kept only to recognize tracking pixels; the second pass drops them.
	p.AllowAttrs("width", "height").Matching(bluemonday.NumberOrPercent).OnElements("img")
	p.AllowAttrs("colspan", "rowspan").Matching(bluemonday.Integer).OnElements("td", "th")
	p.AllowAttrs("start").Matching(bluemonday.Integer).OnElements("ol")
	p.AllowAttrs("dir").Matching(bluemonday.Direction).Globally()
	p.AllowURLSchemes("http", "https", "mailto", "cid")
	p.RequireParseableURLs(true)
	p.SkipElementsContent("svg", "math", "template", "select", "textarea", "applet", "embed")
	s := &sanitizer{policy: p, allowed: map[atom.Atom]bool{atom.A: true, atom.Img: true}}
	for _, name := range strings.Fields(textElements) {
		s.allowed[atom.Lookup([]byte(name))] = true
	}
	return s
})

// dropWithContent are elements whose content is never text for the reader.
func dropWithContent(a atom.Atom) bool {
	switch a {
	case atom.Script, atom.Style, atom.Link, atom.Meta, atom.Base, atom.Iframe, atom.Frame,
		atom.Frameset, atom.Object, atom.Embed, atom.Applet, atom.Svg, atom.Math, atom.Template,
		atom.Noscript, atom.Noembed, atom.Noframes, atom.Title, atom.Head, atom.Form, atom.Input,
		atom.Select, atom.Textarea, atom.Button, atom.Audio, atom.Video, atom.Source, atom.Track,
		atom.Picture, atom.Canvas, atom.Param, atom.Xmp, atom.Plaintext, atom.Dialog:
		return true
	}
	return false
}

// writeHTML renders an HTML body: bluemonday first, then a pass over the parsed
// result that enforces the allow-list again and does what bluemonday cannot (remote
// images to text, cid: to attachment URLs, masking, link attributes). Parsing and
// rendering the tree also balances the markup, so a stray end tag in the mail cannot
// close the page's own elements.
func (r *renderer) writeHTML(src string) {
	s := getSanitizer()
	clean := s.policy.Sanitize(src)
	box := &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div}
	nodes, err := html.ParseFragment(strings.NewReader(clean), box)
	if err != nil {
		// The parser refuses more than 512 open elements; browsers take more, so
		// flatten the deep end and try again.
		nodes, err = html.ParseFragment(strings.NewReader(flatten(clean, maxHTMLDepth)), box)
		if err != nil {
			r.note("html: " + err.Error())
			nodes = nil
		}
	}
	for _, n := range nodes {
		box.AppendChild(n)
	}
	c := htmlCleaner{r: r, allowed: s.allowed}
	c.clean(box, 0)
	if r.opt.MaskAddresses {
		maskText(box)
	}
	box.Attr = []html.Attribute{{Key: "class", Val: "mv-html"}}
	if err := html.Render(&r.b, box); err != nil {
		r.note("html: " + err.Error())
	}
}

type htmlCleaner struct {
	r       *renderer
	allowed map[atom.Atom]bool
}

// clean walks the children of n, removing, unwrapping or rewriting each.
func (c *htmlCleaner) clean(n *html.Node, depth int) {
	for ch := n.FirstChild; ch != nil; {
		next := ch.NextSibling
		switch ch.Type {
		case html.TextNode:
			ch.Data = cleanText(ch.Data) // masked afterwards, see maskText
		case html.ElementNode:
			switch {
			case ch.Namespace != "" || dropWithContent(ch.DataAtom):
				n.RemoveChild(ch)
			case !c.allowed[ch.DataAtom] || depth >= maxHTMLDepth:
				next = unwrap(n, ch)
			case ch.DataAtom == atom.Img:
				c.img(n, ch)
			case ch.DataAtom == atom.A:
				if c.link(ch) {
					c.clean(ch, depth+1)
				} else {
					next = unwrap(n, ch)
				}
			default:
				ch.Attr = plainAttrs(ch)
				c.clean(ch, depth+1)
			}
		default: // comments, doctypes, raw nodes
			n.RemoveChild(ch)
		}
		ch = next
	}
}

// maskText masks the addresses in the text below n, first joining neighbouring text
// nodes (unwrapping leaves them split) so an address cannot hide across a seam.
func maskText(n *html.Node) {
	for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
		if ch.Type != html.TextNode {
			maskText(ch)
			continue
		}
		for ch.NextSibling != nil && ch.NextSibling.Type == html.TextNode {
			ch.Data += ch.NextSibling.Data
			n.RemoveChild(ch.NextSibling)
		}
		ch.Data = Mask(ch.Data)
	}
}

// unwrap replaces ch by its children and returns the node to visit next.
func unwrap(parent, ch *html.Node) *html.Node {
	first := ch.FirstChild
	for k := ch.FirstChild; k != nil; {
		next := k.NextSibling
		ch.RemoveChild(k)
		parent.InsertBefore(k, ch)
		k = next
	}
	next := ch.NextSibling
	parent.RemoveChild(ch)
	if first != nil {
		return first
	}
	return next
}

// plainAttrs keeps the few attributes that only shape text.
func plainAttrs(n *html.Node) []html.Attribute {
	var out []html.Attribute
	for _, a := range n.Attr {
		if a.Namespace != "" {
			continue
		}
		switch a.Key {
		case "dir":
			if v := strings.ToLower(a.Val); v == "ltr" || v == "rtl" || v == "auto" {
				out = append(out, html.Attribute{Key: "dir", Val: v})
			}
		case "colspan", "rowspan":
			if (n.DataAtom == atom.Td || n.DataAtom == atom.Th) && smallNumber(a.Val) {
				out = append(out, html.Attribute{Key: a.Key, Val: a.Val})
			}
		case "start":
			if n.DataAtom == atom.Ol && smallNumber(a.Val) {
				out = append(out, html.Attribute{Key: a.Key, Val: a.Val})
			}
		}
	}
	return out
}

func smallNumber(s string) bool {
	if s == "" || len(s) > 4 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// link keeps an <a> with a safe target, setting rel and dropping everything else;
// false means the element should give way to its text. With masking, mailto links
// and links that carry an address lose their target.
func (c *htmlCleaner) link(n *html.Node) bool {
	href := ""
	for _, a := range n.Attr {
		if a.Namespace == "" && a.Key == "href" {
			href = a.Val
		}
	}
	n.Attr = nil
	h, ok := safeLink(href)
	if !ok {
		return false
	}
	if c.r.opt.MaskAddresses && (strings.HasPrefix(strings.ToLower(h), "mailto:") || hasAddress(h)) {
		return false
	}
	n.Attr = []html.Attribute{{Key: "href", Val: h}, {Key: "rel", Val: linkRel}}
	return true
}

// img keeps a cid: image that names an inert image attachment (pointing it at the
// caller's URL) and replaces every other image: remote ones by "[Bild: host]",
// tracking pixels (1×1 or smaller) by nothing.
func (c *htmlCleaner) img(parent, n *html.Node) {
	var src, alt, width, height string
	for _, a := range n.Attr {
		if a.Namespace != "" {
			continue
		}
		switch a.Key {
		case "src":
			src = strings.TrimSpace(a.Val)
		case "alt":
			alt = strings.TrimSpace(c.r.visible(a.Val))
		case "width":
			width = a.Val
		case "height":
			height = a.Val
		}
	}
	lower := strings.ToLower(src)
	var text string
	switch {
	case strings.HasPrefix(lower, "cid:"):
		if u := c.r.cidURL(src[4:]); u != "" {
			n.Attr = []html.Attribute{{Key: "src", Val: u}}
			if alt != "" {
				n.Attr = append(n.Attr, html.Attribute{Key: "alt", Val: alt})
			}
			return
		}
		text = c.r.w.image
	case strings.HasPrefix(lower, "http://"), strings.HasPrefix(lower, "https://"):
		c.r.view.BlockedImages++
		if tiny(width) || tiny(height) {
			parent.RemoveChild(n)
			return
		}
		host := ""
		if u, err := url.Parse(src); err == nil {
			host = c.r.visible(u.Hostname())
		}
		text = c.r.w.image
		if host != "" {
			text = fmt.Sprintf(c.r.w.imageHost, host)
		}
	default:
		text = ""
	}
	if alt != "" {
		text = strings.TrimSpace(text + " " + alt)
	}
	if text == "" {
		parent.RemoveChild(n)
		return
	}
	span := &html.Node{Type: html.ElementNode, Data: "span", DataAtom: atom.Span,
		Attr: []html.Attribute{{Key: "class", Val: "mv-blocked"}}}
	span.AppendChild(&html.Node{Type: html.TextNode, Data: text})
	parent.InsertBefore(span, n)
	parent.RemoveChild(n)
}

// tiny reports a width or height of at most one pixel, the mark of a tracking pixel.
func tiny(v string) bool {
	v = strings.TrimSuffix(strings.TrimSpace(v), "px")
	return v == "0" || v == "1"
}

// flatten drops the tags nested deeper than limit, keeping their text. The count is
// rough (implied end tags are not seen), which only flattens earlier.
func flatten(s string, limit int) string {
	var b strings.Builder
	z := html.NewTokenizer(strings.NewReader(s))
	depth, dropped := 0, 0
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return b.String()
		case html.StartTagToken:
			tok := z.Token()
			if voidElement(tok.DataAtom) {
				b.WriteString(tok.String())
			} else if depth >= limit {
				dropped++
			} else {
				depth++
				b.WriteString(tok.String())
			}
		case html.EndTagToken:
			if dropped > 0 {
				dropped--
			} else if depth > 0 {
				depth--
				b.WriteString(z.Token().String())
			}
		case html.SelfClosingTagToken, html.TextToken:
			b.WriteString(z.Token().String())
		}
	}
}

func voidElement(a atom.Atom) bool {
	switch a {
	case atom.Br, atom.Img, atom.Hr, atom.Wbr, atom.Col:
		return true
	}
	return false
}
