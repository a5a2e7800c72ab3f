package compose

import (
	"bytes"
	"errors"
	"fmt"
	"listd/internal/i18n"
	"strconv"
	"strings"

	"github.com/emersion/go-message/textproto"

	"listd/internal/mailmsg"
)

// The archive copy of a post is what readers of the archive get (over IMAP, in mbox
// downloads): the header a member's copy has, without anything made for one member,
// and the body as received. So on an anonymous list From is "Pseudonym via NAME"
// <NAME@DOMAIN>, Reply-To and To the list, the header holds only the fields of the
// allow-list and the body parts are scrubbed, exactly as in the members' copies; the
// subject carries the tag and the list fields are there. It has no footer and no
// personal List-Unsubscribe link.

// ArchiveCopy returns the archive copy of the post raw (RFC 5322 bytes as received,
// CRLF or LF line endings) with the archive id archiveID. l.Author is the post's
// pseudonym on an anonymous list; l.MungeFrom plays no part (the copy is not sent).
// The result has CRLF line endings throughout.
func ArchiveCopy(l List, archiveID int64, raw []byte) ([]byte, error) {
	a, err := NewArchiver(l)
	if err != nil {
		return nil, err
	}
	return a.Copy(archiveID, l.Author, raw)
}

// ArchiveHeader returns the header of ArchiveCopy, ending with its blank line, and
// the size of the whole copy, without building the body: what a reader needs for a
// message list.
func ArchiveHeader(l List, archiveID int64, raw []byte) (header []byte, size int, err error) {
	a, err := NewArchiver(l)
	if err != nil {
		return nil, 0, err
	}
	return a.Header(archiveID, l.Author, raw)
}

// ArchiveFrom returns the author a reader of the archive sees for a post from
// fromName <fromAddr>: on an anonymous list the pseudonym via the list, at the list's
// address, as ArchiveCopy writes it.
func ArchiveFrom(l List, fromName, fromAddr string) (name, addr string) {
	if !l.Anonymous {
		return fromName, fromAddr
	}
	if n, err := l.normalize(); err == nil {
		l = n
	}
	who := sanitizeText(l.Author)
	if who == "" {
		who = i18n.Default().T(i18n.Or(l.Language, i18n.German), "mail.a_member")
	}
	return who + " via " + l.Name, l.Name + "@" + l.Domain
}

// Archiver makes the archive copies of one list's posts (as ArchiveCopy does),
// keeping what is the same for all of them: a server that sends thousands of
// headers at once builds the list fields once. It is not safe for concurrent use.
type Archiver struct {
	l List
	// The list fields around Archived-At, which names the post.
	before, after []byte
	archivedAt    string // "Archived-At: <BASE/NAME/m/"
	replyTo, to   []byte
	from          map[string][]byte // the From field per pseudonym
}

// maxCachedAuthors bounds the From fields an Archiver keeps.
const maxCachedAuthors = 4096

// NewArchiver returns an Archiver for the list l (l.Author is not used).
func NewArchiver(l List) (*Archiver, error) {
	l, err := l.normalize()
	if err != nil {
		return nil, fmt.Errorf("compose: list %q: %w", l.Name, err)
	}
	fields, err := archiveListFields(l, 0)
	if err != nil {
		return nil, fmt.Errorf("compose: %w", err)
	}
	// Archived-At has no blanks, so it is never folded: the post's id can go
	// straight into the line.
	a := &Archiver{l: l, archivedAt: "Archived-At: <" + l.BaseURL + "/" + l.Name + "/m/", from: map[string][]byte{}}
	i := bytes.Index(fields, []byte(a.archivedAt+"0>\r\n"))
	if i < 0 {
		return nil, errors.New("compose: no Archived-At among the list fields")
	}
	a.before, a.after = fields[:i], fields[i+len(a.archivedAt)+len("0>\r\n"):]
	if l.Anonymous {
		if a.replyTo, err = formatField("Reply-To", "<"+l.Name+"@"+l.Domain+">"); err != nil {
			return nil, fmt.Errorf("compose: %w", err)
		}
		if a.to, err = formatField("To", "<"+l.Name+"@"+l.Domain+">"); err != nil {
			return nil, fmt.Errorf("compose: %w", err)
		}
	}
	return a, nil
}

// Copy returns the archive copy of the post raw with the archive id archiveID, by
// author (its pseudonym, on an anonymous list).
func (a *Archiver) Copy(archiveID int64, author string, raw []byte) ([]byte, error) {
	p, err := a.Read(archiveID, author, raw)
	if err != nil {
		return nil, err
	}
	return p.Copy(nil)
}

// Header returns the header of Copy with its blank line, and the size of the whole
// copy.
func (a *Archiver) Header(archiveID int64, author string, raw []byte) (header []byte, size int, err error) {
	p, err := a.Read(archiveID, author, raw)
	if err != nil {
		return nil, 0, err
	}
	return p.Header(nil)
}

// IDs are the Message-IDs an archive copy shows instead of the sender's (an
// anonymous list's own): MessageID for the post, and in In-Reply-To and References
// each id that Refs maps replaced by its value, as RewriteMessageIDs does.
type IDs struct {
	MessageID string
	Refs      map[string]string
}

// ArchivedPost is a post an Archiver has read, ready to be written once the ids it
// refers to are known.
type ArchivedPost struct {
	a      *Archiver
	id     int64
	author string
	h      textproto.Header
	size   int // of the header block as received
	body   []byte
}

// Read reads the post raw (RFC 5322 bytes as received, CRLF or LF line endings) with
// the archive id archiveID, by author.
func (a *Archiver) Read(archiveID int64, author string, raw []byte) (*ArchivedPost, error) {
	msg := raw
	// An mbox "From " envelope line is not part of the message.
	if bytes.HasPrefix(msg, []byte("From ")) {
		line, rest, _ := bytes.Cut(msg, []byte("\n"))
		if !mailmsg.IsFieldLine(bytes.TrimSuffix(line, []byte("\r"))) {
			msg = rest
		}
	}
	// splitHeader reads lines ending in LF as well as CRLF, so only the header needs
	// converting here; the body keeps its bytes until it is written.
	block, body := splitHeader(msg)
	if len(block) == 0 {
		return nil, errors.New("compose: message has no header")
	}
	h, err := parseHeader(ToCRLF(block))
	if err != nil {
		return nil, fmt.Errorf("compose: parse header: %w", err)
	}
	if h.Len() == 0 {
		return nil, errors.New("compose: message has no header fields")
	}
	if a.l.Anonymous {
		// The parts' headers are scrubbed as in the members' copies.
		h, body = scrubMIME(h, body, a.l.Domain, a.l.Name+"\x00"+strconv.FormatInt(archiveID, 10))
	}
	return &ArchivedPost{a: a, id: archiveID, author: author, h: h, size: len(block), body: body}, nil
}

// Referenced returns the Message-IDs the post's In-Reply-To and References name:
// those IDs.Refs may map.
func (p *ArchivedPost) Referenced() []string {
	var out []string
	for _, k := range idFields[1:] {
		ids := fieldIDs(p.h.Get(k))
		out = append(out, ids[max(0, len(ids)-maxRefs):]...)
	}
	return out
}

// Copy returns the archive copy, with ids when they are not nil.
func (p *ArchivedPost) Copy(ids *IDs) ([]byte, error) {
	hdr, err := p.header(ids)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(hdr)+len(p.body)+bareLFs(p.body))
	out = append(out, hdr...)
	return appendCRLF(out, p.body), nil
}

// Header returns the header of Copy with its blank line, and the size of the whole
// copy.
func (p *ArchivedPost) Header(ids *IDs) (header []byte, size int, err error) {
	hdr, err := p.header(ids)
	if err != nil {
		return nil, 0, err
	}
	return hdr, len(hdr) + len(p.body) + bareLFs(p.body), nil
}

// header returns the archive copy's header, with CRLF endings and the blank line.
func (p *ArchivedPost) header(ids *IDs) ([]byte, error) {
	a, h := p.a, &p.h
	l := a.l
	var repl []replacement
	if ids != nil {
		var err error
		if repl, err = idReplacements(h, ids); err != nil {
			return nil, err
		}
	}
	subject, err := subjectField(h, l.Name)
	if err != nil {
		return nil, fmt.Errorf("compose: %w", err)
	}
	repl = append(repl, replacement{"Subject", subject})
	if l.Anonymous {
		from, ok := a.from[p.author]
		if !ok {
			l.Author = p.author
			if from, err = formatField("From", anonymousFrom(l)); err != nil {
				return nil, fmt.Errorf("compose: %w", err)
			}
			if len(a.from) >= maxCachedAuthors {
				clear(a.from)
			}
			a.from[p.author] = from
		}
		repl = append(repl, replacement{"From", from}, replacement{"Reply-To", a.replyTo}, replacement{"To", a.to})
	}
	id := strconv.FormatInt(p.id, 10)
	out := make([]byte, 0, p.size+len(a.before)+len(a.after)+len(a.archivedAt)+len(id)+256)
	out, err = appendFields(out, h, repl, func(k string) bool {
		return isDropped(k) || (l.Anonymous && !anonymousKeeps(k))
	})
	if err != nil {
		return nil, fmt.Errorf("compose: header: %w", err)
	}
	out = append(out, a.before...)
	out = append(out, a.archivedAt...)
	out = append(out, id...)
	out = append(out, ">\r\n"...)
	out = append(out, a.after...)
	out = append(out, "\r\n"...)
	return out, nil
}

// idReplacements are the Message-ID fields ids asks for: Message-ID itself, and
// In-Reply-To and References with the ids of the list's posts only (refFields).
func idReplacements(h *textproto.Header, ids *IDs) ([]replacement, error) {
	if !plainID(ids.MessageID) {
		return nil, fmt.Errorf("compose: %q is not a Message-ID", ids.MessageID)
	}
	mid, err := formatField("Message-ID", "<"+ids.MessageID+">")
	if err != nil {
		return nil, fmt.Errorf("compose: %w", err)
	}
	refs, err := refFields(h, ids.Refs, nil)
	if err != nil {
		return nil, err
	}
	return append([]replacement{{"Message-ID", mid}}, refs...), nil
}

// refFields rewrites In-Reply-To and References so that they name the list's posts
// only, as the list shows them: an id that refs maps becomes its value, an id that is
// one of refs' values (already the shown one) or that keep accepts stays, and every
// other id goes (it may name the sender's machine, or mail that never reached the
// list); a field left without ids goes too. Only the ids written are checked to be
// plain id-left@id-right, so that nothing can break out of the field.
func refFields(h *textproto.Header, refs map[string]string, keep func(id string) bool) ([]replacement, error) {
	shown := make(map[string]bool, len(refs))
	for _, to := range refs {
		shown[to] = true
	}
	var repl []replacement
	for _, k := range idFields[1:] {
		if !h.Has(k) {
			continue
		}
		found := fieldIDs(h.Get(k))
		if len(found) > maxRefs {
			found = found[len(found)-maxRefs:]
		}
		var out []string
		seen := map[string]bool{}
		for _, id := range found {
			to, ok := refs[id]
			switch {
			case ok:
			case shown[id] || (keep != nil && keep(id)):
				to = id
			default:
				continue
			}
			if plainID(to) && !seen[to] {
				seen[to] = true
				out = append(out, to)
			}
		}
		if len(out) == 0 {
			repl = append(repl, replacement{k, nil})
			continue
		}
		f, err := formatField(k, "<"+strings.Join(out, "> <")+">")
		if err != nil {
			return nil, fmt.Errorf("compose: %w", err)
		}
		repl = append(repl, replacement{k, f})
	}
	return repl, nil
}

// archiveListFields are the list fields of a member's copy, with List-Unsubscribe
// holding only the mailto (the same for everyone) and so without the one-click
// List-Unsubscribe-Post that needs a link.
func archiveListFields(l List, archiveID int64) ([]byte, error) {
	fields, err := listFields(l, archiveID)
	if err != nil {
		return nil, err
	}
	post, err := formatField("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
	if err != nil {
		return nil, err
	}
	unsub, err := formatField("List-Unsubscribe", "<mailto:"+l.Name+"-unsubscribe@"+l.Domain+">")
	if err != nil {
		return nil, err
	}
	return append(unsub, bytes.Replace(fields, post, nil, 1)...), nil
}

// bareLFs counts the LFs in b that have no CR before them: what CRLF conversion adds.
func bareLFs(b []byte) int {
	return bytes.Count(b, []byte("\n")) - bytes.Count(b, []byte("\r\n"))
}

// appendCRLF appends b to out with every bare LF turned into CRLF.
func appendCRLF(out, b []byte) []byte {
	start := 0
	for i, c := range b {
		if c == '\n' && (i == 0 || b[i-1] != '\r') {
			out = append(out, b[start:i]...)
			out = append(out, '\r', '\n')
			start = i + 1
		}
	}
	return append(out, b[start:]...)
}
