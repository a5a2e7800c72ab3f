package store

import (
	"context"
	"reflect"
	"testing"
)

// TestCreateListColumns: CreateList writes every setting column that SaveList
// writes (settingColumns), and a List that leaves them zero gets the schema's
// defaults.
func TestCreateListColumns(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	// full differs from the defaults in every setting; a new setting column
	// must be given a value here (the test says which).
	full := &List{Name: "voll", Title: "Kita", Description: "Alles zur Kita", Archive: "members",
		Moderation: "all", Topics: []string{"kita", "schule"}, Anonymous: true, RetentionMonths: 24,
		Nonmember: "reject", FirstPosts: 3, MaxSize: 1 << 20, AttachmentTypes: []string{"image/*"},
		HoldKeywords: []string{"geld"}, Emergency: true, DigestFreq: "weekly", DMARCRewrite: "always",
		DigestTime: "18:30", DigestTZ: "Europe/Vienna", DigestDay: 5, DigestMaxPosts: 20, Indexing: true, Crisis: "publish",
		DescriptionEN: "All about day care", WelcomeDE: "Willkommen", WelcomeEN: "Welcome", FooterDE: "Freundlich bleiben", FooterEN: "Be kind"}
	empty := &List{Name: "leer"}
	for _, l := range []*List{full, empty} {
		if err := db.CreateList(ctx, l); err != nil {
			t.Fatalf("create %s: %v", l.Name, err)
		}
	}
	gotFull, err := db.ListByID(ctx, full.ID)
	if err != nil {
		t.Fatal(err)
	}
	gotEmpty, err := db.ListByID(ctx, empty.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := settingColumns(full, &commaLists{})
	got := settingColumns(gotFull, &commaLists{})
	def := settingColumns(gotEmpty, &commaLists{})
	for i, c := range want {
		if !reflect.DeepEqual(got[i].value, c.value) {
			t.Errorf("%s: created as %v, read back %v", c.name, c.value, got[i].value)
		}
		if reflect.DeepEqual(def[i].value, c.value) {
			t.Errorf("%s: the test's list has the default %v; give it another value", c.name, c.value)
		}
	}
	defaults := map[string]any{"archive": "public", "moderation": "none", "anonymous": false, "nonmember": "hold",
		"first_posts": 1, "digest_freq": "daily", "dmarc_rewrite": "auto", "digest_time": "07:00",
		"digest_tz": "Europe/Berlin", "digest_day": 1, "digest_max_posts": 50, "retention_months": 0}
	for _, c := range def {
		if w, ok := defaults[c.name]; ok && !reflect.DeepEqual(c.value, w) {
			t.Errorf("new list's %s = %v, want %v", c.name, c.value, w)
		}
	}
}
