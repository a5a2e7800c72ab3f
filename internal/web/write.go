package web

import (
	"bytes"
	"context"
	"errors"
	"html/template"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"listd/internal/lists"
	"listd/internal/mailview"
	"listd/internal/ratelimit"
	"listd/internal/store"
)

// Writing on the web: a member's reply under a thread and a new thread (write.html,
// writeform.html), a visitor's question (ask.html) confirmed by a mailed link, and
// following or muting a thread. The list domain turns each into a message that
// enters the intake of mail (internal/lists/webpost.go).

// writing is what these pages ask of the list domain (implemented by
// *lists.Service); without it the pages are not offered.
type Writing interface {
	PostFromWeb(ctx context.Context, wp lists.WebPost) (*lists.WebResult, error)
	Ask(ctx context.Context, r lists.AskRequest) error
	CheckAsk(ctx context.Context, tok string) (string, error)
	ConfirmAsk(ctx context.Context, tok string) (*lists.WebResult, error)
	Follow(ctx context.Context, list, address string, threadID int64, state string) error
	FollowState(ctx context.Context, list, address string, threadID int64) (string, error)
	CheckUnfollow(ctx context.Context, tok string) (string, error)
	Unfollow(ctx context.Context, tok string) (string, error)
}

// Posts a member's mailbox and a client network may send from the web per
// writeWindow; forms that fail count too.
const (
	writesPerMailbox = 10
	writesPerNetwork = 30
	writeWindow      = 10 * time.Minute
	// maxWriteBody bounds a write form's body: the text and three files.
	maxWriteBody = lists.MaxAttachments*lists.MaxPhotoSize + 1<<20
	// maxWriteField bounds one text field of a write form.
	maxWriteField = 512 << 10
)

// writeLimits count web posts per mailbox (case and +tag folded) and per network,
// in memory only.
type writeLimits struct {
	mailbox *ratelimit.Limiter
	network *ratelimit.Limiter
}

func newWriteLimits() *writeLimits {
	return &writeLimits{mailbox: ratelimit.New(writesPerMailbox, writeWindow, nil),
		network: ratelimit.New(writesPerNetwork, writeWindow, nil)}
}

// allow counts a web post of address from r's network. A client on this machine or
// its private network (a reverse proxy) speaks for everyone: only its mailboxes are
// counted, as for mail to unconfirmed addresses (lists.NetworkOf).
func (l *writeLimits) allow(r *http.Request, address string) bool {
	okNet := ratelimit.Shared(remoteIP(r)) || l.network.Take(ratelimit.Key(r.RemoteAddr))
	okBox := address == "" || l.mailbox.Take(string(lists.MailboxOf(address)))
	return okNet && okBox
}

// writeForm is the state of a reply or new-thread form: what was typed is kept
// through previews and failures.
type writeForm struct {
	List     *store.List
	ThreadID int64  // 0: a new thread
	Thread   string // the subject of the thread answered
	Action   string
	Subject  string
	Text     string
	Idem     string // the idempotency token
	// Member is true for a logged-in member of the list; LoggedIn for any session.
	Member, LoggedIn bool
	Name             string // the name the post will carry
	Preview          template.HTML
	Errors           map[string]string // by field: subject, text, attachment
	Error            string            // for the whole form
	Follow           string            // follow, mute or "" (the thread page)
	FollowsByMode    bool              // the member's mode sends the thread's posts anyway
	Login            string            // the login page, coming back here
}

func (f *writeForm) fail(field, msg string) {
	if f.Errors == nil {
		f.Errors = map[string]string{}
	}
	f.Errors[field] = msg
}

func newIdem() string { return randomHex(16) }

// writer returns the list domain's writing side, or nil.
func (s *Server) writer() Writing {
	return s.cfg.Lists.Writing
}

// writeRoutes serves the write pages below /NAME/; it reports whether rest was one.
func (s *Server) writeRoutes(w http.ResponseWriter, r *http.Request, rest string) bool {
	if s.writer() == nil {
		return false
	}
	parts := strings.Split(rest, "/")
	switch {
	case rest == "new":
		s.newThreadPage(w, r)
	case rest == "ask":
		s.askPage(w, r)
	case len(parts) == 2 && parts[0] == "ask" && parts[1] != "":
		r.SetPathValue("token", parts[1])
		s.askConfirmPage(w, r)
	case len(parts) == 2 && parts[0] == "unfollow" && parts[1] != "":
		r.SetPathValue("token", parts[1])
		s.unfollowPage(w, r)
	case len(parts) == 3 && parts[0] == "t" && parts[2] == "reply" && r.Method == http.MethodPost:
		r.SetPathValue("id", parts[1])
		s.replyPost(w, r)
	case len(parts) == 3 && parts[0] == "t" && parts[2] == "follow" && r.Method == http.MethodPost:
		r.SetPathValue("id", parts[1])
		s.followPost(w, r)
	default:
		return false
	}
	return true
}

// writableList loads the list of the request for writing: it must be one the
// visitor may read (a private list's page answers as if it did not exist).
func (s *Server) writableList(w http.ResponseWriter, r *http.Request) (*store.List, bool) {
	return s.listFor(w, r, false)
}

// formFor fills a form with who is writing: the session's address, their
// membership and the name the post will carry.
func (s *Server) formFor(r *http.Request, l *store.List) (*writeForm, string) {
	f := &writeForm{List: l, Idem: newIdem(), Login: "/login?lang=" + s.lang(r)}
	addr := s.sessionAddress(r)
	if addr == "" {
		return f, ""
	}
	f.LoggedIn = true
	m, err := s.st.Member(r.Context(), l.ID, addr)
	if err == nil {
		f.Member = true
		f.Name = s.author(s.lang(r), m.Name)
		f.FollowsByMode = m.Mode == string(lists.ModeEach)
	}
	return f, addr
}

// newThreadPage serves GET and POST /NAME/new.
func (s *Server) newThreadPage(w http.ResponseWriter, r *http.Request) {
	l, ok := s.writableList(w, r)
	if !ok {
		return
	}
	f, addr := s.formFor(r, l)
	f.Action = "/" + l.Name + "/new?lang=" + s.lang(r)
	if r.Method == http.MethodPost {
		s.submitWrite(w, r, f, addr)
		return
	}
	if r.Method != http.MethodGet {
		s.errorPage(w, r, http.StatusMethodNotAllowed, "bad_request")
		return
	}
	s.renderWrite(w, r, http.StatusOK, f)
}

// replyPost serves POST /NAME/t/ID/reply, the form under a thread.
func (s *Server) replyPost(w http.ResponseWriter, r *http.Request) {
	l, id, ms, ok := s.threadFor(w, r)
	if !ok {
		return
	}
	f, addr := s.formFor(r, l)
	f.ThreadID, f.Thread = id, ms[0].Subject
	f.Action = "/" + l.Name + "/t/" + strconv.FormatInt(id, 10) + "/reply?lang=" + s.lang(r)
	s.submitWrite(w, r, f, addr)
}

func (s *Server) renderWrite(w http.ResponseWriter, r *http.Request, status int, f *writeForm) {
	lang := s.lang(r)
	title := s.tr(lang, "write_new_heading")
	if f.ThreadID != 0 {
		title = s.tr(lang, "write_reply_heading")
	}
	s.renderForm(w, r, status, "write", title, f)
}

// readWriteForm reads a write form's fields and files. Text fields come before the
// files in the form, so the text is kept even when a file is too big or the body is
// cut off at its bound. Without withFiles (the writer may not post here) files are
// neither kept nor read: the body is bounded as a form of text fields alone.
func (s *Server) readWriteForm(w http.ResponseWriter, r *http.Request, f *writeForm, withFiles bool) (url.Values, []lists.Attachment) {
	if withFiles {
		r.Body = http.MaxBytesReader(w, r.Body, maxWriteBody)
	} else {
		r.Body = http.MaxBytesReader(w, r.Body, 2*maxWriteField)
	}
	vals := url.Values{}
	var files []lists.Attachment
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		r.Body = http.MaxBytesReader(w, r.Body, maxWriteField)
		if err := r.ParseForm(); err != nil {
			f.Error = s.tr(s.lang(r), "write_too_long")
		}
		return r.PostForm, nil
	}
	mr, err := r.MultipartReader()
	if err != nil {
		f.Error = s.tr(s.lang(r), "bad_request")
		return vals, nil
	}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			f.fail("attachment", s.tr(s.lang(r), "write_photo_too_big"))
			break
		}
		name := p.FormName()
		if name != "attachment" {
			b, err := io.ReadAll(io.LimitReader(p, maxWriteField+1))
			if err != nil || len(b) > maxWriteField {
				f.fail("text", s.tr(s.lang(r), "write_too_long"))
			}
			vals.Add(name, string(b))
			continue
		}
		if p.FileName() == "" || !withFiles {
			io.Copy(io.Discard, p)
			continue
		}
		b, err := io.ReadAll(io.LimitReader(p, lists.MaxPhotoSize+1))
		if err != nil || len(b) > lists.MaxPhotoSize {
			f.fail("attachment", s.tr(s.lang(r), "write_photo_too_big"))
			io.Copy(io.Discard, p)
			continue
		}
		if len(b) > 0 {
			files = append(files, lists.Attachment{Name: p.FileName(), Type: p.Header.Get("Content-Type"), Data: b})
		}
	}
	r.PostForm = vals
	return vals, files
}

// submitWrite handles a posted reply or new-thread form: every failure shows the
// form again with the text kept and the message next to its field.
func (s *Server) submitWrite(w http.ResponseWriter, r *http.Request, f *writeForm, addr string) {
	lang := s.lang(r)
	vals, files := s.readWriteForm(w, r, f, addr != "" && f.Member)
	f.Subject, f.Text = vals.Get("subject"), vals.Get("text")
	if idem := vals.Get("idem"); len(idem) == 32 {
		f.Idem = idem
	}
	if !s.checkCSRF(r) {
		f.Error = s.tr(lang, "write_csrf")
		s.renderWrite(w, r, http.StatusForbidden, f)
		return
	}
	switch {
	case addr == "":
		f.Error = s.tr(lang, "write_login_needed")
		s.renderWrite(w, r, http.StatusUnauthorized, f)
		return
	case !f.Member:
		f.Error = s.tr(lang, "write_not_member")
		s.renderWrite(w, r, http.StatusForbidden, f)
		return
	case f.Errors != nil || f.Error != "":
		s.renderWrite(w, r, http.StatusBadRequest, f)
		return
	}
	if !s.limit.allow(r) {
		f.Error = s.tr(lang, "write_too_many")
		s.renderWrite(w, r, http.StatusTooManyRequests, f)
		return
	}
	if vals.Get("do") == "preview" {
		f.Preview = mailview.RenderText(f.Text, mailview.Options{Lang: lang, MaskAddresses: true})
		if strings.TrimSpace(f.Text) == "" {
			f.fail("text", s.tr(lang, "write_empty"))
		}
		s.renderWrite(w, r, http.StatusOK, f)
		return
	}
	if !s.writes.allow(r, addr) {
		f.Error = s.tr(lang, "write_too_many")
		s.renderWrite(w, r, http.StatusTooManyRequests, f)
		return
	}
	res, err := s.writer().PostFromWeb(r.Context(), lists.WebPost{List: f.List.Name, Address: addr, ThreadID: f.ThreadID,
		Subject: f.Subject, Text: f.Text, Files: files, Key: addr + "|" + f.Idem})
	if s.writeFailed(w, r, f, err) {
		return
	}
	s.written(w, r, f.List, res)
}

// writeFailed shows the form again for a post that was not taken, saying why; it
// reports whether err was a failure.
func (s *Server) writeFailed(w http.ResponseWriter, r *http.Request, f *writeForm, err error) bool {
	if err == nil {
		return false
	}
	lang := s.lang(r)
	var rej *lists.Rejection
	status := http.StatusBadRequest
	switch fe := formError(err); {
	case fe != nil:
		f.fail(fe.Field, s.tr(lang, fe.Key))
	case errors.Is(err, lists.ErrNoSuchMember):
		f.Error, status = s.tr(lang, "write_not_member"), http.StatusForbidden
	case errors.Is(err, lists.ErrRateLimited):
		f.Error, status = s.tr(lang, "write_too_many"), http.StatusTooManyRequests
	case errors.As(err, &rej):
		f.Error = s.tr(lang, "write_refused")
		if rej.Temporary() {
			status = http.StatusServiceUnavailable
		} else {
			status = http.StatusUnprocessableEntity
		}
	default:
		s.log.Error("web post", "path", r.URL.Path, "err", err)
		f.Error, status = s.tr(lang, "write_failed"), http.StatusInternalServerError
	}
	s.renderWrite(w, r, status, f)
	return true
}

// written answers a post that was taken: to its place in the thread, or a page
// saying it waits for the moderators.
func (s *Server) written(w http.ResponseWriter, r *http.Request, l *store.List, res *lists.WebResult) {
	lang := s.lang(r)
	if res.Held || res.ThreadID == 0 {
		s.renderPage(w, r, http.StatusOK, "notice", s.tr(lang, "write_held"), notice{Heading: s.tr(lang, "write_held"),
			Text: s.tr(lang, "write_held_text"), Link: "/" + l.Name + "/", LinkText: s.tr(lang, "back_to_list")})
		return
	}
	http.Redirect(w, r, "/"+l.Name+"/t/"+strconv.FormatInt(res.ThreadID, 10)+"?lang="+lang+"#m"+strconv.FormatInt(res.ID, 10),
		http.StatusSeeOther)
}

// threadWrite is the reply form and the follow buttons under a thread, for the
// thread page; nil when the list domain offers no writing.
func (s *Server) threadWrite(r *http.Request, l *store.List, threadID int64, subject string) *writeForm {
	if s.writer() == nil {
		return nil
	}
	f, addr := s.formFor(r, l)
	f.ThreadID, f.Thread = threadID, subject
	f.Action = "/" + l.Name + "/t/" + strconv.FormatInt(threadID, 10) + "/reply?lang=" + s.lang(r)
	if f.Member {
		f.Follow, _ = s.writer().FollowState(r.Context(), l.Name, addr, threadID)
	}
	return f
}

// followPost serves the follow and mute buttons: do=follow, mute or reset.
func (s *Server) followPost(w http.ResponseWriter, r *http.Request) {
	if !s.formGuard(w, r) {
		return
	}
	l, id, _, ok := s.threadFor(w, r)
	if !ok {
		return
	}
	addr := s.sessionAddress(r)
	if addr == "" {
		http.Redirect(w, r, "/login?lang="+s.lang(r), http.StatusSeeOther)
		return
	}
	state := map[string]string{"follow": store.Following, "mute": store.Muted, "reset": ""}
	st, known := state[r.PostFormValue("do")]
	if !known {
		s.errorPage(w, r, http.StatusBadRequest, "bad_request")
		return
	}
	err := s.writer().Follow(r.Context(), l.Name, addr, id, st)
	switch {
	case errors.Is(err, lists.ErrNoSuchMember), errors.Is(err, lists.ErrNoSuchList):
		s.errorPage(w, r, http.StatusForbidden, "write_not_member")
		return
	case err != nil:
		s.internalError(w, r, err)
		return
	}
	http.Redirect(w, r, "/"+l.Name+"/t/"+strconv.FormatInt(id, 10)+"?lang="+s.lang(r)+"#follow", http.StatusSeeOther)
}

// unfollowPage serves the one-click link in a follower's copy: a GET shows a button,
// a POST unfollows (RFC 8058 posts carry List-Unsubscribe=One-Click and no cookie;
// the signed token in the URL is the proof).
func (s *Server) unfollowPage(w http.ResponseWriter, r *http.Request) {
	tok := r.PathValue("token")
	lang := s.lang(r)
	wr := s.writer()
	if r.Method == http.MethodPost {
		if err := parsePost(w, r); err != nil {
			s.errorPage(w, r, http.StatusBadRequest, "bad_request")
			return
		}
		if r.PostFormValue("List-Unsubscribe") != "One-Click" && !s.formGuard(w, r) {
			return
		}
		if _, err := wr.Unfollow(r.Context(), tok); isBadToken(err) {
			s.showNotice(w, r, http.StatusBadRequest, "link_invalid", "link_invalid_text")
			return
		} else if err != nil {
			s.internalError(w, r, err)
			return
		}
		s.showNotice(w, r, http.StatusOK, "unfollowed", "unfollowed_text")
		return
	}
	list, err := wr.CheckUnfollow(r.Context(), tok)
	if isBadToken(err) {
		s.showNotice(w, r, http.StatusBadRequest, "link_invalid", "link_invalid_text")
		return
	} else if err != nil {
		s.internalError(w, r, err)
		return
	}
	s.renderForm(w, r, http.StatusOK, "action", s.tr(lang, "unfollow_heading"), action{Heading: s.tr(lang, "unfollow_heading"),
		Text: s.listAddress(list), Action: r.URL.Path, Button: s.tr(lang, "unfollow_button")})
}

// askForm is the state of the question form for visitors.
type askForm struct {
	List                                     *store.List
	Email, Name, Postal, Mode, Subject, Text string
	Errors                                   map[string]string
	Error                                    string
}

func (f *askForm) fail(field, msg string) {
	if f.Errors == nil {
		f.Errors = map[string]string{}
	}
	f.Errors[field] = msg
}

// askPage serves GET and POST /NAME/ask: a visitor's question, sent once the
// address is confirmed by a mailed link. The answer is the same whether or not the
// address is a member.
func (s *Server) askPage(w http.ResponseWriter, r *http.Request) {
	l, ok := s.announcedList(w, r)
	if !ok {
		return
	}
	lang := s.lang(r)
	f := &askForm{List: l, Mode: "thread"}
	title := s.tr(lang, "ask_heading")
	if r.Method != http.MethodPost {
		s.renderForm(w, r, http.StatusOK, "ask", title, f)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxWriteField)
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, r, http.StatusRequestEntityTooLarge, "write_too_long")
		return
	}
	f.Email, f.Name, f.Postal = strings.TrimSpace(r.PostFormValue("email")), r.PostFormValue("name"), r.PostFormValue("postal")
	f.Mode, f.Subject, f.Text = r.PostFormValue("mode"), r.PostFormValue("subject"), r.PostFormValue("text")
	status := http.StatusOK
	switch {
	case !s.checkCSRF(r):
		f.Error, status = s.tr(lang, "write_csrf"), http.StatusForbidden
	case !s.limit.allow(r) || !s.writes.allow(r, f.Email):
		f.Error, status = s.tr(lang, "write_too_many"), http.StatusTooManyRequests
	default:
		err := s.writer().Ask(r.Context(), lists.AskRequest{List: l.Name, Email: f.Email, Name: f.Name, Postal: f.Postal,
			Mode: f.Mode, Subject: f.Subject, Text: f.Text, Lang: lang})
		switch fe := formError(err); {
		case fe != nil:
			f.fail(fe.Field, s.tr(lang, fe.Key))
			status = http.StatusBadRequest
		case errors.Is(err, lists.ErrRateLimited):
			// Strangers and members meet the limit alike: it tells nothing.
			f.Error, status = s.tr(lang, "too_many_mails_text"), http.StatusTooManyRequests
		case err != nil:
			s.internalError(w, r, err)
			return
		default:
			s.showNotice(w, r, http.StatusOK, "check_mail", "check_mail_ask")
			return
		}
	}
	s.renderForm(w, r, status, "ask", title, f)
}

// askConfirmPage serves the link of a question's confirmation mail: a GET shows the
// button, the POST sends the question and logs the visitor in (the link proved the
// address), so that they can answer on the web.
func (s *Server) askConfirmPage(w http.ResponseWriter, r *http.Request) {
	tok := r.PathValue("token")
	lang := s.lang(r)
	wr := s.writer()
	if r.Method == http.MethodPost {
		if !s.formGuard(w, r) {
			return
		}
		res, err := wr.ConfirmAsk(r.Context(), tok)
		var rej *lists.Rejection
		switch {
		case isBadToken(err):
			s.showNotice(w, r, http.StatusBadRequest, "link_invalid", "link_invalid_text")
			return
		case errors.As(err, &rej), formError(err) != nil, errors.Is(err, lists.ErrBanned):
			// The list took the address but not the question (no moderators, or its
			// limits changed since): the link stays usable.
			s.showNotice(w, r, http.StatusUnprocessableEntity, "write_refused", "write_failed")
			return
		case err != nil:
			s.internalError(w, r, err)
			return
		}
		if res.Address != "" {
			id := randomHex(32)
			if err := s.sessions.CreateSession(r.Context(), hashHex(id), res.Address, time.Now().Add(sessionTTL)); err != nil {
				s.internalError(w, r, err)
				return
			}
			s.setCookie(w, sessionCookie, id, sessionTTL)
		}
		n := notice{Heading: s.tr(lang, "ask_sent"), Text: s.tr(lang, "ask_sent_text"), Link: "/" + res.List + "/?lang=" + lang,
			LinkText: s.tr(lang, "back_to_list")}
		if res.Held {
			n.Text = s.tr(lang, "ask_sent_held")
		} else {
			n.Link = "/" + res.List + "/t/" + strconv.FormatInt(res.ThreadID, 10) + "?lang=" + lang
			n.LinkText = s.tr(lang, "ask_to_thread")
		}
		s.renderPage(w, r, http.StatusOK, "notice", n.Heading, n)
		return
	}
	list, err := wr.CheckAsk(r.Context(), tok)
	if isBadToken(err) {
		s.showNotice(w, r, http.StatusBadRequest, "link_invalid", "link_invalid_text")
		return
	} else if err != nil {
		s.internalError(w, r, err)
		return
	}
	s.renderForm(w, r, http.StatusOK, "action", s.tr(lang, "ask_confirm_heading"), action{Heading: s.tr(lang, "ask_confirm_heading"),
		Text: s.tr(lang, "ask_confirm_text") + " " + s.listAddress(list), Action: r.URL.Path, Button: s.tr(lang, "ask_confirm_button")})
}

// fieldAttrs is used by the templates: an input's aria attributes for its error.
func fieldAttrs(errs map[string]string, field string) template.HTMLAttr {
	if errs[field] == "" {
		return ""
	}
	var b bytes.Buffer
	b.WriteString(`aria-invalid="true" aria-describedby="` + field + `-error"`)
	return template.HTMLAttr(b.String())
}
