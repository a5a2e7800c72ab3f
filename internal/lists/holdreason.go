package lists

import (
	"regexp"
	"strings"

	"listd/internal/store"
)

// HoldReasonText is a held post's reason as stored, taken apart for a reader's
// language: the hold rules (holdReason, decide) store English sentences or
// "German / English" pairs, and the pages show the one of their language.
type HoldReasonText struct {
	// Key names a known English reason (the catalogue's page.hold_KEY, a format
	// taking Args); "" when the reason is a pair or unknown.
	Key  string
	Args []string
	// German and English are a stored pair's halves; both the whole reason when it is
	// neither known nor a pair.
	German, English string
}

// The English reasons the hold rules store, each with the key of its text.
var holdReasons = []struct {
	key string
	re  *regexp.Regexp
}{
	{"emergency", regexp.MustCompile(`^emergency: the list holds every post$`)},
	{"all", regexp.MustCompile(`^the list moderates every post$`)},
	{"first_post", regexp.MustCompile(`^first post of a new member$`)},
	{"nonmember", regexp.MustCompile(`^the sender is not a member$`)},
	{"size", regexp.MustCompile(`^size ([0-9]+) bytes is over the list's limit of ([0-9]+)$`)},
	{"attachment", regexp.MustCompile(`^attachment of type (.+) is not allowed$`)},
	{"keyword", regexp.MustCompile(`^contains the word „(.*)“$`)},
}

// ParseHoldReason takes a stored hold reason apart (see HoldReasonText).
func ParseHoldReason(reason string) HoldReasonText {
	for _, h := range holdReasons {
		if m := h.re.FindStringSubmatch(reason); m != nil {
			return HoldReasonText{Key: h.key, Args: m[1:], German: reason, English: reason}
		}
	}
	if de, en, ok := strings.Cut(reason, " / "); ok {
		return HoldReasonText{German: strings.TrimSpace(de), English: strings.TrimSpace(en)}
	}
	return HoldReasonText{German: reason, English: reason}
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
