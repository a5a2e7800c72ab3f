package lists

import (
	"testing"

	"listd/internal/store"
)

// TestAccessRules walks every archive setting against every kind of viewer.
func TestAccessRules(t *testing.T) {
	type viewer struct {
		name string
		m    *store.Member // the viewer's membership of the list
		v    Viewer
	}
	const listID = 7
	member := func(role Role) *store.Member {
		return &store.Member{ListID: listID, Address: "a@example.org", Role: string(role)}
	}
	viewers := []viewer{
		{"stranger", nil, Stranger},
		{"logged-in non-member", nil, LoggedIn},
		{"member of another list", &store.Member{ListID: listID + 1, Role: string(RoleOwner)}, LoggedIn},
		{"member", member(RoleMember), LoggedIn},
		{"moderator", member(RoleModerator), LoggedIn},
		{"owner", member(RoleOwner), LoggedIn},
		{"anonymous IMAP login", nil, Stranger},
		// A membership handed over with an anonymous login counts for nothing.
		{"anonymous IMAP login of an owner", member(RoleOwner), Stranger},
		{"member with an unknown role", member("admin"), LoggedIn},
		{"site admin", nil, SiteAdmin},
		{"site admin who is a member", member(RoleMember), SiteAdmin},
	}
	// want[archive][viewer name] = read, moderate, administer
	type rights struct{ read, moderate, administer bool }
	none, read := rights{}, rights{read: true}
	membersOnly := map[string]rights{
		"stranger": none, "logged-in non-member": none, "member of another list": none,
		"member": read, "moderator": {true, true, false}, "owner": {true, true, true},
		"anonymous IMAP login": none, "anonymous IMAP login of an owner": none,
		"member with an unknown role": read,
		"site admin":                  {true, true, true}, "site admin who is a member": {true, true, true},
	}
	public := map[string]rights{}
	for k, r := range membersOnly {
		r.read = true
		public[k] = r
	}
	for _, c := range []struct {
		archive   string
		announced bool
		want      map[string]rights
	}{
		{"public", true, public},
		{"members", true, membersOnly},
		{"private", false, membersOnly},
		// A setting not known here: readable by members only, named nowhere.
		{"Public", false, membersOnly},
		{"", false, membersOnly},
	} {
		l := &store.List{ID: listID, Name: "eltern", Archive: c.archive}
		if got := Announced(l); got != c.announced {
			t.Errorf("archive %q: Announced = %v, want %v", c.archive, got, c.announced)
		}
		for _, v := range viewers {
			want := c.want[v.name]
			got := rights{MayRead(l, v.m, v.v), MayModerate(l, v.m, v.v), MayAdminister(l, v.m, v.v)}
			if got != want {
				t.Errorf("archive %q, %s: read, moderate, administer = %v, want %v", c.archive, v.name, got, want)
			}
			if got := MayAdministerSite(v.v); got != (v.v == SiteAdmin) {
				t.Errorf("%s: MayAdministerSite = %v", v.name, got)
			}
		}
	}
}
