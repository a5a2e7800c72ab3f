package lists

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"listd/internal/archive"
	"listd/internal/compose"
	"listd/internal/senderauth"
	"listd/internal/store"
)

// Private replies. A member answers an archived post privately through
// NAME-reply+ID.MAC@, which names the post; listd passes the mail on to the post's
// author from NAME-reply+rRELAY.MAC@, where RELAY is a random id standing for the
// replier on that list, so the author's answer finds its way back, again without an
// address in sight. Both sides must be members of the list. The note at the end of a
// passed-on mail names NAME-reply+xRELAY.MAC@, a block address bound (by the MAC) to
// the recipient: a mail from the recipient to it stops that sender for good. Automatic
// mail is never passed on (RFC 3834), and each replier may send privateReplyLimit
// private messages a day.

// privateReplyLimit is how many private messages one member may send a day.
const privateReplyLimit = 20

// blockNoticeLimit bounds the confirmations of blocks an address gets an hour.
const blockNoticeLimit = 10

// Token kinds in NAME-reply+TOKEN@: a post id, a relay ('r') or a block address ('x').
const (
	replyPost  = 'p'
	replyRelay = 'r'
	replyBlock = 'x'
)

type replyToken struct {
	kind    byte
	postID  int64
	relayID string
	mac     string
}

// parseReplyToken splits ID.MAC, rRELAY.MAC or xRELAY.MAC (lower-cased: some
// systems fold local parts).
func parseReplyToken(tok string) (replyToken, bool) {
	id, mac, ok := strings.Cut(strings.ToLower(tok), ".")
	if !ok || id == "" || len(mac) != 13 {
		return replyToken{}, false
	}
	t := replyToken{mac: mac}
	switch id[0] {
	case replyRelay, replyBlock:
		t.kind, t.relayID = id[0], id[1:]
		if len(t.relayID) != 12 || strings.Trim(t.relayID, "abcdefghijklmnopqrstuvwxyz234567") != "" {
			return replyToken{}, false
		}
	default:
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil || n <= 0 || strconv.FormatInt(n, 10) != id {
			return replyToken{}, false
		}
		t.kind, t.postID = replyPost, n
	}
	return t, true
}

// validReplyToken checks a reply address's MAC where it can be checked without the
// sender: block addresses are bound to their recipient and checked with the mail.
func (s *Service) validReplyToken(list, tok string) bool {
	t, ok := parseReplyToken(tok)
	switch {
	case !ok:
		return false
	case t.kind == replyPost:
		return s.signer.CheckShort(t.mac, "reply-post", list, strconv.FormatInt(t.postID, 10))
	case t.kind == replyRelay:
		return s.signer.CheckShort(t.mac, "reply-relay", list, t.relayID)
	}
	return true
}

// PrivateReplyAddress is the address that reaches the author of the archived post
// archiveID of list l privately, without either side seeing the other's address:
// NAME-reply+ID.MAC@DOMAIN. Pages and digests offer it as "Privat antworten"; only
// members of the list can use it.
func (s *Service) PrivateReplyAddress(l *store.List, archiveID int64) string {
	id := strconv.FormatInt(archiveID, 10)
	return l.Name + "-reply+" + id + "." + s.signer.Short("reply-post", l.Name, id) + "@" + s.cfg.Domain
}

// relayAddress stands for the person behind relayID in the From of passed-on mail.
func (s *Service) relayAddress(l *store.List, relayID string) string {
	return l.Name + "-reply+r" + relayID + "." + s.signer.Short("reply-relay", l.Name, relayID) + "@" + s.cfg.Domain
}

// blockAddress lets recipient, and only recipient, block the person behind relayID.
func (s *Service) blockAddress(l *store.List, relayID, recipient string) string {
	return l.Name + "-reply+x" + relayID + "." + s.signer.Short("reply-block", l.Name, relayID, recipient) + "@" + s.cfg.Domain
}

// privateReply handles mail to NAME-reply+TOKEN@.
func (s *Service) privateReply(ctx context.Context, rc *Recipient, envFrom string, p *archive.Parsed, raw []byte, unreadableImages []string, auth *authorship) error {
	l := rc.List
	log := s.log.With("list", l.Name, "message_id", p.MessageID)
	tok, ok := parseReplyToken(rc.Token)
	if !ok {
		return s.reject(550, [3]int{5, 1, 1}, "no_address", l.Name+"-reply+"+rc.Token+"@"+s.cfg.Domain)
	}
	if auto, why := Automatic(p, envFrom); auto {
		log.Info("private reply not passed on", "reason", "automatic mail: "+why)
		return nil
	}
	if tok.kind == replyBlock {
		return s.blockSender(ctx, l, tok, envFrom, p)
	}
	sender, err := s.replier(ctx, l, p.FromAddr, envFrom)
	if err != nil {
		return fmt.Errorf("private reply on %s: %w", l.Name, err)
	}
	if sender == nil {
		log.Info("private reply refused", "reason", "not a member")
		return s.reject(550, [3]int{5, 7, 1}, "reply_members_only", l.Name+"@"+s.cfg.Domain, l.Name+"-subscribe@"+s.cfg.Domain)
	}
	// A private message goes out under the sender's relay address, so it must be
	// theirs as surely as a post: the same rule, but there is no moderator to hold it for.
	ok, v := auth.proven(ctx, sender.Address, envFrom, p.FromAddr)
	switch {
	case !ok && v.Result == senderauth.TempError:
		s.countAuth(l, p, v, "deferred")
		return s.authDeferred()
	case !ok:
		s.countAuth(l, p, v, "refused")
		return s.reject(550, [3]int{5, 7, 1}, "reply_unproven")
	}
	s.countAuth(l, p, v, "accepted")
	if len(unreadableImages) > 0 {
		return s.unreadableImage()
	}
	gone := s.reject(550, [3]int{5, 2, 1}, "reply_gone")
	var target string
	if tok.kind == replyPost {
		m, err := s.st.Message(ctx, l.ID, tok.postID)
		if errors.Is(err, store.ErrNotFound) {
			log.Info("private reply refused", "reason", "post gone")
			return gone
		}
		if err != nil {
			return fmt.Errorf("private reply on %s: %w", l.Name, err)
		}
		target = m.FromAddr
	}
	// In-Reply-To and References keep the list's posts only, as the recipient knows them.
	refs, err := s.shownRefs(ctx, l, raw)
	if err != nil {
		return fmt.Errorf("private reply on %s: %w", l.Name, err)
	}
	err = s.st.Update(ctx, func(tx *store.Tx) error {
		if tok.kind == replyRelay {
			r, err := tx.RelayByID(tok.relayID)
			if errors.Is(err, store.ErrNotFound) {
				return gone
			}
			if err != nil {
				return err
			}
			if r.ListID == l.ID {
				target = r.Address
			}
		}
		if target == "" {
			return gone // erased, or a relay of another list
		}
		to, err := tx.Member(l.ID, target)
		if errors.Is(err, store.ErrNotFound) {
			return gone // left the list
		}
		if err != nil {
			return err
		}
		from, err := tx.RelayFor(l.ID, sender.Address)
		if err != nil {
			return err
		}
		if blocked, err := tx.Blocked(to.Address, from.ID); err != nil {
			return err
		} else if blocked {
			return s.reject(550, [3]int{5, 7, 1}, "reply_blocked")
		}
		if ok, err := tx.Allow("privreply:"+sender.Address, 24*time.Hour, privateReplyLimit); err != nil {
			return err
		} else if !ok {
			return s.reject(450, [3]int{4, 7, 1}, "reply_limit", privateReplyLimit)
		}
		msg, err := s.relayMessage(l, sender, to, from, []string{p.FromAddr, envFrom}, refs, raw)
		if errors.Is(err, compose.ErrNotRelayable) {
			return s.reject(554, [3]int{5, 6, 0}, "reply_signed")
		}
		if err != nil {
			return err
		}
		return tx.QueueMail(&store.Mail{Kind: "privreply", MailFrom: l.Name + "-bounces@" + s.cfg.Domain, Raw: msg},
			[]store.MailRcpt{{Address: to.Address, ListID: l.ID, MemberID: to.ID}})
	})
	var rej *Rejection
	switch {
	case errors.As(err, &rej):
		log.Info("private reply refused", "reason", rej.Msg)
		return rej
	case errors.Is(err, store.ErrFull):
		return s.reject(452, [3]int{4, 3, 1}, "storage_full")
	case err != nil:
		return fmt.Errorf("private reply on %s: %w", l.Name, err)
	}
	log.Info("private reply passed on")
	s.kick()
	return nil
}

// replier is the member of l who sent a mail: by the From address, else by the
// envelope sender (as for posts); nil for someone who is not a member.
func (s *Service) replier(ctx context.Context, l *store.List, fromAddr, envFrom string) (*store.Member, error) {
	for _, a := range []string{fromAddr, envFrom} {
		if a == "" {
			continue
		}
		m, err := s.st.Member(ctx, l.ID, a)
		if err == nil {
			return m, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
	}
	return nil, nil
}

// relayData is what the private-reply templates see.
type relayData struct {
	ListAddr, BlockAddr, Sender string
}

// relaySender is how the sender of a private message is shown to the recipient: the
// name (or pseudonym) on the list, else "Ein Mitglied", via the list, marked private.
func (s *Service) relaySender(l *store.List, m *store.Member, lang string) string {
	name := strings.TrimSpace(m.Name)
	if name == "" || strings.Contains(name, "@") {
		name = s.text(lang, "a_member")
	}
	return name + " via " + l.Name + s.text(lang, "private_suffix")
}

// relayMessage builds the mail that passes raw on from sender to to.
func (s *Service) relayMessage(l *store.List, sender, to *store.Member, from *store.Relay, hide []string, refs map[string]string, raw []byte) ([]byte, error) {
	lang := s.lang(to.Language)
	d := relayData{ListAddr: l.Name + "@" + s.cfg.Domain, BlockAddr: s.blockAddress(l, from.ID, to.Address)}
	var note bytes.Buffer
	if err := s.mailSet()[lang].ExecuteTemplate(&note, "privreply-note.txt", d); err != nil {
		return nil, fmt.Errorf("private reply note: %w", err)
	}
	msg, err := compose.PrepareRelay(raw, compose.Relay{Name: l.Name, Domain: s.cfg.Domain, Sender: s.relaySender(l, sender, lang),
		From: s.relayAddress(l, from.ID), To: to.Address, MessageID: newMessageID(s.cfg.Domain), Note: note.String(),
		Hide: append(hide, sender.Address), Refs: refs})
	if err != nil {
		return nil, fmt.Errorf("private reply: %w", err)
	}
	return msg, nil
}

// blockSender handles mail to a block address: from the recipient it was made for
// (in the header and the envelope), it stops the sender behind the relay and confirms.
func (s *Service) blockSender(ctx context.Context, l *store.List, tok replyToken, envFrom string, p *archive.Parsed) error {
	author := p.FromAddr
	if author == "" || !strings.EqualFold(author, envFrom) || !s.signer.CheckShort(tok.mac, "reply-block", l.Name, tok.relayID, author) {
		s.log.Info("block refused", "list", l.Name, "reason", "not from the recipient the address was made for")
		return s.reject(550, [3]int{5, 7, 1}, "reply_not_yours")
	}
	err := s.st.Update(ctx, func(tx *store.Tx) error {
		r, err := tx.RelayByID(tok.relayID)
		if errors.Is(err, store.ErrNotFound) || (err == nil && r.ListID != l.ID) {
			return nil // the sender is gone already: nothing to block
		}
		if err != nil {
			return err
		}
		if err := tx.Block(author, r.ID); err != nil {
			return err
		}
		if ok, err := tx.Allow("privblock:"+author, time.Hour, blockNoticeLimit); err != nil || !ok {
			return err
		}
		lang, memberID := s.cfg.Language, int64(0)
		if m, err := tx.Member(l.ID, author); err == nil {
			lang, memberID = m.Language, m.ID
		}
		blocked := &store.Member{}
		if m, err := tx.Member(l.ID, r.Address); err == nil {
			blocked = m
		}
		d := relayData{ListAddr: l.Name + "@" + s.cfg.Domain, Sender: s.relaySender(l, blocked, lang)}
		built, err := s.buildWith(outMail{kind: "privreply-blocked", lang: lang, list: l, to: author, inReplyTo: p.MessageID,
			auto: "auto-replied", data: s.data(l)}, d)
		if err != nil {
			return err
		}
		return tx.QueueMail(built, []store.MailRcpt{{Address: author, ListID: l.ID, MemberID: memberID}})
	})
	if errors.Is(err, store.ErrFull) {
		return s.reject(452, [3]int{4, 3, 1}, "storage_full")
	}
	if err != nil {
		return fmt.Errorf("block on %s: %w", l.Name, err)
	}
	s.log.Info("private replies blocked", "list", l.Name)
	s.kick()
	return nil
}

// exportRelay and exportBlock are what `listd user export` shows of private replies:
// the relay addresses that stood for the person, and whom they blocked (as the relay
// address they saw, never the address behind it).
type exportRelay struct {
	List    string    `json:"list"`
	Address string    `json:"relay_address"`
	Created time.Time `json:"created"`
}

type exportBlock struct {
	List    string    `json:"list"`
	Blocked string    `json:"blocked_relay_address"`
	Created time.Time `json:"created"`
}

func (s *Service) exportPrivReplies(ex *store.Export) ([]exportRelay, []exportBlock) {
	relays, blocks := []exportRelay{}, []exportBlock{}
	for _, r := range ex.Relays {
		l := &store.List{Name: ex.Lists[r.ListID]}
		relays = append(relays, exportRelay{List: l.Name, Address: s.relayAddress(l, r.ID), Created: r.CreatedAt})
	}
	for _, b := range ex.Blocks {
		l := &store.List{Name: ex.Lists[b.ListID]}
		blocks = append(blocks, exportBlock{List: l.Name, Blocked: s.relayAddress(l, b.RelayID), Created: b.CreatedAt})
	}
	return relays, blocks
}
