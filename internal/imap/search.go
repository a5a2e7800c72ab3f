package imap

import (
	"bufio"
	"bytes"
	"context"
	"net/mail"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-message/textproto"

	"listd/internal/compose"
	"listd/internal/mailmsg"
	"listd/internal/store"
)

// Searching: dates, subjects, authors and Message-IDs come from the stored columns;
// TEXT and BODY go through the archive's full-text index (whole words, as on the
// web, not the substrings of RFC 3501); other header fields and sizes are looked up
// in the archive copies, so a search never finds what a reader cannot see.

// candidate is one message being tested.
type candidate struct {
	ref    msgRef
	env    *store.Envelope // archive
	date   time.Time       // INTERNALDATE
	sent   time.Time
	header textproto.Header // the served header, when a criterion needs it
	hasHdr bool
	size   int64
	text   []byte // held posts: the bytes, for TEXT and BODY
}

// Search answers SEARCH and UID SEARCH.
func (s *session) Search(kind imapserver.NumKind, criteria *imap.SearchCriteria, options *imap.SearchOptions) (*imap.SearchData, error) {
	data := &imap.SearchData{}
	sel := s.sel
	if sel == nil {
		return data, nil
	}
	ctx, cancel := s.ctx()
	defer cancel()
	ev := &evaluator{s: s, sel: sel, fts: map[string]map[int64]bool{}}
	if err := ev.prepare(ctx, criteria); err != nil {
		return nil, err
	}
	var refs []msgRef
	if only := ev.required(criteria); only != nil {
		// Only the posts the index found can match: they are the candidates, not
		// every post of the folder.
		refs = sel.refsOf(only)
	} else {
		for q, u := range sel.uids.all() {
			if !sel.gone[u] {
				refs = append(refs, msgRef{seq: q, uid: u})
			}
		}
	}
	var seqs imap.SeqSet
	var uids imap.UIDSet
	err := s.candidates(ctx, refs, needsContent(criteria), func(c *candidate) {
		if !ev.match(c, criteria) {
			return
		}
		num := c.ref.seq
		if kind == imapserver.NumKindUID {
			num = uint32(c.ref.uid)
			uids.AddNum(c.ref.uid)
		} else {
			seqs.AddNum(c.ref.seq)
		}
		if data.Min == 0 || num < data.Min {
			data.Min = num
		}
		if num > data.Max {
			data.Max = num
		}
		data.Count++
	})
	if err != nil {
		return nil, err
	}
	if kind == imapserver.NumKindUID {
		data.All = uids
	} else {
		data.All = seqs
	}
	return data, nil
}

const (
	// searchRangeMin is the shortest run of consecutive UIDs that a search reads as a
	// range of ids (store.SearchFieldRange), and searchRangeMax the most posts it
	// holds at once.
	searchRangeMin = 32
	searchRangeMax = 2048
)

// candidates loads what the criteria need of each message of refs, a chunk at a
// time, and hands each to match: a search of a large folder holds one chunk.
func (s *session) candidates(ctx context.Context, refs []msgRef, content bool, match func(*candidate)) error {
	sel := s.sel
	switch sel.mb.kind {
	case kindArchive:
		listID := sel.mb.list.ID
		for len(refs) > 0 {
			run := 1
			for run < len(refs) && run < searchRangeMax && refs[run].uid == refs[run-1].uid+1 {
				run++
			}
			var chunk []msgRef
			var envs []store.Envelope
			var err error
			if !content && run >= searchRangeMin {
				// Only the stored columns are compared: read as a range, the columns at
				// the start of each row (the whole folder, for SUBJECT or FROM).
				chunk = refs[:run]
				envs, err = s.srv.st.SearchFieldRange(ctx, listID, int64(chunk[0].uid), int64(chunk[run-1].uid), sel.mb.list.Anonymous)
			} else {
				chunk = refs[:min(len(refs), envChunk)]
				ids := make([]int64, len(chunk))
				for i, r := range chunk {
					ids[i] = int64(r.uid)
				}
				envs, err = s.srv.st.Envelopes(ctx, listID, ids)
			}
			if err != nil {
				return err
			}
			refs = refs[len(chunk):]
			byID := make(map[int64]*store.Envelope, len(envs))
			for i := range envs {
				byID[envs[i].ID] = &envs[i]
			}
			out := make([]candidate, 0, len(chunk))
			var msgs []message
			for _, r := range chunk {
				e := byID[int64(r.uid)]
				if e == nil {
					continue
				}
				out = append(out, candidate{ref: r, env: e, date: e.ReceivedAt, sent: e.Date})
				msgs = append(msgs, message{ref: r, env: e})
			}
			if content {
				if err := s.loadArchived(ctx, msgs, true, false, false); err != nil {
					return err
				}
				for i, m := range msgs {
					c := &out[i]
					c.size = m.size
					c.header, _ = textproto.ReadHeader(bufio.NewReader(bytes.NewReader(m.header)))
					c.hasHdr = true
				}
			}
			for i := range out {
				match(&out[i])
			}
		}
	case kindHeld:
		for _, r := range refs {
			h, err := s.srv.st.HeldByID(ctx, int64(r.uid))
			if err != nil {
				continue
			}
			full, err := s.heldShown(ctx, h)
			if err != nil {
				continue
			}
			hdr, _ := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(full[:headerLen(full)])))
			c := candidate{ref: r, date: h.CreatedAt, header: hdr, hasHdr: true, size: int64(len(full)), text: full}
			if d, err := mail.ParseDate(hdr.Get("Date")); err == nil {
				c.sent = d
			}
			match(&c)
		}
	}
	return nil
}

// needsContent reports whether a criterion needs the served header or size.
func needsContent(c *imap.SearchCriteria) bool {
	if c.Larger > 0 || c.Smaller > 0 {
		return true
	}
	for _, h := range c.Header {
		if !columnHeader(h.Key) {
			return true
		}
	}
	for i := range c.Not {
		if needsContent(&c.Not[i]) {
			return true
		}
	}
	for i := range c.Or {
		if needsContent(&c.Or[i][0]) || needsContent(&c.Or[i][1]) {
			return true
		}
	}
	return false
}

// columnHeader reports whether a header field is searched in the stored columns.
func columnHeader(key string) bool {
	switch strings.ToLower(key) {
	case "subject", "from", "message-id":
		return true
	}
	return false
}

type evaluator struct {
	s   *session
	sel *selection
	// fts holds the posts that match each TEXT ("t" + text) and BODY ("b" + text).
	fts map[string]map[int64]bool
}

// prepare runs the full-text searches the criteria need, once each.
func (ev *evaluator) prepare(ctx context.Context, c *imap.SearchCriteria) error {
	if ev.sel.mb.kind == kindArchive {
		for _, q := range []struct {
			texts    []string
			prefix   string
			bodyOnly bool
		}{{c.Text, "t", false}, {c.Body, "b", true}} {
			for _, t := range q.texts {
				key := q.prefix + t
				if _, ok := ev.fts[key]; ok {
					continue
				}
				ids, err := ev.s.srv.st.ArchiveMatches(ctx, ev.sel.mb.list.ID, t, q.bodyOnly)
				if err != nil {
					return err
				}
				set := make(map[int64]bool, len(ids))
				for _, id := range ids {
					set[id] = true
				}
				ev.fts[key] = set
			}
		}
	}
	for i := range c.Not {
		if err := ev.prepare(ctx, &c.Not[i]); err != nil {
			return err
		}
	}
	for i := range c.Or {
		for j := range c.Or[i] {
			if err := ev.prepare(ctx, &c.Or[i][j]); err != nil {
				return err
			}
		}
	}
	return nil
}

// required returns the smallest of the sets of posts found by the index for the
// TEXT and BODY keys that every match must meet (those of the criteria's top
// level), or nil when there are none.
func (ev *evaluator) required(c *imap.SearchCriteria) map[int64]bool {
	if ev.sel.mb.kind != kindArchive {
		return nil
	}
	var best map[int64]bool
	for _, q := range []struct {
		texts  []string
		prefix string
	}{{c.Text, "t"}, {c.Body, "b"}} {
		for _, t := range q.texts {
			if set, ok := ev.fts[q.prefix+t]; ok && (best == nil || len(set) < len(best)) {
				best = set
			}
		}
	}
	return best
}

func (ev *evaluator) match(c *candidate, cr *imap.SearchCriteria) bool {
	for _, set := range cr.SeqNum {
		if !inSeqSet(set, c.ref.seq, ev.sel.uids.len()) {
			return false
		}
	}
	for _, set := range cr.UID {
		max := uint32(ev.sel.uids.last())
		if imap.IsSearchRes(set) || !inUIDSet(set, c.ref.uid, max) {
			return false
		}
	}
	if !dateIn(c.date, cr.Since, cr.Before) || !dateIn(c.sent, cr.SentSince, cr.SentBefore) {
		return false
	}
	for _, f := range cr.Flag {
		if !ev.hasFlag(c, f) {
			return false
		}
	}
	for _, f := range cr.NotFlag {
		if ev.hasFlag(c, f) {
			return false
		}
	}
	if cr.Larger > 0 && c.size <= cr.Larger {
		return false
	}
	if cr.Smaller > 0 && c.size >= cr.Smaller {
		return false
	}
	for _, h := range cr.Header {
		if !ev.headerMatch(c, h.Key, h.Value) {
			return false
		}
	}
	for _, t := range cr.Text {
		if !ev.textMatch(c, "t", t) {
			return false
		}
	}
	for _, t := range cr.Body {
		if !ev.textMatch(c, "b", t) {
			return false
		}
	}
	for i := range cr.Not {
		if ev.match(c, &cr.Not[i]) {
			return false
		}
	}
	for _, or := range cr.Or {
		if !ev.match(c, &or[0]) && !ev.match(c, &or[1]) {
			return false
		}
	}
	return true
}

func (ev *evaluator) hasFlag(c *candidate, f imap.Flag) bool {
	switch canonicalFlag(f) {
	case imap.FlagSeen:
		return ev.sel.seen[c.ref.uid]
	case imap.FlagDeleted:
		return ev.sel.deleted[c.ref.uid]
	}
	return false
}

func (ev *evaluator) textMatch(c *candidate, kind, text string) bool {
	if c.env != nil {
		return ev.fts[kind+text][c.env.ID]
	}
	b := c.text
	if kind == "b" {
		b = b[min(len(b), headerLen(b)):]
	}
	return containsFold(string(b), text)
}

func (ev *evaluator) headerMatch(c *candidate, key, value string) bool {
	if c.env != nil && columnHeader(key) {
		var have []string
		switch strings.ToLower(key) {
		case "subject":
			have = []string{compose.SubjectTag(c.env.Subject, ev.sel.mb.list.Name)}
		case "from":
			name, addr := compose.ArchiveFrom(ev.s.composeList(c.env.FromName), c.env.FromName, c.env.FromAddr)
			have = []string{name + " <" + addr + ">"}
		case "message-id":
			id, _ := ev.s.messageIDs(c.env)
			have = []string{"<" + id + ">"}
		}
		for _, h := range have {
			if containsFold(h, value) {
				return true
			}
		}
		return false
	}
	if !c.hasHdr {
		return false
	}
	vals := c.header.Values(key)
	if value == "" {
		return len(vals) > 0
	}
	for _, v := range vals {
		if d, err := mailmsg.DecodeWords(v); err == nil {
			v = d
		}
		if containsFold(v, value) {
			return true
		}
	}
	return false
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

// dateIn reports whether t's day (UTC) is on or after since and before before; zero
// bounds are open.
func dateIn(t, since, before time.Time) bool {
	if since.IsZero() && before.IsZero() {
		return true
	}
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	if !since.IsZero() && day.Before(time.Date(since.Year(), since.Month(), since.Day(), 0, 0, 0, 0, time.UTC)) {
		return false
	}
	if !before.IsZero() && !day.Before(time.Date(before.Year(), before.Month(), before.Day(), 0, 0, 0, 0, time.UTC)) {
		return false
	}
	return true
}

func inSeqSet(set imap.SeqSet, q, max uint32) bool {
	for _, r := range set {
		start, stop := staticRange(r.Start, r.Stop, max)
		if start != 0 && q >= start && q <= stop {
			return true
		}
	}
	return false
}

func inUIDSet(set imap.UIDSet, u imap.UID, max uint32) bool {
	for _, r := range set {
		start, stop := staticRange(uint32(r.Start), uint32(r.Stop), max)
		if start != 0 && uint32(u) >= start && uint32(u) <= stop {
			return true
		}
	}
	return false
}
