package bounce

import (
	"bufio"
	"bytes"
	"errors"
	"html"
	"io"
	"mime"
	"regexp"
	"strings"
	"unicode/utf8"

	gomessage "github.com/emersion/go-message"
	"github.com/emersion/go-message/textproto"

	"listd/internal/mailmsg"
)

// Limits that keep the work per message bounded whatever arrives.
const (
	maxInput = 1 << 20   // raw bytes looked at; the report parts come before any large original
	maxText  = 256 << 10 // decoded text kept from all parts together
	maxParts = 64        // MIME parts visited
	maxDepth = 16        // multipart nesting followed
)

var errNotMail = errors.New("not a mail message: no mail header fields")

// mailFields are header fields of which at least one must be present for the
// input to count as a mail message rather than arbitrary text.
var mailFields = []string{
	"From", "To", "Subject", "Date", "Message-Id", "Received", "Return-Path",
	"Content-Type", "Mime-Version", "Delivered-To", "Sender", "Reply-To",
	"X-Failed-Recipients", "Auto-Submitted",
}

// textPart is the decoded text of one MIME part.
type textPart struct {
	body       string
	html       bool
	attachment bool
}

// message is the part of a mail that the classifier looks at.
type message struct {
	header   textproto.Header
	subject  string // decoded
	from     string // decoded, lower case
	dsn      []string
	texts    []textPart
	mdn      bool // has a message disposition notification (read receipt)
	refused  []string
	returned bool // carries a returned message or its header
}

func readMessage(raw []byte) (*message, error) {
	if len(raw) > maxInput {
		raw = raw[:maxInput]
	}
	raw = skipEnvelopeLine(raw)
	h, body := splitHeader(raw)
	known := false
	for _, k := range mailFields {
		if h.Has(k) {
			known = true
			break
		}
	}
	if !known {
		return nil, errNotMail
	}
	m := &message{
		header:  h,
		subject: decodeHeader(h.Get("Subject")),
		from:    strings.ToLower(decodeHeader(h.Get("From"))),
	}
	w := walker{budget: maxText}
	w.walk(h, body, 0)
	m.dsn, m.texts, m.mdn, m.refused, m.returned = w.dsn, w.texts, w.mdn, w.refused, w.returned
	return m, nil
}

// skipEnvelopeLine drops leading blank lines and an mbox "From " line, both
// of which make the header unreadable.
func skipEnvelopeLine(b []byte) []byte {
	b = bytes.TrimLeft(b, " \t\r\n")
	if bytes.HasPrefix(b, []byte("From ")) {
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			return b[i+1:]
		}
		return nil
	}
	return b
}

// splitHeader parses the header at the start of b and returns it with the
// body. A malformed header line ends the header (mailmsg.SplitHeader) but keeps
// the fields before it: bounces quoting broken mail are common, and the fields
// read so far are still useful.
func splitHeader(b []byte) (textproto.Header, []byte) {
	hb, body := mailmsg.SplitHeader(b)
	if len(hb) > 0 && hb[len(hb)-1] != '\n' {
		// go-message drops a last line without a line break
		hb = append(hb[:len(hb):len(hb)], '\n')
	}
	h, _ := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(hb)))
	return h, body
}

// walker collects the delivery-status and text parts of a message, within the
// limits above.
type walker struct {
	parts  int
	budget int
	dsn    []string
	texts  []textPart
	mdn    bool
	// refused are the recipients of disposition notifications that say
	// the message was deleted unread.
	refused []string
	// returned is set when the message carries a message or its header
	// as a part: what a report sends back.
	returned bool
}

func (w *walker) walk(h textproto.Header, body []byte, depth int) {
	if depth > maxDepth || w.parts >= maxParts || w.budget <= 0 {
		return
	}
	w.parts++
	mt, params := contentType(h)
	switch {
	case strings.HasPrefix(mt, "multipart/"):
		parts := splitMultipart(body, params["boundary"])
		if len(parts) == 0 {
			// No usable boundary: the raw text may still hold the report.
			w.addText(textPart{body: strings.ToValidUTF8(string(body[:min(len(body), w.budget)]), "\uFFFD")})
			return
		}
		for _, p := range parts {
			ph, pb := splitHeader(p)
			w.walk(ph, pb, depth+1)
		}
	case mt == "message/delivery-status" || mt == "message/global-delivery-status":
		if s := w.decode(h, body, params); s != "" {
			w.budget -= len(s)
			w.dsn = append(w.dsn, s)
		}
	case mt == "message/disposition-notification" || mt == "message/global-disposition-notification":
		w.mdn = true
		// "automatic-action/...; deleted" is how a Sieve reject (RFC 5429)
		// and a delivery agent refusing the message (Dovecot: quota) answer,
		// to the return path where read receipts never go: not a receipt
		// but a refusal.
		for _, g := range parseFieldGroups(w.decode(h, body, params)) {
			mode, typ, _ := strings.Cut(strings.ToLower(g["disposition"]), ";")
			if strings.HasPrefix(strings.TrimSpace(mode), "automatic-action") && strings.TrimSpace(typ) == "deleted" &&
				len(w.refused) < maxRecipients {
				w.refused = append(w.refused, normalizeAddr(g["final-recipient"]))
			}
		}
	case mt == "message/rfc822" || mt == "message/global":
		// A delivery report forwarded as an attachment (a mailbox's forwarding
		// rule, a provider passing a DSN on) is read as the report it is;
		// anything else is the returned original, which says nothing about
		// the failure.
		ih, ib := splitHeader(body)
		if imt, ip := contentType(ih); imt == "multipart/report" && isDeliveryReport(ip["report-type"]) {
			w.walk(ih, ib, depth+1)
		} else {
			w.returned = true
		}
	case strings.HasPrefix(mt, "message/") || mt == "text/rfc822-headers":
		// The returned original: what it says is not about the failure.
		w.returned = true
	case strings.HasPrefix(mt, "text/"):
		disp := strings.ToLower(strings.TrimSpace(h.Get("Content-Disposition")))
		w.addText(textPart{
			body:       w.decode(h, body, params),
			html:       mt == "text/html",
			attachment: strings.HasPrefix(disp, "attachment"),
		})
	}
}

// isDeliveryReport tells whether a multipart/report's report-type is a DSN.
func isDeliveryReport(reportType string) bool {
	rt := strings.ToLower(strings.TrimSpace(reportType))
	return rt == "delivery-status" || rt == "global-delivery-status"
}

func (w *walker) addText(p textPart) {
	if p.body == "" {
		return
	}
	p.body = clip(p.body, w.budget)
	w.budget -= len(p.body)
	w.texts = append(w.texts, p)
}

// decode undoes the transfer encoding and, where it can, the charset of a
// leaf part, reading at most the remaining text budget.
func (w *walker) decode(h textproto.Header, body []byte, params map[string]string) string {
	e, err := gomessage.New(gomessage.Header{Header: h}, bytes.NewReader(body))
	if e == nil {
		return ""
	}
	// A broken encoding still yields what decoded before the damage.
	b, _ := io.ReadAll(io.LimitReader(e.Body, int64(w.budget)))
	if gomessage.IsUnknownCharset(err) {
		// go-message converts only what a registered CharsetReader knows;
		// this package must not register one for the whole program.
		if r, cerr := mailmsg.CharsetReader(params["charset"], bytes.NewReader(b)); cerr == nil {
			if conv, rerr := io.ReadAll(r); rerr == nil {
				b = conv
			}
		}
	}
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	if len(s) > w.budget {
		s = clip(s, w.budget)
	}
	return s
}

// decodeHeader decodes RFC 2047 encoded words, keeping the raw value when it cannot.
func decodeHeader(v string) string {
	s, err := mailmsg.DecodeWords(v)
	if err != nil {
		s = v
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

var reParam = regexp.MustCompile(`(?i)\b(boundary|charset|report-type)\s*=\s*(?:"([^"]*)"|([^\s;"]+))`)

// contentType returns the media type and parameters of a part. Broken
// parameters are common in bounces, so when the standard parser gives up it
// salvages the type and the few parameters used here.
func contentType(h textproto.Header) (string, map[string]string) {
	v := h.Get("Content-Type")
	if strings.TrimSpace(v) == "" {
		return "text/plain", map[string]string{}
	}
	mt, params, err := mime.ParseMediaType(v)
	if err != nil || mt == "" {
		mt, _, _ = strings.Cut(v, ";")
		mt = strings.ToLower(strings.TrimSpace(mt))
		params = map[string]string{}
		for _, m := range reParam.FindAllStringSubmatch(v, -1) {
			k := strings.ToLower(m[1])
			if _, ok := params[k]; !ok {
				params[k] = m[2] + m[3]
			}
		}
	}
	if !strings.Contains(mt, "/") {
		mt = "text/plain"
	}
	return mt, params
}

// splitMultipart splits a multipart body at its boundary lines
// (mailmsg.SplitMultipart): a last part that was cut off is kept, junk around the
// parts is ignored, and at most maxParts are read.
func splitMultipart(body []byte, boundary string) [][]byte {
	parts, unclosed := mailmsg.SplitMultipart(body, boundary, maxParts)
	if unclosed && len(parts[len(parts)-1]) == 0 {
		parts = parts[:len(parts)-1] // nothing after the last boundary line
	}
	return parts
}

// bodyText returns the human-readable text of the report: inline plain text,
// else attached plain text, else HTML turned into text.
func (m *message) bodyText() string {
	pick := func(keep func(textPart) bool) string {
		var parts []string
		for _, p := range m.texts {
			if keep(p) {
				parts = append(parts, p.body)
			}
		}
		return strings.Join(parts, "\n")
	}
	if s := pick(func(p textPart) bool { return !p.html && !p.attachment }); strings.TrimSpace(s) != "" {
		return s
	}
	if s := pick(func(p textPart) bool { return !p.html }); strings.TrimSpace(s) != "" {
		return s
	}
	return htmlText(pick(func(p textPart) bool { return p.html }))
}

var (
	reHTMLDrop  = regexp.MustCompile(`(?is)<(script|style)\b.*?</(script|style)\s*>`)
	reHTMLBreak = regexp.MustCompile(`(?i)<br\s*/?>|</(p|div|tr|li|h\d|table)\s*>`)
	reHTMLTag   = regexp.MustCompile(`<[^>]*>`)
)

// htmlText is a rough HTML-to-text conversion, enough to find addresses and
// SMTP replies in HTML-only reports.
func htmlText(s string) string {
	if s == "" {
		return ""
	}
	s = reHTMLDrop.ReplaceAllString(s, "")
	s = reHTMLBreak.ReplaceAllString(s, "\n")
	s = reHTMLTag.ReplaceAllString(s, "")
	return html.UnescapeString(s)
}

// clip shortens s to at most n bytes without splitting a UTF-8 sequence.
func clip(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
