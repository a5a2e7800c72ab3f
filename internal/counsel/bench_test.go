package counsel

import (
	"fmt"
	"math/rand/v2"
	"os"
	"testing"
)

// benchGeo is the whole German postal-code table named by $LISTD_GEO_FILE, as
// bench/proximity.go reads it, or else the tests' excerpt (a few hundred codes, so
// the figures are not comparable).
func benchGeo(b *testing.B) []Place {
	b.Helper()
	if path := os.Getenv("LISTD_GEO_FILE"); path != "" {
		return loadGeoFile(b, path)
	}
	b.Logf("LISTD_GEO_FILE unset: using the excerpt %s", geoPath)
	return loadGeo(b)
}

// benchDirectory is 5,000 centres spread at random (deterministically) over the real
// German postal codes, as bench/proximity.go builds them, and queries for random
// codes and one or two topics.
func benchDirectory(b *testing.B) (*Directory, []Query) {
	places := benchGeo(b)
	rng := rand.New(rand.NewPCG(2026, 2026))
	topics := []string{"unterhalt", "umgang", "sorgerecht", "kita", "schule", "beruf", "finanzen", "trennung", "gewalt", "krise"}
	cs := make([]Center, 5000)
	for i := range cs {
		p := places[rng.IntN(len(places))]
		c := Center{Name: fmt.Sprintf("Stelle %d", i), Country: "DE", PostalCode: p.PostalCode}
		for _, j := range rng.Perm(len(topics))[:1+rng.IntN(4)] {
			c.Topics = append(c.Topics, topics[j])
		}
		if i%2 == 0 {
			c.Lat, c.Lon, c.HasCoords = p.Lat+(rng.Float64()-0.5)*0.02, p.Lon+(rng.Float64()-0.5)*0.03, true
		}
		c.Online = rng.IntN(100) < 5
		if i < 10 {
			c.Nationwide, c.PostalCode, c.HasCoords = true, "", false
		}
		cs[i] = c
	}
	qs := make([]Query, 1<<14)
	for i := range qs {
		qs[i] = Query{PostalCode: places[rng.IntN(len(places))].PostalCode}
		for _, j := range rng.Perm(len(topics))[:1+rng.IntN(2)] {
			qs[i].Topics = append(qs[i].Topics, topics[j])
		}
	}
	return NewDirectory(cs, places, Options{}), qs
}

func BenchmarkMatch(b *testing.B) {
	d, qs := benchDirectory(b)
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if _, err := d.Match(qs[i%len(qs)]); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			i := rand.IntN(len(qs))
			for pb.Next() {
				if _, err := d.Match(qs[i%len(qs)]); err != nil {
					b.Error(err)
					return
				}
				i++
			}
		})
	})
}

func BenchmarkNewDirectory(b *testing.B) {
	places := benchGeo(b)
	cs := loadExample(b)
	for b.Loop() {
		NewDirectory(cs, places, Options{})
	}
}
