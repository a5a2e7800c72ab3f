package main

import (
	"reflect"
	"testing"

	"listd/internal/store"
)

// Private lists are added up under one label: neither their names nor one list's size
// reach /metrics.
func TestAnnouncedFigures(t *testing.T) {
	ls := []*store.List{{Name: "kita", Archive: "public"}, {Name: "umgang", Archive: "members"},
		{Name: "vorstand", Archive: "private"}, {Name: "krise", Archive: "private"}}
	fs := []store.Figure{
		{Name: "readers", List: "kita", Label: "each", Count: 5},
		{Name: "readers", List: "vorstand", Label: "each", Count: 3},
		{Name: "readers", List: "krise", Label: "each", Count: 2},
		{Name: "readers", List: "krise", Label: "digest", Count: 1},
		{Name: "posters", List: "umgang", Label: "2026-11", Count: 4},
		{Name: "posters", List: "vorstand", Label: "2026-11", Count: 2},
		{Name: "readers", List: "gone", Label: "each", Count: 7}, // deleted meanwhile: not named either
	}
	want := []store.Figure{
		{Name: "readers", List: "kita", Label: "each", Count: 5},
		{Name: "readers", List: privateLabel, Label: "each", Count: 12},
		{Name: "readers", List: privateLabel, Label: "digest", Count: 1},
		{Name: "posters", List: "umgang", Label: "2026-11", Count: 4},
		{Name: "posters", List: privateLabel, Label: "2026-11", Count: 2},
	}
	if got := announcedFigures(fs, ls); !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}
