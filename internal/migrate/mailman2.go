package migrate

import (
	"bytes"
	"path/filepath"
	"regexp"
	"strings"
)

// Mailman 2 files, as the README tells an operator to make them on the old server:
//
//   - bin/dumpdb lists/LIST/config.pck > config.txt: the whole list as a Python
//     literal (members, digest_members, user_options, usernames, delivery_status,
//     owner, moderator).
//   - bin/list_members with -f (full names) and one of -r (regular), -d [mime|plain]
//     (digest), -n (delivery off), -m (moderated), one file each, named after what
//     they hold: regular.txt, digest.txt (digest-mime.txt, digest-plain.txt),
//     nomail.txt, moderated.txt; any other name is read as members getting each post.
//   - bin/config_list -o config_list.txt LIST: owner and moderator only.
//   - archives/private/LIST.mbox/LIST.mbox: the pipermail archive.

// FileKind is what a Mailman 2 export file holds.
type FileKind int

const (
	KindUnknown     FileKind = iota
	KindMbox                 // an mbox archive
	KindDumpdb               // bin/dumpdb output of config.pck
	KindConfigList           // bin/config_list -o output
	KindPickle               // config.pck itself, which listd does not read
	KindListMembers          // bin/list_members output
)

// listMembersKind is what a list_members output file holds, from its name.
type listMembersKind struct {
	mode         Mode
	digestFormat string
	moderated    bool
}

// Mailman2Kind tells from a file's name and first bytes what it holds.
func Mailman2Kind(name string, head []byte) FileKind {
	trimmed := bytes.TrimLeft(head, " \t\r\n\ufeff")
	switch {
	case bytes.HasPrefix(head, []byte("From ")):
		return KindMbox
	case strings.HasSuffix(strings.ToLower(name), ".pck") || bytes.HasPrefix(head, []byte{0x80}) || bytes.HasPrefix(head, []byte("}q")) ||
		bytes.HasPrefix(trimmed, []byte("(dp")):
		return KindPickle
	case bytes.Contains(head, []byte("start pickle file")) || bytes.HasPrefix(trimmed, []byte("{")):
		return KindDumpdb
	case configListRE.Match(head):
		return KindConfigList
	}
	return KindListMembers
}

var configListRE = regexp.MustCompile(`(?m)^## "[^"]*" mailing list configuration settings|^(real_name|owner|moderator)\s*=`)

func listMembersKindOf(name string) listMembersKind {
	base := strings.ToLower(filepath.Base(name))
	switch {
	case strings.Contains(base, "nomail") || strings.Contains(base, "disabled"):
		return listMembersKind{mode: ModeNoMail}
	case strings.Contains(base, "digest"):
		k := listMembersKind{mode: ModeDigest}
		if strings.Contains(base, "plain") {
			k.digestFormat = "plain"
		} else if strings.Contains(base, "mime") {
			k.digestFormat = "mime"
		}
		return k
	case strings.Contains(base, "non-moderated") || strings.Contains(base, "nonmoderated") || strings.Contains(base, "unmoderated"):
		return listMembersKind{mode: ModeEach}
	case strings.Contains(base, "moderated"):
		return listMembersKind{moderated: true}
	}
	return listMembersKind{mode: ModeEach}
}

// ReadListMembers reads bin/list_members output: one "addr" or "Full Name <addr>" a
// line; what the members get comes from the file's name (see above).
func (r *Roster) ReadListMembers(file string, data []byte) {
	k := listMembersKindOf(file)
	for i, line := range strings.Split(text(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		addr, name, err := address(line)
		if err != nil {
			r.skip(file, i+1, "%v", err)
			continue
		}
		r.add(Member{Address: addr, Name: name, Mode: k.mode, DigestFormat: k.digestFormat, Moderated: k.moderated,
			File: file, Line: i + 1, listed: true})
	}
}

// Mailman 2's user_options bits (Mailman/Defaults.py).
const (
	mm2DisableDelivery = 1
	mm2DisableMime     = 8
	mm2Moderate        = 128
)

// ReadDumpdb reads bin/dumpdb output of a list's config.pck.
func (r *Roster) ReadDumpdb(file string, data []byte) {
	s := text(data)
	i := strings.IndexByte(s, '{')
	if i < 0 {
		r.skip(file, 0, "no Python dict in it: is it bin/dumpdb output of config.pck?")
		return
	}
	v, _, err := parsePyLiteral(s[i:], 1+strings.Count(s[:i], "\n"))
	if err != nil {
		r.skip(file, 0, "not readable as bin/dumpdb output: %v", err)
		return
	}
	regular, digest := v.get("members"), v.get("digest_members")
	if regular == nil && digest == nil {
		r.skip(file, 0, "no members or digest_members in it: is it bin/dumpdb output of config.pck?")
		return
	}
	options, names, status := v.get("user_options"), v.get("usernames"), v.get("delivery_status")
	for _, set := range []struct {
		d    *pyValue
		mode Mode
	}{{regular, ModeEach}, {digest, ModeDigest}} {
		if set.d == nil || set.d.kind != pyDict {
			continue
		}
		for j := 0; j+1 < len(set.d.items); j += 2 {
			key := set.d.items[j]
			if key.kind != pyStr {
				r.skip(file, key.line, "a member that is not a string")
				continue
			}
			addr, _, err := address(key.str)
			if err != nil {
				r.skip(file, key.line, "%v", err)
				continue
			}
			m := Member{Address: addr, Mode: set.mode, File: file, Line: key.line, listed: true}
			if n := names.get(key.str); n != nil && n.kind == pyStr {
				m.Name = strings.TrimSpace(n.str)
			}
			flags := 0
			if o := options.get(key.str); o != nil && o.kind == pyNum {
				flags = int(o.num)
			}
			m.Moderated = flags&mm2Moderate != 0
			if set.mode == ModeDigest {
				m.DigestFormat = "mime"
				if flags&mm2DisableMime != 0 {
					m.DigestFormat = "plain"
				}
			}
			// delivery_status: address -> (status, time); 0 is enabled.
			if st := status.get(key.str); flags&mm2DisableDelivery != 0 ||
				st != nil && st.kind == pySeq && len(st.items) > 0 && st.items[0].kind == pyNum && st.items[0].num != 0 {
				m.Mode = ModeNoMail
			}
			r.add(m)
		}
	}
	r.readRoles(file, v.get("owner"), v.get("moderator"))
}

// ReadConfigList reads the owner and moderator settings of bin/config_list -o output
// (its other settings are the list's, which listd sets with `listd list set`).
func (r *Roster) ReadConfigList(file string, data []byte) {
	s := text(data)
	var owner, moderator *pyValue
	for _, loc := range assignRE.FindAllStringSubmatchIndex(s, -1) {
		name := s[loc[2]:loc[3]]
		v, _, err := parsePyLiteral(s[loc[1]:], 1+strings.Count(s[:loc[1]], "\n"))
		if err != nil {
			r.skip(file, 1+strings.Count(s[:loc[0]], "\n"), "%s: %v", name, err)
			continue
		}
		if name == "owner" {
			owner = v
		} else {
			moderator = v
		}
	}
	if owner == nil && moderator == nil {
		r.skip(file, 0, "no owner or moderator setting in it")
	}
	r.readRoles(file, owner, moderator)
}

var assignRE = regexp.MustCompile(`(?m)^(owner|moderator)\s*=\s*`)

func (r *Roster) readRoles(file string, owner, moderator *pyValue) {
	for _, set := range []struct {
		v    *pyValue
		role Role
	}{{owner, RoleOwner}, {moderator, RoleModerator}} {
		if set.v == nil || set.v.kind != pySeq {
			continue
		}
		for _, item := range set.v.items {
			if item.kind != pyStr {
				continue
			}
			addr, name, err := address(item.str)
			if err != nil {
				r.skip(file, item.line, "%s: %v", set.role, err)
				continue
			}
			r.add(Member{Address: addr, Name: name, Role: set.role, File: file, Line: item.line})
		}
	}
}
