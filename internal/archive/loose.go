package archive

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/mail"
	"net/textproto"
	"regexp"
	"strings"

	"listd/internal/mailmsg"
)

// Old archives hold From fields that RFC 5322 parsers refuse. Pipermail, Mailman 2's
// archiver, hides addresses as "anna at example.net (Anna Müller)"; other writers
// leave "Anna Müller anna@example.net", unquoted specials in the name, or a bare
// name. looseFrom reads the author's name and address from such a field (already
// decoded from RFC 2047) as Python's email.utils.parseaddr does, near enough for the
// archive: the name is what a reader sees, the address is never shown.

var (
	// pipermail: "user at domain (Name)", the name optional.
	pipermailFromRE = regexp.MustCompile(`^\s*([^\s@()<>"]+)\s+at\s+([^\s@()<>"]+\.[^\s@()<>"]+)\s*(?:\((.*)\))?\s*$`)
	// "Name <addr>" with specials in an unquoted name, or the address alone in <>.
	angleFromRE = regexp.MustCompile(`^\s*(.*?)\s*<([^<>\s]*)>\s*$`)
	// "addr (Name)" with a name the parser refuses.
	commentFromRE = regexp.MustCompile(`^\s*([^\s()<>]+@[^\s()<>]+)\s*\((.*)\)\s*$`)
)

// ParseArchived reads a message from an old archive, where more is forgiven than in
// live mail: a body that Parse refuses under a readable header (a multipart without
// a boundary, common in old archives) is read as plain text, the reason kept in
// Errors; and a From field that RFC 5322 refuses (pipermail's "user at domain
// (Name)", unquoted specials) still gives the author's name and address.
func ParseArchived(raw []byte) (*Parsed, error) {
	p, err := Parse(raw)
	if err != nil {
		text, ok := asPlainText(raw)
		if !ok {
			return nil, err
		}
		if p, _ = Parse(text); p == nil {
			return nil, err
		}
		p.Errors = append(p.Errors, "body read as plain text: "+strings.TrimPrefix(err.Error(), "parse message: "))
	}
	if p.FromAddr == "" {
		if v := headerField(raw, "From"); v != "" {
			if name, addr := looseFrom(decodeWords(v)); name != "" || addr != "" {
				p.FromName, p.FromAddr = name, addr
			}
		}
	}
	return p, nil
}

// headerField returns the first field called name of raw's header, unfolded, or "".
func headerField(raw []byte, name string) string {
	hdr, _ := textproto.NewReader(bufio.NewReader(bytes.NewReader(raw))).ReadMIMEHeader()
	return hdr.Get(name)
}

// decodeWords decodes RFC 2047 encoded words in any charset that mailmsg knows; a
// value that cannot be decoded is returned as it is.
func decodeWords(v string) string {
	if s, err := mailmsg.DecodeWords(v); err == nil {
		return s
	}
	return v
}

// looseFrom returns the name and (lower-cased) address of a From field that
// net/mail cannot parse; either may be "".
func looseFrom(v string) (name, addr string) {
	v = strings.TrimSpace(strings.Join(strings.Fields(v), " "))
	if v == "" {
		return "", ""
	}
	if m := pipermailFromRE.FindStringSubmatch(v); m != nil {
		return cleanName(m[3]), strings.ToLower(m[1] + "@" + m[2])
	}
	if m := commentFromRE.FindStringSubmatch(v); m != nil {
		return cleanName(m[2]), strings.ToLower(m[1])
	}
	if m := angleFromRE.FindStringSubmatch(v); m != nil {
		return cleanName(m[1]), strings.ToLower(m[2])
	}
	if a, err := mail.ParseAddress(v); err == nil {
		return strings.TrimSpace(a.Name), strings.ToLower(a.Address)
	}
	// The last word with an "@" is the address, the words before it the name.
	f := strings.Fields(v)
	if last := f[len(f)-1]; strings.Contains(last, "@") {
		return cleanName(strings.Join(f[:len(f)-1], " ")), strings.ToLower(strings.Trim(last, "<>,;"))
	}
	if len(f) == 1 {
		return "", "" // a local part such as "root": no name, and no address to use
	}
	return cleanName(v), ""
}

// cleanName removes the quotes and backslashes of a quoted name.
func cleanName(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
	}
	s = strings.ReplaceAll(s, `\"`, `"`)
	s = strings.ReplaceAll(s, `\\`, `\`)
	return strings.TrimSpace(s)
}

// asPlainText returns raw with its Content-Type replaced by text/plain (keeping a
// charset parameter), or false when raw has no readable header.
func asPlainText(raw []byte) ([]byte, bool) {
	hdr, err := textproto.NewReader(bufio.NewReader(bytes.NewReader(raw))).ReadMIMEHeader()
	if len(hdr) == 0 || err != nil && !errors.Is(err, io.EOF) {
		return nil, false
	}
	ct := "text/plain"
	if cs := charsetParam(hdr.Get("Content-Type")); cs != "" {
		ct += "; charset=" + cs
	}
	var out bytes.Buffer
	out.Grow(len(raw) + 32)
	rest := raw
	skipping := false
	for len(rest) > 0 {
		line := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i+1], rest[i+1:]
		} else {
			rest = nil
		}
		if len(bytes.TrimRight(line, "\r\n")) == 0 {
			out.WriteString("Content-Type: " + ct)
			out.Write(line) // the empty line's end closes the field,
			out.Write(line) // and the empty line itself follows
			out.Write(rest)
			return out.Bytes(), true
		}
		if line[0] == ' ' || line[0] == '\t' {
			if !skipping {
				out.Write(line)
			}
			continue
		}
		name, _, _ := bytes.Cut(line, []byte(":"))
		skipping = strings.EqualFold(strings.TrimSpace(string(name)), "Content-Type")
		if !skipping {
			out.Write(line)
		}
	}
	// A header without a body.
	out.WriteString("Content-Type: " + ct + "\r\n\r\n")
	return out.Bytes(), true
}

var charsetRE = regexp.MustCompile(`(?i)charset\s*=\s*"?([A-Za-z0-9_.:-]+)"?`)

func charsetParam(ct string) string {
	if m := charsetRE.FindStringSubmatch(ct); m != nil {
		return m[1]
	}
	return ""
}
