package store

import (
	"context"
	"testing"
	"time"
)

// FiguresOf counts per list and month, one list or all, and names nobody.
func TestFiguresOf(t *testing.T) {
	ctx := context.Background()
	db := open(t)
	now := time.Now().UTC()
	month := now.Format("2006-01")
	ids := map[string]int64{}
	for _, name := range []string{"kita", "umgang"} {
		l := &List{Name: name, Archive: "public", Moderation: "none"}
		if err := db.CreateList(ctx, l); err != nil {
			t.Fatal(err)
		}
		ids[name] = l.ID
	}
	for _, m := range []struct{ list, addr, mode string }{
		{"kita", "a@example.net", "each"}, {"kita", "b@example.net", "digest"}, {"umgang", "a@example.net", "each"},
	} {
		if _, err := db.ImportMembers(ctx, []*Member{{ListID: ids[m.list], Address: m.addr, Mode: m.mode, Role: "member"}}); err != nil {
			t.Fatal(err)
		}
	}
	for i, from := range []string{"a@example.net", "a@example.net", "b@example.net"} {
		if _, err := db.AcceptPost(ctx, &Post{ListID: ids["kita"], MessageID: string(rune('a'+i)) + "@x", Subject: "s", FromAddr: from,
			Date: now, Raw: []byte("Subject: s\r\n\r\nx\r\n")}); err != nil {
			t.Fatal(err)
		}
	}
	count := func(fs []Figure, name, list, label string) int {
		for _, f := range fs {
			if f.Name == name && f.List == list && f.Label == label {
				return f.Count
			}
		}
		return 0
	}
	all, err := db.FiguresOf(ctx, FigureQuery{Since: month})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, list, label string
		want              int
	}{
		{"readers", "kita", "each", 1}, {"readers", "kita", "digest", 1}, {"readers", "umgang", "each", 1},
		{"joined", "kita", month, 2}, {"joined", "umgang", month, 1},
		{"posters", "kita", month, 2}, {"first_posts", "kita", month, 2}, {"posters", "umgang", month, 0},
	} {
		if got := count(all, c.name, c.list, c.label); got != c.want {
			t.Errorf("%s %s %s: %d, want %d", c.name, c.list, c.label, got, c.want)
		}
	}
	one, err := db.FiguresOf(ctx, FigureQuery{Since: month, ListID: ids["umgang"]})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range one {
		if f.List != "umgang" {
			t.Errorf("one list's figures hold %+v", f)
		}
	}
	later, err := db.FiguresOf(ctx, FigureQuery{Since: now.AddDate(0, 1, 0).Format("2006-01")})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range later {
		if f.Name != "readers" {
			t.Errorf("a month not begun has %+v", f)
		}
	}
}
