package imap

import (
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
)

// Store answers STORE: \Seen is kept (per person in archives, for the session in the
// moderation folders), \Deleted marks held posts for discarding; other flags are not
// kept, which RFC 3501 allows for flags missing from PERMANENTFLAGS.
func (s *session) Store(w *imapserver.FetchWriter, numSet imap.NumSet, flags *imap.StoreFlags, options *imap.StoreOptions) error {
	sel := s.sel
	if sel == nil {
		return nil
	}
	if sel.readOnly {
		return no(imap.ResponseCodeCannot, "The mailbox was opened read-only (EXAMINE)")
	}
	refs, err := sel.resolve(numSet)
	if err != nil {
		return err
	}
	var seenFlag, deletedFlag bool
	for _, f := range flags.Flags {
		switch canonicalFlag(f) {
		case imap.FlagSeen:
			seenFlag = true
		case imap.FlagDeleted:
			deletedFlag = true
		}
	}
	if deletedFlag && sel.mb.kind == kindArchive && flags.Op != imap.StoreFlagsDel {
		sel.tried = true
		return no(imap.ResponseCodeCannot, "The archive is read-only: posts cannot be deleted from it")
	}
	// What each flag becomes: nil for unchanged.
	set := func(present bool) *bool {
		switch flags.Op {
		case imap.StoreFlagsSet:
			return &present
		case imap.StoreFlagsAdd:
			if present {
				t := true
				return &t
			}
		case imap.StoreFlagsDel:
			if present {
				f := false
				return &f
			}
		}
		return nil
	}
	seen, deleted := set(seenFlag), set(deletedFlag)
	if sel.mb.kind != kindHeld {
		deleted = nil
	}
	var seenIDs, unseenIDs []int64
	for _, r := range refs {
		if seen != nil && sel.seen[r.uid] != *seen {
			if *seen {
				sel.seen[r.uid] = true
				seenIDs = append(seenIDs, int64(r.uid))
			} else {
				delete(sel.seen, r.uid)
				unseenIDs = append(unseenIDs, int64(r.uid))
			}
		}
		if deleted != nil {
			if *deleted {
				sel.deleted[r.uid] = true
			} else {
				delete(sel.deleted, r.uid)
			}
		}
	}
	if s.user != "" && sel.mb.kind == kindArchive && (len(seenIDs) > 0 || len(unseenIDs) > 0) {
		ctx, cancel := s.ctx()
		defer cancel()
		if err := s.srv.st.SetSeen(ctx, s.user, seenIDs, true); err != nil {
			return err
		}
		if err := s.srv.st.SetSeen(ctx, s.user, unseenIDs, false); err != nil {
			return err
		}
	}
	if flags.Silent {
		return nil
	}
	_, byUID := numSet.(imap.UIDSet)
	for _, r := range refs {
		rw := w.CreateMessage(r.seq)
		if byUID {
			rw.WriteUID(r.uid)
		}
		rw.WriteFlags(sel.flags(r.uid))
		if err := rw.Close(); err != nil {
			return err
		}
	}
	return nil
}

// canonicalFlag spells system flags the standard way (\seen is \Seen).
func canonicalFlag(f imap.Flag) imap.Flag {
	for _, std := range []imap.Flag{imap.FlagSeen, imap.FlagAnswered, imap.FlagFlagged, imap.FlagDeleted, imap.FlagDraft} {
		if strings.EqualFold(string(f), string(std)) {
			return std
		}
	}
	return f
}
