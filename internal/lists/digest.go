package lists

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-message/mail"

	"listd/internal/digest"
	"listd/internal/store"
)

// Digests: an issue is made once per list and period, in one transaction with a
// queue row for each digest reader; each copy is rendered when it is sent. The body
// is the same for every reader of an issue in one format (and, with the counselling
// box, one postal code), so it is built once and kept while the issue goes out; only
// the header lines that name the reader differ.

// digestCache keeps the bodies of the issues being sent.
type digestCache struct {
	mu     sync.Mutex
	bodies map[string][]byte
	order  []string
}

const digestCacheSize = 32

func (c *digestCache) get(key string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := c.bodies[key]
	return b, ok
}

func (c *digestCache) put(key string, b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.bodies == nil {
		c.bodies = map[string][]byte{}
	}
	if _, ok := c.bodies[key]; !ok {
		c.order = append(c.order, key)
		if len(c.order) > digestCacheSize {
			delete(c.bodies, c.order[0])
			c.order = c.order[1:]
		}
	}
	c.bodies[key] = b
}

// DigestDue reports whether the list's next digest is due at now: there are new
// posts, and either a scheduled time (daily or weekly, at DigestTime in DigestTZ) has
// passed since the last issue, or DigestMaxPosts posts wait.
func DigestDue(l *store.List, backlog int, now time.Time) bool {
	if backlog == 0 {
		return false
	}
	if l.DigestMaxPosts > 0 && backlog >= l.DigestMaxPosts {
		return true
	}
	last := l.DigestLastAt
	if last.IsZero() {
		last = l.CreatedAt
	}
	return lastScheduled(l, now).After(last)
}

// lastScheduled is the latest scheduled digest time at or before now. Dates are
// built in the list's zone, so 07:00 stays 07:00 across a change of daylight saving.
func lastScheduled(l *store.List, now time.Time) time.Time {
	loc, err := time.LoadLocation(l.DigestTZ)
	if err != nil {
		loc = time.UTC
	}
	hh, mm := 7, 0
	if h, m, ok := strings.Cut(l.DigestTime, ":"); ok {
		if v, err := strconv.Atoi(h); err == nil && v >= 0 && v < 24 {
			hh = v
		}
		if v, err := strconv.Atoi(m); err == nil && v >= 0 && v < 60 {
			mm = v
		}
	}
	local := now.In(loc)
	for back := 0; back <= 7; back++ {
		d := local.AddDate(0, 0, -back)
		t := time.Date(d.Year(), d.Month(), d.Day(), hh, mm, 0, 0, loc)
		if t.After(now) {
			continue
		}
		if l.DigestFreq == "weekly" && int(t.Weekday()) != l.DigestDay {
			continue
		}
		return t
	}
	return time.Time{}
}

// SendDigest makes the list's next issue now, whatever the schedule; it returns nil
// when nothing new was posted.
func (s *Service) SendDigest(ctx context.Context, list string) (*store.DigestIssue, int, error) {
	l, err := s.List(ctx, list)
	if err != nil {
		return nil, 0, err
	}
	return s.makeDigest(ctx, l)
}

func (s *Service) makeDigest(ctx context.Context, l *store.List) (*store.DigestIssue, int, error) {
	ds := s.st
	now := s.cfg.Now()
	volume := now.Year() - l.CreatedAt.Year() + 1
	is, n, err := ds.MakeDigest(ctx, l.ID, volume, now)
	if err != nil || is == nil {
		return is, n, err
	}
	s.log.Info("digest made", "list", l.Name, "volume", is.Volume, "number", is.Number, "posts", is.Posts, "copies", n)
	if n > 0 {
		s.kick()
	}
	return is, n, nil
}

// SendDueDigests makes every issue that is due; the scheduler calls it each minute.
func (s *Service) SendDueDigests(ctx context.Context) error {
	ds := s.st
	ls, err := s.st.Lists(ctx)
	if err != nil {
		return err
	}
	now := s.cfg.Now()
	for _, l := range ls {
		backlog, err := ds.DigestBacklog(ctx, l.ID)
		if err != nil {
			return err
		}
		if !DigestDue(l, backlog, now) {
			continue
		}
		if _, _, err := s.makeDigest(ctx, l); err != nil {
			return fmt.Errorf("digest of %s: %w", l.Name, err)
		}
	}
	return nil
}

// renderDigest builds one reader's copy of an issue.
func (s *Service) renderDigest(ctx context.Context, d *store.Delivery) (Copy, error) {
	ds := s.st
	is, err := ds.DigestIssueByID(ctx, d.DigestID)
	if err != nil {
		return Copy{}, fmt.Errorf("render digest %d: %w: %w", d.ID, ErrGone, err)
	}
	l, err := s.st.ListByID(ctx, is.ListID)
	if err != nil {
		return Copy{}, fmt.Errorf("render digest %d: %w", d.ID, err)
	}
	format, postal, lang := "newsletter", "", s.cfg.Language
	if m, err := s.st.MemberByID(ctx, d.MemberID); err == nil {
		format, postal, lang = or(m.DigestFormat, "newsletter"), m.Postal, m.Language
	}
	if format != "newsletter" {
		postal = "" // the classic formats carry no counselling box
	}
	key := fmt.Sprintf("%d/%s/%s/%s", is.ID, format, lang, postal)
	body, ok := s.digests.get(key)
	if !ok {
		body, err = s.digestBody(ctx, ds, l, is, format, lang, postal)
		if err != nil {
			return Copy{}, fmt.Errorf("render digest %d: %w", d.ID, err)
		}
		s.digests.put(key, body)
	}
	unsub := s.cfg.BaseURL + "/u/" + s.signer.Sign("unsubscribe", []string{l.Name, strconv.FormatInt(d.MemberID, 10)}, UnsubscribeTTL)
	var head bytes.Buffer
	head.WriteString("To: <" + d.Rcpt + ">\r\n")
	head.WriteString("List-Unsubscribe: <" + unsub + ">, <mailto:" + l.Name + "-unsubscribe@" + s.cfg.Domain + ">\r\n")
	head.WriteString("List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n")
	return Copy{From: s.VERP(l.Name, d.Rcpt), Message: digestCopy{head: head.Bytes(), body: body}}, nil
}

type digestCopy struct{ head, body []byte }

func (c digestCopy) WriteTo(w io.Writer) (int64, error) {
	n1, err := w.Write(c.head)
	if err != nil {
		return int64(n1), err
	}
	n2, err := w.Write(c.body)
	return int64(n1 + n2), err
}

// digestBody composes an issue for one format, language and postal code.
func (s *Service) digestBody(ctx context.Context, ds *store.DB, l *store.List, is *store.DigestIssue, format, lang, postal string) ([]byte, error) {
	issue, err := s.digestIssue(ctx, ds, l, is, format == "mime", lang, postal)
	if err != nil {
		return nil, err
	}
	if len(issue.Threads) == 0 {
		// Every post of the issue was withdrawn after it was made: nothing to send.
		return nil, fmt.Errorf("issue %d: every post was withdrawn: %w", is.ID, ErrGone)
	}
	base := s.cfg.BaseURL + "/" + l.Name
	title := or(l.Title, l.Name)
	var h mail.Header
	h.SetDate(is.CreatedAt)
	h.SetAddressList("From", []*mail.Address{{Name: title, Address: l.Name + "-request@" + s.cfg.Domain}})
	h.SetMessageID(fmt.Sprintf("digest.%d.%s.%s@%s", is.ID, format, lang, s.cfg.Domain))
	listID := "<" + l.Name + "." + s.cfg.Domain + ">"
	if l.Title != "" {
		listID = mimeWord(l.Title) + " " + listID
	}
	h.Set("List-Id", listID)
	h.Set("List-Post", "<mailto:"+l.Name+"@"+s.cfg.Domain+">")
	h.Set("List-Archive", "<"+base+"/>")
	h.Set("Precedence", "list")
	h.Set("X-Loop", l.Name+"@"+s.cfg.Domain)
	switch format {
	case "mime":
		return digest.MIMEDigest(issue, h)
	case "plain":
		return digest.RFC1153(issue, h)
	}
	return digest.Message(issue, h)
}

// digestIssue gathers what an issue shows: its posts by thread, the links, and the
// counselling box for a postal code.
func (s *Service) digestIssue(ctx context.Context, ds *store.DB, l *store.List, is *store.DigestIssue, withRaw bool, lang, postal string) (digest.Issue, error) {
	ms, err := ds.MessagesBetween(ctx, l.ID, is.FromID, is.ToID)
	if err != nil {
		return digest.Issue{}, err
	}
	base := s.cfg.BaseURL + "/" + l.Name
	threads := map[int64]*digest.Thread{}
	var order []int64
	for _, m := range ms {
		if m.Withdrawn() {
			continue // its author took it back before the issue went out
		}
		t := threads[m.ThreadID]
		if t == nil {
			t = &digest.Thread{ID: m.ThreadID, Subject: m.Subject, New: m.ThreadID > is.FromID}
			threads[m.ThreadID] = t
			order = append(order, m.ThreadID)
		}
		// An anonymous list shows its own Message-IDs, also for replies by mail.
		mid := m.MessageID
		if l.Anonymous {
			mid = m.PublicMessageID(s.cfg.Domain)
		}
		p := digest.Post{ID: m.ID, ThreadID: m.ThreadID, MessageID: mid, Subject: m.Subject, Author: m.FromName,
			Date: m.Date, Text: m.Text, URL: base + "/m/" + strconv.FormatInt(m.ID, 10),
			ThreadURL:   base + "/t/" + strconv.FormatInt(m.ThreadID, 10),
			ReplyMailto: replyMailto(l.Name+"@"+s.cfg.Domain, m.Subject, mid),
			ReplyAddr:   l.Name + "@" + s.cfg.Domain, ReplySubject: replySubject(m.Subject),
			PrivateAddr: s.PrivateReplyAddress(l, m.ID)}
		if withRaw {
			// On an anonymous list the digest carries the archive copy: the sender's
			// From, fields and Message-IDs stay out of it as out of every copy.
			if l.Anonymous {
				p.Raw, err = s.ArchiveCopy(ctx, l, m)
			} else {
				p.Raw, err = s.st.Raw(ctx, m.ID)
			}
			if err != nil {
				return digest.Issue{}, err
			}
		}
		t.Posts = append(t.Posts, p)
	}
	issue := digest.Issue{ListName: l.Name, ListTitle: or(l.Title, l.Name), ListAddr: l.Name + "@" + s.cfg.Domain, Language: lang,
		Volume: is.Volume, Number: is.Number, From: is.PeriodFrom, Until: is.CreatedAt,
		PrefsURL: s.cfg.BaseURL + "/prefs", UnsubscribeURL: "mailto:" + l.Name + "-unsubscribe@" + s.cfg.Domain, ArchiveURL: base + "/",
		CounsellingURL: s.cfg.BaseURL + "/beratung", Site: s.footerSite(ctx)}
	for _, id := range order {
		issue.Threads = append(issue.Threads, *threads[id])
	}
	if postal != "" && s.cfg.Counsel != nil {
		if res, err := s.FindCenters(ctx, postal, l.Topics, "digest"); err == nil {
			for _, h := range hitsFor(res.Nearby) {
				line := h.Name
				if h.Distance != "" {
					line += " (" + h.Distance + ")"
				}
				if h.Phone != "" {
					line += ", " + h.Phone
				}
				issue.Counselling = append(issue.Counselling, line)
			}
		}
	}
	return issue, nil
}

// PreviewDigest shows an owner or moderator the list's next issue as it stands,
// without making it; ok is false when nothing new was posted.
func (s *Service) PreviewDigest(ctx context.Context, address, list, lang string) (html string, ok bool, err error) {
	l, err := s.List(ctx, list)
	if err != nil {
		return "", false, err
	}
	m, err := s.st.Member(ctx, l.ID, address)
	if err != nil || !Role(m.Role).Moderates() {
		return "", false, ErrNoSuchMember
	}
	ds := s.st
	msgs, err := ds.MessagesBetween(ctx, l.ID, l.DigestLastID, 1<<62)
	if err != nil || len(msgs) == 0 {
		return "", false, err
	}
	now := s.cfg.Now()
	from := l.DigestLastAt
	if from.IsZero() {
		from = msgs[0].ReceivedAt
	}
	volume := now.Year() - l.CreatedAt.Year() + 1
	number, err := ds.NextDigestNumber(ctx, l.ID, volume)
	if err != nil {
		return "", false, err
	}
	is := &store.DigestIssue{ListID: l.ID, Volume: volume, Number: number, FromID: l.DigestLastID,
		ToID: msgs[len(msgs)-1].ID, PeriodFrom: from, CreatedAt: now}
	issue, err := s.digestIssue(ctx, ds, l, is, false, lang, "")
	if err != nil {
		return "", false, err
	}
	_, _, html, err = digest.Newsletter(issue)
	return html, err == nil, err
}

// replyMailto is a mailto: URL that answers a post on the list by email.
func replyMailto(list, subject, messageID string) string {
	return "mailto:" + list + "?subject=" + url.PathEscape(replySubject(subject)) + "&In-Reply-To=" + url.PathEscape("<"+messageID+">")
}

// replySubject is the subject of a reply to a post with subject.
func replySubject(subject string) string {
	if !strings.HasPrefix(strings.ToLower(subject), "re:") {
		return "Re: " + subject
	}
	return subject
}

// mimeWord quotes a display name for a header, encoding it when not ASCII.
func mimeWord(s string) string {
	if enc := mime.QEncoding.Encode("utf-8", s); enc != s {
		return enc
	}
	return `"` + strings.NewReplacer(`"`, `'`, `\`, ``).Replace(s) + `"`
}
