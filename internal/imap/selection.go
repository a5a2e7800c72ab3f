package imap

import (
	"context"
	"fmt"
	"sort"

	"github.com/emersion/go-imap/v2"
)

// selection is a session's view of its selected mailbox: the UIDs as the client
// knows them. Posts that went away (erased, or decided on by another moderator) stay
// in the view as gone until the client may be told (EXPUNGE is not allowed during
// FETCH, STORE and SEARCH); new posts are added at every poll.
type selection struct {
	mb       mailbox
	readOnly bool
	uids     []imap.UID // ascending
	gone     map[imap.UID]bool
	maxUID   imap.UID
	seen     map[imap.UID]bool
	deleted  map[imap.UID]bool // held posts marked \Deleted: discarded at EXPUNGE
	// tried is set once the client tried to delete archived posts: EXPUNGE then says
	// why nothing happens.
	tried bool
}

// ids returns the mailbox's current UIDs from the store.
func (s *session) currentUIDs(ctx context.Context, mb mailbox, after imap.UID) ([]imap.UID, error) {
	var ids []int64
	var err error
	switch mb.kind {
	case kindArchive:
		ids, err = s.srv.st.ArchiveIDs(ctx, mb.list.ID, int64(after))
	case kindHeld:
		ids, err = s.srv.st.HeldIDs(ctx, mb.list.ID)
	default:
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := make([]imap.UID, 0, len(ids))
	for _, id := range ids {
		if id > 0 && id <= 0xffffffff && imap.UID(id) > after {
			out = append(out, imap.UID(id))
		}
	}
	return out, nil
}

func (s *session) newSelection(ctx context.Context, mb mailbox, readOnly bool) (*selection, error) {
	uids, err := s.currentUIDs(ctx, mb, 0)
	if err != nil {
		return nil, fmt.Errorf("select %s: %w", mb.name, err)
	}
	sel := &selection{mb: mb, readOnly: readOnly, uids: uids, gone: map[imap.UID]bool{}, seen: map[imap.UID]bool{},
		deleted: map[imap.UID]bool{}}
	if len(uids) > 0 {
		sel.maxUID = uids[len(uids)-1]
	}
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
func (sel *selection) live() int { return len(sel.uids) - len(sel.gone) }

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
	var added []imap.UID
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
		if count != sel.live()+len(added) {
			// Posts went away (erasure): find which.
			all, err := s.currentUIDs(ctx, sel.mb, 0)
			if err != nil {
				return fmt.Errorf("refresh %s: %w", sel.mb.name, err)
			}
			sel.markGone(all)
			added = added[:0]
			for _, u := range all {
				if u > sel.maxUID {
					added = append(added, u)
				}
			}
		}
	case kindHeld:
		all, err := s.currentUIDs(ctx, sel.mb, 0)
		if err != nil {
			return fmt.Errorf("refresh %s: %w", sel.mb.name, err)
		}
		sel.markGone(all)
		for _, u := range all {
			if u > sel.maxUID {
				added = append(added, u)
			}
		}
	default:
		return nil
	}
	if ew != nil && len(sel.gone) > 0 {
		// From the end, so that each sequence number is right when it is sent.
		for i := len(sel.uids) - 1; i >= 0; i-- {
			u := sel.uids[i]
			if !sel.gone[u] {
				continue
			}
			if err := ew.WriteExpunge(uint32(i + 1)); err != nil {
				return err
			}
			sel.uids = append(sel.uids[:i], sel.uids[i+1:]...)
			delete(sel.gone, u)
			delete(sel.seen, u)
			delete(sel.deleted, u)
		}
	}
	if nw != nil && len(added) > 0 {
		sel.uids = append(sel.uids, added...)
		sel.maxUID = added[len(added)-1]
		if err := nw.WriteNumMessages(uint32(len(sel.uids))); err != nil {
			return err
		}
	}
	return nil
}

// markGone marks the posts of the view that are not in all (ascending) as gone.
func (sel *selection) markGone(all []imap.UID) {
	for _, u := range sel.uids {
		i := sort.Search(len(all), func(i int) bool { return all[i] >= u })
		if i == len(all) || all[i] != u {
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
// the gone ones.
func (sel *selection) resolve(numSet imap.NumSet) ([]msgRef, error) {
	n := uint32(len(sel.uids))
	var out []msgRef
	switch set := numSet.(type) {
	case imap.SeqSet:
		marked := make([]bool, n+1)
		for _, r := range set {
			start, stop := staticRange(r.Start, r.Stop, n)
			if start == 0 {
				continue
			}
			for q := start; q <= stop && q <= n; q++ {
				marked[q] = true
			}
		}
		for q := uint32(1); q <= n; q++ {
			if marked[q] && !sel.gone[sel.uids[q-1]] {
				out = append(out, msgRef{seq: q, uid: sel.uids[q-1]})
			}
		}
	case imap.UIDSet:
		if imap.IsSearchRes(set) {
			return nil, errSearchRes
		}
		var max uint32
		if n > 0 {
			max = uint32(sel.uids[n-1])
		}
		type rng struct{ start, stop uint32 }
		var rs []rng
		for _, r := range set {
			start, stop := staticRange(uint32(r.Start), uint32(r.Stop), max)
			if start != 0 {
				rs = append(rs, rng{start, stop})
			}
		}
		for i, u := range sel.uids {
			if sel.gone[u] {
				continue
			}
			for _, r := range rs {
				if uint32(u) >= r.start && uint32(u) <= r.stop {
					out = append(out, msgRef{seq: uint32(i + 1), uid: u})
					break
				}
			}
		}
	default:
		return nil, fmt.Errorf("unknown number set %T", numSet)
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
