package lists

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"listd/internal/compose"
	"listd/internal/store"
)

// ErrGone means a queued copy's post is no longer in the archive.
var ErrGone = errors.New("post no longer archived")

// UnsubscribeTTL is how long the one-click link in a list mail works.
const UnsubscribeTTL = 60 * 24 * time.Hour

// cacheSize and cacheBytes bound the prepared posts kept for rendering; a fan-out
// touches one post at a time, so a few suffice. The bytes bound keeps a burst of
// large posts from staying in memory after their copies have gone.
const (
	cacheSize  = 16
	cacheBytes = 32 << 20
)

type preparedEntry struct {
	p      *compose.Prepared
	list   *store.List
	author string // the poster's address, lower-cased: their own copy differs
	thread int64
	// followers get the post only because they follow its thread: their copies'
	// one-click link unfollows it.
	followers map[int64]bool
	used      uint64
}

// Copy is one queued copy, ready for the relay.
type Copy struct {
	From    string      // envelope sender
	Message io.WriterTo // may be written more than once
	Shared  bool        // the same bytes for every recipient of this mail
}

// Render returns one recipient's copy: for a post, a personalized copy with a VERP
// return path that names the member; for a notice, the stored mail.
func (s *Service) Render(ctx context.Context, d *store.Delivery) (Copy, error) {
	if d.DigestID != 0 {
		return s.renderDigest(ctx, d)
	}
	if d.MailID != 0 {
		m, err := s.st.Mail(ctx, d.MailID)
		if errors.Is(err, store.ErrNotFound) {
			return Copy{}, fmt.Errorf("render delivery %d: %w", d.ID, ErrGone)
		}
		if err != nil {
			return Copy{}, fmt.Errorf("render delivery %d: %w", d.ID, err)
		}
		return Copy{From: m.MailFrom, Message: rawMessage(m.Raw), Shared: true}, nil
	}
	e, err := s.prepare(ctx, d)
	if err != nil {
		return Copy{}, err
	}
	unsub := s.cfg.BaseURL + "/u/" + s.signer.Sign("unsubscribe", []string{e.list.Name, strconv.FormatInt(d.MemberID, 10)}, UnsubscribeTTL)
	if e.followers[d.MemberID] {
		unsub = s.unfollowURL(e.list, d.MemberID, e.thread)
	}
	p := e.p
	if e.author != "" && strings.EqualFold(d.Rcpt, e.author) {
		if p, err = s.prepareOwnCopy(ctx, d); err != nil {
			return Copy{}, err
		}
	}
	return Copy{From: s.VERP(e.list.Name, d.Rcpt), Message: copyWriter{p: p, unsub: unsub}}, nil
}

// rawMessage writes stored bytes; unlike a bytes.Reader it can be written again.
type rawMessage []byte

func (r rawMessage) WriteTo(w io.Writer) (int64, error) {
	n, err := w.Write(r)
	return int64(n), err
}

type copyWriter struct {
	p     *compose.Prepared
	unsub string
}

func (c copyWriter) WriteTo(w io.Writer) (int64, error) { return c.p.WriteTo(w, c.unsub) }

func (s *Service) prepare(ctx context.Context, d *store.Delivery) (*preparedEntry, error) {
	s.mu.Lock()
	s.clock++
	if e, ok := s.prepared[d.MessageID]; ok {
		e.used = s.clock
		s.mu.Unlock()
		return e, nil
	}
	s.mu.Unlock()

	m, l, cl, raw, err := s.postParts(ctx, d)
	if err != nil {
		return nil, err
	}
	p, err := compose.Prepare(raw, cl, m.ID)
	if err != nil {
		return nil, fmt.Errorf("render delivery %d: %w: %w", d.ID, ErrGone, err)
	}
	followers, err := s.st.FollowersByMail(ctx, m.ThreadID)
	if err != nil {
		return nil, fmt.Errorf("render delivery %d: %w", d.ID, err)
	}
	e := &preparedEntry{p: p, list: l, author: strings.ToLower(m.FromAddr), thread: m.ThreadID, followers: followers}

	s.mu.Lock()
	defer s.mu.Unlock()
	s.clock++
	e.used = s.clock
	size := p.Size()
	for id, x := range s.prepared {
		size += x.p.Size()
		if id == d.MessageID { // prepared twice at once: the older one goes
			size -= x.p.Size()
			delete(s.prepared, id)
		}
	}
	for len(s.prepared) > 0 && (len(s.prepared) >= cacheSize || size > cacheBytes) {
		var oldest int64
		var min uint64 = ^uint64(0)
		for id, x := range s.prepared {
			if x.used < min {
				oldest, min = id, x.used
			}
		}
		size -= s.prepared[oldest].p.Size()
		delete(s.prepared, oldest)
	}
	s.prepared[d.MessageID] = e
	return e, nil
}

// postParts loads what a member's copy of post d is made from: the post, its list,
// the list's compose settings for it and the bytes to send.
func (s *Service) postParts(ctx context.Context, d *store.Delivery) (m *store.Message, l *store.List, cl compose.List, raw []byte, err error) {
	m, err = s.st.Message(ctx, d.ListID, d.MessageID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, compose.List{}, nil, fmt.Errorf("render delivery %d: %w", d.ID, ErrGone)
	}
	if err != nil {
		return nil, nil, compose.List{}, nil, fmt.Errorf("render delivery %d: %w", d.ID, err)
	}
	if m.Withdrawn() {
		// Its queued copies were dropped; this one was claimed just before.
		return nil, nil, compose.List{}, nil, fmt.Errorf("render delivery %d: withdrawn: %w", d.ID, ErrGone)
	}
	raw, err = s.st.Raw(ctx, m.ID)
	if err != nil {
		return nil, nil, compose.List{}, nil, fmt.Errorf("render delivery %d: %w", d.ID, err)
	}
	l, err = s.st.ListByID(ctx, m.ListID)
	if err != nil {
		return nil, nil, compose.List{}, nil, fmt.Errorf("render delivery %d: %w", d.ID, err)
	}
	if l.Anonymous {
		if raw, err = s.publicRaw(ctx, l, m, raw); err != nil {
			return nil, nil, compose.List{}, nil, fmt.Errorf("render delivery %d: %w: %w", d.ID, ErrGone, err)
		}
	}
	cl = s.composeList(l, m.FromName)
	cl.Site = s.footerSite(ctx)
	cl.PrivateReply = s.PrivateReplyAddress(l, m.ID)
	if !l.Anonymous && (l.DMARCRewrite == "always" || s.strictDMARC(ctx, domainOf(m.FromAddr))) {
		cl.MungeFrom, cl.Author = true, or(m.FromName, m.FromAddr)
	}
	return m, l, cl, raw, nil
}

// ownCopyTTL is how long the withdraw link in a poster's own copy works.
const ownCopyTTL = 30 * 24 * time.Hour

// prepareOwnCopy makes the poster's own copy of their post: the same as everyone's,
// with a link in the footer that withdraws the post. It is made for that one copy.
func (s *Service) prepareOwnCopy(ctx context.Context, d *store.Delivery) (*compose.Prepared, error) {
	m, l, cl, raw, err := s.postParts(ctx, d)
	if err != nil {
		return nil, err
	}
	n := nonce()
	tok := s.signer.Sign("withdraw", []string{l.Name, strconv.FormatInt(m.ID, 10), n}, ownCopyTTL)
	err = s.st.Update(ctx, func(tx *store.Tx) error {
		return tx.PutLogin(linkDigest("withdraw", n), strings.ToLower(m.FromAddr), s.cfg.Now().Add(ownCopyTTL))
	})
	if err != nil {
		return nil, fmt.Errorf("render delivery %d: withdraw link: %w", d.ID, err)
	}
	cl.Withdraw = s.cfg.BaseURL + "/confirm/" + tok
	p, err := compose.Prepare(raw, cl, m.ID)
	if err != nil {
		return nil, fmt.Errorf("render delivery %d: %w: %w", d.ID, ErrGone, err)
	}
	return p, nil
}

func (s *Service) composeList(l *store.List, author string) compose.List {
	return compose.List{Name: l.Name, Title: l.Title, Domain: s.cfg.Domain, BaseURL: s.cfg.BaseURL, Language: s.cfg.Language,
		Anonymous: l.Anonymous, Author: author, Note: listText(s.cfg.Language, l.FooterDE, l.FooterEN)}
}

// publicRaw returns post m's bytes with the Message-IDs its anonymous list shows: its
// own public id, and in In-Reply-To and References the public ids of the list's posts
// it answers; ids that name no post of the list are left out. The sender's ids may
// name their machine; members who reply refer to the public ones, which threading
// finds.
func (s *Service) publicRaw(ctx context.Context, l *store.List, m *store.Message, raw []byte) ([]byte, error) {
	refs, err := s.shownRefs(ctx, l, raw)
	if err != nil {
		return nil, err
	}
	return compose.RewriteMessageIDs(raw, m.PublicMessageID(s.cfg.Domain), refs)
}

// shownRefs maps the Message-IDs raw's In-Reply-To and References name that are the
// list's posts (by the id they came with, or by their public id) to the ids the list
// shows for them: the public ids on an anonymous list, else the ids as they are.
func (s *Service) shownRefs(ctx context.Context, l *store.List, raw []byte) (map[string]string, error) {
	refs := map[string]string{}
	ids, err := compose.ReferencedIDs(raw)
	if err != nil || len(ids) == 0 {
		return refs, nil
	}
	ps := s.st
	pub, err := ps.PublicIDs(ctx, l.ID, ids)
	if err != nil {
		return nil, err
	}
	for orig, local := range pub {
		if l.Anonymous {
			refs[orig] = local + "@" + s.cfg.Domain
		} else {
			refs[orig] = orig
		}
	}
	return refs, nil
}

// listText is the list's text in lang (de or en), or the other one when that is empty.
func listText(lang, de, en string) string {
	if lang == "en" {
		return or(en, de)
	}
	return or(de, en)
}

// footerSite is what the footer of a list's mail says of the site: its settings'
// name, contact and legal links. When they cannot be read the footer goes without
// them (and the error is logged): a post is not held up for its footer.
func (s *Service) footerSite(ctx context.Context) compose.Site {
	ss, err := s.SiteSettings(ctx)
	if err != nil {
		s.log.Error("site settings for the footer", "err", err)
		return compose.Site{}
	}
	return siteOf(ss)
}

// siteOf is what footers say of the site with settings ss (compose.Site.Lines).
func siteOf(ss SiteSettings) compose.Site {
	return compose.Site{Name: ss.Name, Contact: ss.Contact, ImpressumURL: ss.ImpressumURL, DatenschutzURL: ss.DatenschutzURL}
}
