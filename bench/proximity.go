package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"listd/internal/counsel"
)

const (
	proximityCount   = 5000
	proximitySeed    = 2026
	proximityRun     = 2 * time.Second // per measurement
	proximityImports = 3               // geo import runs; the median is reported
)

// proximityTopics are the topics the generated centres serve and queries ask for.
func proximityTopics() []string {
	return []string{"unterhalt", "umgang", "sorgerecht", "kita", "schule", "beruf", "finanzen", "trennung", "gewalt", "krise"}
}

// benchProximity measures the "Counselling centres near you" lookup:
//
//   - centers: 5,000 generated centres (deterministic random) at real German postal
//     codes, half with their own coordinates, 5% online, 10 nationwide, 1 to 4 topics.
//   - queries_per_second: Directory.Match over the full German postal-code table
//     (../shared/data/geo/DE.txt, or $LISTD_GEO_FILE) for random postal codes of the
//     table and one or two random topics (5% ask for no topic), default K and radius,
//     in one goroutine for 2 s.
//   - queries_per_second_2_goroutines: the same in two goroutines at once, summed.
//   - geo_import_seconds: wall time of `listd geo import DE.txt` through the built
//     binary into a fresh database (process start and migrations included), the median
//     of 3 runs.
func benchProximity(ctx context.Context, e *env) ([]figure, error) {
	geoFile := os.Getenv("LISTD_GEO_FILE")
	if geoFile == "" {
		geoFile = filepath.Join(e.modRoot, "..", "shared", "data", "geo", "DE.txt")
	}
	places, err := counsel.ReadGeoNamesFile(geoFile)
	if err != nil {
		return nil, fmt.Errorf("the German postal-code table (set LISTD_GEO_FILE to use another path): %w", err)
	}
	centers := proximityCenters(places, proximityCount, proximitySeed)
	start := time.Now()
	d := counsel.NewDirectory(centers, places, counsel.Options{})
	e.logf("proximity: indexed %d centres and %d postal codes in %s", len(centers), d.PostalCodes(), time.Since(start).Round(time.Millisecond))
	queries := proximityQueries(places, 1<<16, proximitySeed+1)

	found := 0
	for _, q := range queries[:10000] {
		res, err := d.Match(q)
		if err != nil {
			return nil, fmt.Errorf("query %+v: %w", q, err)
		}
		if len(res.Nearby) > 0 {
			found++
		}
	}
	e.logf("proximity: %.0f%% of the queries find a centre within %d km", float64(found)/100, counsel.DefaultRadiusKM)

	figs := []figure{fig("centers", "%d", len(centers))}
	qps1, err := proximityRate(ctx, d, queries, 1)
	if err != nil {
		return figs, err
	}
	figs = append(figs, fig("queries_per_second", "%.0f", qps1))
	qps2, err := proximityRate(ctx, d, queries, 2)
	if err != nil {
		return figs, err
	}
	figs = append(figs, fig("queries_per_second_2_goroutines", "%.0f", qps2))

	secs, err := proximityGeoImport(ctx, e, geoFile)
	if err != nil {
		return figs, err
	}
	return append(figs, fig("geo_import_seconds", "%.2f", secs)), nil
}

// proximityCenters spreads n centres over the postal codes of places.
func proximityCenters(places []counsel.Place, n int, seed uint64) []counsel.Center {
	rng := rand.New(rand.NewPCG(seed, seed))
	topics := proximityTopics()
	cs := make([]counsel.Center, n)
	for i := range cs {
		p := places[rng.IntN(len(places))]
		c := counsel.Center{Name: fmt.Sprintf("Stelle %d", i), Country: p.Country, PostalCode: p.PostalCode, City: p.Name}
		for _, j := range rng.Perm(len(topics))[:1+rng.IntN(4)] {
			c.Topics = append(c.Topics, topics[j])
		}
		if i%2 == 0 {
			// Within about a kilometre of the code's place, as a street address is.
			c.Lat, c.Lon, c.HasCoords = p.Lat+(rng.Float64()-0.5)*0.02, p.Lon+(rng.Float64()-0.5)*0.03, true
		}
		c.Online = rng.IntN(100) < 5
		if i < 10 {
			c.Nationwide, c.PostalCode, c.HasCoords = true, "", false
		}
		cs[i] = c
	}
	return cs
}

func proximityQueries(places []counsel.Place, n int, seed uint64) []counsel.Query {
	rng := rand.New(rand.NewPCG(seed, seed))
	topics := proximityTopics()
	qs := make([]counsel.Query, n)
	for i := range qs {
		q := counsel.Query{PostalCode: places[rng.IntN(len(places))].PostalCode}
		if rng.IntN(100) >= 5 {
			for _, j := range rng.Perm(len(topics))[:1+rng.IntN(2)] {
				q.Topics = append(q.Topics, topics[j])
			}
		}
		qs[i] = q
	}
	return qs
}

// proximityRate runs queries in g goroutines for proximityRun and returns the summed
// rate.
func proximityRate(ctx context.Context, d *counsel.Directory, queries []counsel.Query, g int) (float64, error) {
	var wg sync.WaitGroup
	counts := make([]int, g)
	errs := make([]error, g)
	start := time.Now()
	deadline := start.Add(proximityRun)
	for w := range g {
		wg.Add(1)
		go func() {
			defer wg.Done()
			i := w * len(queries) / g
			for n := 0; ; n++ {
				if n%1024 == 0 && (time.Now().After(deadline) || ctx.Err() != nil) {
					counts[w] = n
					return
				}
				if _, err := d.Match(queries[i%len(queries)]); err != nil {
					errs[w] = err
					return
				}
				i++
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	if err := errors.Join(append(errs, ctx.Err())...); err != nil {
		return 0, err
	}
	total := 0
	for _, n := range counts {
		total += n
	}
	return float64(total) / elapsed, nil
}

// proximityGeoImport times `listd geo import` into fresh databases.
func proximityGeoImport(ctx context.Context, e *env, geoFile string) (float64, error) {
	var secs []float64
	for run := range proximityImports {
		dir, err := os.MkdirTemp("", "listd-bench-proximity-")
		if err != nil {
			return 0, err
		}
		cfg := filepath.Join(dir, "listd.toml")
		err = os.WriteFile(cfg, fmt.Appendf(nil, "data_dir = %q\n", filepath.Join(dir, "data")), 0o644)
		var out string
		start := time.Now()
		if err == nil {
			out, err = runCmd(ctx, 2*time.Minute, e.listd, "-config", cfg, "geo", "import", geoFile)
		}
		took := time.Since(start).Seconds()
		if e.keep {
			e.logf("proximity: kept %s", dir)
		} else {
			os.RemoveAll(dir)
		}
		if err != nil {
			return 0, err
		}
		e.logf("proximity: geo import run %d: %.2f s (listd: %s)", run+1, took, strings.TrimSpace(out))
		secs = append(secs, took)
	}
	slices.Sort(secs)
	return secs[len(secs)/2], nil
}
