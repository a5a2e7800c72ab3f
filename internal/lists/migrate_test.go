package lists

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"listd/internal/migrate"
	"listd/internal/store"
)

func TestImportMigratedMembers(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name, anonymous, moderation string
		wantName                    string // Carla's name after the import
		wantModeration              string
		moderationOn                bool
	}{
		{"named, unmoderated list", "no", "none", "Carla K.", "first-post", true},
		{"anonymous, first-post", "yes", "first-post", "", "first-post", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, db, _ := newService(t)
			l, err := s.CreateList(ctx, "alt", ListOptions{Anonymous: tt.anonymous, Moderation: tt.moderation})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.AddMember(ctx, "alt", "anna@example.net", MemberOptions{Name: "Igel"}); err != nil {
				t.Fatal(err)
			}
			ms := []*migrate.Member{
				{Address: "anna@example.net", Name: "Anna Müller", Mode: migrate.ModeDigest, Role: migrate.RoleMember, File: "config.txt", Line: 3},
				{Address: "carla@example.net", Name: "Carla K.", Mode: migrate.ModeDigest, DigestFormat: "plain", Role: migrate.RoleOwner, File: "config.txt", Line: 4},
				{Address: "ben@example.net", Mode: migrate.ModeEach, Role: migrate.RoleMember, Moderated: true, File: "config.txt", Line: 5},
				{Address: "bad", Mode: migrate.ModeEach, Role: migrate.RoleMember, File: "config.txt", Line: 6},
			}
			var reported lines
			sum, err := s.ImportMigratedMembers(ctx, l, ms, reported.add)
			if err != nil {
				t.Fatal(err)
			}
			want := MigrationSummary{Added: 2, Existing: 1, Moderated: 1, ModeratedAddrs: []string{"ben@example.net"},
				NamesDropped: tt.anonymous == "yes", ModerationOn: tt.moderationOn}
			if !reflect.DeepEqual(sum, want) {
				t.Errorf("summary %+v, want %+v", sum, want)
			}
			if got := reported.String(); !strings.Contains(got, "config.txt:3: anna@example.net is already a member of alt (left as it is)") ||
				!strings.Contains(got, "config.txt:6: ") {
				t.Errorf("reported:\n%s", got)
			}
			anna, _ := db.Member(ctx, l.ID, "anna@example.net")
			carla, _ := db.Member(ctx, l.ID, "carla@example.net")
			ben, _ := db.Member(ctx, l.ID, "ben@example.net")
			if anna.Name != "Igel" || anna.Mode != "each" {
				t.Errorf("anna changed: %+v", anna)
			}
			if carla.Name != tt.wantName || carla.Mode != "digest" || carla.DigestFormat != "plain" || carla.Role != "owner" || !carla.Trusted {
				t.Errorf("carla: %+v", carla)
			}
			if ben.Trusted {
				t.Errorf("ben, moderated on the old list, is trusted")
			}
			if l2, _ := s.List(ctx, "alt"); l2.Moderation != tt.wantModeration {
				t.Errorf("moderation %q", l2.Moderation)
			}

			// The archive counts ben's old posts; KeepModerated takes them back, so that
			// his next post is held; carla (trusted) keeps hers.
			for _, addr := range []string{"ben@example.net", "carla@example.net"} {
				m, _ := db.Member(ctx, l.ID, addr)
				m.Posts = 3
				if err := db.Update(ctx, func(tx *store.Tx) error { return tx.SaveMember(m) }); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.KeepModerated(ctx, l, append(sum.ModeratedAddrs, "carla@example.net", "gone@example.net")); err != nil {
				t.Fatal(err)
			}
			ben, _ = db.Member(ctx, l.ID, "ben@example.net")
			carla, _ = db.Member(ctx, l.ID, "carla@example.net")
			if ben.Posts != 0 || carla.Posts != 3 {
				t.Errorf("posts: ben %d, carla %d", ben.Posts, carla.Posts)
			}

			// Again: nothing added.
			sum, err = s.ImportMigratedMembers(ctx, l, ms, nil)
			if err != nil || sum.Added != 0 || sum.Existing != 3 {
				t.Errorf("again: %+v, %v", sum, err)
			}
		})
	}
}
