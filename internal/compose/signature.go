package compose

import (
	"bufio"
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"mime"
	"strings"

	"github.com/emersion/go-message/textproto"
	"golang.org/x/net/html"

	"listd/internal/mailmsg"
)

// Signatures on anonymous lists: a poster's signature (the "-- " line of RFC 3676
// 4.3 and what follows it in a text part; the signature block mail programs mark in
// HTML) often carries a real name, a street and a phone number. StripSignatures takes
// it out of a post once, before the post is stored, so every way a post is read
// (members' copies, pages, search, feeds, mbox, digests, IMAP) serves it without.

// maxSigDepth bounds how deep StripSignatures follows nested multiparts.
const maxSigDepth = 12

// StripSignatures returns the post raw without the signatures of its text parts
// (text/plain and text/html, in the top level and in multiparts, signed ones too;
// not in attached messages, attachments or encrypted parts). removed reports whether one was found; when none was, out
// is raw itself. err is set only when raw has no readable header.
func StripSignatures(raw []byte) (out []byte, removed bool, err error) {
	block, body := mailmsg.SplitHeader(raw)
	h, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(append(block[:len(block):len(block)], "\r\n\r\n"...))))
	if err != nil {
		return raw, false, fmt.Errorf("signature: read header: %w", err)
	}
	newH, newBody, changed := stripEntity(h, body, 0)
	if !changed {
		return raw, false, nil
	}
	var b bytes.Buffer
	b.Grow(len(raw))
	if err := textproto.WriteHeader(&b, newH); err != nil {
		return raw, false, fmt.Errorf("signature: write header: %w", err)
	}
	b.Write(newBody)
	return b.Bytes(), true, nil
}

func stripEntity(h textproto.Header, body []byte, depth int) (textproto.Header, []byte, bool) {
	if depth > maxSigDepth {
		return h, body, false
	}
	ct := h.Get("Content-Type")
	mt, params, err := mime.ParseMediaType(ct)
	if ct == "" {
		mt, err = "text/plain", nil
	}
	if err != nil && mt == "" {
		return h, body, false
	}
	if disp, _, _ := mime.ParseMediaType(h.Get("Content-Disposition")); disp == "attachment" {
		return h, body, false
	}
	switch {
	case strings.HasPrefix(mt, "multipart/"):
		if mt == "multipart/encrypted" {
			return h, body, false // nothing to read
		}
		// A multipart/signed's text is changed too: anonymous lists take its
		// signature off anyway (scrubMIME), since it names the signer's key.
		nb, changed := stripMultipart(body, params["boundary"], depth)
		return h, nb, changed
	case mt == "text/plain" || mt == "text/html":
		cte := strings.ToLower(strings.TrimSpace(h.Get("Content-Transfer-Encoding")))
		text, err := mailmsg.DecodeTransfer(body, cmp.Or(cte, "7bit"), mailmsg.Strict)
		if err != nil {
			return h, body, false
		}
		var cut []byte
		var changed bool
		if mt == "text/plain" {
			cut, changed = cutPlainSignature(text)
		} else {
			cut, changed = cutHTMLSignature(text)
		}
		if !changed {
			return h, body, false
		}
		return h, encodeTransfer(cut, cte), true
	}
	return h, body, false
}

// stripMultipart strips the signatures of a multipart body's parts; a body that
// cannot be split is left as it is.
func stripMultipart(body []byte, boundary string, depth int) ([]byte, bool) {
	if boundary == "" {
		return body, false
	}
	var parts []mailmsg.Part
	changed := false
	mr := textproto.NewMultipartReader(bytes.NewReader(body), boundary)
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return body, false
		}
		b, err := io.ReadAll(p)
		if err != nil {
			return body, false
		}
		h, nb, c := stripEntity(p.Header, b, depth+1)
		parts = append(parts, mailmsg.Part{Header: h, Body: nb})
		changed = changed || c
	}
	if !changed {
		return body, false
	}
	out, err := mailmsg.JoinMultipart(boundary, parts, len(body))
	if err != nil {
		return body, false
	}
	return out, true
}

// cutPlainSignature cuts text at its first signature separator, a line that is
// exactly "-- " (RFC 3676 4.3); what follows it is the signature. Quoted lines
// ("> -- ") are not separators.
func cutPlainSignature(text []byte) ([]byte, bool) {
	for pos := 0; pos < len(text); {
		end := bytes.IndexByte(text[pos:], '\n')
		next := len(text)
		line := text[pos:]
		if end >= 0 {
			line, next = text[pos:pos+end], pos+end+1
		}
		if string(bytes.TrimSuffix(line, []byte("\r"))) == "-- " {
			return bytes.TrimRight(text[:pos], " \t\r\n"), true
		}
		pos = next
	}
	return text, false
}

// htmlSignature reports whether n is a signature block as mail programs mark it:
// Thunderbird's moz-signature, Gmail's gmail_signature, Apple Mail's and Outlook's
// Signature ids.
func htmlSignature(n *html.Node) bool {
	if n.Type != html.ElementNode {
		return false
	}
	for _, a := range n.Attr {
		switch a.Key {
		case "class":
			for _, c := range strings.Fields(a.Val) {
				if c == "moz-signature" || c == "gmail_signature" || c == "signature" {
					return true
				}
			}
		case "id":
			if v := strings.ToLower(a.Val); v == "signature" || v == "applemailsignature" {
				return true
			}
		case "data-smartmail":
			if a.Val == "gmail_signature" {
				return true
			}
		}
	}
	return false
}

// cutHTMLSignature removes signature blocks from an HTML part, and a "-- " line
// (a text node "-- " after a line break) with everything after it in its element.
func cutHTMLSignature(text []byte) ([]byte, bool) {
	if !bytes.Contains(text, []byte("signature")) && !bytes.Contains(text, []byte("-- ")) {
		return text, false
	}
	doc, err := html.Parse(bytes.NewReader(text))
	if err != nil {
		return text, false
	}
	changed := false
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		for c := n.FirstChild; c != nil; {
			next := c.NextSibling
			switch {
			case htmlSignature(c):
				n.RemoveChild(c)
				changed = true
			case c.Type == html.TextNode && strings.Trim(strings.ReplaceAll(c.Data, "\u00a0", " "), "\r\n") == "-- " &&
				(c.PrevSibling == nil || c.PrevSibling.Type == html.ElementNode && c.PrevSibling.Data == "br"):
				for d := c; d != nil; {
					dn := d.NextSibling
					n.RemoveChild(d)
					d = dn
				}
				changed = true
				return
			default:
				walk(c)
			}
			c = next
		}
	}
	walk(doc)
	if !changed {
		return text, false
	}
	var b bytes.Buffer
	if err := html.Render(&b, doc); err != nil {
		return text, false
	}
	return b.Bytes(), true
}

// encodeTransfer writes text in the transfer encoding it came in, with CRLF lines.
func encodeTransfer(text []byte, cte string) []byte {
	text = bytes.ReplaceAll(bytes.ReplaceAll(text, []byte("\r\n"), []byte("\n")), []byte("\n"), []byte("\r\n"))
	switch cte {
	case "base64":
		return encodeBase64(text)
	case "quoted-printable":
		return append(encodeQP(text), '\r', '\n')
	}
	return append(text, '\r', '\n')
}
