package web

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"listd/internal/lists"
	"listd/internal/mailview"
	"listd/internal/store"
)

// Copier gives the archive copy of a post: the message as a member would get it
// without the per-member parts, with the author's address removed on anonymous lists.
// mbox downloads serve it instead of the bytes as received.
type Copier interface {
	ArchiveCopy(ctx context.Context, l *store.List, m *store.Message) ([]byte, error)
}

const (
	threadsPerPage = 30
	hitsPerPage    = 20
	monthLimit     = 2000 // posts shown on a month page; the mbox has them all
	feedEntries    = 30
	maxDepthShown  = 12 // indentation stops here: phones have no room for 35 levels
)

// archiveRoutes serves the archive below /NAME/ for GET requests; it reports whether
// the path was one of its own.
func (s *Server) archiveRoutes(w http.ResponseWriter, r *http.Request, rest string) bool {
	parts := strings.Split(rest, "/")
	switch {
	case rest == "":
		s.threadsPage(w, r)
	case rest == "search":
		s.searchPage(w, r)
	case rest == "atom.xml":
		s.listFeed(w, r)
	case len(parts) == 2 && parts[0] == "m":
		r.SetPathValue("id", parts[1])
		s.messagePage(w, r)
	case len(parts) == 4 && parts[0] == "m" && parts[2] == "a":
		r.SetPathValue("id", parts[1])
		r.SetPathValue("part", parts[3])
		s.attachment(w, r)
	case len(parts) == 2 && parts[0] == "t" && strings.HasSuffix(parts[1], ".mbox"):
		r.SetPathValue("id", strings.TrimSuffix(parts[1], ".mbox"))
		s.threadMbox(w, r)
	case len(parts) == 2 && parts[0] == "t":
		r.SetPathValue("id", parts[1])
		s.threadPage(w, r)
	case len(parts) == 3 && parts[0] == "t" && parts[2] == "atom.xml":
		r.SetPathValue("id", parts[1])
		s.threadFeed(w, r)
	case len(parts) == 1 && strings.HasSuffix(rest, ".mbox"):
		r.SetPathValue("month", strings.TrimSuffix(rest, ".mbox"))
		s.monthMbox(w, r)
	case len(parts) == 2 && parts[1] == "" && len(parts[0]) == 7:
		r.SetPathValue("month", parts[0])
		s.monthPage(w, r)
	default:
		return false
	}
	return true
}

// canRead asks the list domain's rule (lists.MayRead) whether this request may read
// l's archive. The visitor's membership is looked up only when a stranger may not.
func (s *Server) canRead(r *http.Request, l *store.List) bool {
	if lists.MayRead(l, nil, lists.Stranger) {
		return true
	}
	m, v := s.viewer(r, l)
	return lists.MayRead(l, m, v)
}

// viewer is who this request shows itself to be to l: a stranger without a login
// session; with one, what the list domain says the address is (a site admin, or
// logged in), and the membership of l (nil when not on it). When the domain cannot
// answer, the viewer is a stranger: nothing is granted on an error.
func (s *Server) viewer(r *http.Request, l *store.List) (*store.Member, lists.Viewer) {
	addr := s.sessionAddress(r)
	if addr == "" {
		return nil, lists.Stranger
	}
	v, err := s.viewerOf(r.Context(), addr)
	if err != nil {
		s.log.ErrorContext(r.Context(), "viewer", "err", err)
		return nil, lists.Stranger
	}
	m, err := s.st.Member(r.Context(), l.ID, addr)
	if err != nil {
		return nil, v
	}
	return m, v
}

// loginRequired answers a members-only archive to a visitor who is not logged in as
// one of its members: 403, with the login form right there.
func (s *Server) loginRequired(w http.ResponseWriter, r *http.Request, l *store.List) {
	lang := s.lang(r)
	s.renderForm(w, r, http.StatusForbidden, "login", s.tr(lang, "members_only"), loginForm{List: l, LoggedIn: s.sessionAddress(r) != ""})
}

func listTitle(l *store.List) string {
	if l.Title != "" {
		return l.Title
	}
	return l.Name
}

// threadsPage is a list's front page: the threads, most recently active first.
func (s *Server) threadsPage(w http.ResponseWriter, r *http.Request) {
	l, ok := s.listFor(w, r, false)
	if !ok {
		return
	}
	if r.URL.Query().Get("q") != "" { // the old search form sent its query here
		http.Redirect(w, r, "/"+l.Name+"/search?"+r.URL.RawQuery, http.StatusSeeOther)
		return
	}
	before, ok := parseCursor(r.URL.Query().Get("before"))
	if !ok {
		s.errorPage(w, r, http.StatusBadRequest, "bad_request")
		return
	}
	ts, err := s.st.Threads(r.Context(), l.ID, threadsPerPage+1, before)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	older := ""
	if len(ts) > threadsPerPage {
		ts = ts[:threadsPerPage]
		c := ts[threadsPerPage-1].Cursor()
		older = strconv.FormatInt(c.Received, 10) + "." + strconv.FormatInt(c.LastID, 10)
	}
	months, err := s.st.Months(r.Context(), l.ID)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	m, _ := s.viewer(r, l)
	s.renderPage(w, r, http.StatusOK, "list", listTitle(l), listPage{l, ts, older, before != store.ThreadCursor{}, months, m != nil})
}

// listPage is the data of a list's front page.
type listPage struct {
	List    *store.List
	Threads []*store.ThreadSummary
	Older   string
	Paged   bool
	Months  []store.MonthCount
	Member  bool // the logged-in visitor is on the list
}

func (p listPage) description() string { return p.List.Description }

// parseCursor reads the thread index's "before" parameter, RECEIVED.LASTID; "" is
// the top.
func parseCursor(v string) (store.ThreadCursor, bool) {
	if v == "" {
		return store.ThreadCursor{}, true
	}
	a, b, ok := strings.Cut(v, ".")
	received, err1 := strconv.ParseInt(a, 10, 64)
	last, err2 := strconv.ParseInt(b, 10, 64)
	if !ok || err1 != nil || err2 != nil || received < 0 || last <= 0 {
		return store.ThreadCursor{}, false
	}
	return store.ThreadCursor{Received: received, LastID: last}, true
}

// postView is one post as a page shows it.
type postView struct {
	*store.Message
	Depth        int // for indentation, capped at maxDepthShown
	Level        int // the real nesting level
	HeadingLevel int // the author heading's level for screen readers: 2 for the first post, one more per reply, at most 6
	Parent       *store.Message
	Body         template.HTML
	Reply        string // mailto link that answers this post on the list
	PrivateReply string // mailto link that answers the author alone, when offered
	CanWithdraw  bool   // the logged-in viewer wrote it and may withdraw it
}

// threadFor loads the thread named by the request (its first post's id) with its
// posts in arrival order, writing the error page itself.
func (s *Server) threadFor(w http.ResponseWriter, r *http.Request) (*store.List, int64, []*store.Message, bool) {
	l, ok := s.listFor(w, r, false)
	if !ok {
		return nil, 0, nil, false
	}
	id, ok := intParam(r.PathValue("id"), 0, 1<<62)
	if !ok || id == 0 {
		s.errorPage(w, r, http.StatusNotFound, "not_found")
		return nil, 0, nil, false
	}
	ms, err := s.st.Thread(r.Context(), l.ID, id)
	if errors.Is(err, store.ErrNotFound) {
		s.errorPage(w, r, http.StatusNotFound, "not_found")
		return nil, 0, nil, false
	}
	if err != nil {
		s.internalError(w, r, err)
		return nil, 0, nil, false
	}
	return l, id, ms, true
}

// threadPage shows a whole thread, replies nested under the post they answer.
func (s *Server) threadPage(w http.ResponseWriter, r *http.Request) {
	l, id, ms, ok := s.threadFor(w, r)
	if !ok {
		return
	}
	lang := s.lang(r)
	opt := mailview.Options{Lang: lang, MaskAddresses: true}
	posts := nest(ms)
	viewer := s.sessionAddress(r)
	forms := false
	byID := postsByID(ms)
	for _, p := range posts {
		p.Body = mailview.RenderText(p.Text, opt)
		p.Reply = s.replyLink(l, p.Message, byID)
		p.PrivateReply = s.privateReplyLink(l, p.Message)
		p.CanWithdraw = lists.MayWithdraw(p.Message, viewer)
		forms = forms || p.CanWithdraw
	}
	write := s.threadWrite(r, l, id, ms[0].Subject)
	data := struct {
		List  *store.List
		Posts []*postView
		ID    int64
		Write *writeForm
	}{l, posts, id, write}
	if forms || (write != nil && write.Member) {
		// Only an author's own view carries a form (and so a CSRF cookie).
		s.renderForm(w, r, http.StatusOK, "thread", ms[0].Subject, data)
		return
	}
	s.renderPage(w, r, http.StatusOK, "thread", ms[0].Subject, data)
}

// nest orders a thread's posts depth first, each reply under its parent, oldest
// first among siblings. Posts whose parent is not in the archive start at the top.
func nest(ms []*store.Message) []*postView {
	byID := make(map[int64]*store.Message, len(ms))
	for _, m := range ms {
		byID[m.ID] = m
	}
	children := map[int64][]*store.Message{}
	var roots []*store.Message
	for _, m := range ms {
		if p, ok := byID[m.ParentID]; ok && p.ID != m.ID {
			children[p.ID] = append(children[p.ID], m)
		} else {
			roots = append(roots, m)
		}
	}
	out := make([]*postView, 0, len(ms))
	// An explicit stack: a thread may be deeper than is wise to recurse.
	type item struct {
		m     *store.Message
		level int
	}
	stack := make([]item, 0, len(ms))
	for i := len(roots) - 1; i >= 0; i-- {
		stack = append(stack, item{roots[i], 0})
	}
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		out = append(out, &postView{Message: it.m, Level: it.level + 1, HeadingLevel: min(it.level+2, 6), Depth: min(it.level, maxDepthShown),
			Parent: byID[it.m.ParentID]})
		kids := children[it.m.ID]
		for i := len(kids) - 1; i >= 0; i-- {
			stack = append(stack, item{kids[i], it.level + 1})
		}
	}
	return out
}

// postsByID indexes a thread's posts by id.
func postsByID(thread []*store.Message) map[int64]*store.Message {
	byID := make(map[int64]*store.Message, len(thread))
	for _, t := range thread {
		byID[t.ID] = t
	}
	return byID
}

// replyLink is a mailto link that answers m on the list, with In-Reply-To and
// References so that the answer lands in the thread (byID: its posts, postsByID).
func (s *Server) replyLink(l *store.List, m *store.Message, byID map[int64]*store.Message) string {
	subj := m.Subject
	if !strings.HasPrefix(strings.ToLower(subj), "re:") && !strings.HasPrefix(strings.ToLower(subj), "aw:") {
		subj = "Re: " + subj
	}
	var refs []string
	seen := map[int64]bool{}
	for p := m; p != nil && !seen[p.ID] && len(refs) < 20; p = byID[p.ParentID] {
		seen[p.ID] = true
		refs = append([]string{"<" + s.shownID(l, p) + ">"}, refs...)
	}
	q := url.Values{}
	q.Set("subject", subj)
	q.Set("In-Reply-To", "<"+s.shownID(l, m)+">")
	q.Set("References", strings.Join(refs, " "))
	// RFC 6068 wants %20, not +, for spaces.
	return "mailto:" + l.Name + "@" + s.cfg.Domain + "?" + strings.ReplaceAll(q.Encode(), "+", "%20")
}

// shownID is the Message-ID the list shows for m: on an anonymous list its own, since
// the sender's may name their machine.
func (s *Server) shownID(l *store.List, m *store.Message) string {
	if l.Anonymous {
		return m.PublicMessageID(s.cfg.Domain)
	}
	return m.MessageID
}

// privateReplyLink is a mailto link to the relay address that reaches the post's
// author without either side seeing the other's address.
func (s *Server) privateReplyLink(l *store.List, m *store.Message) string {
	if s.cfg.PrivateReply == nil {
		return ""
	}
	subj := m.Subject
	if !strings.HasPrefix(strings.ToLower(subj), "re:") {
		subj = "Re: " + subj
	}
	return "mailto:" + s.cfg.PrivateReply(l, m.ID) + "?subject=" + strings.ReplaceAll(url.QueryEscape(subj), "+", "%20")
}

// messagePage is a post's permalink (Archived-At points here).
func (s *Server) messagePage(w http.ResponseWriter, r *http.Request) {
	l, m, ok := s.messageFor(w, r)
	if !ok {
		return
	}
	thread, err := s.st.ThreadOutline(r.Context(), l.ID, m.ThreadID) // the other posts' texts are not shown
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	lang := s.lang(r)
	base := "/" + l.Name + "/m/" + strconv.FormatInt(m.ID, 10)
	html := r.URL.Query().Get("html") == "1"
	v := &mailview.View{} // a withdrawn post shows only that it was withdrawn
	if !m.Withdrawn() {
		raw, err := s.st.Raw(r.Context(), m.ID)
		if err != nil {
			s.internalError(w, r, err)
			return
		}
		// The archive took it, so it has a header; if it cannot be read, its text shows.
		v = s.renderMessage(raw, lang, html, base, m.Text)
	}
	var parent *store.Message
	for _, t := range thread {
		if t.ID == m.ParentID {
			parent = t
		}
	}
	data := struct {
		List        *store.List
		Message     *store.Message
		View        *mailview.View
		Thread      []*postView
		Parent      *store.Message
		Reply       string
		Private     string
		HTML        bool
		Base        string
		CanWithdraw bool
	}{l, m, v, nest(thread), parent, s.replyLink(l, m, postsByID(thread)), s.privateReplyLink(l, m), html, base,
		lists.MayWithdraw(m, s.sessionAddress(r))}
	if data.CanWithdraw {
		// Only an author's own view carries a form (and so a CSRF cookie).
		s.renderForm(w, r, http.StatusOK, "message", m.Subject, data)
		return
	}
	s.renderPage(w, r, http.StatusOK, "message", m.Subject, data)
}

// messageFor loads the post named by the request, writing the error page itself.
func (s *Server) messageFor(w http.ResponseWriter, r *http.Request) (*store.List, *store.Message, bool) {
	l, ok := s.listFor(w, r, false)
	if !ok {
		return nil, nil, false
	}
	id, ok := intParam(r.PathValue("id"), 0, 1<<62)
	if !ok || id == 0 {
		s.errorPage(w, r, http.StatusNotFound, "not_found")
		return nil, nil, false
	}
	m, err := s.st.Message(r.Context(), l.ID, id)
	if errors.Is(err, store.ErrNotFound) {
		s.errorPage(w, r, http.StatusNotFound, "not_found")
		return nil, nil, false
	}
	if err != nil {
		s.internalError(w, r, err)
		return nil, nil, false
	}
	return l, m, true
}

// attachment serves one attachment with a content type that cannot run script and
// a safe Content-Disposition.
func (s *Server) attachment(w http.ResponseWriter, r *http.Request) {
	_, m, ok := s.messageFor(w, r)
	if !ok {
		return
	}
	idx, err := strconv.Atoi(r.PathValue("part"))
	if err != nil || idx < 0 {
		s.errorPage(w, r, http.StatusNotFound, "not_found")
		return
	}
	raw, err := s.st.Raw(r.Context(), m.ID)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	// Named as the page names it: the sender's address in a file name stays masked.
	_, data, ctype, disp, err := mailview.OpenAttachment(raw, idx, mailview.Options{MaskAddresses: true})
	if err != nil {
		s.errorPage(w, r, http.StatusNotFound, "not_found")
		return
	}
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Content-Disposition", disp)
	h.Set("Content-Length", strconv.Itoa(len(data)))
	// Even a mislabelled file must not become a page of this site.
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cache-Control", "private, max-age=3600")
	w.Write(data)
}

// monthRange parses YYYY-MM into the month's bounds.
func monthRange(v string) (since, until time.Time, ok bool) {
	t, err := time.Parse("2006-01", v)
	if err != nil {
		return time.Time{}, time.Time{}, false
	}
	return t, t.AddDate(0, 1, 0), true
}

// monthFor loads up to limit posts of the month the request names (YYYY-MM), writing
// the error page itself.
func (s *Server) monthFor(w http.ResponseWriter, r *http.Request, limit int) (*store.List, string, time.Time, []*store.Message, bool) {
	l, ok := s.listFor(w, r, false)
	if !ok {
		return nil, "", time.Time{}, nil, false
	}
	month := r.PathValue("month")
	since, until, ok := monthRange(month)
	if !ok {
		s.errorPage(w, r, http.StatusNotFound, "not_found")
		return nil, "", time.Time{}, nil, false
	}
	ms, err := s.st.MessagesDated(r.Context(), l.ID, since, until, limit)
	if err != nil {
		s.internalError(w, r, err)
		return nil, "", time.Time{}, nil, false
	}
	return l, month, since, ms, true
}

// monthPage lists the posts dated in one month, grouped by thread.
func (s *Server) monthPage(w http.ResponseWriter, r *http.Request) {
	l, month, since, ms, ok := s.monthFor(w, r, monthLimit+1)
	if !ok {
		return
	}
	more := len(ms) > monthLimit
	if more {
		ms = ms[:monthLimit]
	}
	type group struct {
		ThreadID int64
		Subject  string
		Posts    []*store.Message
	}
	var groups []*group
	byThread := map[int64]*group{}
	for _, m := range ms {
		g := byThread[m.ThreadID]
		if g == nil {
			g = &group{ThreadID: m.ThreadID, Subject: m.Subject}
			byThread[m.ThreadID] = g
			groups = append(groups, g)
		}
		g.Posts = append(g.Posts, m)
	}
	lang := s.lang(r)
	s.renderPage(w, r, http.StatusOK, "month", listTitle(l)+" · "+s.monthName(lang, since), struct {
		List   *store.List
		Month  string
		Name   string
		Groups []*group
		More   bool
	}{l, month, s.monthName(lang, since), groups, more})
}

// monthName is "März 2026": the month's name from the catalogue (page.month_1..12).
func (s *Server) monthName(lang string, t time.Time) string {
	return fmt.Sprintf("%s %d", s.tr(lang, fmt.Sprintf("month_%d", int(t.Month()))), t.Year())
}

// searchPage searches one list's archive, with filters and paging.
func (s *Server) searchPage(w http.ResponseWriter, r *http.Request) {
	l, ok := s.listFor(w, r, false)
	if !ok {
		return
	}
	s.search(w, r, l, []*store.List{l})
}

// siteSearch searches every archive this visitor may read (public ones, and the
// lists they are a member of when logged in), or the one named by ?list=.
func (s *Server) siteSearch(w http.ResponseWriter, r *http.Request) {
	all, err := s.st.Lists(r.Context())
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	only := r.URL.Query().Get("list")
	var readable []*store.List
	for _, l := range all {
		if (only == "" || l.Name == only) && s.canRead(r, l) {
			readable = append(readable, l)
		}
	}
	if only != "" && len(readable) == 0 {
		s.errorPage(w, r, http.StatusNotFound, "no_such_list")
		return
	}
	s.search(w, r, nil, readable)
}

// searchHit is one hit as the search page shows it.
type searchHit struct {
	store.Hit
	List    string // the list's name, for the link
	Snippet template.HTML
	// Author, ISODate and When are the sender and the date as the page shows them
	// (author, iso and date of the templates), made here: a template function call
	// costs a page of hits more than the text it makes.
	Author, ISODate, When string
}

// search runs the search form's query over lists; scope is the list whose page
// this is, nil for the site-wide search.
func (s *Server) search(w http.ResponseWriter, r *http.Request, scope *store.List, lists []*store.List) {
	q := r.URL.Query()
	form := struct {
		Q, Author, Since, Until, List string
		Page                          int
	}{Q: strings.TrimSpace(q.Get("q")), Author: strings.TrimSpace(q.Get("author")), Since: q.Get("since"), Until: q.Get("until"),
		List: q.Get("list")}
	page, ok := intParam(q.Get("page"), 1, 1000)
	if !ok || len(form.Q) > 500 || len(form.Author) > 200 {
		s.errorPage(w, r, http.StatusBadRequest, "bad_request")
		return
	}
	form.Page = int(page)
	names := make(map[int64]string, len(lists))
	sq := store.SearchQuery{Text: form.Q, Author: form.Author, Limit: hitsPerPage, Offset: (form.Page - 1) * hitsPerPage}
	for _, l := range lists {
		sq.ListIDs = append(sq.ListIDs, l.ID)
		names[l.ID] = l.Name
	}
	for _, d := range []struct {
		v   string
		dst *time.Time
		add int
	}{{form.Since, &sq.Since, 0}, {form.Until, &sq.Until, 1}} {
		if d.v == "" {
			continue
		}
		t, err := time.Parse("2006-01-02", d.v)
		if err != nil {
			s.errorPage(w, r, http.StatusBadRequest, "bad_date")
			return
		}
		*d.dst = t.AddDate(0, 0, d.add) // "until" includes its day
	}
	var hits []searchHit
	var more, searched bool
	if (form.Q != "" || form.Author != "") && len(sq.ListIDs) > 0 {
		searched = true
		res, err := s.st.SearchArchive(r.Context(), sq)
		if err != nil {
			s.internalError(w, r, err)
			return
		}
		lang := s.lang(r)
		for _, h := range res.Hits {
			hits = append(hits, searchHit{Hit: h, List: names[h.ListID], Snippet: markSnippet(h.Snippet),
				Author: s.author(lang, h.FromName), ISODate: h.Date.UTC().Format(time.RFC3339), When: s.pageDate(h.Date)})
		}
		more = res.More
	} else if form.Q != "" || form.Author != "" {
		searched = true // no archive to search: no hits
	}
	action := "/search"
	title := s.tr(s.lang(r), "search")
	if scope != nil {
		action = "/" + scope.Name + "/search"
		title += " · " + listTitle(scope)
	}
	next, prev := "", ""
	if more || form.Page > 1 {
		v := url.Values{}
		for k, val := range map[string]string{"q": form.Q, "author": form.Author, "since": form.Since, "until": form.Until, "list": form.List} {
			if val != "" {
				v.Set(k, val)
			}
		}
		if more {
			v.Set("page", strconv.Itoa(form.Page+1))
			next = action + "?" + v.Encode()
		}
		if form.Page > 1 {
			v.Set("page", strconv.Itoa(form.Page-1))
			prev = action + "?" + v.Encode()
		}
	}
	var choices []*store.List
	if scope == nil {
		choices = lists
		if form.List != "" { // the select offers every readable list, not only the chosen one
			choices = nil
			if all, err := s.st.Lists(r.Context()); err == nil {
				for _, l := range all {
					if s.canRead(r, l) {
						choices = append(choices, l)
					}
				}
			}
		}
	}
	s.renderPage(w, r, http.StatusOK, "search", title, struct {
		List     *store.List // nil: the site-wide search
		Lists    []*store.List
		Action   string
		Form     any
		Hits     []searchHit
		Searched bool
		Next     string
		Prev     string
	}{scope, choices, action, form, hits, searched, next, prev})
}

// markSnippet escapes a snippet and turns the store's hit markers into <mark>.
func markSnippet(s string) template.HTML {
	esc := template.HTMLEscapeString(maskAddresses(s))
	esc = strings.ReplaceAll(esc, store.MarkStart, "<mark>")
	esc = strings.ReplaceAll(esc, store.MarkEnd, "</mark>")
	// A snippet cut inside a hit leaves a <mark> open; close it.
	if d := strings.Count(esc, "<mark>") - strings.Count(esc, "</mark>"); d > 0 {
		esc += strings.Repeat("</mark>", d)
	}
	return template.HTML(esc)
}
