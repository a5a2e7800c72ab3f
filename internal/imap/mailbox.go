package imap

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/emersion/go-imap/v2"

	"listd/internal/lists"
	"listd/internal/store"
)

// delim separates the levels of mailbox names ("Moderation/kita/Approve").
const delim = '/'

const moderationPrefix = "Moderation"

type kind int

const (
	kindInbox   kind = iota // always empty: mail programs expect an INBOX
	kindArchive             // a list's archive
	kindHeld                // Moderation/NAME: the list's held posts
	kindApprove             // Moderation/NAME/Approve: what is moved here is approved
	kindReject              // Moderation/NAME/Reject: what is moved here is rejected
	kindParent              // Moderation: holds the others, cannot be selected
)

// mailbox is one mailbox a user sees.
type mailbox struct {
	name string
	kind kind
	list *store.List // nil for INBOX and Moderation
	// member: the user is on the list. Others (ANONYMOUS, or readers of a public
	// archive who are not on it) never see an author's address, on any list, as on
	// the web.
	member bool
	// lang is the language the moderation folders speak to the user: theirs on the
	// list, as its moderation notices use it; "" for the site's (a site admin who is
	// not on the list).
	lang string
}

func (m mailbox) selectable() bool { return m.kind != kindParent }

func (m mailbox) attrs() []imap.MailboxAttr {
	switch m.kind {
	case kindParent:
		return []imap.MailboxAttr{imap.MailboxAttrNoSelect, imap.MailboxAttrHasChildren}
	case kindHeld:
		return []imap.MailboxAttr{imap.MailboxAttrHasChildren}
	}
	return []imap.MailboxAttr{imap.MailboxAttrHasNoChildren}
}

// uidValidity is stable for as long as the list exists: it comes from when the list
// was created, so a list removed and made again under the same name gets a new one.
func (m mailbox) uidValidity() uint32 {
	if m.list == nil {
		return 1
	}
	v := uint32(m.list.CreatedAt.Unix())
	if m.kind != kindArchive {
		// Held posts have UIDs of their own (held ids): another validity keeps a
		// client from mixing the two.
		v ^= 0x80000000
	}
	if v == 0 {
		v = 1
	}
	return v
}

// viewer is who the session has shown itself to be: a stranger (SASL ANONYMOUS),
// whose memberships count for nothing, or logged in with a password, as the list
// domain sees the address (a site admin, or any other login).
func (s *session) viewer(ctx context.Context) (lists.Viewer, error) {
	if s.anonymous || s.user == "" {
		return lists.Stranger, nil
	}
	v, err := s.srv.dom.ViewerOf(ctx, s.user)
	if err != nil {
		return lists.Stranger, fmt.Errorf("viewer: %w", err)
	}
	return v, nil
}

// mailboxes returns what the user sees, in LIST order.
func (s *session) mailboxes(ctx context.Context) ([]mailbox, error) {
	ls, err := s.srv.st.Lists(ctx)
	if err != nil {
		return nil, fmt.Errorf("mailboxes: %w", err)
	}
	member := map[int64]*store.Member{}
	if s.user != "" {
		ms, err := s.srv.st.Memberships(ctx, s.user)
		if err != nil {
			return nil, fmt.Errorf("mailboxes: %w", err)
		}
		for _, m := range ms {
			member[m.ListID] = m
		}
	}
	v, err := s.viewer(ctx)
	if err != nil {
		return nil, fmt.Errorf("mailboxes: %w", err)
	}
	out := []mailbox{{name: "INBOX", kind: kindInbox}}
	var mod []mailbox
	for _, l := range ls {
		m := member[l.ID]
		if lists.MayRead(l, m, v) {
			mb := mailbox{name: l.Name, kind: kindArchive, list: l, member: m != nil && !s.anonymous}
			if strings.EqualFold(l.Name, "INBOX") {
				// IMAP's INBOX is any case of "inbox": a list of that name is the INBOX.
				mb.name = "INBOX"
				out[0] = mb
			} else {
				out = append(out, mb)
			}
		}
		if lists.MayModerate(l, m, v) {
			base := moderationPrefix + string(delim) + l.Name
			var lang string
			if m != nil {
				lang = m.Language
			}
			mod = append(mod, mailbox{name: base, kind: kindHeld, list: l, member: true, lang: lang},
				mailbox{name: base + string(delim) + "Approve", kind: kindApprove, list: l, member: true, lang: lang},
				mailbox{name: base + string(delim) + "Reject", kind: kindReject, list: l, member: true, lang: lang})
		}
	}
	sort.SliceStable(out[1:], func(i, j int) bool { return out[1+i].name < out[1+j].name })
	if len(mod) > 0 {
		out = append(out, mailbox{name: moderationPrefix, kind: kindParent})
		out = append(out, mod...)
	}
	return out, nil
}

// mailbox finds a mailbox the user sees by name; INBOX in any case.
func (s *session) mailbox(ctx context.Context, name string) (mailbox, bool, error) {
	if strings.EqualFold(name, "INBOX") {
		name = "INBOX"
	}
	mbs, err := s.mailboxes(ctx)
	if err != nil {
		return mailbox{}, false, err
	}
	for _, m := range mbs {
		if m.name == name {
			return m, true, nil
		}
	}
	return mailbox{}, false, nil
}

var errNoMailbox = &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeNonExistent, Text: "No such mailbox"}
