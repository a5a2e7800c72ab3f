package lists

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"listd/internal/archive"
	"listd/internal/imagemeta"
	"listd/internal/store"
	"listd/internal/token"
)

// Writing on the web: a logged-in member's reply or new thread, and a visitor's
// question confirmed by a mailed link, become RFC 5322 messages from the member's
// address and enter the same intake as mail (post in receive.go: the hold rules,
// anonymity, image metadata, crisis and first-post replies, archive, fan-out). The web
// session (or the confirmed link) proves the author, for this path only: an SMTP
// transaction never carries that proof (authorship.go).

// Limits of a web post.
const (
	MaxAttachments = 3
	MaxPhotoSize   = 8 << 20 // bytes of one photo
	MaxPDFSize     = 8 << 20
	maxWebText     = 64 << 10 // characters of the text box
	maxSubject     = 200
)

// Attachment is a file given with a web post.
type Attachment struct {
	Name string
	Type string // the type the browser declared
	Data []byte
}

// formErr is a web form's error about one field (subject, text, attachment, email,
// name, postal, mode), named by its catalogue key.
func formErr(field, key string) error { return &InputError{Field: field, Key: key} }

// Channel is how a post reached the list, for the figures of first posts.
type Channel string

// The channels.
const (
	ChannelMail Channel = "mail"
	ChannelWeb  Channel = "web"
)

// allowedFiles are the types a web post may attach: photos and PDFs. The type is
// what the bytes are (sniffed), and must be the one the browser declared.
var allowedFiles = map[string]bool{"image/jpeg": true, "image/png": true, "image/gif": true, "image/webp": true, "application/pdf": true}

// CheckAttachment says whether a is a photo or PDF that is what its type says and
// within the size limit; it returns the type to send it as.
func CheckAttachment(a Attachment) (string, error) {
	sniffed := imagemeta.ContentType(a.Data)
	declared, _, err := mime.ParseMediaType(a.Type)
	if err != nil {
		declared = ""
	}
	if declared == "image/jpg" || declared == "image/pjpeg" {
		declared = "image/jpeg"
	}
	if !allowedFiles[sniffed] || (declared != "" && declared != "application/octet-stream" && declared != sniffed) {
		return "", formErr("attachment", "write_bad_file")
	}
	limit := MaxPhotoSize
	key := "write_photo_too_big"
	if sniffed == "application/pdf" {
		limit, key = MaxPDFSize, "write_pdf_too_big"
	}
	if len(a.Data) > limit {
		return "", formErr("attachment", key)
	}
	return sniffed, nil
}

// WebPost is a post written on the web.
type WebPost struct {
	List     string
	Address  string // proven by the web session
	ThreadID int64  // the thread it answers; 0 starts one
	Subject  string // of a new thread
	Text     string
	Files    []Attachment
	// Key is the form's idempotency token: the same key makes one post.
	Key string
}

// WebResult says what became of a web post.
type WebResult struct {
	List      string
	Address   string // the author's address (a confirmed question's, for its session)
	MessageID string
	Held      bool  // waits for the moderators
	ThreadID  int64 // when archived
	ID        int64 // the archive id, when archived
	Duplicate bool  // the form was sent before: nothing new was posted
}

// webMessageID is the Message-ID of the post a form with key makes: sending the form
// again gives the same id, which the archive and the moderation queue take once.
func (s *Service) webMessageID(key string) string {
	if key == "" {
		return newMessageID(s.cfg.Domain)
	}
	return "web." + s.signer.Short("web-post", key) + s.signer.Short("web-post-2", key) + "@" + s.cfg.Domain
}

// PostFromWeb posts a logged-in member's text. Bad input is an *InputError with a Key; a refusal
// of the intake a *Rejection; ErrNoSuchMember when the address is not on the list.
func (s *Service) PostFromWeb(ctx context.Context, wp WebPost) (*WebResult, error) {
	l, err := s.List(ctx, wp.List)
	if err != nil {
		return nil, err
	}
	addr, _, err := NormalizeAddress(wp.Address)
	if err != nil {
		return nil, ErrNoSuchMember
	}
	m, err := s.st.Member(ctx, l.ID, addr)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNoSuchMember
	}
	if err != nil {
		return nil, err
	}
	return s.postFromWeb(ctx, l, m, wp)
}

func (s *Service) postFromWeb(ctx context.Context, l *store.List, m *store.Member, wp WebPost) (*WebResult, error) {
	fs := s.st
	if wp.Key != "" {
		// A key makes one post on its list: the same key on another list is
		// another form there.
		wp.Key = strconv.FormatInt(l.ID, 10) + "|" + wp.Key
	}
	mid := s.webMessageID(wp.Key)
	if wp.Key != "" {
		if earlier, err := fs.Submitted(ctx, s.submitKey(wp.Key)); err != nil {
			return nil, err
		} else if earlier != "" {
			r, err := s.webOutcome(ctx, l, earlier)
			if err != nil {
				return nil, err
			}
			r.Duplicate = true
			return r, nil
		}
	}
	raw, err := s.buildWebMessage(ctx, l, m, mid, wp)
	if err != nil {
		return nil, err
	}
	// With the post, in its transaction: the author follows the thread (once it is
	// archived, when it is held first), and the form's token is spent.
	committed := func(tx *store.Tx, a *store.Accepted) error {
		var err error
		if a == nil {
			err = tx.FollowLater(l.ID, mid, m.ID)
		} else {
			err = tx.FollowUnlessChosen(m.ID, a.ThreadID)
		}
		if err != nil || wp.Key == "" {
			return err
		}
		_, err = tx.ClaimSubmit(s.submitKey(wp.Key), mid)
		return err
	}
	if err := s.intakeWeb(ctx, l, m.Address, raw, committed); err != nil {
		return nil, err
	}
	return s.webOutcome(ctx, l, mid)
}

func (s *Service) submitKey(key string) string { return s.signer.Short("web-submit", key) }

// webOutcome finds what became of the post mid: archived, or waiting.
func (s *Service) webOutcome(ctx context.Context, l *store.List, mid string) (*WebResult, error) {
	msg, err := s.st.PostByMessageID(ctx, l.ID, mid)
	if errors.Is(err, store.ErrNotFound) {
		return &WebResult{List: l.Name, MessageID: mid, Held: true}, nil
	}
	if err != nil {
		return nil, err
	}
	return &WebResult{List: l.Name, MessageID: mid, ThreadID: msg.ThreadID, ID: msg.ID}, nil
}

// intakeWeb hands a message written on the web to the intake of mail, as from addr,
// whose web session (or confirmed link) proves it.
func (s *Service) intakeWeb(ctx context.Context, l *store.List, addr string, raw []byte, committed func(*store.Tx, *store.Accepted) error) error {
	weight := min(int64(len(raw)), receiveBudget)
	if err := s.receiving.Acquire(ctx, weight); err != nil {
		return fmt.Errorf("wait to handle a web post of %d bytes: %w", len(raw), err)
	}
	defer s.receiving.Release(weight)
	p, err := archive.Parse(raw)
	if err != nil {
		return fmt.Errorf("web post unreadable: %w", err)
	}
	raw, p, unreadable := s.cleanImages(raw, p)
	if err := s.imageRefusal(l.Anonymous, unreadable); err != nil {
		return formErr("attachment", "write_bad_file")
	}
	return s.post(ctx, l, addr, p, raw, &authorship{s: s, web: addr, committed: committed})
}

// checkWebText validates what a form gives for a post.
func checkWebText(l *store.List, subject, text string, newThread bool) (string, string, error) {
	subject = strings.Join(strings.Fields(subject), " ")
	text = strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\r", "\n")
	text = strings.TrimRight(text, " \t\n")
	text = strings.TrimLeft(text, "\n")
	switch {
	case newThread && subject == "":
		return "", "", formErr("subject", "write_subject_empty")
	case utf8.RuneCountInString(subject) > maxSubject:
		return "", "", formErr("subject", "write_subject_long")
	case strings.TrimSpace(text) == "":
		return "", "", formErr("text", "write_empty")
	case !utf8.ValidString(text) || !utf8.ValidString(subject):
		return "", "", formErr("text", "write_empty")
	case len(text) > maxWebText || (l.MaxSize > 0 && int64(len(text)) > l.MaxSize):
		return "", "", formErr("text", "write_too_long")
	}
	return subject, text, nil
}

// buildWebMessage makes the RFC 5322 message of a web post: From the member's
// address (with the pseudonym), Message-ID on the list's domain, In-Reply-To and
// References of the thread, Date in the site's zone, the text as typed (quoted-
// printable UTF-8), and the files as attachments.
func (s *Service) buildWebMessage(ctx context.Context, l *store.List, m *store.Member, mid string, wp WebPost) ([]byte, error) {
	var parent *store.Message
	var refs []string
	subject := wp.Subject
	if wp.ThreadID != 0 {
		posts, err := s.st.Thread(ctx, l.ID, wp.ThreadID)
		if errors.Is(err, store.ErrNotFound) || (err == nil && len(posts) == 0) {
			return nil, formErr("text", "write_no_thread")
		}
		if err != nil {
			return nil, err
		}
		parent = posts[len(posts)-1]
		for i := len(posts) - 1; i >= 0; i-- {
			if posts[i].WithdrawnAt.IsZero() {
				parent = posts[i]
				break
			}
		}
		refs = threadRefs(posts, parent)
		subject = posts[0].Subject
		if key, _ := archive.SubjectKey(subject); key != "" || subject != "" {
			if !strings.HasPrefix(strings.ToLower(subject), "re:") && !strings.HasPrefix(strings.ToLower(subject), "aw:") {
				subject = "Re: " + subject
			}
		}
	}
	subject, text, err := checkWebText(l, subject, wp.Text, wp.ThreadID == 0)
	if err != nil {
		return nil, err
	}
	if len(wp.Files) > MaxAttachments {
		return nil, formErr("attachment", "write_too_many_files")
	}
	types := make([]string, len(wp.Files))
	total := len(text)
	for i, f := range wp.Files {
		if types[i], err = CheckAttachment(f); err != nil {
			return nil, err
		}
		total += len(f.Data) * 4 / 3
	}
	if l.MaxSize > 0 && int64(total) > l.MaxSize {
		field := "text"
		if len(wp.Files) > 0 {
			field = "attachment"
		}
		return nil, formErr(field, "write_too_long")
	}
	var b bytes.Buffer
	h := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	from := mail.Address{Name: m.Name, Address: m.Address}
	h("From", from.String())
	h("To", l.Name+"@"+s.cfg.Domain)
	h("Subject", mime.QEncoding.Encode("utf-8", subject))
	h("Date", s.cfg.Now().In(berlin()).Format(time.RFC1123Z))
	h("Message-ID", "<"+mid+">")
	if parent != nil {
		h("In-Reply-To", "<"+parent.MessageID+">")
		h("References", strings.Join(refs, "\r\n "))
	}
	h("MIME-Version", "1.0")
	textPart := func(w func(k, v string)) []byte {
		w("Content-Type", "text/plain; charset=utf-8")
		w("Content-Transfer-Encoding", "quoted-printable")
		var body bytes.Buffer
		qw := quotedprintable.NewWriter(&body)
		qw.Write([]byte(strings.ReplaceAll(text, "\n", "\r\n") + "\r\n"))
		qw.Close()
		return body.Bytes()
	}
	if len(wp.Files) == 0 {
		body := textPart(h)
		b.WriteString("\r\n")
		b.Write(body)
		return b.Bytes(), nil
	}
	var parts bytes.Buffer
	mw := multipart.NewWriter(&parts)
	h("Content-Type", `multipart/mixed; boundary="`+mw.Boundary()+`"`)
	b.WriteString("\r\n")
	th := textproto.MIMEHeader{}
	body := textPart(func(k, v string) { th.Set(k, v) })
	pw, _ := mw.CreatePart(th)
	pw.Write(body)
	for i, f := range wp.Files {
		name := cleanFileName(types[i], i)
		ph := textproto.MIMEHeader{}
		ph.Set("Content-Type", types[i])
		ph.Set("Content-Transfer-Encoding", "base64")
		ph.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
		pw, _ := mw.CreatePart(ph)
		enc := base64.StdEncoding.EncodeToString(f.Data)
		for len(enc) > 76 {
			pw.Write([]byte(enc[:76] + "\r\n"))
			enc = enc[76:]
		}
		pw.Write([]byte(enc + "\r\n"))
	}
	mw.Close()
	b.Write(parts.Bytes())
	return b.Bytes(), nil
}

// threadRefs are the References of a reply to parent: the thread's root, then the
// parent's ancestors down to the parent, as Message-IDs in angle brackets.
func threadRefs(posts []*store.Message, parent *store.Message) []string {
	byID := map[int64]*store.Message{}
	for _, p := range posts {
		byID[p.ID] = p
	}
	var chain []string
	seen := map[int64]bool{}
	for p := parent; p != nil && !seen[p.ID] && len(chain) < 20; p = byID[p.ParentID] {
		seen[p.ID] = true
		chain = append([]string{"<" + p.MessageID + ">"}, chain...)
	}
	if root := posts[0]; !seen[root.ID] {
		chain = append([]string{"<" + root.MessageID + ">"}, chain...)
	}
	return chain
}

// cleanFileName is the name a file is sent under: a neutral one, since the name a
// phone or a person gave it (IMG_2024…, a child's name) may say who wrote.
func cleanFileName(typ string, i int) string {
	ext := map[string]string{"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif", "image/webp": ".webp", "application/pdf": ".pdf"}[typ]
	base := "anhang"
	if typ != "application/pdf" {
		base = "foto"
	}
	return base + "-" + strconv.Itoa(i+1) + ext
}

// Follow records address's choice for a thread of list: "follow", "mute", or "" (the
// member's mode alone).
func (s *Service) Follow(ctx context.Context, list, address string, threadID int64, state string) error {
	l, m, err := s.memberOf(ctx, list, address)
	if err != nil {
		return err
	}
	if state != "" && state != store.Following && state != store.Muted {
		return inputErr("unknown follow state %q", state)
	}
	if posts, err := s.st.Thread(ctx, l.ID, threadID); err != nil || len(posts) == 0 {
		return ErrNoSuchList
	}
	return s.st.SetFollow(ctx, m.ID, threadID, state)
}

// FollowState is address's choice for a thread of list; "" when none or not a member.
func (s *Service) FollowState(ctx context.Context, list, address string, threadID int64) (string, error) {
	_, m, err := s.memberOf(ctx, list, address)
	if errors.Is(err, ErrNoSuchMember) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return s.st.FollowState(ctx, m.ID, threadID)
}

func (s *Service) memberOf(ctx context.Context, list, address string) (*store.List, *store.Member, error) {
	l, err := s.List(ctx, list)
	if err != nil {
		return nil, nil, err
	}
	m, err := s.st.Member(ctx, l.ID, strings.ToLower(strings.TrimSpace(address)))
	if errors.Is(err, store.ErrNotFound) {
		return l, nil, ErrNoSuchMember
	}
	return l, m, err
}

// UnfollowTTL is how long the one-click unfollow link in a follower's copy works.
const UnfollowTTL = UnsubscribeTTL

// unfollowURL is the one-click link (RFC 8058) in a copy that a member gets only
// because they follow its thread.
func (s *Service) unfollowURL(l *store.List, memberID, threadID int64) string {
	return s.cfg.BaseURL + "/" + l.Name + "/unfollow/" + s.signer.Sign("unfollow",
		[]string{l.Name, strconv.FormatInt(memberID, 10), strconv.FormatInt(threadID, 10)}, UnfollowTTL)
}

func (s *Service) unfollowToken(ctx context.Context, tok string) (*store.List, *store.Member, int64, error) {
	f, _, err := s.signer.Verify("unfollow", tok)
	if err != nil || len(f) != 3 {
		return nil, nil, 0, ErrBadToken
	}
	l, err := s.List(ctx, f[0])
	if err != nil {
		return nil, nil, 0, ErrBadToken
	}
	id, err1 := strconv.ParseInt(f[1], 10, 64)
	thread, err2 := strconv.ParseInt(f[2], 10, 64)
	if err1 != nil || err2 != nil {
		return nil, nil, 0, ErrBadToken
	}
	m, err := s.st.MemberByID(ctx, id)
	if err != nil || m.ListID != l.ID {
		return l, nil, thread, nil
	}
	return l, m, thread, nil
}

// CheckUnfollow returns the list a one-click unfollow token is for, without acting.
func (s *Service) CheckUnfollow(ctx context.Context, tok string) (string, error) {
	l, _, _, err := s.unfollowToken(ctx, tok)
	if err != nil {
		return "", err
	}
	return l.Name, nil
}

// Unfollow stops the thread's mails to the member named by a one-click token; doing
// it twice is no error.
func (s *Service) Unfollow(ctx context.Context, tok string) (string, error) {
	l, m, thread, err := s.unfollowToken(ctx, tok)
	if err != nil {
		return "", err
	}
	if m == nil {
		return l.Name, nil
	}
	state := ""
	if m.Mode == string(ModeEach) {
		state = store.Muted
	}
	if err := s.st.SetFollow(ctx, m.ID, thread, state); err != nil {
		return "", err
	}
	s.log.Info("thread unfollowed by one-click link", "list", l.Name, "thread", thread)
	return l.Name, nil
}

// FirstPosts are the first posts by channel (mail, web), over all lists.
func (s *Service) FirstPosts(ctx context.Context) (map[string]int64, error) {
	return s.st.FirstPosts(ctx)
}

// countFirstPost counts a member's first post by its channel, in the figures and the
// metric; never who wrote it.
func (s *Service) countFirstPost(tx *store.Tx, l *store.List, ch Channel) error {
	if err := tx.CountFirstPost(l.ID, string(ch)); err != nil {
		return err
	}
	s.firstPosts.WithLabelValues(string(ch)).Inc()
	return nil
}

// AskRequest is a visitor's question on a list page.
type AskRequest struct {
	List    string
	Email   string
	Name    string // pseudonym, optional
	Postal  string // optional; 5 digits
	Mode    string // each, digest, thread
	Subject string
	Text    string
	Lang    string
}

// askTTL is how long the link that confirms a question works.
const askTTL = confirmTTL

// Ask stores a visitor's question and mails the link that confirms the address. The
// answer is the same whether or not the address is a member; the mail counts under
// the limits of mail to unconfirmed addresses (ErrRateLimited).
func (s *Service) Ask(ctx context.Context, r AskRequest) error {
	l, err := s.List(ctx, r.List)
	if err != nil {
		return err
	}
	addr, _, err := NormalizeAddress(r.Email)
	if err != nil || strings.ContainsAny(addr, "<>\"") {
		return formErr("email", "ask_bad_email")
	}
	name, err := cleanName(r.Name)
	if err != nil {
		return formErr("name", "ask_bad_name")
	}
	postal := strings.TrimSpace(r.Postal)
	if postal != "" && !germanPostal(postal) {
		return formErr("postal", "ask_bad_postal")
	}
	mode := or(r.Mode, "thread")
	if mode != "each" && mode != "digest" && mode != "thread" {
		return formErr("mode", "ask_bad_mode")
	}
	subject, text, err := checkWebText(l, r.Subject, r.Text, true)
	if err != nil {
		return err
	}
	a := &store.Ask{Nonce: nonce() + nonce(), ListID: l.ID, Address: addr, Name: name, Postal: postal, Mode: mode,
		Language: s.lang(r.Lang), Subject: subject, Body: text, ExpiresAt: s.cfg.Now().Add(askTTL)}
	tok := s.signer.Sign(token.Bound("ask", addr), []string{l.Name, a.Nonce}, askTTL)
	d := s.data(l)
	d.ConfirmURL = s.cfg.BaseURL + "/" + l.Name + "/ask/" + tok
	err = s.st.Update(ctx, func(tx *store.Tx) error {
		if err := s.allowUnconfirmed(ctx, tx, "confirm-ask", addr); err != nil {
			return err
		}
		if err := tx.PutAsk(a); err != nil {
			return err
		}
		return s.queue(tx, outMail{kind: "confirm-ask", lang: a.Language, list: l, to: addr, data: d, auto: "auto-generated"})
	})
	if err != nil {
		return fmt.Errorf("question for %s: %w", l.Name, err)
	}
	s.log.Info("question waits for confirmation", "list", l.Name)
	s.kick()
	return nil
}

func germanPostal(p string) bool {
	if len(p) != 5 {
		return false
	}
	for _, c := range p {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// askFor checks a question's link and returns its list and question.
func (s *Service) askFor(ctx context.Context, tok string) (*store.List, *store.Ask, time.Time, error) {
	f := token.Peek(tok)
	if len(f) != 2 {
		return nil, nil, time.Time{}, ErrBadToken
	}
	l, err := s.List(ctx, f[0])
	if err != nil {
		return nil, nil, time.Time{}, ErrBadToken
	}
	a, err := s.st.AskByNonce(ctx, f[1])
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, time.Time{}, ErrBadToken
	}
	if err != nil {
		return nil, nil, time.Time{}, err
	}
	_, exp, err := s.signer.Verify(token.Bound("ask", a.Address), tok)
	if err != nil || a.ListID != l.ID {
		return nil, nil, time.Time{}, ErrBadToken
	}
	return l, a, exp, nil
}

// CheckAsk returns the list a question's link is for, without acting.
func (s *Service) CheckAsk(ctx context.Context, tok string) (string, error) {
	l, _, _, err := s.askFor(ctx, tok)
	if err != nil {
		return "", err
	}
	return l.Name, nil
}

// ConfirmAsk uses a question's link: the address becomes a member in the mode the
// visitor chose ("thread": no mail but this thread's, which they follow), unless it
// is one already, and the question is posted as their post, with the first-post
// rules. The question is taken only once the post is safe: a failure leaves the link
// usable, and using it twice posts once.
func (s *Service) ConfirmAsk(ctx context.Context, tok string) (*WebResult, error) {
	l, a, exp, err := s.askFor(ctx, tok)
	if err != nil {
		return nil, err
	}
	// A ban keeps the address off the list, as joining does, and not only its post.
	if err := s.banned(ctx, l, a.Address); err != nil {
		return nil, err
	}
	var m *store.Member
	err = s.st.Update(ctx, func(tx *store.Tx) error {
		var err error
		m, err = tx.Member(l.ID, a.Address)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if m == nil {
			mode := a.Mode
			if mode == "thread" {
				mode = string(ModeNoMail)
			}
			m = &store.Member{ListID: l.ID, Address: a.Address, Role: string(RoleMember), Mode: mode, Name: a.Name,
				Postal: a.Postal, Language: a.Language}
			if err := tx.AddMember(m); err != nil {
				return err
			}
			d := s.data(l)
			d.Name, d.Mode = m.Name, s.modeText(m.Language, m.Mode)
			if err := s.queue(tx, outMail{kind: "welcome", lang: m.Language, list: l, to: m.Address, memberID: m.ID, data: d,
				auto: "auto-generated"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("confirm question for %s: %w", l.Name, err)
	}
	res, err := s.postFromWeb(ctx, l, m, WebPost{List: l.Name, Address: a.Address, Subject: a.Subject, Text: a.Body, Key: "ask:" + a.Nonce})
	if err != nil {
		return nil, err
	}
	err = s.st.Update(ctx, func(tx *store.Tx) error {
		if _, err := tx.TakeAsk(a.Nonce); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err := tx.UseToken(token.Digest(tok), exp); err != nil && !errors.Is(err, store.ErrExists) {
			return err
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("confirm question for %s: %w", l.Name, err)
	}
	res.Address = a.Address
	s.log.Info("question confirmed", "list", l.Name, "held", res.Held)
	s.kick()
	return res, nil
}

// exportQuestion is a question waiting for its link, in the export of an address.
type exportQuestion struct {
	List    string    `json:"list"`
	Subject string    `json:"subject"`
	Text    string    `json:"text"`
	Name    string    `json:"name,omitempty"`
	Postal  string    `json:"postal_code,omitempty"`
	Mode    string    `json:"mode"`
	Expires time.Time `json:"expires"`
}

// exportThread is a thread followed or muted, in the export of an address.
type exportThread struct {
	List   string `json:"list"`
	Thread int64  `json:"thread"`
	State  string `json:"state"` // follow, mute
}

func exportWriting(ex *store.Export) ([]exportQuestion, []exportThread) {
	var qs []exportQuestion
	for _, a := range ex.Asks {
		qs = append(qs, exportQuestion{List: ex.Lists[a.ListID], Subject: a.Subject, Text: a.Body, Name: a.Name, Postal: a.Postal,
			Mode: a.Mode, Expires: a.ExpiresAt})
	}
	var ts []exportThread
	for _, f := range ex.Follows {
		ts = append(ts, exportThread{List: ex.Lists[f.ListID], Thread: f.ThreadID, State: f.State})
	}
	return qs, ts
}
