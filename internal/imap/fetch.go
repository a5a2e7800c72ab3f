package imap

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"mime"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-message/textproto"

	"listd/internal/compose"
	"listd/internal/lists"
	"listd/internal/store"
)

const (
	// envChunk is how many envelopes are read at once.
	envChunk = 256
	// rawChunkBytes bounds the posts' bytes read from the store at once.
	rawChunkBytes = 4 << 20
)

// fetchPlan is what a FETCH needs of each message.
type fetchPlan struct {
	opts *imap.FetchOptions
	// envelope: the stored columns (ENVELOPE, INTERNALDATE).
	envelope bool
	// content: the message's bytes (sizes, structure, sections).
	content bool
	// headerOnly: every section asked for is the top-level header, so only the
	// header needs building.
	headerOnly bool
	markSeen   bool
}

func planFetch(opts *imap.FetchOptions, readOnly bool) fetchPlan {
	p := fetchPlan{opts: opts, envelope: opts.Envelope || opts.InternalDate}
	p.content = opts.RFC822Size || opts.BodyStructure != nil || len(opts.BodySection) > 0 ||
		len(opts.BinarySection) > 0 || len(opts.BinarySectionSize) > 0
	p.headerOnly = opts.BodyStructure == nil && len(opts.BinarySection) == 0 && len(opts.BinarySectionSize) == 0
	for _, bs := range opts.BodySection {
		if len(bs.Part) > 0 || bs.Specifier != imap.PartSpecifierHeader {
			p.headerOnly = false
		}
		if !bs.Peek {
			p.markSeen = !readOnly
		}
	}
	for _, bs := range opts.BinarySection {
		if !bs.Peek {
			p.markSeen = !readOnly
		}
	}
	return p
}

// message is one message as served: its envelope and, when asked for, its bytes.
type message struct {
	ref      msgRef
	env      *store.Envelope // archived posts
	envelope *imap.Envelope
	date     time.Time // INTERNALDATE
	header   []byte    // the header with its blank line
	full     []byte    // the whole message; nil when only the header was built
	size     int64
}

// Fetch answers FETCH and UID FETCH.
func (s *session) Fetch(w *imapserver.FetchWriter, numSet imap.NumSet, opts *imap.FetchOptions) error {
	if s.sel == nil {
		return nil
	}
	refs, err := s.sel.resolve(numSet)
	if err != nil {
		return err
	}
	ctx, cancel := s.ctx()
	defer cancel()
	p := planFetch(opts, s.sel.readOnly)
	switch s.sel.mb.kind {
	case kindArchive:
		return s.fetchArchive(ctx, w, refs, p)
	case kindHeld:
		return s.fetchHeld(ctx, w, refs, p)
	}
	return nil
}

func (s *session) fetchArchive(ctx context.Context, w *imapserver.FetchWriter, refs []msgRef, p fetchPlan) error {
	// The store is read and the copies are built a batch ahead of the batch being
	// written to the client.
	type batch struct {
		msgs []message
		err  error
	}
	ctx, cancel := context.WithCancel(ctx)
	batches := make(chan batch, 1)
	go func() {
		defer close(batches)
		for len(refs) > 0 {
			chunk := refs[:min(len(refs), envChunk)]
			refs = refs[len(chunk):]
			msgs, err := s.prepare(ctx, chunk, p)
			select {
			case batches <- batch{msgs, err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	defer func() {
		cancel()
		for range batches {
			// Wait for the reader to stop before the next command.
		}
	}()
	for b := range batches {
		if b.err != nil {
			return b.err
		}
		if err := s.writeMessages(ctx, w, b.msgs, p); err != nil {
			return err
		}
	}
	return nil
}

// prepare reads what the plan needs of a chunk of messages. A post erased since the
// client learnt of it has nothing and gets no answer.
func (s *session) prepare(ctx context.Context, chunk []msgRef, p fetchPlan) ([]message, error) {
	l := s.sel.mb.list
	// A run of consecutive sequence numbers is every post of the list between its
	// first and last UID: one range query instead of a list of ids.
	run := chunk[len(chunk)-1].seq-chunk[0].seq == uint32(len(chunk)-1)
	var envs []store.Envelope
	if p.envelope || p.content {
		var err error
		if run {
			envs, err = s.srv.st.EnvelopeRange(ctx, l.ID, int64(chunk[0].uid), int64(chunk[len(chunk)-1].uid))
		} else {
			ids := make([]int64, len(chunk))
			for i, r := range chunk {
				ids[i] = int64(r.uid)
			}
			envs, err = s.srv.st.Envelopes(ctx, l.ID, ids)
		}
		if err != nil {
			return nil, err
		}
	}
	msgs := make([]message, 0, len(chunk))
	j := 0
	for _, r := range chunk {
		m := message{ref: r}
		if p.envelope || p.content {
			for j < len(envs) && envs[j].ID < int64(r.uid) {
				j++
			}
			if j == len(envs) || envs[j].ID != int64(r.uid) {
				continue
			}
			m.env = &envs[j]
			m.date = envs[j].ReceivedAt
			if p.opts.Envelope {
				m.envelope = s.envelope(m.env)
			}
		}
		msgs = append(msgs, m)
	}
	if p.content {
		// BODY.PEEK[HEADER] without RFC822.SIZE needs only the start of each post.
		prefix := p.headerOnly && !p.opts.RFC822Size
		if err := s.loadArchived(ctx, msgs, p.headerOnly, prefix, run); err != nil {
			return nil, err
		}
	}
	return msgs, nil
}

// headerPrefix is how much of a post is read when only its header is needed; the
// rare post whose header is longer is read whole.
const headerPrefix = 4 << 10

// loadArchived builds the archive copies (or their headers) of msgs, whose envelopes
// are loaded, reading the posts in batches of bounded size and rewriting them on
// every core. With prefix only the start of each post is read (then the sizes are
// not known); with run msgs are consecutive in the mailbox. Headers come from the
// cache where it has them.
func (s *session) loadArchived(ctx context.Context, msgs []message, headerOnly, prefix, run bool) error {
	listKey := s.cacheKey()
	todo := make([]*message, 0, len(msgs))
	for i := range msgs {
		m := &msgs[i]
		if headerOnly {
			if hdr, size, ok := s.srv.headers.get(m.env.ID, listKey, m.env); ok && (size >= 0 || prefix) {
				m.header, m.size = hdr, size
				continue
			}
		}
		todo = append(todo, m)
	}
	for start := 0; start < len(todo); {
		end, total := start, 0
		for end < len(todo) && (end == start || total+todo[end].env.Size <= rawChunkBytes) {
			total += todo[end].env.Size
			end++
		}
		batch := todo[start:end]
		start = end
		limit := 0
		if prefix {
			limit = headerPrefix
		}
		raws, partial, err := s.rawPosts(ctx, batch, run, limit)
		if err != nil {
			return err
		}
		var whole []*message // posts whose header did not fit into the prefix
		for _, m := range batch {
			if partial[m.env.ID] && !hasBlankLine(raws[m.env.ID]) {
				whole = append(whole, m)
			}
		}
		if len(whole) > 0 {
			full, _, err := s.rawPosts(ctx, whole, false, 0)
			if err != nil {
				return err
			}
			for id, r := range full {
				raws[id] = r
				delete(partial, id)
			}
		}
		if err := s.buildBatch(ctx, batch, raws, partial, headerOnly, listKey); err != nil {
			return err
		}
	}
	return nil
}

// buildBatch rewrites the posts of batch on every core: each worker reads its share,
// then (on an anonymous list) the Message-IDs they refer to are looked up at once,
// then each worker writes its share.
func (s *session) buildBatch(ctx context.Context, batch []*message, raws map[int64][]byte, partial map[int64]bool, headerOnly bool, listKey string) error {
	workers := min(runtime.GOMAXPROCS(0), 8, len(batch))
	archivers := make([]*compose.Archiver, workers)
	posts := make([]*compose.ArchivedPost, len(batch))
	parallel := func(f func(w int)) {
		var wg sync.WaitGroup
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				f(w)
			}()
		}
		wg.Wait()
	}
	parallel(func(w int) {
		a, err := compose.NewArchiver(s.composeList(""))
		if err != nil {
			return
		}
		archivers[w] = a
		for i := w; i < len(batch); i += workers {
			if raw := raws[batch[i].env.ID]; raw != nil {
				posts[i], _ = a.Read(batch[i].env.ID, batch[i].env.FromName, raw)
			}
		}
	})
	var refs map[string]string
	if s.sel.mb.list.Anonymous {
		// Without them the sender's ids would show: no answer rather than that.
		var err error
		if refs, err = s.publicRefs(ctx, posts); err != nil {
			return err
		}
	}
	parallel(func(w int) {
		for i := w; i < len(batch); i += workers {
			m := batch[i]
			var ids *compose.IDs
			if refs != nil {
				id, _ := s.messageIDs(m.env)
				ids = &compose.IDs{MessageID: id, Refs: refs}
			}
			if s.build(posts[i], m, ids, headerOnly) {
				size := m.size
				if partial[m.env.ID] {
					size = -1 // the size of a prefix is not the post's
				}
				s.srv.headers.put(m.env.ID, listKey, m.env, m.header, size)
			}
		}
	})
	return nil
}

// publicRefs returns, for the Message-IDs the posts refer to that name posts of the
// selected (anonymous) list, the ids the list shows for them.
func (s *session) publicRefs(ctx context.Context, posts []*compose.ArchivedPost) (map[string]string, error) {
	seen := map[string]bool{}
	var ids []string
	for _, p := range posts {
		if p == nil {
			continue
		}
		for _, id := range p.Referenced() {
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	out := make(map[string]string, len(ids))
	for len(ids) > 0 {
		n := min(len(ids), 200)
		pub, err := s.srv.st.PublicIDs(ctx, s.sel.mb.list.ID, ids[:n])
		if err != nil {
			return nil, err
		}
		for orig, local := range pub {
			out[orig] = local + "@" + s.srv.cfg.Domain
		}
		ids = ids[n:]
	}
	return out, nil
}

// rawPosts reads the posts of msgs by id; with limit > 0, posts in partial may come
// as their first bytes only (see store.RawPostRange).
func (s *session) rawPosts(ctx context.Context, msgs []*message, run bool, limit int) (raws map[int64][]byte, partial map[int64]bool, err error) {
	l := s.sel.mb.list
	var rs []store.RawPost
	if run {
		rs, err = s.srv.st.RawPostRange(ctx, l.ID, msgs[0].env.ID, msgs[len(msgs)-1].env.ID, limit)
	} else {
		ids := make([]int64, len(msgs))
		for i, m := range msgs {
			ids[i] = m.env.ID
		}
		rs, err = s.srv.st.RawPosts(ctx, l.ID, ids)
	}
	if err != nil {
		return nil, nil, err
	}
	raws, partial = make(map[int64][]byte, len(rs)), map[int64]bool{}
	for _, r := range rs {
		raws[r.ID] = r.Raw
		if r.Prefix {
			partial[r.ID] = true
		}
	}
	return raws, partial, nil
}

// hasBlankLine reports whether b holds the blank line that ends a header.
func hasBlankLine(b []byte) bool {
	return bytes.Contains(b, []byte("\n\n")) || bytes.Contains(b, []byte("\n\r\n"))
}

// build makes one message's archive copy (or header) from the post p read for it,
// and reports whether it could; a post without a header, or missing, gets a note
// instead of bytes that might name someone.
func (s *session) build(p *compose.ArchivedPost, m *message, ids *compose.IDs, headerOnly bool) bool {
	if p != nil {
		if headerOnly {
			if hdr, size, err := p.Header(ids); err == nil {
				m.header, m.size = hdr, int64(size)
				return true
			}
		} else if full, err := p.Copy(ids); err == nil {
			m.full, m.header, m.size = full, full[:headerLen(full)], int64(len(full))
			return true
		}
	}
	m.full = standIn(s.envelope(m.env), s.sel.mb.list.Name)
	m.header, m.size = m.full[:headerLen(m.full)], int64(len(m.full))
	return false
}

// composeList is what compose needs to rewrite a post of the selected list. Authors
// are hidden on anonymous lists, and from readers who are not on the list.
func (s *session) composeList(author string) compose.List {
	l := s.sel.mb.list
	return compose.List{Name: l.Name, Title: l.Title, Domain: s.srv.cfg.Domain, BaseURL: s.srv.cfg.BaseURL,
		Language: s.srv.cfg.Language, Anonymous: l.Anonymous || !s.sel.mb.member, Author: author}
}

// messageIDs are the Message-ID and the parent's a reader sees: on an anonymous list
// the list's own (public ids), which name neither machine nor provider.
func (s *session) messageIDs(e *store.Envelope) (id, parent string) {
	id, parent = e.MessageID, e.InReplyTo
	if s.sel.mb.list.Anonymous {
		if e.PublicID != "" {
			id = e.PublicID + "@" + s.srv.cfg.Domain
		}
		if e.ParentPublicID != "" {
			parent = e.ParentPublicID + "@" + s.srv.cfg.Domain
		}
	}
	return id, parent
}

// envelope builds a post's ENVELOPE from its stored columns, as the archive copy
// shows it: the tagged subject, and where authors are hidden the pseudonym (or name)
// via the list.
func (s *session) envelope(e *store.Envelope) *imap.Envelope {
	l := s.sel.mb.list
	cl := s.composeList(e.FromName)
	name, addr := compose.ArchiveFrom(cl, e.FromName, e.FromAddr)
	id, parent := s.messageIDs(e)
	env := &imap.Envelope{Date: e.Date, Subject: compose.SubjectTag(e.Subject, l.Name), MessageID: id,
		From: address(name, addr), To: address("", l.Name+"@"+s.srv.cfg.Domain)}
	if cl.Anonymous {
		env.ReplyTo = env.To
	}
	if parent != "" {
		env.InReplyTo = []string{parent}
	}
	return env
}

func address(name, addr string) []imap.Address {
	mailbox, host, ok := strings.Cut(addr, "@")
	if !ok {
		return nil
	}
	return []imap.Address{{Name: name, Mailbox: mailbox, Host: host}}
}

func (s *session) fetchHeld(ctx context.Context, w *imapserver.FetchWriter, refs []msgRef, p fetchPlan) error {
	msgs := make([]message, 0, len(refs))
	for _, r := range refs {
		h, err := s.srv.st.HeldByID(ctx, int64(r.uid))
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		full, err := s.heldShown(ctx, h)
		if errors.Is(err, lists.ErrNoSuchHeld) {
			continue
		}
		if err != nil {
			return err
		}
		m := message{ref: r, date: h.CreatedAt, full: full, header: full[:headerLen(full)], size: int64(len(full))}
		if p.opts.Envelope {
			hdr, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(m.header)))
			if err != nil {
				m.envelope = &imap.Envelope{Subject: h.Subject, MessageID: h.MessageID}
			} else {
				m.envelope = imapserver.ExtractEnvelope(hdr)
			}
		}
		msgs = append(msgs, m)
	}
	return s.writeMessages(ctx, w, msgs, p)
}

// heldShown is held post h as the moderation folder shows it: the moderators' copy
// with why it waits in a Comments field (RFC 5322), in the logged-in moderator's
// language on the list (looked up with the mailbox when it was selected), else the
// site's.
func (s *session) heldShown(ctx context.Context, h *store.Held) ([]byte, error) {
	shown, err := s.srv.dom.HeldCopy(ctx, h.ID)
	if err != nil {
		return nil, err
	}
	full := compose.ToCRLF(shown)
	lang := s.sel.mb.lang
	if lang == "" {
		lang = s.srv.cfg.Language
	}
	reason := s.srv.dom.HoldReasonText(lang, h)
	if reason == "" {
		return full, nil
	}
	field := "Comments: " + mime.QEncoding.Encode("utf-8", strings.Join(strings.Fields(reason), " ")) + "\r\n"
	return append([]byte(field), full...), nil
}

// writeMessages writes one FETCH response per message, marking them seen first when
// a section was fetched without PEEK.
func (s *session) writeMessages(ctx context.Context, w *imapserver.FetchWriter, msgs []message, p fetchPlan) error {
	sel := s.sel
	changed := map[imap.UID]bool{}
	if p.markSeen {
		var ids []int64
		for _, m := range msgs {
			if !sel.seen[m.ref.uid] {
				sel.seen[m.ref.uid] = true
				changed[m.ref.uid] = true
				ids = append(ids, int64(m.ref.uid))
			}
		}
		if len(ids) > 0 && s.user != "" && sel.mb.kind == kindArchive {
			if err := s.srv.st.SetSeen(ctx, s.user, ids, true); err != nil {
				return err
			}
		}
	}
	for i := range msgs {
		if err := s.writeMessage(w, &msgs[i], p, changed[msgs[i].ref.uid]); err != nil {
			return err
		}
	}
	return nil
}

func (s *session) writeMessage(w *imapserver.FetchWriter, m *message, p fetchPlan, flagsChanged bool) error {
	o := p.opts
	rw := w.CreateMessage(m.ref.seq)
	if o.UID {
		rw.WriteUID(m.ref.uid)
	}
	if o.Flags || flagsChanged {
		rw.WriteFlags(s.sel.flags(m.ref.uid))
	}
	if o.InternalDate {
		rw.WriteInternalDate(m.date)
	}
	if o.RFC822Size {
		rw.WriteRFC822Size(m.size)
	}
	if o.Envelope {
		rw.WriteEnvelope(m.envelope)
	}
	if o.BodyStructure != nil {
		rw.WriteBodyStructure(imapserver.ExtractBodyStructure(bytes.NewReader(m.full)))
	}
	for _, bs := range o.BodySection {
		data := m.section(bs)
		wc := rw.WriteBodySection(bs, int64(len(data)))
		if _, err := wc.Write(data); err != nil {
			wc.Close()
			return err
		}
		if err := wc.Close(); err != nil {
			return err
		}
	}
	for _, bs := range o.BinarySection {
		data := imapserver.ExtractBinarySection(bytes.NewReader(m.full), bs)
		wc := rw.WriteBinarySection(bs, int64(len(data)))
		if _, err := wc.Write(data); err != nil {
			wc.Close()
			return err
		}
		if err := wc.Close(); err != nil {
			return err
		}
	}
	for _, bss := range o.BinarySectionSize {
		rw.WriteBinarySectionSize(bss, imapserver.ExtractBinarySectionSize(bytes.NewReader(m.full), bss))
	}
	return rw.Close()
}

// section returns a body section of the message. Top-level sections are cut from the
// bytes served, so that BODY[HEADER] and BODY[TEXT] add up to BODY[]; parts are
// found by imapserver.
func (m *message) section(bs *imap.FetchItemBodySection) []byte {
	var b []byte
	switch {
	case len(bs.Part) > 0:
		return imapserver.ExtractBodySection(bytes.NewReader(m.full), bs)
	case bs.Specifier == imap.PartSpecifierHeader && len(bs.HeaderFields) > 0:
		b = filterHeader(m.header, bs.HeaderFields, false)
	case bs.Specifier == imap.PartSpecifierHeader && len(bs.HeaderFieldsNot) > 0:
		b = filterHeader(m.header, bs.HeaderFieldsNot, true)
	case bs.Specifier == imap.PartSpecifierHeader:
		b = m.header
	case bs.Specifier == imap.PartSpecifierText:
		b = m.full[len(m.header):]
	case bs.Specifier == imap.PartSpecifierMIME:
		// MIME of the whole message is not defined (RFC 3501): the header is the
		// nearest thing.
		b = m.header
	default:
		b = m.full
	}
	return partial(b, bs.Partial)
}

func partial(b []byte, p *imap.SectionPartial) []byte {
	if p == nil {
		return b
	}
	if p.Offset < 0 || p.Offset >= int64(len(b)) || p.Size <= 0 {
		return nil
	}
	end := min(p.Offset+p.Size, int64(len(b)))
	return b[p.Offset:end]
}

// filterHeader returns the fields of hdr (a header block ending with its blank line)
// named in names, or with not those not named, keeping their bytes, followed by the
// blank line.
func filterHeader(hdr []byte, names []string, not bool) []byte {
	want := make(map[string]bool, len(names))
	for _, n := range names {
		want[strings.ToLower(strings.TrimSpace(n))] = true
	}
	var out []byte
	keep := false
	for len(hdr) > 0 {
		line := hdr
		if i := bytes.IndexByte(hdr, '\n'); i >= 0 {
			line = hdr[:i+1]
		}
		hdr = hdr[len(line):]
		content := bytes.TrimRight(line, "\r\n")
		if len(content) == 0 {
			break // the blank line
		}
		if content[0] != ' ' && content[0] != '\t' {
			name, _, ok := bytes.Cut(content, []byte(":"))
			keep = ok && want[strings.ToLower(string(bytes.TrimSpace(name)))] != not
		}
		if keep {
			out = append(out, line...)
		}
	}
	return append(out, "\r\n"...)
}

// headerLen is the length of a CRLF message's header with its blank line.
func headerLen(msg []byte) int {
	if bytes.HasPrefix(msg, []byte("\r\n")) {
		return 2
	}
	if i := bytes.Index(msg, []byte("\r\n\r\n")); i >= 0 {
		return i + 4
	}
	return len(msg)
}

// standIn is served for a post whose bytes cannot be read or rewritten: its stored
// fields and a note, nothing else.
func standIn(env *imap.Envelope, list string) []byte {
	var b bytes.Buffer
	field := func(k, v string) {
		v = strings.Map(func(r rune) rune {
			if r < ' ' || r == 0x7f {
				return ' '
			}
			return r
		}, v)
		if v != "" {
			fmt.Fprintf(&b, "%s: %s\r\n", k, v)
		}
	}
	if !env.Date.IsZero() {
		field("Date", env.Date.Format(time.RFC1123Z))
	}
	for _, a := range env.From {
		field("From", mime.QEncoding.Encode("utf-8", a.Name)+" <"+a.Mailbox+"@"+a.Host+">")
	}
	field("Subject", mime.QEncoding.Encode("utf-8", compose.SubjectTag(env.Subject, list)))
	if env.MessageID != "" {
		field("Message-ID", "<"+env.MessageID+">")
	}
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n")
	b.WriteString("This post could not be read from the archive.\r\n")
	return b.Bytes()
}
