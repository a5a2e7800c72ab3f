package lists

import (
	"errors"
	"testing"

	"listd/internal/command"
)

func TestParseVocabulary(t *testing.T) {
	type parser func(string) (string, error)
	var archive parser = func(s string) (string, error) { v, err := ParseArchive(s); return string(v), err }
	var mode parser = func(s string) (string, error) { v, err := ParseMode(s); return string(v), err }
	var role parser = func(s string) (string, error) { v, err := ParseRole(s); return string(v), err }
	var nonmember parser = func(s string) (string, error) { v, err := ParseNonmemberPolicy(s); return string(v), err }
	var held parser = func(s string) (string, error) { v, err := ParseHeldState(s); return string(v), err }
	var erase parser = func(s string) (string, error) { v, err := ParseErasePolicy(s); return string(v), err }
	for _, c := range []struct {
		name, in string
		parse    parser
		want     string // "" for an error
		msg      string // the error's text
	}{
		{"archive public", "public", archive, "public", ""},
		{"archive members", "members", archive, "members", ""},
		{"archive private", "private", archive, "private", ""},
		{"archive empty", "", archive, "", `"": must be public, members or private`},
		{"archive case", "Public", archive, "", `"Public": must be public, members or private`},
		{"archive space", "public ", archive, "", `"public ": must be public, members or private`},
		{"archive other word", "each", archive, "", `"each": must be public, members or private`},
		{"mode each", "each", mode, "each", ""},
		{"mode digest", "digest", mode, "digest", ""},
		{"mode nomail", "nomail", mode, "nomail", ""},
		{"mode webonly", "webonly", mode, "", `"webonly": must be each, digest or nomail`},
		{"role member", "member", role, "member", ""},
		{"role moderator", "moderator", role, "moderator", ""},
		{"role owner", "owner", role, "owner", ""},
		{"role admin", "admin", role, "", `"admin": must be member, moderator or owner`},
		{"nonmember hold", "hold", nonmember, "hold", ""},
		{"nonmember reject", "reject", nonmember, "reject", ""},
		{"nonmember discard", "discard", nonmember, "discard", ""},
		{"nonmember accept", "accept", nonmember, "", `"accept": must be hold, reject or discard`},
		{"held held", "held", held, "held", ""},
		{"held approved", "approved", held, "approved", ""},
		{"held rejected", "rejected", held, "rejected", ""},
		{"held discarded", "discarded", held, "discarded", ""},
		{"held expired", "expired", held, "expired", ""},
		{"held queued", "queued", held, "", `"queued": must be held, approved, rejected, discarded or expired`},
		{"erase anonymize", "anonymize", erase, "anonymize", ""},
		{"erase delete", "delete", erase, "delete", ""},
		{"erase keep", "keep", erase, "", `"keep": must be anonymize or delete`},
		{"erase empty", "", erase, "", `"": must be anonymize or delete`},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.parse(c.in)
			if c.want != "" {
				if err != nil || got != c.want {
					t.Fatalf("parse(%q) = %q, %v; want %q", c.in, got, err, c.want)
				}
				return
			}
			var ie *InputError
			if !errors.As(err, &ie) || ie.Msg != c.msg || got != "" {
				t.Fatalf("parse(%q) = %q, %v; want InputError %q", c.in, got, err, c.msg)
			}
		})
	}
}

func TestErasePolicyWords(t *testing.T) {
	for p, want := range map[ErasePolicy]string{ErasePostsAnonymize: "anonymized", ErasePostsDelete: "deleted"} {
		if p.Done() != want || p.DeletesPosts() != (p == ErasePostsDelete) {
			t.Errorf("%s: Done %q, DeletesPosts %v", p, p.Done(), p.DeletesPosts())
		}
	}
}

func TestRoleModerates(t *testing.T) {
	for r, want := range map[Role]bool{RoleMember: false, RoleModerator: true, RoleOwner: true, "": false, "Owner": false, "admin": false} {
		if r.Moderates() != want {
			t.Errorf("Role(%q).Moderates() = %v, want %v", r, !want, want)
		}
	}
}

// FuzzParseVocabulary: every parser accepts exactly its own words, returns the
// input unchanged when it accepts, and never panics.
func FuzzParseVocabulary(f *testing.F) {
	for _, s := range []string{"", "public", "members", "private", "each", "digest", "nomail", "member", "moderator",
		"owner", "hold", "reject", "discard", "held", "approved", "expired", "PUBLIC", "public\x00", "ü"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		check := func(got string, err error, set []string) {
			known := false
			for _, w := range set {
				known = known || w == s
			}
			if known != (err == nil) || (err == nil && got != s) || (err != nil && got != "") {
				t.Fatalf("%q: got %q, %v", s, got, err)
			}
		}
		a, err := ParseArchive(s)
		check(string(a), err, []string{"public", "members", "private"})
		m, err := ParseMode(s)
		check(string(m), err, []string{"each", "digest", "nomail"})
		r, err := ParseRole(s)
		check(string(r), err, []string{"member", "moderator", "owner"})
		n, err := ParseNonmemberPolicy(s)
		check(string(n), err, []string{"hold", "reject", "discard"})
		h, err := ParseHeldState(s)
		check(string(h), err, []string{"held", "approved", "rejected", "discarded", "expired"})
		p, err := ParseErasePolicy(s)
		check(string(p), err, []string{"anonymize", "delete"})
	})
}

func TestDecidedState(t *testing.T) {
	for action, want := range map[string]HeldState{ModApprove: HeldApproved, ModAlways: HeldApproved, ModReject: HeldRejected,
		ModDiscard: HeldDiscarded, ModClaim: "", "": "", "approved": ""} {
		if got := DecidedState(action); got != want {
			t.Errorf("DecidedState(%q) = %q, want %q", action, got, want)
		}
	}
}

func TestAlternatives(t *testing.T) {
	for _, c := range []struct {
		in   []string
		want string
	}{
		{nil, ""}, {[]string{"a"}, "a"}, {[]string{"a", "b"}, "a or b"}, {[]string{"a", "b", "c"}, "a, b or c"},
	} {
		if got := Alternatives(c.in); got != c.want {
			t.Errorf("Alternatives(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestModeOfCommand(t *testing.T) {
	for v, want := range map[command.Verb]Mode{command.Each: ModeEach, command.Digest: ModeDigest, command.NoMail: ModeNoMail,
		command.Name: "", command.Postal: ""} {
		if got := modeOf(v); got != want {
			t.Errorf("modeOf(%q) = %q, want %q", v, got, want)
		}
	}
}
