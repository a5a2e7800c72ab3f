package main

import (
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"

	"listd/internal/store"
)

// TestArchiveSearchDump writes what store.SearchArchive finds for the archive
// benchmark's queries (and a few more) over the database in $LISTD_BENCH_DIR to the
// file $LISTD_SEARCH_DUMP as JSON: hits in order, with their snippets, on the first
// pages, at the end of the ranked window and past it, with a list filter and with
// dates. Two builds' dumps of one database are the same when a change to the search
// keeps its hits, order and snippets:
//
//	LISTD_BENCH_DIR=/tmp/d20k/data LISTD_SEARCH_DUMP=before.json go test -tags sqlite_fts5 -run ArchiveSearchDump ./bench
//	… (the other build) … LISTD_SEARCH_DUMP=after.json …; cmp before.json after.json
func TestArchiveSearchDump(t *testing.T) {
	dir, out := os.Getenv("LISTD_BENCH_DIR"), os.Getenv("LISTD_SEARCH_DUMP")
	if dir == "" || out == "" {
		t.Skip("LISTD_BENCH_DIR and LISTD_SEARCH_DUMP not set")
	}
	ctx := context.Background()
	db, err := store.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	l, err := db.ListByName(ctx, corpusList)
	if err != nil {
		t.Fatal(err)
	}
	type page struct {
		Query  store.SearchQuery
		Result *store.SearchResult
	}
	var pages []page
	search := func(q store.SearchQuery) {
		res, err := db.SearchArchive(ctx, q)
		if err != nil {
			t.Fatalf("%+v: %v", q, err)
		}
		pages = append(pages, page{q, res})
	}
	one := []int64{l.ID}
	since, until := time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2022, 6, 1, 0, 0, 0, 0, time.UTC)
	for _, text := range append(archiveQueries(), "Jugendamt -Unterhalt", "Kita OR Schule", "Tabelle", "Düsseldorfer") {
		for _, p := range [][2]int{{0, 20}, {20, 20}, {480, 40}, {500, 20}, {0, 200}} {
			search(store.SearchQuery{ListIDs: one, Text: text, Offset: p[0], Limit: p[1]})
		}
		search(store.SearchQuery{ListIDs: []int64{l.ID, l.ID + 1000}, Text: text})
		search(store.SearchQuery{ListIDs: one, Text: text, Since: since, Until: until})
	}
	for _, author := range []string{"Ute", "Jürgen Wei", "Schmidt"} {
		search(store.SearchQuery{ListIDs: one, Text: "Kita", Author: author})
	}
	b, err := json.MarshalIndent(pages, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
