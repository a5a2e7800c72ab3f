package compose

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"listd/internal/i18n"
	"mime"
	nettextproto "net/textproto"
	"slices"
	"strconv"
	"strings"

	"github.com/emersion/go-message/textproto"

	"listd/internal/mailmsg"
)

// ToCRLF returns b with every bare LF turned into CRLF. Output must use CRLF
// whatever the input used (local delivery often hands us LF-only mail), and
// doing it once up front lets the rest of the package assume CRLF. b is
// returned unchanged when it has no bare LF.
func ToCRLF(b []byte) []byte {
	n := 0
	for i, c := range b {
		if c == '\n' && (i == 0 || b[i-1] != '\r') {
			n++
		}
	}
	if n == 0 {
		return b
	}
	out := make([]byte, 0, len(b)+n)
	for i, c := range b {
		if c == '\n' && (i == 0 || b[i-1] != '\r') {
			out = append(out, '\r')
		}
		out = append(out, c)
	}
	return out
}

// splitHeader splits a CRLF message or MIME part into its header block and
// body, as mailmsg.SplitHeader does; the blocks are re-emitted byte for byte.
func splitHeader(msg []byte) (hdr, body []byte) { return mailmsg.SplitHeader(msg) }

func parseHeader(block []byte) (textproto.Header, error) {
	h, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(block)))
	if err != nil {
		return h, fmt.Errorf("read header: %w", err)
	}
	return h, nil
}

// formatField returns "Key: value\r\n", folded by go-message's header
// writer (at whitespace, lines up to 76 characters where possible, never
// over 998).
func formatField(k, v string) ([]byte, error) {
	// A short printable line needs no folding: the common case (Message-IDs, tags),
	// written directly because header fetches over IMAP do this for every post.
	if len(k)+2+len(v) <= 76 && printableASCII(k) && printableASCII(v) {
		return []byte(nettextproto.CanonicalMIMEHeaderKey(k) + ": " + v + "\r\n"), nil
	}
	var h textproto.Header
	h.Add(k, v)
	var b bytes.Buffer
	if err := textproto.WriteHeader(&b, h); err != nil {
		return nil, fmt.Errorf("format %s: %w", k, err)
	}
	// WriteHeader ends the header with an empty line; we only want the field.
	return bytes.TrimSuffix(b.Bytes(), []byte("\r\n")), nil
}

// printableASCII reports whether s is printable ASCII (space included) only.
func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// isDropped reports whether an incoming header field must not go out: the
// list sets these itself, and stale copies would confuse clients and loop
// detection.
func isDropped(key string) bool {
	if hasPrefixFold(key, "List-") {
		return true
	}
	switch strings.ToLower(key) {
	case "archived-at", "precedence", "x-loop", "return-path", "delivered-to":
		return true
	}
	return false
}

// The header of a post on an anonymous list is built from an allow-list: the fields
// in KeptFields come from the sender (Content-Type and Content-Disposition without the
// parameters that could name someone, In-Reply-To and References with the ids of the
// list's own posts only, see scrubMIME and idReplacements), those in WrittenFields
// listd writes itself, and every other field the sender's mail program or provider
// wrote is left out. The README's privacy section lists both.

// KeptFields are the fields of the sender's an anonymous post keeps.
var KeptFields = []string{"Date", "Subject", "MIME-Version", "Content-Type", "Content-Transfer-Encoding",
	"Content-Disposition", "Content-Language", "In-Reply-To", "References"}

// WrittenFields are the fields listd writes into an anonymous post: From and Reply-To
// name the list, To the list's address, Message-ID is the list's public id for the
// post, and the list fields (RFC 2369, 2919, 8058, 5064).
var WrittenFields = []string{"From", "Reply-To", "To", "Message-ID", "List-Id", "List-Post", "List-Help",
	"List-Subscribe", "List-Unsubscribe", "List-Unsubscribe-Post", "List-Archive", "Archived-At", "Precedence", "X-Loop"}

// senderKeeps reports whether a field of the sender's is one an anonymous post or a
// private reply keeps (KeptFields).
func senderKeeps(key string) bool {
	for _, k := range KeptFields {
		if strings.EqualFold(k, key) {
			return true
		}
	}
	return false
}

// anonymousKeeps reports whether an anonymous post keeps a field of the post as
// handed to compose: one of KeptFields, or its Message-ID, which the caller has set
// to the list's public id (see RewriteMessageIDs).
func anonymousKeeps(key string) bool {
	return senderKeeps(key) || strings.EqualFold(key, "Message-ID")
}

// anonymousFrom is the From of a post on an anonymous list.
func anonymousFrom(l List) string {
	who := l.Author
	if who == "" {
		who = i18n.Default().T(i18n.Or(l.Language, i18n.German), "mail.a_member")
	}
	return phrase(sanitizeText(who)+" via "+l.Name) + " <" + l.Name + "@" + l.Domain + ">"
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// subjectField returns the Subject field to send. An already tagged subject
// keeps its original bytes; otherwise the decoded subject is tagged and
// re-encoded.
func subjectField(h *textproto.Header, name string) ([]byte, error) {
	if !h.Has("Subject") {
		return formatField("Subject", SubjectTag("", name))
	}
	v := h.Get("Subject")
	dec, err := decodeHeader(v)
	if err != nil {
		// Unknown charset in an encoded word: keep the words as they are,
		// the tag in front of them is plain ASCII and stays valid.
		dec = v
	}
	if SubjectTag(dec, name) == dec {
		raw, err := h.Raw("Subject")
		if err != nil {
			return nil, fmt.Errorf("subject: %w", err)
		}
		return raw, nil
	}
	rest := sanitizeText(dec)
	if err == nil && !isASCII([]byte(rest)) {
		rest = mime.QEncoding.Encode("utf-8", rest)
	}
	// The tag stays outside the encoded word so filters on "[name]" keep
	// matching the raw header.
	return formatField("Subject", "["+name+"] "+rest)
}

func decodeHeader(v string) (string, error) {
	s, err := mailmsg.DecodeWords(v)
	if err != nil {
		return "", fmt.Errorf("decode %q: %w", v, err)
	}
	return s, nil
}

// sanitizeText replaces control characters (other than tab) by spaces:
// decoded encoded words may contain CR or LF, which must not end up raw in a
// header field.
func sanitizeText(s string) string {
	return strings.Map(func(r rune) rune {
		if (r < ' ' && r != '\t') || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

// listFields returns the list header fields that follow the kept fields.
func listFields(l List, archiveID int64) ([]byte, error) {
	base := l.BaseURL + "/" + l.Name
	id := "<" + l.Name + "." + l.Domain + ">"
	if l.Title != "" {
		id = phrase(l.Title) + " " + id
	}
	fields := []struct{ k, v string }{
		{"List-Id", id},
		{"List-Post", "<mailto:" + l.Name + "@" + l.Domain + ">"},
		{"List-Help", "<mailto:" + l.Name + "-request@" + l.Domain + "?subject=help>"},
		{"List-Subscribe", "<" + base + "/subscribe>, <mailto:" + l.Name + "-subscribe@" + l.Domain + ">"},
		{"List-Archive", "<" + base + "/>"},
		{"Archived-At", "<" + base + "/m/" + strconv.FormatInt(archiveID, 10) + ">"},
		{"List-Unsubscribe-Post", "List-Unsubscribe=One-Click"},
		{"Precedence", "list"},
		{"X-Loop", l.Name + "@" + l.Domain},
	}
	var out []byte
	for _, f := range fields {
		b, err := formatField(f.k, f.v)
		if err != nil {
			return nil, err
		}
		out = append(out, b...)
	}
	return out, nil
}

// phrase formats s as an RFC 5322 display phrase: a quoted string when it is
// ASCII, otherwise an RFC 2047 encoded word. Q encoding leaves characters
// such as ',' or '(' unencoded, which is not allowed in a phrase, so B is
// used when s has any of them.
func phrase(s string) string {
	if isASCII([]byte(s)) {
		r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
		return `"` + r.Replace(s) + `"`
	}
	if strings.ContainsAny(s, `()<>[]:;@\,."=?_`) {
		return mime.BEncoding.Encode("utf-8", s)
	}
	return mime.QEncoding.Encode("utf-8", s)
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

// Message-IDs. An anonymous list shows its posts under Message-IDs of its own, since
// the sender's may name their machine (<123@annas-laptop.fritz.box>); threading
// fields must then point at those too.

// idFields are the fields that carry Message-IDs.
var idFields = []string{"Message-ID", "In-Reply-To", "References"}

// fieldIDs returns the Message-IDs in a field value, without brackets: each
// "<...>" without brackets or white space inside (as internal/archive reads them). A
// value with one bracketless word holding "@" is taken as one id, as some clients
// write them. A scan rather than a regular expression: IMAP header fetches run this
// for every post of a mailbox.
func fieldIDs(v string) []string {
	var out []string
	for i := 0; i < len(v); {
		j := strings.IndexByte(v[i:], '<')
		if j < 0 {
			break
		}
		start := i + j + 1
		k := start
		for k < len(v) && !isIDStop(v[k]) {
			k++
		}
		switch {
		case k < len(v) && v[k] == '>' && k > start:
			out = append(out, v[start:k])
			i = k + 1
		case k < len(v) && v[k] == '<':
			i = k // a new id may start here
		default:
			i = start
		}
	}
	if len(out) == 0 {
		if f := strings.Fields(v); len(f) == 1 && strings.Contains(f[0], "@") && !strings.ContainsAny(f[0], "<>") {
			out = append(out, f[0])
		}
	}
	return out
}

// isIDStop reports whether c ends a bracketed id: a bracket or white space.
func isIDStop(c byte) bool {
	switch c {
	case '<', '>', ' ', '\t', '\n', '\r', '\f':
		return true
	}
	return false
}

// maxRefs bounds the ids read from and written to one field.
const maxRefs = 100

// ReferencedIDs returns the Message-IDs (without brackets) that raw's In-Reply-To and
// References fields name, each once, nearest first as far as the fields tell.
func ReferencedIDs(raw []byte) ([]string, error) {
	h, err := headerOf(raw)
	if err != nil {
		return nil, err
	}
	var out []string
	seen := map[string]bool{}
	add := func(ids []string) {
		for _, id := range ids {
			if !seen[id] && len(out) < maxRefs {
				seen[id] = true
				out = append(out, id)
			}
		}
	}
	add(fieldIDs(h.Get("In-Reply-To")))
	refs := fieldIDs(h.Get("References"))
	slices.Reverse(refs)
	add(refs)
	return out, nil
}

func headerOf(raw []byte) (textproto.Header, error) {
	block, _ := splitHeader(stripEnvelope(ToCRLF(raw)))
	if len(block) == 0 {
		return textproto.Header{}, errors.New("compose: message has no header")
	}
	return parseHeader(block)
}

// stripEnvelope drops an mbox "From " line (but not a "From :" field).
func stripEnvelope(msg []byte) []byte {
	if bytes.HasPrefix(msg, []byte("From ")) {
		line, rest, _ := bytes.Cut(msg, []byte("\n"))
		if !mailmsg.IsFieldLine(bytes.TrimSuffix(line, []byte("\r"))) {
			return rest
		}
	}
	return msg
}

// RewriteMessageIDs returns raw with Message-ID set to <messageID> (added if raw has
// none) and In-Reply-To and References naming the list's posts only: each id that refs
// maps is replaced by its value, an id that is one of refs' values stays, and every
// other id is left out (a field left without ids goes). refs maps the ids of the
// list's posts, as received or as shown, to the ids the list shows. The other fields
// and the body keep their bytes; line endings become CRLF. Every id written is checked
// to be a plain id-left@id-right, so that nothing can break out of the field.
func RewriteMessageIDs(raw []byte, messageID string, refs map[string]string) ([]byte, error) {
	msg, h, body, err := readMessage(raw)
	if err != nil {
		return nil, err
	}
	repl, err := idReplacements(&h, &IDs{MessageID: messageID, Refs: refs})
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(msg)+64)
	out, err = appendFields(out, &h, repl, nil)
	if err != nil {
		return nil, fmt.Errorf("compose: header: %w", err)
	}
	out = append(out, "\r\n"...)
	return append(out, body...), nil
}

// readMessage reads a post as received: its line ends made CRLF, an mbox "From "
// envelope line dropped (msg is the post from its header on), its header parsed.
func readMessage(raw []byte) (msg []byte, h textproto.Header, body []byte, err error) {
	msg = stripEnvelope(ToCRLF(raw))
	block, body := splitHeader(msg)
	if len(block) == 0 {
		return nil, h, nil, errors.New("compose: message has no header")
	}
	if h, err = parseHeader(block); err != nil {
		return nil, h, nil, fmt.Errorf("compose: parse header: %w", err)
	}
	return msg, h, body, nil
}

// plainID reports whether id (without brackets) is printable ASCII of the form
// left@right with no blanks or brackets.
func plainID(id string) bool {
	left, right, ok := strings.Cut(id, "@")
	if !ok || left == "" || right == "" || len(id) > 250 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; c <= ' ' || c >= 0x7f || c == '<' || c == '>' {
			return false
		}
	}
	return true
}
