package lists

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"time"

	"listd/internal/archive"
	"listd/internal/compose"
	"listd/internal/i18n"
	"listd/internal/store"
)

// Rejection is a refusal the sender is told about, with an SMTP reply code, an
// enhanced status code (RFC 3463) and a sentence.
type Rejection struct {
	Code     int
	Enhanced [3]int
	Msg      string
}

func (r *Rejection) Error() string {
	return fmt.Sprintf("%d %d.%d.%d %s", r.Code, r.Enhanced[0], r.Enhanced[1], r.Enhanced[2], r.Msg)
}

// Temporary reports whether the sender should try again later.
func (r *Rejection) Temporary() bool { return r.Code >= 400 && r.Code < 500 }

// reject is a refusal with the catalogue's smtp.KEY sentence, German first and then
// English in one reply: the sender's language is not known, and the reply reaches
// people in a bounce.
func (s *Service) reject(code int, enh [3]int, key string, args ...any) *Rejection {
	cat := s.cat.Load()
	de, en := cat.F(i18n.German, "smtp."+key, args...), cat.F(i18n.English, "smtp."+key, args...)
	return &Rejection{Code: code, Enhanced: enh, Msg: de + " / " + en}
}

// Kind is what an address of a list is for.
type Kind int

// The kinds of list address (CONTRACT.md).
const (
	KindPost        Kind = iota + 1 // NAME@
	KindSubscribe                   // NAME-subscribe@, NAME-join@
	KindUnsubscribe                 // NAME-unsubscribe@, NAME-leave@
	KindRequest                     // NAME-request@
	KindOwner                       // NAME-owner@
	KindConfirm                     // NAME-confirm+NONCE.MAC@
	KindBounce                      // NAME-bounces+local=domain.MAC@ (VERP) and NAME-bounces@
	KindModerate                    // NAME-moderate+ID.MAC@: a moderator's reply to a notice
	KindCounsel                     // beratung@: a request for counselling centres
	KindReply                       // NAME-reply+TOKEN@: a private reply, passed on (privreply.go)
)

func (k Kind) String() string {
	return [...]string{"", "post", "subscribe", "unsubscribe", "request", "owner", "confirm", "bounce", "moderate", "counsel", "reply"}[k]
}

var suffixKinds = map[string]Kind{
	"subscribe": KindSubscribe, "join": KindSubscribe, "unsubscribe": KindUnsubscribe, "leave": KindUnsubscribe,
	"request": KindRequest, "owner": KindOwner, "confirm": KindConfirm, "bounces": KindBounce, "moderate": KindModerate,
	"reply": KindReply,
}

// Recipient is a parsed address of ours.
type Recipient struct {
	List  *store.List
	Kind  Kind
	Token string // what follows "+" in confirm and bounce addresses
}

// resolve maps an envelope recipient to one of our list addresses.
func (s *Service) resolve(ctx context.Context, rcpt string) (*Recipient, error) {
	addr := strings.TrimSpace(rcpt)
	at := strings.LastIndexByte(addr, '@')
	if at < 0 || !strings.EqualFold(addr[at+1:], s.cfg.Domain) {
		return nil, s.reject(550, [3]int{5, 1, 1}, "not_here", rcpt)
	}
	local, tok, hasTok := strings.Cut(addr[:at], "+")
	local = strings.ToLower(local)
	if local == "beratung" && !hasTok {
		return &Recipient{Kind: KindCounsel}, nil
	}
	name, suffix, _ := strings.Cut(local, "-")
	kind := KindPost
	if suffix != "" {
		var ok bool
		if kind, ok = suffixKinds[suffix]; !ok {
			return nil, s.reject(550, [3]int{5, 1, 1}, "no_address", local+"@"+s.cfg.Domain)
		}
	}
	// Only confirmations, bounces, moderation and private replies carry a +TOKEN; all
	// but bounces need one, and a private reply's is checked here already.
	needsTok := kind == KindConfirm || kind == KindModerate || kind == KindReply
	if (hasTok && !needsTok && kind != KindBounce) || (needsTok && tok == "") ||
		(kind == KindReply && !s.validReplyToken(name, tok)) {
		return nil, s.reject(550, [3]int{5, 1, 1}, "no_address", addr[:at]+"@"+s.cfg.Domain)
	}
	l, err := s.st.ListByName(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, s.reject(550, [3]int{5, 1, 1}, "no_list", name+"@"+s.cfg.Domain)
	}
	if err != nil {
		return nil, err
	}
	return &Recipient{List: l, Kind: kind, Token: tok}, nil
}

// Client is what the SMTP edge knows of the connection a transaction came over.
type Client struct {
	// IP is the connecting address; invalid when unknown (a unix socket, a test).
	IP netip.Addr
	// HELO is the name the client gave in HELO, EHLO or LHLO.
	HELO string
}

// Local reports whether the client is on this machine: loopback, a unix socket or
// unknown. Behind a local MTA every connection is local, so being local proves nothing
// about who wrote a message.
func (c Client) Local() bool { return !c.IP.IsValid() || c.IP.Unmap().IsLoopback() }

// receiveBudget is how many bytes of received messages are handled at once: three
// of the largest by default, any number of ordinary posts.
const receiveBudget = 32 << 20

// Txn is one mail transaction: a client, an envelope sender, its recipients, the message.
type Txn struct {
	s      *Service
	client Client
	from   string
	rcpts  []*Recipient
}

// Begin starts a transaction from client for the envelope sender from ("" for the
// null sender).
func (s *Service) Begin(ctx context.Context, client Client, from string) (*Txn, error) {
	return &Txn{s: s, client: client, from: strings.ToLower(strings.TrimSpace(from))}, nil
}

// AddRcpt accepts a recipient, or returns a *Rejection saying why not.
func (t *Txn) AddRcpt(ctx context.Context, to string) error {
	r, err := t.s.resolve(ctx, to)
	if err != nil {
		return err
	}
	t.rcpts = append(t.rcpts, r)
	return nil
}

// Recipients is how many recipients were accepted.
func (t *Txn) Recipients() int { return len(t.rcpts) }

// Deliver reads the message and acts on it for every accepted recipient, returning
// one result per recipient in the order they were added (nil: accepted and on disk).
func (t *Txn) Deliver(ctx context.Context, r io.Reader) []error {
	ctx = WithClient(ctx, t.client)
	results := make([]error, len(t.rcpts))
	raw, err := io.ReadAll(r)
	if err != nil {
		for i := range results {
			results[i] = fmt.Errorf("read message: %w", err)
		}
		return results
	}
	// Parsing, cleaning images, composing and storing cost a few times a message's
	// size: messages take turns by size, so that many large ones at once cannot
	// exhaust memory (a small post hardly waits).
	weight := min(int64(len(raw)), receiveBudget)
	if err := t.s.receiving.Acquire(ctx, weight); err != nil {
		for i := range results {
			results[i] = fmt.Errorf("wait to handle a message of %d bytes: %w", len(raw), err)
		}
		return results
	}
	defer t.s.receiving.Release(weight)
	auth := t.authorship(raw)
	p, err := archive.Parse(raw)
	if err != nil {
		rej := t.s.reject(554, [3]int{5, 6, 0}, "unreadable", shortErr(err))
		for i := range results {
			results[i] = rej
		}
		return results
	}
	var unreadable []string
	for _, rc := range t.rcpts {
		if rc.Kind == KindPost || rc.Kind == KindReply {
			raw, p, unreadable = t.s.cleanImages(raw, p)
			break
		}
	}
	if p.MessageID == "" {
		p.MessageID = newMessageID(t.s.cfg.Domain)
		raw = append([]byte("Message-ID: <"+p.MessageID+">\r\n"), raw...)
	}
	for i, rc := range t.rcpts {
		switch rc.Kind {
		case KindPost:
			if results[i] = t.s.imageRefusal(rc.List.Anonymous, unreadable); results[i] == nil {
				raw, p, signed := t.s.withoutSignature(rc.List, raw, p)
				if results[i] = t.s.post(ctx, rc.List, t.from, p, raw, auth); results[i] == nil && signed {
					t.s.tellSignature(ctx, rc.List, t.from, p)
				}
			}
		case KindReply:
			results[i] = t.s.privateReply(ctx, rc, t.from, p, raw, unreadable, auth)
		case KindBounce:
			results[i] = t.s.bounce(ctx, rc, raw)
		case KindModerate:
			results[i] = t.s.moderatorReply(ctx, rc, t.from, p)
		case KindCounsel:
			results[i] = t.s.counselRequest(ctx, t.from, p)
		default:
			results[i] = t.s.request(ctx, rc, t.from, p, raw)
		}
	}
	return results
}

// Action is what the policy decided for a post.
type Action int

// The decisions on a post.
const (
	Accept Action = iota + 1
	Reject
	Hold
	Drop // accepted from the sender but not distributed (loops, discarded non-members)
)

// Decision is the policy's verdict, with the reason recorded in the log.
type Decision struct {
	Action    Action
	Reason    string
	Hold      HoldReason // for Hold: why, rendered for each reader
	Rejection *Rejection // for Reject
	Member    *store.Member
	// Result is the listd_posts_total label when it is not the action's own.
	Result string
}

// held is the decision to hold a post for reason.
func held(reason HoldReason, m *store.Member) Decision {
	return Decision{Action: Hold, Reason: reason.String(), Hold: reason, Member: m}
}

// decide is the one place that says what happens to a post: loops and automatic
// mail are dropped, non-members are held, refused or dropped as the list says, posts
// that claim a member or trusted sender without proof are held (authorship.go), and
// members' posts go through the list's hold rules.
func (s *Service) decide(ctx context.Context, l *store.List, envFrom string, p *archive.Parsed, size int, auth *authorship) (Decision, error) {
	listID := l.Name + "." + s.cfg.Domain
	listAddr := l.Name + "@" + s.cfg.Domain
	if strings.Contains(strings.ToLower(p.ListID), "<"+listID+">") {
		return Decision{Action: Drop, Reason: "loop: carries our List-Id"}, nil
	}
	for _, v := range p.XLoop {
		if strings.EqualFold(strings.TrimSpace(v), listAddr) {
			return Decision{Action: Drop, Reason: "loop: carries our X-Loop"}, nil
		}
	}
	// Mail from programs (vacation replies, other lists, bounces) is never posted,
	// whoever sent it: the rule is the one that keeps listd from answering it.
	auto, why := Automatic(p, envFrom)
	if auto && why != whySubject {
		return Decision{Action: Drop, Reason: "automatic mail: " + why, Result: "automatic"}, nil
	}
	// A banned sender (their mailbox or domain) is refused, member or not.
	if err := s.banned(ctx, l, p.FromAddr, envFrom); errors.Is(err, ErrBanned) {
		return Decision{Action: Reject, Reason: "banned",
			Rejection: s.reject(550, [3]int{5, 7, 1}, "banned", listAddr)}, nil
	} else if err != nil {
		return Decision{}, err
	}
	var member *store.Member
	trusted := false
	claimed := "" // the address the post would be attributed to
	for _, addr := range []string{p.FromAddr, envFrom} {
		if addr == "" || member != nil {
			continue
		}
		m, err := s.st.Member(ctx, l.ID, addr)
		if err == nil {
			member, claimed = m, addr
			continue
		}
		if !errors.Is(err, store.ErrNotFound) {
			return Decision{}, err
		}
		if ok, err := s.st.Trusted(ctx, l.ID, addr); err != nil {
			return Decision{}, err
		} else if ok {
			trusted = true
			if claimed == "" {
				claimed = addr
			}
		}
	}
	if member == nil && !trusted {
		switch NonmemberPolicy(l.Nonmember) {
		case NonmemberDiscard:
			return Decision{Action: Drop, Reason: "not a member (the list discards such posts)"}, nil
		case NonmemberReject:
			return Decision{Action: Reject, Reason: "not a member",
				Rejection: s.reject(550, [3]int{5, 7, 1}, "members_only", listAddr, l.Name+"-subscribe@"+s.cfg.Domain)}, nil
		}
		return held(holdFor(HoldNonMember), nil), nil
	}
	if d := s.unproven(ctx, l, auth, claimed, envFrom, p); d != nil {
		return *d, nil
	}
	if auto {
		// Only the subject looks automatic; a moderator tells a vacation reply from a
		// question. The poster is not told (hold never answers automatic mail).
		return held(holdFor(HoldAutoSubject), member), nil
	}
	reason, ok := s.holdReason(l, member, trusted, p, size)
	if ok && reason.Code == HoldCrisis {
		// Nobody could decide on it: a post with crisis words is not refused for
		// that, it goes out (the poster gets the crisis lines at once either way).
		mods, err := s.deciders(ctx, l)
		if err != nil {
			return Decision{}, err
		}
		if len(mods) == 0 {
			publish := *l
			publish.Crisis = string(CrisisPublish)
			reason, ok = s.holdReason(&publish, member, trusted, p, size)
		}
	}
	if ok {
		return held(reason, member), nil
	}
	return Decision{Action: Accept, Reason: "member", Member: member}, nil
}

// storePost is what the archive keeps of a parsed post. On an anonymous list the
// author is the member's pseudonym (or nobody), never the name in the From field,
// which is often a real name.
func (s *Service) storePost(l *store.List, p *archive.Parsed, raw []byte, m *store.Member) *store.Post {
	author := p.FromName
	if l.Anonymous {
		author = ""
		if m != nil {
			author = m.Name
		}
	}
	key, isReply := archive.SubjectKey(p.Subject)
	date := p.Date
	if date.IsZero() || date.After(s.cfg.Now().Add(24*time.Hour)) {
		date = s.cfg.Now()
	}
	return &store.Post{
		ListID: l.ID, MessageID: p.MessageID, Subject: p.Subject, SubjectKey: key,
		FromName: author, FromAddr: p.FromAddr, Date: date, Text: p.Text, Raw: raw,
		ParseErrors: strings.Join(p.Errors, "\n"), ParentCandidates: p.ParentCandidates(), SubjectFallback: isReply,
	}
}

func (s *Service) post(ctx context.Context, l *store.List, envFrom string, p *archive.Parsed, raw []byte, auth *authorship) error {
	log := s.log.With("list", l.Name, "message_id", p.MessageID)
	d, err := s.decide(ctx, l, envFrom, p, len(raw), auth)
	if err != nil {
		return fmt.Errorf("decide on post to %s: %w", l.Name, err)
	}
	switch d.Action {
	case Reject:
		s.posts.WithLabelValues("rejected").Inc()
		log.Info("post refused", "reason", d.Reason)
		return d.Rejection
	case Drop:
		s.posts.WithLabelValues(or(d.Result, "dropped")).Inc()
		log.Warn("post dropped", "reason", d.Reason)
		return nil
	}
	// A post that will reach the members, now or once a moderator approves it, and
	// cannot be turned into their copies is refused now, while the sender still hears
	// about it. A stranger's post is decided on first and composed only when approved:
	// composing costs a few times the message's size.
	if d.Action == Accept || d.Member != nil {
		if _, err := compose.Prepare(raw, s.composeList(l, ""), 0); err != nil {
			s.posts.WithLabelValues("unreadable").Inc()
			log.Info("post refused", "reason", "cannot be composed", "err", err)
			return s.reject(554, [3]int{5, 6, 0}, "unreadable", shortErr(err))
		}
	}
	firstPost := d.Member != nil && d.Member.Posts == 0
	channel := ChannelMail
	if auth != nil && auth.web != "" {
		channel = ChannelWeb
	}
	if d.Action == Hold {
		if err := s.hold(ctx, l, envFrom, p, raw, d.Hold); err != nil || (!firstPost && !auth.hasCommitted()) {
			return err
		}
		return s.st.Update(ctx, func(tx *store.Tx) error {
			if firstPost {
				if err := s.countFirstPost(tx, l, channel); err != nil {
					return err
				}
			}
			return auth.onCommit(tx, nil)
		})
	}
	var a *store.Accepted
	err = s.st.Update(ctx, func(tx *store.Tx) error {
		var err error
		if a, err = tx.AcceptPost(s.storePost(l, p, raw, d.Member)); err != nil || a.Duplicate {
			return err
		}
		if err := auth.onCommit(tx, a); err != nil || d.Member == nil {
			return err
		}
		if firstPost {
			if err := s.countFirstPost(tx, l, channel); err != nil {
				return err
			}
		}
		d.Member.Posts++
		return tx.SaveMember(d.Member)
	})
	if errors.Is(err, store.ErrFull) {
		return s.reject(452, [3]int{4, 3, 1}, "storage_full")
	}
	if err != nil {
		return fmt.Errorf("accept post to %s: %w", l.Name, err)
	}
	if a.Duplicate {
		s.posts.WithLabelValues("duplicate").Inc()
		log.Info("post already archived; not sent again", "id", a.ID)
		return nil
	}
	s.posts.WithLabelValues("accepted").Inc()
	log.Info("post accepted", "id", a.ID, "thread", a.ThreadID, "copies", a.Queued)
	if a.Queued > 0 {
		s.kick()
	}
	// Pointers to help come after the post is safe; they never hold it up.
	s.autoReplies(ctx, l, d.Member, firstPost, p, a.ID, false)
	return nil
}

func newMessageID(domain string) string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b) + "@" + domain
}

// shortErr keeps a parser's message to one short line for the sender.
func shortErr(err error) string {
	msg := err.Error()
	if i := strings.IndexAny(msg, "\r\n"); i >= 0 {
		msg = msg[:i]
	}
	if len(msg) > 120 {
		msg = msg[:120]
	}
	return string(bytes.ToValidUTF8([]byte(msg), []byte("?")))
}
