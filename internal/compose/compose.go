// Package compose builds the copy of a list post that goes out to members:
// list headers (RFC 2369, 2919, 8058, 5064), the subject tag and a footer
// that keeps the MIME structure valid.
package compose

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// List is what compose needs to know about the list.
type List struct {
	Name     string // "kita"
	Title    string // "Kita und Schule" (may contain non-ASCII)
	Domain   string // "lists.example.org"
	BaseURL  string // "http://127.0.0.1:8080" (no trailing slash)
	Language string // "de" or "en": footer language
	// Anonymous lists hide who posted: From becomes "Author via NAME" <NAME@DOMAIN>,
	// Reply-To and To the list, the header keeps only the fields of an allow-list
	// (KeptFields, WrittenFields) and the body parts lose what could name the sender
	// (see scrubMIME).
	Anonymous bool
	Author    string // the pseudonym shown on an anonymous list; "" for none
	// MungeFrom sends a post of a list that is not anonymous from the list's own
	// address ("Author via NAME"), with the poster's address in Reply-To unless the
	// post names one: what a receiver's DMARC check needs when the poster's domain
	// asks for it.
	MungeFrom bool
	// PrivateReply, when set, is the address that answers the post's author alone
	// (NAME-reply+TOKEN@DOMAIN); the footer offers it.
	PrivateReply string
	// Withdraw, when set, is a link that withdraws the post: only the poster's own
	// copy has it.
	Withdraw string
	// Note is the list's own text for the footer (in Language), under its title;
	// "" for none.
	Note string
	// Site is what the footer says of the site that runs the list.
	Site Site
}

// Site is the site's name, contact and legal links as every footer shows them; ""
// leaves one out.
type Site struct {
	Name, Contact, ImpressumURL, DatenschutzURL string
}

// Prepared is the part of a list post shared by every member's copy.
// It is immutable and safe for concurrent use.
type Prepared struct {
	// The per-member List-Unsubscribe field is written as
	// prefix + unsubURL + suffix; suffixFolded is used when the line would
	// get longer than the recommended 78 characters.
	prefix       []byte
	suffix       []byte
	suffixFolded []byte
	// shared is the rest of the header, the blank line and the body.
	shared []byte
}

const (
	// maxLineLen is the RFC 5322 hard limit, without CRLF.
	maxLineLen = 998
	// softLineLen is the RFC 5322 recommended limit, without CRLF.
	softLineLen = 78
	// maxUnsubURL keeps the folded List-Unsubscribe line under maxLineLen.
	maxUnsubURL = 900
)

// Prepare turns the raw post (RFC 5322 bytes as received, CRLF or LF line
// endings) into the part shared by every member's copy. archiveID is the
// post's id in the archive, used for Archived-At: <BaseURL/NAME/m/ID>.
//
// Prepare fails only for an invalid List or when raw has no recognisable
// header; a body it cannot safely change is wrapped, never rejected.
func Prepare(raw []byte, l List, archiveID int64) (*Prepared, error) {
	l, err := l.normalize()
	if err != nil {
		return nil, fmt.Errorf("compose: list %q: %w", l.Name, err)
	}
	msg, h, body, err := readMessage(raw)
	if err != nil {
		return nil, err
	}
	if h.Len() == 0 {
		return nil, errors.New("compose: message has no header fields")
	}
	if l.Anonymous {
		h, body = scrubMIME(h, body, l.Domain, l.Name+"\x00"+strconv.FormatInt(archiveID, 10))
	}

	c := &composer{footer: newFooter(l), msg: msg, seed: l.Name + "\x00" + strconv.FormatInt(archiveID, 10)}
	top := newEntity(h, body)
	ed, ok := c.addFooter(top, 0)
	if !ok {
		// Whatever cannot take the footer safely is left untouched.
		ed = c.wrap(top)
	}
	shared, err := c.assemble(l, top, ed, archiveID, !ok)
	if err != nil {
		return nil, err
	}

	mailto := "<mailto:" + l.Name + "-unsubscribe@" + l.Domain + ">\r\n"
	return &Prepared{
		prefix:       []byte("List-Unsubscribe: <"),
		suffix:       []byte(">, " + mailto),
		suffixFolded: []byte(">,\r\n " + mailto),
		shared:       shared,
	}, nil
}

// Size is an estimate of the bytes WriteTo writes (for buffer sizing).
func (p *Prepared) Size() int {
	// 128 bytes is a generous guess for a one-click unsubscribe URL.
	return len(p.prefix) + 128 + len(p.suffixFolded) + len(p.shared)
}

// WriteTo writes one member's copy: the per-member header line
// List-Unsubscribe: <unsubURL>, <mailto:NAME-unsubscribe@DOMAIN>
// followed by the shared header and body. It does no parsing and allocates
// nothing itself; everything else was computed by Prepare. unsubURL must be
// printable ASCII without spaces or angle brackets, so that it cannot inject
// header lines.
func (p *Prepared) WriteTo(w io.Writer, unsubURL string) (int64, error) {
	if err := checkUnsubURL(unsubURL); err != nil {
		return 0, err
	}
	suffix := p.suffix
	if len(p.prefix)+len(unsubURL)+len(p.suffix)-2 > softLineLen {
		suffix = p.suffixFolded
	}
	var total int64
	n, err := w.Write(p.prefix)
	total += int64(n)
	if err != nil {
		return total, fmt.Errorf("compose: write header: %w", err)
	}
	n, err = io.WriteString(w, unsubURL)
	total += int64(n)
	if err != nil {
		return total, fmt.Errorf("compose: write header: %w", err)
	}
	n, err = w.Write(suffix)
	total += int64(n)
	if err != nil {
		return total, fmt.Errorf("compose: write header: %w", err)
	}
	n, err = w.Write(p.shared)
	total += int64(n)
	if err != nil {
		return total, fmt.Errorf("compose: write message: %w", err)
	}
	return total, nil
}

func checkUnsubURL(u string) error {
	if u == "" || len(u) > maxUnsubURL {
		return fmt.Errorf("compose: unsubscribe URL has invalid length %d", len(u))
	}
	for i := 0; i < len(u); i++ {
		if c := u[i]; c <= ' ' || c >= 0x7f || c == '<' || c == '>' {
			return fmt.Errorf("compose: unsubscribe URL contains invalid byte %q at %d", c, i)
		}
	}
	return nil
}

// SubjectTag returns subject with "[NAME] " added unless the tag is already
// there (case-insensitive, anywhere in the decoded subject, so
// "Re: [kita] x" stays as is and "AW: Re: [Kita] x" too). Input and output
// are decoded (UTF-8) strings.
func SubjectTag(subject, name string) string {
	if name == "" {
		return subject
	}
	tag := "[" + name + "]"
	if strings.Contains(strings.ToLower(subject), strings.ToLower(tag)) {
		return subject
	}
	return tag + " " + subject
}

// normalize checks that the list's names cannot break the header fields
// built from them, and cleans the free-text title.
func (l List) normalize() (List, error) {
	if !isToken(l.Name, "-_.+") {
		return l, errors.New("invalid list name")
	}
	if !isToken(l.Domain, "-.") {
		return l, errors.New("invalid domain")
	}
	if l.BaseURL == "" {
		return l, errors.New("empty base URL")
	}
	for i := 0; i < len(l.BaseURL); i++ {
		if c := l.BaseURL[i]; c <= ' ' || c >= 0x7f || strings.IndexByte(`<>"`, c) >= 0 {
			return l, fmt.Errorf("base URL contains invalid byte %q", c)
		}
	}
	l.BaseURL = strings.TrimSuffix(l.BaseURL, "/")
	l.Title = strings.TrimSpace(strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(l.Title, string(utf8.RuneError))))
	l.Language = strings.ToLower(l.Language)
	return l, nil
}

// isToken reports whether s is a non-empty run of ASCII letters, digits and
// the given extra bytes.
func isToken(s, extra string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte(extra, c) >= 0:
		default:
			return false
		}
	}
	return true
}
