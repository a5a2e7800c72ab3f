package store

import (
	"context"
	"testing"
	"time"
)

func TestAllowAll(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	var clock time.Time
	db.now = func() time.Time { return clock }
	limits := []RateLimit{
		{Key: "a:h", Window: time.Hour, Limit: 3},
		{Key: "a:d", Window: 24 * time.Hour, Limit: 5},
	}
	allow := func(at time.Time, ls ...RateLimit) int {
		t.Helper()
		clock = at
		var got int
		if err := db.Update(ctx, func(tx *Tx) error {
			var err error
			got, err = tx.AllowAll(ls)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return got
	}
	day := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
	steps := []struct {
		at   time.Duration // after day's start
		want int           // -1 allowed, else the exhausted limit
	}{
		{10*time.Hour + 58*time.Minute, -1},
		{10*time.Hour + 59*time.Minute, -1},
		{10*time.Hour + 59*time.Minute, -1},
		{10*time.Hour + 59*time.Minute, 0}, // the hour is full
		// A new window does not bring a fresh budget at once: the last one still counts.
		{11*time.Hour + 1*time.Minute, 0},
		{11*time.Hour + 40*time.Minute, -1}, // 3 × 20/60 + 0 + 1 = 2 ≤ 3
		{11*time.Hour + 41*time.Minute, -1}, // 3 × 19/60 + 1 + 1 ≈ 2.95 ≤ 3
		{12*time.Hour + 30*time.Minute, 1},  // the day has had 5
		{24*time.Hour + 23*time.Hour, -1},   // late the next day
	}
	for i, st := range steps {
		if got := allow(day.Add(st.at), limits...); got != st.want {
			t.Fatalf("step %d at %v: %d, want %d", i, st.at, got, st.want)
		}
	}
	// A refused event counts under none of the limits: the other key has room still.
	clock = day.Add(48 * time.Hour)
	for i := 0; i < 3; i++ {
		if got := allow(clock, RateLimit{Key: "b", Window: time.Hour, Limit: 10}, RateLimit{Key: "c", Window: time.Hour, Limit: 2}); got != map[bool]int{true: -1, false: 1}[i < 2] {
			t.Fatalf("b/c %d: %d", i, got)
		}
	}
	for i := 0; i < 8; i++ {
		if got := allow(clock, RateLimit{Key: "b", Window: time.Hour, Limit: 10}); got != -1 {
			t.Fatalf("b was counted while c refused: %d at %d", got, i)
		}
	}
	if got := allow(clock, RateLimit{Key: "b", Window: time.Hour, Limit: 10}); got != 0 {
		t.Fatalf("b past its limit: %d", got)
	}
}
