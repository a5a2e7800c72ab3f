package counsel

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"listd/internal/store"
)

func openStore(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestImportAndLive goes the way of the data: a centres file and the geo table into a
// real database, a Live directory over it, and a new import seen after CheckEvery.
func TestImportAndLive(t *testing.T) {
	ctx := context.Background()
	db := openStore(t)
	if err := SavePlaces(ctx, db, loadGeo(t)); err != nil {
		t.Fatal(err)
	}
	if err := SaveCenters(ctx, db, loadExample(t)); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	live := NewLive(db, LiveOptions{CheckEvery: time.Minute, Now: func() time.Time { return now },
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	d, err := live.Directory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	res, err := d.Match(Query{PostalCode: "10115", Topics: []string{"trennung"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Nearby) != 3 || res.Nearby[0].Center.Name != "Beispiel: Familienberatung Mitte" || res.Place != "Berlin" {
		t.Fatalf("from the store: %q, place %q", short(res.Nearby), res.Place)
	}

	cs, errs := ParseCenters(strings.NewReader("name,postal_code,topics\nNeu,10117,trennung\n"), "new.csv")
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if err := SaveCenters(ctx, db, cs); err != nil {
		t.Fatal(err)
	}
	if d2, _ := live.Directory(ctx); d2 != d {
		t.Error("reloaded before CheckEvery")
	}
	now = now.Add(2 * time.Minute)
	d2, err := live.Directory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	res, _ = d2.Match(Query{PostalCode: "10115", Topics: []string{"trennung"}})
	if got := short(res.Nearby); len(got) != 1 || got[0] != "Neu" {
		t.Errorf("after the new import: %q", got)
	}
	now = now.Add(2 * time.Minute)
	if d3, _ := live.Directory(ctx); d3 != d2 {
		t.Error("reloaded without a change")
	}
}

// TestLiveKeepsOldOnError: a failing store leaves the directory in use.
func TestLiveKeepsOldOnError(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := store.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := SaveCenters(ctx, db, loadExample(t)); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	live := NewLive(db, LiveOptions{CheckEvery: time.Second, Now: func() time.Time { return now },
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	d, err := live.Directory(ctx)
	if err != nil || len(d.Centers()) != 18 {
		t.Fatalf("%v", err)
	}
	db.Close()
	now = now.Add(time.Hour)
	if d2, err := live.Directory(ctx); err != nil || d2 != d {
		t.Errorf("after the store failed: %v", err)
	}
	os.RemoveAll(dir)
}

// TestLiveReload: Reload reads the store at once, also within CheckEvery, and a failed
// reload leaves the directory in use.
func TestLiveReload(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := store.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := SaveCenters(ctx, db, loadExample(t)); err != nil {
		t.Fatal(err)
	}
	live := NewLive(db, LiveOptions{CheckEvery: time.Hour, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	d, err := live.Directory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cs, errs := ParseCenters(strings.NewReader("name,postal_code,topics\nNeu,10117,trennung\n"), "new.csv")
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if err := SaveCenters(ctx, db, cs); err != nil {
		t.Fatal(err)
	}
	d2, err := live.Reload(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := live.Directory(ctx); got != d2 || got == d || len(got.Centers()) != 1 {
		t.Fatalf("after Reload: %d centres", len(got.Centers()))
	}
	db.Close()
	if _, err := live.Reload(ctx); err == nil {
		t.Error("closed store: no error")
	}
	if got, err := live.Directory(ctx); err != nil || got != d2 {
		t.Errorf("after a failed reload: %v", err)
	}
}
