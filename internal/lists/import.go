package lists

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"time"

	"listd/internal/archive"
	"listd/internal/compose"
	"listd/internal/store"
)

// importBatch is how many messages go into one transaction: large enough that commits
// cost little, small enough that a live post waits only a moment for the import.
const importBatch = 1000

// importFirstBatch is the size of an import's first batch; each next one is four
// times as large, up to importBatch.
const importFirstBatch = 100

// importShownErrors bounds the unreadable messages reported one by one.
const importShownErrors = 20

// ImportSummary says what an archive import did.
type ImportSummary struct {
	Imported   int // posts archived
	Duplicates int // posts skipped because the list had their Message-ID
	Unreadable int // messages skipped because they could not be read
}

// importBatches stores the batches of one import (a *store.Import).
type importBatches interface {
	Add(ctx context.Context, posts []*store.Post) (store.ImportResult, error)
	// PackPost compresses a post for storing; the parsing workers call it, so that
	// Add, which runs alone, does not.
	PackPost(p *store.Post)
}

// ImportArchive reads the mbox in r into list l's archive, in file order, threaded as
// live posts are, and sends nothing. file names r in the lines given to report, one
// for each of the first unreadable messages (skipped) and one counting the rest;
// report may be nil.
//
// The summary counts what was stored also when an error ends the import. It fails
// with store.ErrDigestWaiting when live posts wait for a digest that has readers:
// imported posts would go out in it.
func (s *Service) ImportArchive(ctx context.Context, l *store.List, r io.Reader, file string, report func(line string)) (ImportSummary, error) {
	return s.ImportArchiveWith(ctx, l, r, file, ImportOptions{}, report)
}

// ImportAuthors is how an anonymous list's archive names imported posts whose sender
// is not a member with a pseudonym.
type ImportAuthors string

const (
	// ImportPseudonym gives each sender a stable pseudonym of the list, "Mitglied
	// 3F2A9C": the same for every post of one mailbox, in every import.
	ImportPseudonym ImportAuthors = "pseudonym"
	// ImportName keeps the display name of the From field (never the address).
	ImportName ImportAuthors = "name"
)

// ParseImportAuthors reads pseudonym or name.
func ParseImportAuthors(s string) (ImportAuthors, error) {
	return parseWord(s, []ImportAuthors{ImportPseudonym, ImportName})
}

// ImportOptions shape an archive import.
type ImportOptions struct {
	// Authors: on an anonymous list, the name of posts by senders who are not members
	// with a pseudonym; "" is ImportPseudonym.
	Authors ImportAuthors
}

// ImportArchiveWith is ImportArchive with options.
func (s *Service) ImportArchiveWith(ctx context.Context, l *store.List, r io.Reader, file string, o ImportOptions,
	report func(line string)) (ImportSummary, error) {
	is := s.st
	authors, err := s.pseudonyms(ctx, l)
	if err != nil {
		return ImportSummary{}, err
	}
	if report == nil {
		report = func(string) {}
	}
	imp := &mboxImport{st: is.NewImport(l.ID), list: l, file: file, authors: authors, workers: runtime.GOMAXPROCS(0),
		batch: importBatch, now: s.cfg.Now(), report: report}
	if l.Anonymous {
		useName := o.Authors == ImportName
		imp.stranger = func(name, addr string) string {
			if name = strings.TrimSpace(name); useName && name != "" && !strings.Contains(name, "@") {
				return name
			}
			return s.importStranger(l, "", addr)
		}
	}
	sum, err := imp.run(ctx, r)
	if err != nil {
		return sum, err
	}
	// A bulk import leaves the search index in many segments; merged, searches of the
	// imported archive are several times faster from the first one on.
	if sum.Imported > 0 {
		if err := is.OptimizeSearch(ctx); err != nil {
			return sum, fmt.Errorf("%s: imported, but the search index was not merged: %w", l.Name, err)
		}
	}
	return sum, nil
}

// pseudonyms maps the members' addresses to their pseudonyms on an anonymous list,
// whose archive shows those and never the names in From fields, as for live posts;
// it is nil for other lists.
func (s *Service) pseudonyms(ctx context.Context, l *store.List) (map[string]string, error) {
	if !l.Anonymous {
		return nil, nil
	}
	ms, err := s.st.Members(ctx, l.ID)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(ms))
	for _, m := range ms {
		out[m.Address] = m.Name
	}
	return out, nil
}

// mboxImport is one run of an archive import.
type mboxImport struct {
	st      importBatches
	list    *store.List
	file    string            // for messages
	authors map[string]string // anonymous lists: address → pseudonym; nil otherwise
	// stranger names, on an anonymous list, a sender who has no pseudonym there.
	stranger func(name, addr string) string
	workers  int
	batch    int
	now      time.Time
	report   func(line string)
}

// importItem is one message of a batch after parsing: a post, or why it is unreadable.
type importItem struct {
	msg      *archive.MboxMessage
	post     *store.Post
	fromDate time.Time // the date of the mbox "From " line, for posts without a Date
	err      error
}

// run reads, parses and stores the mbox in r. The messages are parsed in parallel, a
// batch at a time, while the previous batch is being stored; batches are stored in
// file order, so that parents come before their replies as in the file.
func (m *mboxImport) run(ctx context.Context, r io.Reader) (ImportSummary, error) {
	var sum ImportSummary
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan []*store.Post, 1)
	var (
		wg       sync.WaitGroup
		storeErr error
		stored   ImportSummary // written by the storing goroutine only
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for posts := range batches {
			if storeErr != nil {
				continue // drain, so that the reader never blocks
			}
			res, err := m.st.Add(ctx, posts)
			if err != nil {
				storeErr = err
				cancel()
				continue
			}
			stored.Imported += res.Imported
			stored.Duplicates += res.Duplicates
		}
	}()
	finish := func(err error) (ImportSummary, error) {
		close(batches)
		wg.Wait()
		sum.Imported, sum.Duplicates = stored.Imported, stored.Duplicates
		if storeErr != nil {
			err = storeErr // the cause; the reading only stopped because of it
		}
		return sum, err
	}

	rd := archive.NewMboxReader(r)
	var lastDate time.Time
	// The first batches are smaller, so that storing starts while the rest is parsed.
	size := min(m.batch, importFirstBatch)
	for done := false; !done; size = min(m.batch, size*4) {
		var batch []*importItem
		for len(batch) < size {
			msg, err := rd.Next()
			if err == io.EOF {
				done = true
				break
			}
			var me *archive.MboxError
			if errors.As(err, &me) {
				batch = append(batch, &importItem{err: me})
				continue
			}
			if err != nil {
				return finish(fmt.Errorf("%s: %w", m.file, err))
			}
			batch = append(batch, &importItem{msg: msg})
		}
		m.parse(batch)
		posts := make([]*store.Post, 0, len(batch))
		for _, p := range batch {
			if p.err != nil {
				sum.Unreadable++
				if sum.Unreadable <= importShownErrors {
					m.report(fmt.Sprintf("%s: %v (skipped)", m.file, p.err))
				}
				continue
			}
			// Without a usable Date the "From " line's date, or else the date of the
			// message before it, keeps the post in its place in the month index.
			if p.post.Date.IsZero() {
				p.post.Date = p.fromDate
			}
			if p.post.Date.IsZero() {
				p.post.Date = lastDate
			}
			if p.post.Date.IsZero() {
				p.post.Date = m.now
			}
			lastDate = p.post.Date
			posts = append(posts, p.post)
		}
		if len(posts) == 0 {
			continue
		}
		select {
		case batches <- posts:
		case <-ctx.Done():
			return finish(ctx.Err())
		}
	}
	if sum.Unreadable > importShownErrors {
		m.report(fmt.Sprintf("%s: %d more unreadable messages not shown", m.file, sum.Unreadable-importShownErrors))
	}
	return finish(nil)
}

// parse turns a batch's messages into posts, with m.workers goroutines.
func (m *mboxImport) parse(batch []*importItem) {
	var wg sync.WaitGroup
	next := make(chan *importItem)
	for range max(1, m.workers) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range next {
				m.parseOne(p)
			}
		}()
	}
	for _, p := range batch {
		if p.err == nil {
			next <- p
		}
	}
	close(next)
	wg.Wait()
}

func (m *mboxImport) parseOne(p *importItem) {
	raw := p.msg.Raw
	fail := func(reason string) {
		p.err = &archive.MboxError{Number: p.msg.Number, Line: p.msg.Line, Err: errors.New(reason)}
	}
	// A message must start with a header field; enmime would take text for a body
	// without any header, and the reason would not be clear.
	if len(bytes.TrimSpace(raw)) == 0 {
		fail("empty message")
		return
	}
	if !archive.StartsWithHeader(raw) {
		fail("no header")
		return
	}
	if m.list.Anonymous {
		// As for live posts: an anonymous list keeps no signature.
		if out, removed, err := compose.StripSignatures(raw); err == nil && removed {
			raw = out
		}
	}
	ps, err := archive.ParseArchived(raw)
	if err != nil {
		// enmime's reasons quote the message; the operator gets the place instead.
		fail("unreadable header")
		return
	}
	mid := ps.MessageID
	if mid == "" {
		mid = syntheticMessageID(raw)
	}
	author := ps.FromName
	if m.authors != nil {
		author = m.authors[ps.FromAddr] // never the From field's name without the import's say
		if author == "" && m.stranger != nil {
			author = m.stranger(ps.FromName, ps.FromAddr)
		}
	}
	date := ps.Date
	if date.After(m.now.Add(24 * time.Hour)) {
		date = time.Time{}
	}
	p.fromDate = p.msg.Date
	if p.fromDate.After(m.now.Add(24 * time.Hour)) {
		p.fromDate = time.Time{}
	}
	key, isReply := archive.SubjectKey(ps.Subject)
	p.post = &store.Post{ListID: m.list.ID, MessageID: mid, Subject: ps.Subject, SubjectKey: key,
		FromName: author, FromAddr: ps.FromAddr, Date: date, Text: ps.Text, Raw: raw,
		ParseErrors: strings.Join(ps.Errors, "\n"), ParentCandidates: ps.ParentCandidates(), SubjectFallback: isReply}
	m.st.PackPost(p.post)
}

// syntheticMessageID names a message that has no Message-ID. The archive needs one
// (it is the key that skips duplicates), and it must be stable: the hash of the
// message's bytes (line ends folded, so an LF and a CRLF copy are one) gives the same
// id when the same file, or another export of it, is imported again. ".invalid" is
// reserved (RFC 2606), so no real Message-ID can collide with it; no reply can refer
// to it either, which is true of the message anyway.
func syntheticMessageID(raw []byte) string {
	sum := sha256.Sum256(bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n")))
	return hex.EncodeToString(sum[:16]) + "@import.invalid"
}

// importStranger is the stable pseudonym of list l for the sender addr of an
// imported post ("Mitglied 3F2A9C"): a MAC of the list and the mailbox, so it is the
// same in every import and cannot be turned back into the address. name is used
// instead when it is given. "" for no address.
func (s *Service) importStranger(l *store.List, name, addr string) string {
	if name != "" {
		return name
	}
	if addr == "" {
		return ""
	}
	mac := s.signer.Short("import-author", l.Name, string(MailboxOf(addr)))
	return fmt.Sprintf(s.text(s.cfg.Language, "import_member"), strings.ToUpper(mac[:6]))
}
