package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"listd/internal/lists"
	"listd/internal/mailview"
)

// Moderation is what the web's moderation queue asks of the list domain.
type Moderation interface {
	HeldPosts(ctx context.Context, moderator string) ([]lists.HeldPost, error)
	MayModerate(ctx context.Context, address string, heldID int64) (bool, error)
	Moderate(ctx context.Context, heldID int64, action, reason, actor string) error
	HeldCopy(ctx context.Context, heldID int64) ([]byte, error)
	PreviewDigest(ctx context.Context, address, list, lang string) (html string, ok bool, err error)
	// RevealHeldSender gives an owner the address of a held post's sender and
	// records it in the audit log.
	RevealHeldSender(ctx context.Context, by lists.Actor, heldID int64) (string, error)
}

var _ Moderation = (*lists.Service)(nil)

// revealed is the held post whose sender an owner asked to see, and the address.
type revealed struct {
	id   int64
	addr string
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

// The moderation queue on the web. Each decision has its own form, so that Enter in
// the reason field submits the rejection and nothing else; spam goes in bulk with
// the checkboxes of one discard form. Every decision goes through the list domain
// (lists.Service.Moderate), the same path as a reply to the notice.

const (
	heldShown = 50  // held posts on one page; the oldest first
	maxBulk   = 200 // posts one bulk discard may name
)

// rejectPresets are the short reasons a moderator may pick; the list domain turns
// each into a sentence in the poster's language (mail.reason_WORD).
var rejectPresets = []string{"namen", "thema", "ton", "werbung", "doppelt"}

// heldView is a held post as the queue shows it.
type heldView struct {
	lists.HeldPost
	Reason string         // why it waits, in the reader's language
	View   *mailview.View // the post rendered as the archive renders a message
	Owner  bool           // the viewer owns the post's list (may reveal the address)
	Shown  string         // the poster's address, after an owner asked for it
}

// modData is the queue page's data.
type modData struct {
	Held        []heldView
	More        int // waiting posts not shown
	Done, Error string
	Presets     []string
}

// modPage is the moderation queue of a logged-in moderator: the same decisions as a
// reply to the notice, through the same code and log.
func (s *Server) modPage(w http.ResponseWriter, r *http.Request) {
	addr := s.sessionAddress(r)
	if addr == "" {
		http.Redirect(w, r, "/login?lang="+s.lang(r), http.StatusSeeOther)
		return
	}
	// The queue shows posts before they are decided on, and on request an address.
	w.Header().Set("Cache-Control", "no-store")
	data := modData{Presets: rejectPresets}
	status := http.StatusOK
	var reveal revealed
	if r.Method == http.MethodPost {
		if !s.formGuard(w, r) {
			return
		}
		var done bool
		if status, done = s.modDecide(w, r, addr, &data, &reveal); done {
			return
		}
	}
	held, err := s.moderation.HeldPosts(r.Context(), addr)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	if len(held) > heldShown {
		data.More = len(held) - heldShown
		held = held[:heldShown]
	}
	lang := s.lang(r)
	owner := map[int64]bool{}
	for _, h := range held {
		v := heldView{HeldPost: h, Reason: s.holdReason(lang, h)}
		if v.View, err = s.renderHeld(r, h); err != nil {
			s.internalError(w, r, err)
			return
		}
		if _, ok := owner[h.List.ID]; !ok {
			if owner[h.List.ID], err = s.mayAdminister(r.Context(), h.List, addr); err != nil {
				s.internalError(w, r, err)
				return
			}
		}
		v.Owner = owner[h.List.ID]
		if reveal.id == h.Held.ID && v.Owner {
			v.Shown = reveal.addr
		}
		data.Held = append(data.Held, v)
	}
	s.renderForm(w, r, status, "mod", s.tr(lang, "mod_heading"), data)
}

// modDecide carries out the posted decision, filling in what the page says about
// it. It reports the page's status, and whether it has answered the request itself.
func (s *Server) modDecide(w http.ResponseWriter, r *http.Request, addr string, data *modData, reveal *revealed) (int, bool) {
	lang := s.lang(r)
	action := r.PostFormValue("do")
	if ids := r.PostForm["ids"]; len(ids) > 0 {
		return s.bulkDiscard(w, r, addr, action, ids, data)
	}
	id, _ := strconv.ParseInt(r.PostFormValue("id"), 10, 64)
	ok, err := s.moderation.MayModerate(r.Context(), addr, id)
	if err != nil {
		s.internalError(w, r, err)
		return 0, true
	}
	switch action {
	case lists.ModApprove, lists.ModReject, lists.ModDiscard, lists.ModAlways, lists.ModClaim, "reveal":
	default:
		ok = false
	}
	if !ok {
		s.errorPage(w, r, http.StatusForbidden, "mod_forbidden")
		return 0, true
	}
	if action == "reveal" {
		return s.revealPoster(w, r, addr, id, reveal)
	}
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	preset := r.PostFormValue("preset")
	if reason == "" {
		for _, p := range rejectPresets {
			if p == preset {
				reason = p // the list domain words it in the poster's language
			}
		}
	}
	told := true // whether a rejection reaches the poster
	if action == lists.ModReject {
		h, err := s.heldPost(r, addr, id)
		if err != nil {
			s.internalError(w, r, err)
			return 0, true
		}
		told = h == nil || lists.RejectionTold(h.Held)
	}
	err = s.moderation.Moderate(r.Context(), id, action, reason, addr)
	var dec *lists.ErrDecided
	switch {
	case errors.As(err, &dec):
		data.Error = s.tr(lang, "mod_already") + " " + s.decidedBy(lang, dec)
		return http.StatusConflict, false
	case errors.Is(err, lists.ErrNoSuchHeld):
		s.errorPage(w, r, http.StatusNotFound, "not_found")
		return 0, true
	case err != nil:
		s.internalError(w, r, err)
		return 0, true
	}
	key := "mod_result_" + action
	switch {
	case action == lists.ModReject && !told:
		key = "mod_result_reject_nobody"
	case action == lists.ModReject && reason == "":
		key = "mod_result_reject_plain"
	}
	data.Done = s.tr(lang, key)
	return http.StatusOK, false
}

// decidedBy names the moderator who decided a held post first, as the list domain
// gives them: an address on lists that are not anonymous, else a poster number.
func (s *Server) decidedBy(lang string, dec *lists.ErrDecided) string {
	if dec.Poster {
		return s.tr(lang, "mod_poster") + " " + dec.By
	}
	return dec.By
}

// bulkDiscard discards the posts named by ids (the spam form): all of them only if
// the viewer moderates each.
func (s *Server) bulkDiscard(w http.ResponseWriter, r *http.Request, addr, action string, ids []string, data *modData) (int, bool) {
	if action != lists.ModDiscard || len(ids) > maxBulk {
		s.errorPage(w, r, http.StatusForbidden, "mod_forbidden")
		return 0, true
	}
	var heldIDs []int64
	seen := map[int64]bool{}
	for _, v := range ids {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || seen[id] {
			continue
		}
		seen[id] = true
		ok, err := s.moderation.MayModerate(r.Context(), addr, id)
		if err != nil {
			s.internalError(w, r, err)
			return 0, true
		}
		if !ok {
			s.errorPage(w, r, http.StatusForbidden, "mod_forbidden")
			return 0, true
		}
		heldIDs = append(heldIDs, id)
	}
	discarded, already := 0, 0
	for _, id := range heldIDs {
		err := s.moderation.Moderate(r.Context(), id, lists.ModDiscard, "", addr)
		var dec *lists.ErrDecided
		switch {
		case errors.As(err, &dec), errors.Is(err, lists.ErrNoSuchHeld):
			already++
		case err != nil:
			s.internalError(w, r, err)
			return 0, true
		default:
			discarded++
		}
	}
	lang := s.lang(r)
	data.Done = fmt.Sprintf(s.tr(lang, "mod_result_bulk"), discarded)
	if already > 0 {
		data.Done += " " + fmt.Sprintf(s.tr(lang, "mod_result_bulk_already"), already)
	}
	return http.StatusOK, false
}

// heldPost is the waiting post id among those addr moderates; nil if none.
func (s *Server) heldPost(r *http.Request, addr string, id int64) (*lists.HeldPost, error) {
	held, err := s.moderation.HeldPosts(r.Context(), addr)
	if err != nil {
		return nil, err
	}
	for i := range held {
		if held[i].Held.ID == id {
			return &held[i], nil
		}
	}
	return nil, nil
}

// revealPoster shows an owner of the list the address of a held post's poster,
// after a fresh login, and records who asked.
func (s *Server) revealPoster(w http.ResponseWriter, r *http.Request, addr string, id int64, reveal *revealed) (int, bool) {
	h, err := s.heldPost(r, addr, id)
	if err != nil {
		s.internalError(w, r, err)
		return 0, true
	}
	if h != nil {
		ok, err := s.mayAdminister(r.Context(), h.List, addr)
		if err != nil {
			s.internalError(w, r, err)
			return 0, true
		}
		if !ok {
			s.errorPage(w, r, http.StatusForbidden, "reveal_forbidden")
			return 0, true
		}
		ss, _ := s.session(r)
		if !s.reconfirm(w, r, adminSession{Address: addr, Created: ss.Created, List: h.List}, "/mod?lang="+s.lang(r)) {
			return 0, true
		}
		// The list domain checks the right again and writes the audit entry.
		shown, err := s.moderation.RevealHeldSender(r.Context(), lists.Actor(addr), id)
		if errors.Is(err, lists.ErrNotAllowed) {
			s.errorPage(w, r, http.StatusForbidden, "reveal_forbidden")
			return 0, true
		}
		if err != nil {
			s.internalError(w, r, err)
			return 0, true
		}
		*reveal = revealed{id: id, addr: shown}
		return http.StatusOK, false
	}
	s.errorPage(w, r, http.StatusNotFound, "not_found")
	return 0, true
}

// renderHeld renders a held post the way the archive renders a message, from the
// copy its moderators get (on an anonymous list the archive copy): the archive's
// sanitizer, addresses masked, attachments listed by their masked names.
func (s *Server) renderHeld(r *http.Request, h lists.HeldPost) (*mailview.View, error) {
	raw, err := s.moderation.HeldCopy(r.Context(), h.Held.ID)
	if err != nil {
		return nil, fmt.Errorf("held post %d: %w", h.Held.ID, err)
	}
	return s.renderMessage(raw, s.lang(r), false, "", h.Held.Subject), nil
}

// renderMessage is the reading view of a stored message: the archive's renderer
// with addresses masked; attachments link below base when it is given. A message
// the renderer cannot read shows fallback as text.
func (s *Server) renderMessage(raw []byte, lang string, html bool, base, fallback string) *mailview.View {
	opt := mailview.Options{Lang: lang, MaskAddresses: true, PreferHTML: html}
	if base != "" {
		opt.AttachmentURL = func(i int) string { return base + "/a/" + strconv.Itoa(i) }
	}
	v, err := mailview.Render(raw, opt)
	if err != nil {
		s.log.Warn("render message", "err", err)
		return &mailview.View{Body: mailview.RenderText(fallback, mailview.Options{Lang: lang, MaskAddresses: true})}
	}
	return v
}

// holdReason is why a held post waits, in lang: the list domain's text for its
// reason code, or for a row held before codes were kept, the half of its stored
// "German / English" pair.
func (s *Server) holdReason(lang string, h lists.HeldPost) string {
	reason := h.ReasonIn(lang)
	if de, en, ok := strings.Cut(reason, " / "); ok {
		if lang == "en" {
			return strings.TrimSpace(en)
		}
		return strings.TrimSpace(de)
	}
	return maskAddresses(reason)
}
