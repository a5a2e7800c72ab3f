package compose

import (
	"errors"
	"fmt"
	"strings"

	"github.com/emersion/go-message/textproto"
)

// A private reply is passed on by the list from one member to another without either
// seeing the other's address: the header keeps only the sender's fields a post on an
// anonymous list keeps (KeptFields), with In-Reply-To and References naming only the
// list's posts and listd's own mail, the body parts are scrubbed as an anonymous
// post's (scrubMIME), From becomes a relay address of the list that stands for the
// sender, and a short note goes where the list footer would go.

// Relay is what PrepareRelay needs to pass on one private message.
type Relay struct {
	Name      string // the list's name
	Domain    string
	Sender    string // how the sender is shown, e.g. "Sonnenblume via kita (privat)"
	From      string // the relay address that stands for the sender
	To        string // the recipient's address
	MessageID string // a new Message-ID, without angle brackets
	Note      string // text for the end of the message text, UTF-8, lines ending in "\n"
	// Hide are the sender's addresses: a header field that would be kept but mentions
	// one of them is left out.
	Hide []string
	// Refs maps the Message-IDs of the list's posts that the message's In-Reply-To and
	// References may name (as received, or as shown) to the ids the recipient knows
	// them by, as IDs.Refs does. Other ids are left out, except listd's own (those at
	// Domain: the relayed messages and notices).
	Refs map[string]string
}

// ErrNotRelayable means the message carries its sender's identity where it cannot be
// taken out without breaking the message: S/MIME (the certificate) or encryption.
var ErrNotRelayable = errors.New("compose: signed (S/MIME) or encrypted mail cannot be passed on without showing its sender")

// PrepareRelay returns the message to send to r.To for the private message raw (as
// received, CRLF or LF line endings). A PGP/MIME or S/MIME signature in a
// multipart/signed is taken off, since it names the signer and no longer holds for the
// new header; opaque S/MIME and encrypted mail fail with ErrNotRelayable.
func PrepareRelay(raw []byte, r Relay) ([]byte, error) {
	if err := r.check(); err != nil {
		return nil, fmt.Errorf("compose: relay: %w", err)
	}
	msg, h, body, err := readMessage(raw)
	if err != nil {
		return nil, err
	}
	top := newEntity(h, body)
	switch top.mediaType {
	case "application/pkcs7-mime", "application/x-pkcs7-mime", "multipart/encrypted":
		return nil, ErrNotRelayable
	case "multipart/signed":
		if top, err = unsign(top); err != nil {
			return nil, err
		}
	}

	sh, sb := scrubMIME(top.h, top.body, r.Domain, r.MessageID)
	top = newEntity(sh, sb)

	c := &composer{footer: noteFooter(r.Note), msg: msg, seed: r.MessageID}
	ed, ok := c.addFooter(top, 0)
	if !ok {
		ed = c.wrap(top)
	}
	wrapped := !ok

	var repl []replacement
	for _, f := range []struct{ k, v string }{
		{"From", phrase(sanitizeText(r.Sender)) + " <" + r.From + ">"},
		{"To", "<" + r.To + ">"},
		{"Message-ID", "<" + r.MessageID + ">"},
	} {
		b, err := formatField(f.k, f.v)
		if err != nil {
			return nil, fmt.Errorf("compose: %w", err)
		}
		repl = append(repl, replacement{f.k, b})
	}
	refs, err := refFields(&top.h, r.Refs, func(id string) bool {
		_, right, _ := strings.Cut(id, "@")
		return strings.EqualFold(right, r.Domain)
	})
	if err != nil {
		return nil, err
	}
	repl = append(repl, refs...)
	content, err := contentFields(ed)
	if err != nil {
		return nil, fmt.Errorf("compose: %w", err)
	}
	if (wrapped || len(content) > 0) && !top.h.Has("Mime-Version") {
		repl = append(repl, replacement{"MIME-Version", []byte("MIME-Version: 1.0\r\n")})
	}
	repl = append(repl, content...)
	hide := r.hidden()
	out := make([]byte, 0, len(msg)-len(top.body)+len(ed.body)+256)
	out, err = appendFields(out, &top.h, repl, func(k string) bool {
		if isDropped(k) || !senderKeeps(k) || (wrapped && hasPrefixFold(k, "Content-")) {
			return true
		}
		return hide(&top.h, k)
	})
	if err != nil {
		return nil, fmt.Errorf("compose: header: %w", err)
	}
	out = append(out, "\r\n"...)
	return append(out, ed.body...), nil
}

func (r Relay) check() error {
	if !isToken(r.Name, "-_.+") || !isToken(r.Domain, "-.") {
		return errors.New("invalid list name or domain")
	}
	for _, a := range []string{r.From, r.To, r.MessageID} {
		if a == "" || strings.ContainsAny(a, "<>\r\n\t \"") || strings.Count(a, "@") != 1 {
			return fmt.Errorf("invalid address or message id %q", a)
		}
	}
	return nil
}

// hidden returns the test for fields that mention one of r.Hide: in their raw bytes
// or, through encoded words, in their decoded value.
func (r Relay) hidden() func(h *textproto.Header, key string) bool {
	var needles []string
	for _, a := range r.Hide {
		if a = strings.ToLower(strings.TrimSpace(a)); a != "" {
			needles = append(needles, a)
		}
	}
	return func(h *textproto.Header, key string) bool {
		for _, v := range h.Values(key) {
			low := strings.ToLower(v)
			if dec, err := decodeHeader(v); err == nil {
				low += "\x00" + strings.ToLower(dec)
			}
			for _, n := range needles {
				if strings.Contains(low, n) {
					return true
				}
			}
		}
		return false
	}
}

// unsign returns the signed content of a multipart/signed as the top entity: the
// message's own fields with the content fields of the signed part.
func unsign(top *entity) (*entity, error) {
	m, ok := splitMultipart(top.body, top.params["boundary"])
	if !ok {
		return nil, ErrNotRelayable
	}
	p, ok := parsePart(m.body[m.parts[0].start:m.parts[0].end])
	if !ok {
		return nil, ErrNotRelayable
	}
	var hdr []byte
	fields := top.h.Fields()
	for fields.Next() {
		if !hasPrefixFold(fields.Key(), "Content-") {
			raw, _ := fields.Raw()
			hdr = append(hdr, raw...)
		}
	}
	fields = p.h.Fields()
	for fields.Next() {
		if hasPrefixFold(fields.Key(), "Content-") {
			raw, _ := fields.Raw()
			hdr = append(hdr, raw...)
		}
	}
	h, err := parseHeader(append(hdr, "\r\n"...))
	if err != nil {
		return nil, ErrNotRelayable
	}
	return newEntity(h, p.body), nil
}

// noteFooter is the relay's note in the form of a list footer: after the "-- "
// separator in text parts, in a small block in HTML.
func noteFooter(note string) footer {
	lines := strings.Split(strings.TrimRight(strings.ReplaceAll(note, "\r\n", "\n"), "\n"), "\n")
	var t, h strings.Builder
	t.WriteString("-- \r\n")
	h.WriteString("<div class=\"list-footer\">\r\n<hr>\r\n")
	for i, l := range lines {
		l = sanitizeText(l)
		t.WriteString(l + "\r\n")
		h.WriteString(htmlText(l))
		if i < len(lines)-1 {
			h.WriteString("<br>")
		}
		h.WriteString("\r\n")
	}
	h.WriteString("</div>\r\n")
	return footer{text: []byte(t.String()), html: []byte(h.String())}
}
