package web

import (
	"bytes"
	"errors"
	"net/http"
	"strconv"

	"listd/internal/store"
)

func (s *Server) index(w http.ResponseWriter, r *http.Request) {
	ls, err := s.st.Lists(r.Context())
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	var shown []*store.List
	for _, l := range ls {
		if l.Archive != "private" {
			shown = append(shown, l)
		}
	}
	s.renderPage(w, r, http.StatusOK, "index", "", shown)
}

const pageSize = 50

func (s *Server) listPage(w http.ResponseWriter, r *http.Request) {
	l, ok := s.listFor(w, r, false)
	if !ok {
		return
	}
	data := struct {
		List     *store.List
		Messages []*store.Message
		Older    int64
		Query    string
		Hits     []store.Hit
	}{List: l, Query: r.URL.Query().Get("q")}
	if data.Query != "" {
		if len(data.Query) > 500 {
			s.errorPage(w, r, http.StatusBadRequest, "bad_request")
			return
		}
		hits, err := s.st.Search(r.Context(), l.ID, data.Query, pageSize)
		if err != nil {
			s.internalError(w, r, err)
			return
		}
		for i := range hits {
			hits[i].Snippet = maskAddresses(hits[i].Snippet)
		}
		data.Hits = hits
	} else {
		before, ok := intParam(r.URL.Query().Get("before"), 0, 1<<62)
		if !ok {
			s.errorPage(w, r, http.StatusBadRequest, "bad_request")
			return
		}
		ms, err := s.st.Messages(r.Context(), l.ID, pageSize+1, before)
		if err != nil {
			s.internalError(w, r, err)
			return
		}
		if len(ms) > pageSize {
			ms = ms[:pageSize]
			data.Older = ms[pageSize-1].ID
		}
		data.Messages = ms
	}
	title := l.Title
	if title == "" {
		title = l.Name
	}
	s.renderPage(w, r, http.StatusOK, "list", title, data)
}

func (s *Server) messagePage(w http.ResponseWriter, r *http.Request) {
	l, ok := s.listFor(w, r, false)
	if !ok {
		return
	}
	id, ok := intParam(r.PathValue("id"), 0, 1<<62)
	if !ok || id == 0 {
		s.errorPage(w, r, http.StatusNotFound, "not_found")
		return
	}
	m, err := s.st.Message(r.Context(), l.ID, id)
	if errors.Is(err, store.ErrNotFound) {
		s.errorPage(w, r, http.StatusNotFound, "not_found")
		return
	}
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	thread, err := s.st.Thread(r.Context(), l.ID, m.ThreadID)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	s.renderPage(w, r, http.StatusOK, "message", m.Subject, struct {
		List    *store.List
		Message *store.Message
		Text    string
		Thread  []*store.Message
	}{l, m, maskAddresses(m.Text), thread})
}

// outboxAllowed: the outbox names recipients, so it is shown only when there is no
// relay (local use and the demo) and only to this machine.
func (s *Server) outboxAllowed(w http.ResponseWriter, r *http.Request) bool {
	if !s.cfg.Outbox {
		s.errorPage(w, r, http.StatusNotFound, "not_found")
		return false
	}
	if !isLoopback(r) {
		s.errorPage(w, r, http.StatusForbidden, "outbox_forbidden")
		return false
	}
	return true
}

func (s *Server) outbox(w http.ResponseWriter, r *http.Request) {
	if !s.outboxAllowed(w, r) {
		return
	}
	offset, ok := intParam(r.URL.Query().Get("offset"), 0, 1<<40)
	if !ok && r.URL.Query().Get("offset") != "0" {
		s.errorPage(w, r, http.StatusBadRequest, "bad_request")
		return
	}
	counts, err := s.st.DeliveryCounts(r.Context())
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	ds, err := s.st.Deliveries(r.Context(), []string{"queued", "failed"}, pageSize+1, int(offset))
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	var next int64
	if len(ds) > pageSize {
		ds, next = ds[:pageSize], offset+pageSize
	}
	s.renderPage(w, r, http.StatusOK, "outbox", translate(s.lang(r), "outbox"), struct {
		Counts     map[string]int
		Deliveries []*store.Delivery
		Next       int64
	}{counts, ds, next})
}

// outboxCopy shows one queued copy exactly as it would go to the relay.
func (s *Server) outboxCopy(w http.ResponseWriter, r *http.Request) {
	if !s.outboxAllowed(w, r) {
		return
	}
	id, ok := intParam(r.PathValue("id"), 0, 1<<62)
	if !ok || id == 0 {
		s.errorPage(w, r, http.StatusNotFound, "not_found")
		return
	}
	d, err := s.st.DeliveryByID(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		s.errorPage(w, r, http.StatusNotFound, "not_found")
		return
	}
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	c, err := s.render.Render(r.Context(), d)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	var buf bytes.Buffer
	buf.WriteString("X-Envelope-From: <" + c.From + ">\r\nX-Envelope-To: <" + d.Rcpt + ">\r\n")
	if _, err := c.Message.WriteTo(&buf); err != nil {
		s.internalError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Disposition", "inline; filename=\"copy-"+strconv.FormatInt(id, 10)+".eml\"")
	w.Write(buf.Bytes())
}
