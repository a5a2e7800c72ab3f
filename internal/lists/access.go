package lists

import "listd/internal/store"

// Viewer is how someone asking to read or act on a list has shown who they are.
type Viewer int

const (
	// Stranger has proven no address: a web visitor without a login session, or an
	// IMAP client logged in with SASL ANONYMOUS.
	Stranger Viewer = iota
	// LoggedIn has proven an address: a web login session or an IMAP login with a
	// password. Their membership (if any) is what the access rules look at.
	LoggedIn
	// SiteAdmin has proven an address that is a site admin's (Service.ViewerOf):
	// they may read, moderate and administer every list.
	SiteAdmin
)

// The access rules. Every adapter (web pages, feeds, search, the API, IMAP) asks
// these; none decides on its own. m is the viewer's membership of l, nil when the
// viewer is a stranger or not on the list. Each rule is an allow-list: an archive
// setting or a role it does not know grants nothing beyond what members get.

// MayRead reports whether the viewer may read l's archive: anyone a public one;
// members, moderators and owners (logged in) and site admins every other one.
func MayRead(l *store.List, m *store.Member, v Viewer) bool {
	if Archive(l.Archive) == ArchivePublic || v == SiteAdmin {
		return true
	}
	return v == LoggedIn && isMemberOf(l, m)
}

// MayModerate reports whether the viewer may decide on l's held posts: a logged-in
// moderator or owner of l, or a site admin.
func MayModerate(l *store.List, m *store.Member, v Viewer) bool {
	return v == SiteAdmin || v == LoggedIn && isMemberOf(l, m) && Role(m.Role).Moderates()
}

// MayAdminister reports whether the viewer may change l's settings and members: a
// logged-in owner of l, or a site admin.
func MayAdminister(l *store.List, m *store.Member, v Viewer) bool {
	return v == SiteAdmin || v == LoggedIn && isMemberOf(l, m) && Role(m.Role) == RoleOwner
}

// Announced reports whether l may be named to the public (directories, the API's
// list of lists, join forms, metrics): only lists whose archive is public or
// members-only. A private list, and any setting not known here, is named nowhere.
func Announced(l *store.List) bool {
	a := Archive(l.Archive)
	return a == ArchivePublic || a == ArchiveMembers
}

// isMemberOf reports whether m is a membership of l.
func isMemberOf(l *store.List, m *store.Member) bool {
	return m != nil && m.ListID == l.ID
}

// MayAdministerSite reports whether the viewer may change the site: create and
// delete lists, site settings, site admins. Only site admins may; a list's owner
// administers that list alone.
func MayAdministerSite(v Viewer) bool { return v == SiteAdmin }
