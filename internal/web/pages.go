package web

import (
	"bytes"
	"errors"
	"net/http"
	"strconv"

	"listd/internal/lists"
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
		if lists.Announced(l) {
			shown = append(shown, l)
		}
	}
	s.renderPage(w, r, http.StatusOK, "index", "", shown)
}

const pageSize = 50

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
	s.renderPage(w, r, http.StatusOK, "outbox", s.tr(s.lang(r), "outbox"), struct {
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
