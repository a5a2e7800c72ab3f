package mailview

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// testAttachmentURL is the URL tests give for attachments; the only src allowed.
func testAttachmentURL(i int) string { return fmt.Sprintf("/kita/att/42/%d", i) }

var (
	srcRE = regexp.MustCompile(`^/kita/att/42/[0-9]+$`)
	// addrRE finds what a reader would take for an address.
	addrRE = regexp.MustCompile(`[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(\.[\p{L}\p{N}-]+)+`)
)

// outputElements are the elements the output may contain, everything else fails.
var outputElements = func() map[string]bool {
	m := map[string]bool{"a": true, "img": true, "details": true, "summary": true}
	for _, e := range strings.Fields(textElements) {
		m[e] = true
	}
	return m
}()

// checkSafe parses a rendered body as a browser would inside the page and proves
// that nothing in it can run script, load a resource other than the caller's
// attachment URLs, style itself, or break out of its container.
func checkSafe(body string, masked bool) error {
	// Inside the page: the body must stay within its container.
	doc, err := html.Parse(strings.NewReader(`<!DOCTYPE html><html><head></head><body><article id="outer">` +
		body + `</article><p id="canary"></p></body></html>`))
	if err != nil {
		return fmt.Errorf("parse: %w", err)
	}
	var bodyNode, outer *html.Node
	for n := range doc.Descendants() {
		if n.Type == html.ElementNode && n.DataAtom == atom.Body && bodyNode == nil {
			bodyNode = n
		}
		if n.Type == html.ElementNode && attr(n, "id") == "outer" && outer == nil {
			outer = n
		}
	}
	if bodyNode == nil || outer == nil {
		return fmt.Errorf("page structure lost")
	}
	var kids []string
	for c := range bodyNode.ChildNodes() {
		kids = append(kids, c.Data+"#"+attr(c, "id"))
	}
	if len(kids) != 2 || kids[0] != "article#outer" || kids[1] != "p#canary" {
		return fmt.Errorf("body escapes its container: page body holds %v", kids)
	}
	for n := range outer.Descendants() {
		switch n.Type {
		case html.TextNode:
			if masked && addrRE.MatchString(n.Data) {
				return fmt.Errorf("address in text %q", n.Data)
			}
		case html.ElementNode:
			if err := checkElement(n, masked); err != nil {
				return err
			}
		case html.CommentNode:
			return fmt.Errorf("comment %q", n.Data)
		default:
			return fmt.Errorf("node type %v", n.Type)
		}
	}
	return nil
}

func checkElement(n *html.Node, masked bool) error {
	if n.Namespace != "" {
		return fmt.Errorf("foreign element %s:%s", n.Namespace, n.Data)
	}
	switch n.DataAtom {
	case atom.Script, atom.Style, atom.Link, atom.Meta, atom.Base, atom.Iframe, atom.Object,
		atom.Embed, atom.Form, atom.Svg, atom.Math, atom.Input, atom.Button, atom.Frame, atom.Template:
		return fmt.Errorf("forbidden element <%s>", n.Data)
	}
	if !outputElements[n.Data] {
		return fmt.Errorf("element <%s> not on the allow-list", n.Data)
	}
	hasHref := false
	for _, a := range n.Attr {
		key := strings.ToLower(a.Key)
		if a.Namespace != "" {
			return fmt.Errorf("<%s> namespaced attribute %s:%s", n.Data, a.Namespace, a.Key)
		}
		if strings.HasPrefix(key, "on") {
			return fmt.Errorf("<%s> event handler %s", n.Data, key)
		}
		if masked && addrRE.MatchString(a.Val) {
			return fmt.Errorf("<%s %s=%q> shows an address", n.Data, key, a.Val)
		}
		switch key {
		case "href":
			if n.DataAtom != atom.A {
				return fmt.Errorf("href on <%s>", n.Data)
			}
			lower := strings.ToLower(a.Val)
			switch {
			case strings.HasPrefix(lower, "http://"), strings.HasPrefix(lower, "https://"):
			case strings.HasPrefix(lower, "mailto:") && !masked:
			default:
				return fmt.Errorf("href %q", a.Val)
			}
			if strings.ContainsAny(a.Val, " \t\r\n\x00") {
				return fmt.Errorf("href with white space %q", a.Val)
			}
			hasHref = true
		case "src":
			if n.DataAtom != atom.Img || !srcRE.MatchString(a.Val) {
				return fmt.Errorf("<%s src=%q>", n.Data, a.Val)
			}
		case "class":
			for c := range strings.FieldsSeq(a.Val) {
				if !strings.HasPrefix(c, "mv-") {
					return fmt.Errorf("class %q from the mail", c)
				}
			}
		case "rel":
			if a.Val != linkRel {
				return fmt.Errorf("rel %q", a.Val)
			}
		case "alt", "dir", "colspan", "rowspan", "start":
		default:
			// style, srcset, action, formaction, poster, background, lowsrc, target,
			// id, name, ping, xlink:href and all the rest.
			return fmt.Errorf("<%s> attribute %s=%q", n.Data, key, a.Val)
		}
	}
	if n.DataAtom == atom.A && hasHref && attr(n, "rel") != linkRel {
		return fmt.Errorf("link without rel: %v", n.Attr)
	}
	return nil
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hostileFiles(t testing.TB) map[string][]byte {
	t.Helper()
	names, err := filepath.Glob(filepath.Join("testdata", "hostile", "*.eml"))
	if err != nil || len(names) < 25 {
		t.Fatalf("hostile corpus: %d files, %v", len(names), err)
	}
	out := map[string][]byte{}
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(n)] = b
	}
	return out
}

func TestHostileHTML(t *testing.T) {
	for name, raw := range hostileFiles(t) {
		for _, mask := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/mask=%v", name, mask), func(t *testing.T) {
				v, err := Render(raw, Options{PreferHTML: true, MaskAddresses: mask, AttachmentURL: testAttachmentURL})
				if err != nil {
					t.Fatal(err)
				}
				if err := checkSafe(string(v.Body), mask); err != nil {
					t.Fatalf("%v\nbody: %s", err, clip(string(v.Body), 3000))
				}
				lower := strings.ToLower(string(v.Body))
				for _, bad := range []string{"<script", "<style", "<svg", "<math", "<iframe", "<form", "<meta", "<base", "<link", "style=", "srcset=", "href=\"javascript", "href=\"data", "href=\"vbscript"} {
					if strings.Contains(lower, bad) {
						t.Errorf("output contains %q:\n%s", bad, clip(string(v.Body), 3000))
					}
				}
				if mask && (addrRE.MatchString(v.Subject) || addrRE.MatchString(strings.Join(v.Errors, " "))) {
					t.Errorf("address shown: %q %q", v.Subject, v.Errors)
				}
			})
		}
	}
}

// TestHostileDetails pins down what some of the hostile mails turn into.
func TestHostileDetails(t *testing.T) {
	files := hostileFiles(t)
	render := func(name string, opt Options) *View {
		t.Helper()
		opt.AttachmentURL = testAttachmentURL
		v, err := Render(files[name], opt)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		file      string
		opt       Options
		contains  []string
		lacks     []string
		blocked   int
		hasErrors bool
	}{
		{file: "19-tracking-pixels.eml", contains: []string{"newsletter", "[Bild: pix.example]"},
			lacks: []string{"tracker0.example"}, blocked: 451},
		{file: "21-cid-images.eml", opt: Options{Lang: "en"},
			contains: []string{`<img src="/kita/att/42/0" alt="Logo"/>`, "[Image: cdn.example]", "[Image]"},
			lacks:    []string{"/kita/att/42/1", "cid:"}, blocked: 1},
		{file: "24-html-in-base64.eml", contains: []string{"Grüße aus Köln – ", "€"}},
		// QP-encoded markup is markup once decoded, so the second script goes too.
		{file: "25-qp-encoded.eml", contains: []string{`<a href="https://ok.example/qp" rel="nofollow noopener noreferrer ugc">ok</a>`, "[Bild: evil.example]"},
			lacks: []string{"alert", "java"}, blocked: 1},
		{file: "29-alternative-empty-text.eml", contains: []string{"html only"}, blocked: 1},
		{file: "30-addresses.eml", opt: Options{MaskAddresses: true},
			contains: []string{"s…@…", "m…@…", "Müller", "[Bild: tracker.example] an s…@…"},
			lacks:    []string{"href=\"mailto:", "href=\"MAILTO:", "secret%40", "secret@", "abmelden</a>"}, blocked: 1},
		{file: "30-addresses.eml", blocked: 1,
			contains: []string{`<a href="mailto:secret@example.org" rel="nofollow noopener noreferrer ugc">secret@example.org</a>`,
				`<a href="https://lists.example.org/u?e=secret@example.org" rel="nofollow noopener noreferrer ugc">abmelden 2</a>`}},
		{file: "32-style-class-everywhere.eml", contains: []string{`<td colspan="2">cell</td>`, `<ol start="3">`}},
		{file: "31-deep-nesting.eml", contains: []string{"deep", "bold", "cells"}},
		{file: "12-base-href.eml", contains: []string{"relative login"}, lacks: []string{"href"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			v := render(tt.file, tt.opt)
			body := string(v.Body)
			for _, s := range tt.contains {
				if !strings.Contains(body, s) {
					t.Errorf("body lacks %q:\n%s", s, clip(body, 2000))
				}
			}
			for _, s := range tt.lacks {
				if strings.Contains(body, s) {
					t.Errorf("body contains %q:\n%s", s, clip(body, 2000))
				}
			}
			if v.BlockedImages != tt.blocked {
				t.Errorf("BlockedImages = %d, want %d", v.BlockedImages, tt.blocked)
			}
		})
	}
}
