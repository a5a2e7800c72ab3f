package web

import (
	"encoding/xml"
	"io"
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"

	"listd/internal/archive"
	"listd/internal/store"
)

// Atom (RFC 4287) documents for a list and for a thread.
type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	Title   string      `xml:"title"`
	ID      string      `xml:"id"`
	Updated string      `xml:"updated"`
	Links   []atomLink  `xml:"link"`
	Entries []atomEntry `xml:"entry"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr,omitempty"`
	Href string `xml:"href,attr"`
	Type string `xml:"type,attr,omitempty"`
}

type atomEntry struct {
	Title   string     `xml:"title"`
	ID      string     `xml:"id"`
	Updated string     `xml:"updated"`
	Author  atomAuthor `xml:"author"`
	Link    atomLink   `xml:"link"`
	Content atomText   `xml:"content"`
}

type atomAuthor struct {
	Name string `xml:"name"`
}

type atomText struct {
	Type string `xml:"type,attr"`
	Text string `xml:",chardata"`
}

const feedTextLimit = 2000 // characters of each post in a feed entry

func (s *Server) feed(w http.ResponseWriter, r *http.Request, l *store.List, title, self, alternate string, ms []*store.Message) {
	lang := s.lang(r)
	base := s.cfg.BaseURL
	f := atomFeed{Title: title, ID: base + self, Links: []atomLink{{Rel: "self", Href: base + self, Type: "application/atom+xml"},
		{Rel: "alternate", Href: base + alternate, Type: "text/html"}}}
	var updated time.Time
	for _, m := range ms {
		if m.ReceivedAt.After(updated) {
			updated = m.ReceivedAt
		}
		link := base + "/" + l.Name + "/m/" + strconv.FormatInt(m.ID, 10)
		f.Entries = append(f.Entries, atomEntry{Title: m.Subject, ID: link, Updated: rfc3339(m.ReceivedAt),
			Author: atomAuthor{Name: s.author(lang, m.FromName)}, Link: atomLink{Rel: "alternate", Href: link, Type: "text/html"},
			Content: atomText{Type: "text", Text: truncateText(maskAddresses(m.Text), feedTextLimit)}})
	}
	if updated.IsZero() {
		updated = l.CreatedAt
	}
	f.Updated = rfc3339(updated)
	w.Header().Set("Content-Type", "application/atom+xml; charset=utf-8")
	io.WriteString(w, xml.Header)
	enc := xml.NewEncoder(w)
	if err := enc.Encode(f); err != nil {
		s.log.Warn("write feed", "list", l.Name, "err", err)
	}
}

// truncateText cuts s to at most n characters, at a rune boundary.
func truncateText(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i := 0
	for j := range s {
		if i == n {
			return s[:j] + " …"
		}
		i++
	}
	return s
}

func (s *Server) listFeed(w http.ResponseWriter, r *http.Request) {
	l, ok := s.listFor(w, r, false)
	if !ok {
		return
	}
	ms, err := s.st.Messages(r.Context(), l.ID, feedEntries, 0)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	s.feed(w, r, l, listTitle(l), "/"+l.Name+"/atom.xml", "/"+l.Name+"/", ms)
}

func (s *Server) threadFeed(w http.ResponseWriter, r *http.Request) {
	l, id, ms, ok := s.threadFor(w, r)
	if !ok {
		return
	}
	// Newest first, as feed readers expect; the feed keeps the latest entries.
	rev := make([]*store.Message, 0, min(len(ms), feedEntries))
	for i := len(ms) - 1; i >= 0 && len(rev) < feedEntries; i-- {
		rev = append(rev, ms[i])
	}
	idStr := strconv.FormatInt(id, 10)
	s.feed(w, r, l, ms[0].Subject, "/"+l.Name+"/t/"+idStr+"/atom.xml", "/"+l.Name+"/t/"+idStr, rev)
}

// mbox writes the archive copies of ms as an mboxrd download. Once the first
// message is out, an error can only end the download early; it is logged.
func (s *Server) mbox(w http.ResponseWriter, r *http.Request, l *store.List, filename string, ms []*store.Message) {
	if s.cfg.Copies == nil {
		s.errorPage(w, r, http.StatusNotFound, "not_found")
		return
	}
	w.Header().Set("Content-Type", "application/mbox")
	w.Header().Set("Content-Disposition", `attachment; filename="`+filename+`"`)
	mw := archive.NewMboxWriter(w)
	sender := l.Name + "@" + s.cfg.Domain
	for _, m := range ms {
		b, err := s.cfg.Copies.ArchiveCopy(r.Context(), l, m)
		if err != nil {
			s.log.Error("mbox download", "list", l.Name, "id", m.ID, "err", err)
			return
		}
		if err := mw.Write(sender, m.ReceivedAt, b); err != nil {
			return // the client went away
		}
	}
}

func (s *Server) threadMbox(w http.ResponseWriter, r *http.Request) {
	l, id, ms, ok := s.threadFor(w, r)
	if !ok {
		return
	}
	s.mbox(w, r, l, l.Name+"-thread-"+strconv.FormatInt(id, 10)+".mbox", ms)
}

// monthMaxPosts bounds one month's download; no list here comes near it.
const monthMaxPosts = 100000

func (s *Server) monthMbox(w http.ResponseWriter, r *http.Request) {
	l, month, _, ms, ok := s.monthFor(w, r, monthMaxPosts)
	if !ok {
		return
	}
	if len(ms) == 0 {
		s.errorPage(w, r, http.StatusNotFound, "not_found")
		return
	}
	s.mbox(w, r, l, l.Name+"-"+month+".mbox", ms)
}
