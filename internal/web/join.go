package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"listd/internal/lists"
	"listd/internal/store"
	"listd/internal/token"
)

// notice is the data of a page that just says what happened.
type notice struct {
	Heading, Text, Link, LinkText string
}

// action is the data of a page with one button: a GET shows it, only the POST acts,
// because mail scanners follow links.
type action struct {
	Heading, Text, Action, Button string
	// Do and List are sent along as hidden fields when set.
	Do, List string
}

func (s *Server) showNotice(w http.ResponseWriter, r *http.Request, status int, heading, text string) {
	lang := s.lang(r)
	s.renderPage(w, r, status, "notice", s.tr(lang, heading), notice{Heading: s.tr(lang, heading), Text: s.tr(lang, text),
		Link: "/", LinkText: s.tr(lang, "back_home")})
}

type subscribeForm struct {
	List                        *store.List
	Address, Mode, Name, Postal string
	Errors                      fieldErrors // by field
	Error                       string      // an error about no one field
	// Member says that the logged-in visitor is on this list already.
	Member bool
}

func (f subscribeForm) description() string { return f.List.Description }

// announcedList is the list named in the path, for the pages a visitor may
// open: a list that is not announced has no public form and answers 404 as if it
// did not exist; any other error is a 500. It reports whether the caller goes on.
func (s *Server) announcedList(w http.ResponseWriter, r *http.Request) (*store.List, bool) {
	l, err := s.members.List(r.Context(), r.PathValue("name"))
	if errors.Is(err, lists.ErrNoSuchList) || (err == nil && !lists.Announced(l)) {
		s.errorPage(w, r, http.StatusNotFound, "no_such_list")
		return nil, false
	}
	if err != nil {
		s.internalError(w, r, err)
		return nil, false
	}
	return l, true
}

func (s *Server) subscribePage(w http.ResponseWriter, r *http.Request) {
	l, ok := s.announcedList(w, r)
	if !ok {
		return
	}
	form := subscribeForm{List: l, Mode: string(lists.ModeEach)}
	if addr := s.sessionAddress(r); addr != "" && r.Method == http.MethodGet {
		// A logged-in member joins with the address and the pseudonym they have:
		// one name on all lists unless they choose another.
		ms, err := s.members.Memberships(r.Context(), addr)
		if err != nil {
			s.internalError(w, r, err)
			return
		}
		form.Address = addr
		for _, m := range ms {
			form.Member = form.Member || m.List.ID == l.ID
			if form.Name == "" {
				form.Name = m.Member.Name
			}
		}
	}
	status := http.StatusOK
	if r.Method == http.MethodPost {
		if !s.formGuard(w, r) {
			return
		}
		lang := s.lang(r)
		form.Address, form.Mode = strings.TrimSpace(r.PostFormValue("address")), r.PostFormValue("mode")
		form.Name, form.Postal = r.PostFormValue("name"), r.PostFormValue("postal")
		form.Errors = s.checkMember(lang, memberFields{Address: form.Address, Name: form.Name, Postal: form.Postal, Mode: form.Mode, CheckAddress: true})
		if r.PostFormValue("consent") != "yes" {
			form.Errors["consent"] = s.tr(lang, "consent_needed")
		}
		if len(form.Errors) > 0 {
			status = http.StatusBadRequest
		} else {
			err := s.members.RequestJoin(r.Context(), lists.JoinRequest{List: l.Name, Address: form.Address, Mode: form.Mode,
				Name: form.Name, Postal: form.Postal, Language: lang, ConsentText: s.tr(lang, "consent")})
			field, text, isInput := s.inputError(lang, err)
			switch {
			case isInput && field != "":
				form.Errors[field], status = text, http.StatusBadRequest
			case isInput:
				form.Error, status = text, http.StatusBadRequest
			case errors.Is(err, lists.ErrRateLimited):
				// Strangers and members meet the limit alike: it tells nothing.
				s.showNotice(w, r, http.StatusTooManyRequests, "too_many_mails", "too_many_mails_text")
				return
			case err != nil:
				s.internalError(w, r, err)
				return
			default:
				// The same answer whether or not the address is a member already.
				s.showNotice(w, r, http.StatusOK, "check_mail", "check_mail_join")
				return
			}
		}
	}
	title := s.tr(s.lang(r), "subscribe_heading") + " " + l.Name
	s.renderForm(w, r, status, "subscribe", title, form)
}

// linkPage serves a link from a mail: a GET checks the token and shows one button
// (heading and button are text keys; text is shown as it is), because mail scanners
// follow links; the POST acts and shows the notice whose keys act returns. Every POST
// carries the form's CSRF token, except RFC 8058 one-click posts to a
// List-Unsubscribe URL.
func (s *Server) linkPage(w http.ResponseWriter, r *http.Request,
	check func(ctx context.Context, tok string) (heading, text string, err error),
	act func(ctx context.Context, tok string) (doneHeading, doneText string, err error), button string) {
	tok := r.PathValue("token")
	lang := s.lang(r)
	fail := func(err error) {
		if isBadToken(err) {
			s.linkInvalid(w, r)
		} else {
			s.internalError(w, r, err)
		}
	}
	if r.Method == http.MethodPost {
		if err := parsePost(w, r); err != nil {
			s.errorPage(w, r, http.StatusBadRequest, "bad_request")
			return
		}
		// RFC 8058: mail providers post List-Unsubscribe=One-Click without cookies,
		// as multipart/form-data or urlencoded; the signed token in the URL is the proof.
		oneClick := strings.HasPrefix(r.URL.Path, "/u/") && r.PostFormValue("List-Unsubscribe") == "One-Click"
		if !oneClick && !s.formGuard(w, r) {
			return
		}
		heading, text, err := act(r.Context(), tok)
		if err != nil {
			fail(err)
			return
		}
		s.showNotice(w, r, http.StatusOK, heading, text)
		return
	}
	heading, text, err := check(r.Context(), tok)
	if err != nil {
		fail(err)
		return
	}
	s.renderForm(w, r, http.StatusOK, "action", s.tr(lang, heading), action{Heading: s.tr(lang, heading),
		Text: text, Action: r.URL.Path, Button: s.tr(lang, button)})
}

// linkInvalid answers a link from a mail that is invalid, expired or used, with a
// way to a new one: a new login link, or the list's join form for a confirmation
// of joining (the list named in the link, if it has a public form).
func (s *Server) linkInvalid(w http.ResponseWriter, r *http.Request) {
	lang := s.lang(r)
	n := notice{Heading: s.tr(lang, "link_invalid"), Text: s.tr(lang, "link_invalid_text"),
		Link: "/login?lang=" + lang, LinkText: s.tr(lang, "link_new_login")}
	if strings.HasPrefix(r.URL.Path, "/confirm/") {
		// Only a hint for the way back: nothing is done with it.
		if f := token.Peek(r.PathValue("token")); len(f) == 2 {
			if l, err := s.members.List(r.Context(), f[0]); err == nil && lists.Announced(l) {
				n.Link, n.LinkText = "/"+l.Name+"/subscribe?lang="+lang, s.tr(lang, "link_new_join")
			}
		}
	}
	s.renderPage(w, r, http.StatusBadRequest, "notice", n.Heading, n)
}

// listAddress is the posting address of the named list.
func (s *Server) listAddress(list string) string { return list + "@" + s.cfg.Domain }

// confirmPage serves the confirmation links of mails: joining and leaving, and a
// member's links to withdraw a post or erase their data. The token's fields tell the
// kinds apart (verification is the list domain's): two for joining and leaving,
// three for withdrawing, one for erasing.
func (s *Server) confirmPage(w http.ResponseWriter, r *http.Request) {
	if p := s.cfg.Lists.Privacy; p != nil {
		switch len(token.Peek(r.PathValue("token"))) {
		case 3:
			s.withdrawLinkPage(w, r, p)
			return
		case 1:
			s.eraseLinkPage(w, r, p)
			return
		}
	}
	s.linkPage(w, r, func(ctx context.Context, tok string) (string, string, error) {
		c, err := s.members.CheckConfirm(ctx, tok)
		if err != nil {
			return "", "", err
		}
		if c.Action == "unsubscribe" {
			return "confirm_leave", s.listAddress(c.List), nil
		}
		return "confirm_join", s.listAddress(c.List), nil
	}, func(ctx context.Context, tok string) (string, string, error) {
		c, err := s.members.Confirm(ctx, tok)
		if err != nil {
			return "", "", err
		}
		if c.Action == "subscribe" {
			return "joined", "joined_text", nil
		}
		return "left", "left_text", nil
	}, "confirm_button")
}

// unsubscribePage serves the List-Unsubscribe URL of a member's copy.
func (s *Server) unsubscribePage(w http.ResponseWriter, r *http.Request) {
	s.linkPage(w, r, func(ctx context.Context, tok string) (string, string, error) {
		list, err := s.members.CheckUnsubscribe(ctx, tok)
		return "confirm_leave", s.listAddress(list), err
	}, func(ctx context.Context, tok string) (string, string, error) {
		_, err := s.members.Unsubscribe(ctx, tok)
		return "left", "left_text", err
	}, "leave_button")
}

func (s *Server) reenablePage(w http.ResponseWriter, r *http.Request) {
	s.linkPage(w, r, func(ctx context.Context, tok string) (string, string, error) {
		list, err := s.members.CheckReenable(ctx, tok)
		return "reenable", s.listAddress(list), err
	}, func(ctx context.Context, tok string) (string, string, error) {
		_, err := s.members.Reenable(ctx, tok)
		return "reenabled", "reenabled_text", err
	}, "reenable_button")
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost {
		if !s.formGuard(w, r) {
			return
		}
		if next := localPath(r.PostFormValue("next")); next != "" {
			// The admin pages ask for a fresh login: its link leads back to them.
			s.setCookie(w, nextCookie, next, time.Hour)
		}
		lang := s.lang(r)
		addr := strings.TrimSpace(r.PostFormValue("address"))
		if errs := s.checkMember(lang, memberFields{Address: addr, CheckAddress: true}); len(errs) > 0 {
			// Only the spelling is checked here: it says nothing about membership.
			s.renderForm(w, r, http.StatusBadRequest, "login", s.tr(lang, "login_heading"), loginForm{Address: addr, Errors: errs})
			return
		}
		err := s.members.RequestLogin(r.Context(), addr, lang)
		var ie *lists.InputError
		if errors.Is(err, lists.ErrRateLimited) {
			// Counted for strangers' addresses too, so this reveals no membership.
			s.showNotice(w, r, http.StatusTooManyRequests, "too_many_logins", "too_many_logins_text")
			return
		}
		if err != nil && !errors.As(err, &ie) {
			s.internalError(w, r, err)
			return
		}
		// The same answer for members, strangers and typos: nothing is revealed.
		s.showNotice(w, r, http.StatusOK, "check_mail", "check_mail_login")
		return
	}
	s.renderForm(w, r, http.StatusOK, "login", s.tr(s.lang(r), "login_heading"), loginForm{})
}

// loginForm is the data of the login page: a members-only list's (List set) or the
// site's.
type loginForm struct {
	List     *store.List
	LoggedIn bool
	Address  string
	Errors   fieldErrors
}

func (s *Server) loginToken(w http.ResponseWriter, r *http.Request) {
	tok := r.PathValue("token")
	lang := s.lang(r)
	if r.Method == http.MethodPost {
		if !s.formGuard(w, r) {
			return
		}
		addr, err := s.members.Login(r.Context(), tok)
		if isBadToken(err) {
			s.linkInvalid(w, r)
			return
		}
		if err != nil {
			s.internalError(w, r, err)
			return
		}
		id := randomHex(32)
		if err := s.sessions.CreateSession(r.Context(), hashHex(id), addr, time.Now().Add(sessionTTL)); err != nil {
			s.internalError(w, r, err)
			return
		}
		s.setCookie(w, sessionCookie, id, sessionTTL)
		if c, err := r.Cookie(nextCookie); err == nil && localPath(c.Value) != "" {
			s.setCookie(w, nextCookie, "", -time.Second)
			http.Redirect(w, r, localPath(c.Value), http.StatusSeeOther)
			return
		}
		http.Redirect(w, r, "/prefs?lang="+lang, http.StatusSeeOther)
		return
	}
	if err := s.members.CheckLogin(r.Context(), tok); isBadToken(err) {
		s.linkInvalid(w, r)
		return
	} else if err != nil {
		s.internalError(w, r, err)
		return
	}
	s.renderForm(w, r, http.StatusOK, "action", s.tr(lang, "login_heading"), action{Heading: s.tr(lang, "login_heading"),
		Text: s.tr(lang, "login_confirm"), Action: r.URL.Path, Button: s.tr(lang, "login_now")})
}

func (s *Server) prefsPage(w http.ResponseWriter, r *http.Request) {
	addr := s.sessionAddress(r)
	if addr == "" {
		http.Redirect(w, r, "/login?lang="+s.lang(r), http.StatusSeeOther)
		return
	}
	lang := s.lang(r)
	p, ap := s.cfg.Lists.Privacy, s.cfg.Lists.AppPasswords
	data := struct {
		Memberships []membershipView
		Saved       bool
		Left        string // the title of the list just left
		Error       string
		Moderator   bool
		Administers []string // lists whose admin pages the viewer may open
		SiteAdmin   bool
		Privacy     bool // the page offers export and erasure
		IMAP        *appPasswordView
	}{Privacy: p != nil}
	// The form that was sent, when it had errors: its list, fields and values.
	var sent struct {
		list, name, postal string
		errs               fieldErrors
	}
	if ap != nil {
		data.IMAP = &appPasswordView{}
	}
	status := http.StatusOK
	if r.Method == http.MethodPost {
		if !s.formGuard(w, r) {
			return
		}
		if p != nil && s.privacyAction(w, r, p, addr) {
			return
		}
		handled := false
		var err error
		if ap != nil {
			handled, err = s.appPasswordAction(r, ap, addr, data.IMAP)
		}
		list := r.PostFormValue("list")
		switch {
		case handled: // an app-password button; err says how it went
		case r.PostFormValue("do") == "leave":
			// Leaving asks once, on a page of its own: no script needed.
			s.confirmLeave(w, r, addr, list)
			return
		case r.PostFormValue("do") == "leave-confirm":
			var l *store.List
			if l, err = s.memberList(r.Context(), addr, list); err == nil {
				if err = s.members.Leave(r.Context(), addr, l.Name); err == nil {
					data.Left = listTitle(l)
				}
			}
		default:
			o := lists.MemberOptions{Mode: r.PostFormValue("mode"), Name: r.PostFormValue("name"), Postal: strings.TrimSpace(r.PostFormValue("postal")),
				DigestFormat: r.PostFormValue("digest_format")}
			if r.PostFormValue("autoreplies_shown") == "1" {
				o.AutoReplies = "no"
				if r.PostFormValue("autoreplies") == "yes" {
					o.AutoReplies = "yes"
				}
			}
			sent.list, sent.name, sent.postal = list, o.Name, o.Postal
			sent.errs = s.checkMember(lang, memberFields{Name: o.Name, Postal: o.Postal, Mode: o.Mode})
			if len(sent.errs) == 0 {
				err = s.members.UpdateMembership(r.Context(), addr, list, o)
			}
		}
		field, text, isInput := s.inputError(lang, err)
		switch {
		case len(sent.errs) > 0:
			status = http.StatusBadRequest
		case isInput && field != "" && sent.list != "":
			sent.errs = fieldErrors{field: text}
			status = http.StatusBadRequest
		case isInput:
			data.Error, status = text, http.StatusBadRequest
		case errors.Is(err, lists.ErrNoSuchList), errors.Is(err, lists.ErrNoSuchMember):
			data.Error, status = s.tr(lang, "not_found"), http.StatusBadRequest
		case err != nil:
			s.internalError(w, r, err)
			return
		default:
			data.Saved = !handled && data.Left == ""
		}
	}
	if ap != nil {
		pws, err := ap.AppPasswords(r.Context(), addr)
		if err != nil {
			s.internalError(w, r, err)
			return
		}
		data.IMAP.Passwords = pws
	}
	ms, err := s.members.Memberships(r.Context(), addr)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	for _, m := range ms {
		v := membershipView{Membership: m, Name: m.Member.Name, Postal: m.Member.Postal}
		if len(sent.errs) > 0 && m.List.Name == sent.list {
			v.Errors, v.Name, v.Postal = sent.errs, sent.name, sent.postal
		}
		data.Memberships = append(data.Memberships, v)
		data.Moderator = data.Moderator || lists.MayModerate(m.List, m.Member, lists.LoggedIn)
		if ok, err := s.mayAdminister(r.Context(), m.List, addr); err == nil && ok {
			data.Administers = append(data.Administers, m.List.Name)
		}
	}
	if data.SiteAdmin, err = s.isSiteAdmin(r.Context(), addr); err != nil {
		s.internalError(w, r, err)
		return
	}
	s.renderForm(w, r, status, "prefs", s.tr(lang, "prefs_heading"), data)
}

// membershipView is one list on the settings page: the values its form shows (the
// ones just sent, when they had errors) and its errors.
type membershipView struct {
	lists.Membership
	Name, Postal string
	Errors       fieldErrors
}

// confirmLeave asks a logged-in member once whether to leave list; only the
// button on this page leaves.
func (s *Server) confirmLeave(w http.ResponseWriter, r *http.Request, addr, list string) {
	lang := s.lang(r)
	l, err := s.memberList(r.Context(), addr, list)
	if errors.Is(err, lists.ErrNoSuchMember) {
		// Only a list the member is on is named: a private list's title stays hidden.
		s.errorPage(w, r, http.StatusNotFound, "no_such_list")
		return
	}
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	heading := s.tr(lang, "leave_heading") + " " + listTitle(l) + "?"
	s.renderForm(w, r, http.StatusOK, "action", heading, action{Heading: heading, Text: s.tr(lang, "leave_confirm_text"),
		Action: "/prefs?lang=" + lang, Button: s.tr(lang, "leave_list"), Do: "leave-confirm", List: l.Name})
}

// memberList returns the named list if addr is on it, else ErrNoSuchMember (also
// for a list that does not exist).
func (s *Server) memberList(ctx context.Context, addr, list string) (*store.List, error) {
	ms, err := s.members.Memberships(ctx, addr)
	if err != nil {
		return nil, err
	}
	for _, m := range ms {
		if m.List.Name == strings.ToLower(list) {
			return m.List, nil
		}
	}
	return nil, fmt.Errorf("%s: %w", list, lists.ErrNoSuchMember)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if !s.formGuard(w, r) {
		return
	}
	if c, err := r.Cookie(sessionCookie); err == nil {
		s.sessions.DeleteSession(r.Context(), hashHex(c.Value))
	}
	s.setCookie(w, sessionCookie, "", -time.Second)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// privacy is what the settings page and the confirmation links ask of the list domain
// for a member's own data and posts. The serving wiring provides it over
// *lists.Service with the site's policy for erased posts; without it the pages offer
// none of this.
type Privacy interface {
	Export(ctx context.Context, address string) ([]byte, error)
	RequestErase(ctx context.Context, address, lang string) error
	CheckErase(ctx context.Context, tok string) error
	// EraseByLink uses an erase link and returns the address erased.
	EraseByLink(ctx context.Context, tok string) (string, error)
	CheckWithdraw(ctx context.Context, tok string) (*lists.PostToWithdraw, error)
	ConfirmWithdraw(ctx context.Context, tok string) (*lists.PostToWithdraw, error)
	Withdraw(ctx context.Context, list string, id int64, address string) (*lists.PostToWithdraw, error)
}

// privacyAction handles the settings page's posts about the member's own data and
// posts; it reports whether the post was one of those (and answered).
//
//	do=export            the member's data as one JSON download, the posts inside as mbox text
//	do=erase             mails a single-use link that erases the address
//	do=withdraw          asks to confirm withdrawing post id of list (the button on a post)
//	do=withdraw-confirm  withdraws it
func (s *Server) privacyAction(w http.ResponseWriter, r *http.Request, p Privacy, addr string) bool {
	lang := s.lang(r)
	ctx := r.Context()
	switch r.FormValue("do") {
	case "export":
		doc, err := p.Export(ctx, addr)
		if err != nil {
			s.internalError(w, r, err)
			return true
		}
		h := w.Header()
		h.Set("Content-Type", "application/json; charset=utf-8")
		h.Set("Content-Disposition", `attachment; filename="listd-data.json"`)
		h.Set("Cache-Control", "no-store")
		w.Write(doc)
	case "erase":
		err := p.RequestErase(ctx, addr, lang)
		switch {
		case errors.Is(err, lists.ErrRateLimited):
			s.showNotice(w, r, http.StatusTooManyRequests, "too_many_mails", "too_many_mails_text")
		case err != nil:
			s.internalError(w, r, err)
		default:
			s.showNotice(w, r, http.StatusOK, "check_mail", "check_mail_erase")
		}
	case "withdraw", "withdraw-confirm":
		list := r.FormValue("list")
		id, ok := intParam(r.FormValue("id"), 0, 1<<62)
		if !ok || id == 0 || list == "" {
			s.errorPage(w, r, http.StatusBadRequest, "bad_request")
			return true
		}
		if r.FormValue("do") == "withdraw" {
			// The button on the post leads here; only this page's button withdraws.
			l, err := s.st.ListByName(ctx, strings.ToLower(list))
			var m *store.Message
			if err == nil {
				m, err = s.st.Message(ctx, l.ID, id)
			}
			if errors.Is(err, store.ErrNotFound) || (err == nil && !lists.MayWithdraw(m, addr)) {
				s.errorPage(w, r, http.StatusNotFound, "not_found")
				return true
			}
			if err != nil {
				s.internalError(w, r, err)
				return true
			}
			to := "/prefs?" + url.Values{"do": {"withdraw-confirm"}, "list": {list}, "id": {strconv.FormatInt(id, 10)},
				"lang": {lang}}.Encode()
			s.renderForm(w, r, http.StatusOK, "action", s.tr(lang, "withdraw_heading"), action{
				Heading: s.tr(lang, "withdraw_heading"), Text: "„" + m.Subject + "“ – " + s.tr(lang, "withdraw_confirm_text"),
				Action: to, Button: s.tr(lang, "withdraw_button")})
			return true
		}
		done, err := p.Withdraw(ctx, list, id, addr)
		switch {
		case errors.Is(err, lists.ErrNotAuthor), errors.Is(err, lists.ErrNoSuchList):
			s.errorPage(w, r, http.StatusNotFound, "not_found")
		case err != nil:
			s.internalError(w, r, err)
		default:
			s.withdrawnNotice(w, r, done)
		}
	default:
		return false
	}
	return true
}

func (s *Server) withdrawnNotice(w http.ResponseWriter, r *http.Request, p *lists.PostToWithdraw) {
	lang := s.lang(r)
	s.renderPage(w, r, http.StatusOK, "notice", s.tr(lang, "withdrawn_heading"), notice{
		Heading: s.tr(lang, "withdrawn_heading"), Text: s.tr(lang, "withdrawn_text"),
		Link: "/" + p.List + "/m/" + strconv.FormatInt(p.ID, 10), LinkText: s.tr(lang, "withdrawn_link")})
}

// withdrawLinkPage serves the link of a withdraw command's confirmation mail.
func (s *Server) withdrawLinkPage(w http.ResponseWriter, r *http.Request, p Privacy) {
	s.linkPage(w, r, func(ctx context.Context, tok string) (string, string, error) {
		post, err := p.CheckWithdraw(ctx, tok)
		if err != nil {
			return "", "", err
		}
		return "withdraw_heading", "„" + post.Subject + "“ (" + s.listAddress(post.List) + ")", nil
	}, func(ctx context.Context, tok string) (string, string, error) {
		_, err := p.ConfirmWithdraw(ctx, tok)
		return "withdrawn_heading", "withdrawn_text", err
	}, "withdraw_button")
}

// eraseLinkPage serves the link of an erasure's confirmation mail. Erasing removes
// the address's sessions; this browser's cookie goes too.
func (s *Server) eraseLinkPage(w http.ResponseWriter, r *http.Request, p Privacy) {
	s.linkPage(w, r, func(ctx context.Context, tok string) (string, string, error) {
		if err := p.CheckErase(ctx, tok); err != nil {
			return "", "", err
		}
		return "erase_heading", s.tr(s.lang(r), "erase_confirm_text"), nil
	}, func(ctx context.Context, tok string) (string, string, error) {
		if _, err := p.EraseByLink(ctx, tok); err != nil {
			return "", "", err
		}
		s.setCookie(w, sessionCookie, "", -time.Second)
		return "erased_heading", "erased_text", nil
	}, "erase_button")
}
