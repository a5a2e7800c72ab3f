package imap

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/emersion/go-imap/v2"
)

// selection is a session's view of its selected mailbox: the UIDs as the client
// knows them. Posts that went away (erased, or decided on by another moderator) stay
// in the view as gone until the client may be told (EXPUNGE is not allowed during
// FETCH, STORE and SEARCH); new posts are added at every poll.
type selection struct {
	mb       mailbox
	readOnly bool
	uids     uidList
	gone     map[imap.UID]bool
	maxUID   imap.UID
	seen     map[imap.UID]bool
	deleted  map[imap.UID]bool // held posts marked \Deleted: discarded at EXPUNGE
	// tried is set once the client tried to delete archived posts: EXPUNGE then says
	// why nothing happens.
	tried bool
}

// currentUIDs returns the mailbox's current UIDs above after from the store.
func (s *session) currentUIDs(ctx context.Context, mb mailbox, after imap.UID) (uidList, error) {
	var l uidList
	add := func(first, last int64) {
		first = max(first, int64(after)+1, 1)
		last = min(last, 0xffffffff)
		if first <= last {
			l.addRange(imap.UID(first), imap.UID(last))
		}
	}
	switch mb.kind {
	case kindArchive:
		runs, err := s.srv.st.ArchiveIDRuns(ctx, mb.list.ID, int64(after))
		if err != nil {
			return l, err
		}
		for _, r := range runs {
			add(r.First, r.Last)
		}
	case kindHeld:
		ids, err := s.srv.st.HeldIDs(ctx, mb.list.ID)
		if err != nil {
			return l, err
		}
		for _, id := range ids { // ascending
			add(id, id)
		}
	}
	return l, nil
}

func (s *session) newSelection(ctx context.Context, mb mailbox, readOnly bool) (*selection, error) {
	uids, err := s.currentUIDs(ctx, mb, 0)
	if err != nil {
		return nil, fmt.Errorf("select %s: %w", mb.name, err)
	}
	sel := &selection{mb: mb, readOnly: readOnly, uids: uids, gone: map[imap.UID]bool{}, seen: map[imap.UID]bool{},
		deleted: map[imap.UID]bool{}}
	sel.maxUID = uids.last()
	if mb.kind == kindArchive && s.user != "" {
		seen, err := s.srv.st.SeenIDs(ctx, s.user, mb.list.ID)
		if err != nil {
			return nil, fmt.Errorf("select %s: %w", mb.name, err)
		}
		for _, id := range seen {
			sel.seen[imap.UID(id)] = true
		}
	}
	return sel, nil
}

// live is the number of posts in the view that are not gone.
func (sel *selection) live() int { return int(sel.uids.len()) - len(sel.gone) }

// expungeWriter and existsWriter are what refresh tells the client through.
type expungeWriter interface{ WriteExpunge(seqNum uint32) error }
type existsWriter interface{ WriteNumMessages(n uint32) error }

// refresh brings the view up to date. With ew it announces and drops the posts that
// went away; with nw it adds the new ones and announces the count.
func (s *session) refresh(ctx context.Context, ew expungeWriter, nw existsWriter) error {
	sel := s.sel
	if sel == nil {
		return nil
	}
	var added uidList
	switch sel.mb.kind {
	case kindArchive:
		count, maxID, err := s.srv.st.ArchiveState(ctx, sel.mb.list.ID)
		if err != nil {
			return fmt.Errorf("refresh %s: %w", sel.mb.name, err)
		}
		if imap.UID(maxID) > sel.maxUID {
			if added, err = s.currentUIDs(ctx, sel.mb, sel.maxUID); err != nil {
				return fmt.Errorf("refresh %s: %w", sel.mb.name, err)
			}
		}
		if count != sel.live()+int(added.len()) {
			// Posts went away (erasure): find which.
			all, err := s.currentUIDs(ctx, sel.mb, 0)
			if err != nil {
				return fmt.Errorf("refresh %s: %w", sel.mb.name, err)
			}
			sel.markGone(&all)
			added = all.above(sel.maxUID)
		}
	case kindHeld:
		all, err := s.currentUIDs(ctx, sel.mb, 0)
		if err != nil {
			return fmt.Errorf("refresh %s: %w", sel.mb.name, err)
		}
		sel.markGone(&all)
		added = all.above(sel.maxUID)
	default:
		return nil
	}
	if ew != nil && len(sel.gone) > 0 {
		// From the end, so that each sequence number is right when it is sent.
		gone := make([]uint32, 0, len(sel.gone))
		for u := range sel.gone {
			if q := sel.uids.search(u); q <= sel.uids.len() && sel.uids.at(q) == u {
				gone = append(gone, q)
			}
		}
		slices.Sort(gone)
		for i := len(gone) - 1; i >= 0; i-- {
			q := gone[i]
			u := sel.uids.at(q)
			if err := ew.WriteExpunge(q); err != nil {
				return err
			}
			sel.uids.remove(q)
			delete(sel.gone, u)
			delete(sel.seen, u)
			delete(sel.deleted, u)
		}
	}
	if nw != nil && added.len() > 0 {
		for _, r := range added.runs {
			sel.uids.addRange(r.first, r.last)
		}
		sel.maxUID = added.last()
		if err := nw.WriteNumMessages(sel.uids.len()); err != nil {
			return err
		}
	}
	return nil
}

// markGone marks the posts of the view that are not in all as gone.
func (sel *selection) markGone(all *uidList) {
	for _, u := range sel.uids.all() {
		if q := all.search(u); q > all.len() || all.at(q) != u {
			sel.gone[u] = true
		}
	}
}

// msgRef is one message of the view: its sequence number and UID.
type msgRef struct {
	seq uint32
	uid imap.UID
}

var errSearchRes = &imap.Error{Type: imap.StatusResponseTypeBad, Text: "The $ marker (SEARCHRES) is not supported"}

// resolve returns the messages of the view that numSet names, in order, without
// the gone ones. It takes time by the messages named, not by the mailbox's size.
func (sel *selection) resolve(numSet imap.NumSet) ([]msgRef, error) {
	n := sel.uids.len()
	// The ranges as sequence numbers, first to last.
	type rng struct{ start, stop uint32 }
	var rs []rng
	switch set := numSet.(type) {
	case imap.SeqSet:
		for _, r := range set {
			start, stop := staticRange(r.Start, r.Stop, n)
			if start != 0 && start <= n {
				rs = append(rs, rng{start, min(stop, n)})
			}
		}
	case imap.UIDSet:
		if imap.IsSearchRes(set) {
			return nil, errSearchRes
		}
		for _, r := range set {
			start, stop := staticRange(uint32(r.Start), uint32(r.Stop), uint32(sel.uids.last()))
			if start == 0 {
				continue
			}
			// The sequence numbers of the UIDs start to stop.
			first, end := sel.uids.search(imap.UID(start)), sel.uids.search(imap.UID(stop)+1)
			if stop == 0xffffffff {
				end = n + 1
			}
			if first < end {
				rs = append(rs, rng{first, end - 1})
			}
		}
	default:
		return nil, fmt.Errorf("unknown number set %T", numSet)
	}
	// Ordered and joined, so that each message comes once.
	slices.SortFunc(rs, func(a, b rng) int { return cmp.Compare(a.start, b.start) })
	var out []msgRef
	var next uint32 = 1 // the first sequence number not yet looked at
	for _, r := range rs {
		if r.stop < next {
			continue
		}
		for q, u := range sel.uids.from(max(r.start, next)) {
			if q > r.stop {
				break
			}
			if !sel.gone[u] {
				out = append(out, msgRef{seq: q, uid: u})
			}
		}
		next = r.stop + 1
	}
	return out, nil
}

// staticRange turns "*" (0) into max and orders the range; a zero start means the
// range names nothing (an empty mailbox).
func staticRange(start, stop, max uint32) (uint32, uint32) {
	if start == 0 {
		start = max
	}
	if stop == 0 {
		stop = max
	}
	if start > stop {
		start, stop = stop, start
	}
	return start, stop
}

// flags returns the flags of one message.
func (sel *selection) flags(uid imap.UID) []imap.Flag {
	fs := []imap.Flag{}
	if sel.seen[uid] {
		fs = append(fs, imap.FlagSeen)
	}
	if sel.deleted[uid] {
		fs = append(fs, imap.FlagDeleted)
	}
	return fs
}

// refsOf returns the posts of the view among ids that are not gone, in view order.
func (sel *selection) refsOf(ids map[int64]bool) []msgRef {
	sorted := make([]int64, 0, len(ids))
	for id := range ids {
		sorted = append(sorted, id)
	}
	slices.Sort(sorted)
	refs := make([]msgRef, 0, len(sorted))
	for _, id := range sorted {
		if id <= 0 || id > int64(sel.uids.last()) {
			continue
		}
		u := imap.UID(id)
		q := sel.uids.search(u)
		if q > sel.uids.len() || sel.uids.at(q) != u || sel.gone[u] {
			continue
		}
		refs = append(refs, msgRef{seq: q, uid: u})
	}
	return refs
}
