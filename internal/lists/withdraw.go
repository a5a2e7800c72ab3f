package lists

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-message/mail"

	"listd/internal/command"
	"listd/internal/compose"
	"listd/internal/store"
	"listd/internal/token"
)

// Withdrawing a post: its author takes it back, from the web while logged in, or by
// mail to NAME-request@ ("zurückziehen 1234", "withdraw LINK"), which answers with a
// single-use confirmation link to the author's address. Copies that went out stay in
// the members' mailboxes; the archive, the search, IMAP, feeds and digests not yet
// sent show only that the post was withdrawn. The row stays, so replies keep their
// place in the thread.

// linkTTL is how long an emailed link to withdraw a post or erase one's data works.
const linkTTL = 24 * time.Hour

func (s *Service) withdrawText(lang, key string) string {
	return s.text(lang, "withdraw_"+key)
}

// ErrNotAuthor means the post does not exist, was withdrawn already, or is not the
// address's own: the three are not told apart.
var ErrNotAuthor = errors.New("no such post of yours")

// PostToWithdraw is what a withdraw link names, for the page that asks to confirm.
type PostToWithdraw struct {
	List    string
	ID      int64
	Subject string
}

// withdrawMail is the data of the confirmation mail.
type withdrawMail struct {
	mailData
	PostDate, PostURL string // never the subject: the request may come from anybody
	Hours             int
}

// requestWithdraw answers a withdraw command from sender on list l: if the post is
// sender's own, it mails a confirmation link and returns ""; otherwise a line for
// the reply. The link goes to the address the post came from, so a forged From
// reaches only the real author.
func (s *Service) requestWithdraw(ctx context.Context, l *store.List, sender, lang, arg, inReplyTo string) string {
	list, id, ok := command.PostRef(arg)
	if !ok {
		return s.withdrawText(lang, "badlink")
	}
	target := l
	if list != "" && list != l.Name {
		other, err := s.List(ctx, list)
		if err != nil {
			return s.withdrawText(lang, "badlink")
		}
		target = other
	}
	m, err := s.st.Message(ctx, target.ID, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (m.Withdrawn() || !strings.EqualFold(m.FromAddr, sender))) {
		return s.withdrawText(lang, "none")
	}
	if err != nil {
		return s.failText(lang, err)
	}
	n := nonce()
	tok := s.signer.Sign("withdraw", []string{target.Name, strconv.FormatInt(id, 10), n}, linkTTL)
	d := withdrawMail{mailData: s.data(target),
		PostDate: m.Date.In(berlin()).Format("02.01.2006 15:04"), Hours: int(linkTTL.Hours()),
		PostURL: s.cfg.BaseURL + "/" + target.Name + "/m/" + strconv.FormatInt(id, 10)}
	d.ConfirmURL = s.cfg.BaseURL + "/confirm/" + tok
	err = s.st.Update(ctx, func(tx *store.Tx) error {
		if err := s.allowUnconfirmed(ctx, tx, "withdraw-confirm", m.FromAddr); err != nil {
			return err
		}
		if err := tx.PutLogin(linkDigest("withdraw", n), strings.ToLower(m.FromAddr), s.cfg.Now().Add(linkTTL)); err != nil {
			return err
		}
		built, err := s.buildWith(outMail{kind: "withdraw-confirm", lang: lang, list: target, to: m.FromAddr, data: d.mailData,
			inReplyTo: inReplyTo, auto: "auto-replied"}, d)
		if err != nil {
			return err
		}
		return tx.QueueMail(built, []store.MailRcpt{{Address: m.FromAddr, ListID: target.ID}})
	})
	if err != nil {
		return s.failText(lang, err)
	}
	s.log.Info("withdrawal link sent", "list", target.Name, "id", id)
	s.kick()
	return ""
}

// linkDigest is what the logins table keeps of a withdraw or erase link's nonce: the
// purpose is part of it, so no link stands in for another kind (or for a login).
func linkDigest(purpose, n string) string { return token.Digest(purpose + ":" + n) }

// withdrawToken reads a withdraw link's token: the list, the post and the nonce.
func (s *Service) withdrawToken(ctx context.Context, tok string) (*store.List, int64, string, error) {
	f, _, err := s.signer.Verify("withdraw", tok)
	if err != nil || len(f) != 3 {
		return nil, 0, "", ErrBadToken
	}
	l, err := s.List(ctx, f[0])
	if err != nil {
		return nil, 0, "", ErrBadToken
	}
	id, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return nil, 0, "", ErrBadToken
	}
	return l, id, f[2], nil
}

// CheckWithdraw tells what a withdraw link would withdraw, without doing it (the page
// that shows the button: a GET never changes anything).
func (s *Service) CheckWithdraw(ctx context.Context, tok string) (*PostToWithdraw, error) {
	l, id, n, err := s.withdrawToken(ctx, tok)
	if err != nil {
		return nil, err
	}
	if ok, err := s.st.LoginWaiting(ctx, linkDigest("withdraw", n), s.cfg.Now()); err != nil || !ok {
		return nil, errors.Join(err, ErrBadToken)
	}
	m, err := s.st.Message(ctx, l.ID, id)
	if err != nil || m.Withdrawn() {
		return nil, ErrBadToken
	}
	return &PostToWithdraw{List: l.Name, ID: id, Subject: m.Subject}, nil
}

// ConfirmWithdraw uses a withdraw link: the post is withdrawn if it is still the
// address's own the link was sent to. The link works once.
func (s *Service) ConfirmWithdraw(ctx context.Context, tok string) (*PostToWithdraw, error) {
	l, id, n, err := s.withdrawToken(ctx, tok)
	if err != nil {
		return nil, err
	}
	addr, err := s.st.TakeLogin(ctx, linkDigest("withdraw", n), s.cfg.Now())
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrBadToken
	}
	if err != nil {
		return nil, err
	}
	p, err := s.withdraw(ctx, l, id, addr, "mail")
	if errors.Is(err, ErrNotAuthor) {
		return nil, ErrBadToken
	}
	return p, err
}

// Withdraw withdraws post id of list on behalf of address, which must be its
// author's (the web asks this for a logged-in member); ErrNotAuthor otherwise.
func (s *Service) Withdraw(ctx context.Context, list string, id int64, address string) (*PostToWithdraw, error) {
	l, err := s.List(ctx, list)
	if err != nil {
		return nil, err
	}
	return s.withdraw(ctx, l, id, address, "web")
}

// MayWithdraw reports whether address may withdraw m: it is the author's, and the
// post is not withdrawn yet.
func MayWithdraw(m *store.Message, address string) bool {
	return address != "" && !m.Withdrawn() && strings.EqualFold(m.FromAddr, address)
}

func (s *Service) withdraw(ctx context.Context, l *store.List, id int64, address, via string) (*PostToWithdraw, error) {
	ws := s.st
	m, err := s.st.Message(ctx, l.ID, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNotAuthor
	}
	if err != nil {
		return nil, err
	}
	if !MayWithdraw(m, address) {
		return nil, ErrNotAuthor
	}
	raw, err := s.st.Raw(ctx, id)
	if err != nil {
		return nil, err
	}
	placeholder, err := s.placeholder(l, m, raw)
	if err != nil {
		return nil, err
	}
	w, err := ws.WithdrawPost(ctx, l.ID, id, address, placeholder)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNotAuthor
	}
	if err != nil {
		return nil, err
	}
	s.forget(id)
	s.log.Info("post withdrawn", "list", l.Name, "id", id, "via", via, "copies_dropped", w.Deliveries, "held_dropped", w.Held)
	// The rows are clean; the index's b-tree and the write-ahead log may still hold
	// pieces of the text until the purge. The withdrawal stands either way: a purge
	// that cannot finish now (a reader holds the log) stays pending, and the hourly
	// maintenance finishes it.
	if err := ws.PurgeTraces(ctx); err != nil {
		s.log.Warn("purge after withdrawal left pending", "list", l.Name, "id", id, "err", err)
	}
	return &PostToWithdraw{List: l.Name, ID: id, Subject: m.Subject}, nil
}

// forget drops what the caches keep of post id (or of every post, for id 0): copies
// still being sent and digest bodies must not carry what is gone.
func (s *Service) forget(id int64) {
	s.mu.Lock()
	if id == 0 {
		s.prepared = map[int64]*preparedEntry{}
	} else {
		delete(s.prepared, id)
	}
	s.mu.Unlock()
	s.digests.mu.Lock()
	s.digests.bodies, s.digests.order = nil, nil
	s.digests.mu.Unlock()
}

// placeholder is the message that stands in for a withdrawn post: its subject, date
// and threading fields, from the list, and the sentence that it was withdrawn.
func (s *Service) placeholder(l *store.List, m *store.Message, raw []byte) ([]byte, error) {
	var h mail.Header
	h.SetDate(m.Date)
	h.SetAddressList("From", []*mail.Address{{Name: or(l.Title, l.Name), Address: l.Name + "@" + s.cfg.Domain}})
	h.SetSubject(m.Subject)
	h.SetMessageID(m.MessageID)
	if refs, err := compose.ReferencedIDs(raw); err == nil && len(refs) > 0 {
		h.Set("In-Reply-To", "<"+refs[0]+">")
		for i, j := 0, len(refs)-1; i < j; i, j = i+1, j-1 {
			refs[i], refs[j] = refs[j], refs[i]
		}
		h.Set("References", "<"+strings.Join(refs, "> <")+">")
	}
	first, second := s.cfg.Language, "en"
	if first == "en" {
		second = "de"
	}
	text := s.text(first, "withdrawn") + "\r\n" + s.text(second, "withdrawn") + "\r\n"
	var buf bytes.Buffer
	if err := writeSingle(&buf, h, []byte(text)); err != nil {
		return nil, fmt.Errorf("placeholder: %w", err)
	}
	return buf.Bytes(), nil
}

// berlin is the zone dates in mails are shown in.
func berlin() *time.Location {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		return time.UTC
	}
	return loc
}
