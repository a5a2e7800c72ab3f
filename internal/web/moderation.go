package web

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"listd/internal/lists"
)

// Moderation is what the web's moderation queue asks of the list domain.
type Moderation interface {
	HeldPosts(ctx context.Context, moderator string) ([]lists.HeldPost, error)
	MayModerate(ctx context.Context, address string, heldID int64) (bool, error)
	Moderate(ctx context.Context, heldID int64, action, reason, actor string) error
	PreviewDigest(ctx context.Context, address, list, lang string) (html string, ok bool, err error)
}

// digestPreview shows owners and moderators the next digest as it stands. The
// newsletter's e-mail HTML carries its styles inline, so this one page allows inline
// styles; nothing else is loosened.
func (s *Server) digestPreview(w http.ResponseWriter, r *http.Request) {
	addr := s.sessionAddress(r)
	if addr == "" {
		http.Redirect(w, r, "/login?lang="+s.lang(r), http.StatusSeeOther)
		return
	}
	html, ok, err := s.moderation.PreviewDigest(r.Context(), addr, r.PathValue("name"), s.lang(r))
	switch {
	case errors.Is(err, lists.ErrNoSuchList):
		s.errorPage(w, r, http.StatusNotFound, "no_such_list")
		return
	case errors.Is(err, lists.ErrNoSuchMember):
		if l, err := s.st.ListByName(r.Context(), strings.ToLower(r.PathValue("name"))); err == nil && !lists.Announced(l) {
			// A private list is not there for those not on it.
			s.errorPage(w, r, http.StatusNotFound, "no_such_list")
			return
		}
		s.errorPage(w, r, http.StatusForbidden, "mod_forbidden")
		return
	case err != nil:
		s.internalError(w, r, err)
		return
	case !ok:
		s.showNotice(w, r, http.StatusOK, "digest_preview", "digest_nothing")
		return
	}
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	io.WriteString(w, html)
}

// modPage is the moderation queue of a logged-in moderator: the same decisions as a
// reply to the notice, through the same code and log.
func (s *Server) modPage(w http.ResponseWriter, r *http.Request) {
	addr := s.sessionAddress(r)
	if addr == "" {
		http.Redirect(w, r, "/login?lang="+s.lang(r), http.StatusSeeOther)
		return
	}
	lang := s.lang(r)
	data := struct {
		Held        []lists.HeldPost
		Done, Error string
	}{}
	status := http.StatusOK
	if r.Method == http.MethodPost {
		if !s.formGuard(w, r) {
			return
		}
		id, _ := strconv.ParseInt(r.PostFormValue("id"), 10, 64)
		action := r.PostFormValue("do")
		ok, err := s.moderation.MayModerate(r.Context(), addr, id)
		if err != nil {
			s.internalError(w, r, err)
			return
		}
		if !ok || (action != lists.ModApprove && action != lists.ModReject && action != lists.ModDiscard) {
			s.errorPage(w, r, http.StatusForbidden, "mod_forbidden")
			return
		}
		err = s.moderation.Moderate(r.Context(), id, action, r.PostFormValue("reason"), addr)
		var dec *lists.ErrDecided
		switch {
		case errors.As(err, &dec):
			data.Error, status = s.tr(lang, "mod_already")+" "+dec.By, http.StatusConflict
		case err != nil:
			s.internalError(w, r, err)
			return
		default:
			data.Done = s.tr(lang, "mod_done")
		}
	}
	held, err := s.moderation.HeldPosts(r.Context(), addr)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	data.Held = held
	s.renderForm(w, r, status, "mod", s.tr(lang, "mod_heading"), data)
}
