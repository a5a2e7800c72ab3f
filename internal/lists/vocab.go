package lists

import (
	"fmt"
	"strings"

	"listd/internal/command"
)

// The words of the list domain. The store keeps them as plain strings (its CHECK
// constraints name the same sets); these types are how the rest of listd speaks of
// them, and the Parse functions are the one place that says which words exist.

// Archive is who may read a list's archive.
type Archive string

const (
	ArchivePublic  Archive = "public"  // anyone, and the list is named in directories
	ArchiveMembers Archive = "members" // members only; the list is named in directories
	ArchivePrivate Archive = "private" // members only; the list is named nowhere public
)

// Mode is how a member gets the list's posts.
type Mode string

const (
	ModeEach   Mode = "each"   // every post on its own
	ModeDigest Mode = "digest" // a digest
	ModeNoMail Mode = "nomail" // no mail: the web and IMAP only
)

// Role is what a member may do on a list besides reading and posting.
type Role string

const (
	RoleMember    Role = "member"
	RoleModerator Role = "moderator" // decides on held posts
	RoleOwner     Role = "owner"     // moderates and administers the list
)

// Moderates reports whether the role may decide on held posts.
func (r Role) Moderates() bool { return r == RoleModerator || r == RoleOwner }

// NonmemberPolicy is what happens to a post from someone not on the list.
type NonmemberPolicy string

const (
	NonmemberHold    NonmemberPolicy = "hold"    // held for the moderators
	NonmemberReject  NonmemberPolicy = "reject"  // refused with a reply
	NonmemberDiscard NonmemberPolicy = "discard" // dropped without a word
)

// CrisisPolicy is what happens to a post with crisis words; either way the poster
// gets the crisis lines privately at once.
type CrisisPolicy string

const (
	CrisisHold    CrisisPolicy = "hold"    // held for the moderators
	CrisisPublish CrisisPolicy = "publish" // published at once, the moderators told
)

// CrisisPolicies are the crisis policies there are.
func CrisisPolicies() []CrisisPolicy { return []CrisisPolicy{CrisisHold, CrisisPublish} }

// ParseCrisisPolicy reads a crisis policy: hold or publish.
func ParseCrisisPolicy(s string) (CrisisPolicy, error) { return parseWord(s, CrisisPolicies()) }

// HeldState is where a held post stands.
type HeldState string

const (
	HeldWaiting   HeldState = "held"      // waiting for a moderator
	HeldApproved  HeldState = "approved"  // posted
	HeldRejected  HeldState = "rejected"  // refused, the author told
	HeldDiscarded HeldState = "discarded" // dropped
	HeldExpired   HeldState = "expired"   // nobody decided in time
)

// Archives are the archive settings there are, in the order help texts name them;
// Modes, Roles, NonmemberPolicies and HeldStates likewise.
func Archives() []Archive { return []Archive{ArchivePublic, ArchiveMembers, ArchivePrivate} }

// Modes are the delivery modes there are.
func Modes() []Mode { return []Mode{ModeEach, ModeDigest, ModeNoMail} }

// Roles are the roles there are.
func Roles() []Role { return []Role{RoleMember, RoleModerator, RoleOwner} }

// NonmemberPolicies are the non-member policies there are.
func NonmemberPolicies() []NonmemberPolicy {
	return []NonmemberPolicy{NonmemberHold, NonmemberReject, NonmemberDiscard}
}

// HeldStates are the states a held post can be in.
func HeldStates() []HeldState {
	return []HeldState{HeldWaiting, HeldApproved, HeldRejected, HeldDiscarded, HeldExpired}
}

// ParseArchive reads an archive setting: public, members or private.
func ParseArchive(s string) (Archive, error) { return parseWord(s, Archives()) }

// ParseMode reads a delivery mode: each, digest or nomail.
func ParseMode(s string) (Mode, error) { return parseWord(s, Modes()) }

// ParseRole reads a role: member, moderator or owner.
func ParseRole(s string) (Role, error) { return parseWord(s, Roles()) }

// ParseNonmemberPolicy reads a non-member policy: hold, reject or discard.
func ParseNonmemberPolicy(s string) (NonmemberPolicy, error) {
	return parseWord(s, NonmemberPolicies())
}

// ParseHeldState reads the state of a held post.
func ParseHeldState(s string) (HeldState, error) { return parseWord(s, HeldStates()) }

// DecidedState is the state a held post takes when a moderator decides with action
// (ModApprove, ModAlways, ModReject, ModDiscard); "" for any other action.
func DecidedState(action string) HeldState {
	switch action {
	case ModApprove, ModAlways:
		return HeldApproved
	case ModReject:
		return HeldRejected
	case ModDiscard:
		return HeldDiscarded
	}
	return ""
}

// parseWord returns the word of set that s is exactly (the words are lower case and
// so is what the store keeps), or an InputError naming the words allowed.
func parseWord[T ~string](s string, set []T) (T, error) {
	for _, w := range set {
		if string(w) == s {
			return w, nil
		}
	}
	return "", &InputError{Msg: fmt.Sprintf("%q: must be %s", s, Alternatives(set))}
}

// Alternatives lists words as "a, b or c", for help texts and errors.
func Alternatives[T ~string](set []T) string {
	ws := make([]string, len(set))
	for i, w := range set {
		ws[i] = string(w)
	}
	if len(ws) < 2 {
		return strings.Join(ws, "")
	}
	return strings.Join(ws[:len(ws)-1], ", ") + " or " + ws[len(ws)-1]
}

// flagErr names the flag (or form field) in a parse error: `-archive "x": must be ...`.
func flagErr(flag string, err error) error {
	return fieldErr(strings.ReplaceAll(flag, "-", "_"), "-%s %s", flag, err.Error())
}

// ErasePolicy is what erasing an address does with its posts ([privacy] erase_posts).
type ErasePolicy string

const (
	// ErasePostsAnonymize keeps the posts with the address and the names it used
	// replaced.
	ErasePostsAnonymize ErasePolicy = "anonymize"
	// ErasePostsDelete deletes the posts.
	ErasePostsDelete ErasePolicy = "delete"
)

// ErasePolicies are the erase policies there are.
func ErasePolicies() []ErasePolicy { return []ErasePolicy{ErasePostsAnonymize, ErasePostsDelete} }

// ParseErasePolicy reads an erase policy: anonymize or delete.
func ParseErasePolicy(s string) (ErasePolicy, error) { return parseWord(s, ErasePolicies()) }

// DeletesPosts reports whether the posts go with the address.
func (p ErasePolicy) DeletesPosts() bool { return p == ErasePostsDelete }

// Done says in a word what happened to the posts: "deleted" or "anonymized".
func (p ErasePolicy) Done() string {
	if p.DeletesPosts() {
		return "deleted"
	}
	return "anonymized"
}

// modeOf is the delivery mode a command to the -request address asks for; "" for
// a command that is not about the mode.
func modeOf(v command.Verb) Mode {
	switch v {
	case command.Each:
		return ModeEach
	case command.Digest:
		return ModeDigest
	case command.NoMail:
		return ModeNoMail
	}
	return ""
}
