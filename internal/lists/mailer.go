package lists

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io/fs"
	"listd/internal/i18n"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/emersion/go-message/mail"

	"listd/internal/store"
)

// mailData is what the mail templates see.
type mailData struct {
	ListTitle, Description                                      string
	ListAddr, RequestAddr, SubscribeAddr, UnsubscribeAddr       string
	ArchiveURL, PrefsURL, SubscribeURL, ConfirmURL, ReenableURL string
	LoginURL, Address, Name, Mode                               string
	Lines                                                       []string
	// CounselURL is the search for counselling centres on the web (/beratung);
	// DigestWhen says when the list's digest comes, in the mail's language.
	CounselURL, DigestWhen string
	// Moderation. ReasonEN is Reason in English, for the English block of a notice.
	ListName, OwnerAddr, ModURL                      string
	HeldSubject, HeldFrom, HeldText, Reason, Expires string
	ReasonEN                                         string
}

// mailTemplates are the parsed mails, by language and kind.
type mailTemplates map[string]*template.Template

func parseMailTemplates(fsys fs.FS) (mailTemplates, error) {
	out := mailTemplates{}
	for _, lang := range []string{"de", "en"} {
		t, err := template.ParseFS(fsys, "mail/"+lang+"/*.txt")
		if err != nil {
			return nil, fmt.Errorf("mail templates %s: %w", lang, err)
		}
		out[lang] = t
	}
	return out, nil
}

// ReloadTemplates parses the mails from fsys again (mail/de/*.txt, mail/en/*.txt);
// mails built from then on use them. When one does not parse, the mails in use stay.
func (s *Service) ReloadTemplates(fsys fs.FS) error {
	cat, err := i18n.Load(fsys)
	if err != nil {
		return err
	}
	t, err := parseMailTemplates(fsys)
	if err != nil {
		return err
	}
	s.cat.Store(cat)
	s.mails.Store(&t)
	return nil
}

// mailSet returns the mail templates in use.
func (s *Service) mailSet() mailTemplates { return *s.mails.Load() }

// data fills the template fields that every mail of list l may use.
func (s *Service) data(l *store.List) mailData {
	d := mailData{PrefsURL: s.cfg.BaseURL + "/prefs", CounselURL: s.cfg.BaseURL + "/beratung"}
	if l != nil {
		d.ListTitle = l.Title
		if d.ListTitle == "" {
			d.ListTitle = l.Name
		}
		d.Description = l.Description
		d.ListName = l.Name
		d.OwnerAddr = l.Name + "-owner@" + s.cfg.Domain
		d.ModURL = s.cfg.BaseURL + "/mod"
		d.ListAddr = l.Name + "@" + s.cfg.Domain
		d.RequestAddr = l.Name + "-request@" + s.cfg.Domain
		d.SubscribeAddr = l.Name + "-subscribe@" + s.cfg.Domain
		d.UnsubscribeAddr = l.Name + "-unsubscribe@" + s.cfg.Domain
		d.ArchiveURL = s.cfg.BaseURL + "/" + l.Name + "/"
		d.SubscribeURL = s.cfg.BaseURL + "/" + l.Name + "/subscribe"
	}
	return d
}

// outMail is a notice to be built from a template.
type outMail struct {
	kind     string // template name without .txt
	lang     string
	list     *store.List
	to       string
	memberID int64
	data     mailData
	replyTo  string // "" for none
	// inReplyTo links a reply to the mail it answers; auto marks it per RFC 3834.
	inReplyTo string
	auto      string // Auto-Submitted value: auto-replied or auto-generated
	attach    []byte // a message attached as message/rfc822 (the held post)
	fromAddr  string // "" for NAME-request@
	fromName  string // "" for the list's title
	// nullSender sends from the null reverse-path, as RFC 3834 asks of auto-replies
	// that must never cause a reply in turn.
	nullSender bool
	extra      any // template data in place of data, for kinds that need more
}

// buildWith builds m with its own template data.
func (s *Service) buildWith(m outMail, data any) (*store.Mail, error) {
	m.extra = data
	return s.build(m)
}

// build renders a notice as a complete RFC 5322 message.
func (s *Service) build(m outMail) (*store.Mail, error) {
	lang := m.lang
	mails := s.mailSet()
	if _, ok := mails[lang]; !ok {
		lang = s.cfg.Language
	}
	var out bytes.Buffer
	if m.list != nil {
		// The list's texts in the mail's language.
		m.data.Description = listText(lang, m.list.Description, m.list.DescriptionEN)
		m.data.DigestWhen = s.digestWhen(lang, m.list)
	}
	var data any = m.data
	if m.extra != nil {
		data = m.extra
	}
	if err := mails[lang].ExecuteTemplate(&out, m.kind+".txt", data); err != nil {
		return nil, fmt.Errorf("mail %s: %w", m.kind, err)
	}
	first, body, _ := strings.Cut(out.String(), "\n")
	subject := strings.TrimSpace(strings.TrimPrefix(first, "Subject:"))
	body = strings.TrimLeft(body, "\n")
	if m.kind == "welcome" && m.list != nil {
		if w := listText(lang, m.list.WelcomeDE, m.list.WelcomeEN); w != "" {
			body = strings.TrimRight(body, "\n") + "\n\n" + w + "\n"
		}
	}

	from := "postmaster@" + s.cfg.Domain
	fromName := ""
	envFrom := ""
	if m.list != nil {
		from = m.list.Name + "-request@" + s.cfg.Domain
		fromName = m.data.ListTitle
		envFrom = m.list.Name + "-bounces@" + s.cfg.Domain
	}
	if m.fromAddr != "" {
		from = m.fromAddr
	}
	if m.fromName != "" {
		fromName = m.fromName
	}
	if m.nullSender {
		envFrom = ""
	}
	var h mail.Header
	h.SetDate(s.cfg.Now())
	h.SetAddressList("From", []*mail.Address{{Name: fromName, Address: from}})
	h.SetAddressList("To", []*mail.Address{{Address: m.to}})
	h.SetSubject(subject)
	h.SetMessageID(newMessageID(s.cfg.Domain))
	if m.replyTo != "" {
		h.SetAddressList("Reply-To", []*mail.Address{{Address: m.replyTo}})
	}
	if m.inReplyTo != "" {
		h.Set("In-Reply-To", "<"+m.inReplyTo+">")
		h.Set("References", "<"+m.inReplyTo+">")
	}
	h.Set("Auto-Submitted", or(m.auto, "auto-generated"))
	h.Set("Precedence", "bulk")
	if m.list != nil {
		h.Set("X-Loop", m.list.Name+"-request@"+s.cfg.Domain)
	}
	h.Set("Content-Language", lang)
	body += s.noticeFooter(lang)
	text := []byte(strings.ReplaceAll(body, "\n", "\r\n"))
	var buf bytes.Buffer
	var err error
	if m.attach == nil {
		err = writeSingle(&buf, h, text)
	} else {
		err = writeWithMessage(&buf, h, text, m.attach)
	}
	if err != nil {
		return nil, fmt.Errorf("mail %s: %w", m.kind, err)
	}
	return &store.Mail{Kind: m.kind, MailFrom: envFrom, Raw: buf.Bytes()}, nil
}

func textHeader() map[string]string { return map[string]string{"charset": "utf-8", "format": "flowed"} }

func writeSingle(buf *bytes.Buffer, h mail.Header, text []byte) error {
	h.SetContentType("text/plain", textHeader())
	h.Set("Content-Transfer-Encoding", "quoted-printable")
	w, err := mail.CreateSingleInlineWriter(buf, h)
	if err != nil {
		return err
	}
	if _, err := w.Write(text); err != nil {
		return err
	}
	return w.Close()
}

// writeWithMessage writes text followed by a message attached whole (RFC 2046
// message/rfc822, which must not be base64-encoded).
func writeWithMessage(buf *bytes.Buffer, h mail.Header, text, msg []byte) error {
	mw, err := mail.CreateWriter(buf, h)
	if err != nil {
		return err
	}
	var th mail.InlineHeader
	th.SetContentType("text/plain", textHeader())
	th.Set("Content-Transfer-Encoding", "quoted-printable")
	tw, err := mw.CreateSingleInline(th)
	if err != nil {
		return err
	}
	if _, err := tw.Write(text); err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	var ah mail.AttachmentHeader
	ah.SetContentType("message/rfc822", nil)
	ah.Set("Content-Disposition", "attachment; filename=post.eml")
	ah.Set("Content-Transfer-Encoding", "8bit")
	aw, err := mw.CreateAttachment(ah)
	if err != nil {
		return err
	}
	if _, err := aw.Write(bytes.ReplaceAll(bytes.ReplaceAll(msg, []byte("\r\n"), []byte("\n")), []byte("\n"), []byte("\r\n"))); err != nil {
		return err
	}
	if err := aw.Close(); err != nil {
		return err
	}
	return mw.Close()
}

// queue builds m and queues it in tx.
func (s *Service) queue(tx *store.Tx, m outMail) error {
	built, err := s.build(m)
	if err != nil {
		return err
	}
	var listID int64
	if m.list != nil {
		listID = m.list.ID
	}
	return tx.QueueMail(built, []store.MailRcpt{{Address: m.to, ListID: listID, MemberID: m.memberID}})
}

func nonce() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// confirmTTL is how long a confirmation link works.
const confirmTTL = 7 * 24 * time.Hour

// digestWhen says when list l's digest comes, in lang: daily or on its weekday, at
// its time.
func (s *Service) digestWhen(lang string, l *store.List) string {
	at := or(l.DigestTime, "07:00")
	if l.DigestFreq == "weekly" {
		return fmt.Sprintf(s.text(lang, "digest_weekly"), s.text(lang, "weekday_"+strconv.Itoa(l.DigestDay)), at)
	}
	return fmt.Sprintf(s.text(lang, "digest_daily"), at)
}

// heldText is a held post's text as a notice quotes it: at most 20000 bytes, and no
// more than one blank line in a row.
func heldText(text string) string {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	if len(text) > 20000 {
		text = text[:20000] + "\n[…]"
	}
	lines := strings.Split(strings.TrimSpace(text), "\n")
	out := lines[:0]
	blank := false
	for _, l := range lines {
		l = strings.TrimRight(l, " \t")
		if l == "" && blank {
			continue
		}
		blank = l == ""
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

// noticeFooter is the footer of a notice in lang: the site's name, contact and
// legal links after a "-- " line, as a list post's footer has them; "" when the
// site names none of them.
func (s *Service) noticeFooter(lang string) string {
	var f strings.Builder
	for _, sl := range siteOf(s.lastSite()).Lines(s.cat.Load(), i18n.Or(lang, i18n.German)) {
		f.WriteString(sl.Label + sl.Text + "\n")
	}
	if f.Len() == 0 {
		return ""
	}
	return "\n-- \n" + f.String()
}
