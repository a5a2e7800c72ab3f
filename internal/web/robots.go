package web

import (
	"io/fs"
	"net/http"
	"strings"

	"listd/internal/lists"
	"listd/internal/store"
)

// robots serves robots.txt. Crawlers may read the start page, the counselling
// search and the archives of the lists whose owners turned indexing on (a public
// archive with the list setting indexing); everything else is closed to them. It
// names only those lists: a list that is not public never appears, not even as a
// path to avoid.
func (s *Server) robots(w http.ResponseWriter, r *http.Request) {
	ls, err := s.st.Lists(r.Context())
	if err != nil {
		s.log.Error("serving request", "path", r.URL.Path, "err", err)
		ls = nil // closed to crawlers, as when no list allows indexing
	}
	var b strings.Builder
	b.WriteString("User-agent: *\nAllow: /$\nAllow: /beratung$\nAllow: /static/\nAllow: /favicon.ico\n")
	for _, l := range ls {
		if indexing(l) {
			b.WriteString("Allow: /" + l.Name + "/\nDisallow: /" + l.Name + "/search\n")
		}
	}
	b.WriteString("Disallow: /\n")
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte(b.String()))
}

// indexing reports whether search engines may index l's archive: only a public
// archive whose owner turned indexing on.
func indexing(l *store.List) bool {
	return l.Indexing && lists.Announced(l) && lists.MayRead(l, nil, lists.Stranger)
}

// indexable reports whether the page of r may be indexed (the robots meta tag says
// the same as robots.txt): the start page, the counselling search and the archive
// pages of a list with indexing on, but not its search.
func (s *Server) indexable(r *http.Request) bool {
	p := r.URL.Path
	if p == "/" || p == "/beratung" {
		return true
	}
	name, rest, ok := strings.Cut(strings.TrimPrefix(p, "/"), "/")
	if !ok || rest == "search" || strings.HasPrefix(rest, "search") {
		return false
	}
	l, err := s.st.ListByName(r.Context(), strings.ToLower(name))
	return err == nil && indexing(l)
}

// favicon serves the site's icon, an SVG (every current browser takes one at
// /favicon.ico when the type says so).
func (s *Server) favicon(w http.ResponseWriter, r *http.Request) {
	b, err := fs.ReadFile(s.static, "favicon.svg")
	if err != nil {
		s.errorPage(w, r, http.StatusNotFound, "not_found")
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	w.Write(b)
}
