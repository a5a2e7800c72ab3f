package web

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"listd/internal/lists"
	"listd/internal/store"
)

// TestArchiveAccessByViewer serves every archive setting to every kind of web
// visitor: pages, feeds, search and the API all follow lists.MayRead, and the
// directory follows lists.Announced.
func TestArchiveAccessByViewer(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	roles := map[string]lists.Role{"member": lists.RoleMember, "moderator": lists.RoleModerator, "owner": lists.RoleOwner}
	for _, a := range lists.Archives() {
		l := &store.List{Name: string(a), Archive: string(a), Moderation: "none"}
		if err := db.CreateList(ctx, l); err != nil {
			t.Fatal(err)
		}
		for who, role := range roles {
			if _, err := db.ImportMembers(ctx, []*store.Member{{ListID: l.ID, Address: who + "@example.net",
				Mode: string(lists.ModeEach), Role: string(role)}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	srv, _ := serveStore(t, db, Config{})

	// One login session per visitor who has one; the stranger has none.
	sessions := map[string]string{}
	for i, who := range []string{"nonmember", "member", "moderator", "owner"} {
		s := strings.Repeat(string(rune('a'+i)), 64)
		if err := db.CreateSession(ctx, hashHex(s), who+"@example.net", time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		sessions[who] = s
	}
	fetch := func(who, path string) (int, string) {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		if s, ok := sessions[who]; ok {
			req.AddCookie(&http.Cookie{Name: sessionCookie, Value: s})
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	// want[archive][visitor] is the status of a list's pages and API.
	readers := map[string]int{"stranger": 200, "nonmember": 200, "member": 200, "moderator": 200, "owner": 200}
	want := map[lists.Archive]map[string]int{
		lists.ArchivePublic:  readers,
		lists.ArchiveMembers: {"stranger": 403, "nonmember": 403, "member": 200, "moderator": 200, "owner": 200},
		lists.ArchivePrivate: {"stranger": 404, "nonmember": 404, "member": 200, "moderator": 200, "owner": 200},
	}
	for a, byVisitor := range want {
		for who, status := range byVisitor {
			for _, path := range []string{"/NAME/", "/NAME/atom.xml", "/NAME/search?q=x", "/api/v1/lists/NAME/messages"} {
				path = strings.ReplaceAll(path, "NAME", string(a))
				if got, body := fetch(who, path); got != status {
					t.Errorf("%s archive, %s, %s: status %d, want %d\n%s", a, who, path, got, status, body)
				}
			}
		}
	}

	// The directory names the public and members-only lists to everyone, and the
	// private one to no one (not even its members: it is not a directory entry).
	for _, who := range []string{"stranger", "nonmember", "member", "owner"} {
		_, body := fetch(who, "/api/v1/lists")
		var ls []struct{ Name string }
		if err := json.Unmarshal([]byte(body), &ls); err != nil {
			t.Fatal(err)
		}
		named := map[string]bool{}
		for _, l := range ls {
			named[l.Name] = true
		}
		for _, a := range lists.Archives() {
			l := &store.List{Archive: string(a)}
			if named[string(a)] != lists.Announced(l) {
				t.Errorf("%s: /api/v1/lists names the %s list: %v", who, a, named[string(a)])
			}
		}
	}
}
