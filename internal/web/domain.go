package web

import "listd/internal/lists"

// ListDomain is the parts of the list domain that the pages beyond reading and joining
// call, each a small interface set at construction: cmd/listd sets every one to its
// *lists.Service (ListDomainOf), which the assertions below check when it is built, so a
// missing method is a build error rather than a page that answers 404. A part left
// nil leaves its pages out (tests serve some pages only).
type ListDomain struct {
	SiteAdmins   SiteAdmins   // who is a site admin
	Viewers      Viewers      // what kind of viewer a proven address is
	Privacy      Privacy      // a member's own data and posts: export, erase, withdraw
	AppPasswords AppPasswords // passwords for mail programs (settings page)
	Owner        OwnerDomain  // the list owners' pages below /NAME/admin
	Site         SiteDomain   // the site admins' pages below /admin
	Writing      Writing      // writing, asking and following on the web
}

// FullListDomain has every part of ListDomain.
type FullListDomain interface {
	SiteAdmins
	Viewers
	Privacy
	AppPasswords
	OwnerDomain
	SiteDomain
	Writing
}

var (
	_ SiteAdmins     = (*lists.Service)(nil)
	_ Viewers        = (*lists.Service)(nil)
	_ Privacy        = (*lists.Service)(nil)
	_ AppPasswords   = (*lists.Service)(nil)
	_ OwnerDomain    = (*lists.Service)(nil)
	_ SiteDomain     = (*lists.Service)(nil)
	_ Writing        = (*lists.Service)(nil)
	_ FullListDomain = (*lists.Service)(nil)
)

// ListDomainOf is every part of the list domain from d.
func ListDomainOf(d FullListDomain) ListDomain {
	return ListDomain{SiteAdmins: d, Viewers: d, Privacy: d, AppPasswords: d, Owner: d, Site: d, Writing: d}
}
