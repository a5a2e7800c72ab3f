package web

import (
	"bytes"
	"errors"
	"net/http"
	"net/mail"
	"strconv"
	"time"

	"listd/internal/lists"
	"listd/internal/mailmsg"
	"listd/internal/mailview"
	"listd/internal/store"
)

func (s *Server) index(w http.ResponseWriter, r *http.Request) {
	ls, err := s.st.Lists(r.Context())
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	data := struct {
		Lists  []*store.List
		Member map[int64]bool // the lists the logged-in visitor is on
	}{Member: s.memberOf(r)}
	for _, l := range ls {
		if lists.Announced(l) {
			data.Lists = append(data.Lists, l)
		}
	}
	s.renderPage(w, r, http.StatusOK, "index", "", data)
}

// memberOf returns the ids of the lists the logged-in visitor is on; nil for a
// stranger.
func (s *Server) memberOf(r *http.Request) map[int64]bool {
	addr := s.sessionAddress(r)
	if addr == "" {
		return nil
	}
	ms, err := s.members.Memberships(r.Context(), addr)
	if err != nil {
		return nil
	}
	in := make(map[int64]bool, len(ms))
	for _, m := range ms {
		in[m.List.ID] = true
	}
	return in
}

// outboxRow is one queued copy as the outbox lists it.
type outboxRow struct {
	*store.Delivery
	List    string // the list's name; "" for a mail of no list
	Subject string // decoded
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
	names := map[int64]string{}
	if ls, err := s.st.Lists(r.Context()); err == nil {
		for _, l := range ls {
			names[l.ID] = l.Name
		}
	}
	rows := make([]outboxRow, len(ds))
	for i, d := range ds {
		rows[i] = outboxRow{Delivery: d, List: names[d.ListID], Subject: s.copySubject(r, d)}
	}
	s.renderPage(w, r, http.StatusOK, "outbox", s.tr(s.lang(r), "outbox"), struct {
		Counts     map[string]int
		Deliveries []outboxRow
		Next       int64
	}{counts, rows, next})
}

// copySubject is the decoded subject of a queued copy ("" when it cannot be
// rendered: the outbox still lists it).
func (s *Server) copySubject(r *http.Request, d *store.Delivery) string {
	c, err := s.render.Render(r.Context(), d)
	if err != nil {
		return ""
	}
	var buf bytes.Buffer
	if _, err := c.Message.WriteTo(&buf); err != nil {
		return ""
	}
	hdr, _ := mailmsg.SplitHeader(buf.Bytes())
	m, err := mail.ReadMessage(bytes.NewReader(append(hdr, "\r\n"...)))
	if err != nil {
		return ""
	}
	subj, _ := mailmsg.DecodeWords(m.Header.Get("Subject"))
	return subj
}

// outboxCopy shows one queued copy exactly as it would go to the relay, or with
// ?view=1 as its recipient would read it (decoded subject and text).
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
	if r.URL.Query().Get("view") == "1" {
		// The reading view: decoded subject and text, as the recipient would read it.
		if _, err := c.Message.WriteTo(&buf); err != nil {
			s.internalError(w, r, err)
			return
		}
		v, err := mailview.Render(buf.Bytes(), mailview.Options{Lang: s.lang(r)})
		if err != nil {
			s.internalError(w, r, err)
			return
		}
		lang := s.lang(r)
		s.renderPage(w, r, http.StatusOK, "outboxcopy", s.tr(lang, "outbox")+" #"+strconv.FormatInt(id, 10), struct {
			ID        int64
			Rcpt      string
			View      *mailview.View
			CreatedAt time.Time
		}{id, d.Rcpt, v, d.CreatedAt})
		return
	}
	buf.WriteString("X-Envelope-From: <" + c.From + ">\r\nX-Envelope-To: <" + d.Rcpt + ">\r\n")
	if _, err := c.Message.WriteTo(&buf); err != nil {
		s.internalError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Disposition", "inline; filename=\"copy-"+strconv.FormatInt(id, 10)+".eml\"")
	w.Write(buf.Bytes())
}
