package lists

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"strings"
	"testing"

	"listd/internal/store"
)

// TestSiteAdmins: the config's admins and those added are site admins whatever the
// case and +tag of the address; the access rules grant them every list; only added
// ones can be removed.
func TestSiteAdmins(t *testing.T) {
	s, _, _ := newService(t)
	s.cfg.Admins = []string{"Chair+x@Example.org"}
	ctx := context.Background()
	if _, err := s.AddSiteAdmin(ctx, ActorCLI, "Boss+a@Example.ORG"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddSiteAdmin(ctx, ActorCLI, "+x@example.org"); err == nil {
		t.Error("a site admin without a mailbox taken")
	}
	if _, err := s.AddSiteAdmin(ctx, ActorCLI, "boss@example.org"); !errors.Is(err, ErrExists) {
		t.Errorf("adding again: %v", err)
	}
	for _, c := range []struct {
		addr string
		want Viewer
	}{
		{"chair@example.org", SiteAdmin}, {"CHAIR+web@example.org", SiteAdmin}, {"boss@example.org", SiteAdmin},
		{"Boss+other@EXAMPLE.org", SiteAdmin}, {"anna@example.net", LoggedIn}, {"chair@example.net", LoggedIn}, {"", Stranger},
		{"+chair@example.org", LoggedIn}, {"@example.org", LoggedIn},
	} {
		if v, err := s.ViewerOf(ctx, c.addr); v != c.want || err != nil {
			t.Errorf("ViewerOf(%q) = %v, %v; want %v", c.addr, v, err, c.want)
		}
	}
	l, _ := s.List(ctx, "kita")
	l.Archive = string(ArchivePrivate)
	if !MayRead(l, nil, SiteAdmin) || !MayModerate(l, nil, SiteAdmin) || !MayAdminister(l, nil, SiteAdmin) {
		t.Error("a site admin on no list may not read, moderate and administer it")
	}
	as, err := s.SiteAdmins(ctx)
	if err != nil || fmt.Sprint(as) != "[{boss@example.org false} {chair@example.org true}]" {
		t.Errorf("SiteAdmins = %v, %v", as, err)
	}
	if _, err := s.RemoveSiteAdmin(ctx, ActorCLI, "chair@example.org"); err == nil || !strings.Contains(err.Error(), "config") {
		t.Errorf("removing a config admin: %v", err)
	}
	if _, err := s.RemoveSiteAdmin(ctx, ActorCLI, "BOSS+z@example.org"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.IsSiteAdmin(ctx, "boss@example.org"); ok {
		t.Error("still a site admin after admin rm")
	}
	es, _ := s.AuditLog(ctx, "", 0, 2)
	if len(es) != 2 || es[0].Action != AuditAdminRemove || es[1].Action != AuditAdminAdd || es[1].Detail != "boss@example.org" || es[1].Actor != ActorCLI {
		t.Errorf("audit log = %+v", es)
	}
}

// TestLoginLinkForSiteAdmin: a site admin on no list gets the login link; a
// stranger still gets nothing; both count against the mail limits.
func TestLoginLinkForSiteAdmin(t *testing.T) {
	s, db, _ := newService(t)
	s.cfg.Admins = []string{"chair@example.org"}
	ctx := context.Background()
	if _, err := s.AddSiteAdmin(ctx, ActorCLI, "boss@example.org"); err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"Chair+web@example.org", "boss@example.org", "nobody@example.org"} {
		if err := s.RequestLogin(ctx, a, ""); err != nil {
			t.Fatal(err)
		}
	}
	if n := mailsToMailbox(t, db, "chair@example.org"); n != 1 {
		t.Errorf("login mails to the config's admin: %d, want 1", n)
	}
	if n := mailsToMailbox(t, db, "boss@example.org"); n != 1 {
		t.Errorf("login mails to the added admin: %d, want 1", n)
	}
	if n := mailsToMailbox(t, db, "nobody@example.org"); n != 0 {
		t.Errorf("login mails to a stranger: %d", n)
	}
	// The mail limits hold for admins too.
	var limited bool
	for i := 0; i < 50 && !limited; i++ {
		limited = errors.Is(s.RequestLogin(ctx, fmt.Sprintf("chair+%d@example.org", i), ""), ErrRateLimited)
	}
	if !limited {
		t.Error("no limit on login links to a site admin")
	}
}

// TestBans: a banned mailbox, in any case and with any +tag, and every address
// under a banned domain may not join (operator, web, mail, import) nor post.
func TestBans(t *testing.T) {
	s, db, _ := newService(t)
	ctx := context.Background()
	if _, err := s.AddMember(ctx, "kita", "eve@example.org", MemberOptions{}); err != nil {
		t.Fatal(err)
	}
	if p, err := s.AddBan(ctx, "mod@example.org", "kita", "Eve+List@EXAMPLE.org"); err != nil || p != "eve@example.org" {
		t.Fatalf("ban = %q, %v", p, err)
	}
	if _, err := s.AddBan(ctx, ActorCLI, "kita", "@Spam.Example"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddBan(ctx, ActorCLI, "kita", "@spam.example"); !errors.Is(err, ErrExists) {
		t.Errorf("banning twice: %v", err)
	}
	for _, bad := range []string{"@", "@nodot", "not an address", "", "+x@example.org"} {
		if _, err := s.AddBan(ctx, ActorCLI, "kita", bad); err == nil {
			t.Errorf("ban %q taken", bad)
		}
	}
	for _, c := range []struct {
		addr   string
		banned bool
	}{
		{"eve@example.org", true}, {"EVE@Example.Org", true}, {"eve+kita@example.org", true}, {"Eve+x+y@EXAMPLE.ORG", true},
		{"x@spam.example", true}, {"x@mail.SPAM.example", true}, {"x+y@spam.example", true},
		{"evelyn@example.org", false}, {"x@notspam.example", false}, {"x@spam.example.org", false}, {"anna@example.net", false},
	} {
		t.Run(c.addr, func(t *testing.T) {
			if got, err := s.IsBanned(ctx, "kita", c.addr); got != c.banned || err != nil {
				t.Errorf("IsBanned = %v, %v", got, err)
			}
			_, err := s.AddMember(ctx, "kita", c.addr, MemberOptions{})
			if c.banned != errors.Is(err, ErrBanned) {
				t.Errorf("member add: %v", err)
			}
			err = s.RequestJoin(ctx, JoinRequest{List: "kita", Address: c.addr, Language: "en"})
			if c.banned != errors.Is(err, ErrBanned) {
				t.Errorf("join: %v", err)
			}
			// The web form shows it as an input error, in the asker's language.
			var inErr *InputError
			if c.banned && (!errors.As(err, &inErr) || inErr.Msg != "This address may not join or post to this list.") {
				t.Errorf("join: %v is no input error in English", err)
			}
			if !c.banned {
				return
			}
			_, err = s.ImportMembersCSV(ctx, ActorCLI, "kita", strings.NewReader("email\r\nok@example.net\r\n"+c.addr+"\r\n"), CSVImportOptions{})
			var ie *CSVImportError
			if !errors.As(err, &ie) || len(ie.Lines) != 1 || ie.Lines[0].Line != 3 || ie.Lines[0].Reason != CSVBanned {
				t.Errorf("CSV import: %v", err)
			}
			raw := fmt.Sprintf("From: %s\r\nSubject: hi\r\nMessage-ID: <%s@x>\r\n\r\nHallo\r\n", c.addr, strings.ReplaceAll(c.addr, "@", "."))
			err = deliver(t, s, c.addr, "kita@lists.example.org", raw)
			var rej *Rejection
			if !errors.As(err, &rej) || rej.Code != 550 || rej.Enhanced != [3]int{5, 7, 1} {
				t.Errorf("post: %v, want 550 5.7.1", err)
			}
		})
	}
	// A ban that comes after the request to join keeps the address out at confirming.
	if err := s.RequestJoin(ctx, JoinRequest{List: "kita", Address: "late@example.com"}); err != nil {
		t.Fatal(err)
	}
	var confirm []byte
	for _, m := range queuedMails(t, db) {
		if bytes.Contains(m.Raw, []byte("late@example.com")) {
			confirm = m.Raw
		}
	}
	if _, err := s.AddBan(ctx, ActorCLI, "kita", "late@example.com"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Confirm(ctx, confirmURLToken(t, confirm)); !errors.Is(err, ErrBanned) {
		t.Errorf("confirming after a ban: %v", err)
	}
	if _, err := s.RemoveBan(ctx, ActorCLI, "kita", "EVE+x@example.org"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.IsBanned(ctx, "kita", "eve@example.org"); ok {
		t.Error("banned after the ban was lifted")
	}
	bs, _ := s.Bans(ctx, "kita")
	if len(bs) != 2 || bs[0].Pattern != "@spam.example" || bs[1].Pattern != "late@example.com" {
		t.Errorf("bans = %+v", bs)
	}
	assertNoAddressInAudit(t, s, "eve", "late@")
	es, _ := s.AuditLog(ctx, "kita", 0, 0)
	byMod := 0
	for _, e := range es {
		if e.Actor == "mod@example.org" {
			byMod++
			if e.Action != AuditBanAdd || e.Detail != "poster "+string(s.posterNumber(&store.List{Name: "kita"}, "eve@example.org")) {
				t.Errorf("moderator's audit entry = %+v", e)
			}
		}
	}
	if byMod != 1 {
		t.Errorf("%d audit entries by the moderator, want 1", byMod)
	}
}

// assertNoAddressInAudit fails when an audit entry's detail holds any of words.
func assertNoAddressInAudit(t *testing.T, s *Service, words ...string) {
	t.Helper()
	es, err := s.AuditLog(context.Background(), "", 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		for _, w := range append(words, "@example.net", "@example.com") {
			if strings.Contains(strings.ToLower(e.Detail), w) {
				t.Errorf("audit entry %+v names %q", e, w)
			}
		}
	}
}

// TestMemberAdministration: set, re-enable, search and export a member, each
// recorded in the audit log without the member's address; bad values are named.
func TestMemberAdministration(t *testing.T) {
	s, db, _ := newService(t)
	ctx := context.Background()
	str := func(v string) *string { return &v }
	const owner = Actor("owner@example.org")
	m, err := s.SetMember(ctx, owner, "kita", "Anna@Example.net", MemberChange{Mode: str("digest"), Role: str("moderator"),
		Name: str("  Anna   K "), Postal: str("10115")})
	if err != nil || m.Mode != "digest" || m.Role != "moderator" || m.Name != "Anna K" || m.Postal != "10115" {
		t.Fatalf("set = %+v, %v", m, err)
	}
	for _, c := range []struct {
		change MemberChange
		word   string
	}{
		{MemberChange{Mode: str("weekly")}, "weekly"},
		{MemberChange{Role: str("admin")}, "admin"},
		{MemberChange{Postal: str("<script>")}, "<script>"},
		{MemberChange{Name: str("anna@example.net")}, "anna@example.net"},
		{MemberChange{Mode: str("each"), Role: str("boss")}, "boss"},
	} {
		_, err := s.SetMember(ctx, owner, "kita", "anna@example.net", c.change)
		var ie *InputError
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), c.word) {
			t.Errorf("set %q: %v, want an input error naming it", c.word, err)
		}
	}
	if got, _ := db.Member(ctx, 1, "anna@example.net"); got.Mode != "digest" || got.Role != "moderator" {
		t.Errorf("a refused change was half saved: %+v", got)
	}
	if _, err := s.SetMember(ctx, owner, "kita", "nobody@example.net", MemberChange{Mode: str("each")}); !errors.Is(err, ErrNoSuchMember) {
		t.Errorf("set of a non-member: %v", err)
	}
	// Bounces and re-enabling.
	err = db.Update(ctx, func(tx *store.Tx) error {
		m, err := tx.Member(1, "ben@example.net")
		if err != nil {
			return err
		}
		m.BounceScore, m.BounceLast, m.DisabledAt, m.BounceReason = 5, s.cfg.Now(), s.cfg.Now(), "5.1.1 user unknown"
		return tx.SaveMember(m)
	})
	if err != nil {
		t.Fatal(err)
	}
	ben, err := s.Member(ctx, "kita", "Ben <BEN@example.net>")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Member(ctx, "kita", "nobody@example.net"); !errors.Is(err, ErrNoSuchMember) {
		t.Errorf("Member of a non-member: %v", err)
	}
	if b := BouncesOf(ben); b.Score != 5 || b.Reason != "5.1.1 user unknown" || b.DisabledSince.IsZero() {
		t.Errorf("bounces = %+v", b)
	}
	if err := s.ReenableMember(ctx, owner, "kita", "BEN@example.net"); err != nil {
		t.Fatal(err)
	}
	ben, _ = db.Member(ctx, 1, "ben@example.net")
	if b := BouncesOf(ben); b != (Bounces{}) {
		t.Errorf("bounces after re-enabling = %+v", b)
	}
	// Search and paging.
	p, err := s.SearchMembers(ctx, "kita", MemberSearch{Query: "anna k"})
	if err != nil || p.Total != 1 || len(p.Members) != 1 || p.Next != "" {
		t.Errorf("search by name = %+v, %v", p, err)
	}
	p, err = s.SearchMembers(ctx, "kita", MemberSearch{Limit: 1})
	if err != nil || p.Total != 2 || len(p.Members) != 1 || p.Next != "anna@example.net" {
		t.Fatalf("first page = %+v, %v", p, err)
	}
	p, err = s.SearchMembers(ctx, "kita", MemberSearch{Limit: 1, After: p.Next})
	if err != nil || len(p.Members) != 1 || p.Members[0].Address != "ben@example.net" || p.Next != "" {
		t.Errorf("last page = %+v, %v", p, err)
	}
	// Export, and the export read back by the import.
	if _, err := s.SetMember(ctx, owner, "kita", "ben@example.net", MemberChange{Name: str("=1+2, Tom")}); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := s.ExportMembersCSV(ctx, owner, "kita", &out); err != nil {
		t.Fatal(err)
	}
	want := "email,name,mode,role,postal\r\nanna@example.net,Anna K,digest,moderator,10115\r\nben@example.net,\"'=1+2, Tom\",each,member,\r\n"
	if out.String() != want {
		t.Errorf("export =\n%q\nwant\n%q", out.String(), want)
	}
	ms, err := ParseMembersCSV(&out)
	if err != nil || len(ms) != 2 || ms[1].Name != "=1+2, Tom" || ms[0].Role != "moderator" || ms[0].Postal != "10115" {
		t.Errorf("export read back = %+v, %v", ms, err)
	}
	if err := s.RemoveMemberBy(ctx, owner, "kita", "ben@example.net"); err != nil {
		t.Fatal(err)
	}
	if err := s.InviteMember(ctx, owner, "kita", "cem@example.com", MemberOptions{Mode: "digest"}, "en"); err != nil {
		t.Fatal(err)
	}
	if n := mailsToMailbox(t, db, "cem@example.com"); n != 1 {
		t.Errorf("invitations sent: %d", n)
	}
	es, _ := s.AuditLog(ctx, "kita", 0, 0)
	var actions []string
	for _, e := range es {
		if e.Actor == owner {
			actions = append(actions, string(e.Action))
		}
	}
	if fmt.Sprint(actions) != "[member-invite member-remove member-export member-set member-reenable member-set]" {
		t.Errorf("owner's audit entries = %v", actions)
	}
	assertNoAddressInAudit(t, s, "anna", "ben")
}

// TestModerationIsAudited: a moderator's decision is in the audit log with the held
// post's number and the poster's number, not the text nor the address.
func TestModerationIsAudited(t *testing.T) {
	s, _, _ := newService(t)
	ctx := context.Background()
	if _, err := s.AddMember(ctx, "kita", "mod@example.org", MemberOptions{Role: "moderator", Mode: "nomail"}); err != nil {
		t.Fatal(err)
	}
	if err := deliver(t, s, "gast@example.com", "kita@lists.example.org", "From: gast@example.com\r\nSubject: Geheimnis\r\nMessage-ID: <h1@x>\r\n\r\nStreng vertraulich\r\n"); err != nil {
		t.Fatal(err)
	}
	held, _ := s.HeldPosts(ctx, "mod@example.org")
	if len(held) != 1 {
		t.Fatalf("held: %d", len(held))
	}
	if err := s.Moderate(ctx, held[0].Held.ID, ModReject, "thema", "mod@example.org"); err != nil {
		t.Fatal(err)
	}
	es, _ := s.AuditLog(ctx, "kita", 0, 1)
	want := fmt.Sprintf("reject held #%d from poster %s (with a reason)", held[0].Held.ID, s.posterNumber(held[0].List, "gast@example.com"))
	if len(es) != 1 || es[0].Action != AuditModerate || es[0].Actor != "mod@example.org" || es[0].Detail != want {
		t.Errorf("audit = %+v, want detail %q", es, want)
	}
	assertNoAddressInAudit(t, s, "gast", "geheimnis", "vertraulich")
	// A site admin on no list sees and decides the queue.
	s.cfg.Admins = []string{"chair@example.org"}
	if ok, err := s.MayModerate(ctx, "chair@example.org", held[0].Held.ID); !ok || err != nil {
		t.Errorf("site admin MayModerate = %v, %v", ok, err)
	}
}

// TestSiteSettings: the config's defaults, changed all or nothing, bad values named.
func TestSiteSettings(t *testing.T) {
	s, _, _ := newService(t)
	s.cfg.Site = SiteSettings{Name: "Alleinerziehende e.V.", TimeZone: "Europe/Berlin"}
	ctx := context.Background()
	ss, err := s.SiteSettings(ctx)
	if err != nil || ss.Name != "Alleinerziehende e.V." || ss.TimeZone != "Europe/Berlin" {
		t.Fatalf("defaults = %+v, %v", ss, err)
	}
	for _, bad := range []SiteSettings{
		{LogoURL: "javascript:alert(1)"}, {ImpressumURL: "//evil.example/x"}, {TimeZone: "Mars/Olympus"},
		{Name: "two\nlines"}, {DatenschutzURL: "ftp://x.example/"},
	} {
		if err := s.SetSiteSettings(ctx, "chair@example.org", bad); err == nil {
			t.Errorf("taken: %+v", bad)
		}
	}
	ss.LogoURL, ss.ImpressumURL, ss.Contact = "/static/logo.svg", "https://verein.example/impressum", "info@verein.example"
	if err := s.SetSiteSettings(ctx, "chair@example.org", ss); err != nil {
		t.Fatal(err)
	}
	got, _ := s.SiteSettings(ctx)
	if got != ss {
		t.Errorf("read back %+v, want %+v", got, ss)
	}
	es, _ := s.AuditLog(ctx, "", 0, 1)
	if len(es) != 1 || es[0].Action != AuditSiteSet || es[0].Detail != "contact,impressum_url,logo_url" {
		t.Errorf("audit = %+v", es)
	}
}

// TestDeleteListDomain: list rm removes the list, and its name can be used again.
func TestDeleteListDomain(t *testing.T) {
	s, _, _ := newService(t)
	ctx := context.Background()
	d, err := s.DeleteList(ctx, ActorCLI, "KITA")
	if err != nil || d.Members != 2 {
		t.Fatalf("delete = %+v, %v", d, err)
	}
	if _, err := s.List(ctx, "kita"); !errors.Is(err, ErrNoSuchList) {
		t.Errorf("list after delete: %v", err)
	}
	if _, err := s.DeleteList(ctx, ActorCLI, "kita"); !errors.Is(err, ErrNoSuchList) {
		t.Errorf("delete again: %v", err)
	}
	if _, err := s.CreateList(ctx, "kita", ListOptions{}); err != nil {
		t.Errorf("create again: %v", err)
	}
	if ms, _ := s.Members(ctx, "kita"); len(ms) != 0 {
		t.Errorf("members of the new list: %d", len(ms))
	}
	es, _ := s.AuditLog(ctx, "", 0, 0)
	if len(es) != 2 || es[0].Action != AuditListCreate || es[1].Action != AuditListDelete || es[1].List != "kita" ||
		es[1].Detail != "0 posts, 2 members, 0 held posts, 0 queued copies" {
		t.Errorf("audit = %+v", es)
	}
}

// TestRevealHeldSender: only the list's owners and site admins learn who sent a held
// post, and each time it is in the audit log.
func TestRevealHeldSender(t *testing.T) {
	s, _, _ := newService(t)
	s.cfg.Admins = []string{"chair@example.org"}
	ctx := context.Background()
	for _, m := range []struct{ addr, role string }{{"mod@example.org", "moderator"}, {"owner@example.org", "owner"}} {
		if _, err := s.AddMember(ctx, "kita", m.addr, MemberOptions{Role: m.role, Mode: "nomail"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := deliver(t, s, "gast@example.com", "kita@lists.example.org", "From: gast@example.com\r\nSubject: x\r\nMessage-ID: <r1@x>\r\n\r\nHallo\r\n"); err != nil {
		t.Fatal(err)
	}
	held, _ := s.HeldPosts(ctx, "")
	if len(held) != 1 {
		t.Fatalf("held: %d", len(held))
	}
	id := held[0].Held.ID
	for _, c := range []struct {
		by Actor
		ok bool
	}{{"mod@example.org", false}, {"anna@example.net", false}, {"stranger@example.org", false}, {"", false},
		{"owner@example.org", true}, {"Chair+x@example.org", true}} {
		addr, err := s.RevealHeldSender(ctx, c.by, id)
		if c.ok != (err == nil && addr == "gast@example.com") || !c.ok && !errors.Is(err, ErrNotAllowed) {
			t.Errorf("%q: %q, %v", c.by, addr, err)
		}
	}
	es, _ := s.AuditLog(ctx, "kita", 0, 2)
	if len(es) != 2 || es[0].Action != AuditMemberReveal || es[0].Actor != "chair+x@example.org" || es[1].Actor != "owner@example.org" {
		t.Errorf("audit = %+v", es)
	}
	assertNoAddressInAudit(t, s, "gast")
}

// FuzzParseBan: what a ban names is folded once and for all (parsing it again gives
// it back), and an address a ban of it names is covered by it.
func FuzzParseBan(f *testing.F) {
	for _, s := range []string{"Eve+x@Example.org", "@Spam.Example", "@", "Eve <eve@example.org>", "@bücher.example", "x@y", " @a.b "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		p, err := ParseBan(in)
		if err != nil {
			return
		}
		again, err := ParseBan(p)
		if err != nil || again != p {
			t.Fatalf("ParseBan(%q) = %q, then %q, %v", in, p, again, err)
		}
		if strings.HasPrefix(p, "@") {
			return
		}
		covered := false
		for _, q := range banPatterns(in) {
			covered = covered || q == p
		}
		if addr, _, err := NormalizeAddress(in); err == nil && !covered {
			for _, q := range banPatterns(addr) {
				covered = covered || q == p
			}
		}
		if !covered {
			t.Fatalf("ban %q of %q does not cover it (%v)", p, in, banPatterns(in))
		}
	})
}

// An address may begin with a character a spreadsheet reads as a formula (=, +, -
// and @ are allowed in a local part, and so are | ' / !): the export must not hand
// a spreadsheet a formula, and the import must read the export back as it was.
func TestMemberExportNoFormula(t *testing.T) {
	s, _, _ := newService(t)
	ctx := context.Background()
	const owner = Actor("owner@example.org")
	addrs := []string{"=cmd|'/ccalc'!a0@example.org", "-2+3@example.org", "'=x@example.org", "plain@example.org"}
	for _, a := range addrs {
		if _, err := s.AddMemberBy(ctx, owner, "kita", a, MemberOptions{Mode: "each", Name: "'-x"}); err != nil {
			t.Fatalf("add %s: %v", a, err)
		}
	}
	var out bytes.Buffer
	if err := s.ExportMembersCSV(ctx, owner, "kita", &out); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(out.Bytes())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range recs[1:] {
		for _, cell := range rec {
			if cell != "" && strings.ContainsRune("=+-@", rune(cell[0])) {
				t.Errorf("cell %q of %q starts a formula", cell, rec)
			}
		}
	}
	ms, err := ParseMembersCSV(bytes.NewReader(out.Bytes()))
	if err != nil {
		t.Fatalf("export read back = %+v, %v", ms, err)
	}
	got := map[string]string{}
	for _, m := range ms {
		got[m.Address] = m.Name
	}
	for _, a := range addrs {
		if name, ok := got[a]; !ok || name != "'-x" {
			t.Errorf("read back: %s missing or named %q (%v)", a, name, got)
		}
	}
}
