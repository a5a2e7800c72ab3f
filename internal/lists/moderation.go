package lists

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"

	"listd/internal/archive"
	"listd/internal/compose"
	"listd/internal/modreply"
	"listd/internal/store"
)

// Moderation: posts that a hold rule catches wait in the store until a moderator
// decides, by replying to the notice (NAME-moderate+ID.MAC@, only from that
// moderator's own address), on the web, on the command line, or over IMAP. The first
// decision wins and every step is logged with who, when and what.

const (
	heldTTL        = 14 * 24 * time.Hour
	summaryAfter   = 24 * time.Hour
	summaryEvery   = 24 * time.Hour
	moderatorRetry = 10
)

// defaultAttachmentTypes are allowed when a list names none.
var defaultAttachmentTypes = []string{"text/*", "image/jpeg", "image/png", "image/gif", "image/webp", "image/heic",
	"application/pdf", "message/rfc822", "application/pgp-signature", "application/pkcs7-signature",
	"application/pgp-keys", "multipart/*"}

// holdReason applies a list's hold rules to a post and returns why it must wait;
// ok is false when it may go out. m is the poster's membership (nil for a non-member).
func (s *Service) holdReason(l *store.List, m *store.Member, trusted bool, p *archive.Parsed, size int) (r HoldReason, ok bool) {
	if l.Emergency {
		return holdFor(HoldEmergency), true
	}
	if word := s.crisisWord(p); word != "" && CrisisPolicy(or(l.Crisis, string(CrisisHold))) == CrisisHold {
		return holdFor(HoldCrisis, word), true
	}
	if l.Moderation == "all" {
		return holdFor(HoldModerated), true
	}
	if l.Moderation == "first-post" && m != nil && !m.Trusted && !trusted && m.Posts < l.FirstPosts {
		return holdFor(HoldFirstPost), true
	}
	if l.MaxSize > 0 && int64(size) > l.MaxSize {
		return holdSize(size, l.MaxSize), true
	}
	allowed := l.AttachmentTypes
	if len(allowed) == 0 {
		allowed = defaultAttachmentTypes
	}
	for _, ct := range p.Attachments {
		if !typeAllowed(ct, allowed) {
			return holdFor(HoldAttachment, ct), true
		}
	}
	text := strings.ToLower(p.Subject + "\n" + p.Text)
	for _, kw := range l.HoldKeywords {
		if kw = strings.ToLower(strings.TrimSpace(kw)); kw != "" && strings.Contains(text, kw) {
			return holdFor(HoldKeyword, kw), true
		}
	}
	return HoldReason{}, false
}

func typeAllowed(ct string, allowed []string) bool {
	for _, a := range allowed {
		if ok, _ := path.Match(strings.ToLower(strings.TrimSpace(a)), ct); ok {
			return true
		}
	}
	return false
}

// deciders are who decide on list l's held posts and get its notices and summaries:
// the list's moderators and owners or, when it has none, the site admins (who see
// every list's queue on /mod), as members in the site's language. When there is
// nobody at all, a post that would be held is refused (hold) or, with crisis words,
// goes out (Receive).
func (s *Service) deciders(ctx context.Context, l *store.List) ([]*store.Member, error) {
	mods, err := s.st.Moderators(ctx, l.ID)
	if err != nil || len(mods) > 0 {
		return mods, err
	}
	admins, err := s.SiteAdmins(ctx)
	if err != nil {
		return nil, fmt.Errorf("deciders of %s: %w", l.Name, err)
	}
	for _, a := range admins {
		mods = append(mods, &store.Member{ListID: l.ID, Address: string(a.Mailbox), Language: s.cfg.Language})
	}
	return mods, nil
}

// hold keeps a post for the moderators and sends the notices.
func (s *Service) hold(ctx context.Context, l *store.List, envFrom string, p *archive.Parsed, raw []byte, reason HoldReason) error {
	mods, err := s.deciders(ctx, l)
	if err != nil {
		return err
	}
	if len(mods) == 0 {
		// Nobody could ever decide: say no now rather than let it expire unseen.
		return s.reject(550, [3]int{5, 7, 1}, "no_moderators", l.Name+"@"+s.cfg.Domain, string(reason.Code))
	}
	h := &store.Held{ListID: l.ID, MessageID: p.MessageID, EnvFrom: envFrom, FromAddr: p.FromAddr, FromName: p.FromName,
		Subject: p.Subject, Reason: bilingual(s.cat.Load(), reason), ReasonCode: string(reason.Code), ReasonDetail: reason.Detail, Raw: raw, ExpiresAt: s.cfg.Now().Add(heldTTL)}
	auto, _ := Automatic(p, envFrom)
	crisis := s.crisisAtHold(ctx, l, p, auto)
	shown, err := s.shownHeld(ctx, l, h)
	if err != nil {
		return fmt.Errorf("hold post for %s: %w", l.Name, err)
	}
	err = s.st.Update(ctx, func(tx *store.Tx) error {
		if err := tx.Hold(h); err != nil {
			return err
		}
		if err := tx.LogModeration(h.ID, l.ID, "system", "held", reason.String()); err != nil {
			return err
		}
		for _, m := range mods {
			if err := s.queue(tx, s.moderatorNotice(l, m, h, p.Text, shown)); err != nil {
				return err
			}
		}
		poster := p.FromAddr
		if auto || poster == "" {
			return nil
		}
		if crisis != nil {
			// The crisis lines, at once; they say that the post waits.
			ok, err := tx.Allow("crisis:"+strconv.FormatInt(crisis.member.ID, 10), crisisWindow, 1)
			if err != nil {
				return err
			}
			if ok {
				m := crisis.member
				return s.counselReply(tx, l, m.Address, m.ID, m.Language, "crisis", crisis.centres, s.cfg.CounselSettings.CrisisLines,
					p.MessageID, true)
			}
		}
		if err := s.allowUnconfirmed(ctx, tx, "held", poster); err != nil {
			return s.quietly(err)
		}
		return s.queue(tx, outMail{kind: "held", lang: s.posterLang(ctx, l, poster), list: l, to: poster, data: s.data(l),
			inReplyTo: p.MessageID, auto: "auto-replied"})
	})
	if errors.Is(err, store.ErrExists) {
		s.log.Info("post already held", "list", l.Name)
		return nil
	}
	if errors.Is(err, store.ErrFull) {
		return s.reject(452, [3]int{4, 3, 1}, "storage_full")
	}
	if err != nil {
		return fmt.Errorf("hold post for %s: %w", l.Name, err)
	}
	s.posts.WithLabelValues("held").Inc()
	if crisis != nil {
		s.countCounsel(ctx, l.Topics, "crisis-reply")
	}
	s.log.Info("post held", "list", l.Name, "held_id", h.ID, "reason", reason.String())
	s.kick()
	return nil
}

func (s *Service) posterLang(ctx context.Context, l *store.List, addr string) string {
	if m, err := s.st.Member(ctx, l.ID, addr); err == nil {
		return m.Language
	}
	return s.cfg.Language
}

// moderatorAddress is the Reply-To of a notice: it names the post and, through the
// MAC, the one moderator it was sent to.
func (s *Service) moderatorAddress(l *store.List, heldID int64, moderator string) string {
	id := strconv.FormatInt(heldID, 10)
	return l.Name + "-moderate+" + id + "." + s.signer.Short("moderate", l.Name, id, moderator) + "@" + s.cfg.Domain
}

// shownHeldPost is what the notices of a held post show moderators of its sender
// and attach of the post.
type shownHeldPost struct {
	author *heldAuthor // on an anonymous list; nil elsewhere
	copy   []byte
}

// shownHeld prepares the notices' view of h on list l (see heldview.go). On an
// anonymous list a post whose archive copy cannot be made is not attached at all.
func (s *Service) shownHeld(ctx context.Context, l *store.List, h *store.Held) (shownHeldPost, error) {
	if !l.Anonymous {
		return shownHeldPost{copy: h.Raw}, nil
	}
	a, err := s.authorOfHeld(ctx, l, h)
	if err != nil {
		return shownHeldPost{}, err
	}
	b, err := s.heldCopy(ctx, l, h, a)
	if err != nil {
		s.log.Warn("held post not attached to the notice", "list", l.Name, "err", err)
		b = nil
	}
	return shownHeldPost{author: &a, copy: b}, nil
}

func (s *Service) moderatorNotice(l *store.List, m *store.Member, h *store.Held, text string, shown shownHeldPost) outMail {
	d := s.data(l)
	d.Reason, d.HeldSubject = s.HoldReasonText(m.Language, h), h.Subject
	d.ReasonEN = s.HoldReasonText("en", h)
	if shown.author != nil {
		d.HeldFrom = shown.author.line(s, m.Language)
	} else {
		d.HeldFrom = strings.TrimSpace(h.FromName + " <" + h.FromAddr + ">")
	}
	d.Expires = h.ExpiresAt.Format("02.01.2006")
	d.HeldText = heldText(text)
	return outMail{kind: "moderate", lang: m.Language, list: l, to: m.Address, memberID: m.ID, data: d,
		replyTo: s.moderatorAddress(l, h.ID, m.Address), attach: shown.copy, fromAddr: l.Name + "-owner@" + s.cfg.Domain}
}

// ErrDecided means the held post was decided already (the first decision wins).
type ErrDecided struct {
	By, State string
	// Poster is true when By is the decider's poster number, not an address: on an
	// anonymous list a moderator learns no other moderator's address.
	Poster bool
}

func (e *ErrDecided) Error() string { return "already handled by " + e.By + " (" + e.State + ")" }

// decided is the answer to actor for a post someone decided before: who and how.
// On an anonymous list another moderator shows as their poster number.
func (s *Service) decided(l *store.List, cur *store.Held, actor string) *ErrDecided {
	e := &ErrDecided{By: cur.DecidedBy, State: cur.State}
	if l.Anonymous && strings.Contains(e.By, "@") && MailboxOf(e.By) != MailboxOf(actor) {
		e.By, e.Poster = string(s.posterNumber(l, e.By)), true
	}
	return e
}

// ErrNoSuchHeld means no post with that id waits.
var ErrNoSuchHeld = errors.New("no such held post")

// Decision actions, the same for every way a moderator decides.
const (
	ModApprove = "approve"
	ModReject  = "reject"
	ModDiscard = "discard"
	ModAlways  = "always"
	ModClaim   = "claim"
)

// reasonAliases name the short words a moderator may write after "ablehnen" instead
// of a sentence (the catalogue's mail.reason_WORD texts), in English too.
var reasonAliases = map[string]string{"name": "namen", "names": "namen", "topic": "thema", "offtopic": "thema",
	"tone": "ton", "ads": "werbung", "spam": "werbung", "duplicate": "doppelt"}

func (s *Service) expandReason(lang, reason string) string {
	key := strings.ToLower(strings.Trim(strings.TrimSpace(reason), ".!"))
	if a, ok := reasonAliases[key]; ok {
		key = a
	}
	if k := "reason_" + key; key != "" && s.cat.Load().Has("mail."+k) {
		return s.text(lang, k)
	}
	return reason
}

// Moderate carries out a decision on a held post by actor (a moderator's address, or
// "cli"). It is the one path for mail replies, the web, the command line and IMAP.
func (s *Service) Moderate(ctx context.Context, heldID int64, action, reason, actor string) error {
	h, err := s.st.HeldByID(ctx, heldID)
	if errors.Is(err, store.ErrNotFound) {
		return ErrNoSuchHeld
	}
	if err != nil {
		return err
	}
	l, err := s.st.ListByID(ctx, h.ListID)
	if err != nil {
		return err
	}
	var p *archive.Parsed
	if action == ModApprove || action == ModAlways {
		if p, err = archive.Parse(h.Raw); err != nil {
			return fmt.Errorf("held post %d: %w", h.ID, err)
		}
		// A stranger's post was held without being composed (receive.go, post).
		if _, err := compose.Prepare(h.Raw, s.composeList(l, ""), 0); err != nil {
			return fmt.Errorf("held post %d cannot be sent to the members: %w", h.ID, err)
		}
	}
	posterLang := s.posterLang(ctx, l, h.FromAddr)
	if action == ModReject {
		reason = s.expandReason(posterLang, reason)
	}
	state := string(DecidedState(action))
	var pub published
	err = s.st.Update(ctx, func(tx *store.Tx) error {
		if action == ModClaim {
			cur, err := tx.Held(h.ID)
			if err != nil {
				return err
			}
			if HeldState(cur.State) != HeldWaiting {
				return s.decided(l, cur, actor)
			}
			if err := tx.Claim(h.ID, actor); err != nil {
				return err
			}
			if err := tx.Audit(auditEntry(Actor(actor), l, AuditModerate, s.moderationDetail(l, h, ModClaim, ""))); err != nil {
				return err
			}
			return tx.LogModeration(h.ID, l.ID, actor, ModClaim, "")
		}
		if state == "" {
			return fmt.Errorf("unknown moderation action %q", action)
		}
		ok, err := tx.Decide(h.ID, state, actor, reason)
		if err != nil {
			return err
		}
		if !ok {
			cur, err := tx.Held(h.ID)
			if err != nil {
				return err
			}
			return s.decided(l, cur, actor)
		}
		if err := tx.LogModeration(h.ID, l.ID, actor, action, reason); err != nil {
			return err
		}
		if err := tx.Audit(auditEntry(Actor(actor), l, AuditModerate, s.moderationDetail(l, h, action, reason))); err != nil {
			return err
		}
		switch action {
		case ModApprove, ModAlways:
			if action == ModAlways && h.FromAddr != "" {
				if err := tx.Trust(l.ID, h.FromAddr); err != nil {
					return err
				}
			}
			return s.publish(tx, l, h.FromAddr, p, h.Raw, &pub)
		case ModReject:
			if auto, _ := Automatic(mustParse(h.Raw), h.EnvFrom); auto || h.FromAddr == "" {
				return nil
			}
			// The poster may be anybody's address: the notice names no subject, and
			// it counts for the mailbox only, not for the moderator's network.
			if err := s.allowUnconfirmed(WithClient(ctx, Client{}), tx, "rejected", h.FromAddr); err != nil {
				return s.quietly(err)
			}
			d := s.data(l)
			if reason != "" {
				d.Lines = []string{reason}
			}
			return s.queue(tx, outMail{kind: "rejected", lang: posterLang, list: l, to: h.FromAddr, data: d,
				inReplyTo: h.MessageID, auto: "auto-replied"})
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.log.Info("moderation", "list", l.Name, "held_id", h.ID, "action", action, "by", actor)
	s.kick()
	if pub.archiveID != 0 {
		s.autoReplies(ctx, l, pub.member, pub.firstPost, p, pub.archiveID, HoldCode(h.ReasonCode) == HoldCrisis)
	}
	return nil
}

func mustParse(raw []byte) *archive.Parsed {
	p, err := archive.Parse(raw)
	if err != nil {
		return &archive.Parsed{}
	}
	return p
}

// published is what publish did, for the replies that follow a post.
type published struct {
	archiveID int64
	member    *store.Member
	firstPost bool
}

// publish archives and queues a post within tx, and counts it for its poster.
func (s *Service) publish(tx *store.Tx, l *store.List, poster string, p *archive.Parsed, raw []byte, out *published) error {
	var member *store.Member
	if poster != "" {
		member, _ = tx.Member(l.ID, poster)
	}
	a, err := tx.AcceptPost(s.storePost(l, p, raw, member))
	if err != nil {
		return err
	}
	if a.Duplicate {
		return nil
	}
	out.archiveID = a.ID
	if poster != "" {
		if m, err := tx.Member(l.ID, poster); err == nil {
			out.member, out.firstPost = m, m.Posts == 0
			m.Posts++
			if err := tx.SaveMember(m); err != nil {
				return err
			}
		}
	}
	s.posts.WithLabelValues("accepted").Inc()
	return nil
}

// moderatorReply handles mail to NAME-moderate+ID.MAC@.
func (s *Service) moderatorReply(ctx context.Context, rc *Recipient, envFrom string, p *archive.Parsed) error {
	l := rc.List
	log := s.log.With("list", l.Name)
	idStr, mac, ok := strings.Cut(rc.Token, ".")
	heldID, err := strconv.ParseInt(idStr, 10, 64)
	if !ok || err != nil {
		log.Info("moderation reply refused", "reason", "malformed address")
		return nil
	}
	refuse := func(why string) error {
		log.Warn("moderation reply refused", "held_id", heldID, "reason", why)
		return s.st.Update(ctx, func(tx *store.Tx) error {
			return tx.LogModeration(heldID, l.ID, or(p.FromAddr, envFrom), "refused", why)
		})
	}
	if auto, why := Automatic(p, envFrom); auto {
		return refuse("automatic mail: " + why)
	}
	sender := p.FromAddr
	// The notice went to one moderator: the reply must come from that address, in the
	// header and in the envelope, and the address must still moderate the list.
	if sender == "" || !strings.EqualFold(sender, envFrom) || !s.signer.CheckShort(mac, "moderate", l.Name, idStr, sender) {
		return refuse("not from the moderator the notice was sent to")
	}
	m, err := s.st.Member(ctx, l.ID, sender)
	if err != nil || !Role(m.Role).Moderates() {
		// A site admin decides on every list's posts, and gets the notices of a list
		// that has no moderators (deciders).
		if admin, aerr := s.IsSiteAdmin(ctx, sender); aerr != nil || !admin {
			return refuse("sender no longer moderates the list")
		}
		m = &store.Member{ListID: l.ID, Address: sender, Language: s.cfg.Language}
	}
	h, err := s.st.HeldByID(ctx, heldID)
	if err != nil || h.ListID != l.ID {
		return refuse("no such held post")
	}
	r := modreply.Parse(p.Text)
	lang := m.Language
	answer := func(lines ...string) error {
		d := s.data(l)
		d.HeldSubject, d.Lines = h.Subject, lines
		err := s.st.Update(ctx, func(tx *store.Tx) error {
			ok, err := tx.Allow("modreply:"+sender, hour, moderatorRetry)
			if err != nil || !ok {
				return err
			}
			return s.queue(tx, outMail{kind: "mod-result", lang: lang, list: l, to: sender, memberID: m.ID, data: d,
				inReplyTo: p.MessageID, auto: "auto-replied", fromAddr: l.Name + "-owner@" + s.cfg.Domain})
		})
		s.kick()
		return err
	}
	if HeldState(h.State) == HeldWaiting && s.cfg.Now().After(h.ExpiresAt) {
		return answer(s.text(lang, "mod_expired"))
	}
	var action string
	switch r.Action {
	case modreply.Approve:
		action = ModApprove
	case modreply.Always:
		action = ModAlways
	case modreply.Reject:
		action = ModReject
	case modreply.Discard:
		action = ModDiscard
	case modreply.Claim:
		action = ModClaim
	default:
		return answer(s.text(lang, "mod_unknown")+" „"+r.Line+"“", s.text(lang, "mod_help"))
	}
	err = s.Moderate(ctx, heldID, action, r.Reason, sender)
	var dec *ErrDecided
	if errors.As(err, &dec) {
		by := dec.By
		if dec.Poster {
			by = s.text(lang, "mod_poster") + " " + by
		}
		return answer(s.text(lang, "mod_already") + " " + by + " (" + s.text(lang, "state_"+dec.State) + ")")
	}
	if err != nil {
		return err
	}
	return answer(s.text(lang, "mod_done_"+action))
}

// maintainModeration expires posts nobody decided on and sends the daily summaries.
func (s *Service) maintainModeration(ctx context.Context) error {
	now := s.cfg.Now()
	waiting, err := s.st.HeldPosts(ctx, 0, string(HeldWaiting))
	if err != nil {
		return err
	}
	byList := map[int64][]*store.Held{}
	for _, h := range waiting {
		if now.After(h.ExpiresAt) {
			if err := s.expireHeld(ctx, h); err != nil {
				return err
			}
			continue
		}
		if now.Sub(h.CreatedAt) > summaryAfter && now.Sub(h.Summarized) > summaryEvery {
			byList[h.ListID] = append(byList[h.ListID], h)
		}
	}
	for listID, hs := range byList {
		l, err := s.st.ListByID(ctx, listID)
		if err != nil {
			return err
		}
		mods, err := s.deciders(ctx, l)
		if err != nil {
			return err
		}
		err = s.st.Update(ctx, func(tx *store.Tx) error {
			for _, h := range hs {
				if err := tx.MarkSummarized(h.ID, now); err != nil {
					return err
				}
			}
			for _, m := range mods {
				d := s.data(l)
				for _, h := range hs {
					line := fmt.Sprintf("#%d %s (%s)", h.ID, h.Subject, s.HoldReasonText(m.Language, h))
					if h.ClaimedBy != "" {
						line += " – " + h.ClaimedBy
					}
					d.Lines = append(d.Lines, line)
				}
				if err := s.queue(tx, outMail{kind: "mod-summary", lang: m.Language, list: l, to: m.Address, memberID: m.ID,
					data: d, fromAddr: l.Name + "-owner@" + s.cfg.Domain}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("moderation summary: %w", err)
		}
		s.kick()
	}
	return nil
}

func (s *Service) expireHeld(ctx context.Context, h *store.Held) error {
	l, err := s.st.ListByID(ctx, h.ListID)
	if err != nil {
		return err
	}
	lang := s.posterLang(ctx, l, h.FromAddr)
	err = s.st.Update(ctx, func(tx *store.Tx) error {
		ok, err := tx.Decide(h.ID, string(HeldExpired), "system", "")
		if err != nil || !ok {
			return err
		}
		if err := tx.LogModeration(h.ID, l.ID, "system", "expire", ""); err != nil {
			return err
		}
		if auto, _ := Automatic(mustParse(h.Raw), h.EnvFrom); auto || h.FromAddr == "" {
			return nil
		}
		if err := s.allowUnconfirmed(ctx, tx, "expired", h.FromAddr); err != nil {
			return s.quietly(err)
		}
		return s.queue(tx, outMail{kind: "expired", lang: lang, list: l, to: h.FromAddr, data: s.data(l), inReplyTo: h.MessageID, auto: "auto-replied"})
	})
	if err != nil {
		return fmt.Errorf("expire held post %d: %w", h.ID, err)
	}
	s.log.Info("held post expired", "list", l.Name, "held_id", h.ID)
	s.kick()
	return nil
}

// HeldPost is a waiting post as the command line and the web show it.
type HeldPost struct {
	Held *store.Held
	List *store.List
	// On an anonymous list, who sent it as moderators see it (heldview.go): the
	// pseudonym, or that the poster is no member, and the poster number.
	Anonymous bool
	Pseudonym string
	Member    bool
	Poster    PosterNumber

	svc *Service
}

// ReasonIn is why the post waits, in lang (for a page: {{.ReasonIn $.Lang}}).
func (hp HeldPost) ReasonIn(lang string) string {
	if hp.svc == nil {
		return hp.Held.Reason
	}
	return hp.svc.HoldReasonText(lang, hp.Held)
}

// HeldPosts returns the posts waiting for a decision; with moderator set, only those
// of lists that address moderates (every list's for a site admin).
func (s *Service) HeldPosts(ctx context.Context, moderator string) ([]HeldPost, error) {
	hs, err := s.st.HeldPosts(ctx, 0, string(HeldWaiting))
	if err != nil {
		return nil, err
	}
	allowed := map[int64]bool{}
	if admin, err := s.IsSiteAdmin(ctx, moderator); err != nil {
		return nil, err
	} else if admin {
		moderator = "" // every list's
	}
	if moderator != "" {
		ms, err := s.st.Memberships(ctx, moderator)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			if Role(m.Role).Moderates() {
				allowed[m.ListID] = true
			}
		}
	}
	var out []HeldPost
	for _, h := range hs {
		if moderator != "" && !allowed[h.ListID] {
			continue
		}
		l, err := s.st.ListByID(ctx, h.ListID)
		if err != nil {
			return nil, err
		}
		hp := HeldPost{Held: h, List: l, Anonymous: l.Anonymous, svc: s}
		if l.Anonymous {
			a, err := s.authorOfHeld(ctx, l, h)
			if err != nil {
				return nil, err
			}
			hp.Pseudonym, hp.Member, hp.Poster = a.Pseudonym, a.Member, a.Number
		}
		out = append(out, hp)
	}
	return out, nil
}

// moderationDetail says in the audit log what a decision was about: the held post's
// number and its sender's poster number, never the text nor an address.
func (s *Service) moderationDetail(l *store.List, h *store.Held, action, reason string) string {
	d := fmt.Sprintf("%s held #%d from %s", action, h.ID, s.memberRef(l, or(h.FromAddr, h.EnvFrom)))
	if reason != "" {
		d += " (with a reason)"
	}
	return d
}

// MayModerate reports whether address moderates the list of a held post (or is a
// site admin).
func (s *Service) MayModerate(ctx context.Context, address string, heldID int64) (bool, error) {
	h, err := s.st.HeldByID(ctx, heldID)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if admin, err := s.IsSiteAdmin(ctx, address); err != nil || admin {
		return admin, err
	}
	m, err := s.st.Member(ctx, h.ListID, address)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return Role(m.Role).Moderates(), nil
}
