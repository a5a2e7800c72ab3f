package lists

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"listd/internal/archive"
	"listd/internal/counsel"
	"listd/internal/i18n"
	"listd/internal/store"
)

// HoldCode says, in a word of the list domain, why a post waits for the moderators.
// The held post keeps the code and a detail (HoldReason); readers see the catalogue's
// hold.CODE text in their own language.
type HoldCode string

// The reasons for holding a post.
const (
	HoldEmergency   HoldCode = "emergency"    // the list holds every post for now
	HoldModerated   HoldCode = "moderated"    // the list moderates every post
	HoldFirstPost   HoldCode = "first_post"   // a new member's first posts
	HoldSize        HoldCode = "size"         // detail: the size and the limit in bytes
	HoldAttachment  HoldCode = "attachment"   // detail: the content type
	HoldKeyword     HoldCode = "keyword"      // detail: the word
	HoldCrisis      HoldCode = "crisis"       // detail: the crisis word
	HoldNonMember   HoldCode = "non_member"   // the sender is not a member
	HoldAutoSubject HoldCode = "auto_subject" // the subject looks like an automatic reply
	HoldAuthFail    HoldCode = "auth_fail"    // detail: the method that failed (dmarc, spf)
	HoldAuthNone    HoldCode = "auth_none"    // no aligned signature, another envelope sender
	HoldAuthSPF     HoldCode = "auth_spf"     // SPF published but not checkable here
	HoldAuthFrom    HoldCode = "auth_from"    // more than one author
)

// holdCodes are the codes the catalogue has a text for (TestHoldReasonTexts).
var holdCodes = []HoldCode{HoldEmergency, HoldModerated, HoldFirstPost, HoldSize, HoldAttachment, HoldKeyword,
	HoldCrisis, HoldNonMember, HoldAutoSubject, HoldAuthFail, HoldAuthNone, HoldAuthSPF, HoldAuthFrom}

// HoldReason is why a post is held: a code and, for some codes, a detail (several
// values separated by tabs).
type HoldReason struct {
	Code   HoldCode
	Detail string
}

func holdFor(code HoldCode, detail ...string) HoldReason {
	return HoldReason{Code: code, Detail: strings.Join(detail, "\t")}
}

func holdSize(size int, limit int64) HoldReason {
	return holdFor(HoldSize, strconv.Itoa(size), strconv.FormatInt(limit, 10))
}

// String is the code and detail for the log (no addresses in either).
func (r HoldReason) String() string {
	if r.Detail == "" {
		return string(r.Code)
	}
	return string(r.Code) + ": " + strings.ReplaceAll(r.Detail, "\t", " ")
}

// holdText renders r in lang from the catalogue. The text takes as many details as
// it has %s; a stored detail that has more or fewer fills what fits.
func holdText(cat *i18n.Catalog, lang i18n.Lang, r HoldReason) string {
	text := cat.T(lang, "hold."+string(r.Code))
	n := strings.Count(text, "%s")
	if n == 0 {
		return text
	}
	details := strings.Split(r.Detail, "\t")
	args := make([]any, n)
	for i := range args {
		args[i] = ""
		if i < len(details) {
			args[i] = details[i]
		}
	}
	return fmt.Sprintf(text, args...)
}

// bilingual is r in German, then English: the text kept in the held row for those
// who read it without the catalogue (the command line, older pages).
func bilingual(cat *i18n.Catalog, r HoldReason) string {
	return holdText(cat, i18n.German, r) + " / " + holdText(cat, i18n.English, r)
}

// HoldReasonText is why h waits, in lang (a language code; the site's language
// when listd does not speak it). Rows held before reasons were kept as codes show the
// text they stored.
func (s *Service) HoldReasonText(lang string, h *store.Held) string {
	if h == nil {
		return ""
	}
	code := HoldCode(h.ReasonCode)
	cat := s.cat.Load()
	if code == "" || !cat.Has("hold."+string(code)) {
		return h.Reason
	}
	return holdText(cat, i18n.Lang(s.lang(lang)), HoldReason{Code: code, Detail: h.ReasonDetail})
}

// crisisWord returns the first of the site's crisis words in p's subject or text,
// or "".
func (s *Service) crisisWord(p *archive.Parsed) string {
	text := strings.ToLower(p.Subject + "\n" + p.Text)
	for _, w := range s.cfg.CounselSettings.CrisisWords {
		if w = strings.ToLower(strings.TrimSpace(w)); w != "" && strings.Contains(text, w) {
			return w
		}
	}
	return ""
}

// crisisAtHold is whom a held post with crisis words answers at once with the crisis
// lines (a member who takes counselling replies), and the centres near them; nil
// when the post has no crisis words or its poster gets no such reply.
func (s *Service) crisisAtHold(ctx context.Context, l *store.List, p *archive.Parsed, auto bool) *crisisReply {
	if auto || p.FromAddr == "" || s.crisisWord(p) == "" {
		return nil
	}
	m, err := s.st.Member(ctx, l.ID, p.FromAddr)
	if err != nil || !m.AutoReplies {
		return nil
	}
	r := &crisisReply{member: m}
	if m.Postal != "" && s.cfg.Counsel != nil {
		if res, err := s.FindCenters(ctx, m.Postal, l.Topics, "first-post"); err == nil {
			r.centres = &res
		}
	}
	return r
}

type crisisReply struct {
	member  *store.Member
	centres *counsel.Result
}

// RejectionTold reports whether rejecting h sends its poster a note with the reason,
// as Moderate decides: never for automatic mail or a post without a sender address.
func RejectionTold(h *store.Held) bool {
	if h.FromAddr == "" {
		return false
	}
	auto, _ := Automatic(mustParse(h.Raw), h.EnvFrom)
	return !auto
}
