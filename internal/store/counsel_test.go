package store

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"
)

func TestCenters(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	cs := []Center{
		{Name: "A", Organisation: "Verein", Street: "Weg 1", Country: "DE", PostalCode: "10115", City: "Berlin",
			Phone: "030 0000 1", Email: "a@example.org", Web: "https://example.org", Topics: []string{"unterhalt", "Häusliche Gewalt"},
			Hours: "Mo\nDi", Languages: []string{"deutsch", "englisch"}, Accessibility: "Aufzug",
			Lat: 52.53, Lon: 13.38, HasCoords: true},
		{Name: "Hotline", Country: "DE", Online: true, Nationwide: true},
	}
	tests := []struct {
		name string
		in   []Center
	}{
		{"import", cs},
		{"a second import replaces the first", cs[1:]},
		{"an empty import empties", nil},
	}
	for _, tt := range tests {
		v0, err := db.CounselVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.ReplaceCenters(ctx, tt.in); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		got, err := db.Centers(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for i := range got {
			if got[i].ID == 0 {
				t.Errorf("%s: no ID", tt.name)
			}
			got[i].ID = 0
		}
		if !reflect.DeepEqual(got, tt.in) {
			t.Errorf("%s:\n got %+v\nwant %+v", tt.name, got, tt.in)
		}
		if v, _ := db.CounselVersion(ctx); v != v0+1 {
			t.Errorf("%s: version %d after %d", tt.name, v, v0)
		}
	}
}

func TestReplacePlaces(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	de := []Place{
		{Country: "DE", PostalCode: "10115", Name: "Berlin", State: "Berlin", Lat: 52.5323, Lon: 13.3846},
		{Country: "DE", PostalCode: "10115", Name: "Berlin Mitte", State: "Berlin", Lat: 52.53, Lon: 13.38},
	}
	at := []Place{{Country: "AT", PostalCode: "1010", Name: "Wien", State: "Wien", Lat: 48.2, Lon: 16.37}}
	if err := db.ReplacePlaces(ctx, "DE", de); err != nil {
		t.Fatal(err)
	}
	if err := db.ReplacePlaces(ctx, "AT", at); err != nil {
		t.Fatal(err)
	}
	if err := db.ReplacePlaces(ctx, "DE", de[:1]); err != nil { // replaces DE only
		t.Fatal(err)
	}
	got, err := db.Places(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := append(append([]Place{}, at...), de[0]); !reflect.DeepEqual(got, want) {
		t.Errorf("places:\n got %+v\nwant %+v", got, want)
	}
	if err := db.ReplacePlaces(ctx, "DE", at); err == nil {
		t.Error("a place of another country was accepted")
	}
	if got, _ := db.Places(ctx); len(got) != 2 {
		t.Errorf("a failed replace changed the places: %+v", got)
	}
}

// TestReplacePlacesFast: the whole German table (23,297 rows) must import in well
// under a second.
func TestReplacePlacesFast(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	db := open(t)
	ctx := context.Background()
	ps := make([]Place, 23297)
	for i := range ps {
		ps[i] = Place{Country: "DE", PostalCode: fmt.Sprintf("%05d", 1000+i), Name: "Ort", State: "Land", Lat: 50 + float64(i%500)/100, Lon: 10}
	}
	start := time.Now()
	if err := db.ReplacePlaces(ctx, "DE", ps); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	t.Logf("23,297 places in %s", took)
	if took > 3*time.Second { // generous: the race detector and a busy machine slow it
		t.Errorf("23,297 places took %s", took)
	}
	if got, err := db.Places(ctx); err != nil || len(got) != len(ps) {
		t.Errorf("%d places back: %v", len(got), err)
	}
}

func TestCountCounsel(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	for _, c := range []struct{ month, topic, kind string }{
		{"2026-01", "unterhalt", "mail"},
		{"2026-01", "unterhalt", "mail"},
		{"2026-01", "unterhalt", "web"},
		{"2026-02", "kita", "web"},
	} {
		if err := db.CountCounsel(ctx, c.month, c.topic, c.kind); err != nil {
			t.Fatal(err)
		}
	}
	got, err := db.CounselStats(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	want := []CounselStat{
		{"2026-01", "unterhalt", "mail", 2},
		{"2026-01", "unterhalt", "web", 1},
		{"2026-02", "kita", "web", 1},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("stats %+v", got)
	}
	if got, _ := db.CounselStats(ctx, "2026-02"); len(got) != 1 {
		t.Errorf("since 2026-02: %+v", got)
	}
}
