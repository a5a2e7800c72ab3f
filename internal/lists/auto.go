package lists

import (
	"strings"

	"listd/internal/archive"
)

// Automatic reports whether a message was sent by a program rather than a person, so
// that listd never answers it (RFC 3834 §2, and the common practice around it): an
// Auto-Submitted value other than "no", Precedence bulk/junk/list, a List-Id (mail
// from a list), an autoresponder's vendor header, a null return path, or a sender that
// is a mailer daemon or a no-reply address.
func Automatic(p *archive.Parsed, envFrom string) (bool, string) {
	if p.AutoSubmitted != "" && p.AutoSubmitted != "no" {
		return true, "Auto-Submitted: " + p.AutoSubmitted
	}
	switch p.Precedence {
	case "bulk", "junk", "list":
		return true, "Precedence: " + p.Precedence
	}
	if p.ListID != "" {
		return true, "List-Id"
	}
	if p.AutoReply {
		return true, "autoresponder header"
	}
	if envFrom == "" || envFrom == "<>" {
		return true, "null return path"
	}
	for _, a := range []string{envFrom, p.FromAddr} {
		local, _, _ := strings.Cut(strings.ToLower(a), "@")
		bare := strings.NewReplacer("-", "", "_", "", ".", "").Replace(local)
		switch {
		case local == "mailer-daemon", local == "postmaster", local == "listserv", local == "majordomo",
			strings.HasPrefix(local, "owner-"), strings.HasSuffix(local, "-request"), strings.HasSuffix(local, "-bounces"),
			strings.Contains(bare, "noreply"), strings.Contains(bare, "donotreply"):
			return true, "sender " + local
		}
	}
	return false, ""
}
