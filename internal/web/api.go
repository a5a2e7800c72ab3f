package web

import (
	"errors"
	"net/http"
	"strconv"

	"listd/internal/lists"
	"listd/internal/store"
)

type apiList struct {
	Name        string `json:"name"`
	Title       string `json:"title"`
	Description string `json:"description"`
	Archive     string `json:"archive"`
}

type apiMessage struct {
	ID        int64  `json:"id"`
	MessageID string `json:"message_id"`
	Subject   string `json:"subject"`
	FromName  string `json:"from_name"`
	Date      string `json:"date"`
	ThreadID  int64  `json:"thread_id"`
	ParentID  int64  `json:"parent_id,omitempty"`
	// Text is there whenever asked for, empty for a withdrawn post.
	Text      *string `json:"text,omitempty"`
	Withdrawn bool    `json:"withdrawn,omitempty"`
}

// toAPI is a post of list l as the API shows it. message_id is the Message-ID the
// list shows (see shownID): on an anonymous list its public id, never the one as
// received, which may name the sender's machine.
func (s *Server) toAPI(l *store.List, m *store.Message, withText bool) apiMessage {
	a := apiMessage{ID: m.ID, MessageID: s.shownID(l, m), Subject: m.Subject, FromName: m.FromName,
		Date: rfc3339(m.Date), ThreadID: m.ThreadID, ParentID: m.ParentID, Withdrawn: m.Withdrawn()}
	if withText {
		text := ""
		if !m.Withdrawn() {
			text = maskAddresses(m.Text)
		}
		a.Text = &text
	}
	return a
}

func (s *Server) apiLists(w http.ResponseWriter, r *http.Request) {
	ls, err := s.st.Lists(r.Context())
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	out := []apiList{}
	for _, l := range ls {
		if !lists.Announced(l) {
			continue
		}
		out = append(out, apiList{Name: l.Name, Title: l.Title, Description: l.Description, Archive: l.Archive})
	}
	writeJSON(w, http.StatusOK, out)
}

// intParam reads a positive integer query or path value, with a default when absent.
func intParam(v string, def, max int64) (int64, bool) {
	if v == "" {
		return def, true
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, false
	}
	return min(n, max), true
}

func (s *Server) apiMessages(w http.ResponseWriter, r *http.Request) {
	l, ok := s.listFor(w, r, true)
	if !ok {
		return
	}
	limit, ok := intParam(r.URL.Query().Get("limit"), 50, 500)
	if !ok {
		apiError(w, http.StatusBadRequest, "limit must be a positive number")
		return
	}
	before, ok := intParam(r.URL.Query().Get("before"), 0, 1<<62)
	if !ok {
		apiError(w, http.StatusBadRequest, "before must be a positive number")
		return
	}
	ms, err := s.st.Messages(r.Context(), l.ID, int(limit), before)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	out := make([]apiMessage, 0, len(ms))
	for _, m := range ms {
		out = append(out, s.toAPI(l, m, false))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiMessage(w http.ResponseWriter, r *http.Request) {
	l, ok := s.listFor(w, r, true)
	if !ok {
		return
	}
	id, ok := intParam(r.PathValue("id"), 0, 1<<62)
	if !ok || id == 0 {
		apiError(w, http.StatusBadRequest, "the message id must be a positive number")
		return
	}
	m, err := s.st.Message(r.Context(), l.ID, id)
	if errors.Is(err, store.ErrNotFound) {
		apiError(w, http.StatusNotFound, "no such message")
		return
	}
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.toAPI(l, m, true))
}

func (s *Server) apiThread(w http.ResponseWriter, r *http.Request) {
	l, ok := s.listFor(w, r, true)
	if !ok {
		return
	}
	id, ok := intParam(r.PathValue("id"), 0, 1<<62)
	if !ok || id == 0 {
		apiError(w, http.StatusBadRequest, "the thread id must be a positive number")
		return
	}
	ms, err := s.st.Thread(r.Context(), l.ID, id)
	if errors.Is(err, store.ErrNotFound) {
		apiError(w, http.StatusNotFound, "no such thread")
		return
	}
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	out := struct {
		ID       int64        `json:"id"`
		Subject  string       `json:"subject"`
		Messages []apiMessage `json:"messages"`
	}{ID: id, Subject: ms[0].Subject}
	for _, m := range ms {
		out.Messages = append(out.Messages, s.toAPI(l, m, true))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiSearch(w http.ResponseWriter, r *http.Request) {
	l, ok := s.listFor(w, r, true)
	if !ok {
		return
	}
	q := r.URL.Query().Get("q")
	if len(q) > 500 {
		apiError(w, http.StatusBadRequest, "the query is too long")
		return
	}
	limit, ok := intParam(r.URL.Query().Get("limit"), 20, 100)
	if !ok {
		apiError(w, http.StatusBadRequest, "limit must be a positive number")
		return
	}
	hits, err := s.st.Search(r.Context(), l.ID, q, int(limit))
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	type hit struct {
		ID      int64  `json:"id"`
		Subject string `json:"subject"`
		Snippet string `json:"snippet"`
	}
	out := struct {
		Hits []hit `json:"hits"`
	}{Hits: []hit{}}
	for _, h := range hits {
		out.Hits = append(out.Hits, hit{ID: h.ID, Subject: h.Subject, Snippet: maskAddresses(h.Snippet)})
	}
	writeJSON(w, http.StatusOK, out)
}
