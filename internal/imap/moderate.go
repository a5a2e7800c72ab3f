package imap

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"

	"listd/internal/lists"
)

// Moderation by moving: a held post moved (or copied) into Moderation/NAME/Approve is
// approved, into Moderation/NAME/Reject rejected, and marked \Deleted and expunged
// discarded. Each goes through the list domain's Moderate, the path of moderation by
// reply, with the moderator's address in the log; the first decision wins.

// Copy answers COPY: into an archive never; from a list's held posts into its Approve
// or Reject folder, as a decision.
func (s *session) Copy(numSet imap.NumSet, dest string) (*imap.CopyData, error) {
	if err := s.decideByMove(numSet, dest, nil); err != nil {
		return nil, err
	}
	return nil, nil
}

// Move answers MOVE: the same decisions as Copy, and the posts leave the folder.
func (s *session) Move(w *imapserver.MoveWriter, numSet imap.NumSet, dest string) error {
	if s.sel != nil && s.sel.readOnly {
		return no(imap.ResponseCodeCannot, "The mailbox was opened read-only (EXAMINE)")
	}
	return s.decideByMove(numSet, dest, w)
}

func (s *session) decideByMove(numSet imap.NumSet, dest string, w *imapserver.MoveWriter) error {
	sel := s.sel
	if sel == nil {
		return nil
	}
	ctx, cancel := s.ctx()
	defer cancel()
	target, ok, err := s.mailbox(ctx, dest)
	if err != nil {
		return err
	}
	var action string
	if sel.mb.kind == kindHeld && ok && target.list != nil && target.list.ID == sel.mb.list.ID {
		switch target.kind {
		case kindApprove:
			action = lists.ModApprove
		case kindReject:
			action = lists.ModReject
		}
	}
	if action == "" {
		if sel.mb.kind == kindHeld {
			base := moderationPrefix + string(delim) + sel.mb.list.Name + string(delim)
			return no(imap.ResponseCodeCannot, "To approve a post move it into "+base+"Approve, to reject it into "+base+"Reject")
		}
		return no(imap.ResponseCodeCannot, "The archives are read-only: nothing can be copied or moved into or out of them")
	}
	refs, err := sel.resolve(numSet)
	if err != nil {
		return err
	}
	uids := make([]imap.UID, len(refs))
	for i, r := range refs {
		uids[i] = r.uid
	}
	failed := s.moderate(ctx, uids, action)
	if w != nil {
		if err := w.WriteCopyData(nil); err != nil {
			return err
		}
		if err := s.refresh(ctx, w, nil); err != nil {
			return err
		}
	}
	return failed
}

// moderate decides on the held posts uids; it goes on past posts that were decided
// already and returns one error that names them.
func (s *session) moderate(ctx context.Context, uids []imap.UID, action string) error {
	var problems []string
	for _, u := range uids {
		err := s.srv.dom.Moderate(ctx, int64(u), action, "", s.user)
		var dec *lists.ErrDecided
		switch {
		case err == nil:
			s.srv.log.Info("imap moderation", "list", s.sel.mb.list.Name, "held_id", int64(u), "action", action)
		case errors.As(err, &dec):
			by := dec.By
			if dec.Poster {
				by = "poster no. " + by
			}
			problems = append(problems, fmt.Sprintf("post %d was already handled by %s (%s)", u, by, dec.State))
		case errors.Is(err, lists.ErrNoSuchHeld):
			problems = append(problems, fmt.Sprintf("post %d is no longer held", u))
		default:
			return fmt.Errorf("moderate held post %d: %w", u, err)
		}
	}
	if len(problems) > 0 {
		return no(imap.ResponseCodeCannot, strings.Join(problems, "; "))
	}
	return nil
}
