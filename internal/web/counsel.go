package web

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"listd/internal/counsel"
	"listd/internal/lists"
)

// Counselling is the search for centres (implemented by *lists.Service).
type Counselling interface {
	FindCenters(ctx context.Context, postal string, topics []string, kind string) (counsel.Result, error)
	CounselTopics(ctx context.Context) []string
	// CrisisLines are the site's crisis lines, shown at the top of the page.
	CrisisLines() []string
}

// crisisTopic is the counselling topic of a crisis: the page puts the crisis lines
// first and says so more plainly.
const crisisTopic = "krise"

// counselPage is "Beratung finden": centres near a postal code for a topic, with
// distance, address, hours, phone and a link to OpenStreetMap (no embedded map, no
// request to anyone else). The postal code is used for the search and not kept.
func (s *Server) counselPage(w http.ResponseWriter, r *http.Request) {
	lang := s.lang(r)
	q := r.URL.Query()
	data := struct {
		Postal, Topic, Place, Error string
		Topics                      []string
		Searched, Approximate       bool
		Nearby, Remote              []lists.CounselHit
		Crisis                      []string
		CrisisTopic                 bool
	}{Postal: strings.TrimSpace(q.Get("plz")), Topic: q.Get("thema"), Topics: s.counsel.CounselTopics(r.Context()),
		Crisis: s.counsel.CrisisLines()}
	data.CrisisTopic = data.Topic == crisisTopic
	status := http.StatusOK
	if data.Postal != "" && !germanPostal.MatchString(data.Postal) {
		data.Error, status = s.tr(lang, "error_postal"), http.StatusBadRequest
	} else if data.Postal != "" {
		if !s.limit.allow(r) {
			s.errorPage(w, r, http.StatusTooManyRequests, "too_many")
			return
		}
		var topics []string
		if data.Topic != "" {
			topics = []string{data.Topic}
		}
		res, err := s.counsel.FindCenters(r.Context(), data.Postal, topics, "web")
		switch {
		case errors.Is(err, counsel.ErrBadPostalCode):
			data.Error, status = s.tr(lang, "counsel_bad_postal"), http.StatusBadRequest
		case err != nil:
			s.internalError(w, r, err)
			return
		default:
			data.Searched, data.Approximate, data.Place = true, res.Approximate, res.Place
			data.Nearby, data.Remote = lists.CounselHits(res.Nearby), lists.CounselHits(res.Remote)
		}
	}
	s.renderPage(w, r, status, "counsel", s.tr(lang, "counsel_heading"), data)
}
