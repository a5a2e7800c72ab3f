package counsel

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"listd/internal/store"
)

// Source is what a Directory is loaded from (store.DB has it).
type Source interface {
	Centers(ctx context.Context) ([]store.Center, error)
	Places(ctx context.Context) ([]store.Place, error)
	// CounselVersion changes whenever centres or places are replaced.
	CounselVersion(ctx context.Context) (int64, error)
}

// Saver is what imports write to (store.DB has it).
type Saver interface {
	ReplaceCenters(ctx context.Context, cs []store.Center) error
	ReplacePlaces(ctx context.Context, country string, ps []store.Place) error
}

// SaveCenters replaces the whole directory with cs, in one transaction.
func SaveCenters(ctx context.Context, st Saver, cs []Center) error {
	out := make([]store.Center, len(cs))
	for i, c := range cs {
		out[i] = toStoreCenter(c)
	}
	return st.ReplaceCenters(ctx, out)
}

// SavePlaces replaces the places of every country in ps with them, a transaction per
// country: a GeoNames dump of one country leaves the others as they are.
func SavePlaces(ctx context.Context, st Saver, ps []Place) error {
	byCountry := make(map[string][]store.Place)
	for _, p := range ps {
		byCountry[p.Country] = append(byCountry[p.Country], store.Place(p))
	}
	countries := make([]string, 0, len(byCountry))
	for c := range byCountry {
		countries = append(countries, c)
	}
	slices.Sort(countries)
	for _, c := range countries {
		if err := st.ReplacePlaces(ctx, c, byCountry[c]); err != nil {
			return err
		}
	}
	return nil
}

// Load builds a Directory from what src holds now.
func Load(ctx context.Context, src Source, o Options) (*Directory, error) {
	cs, err := src.Centers(ctx)
	if err != nil {
		return nil, fmt.Errorf("load directory: %w", err)
	}
	ps, err := src.Places(ctx)
	if err != nil {
		return nil, fmt.Errorf("load directory: %w", err)
	}
	return NewDirectory(FromStore(cs), PlacesFromStore(ps), o), nil
}

// LiveOptions shape a Live.
type LiveOptions struct {
	Options
	// CheckEvery is how often the store's version is compared (a cheap query); an
	// import by `listd centers import` in another process shows within it. Default 10s.
	CheckEvery time.Duration
	Logger     *slog.Logger
	Now        func() time.Time
}

// Live keeps a Directory current with the store: it loads one on first use and loads
// again when CounselVersion has changed, checking at most every CheckEvery. Queries
// keep using the old directory while a new one is built.
type Live struct {
	src   Source
	opts  Options
	every time.Duration
	log   *slog.Logger
	now   func() time.Time

	mu  sync.Mutex // one load at a time
	cur atomic.Pointer[liveState]
}

type liveState struct {
	dir     *Directory
	version int64
	checked time.Time
}

// NewLive returns a Live over src; nothing is loaded until Directory is called.
func NewLive(src Source, o LiveOptions) *Live {
	l := &Live{src: src, opts: o.Options, every: cmp.Or(o.CheckEvery, 10*time.Second), log: o.Logger, now: o.Now}
	if l.log == nil {
		l.log = slog.Default()
	}
	if l.now == nil {
		l.now = time.Now
	}
	return l
}

// Directory returns the current directory, loading it first when the store has
// changed. When loading fails and an older directory exists, that one is returned
// (and the failure logged): slightly old answers beat none.
func (l *Live) Directory(ctx context.Context) (*Directory, error) {
	if s := l.cur.Load(); s != nil && l.now().Sub(s.checked) < l.every {
		return s.dir, nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.cur.Load()
	if s != nil && l.now().Sub(s.checked) < l.every {
		return s.dir, nil // loaded by another caller while this one waited
	}
	v, err := l.src.CounselVersion(ctx)
	if err == nil && s != nil && v == s.version {
		l.cur.Store(&liveState{dir: s.dir, version: v, checked: l.now()})
		return s.dir, nil
	}
	var d *Directory
	if err == nil {
		d, err = Load(ctx, l.src, l.opts)
	}
	if err != nil {
		if s == nil {
			return nil, err
		}
		l.log.WarnContext(ctx, "counselling directory not reloaded; using the previous one", "err", err)
		l.cur.Store(&liveState{dir: s.dir, version: s.version, checked: l.now()})
		return s.dir, nil
	}
	l.cur.Store(&liveState{dir: d, version: v, checked: l.now()})
	l.log.InfoContext(ctx, "counselling directory loaded", "centres", len(d.centers), "postal_codes", len(d.places), "version", v)
	return d, nil
}

// Reload builds the directory from the store now, whatever its version, and returns
// it. On failure the directory in use stays and the error says why.
func (l *Live) Reload(ctx context.Context) (*Directory, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	v, err := l.src.CounselVersion(ctx)
	if err != nil {
		return nil, fmt.Errorf("counselling directory: %w", err)
	}
	d, err := Load(ctx, l.src, l.opts)
	if err != nil {
		return nil, err
	}
	l.cur.Store(&liveState{dir: d, version: v, checked: l.now()})
	return d, nil
}
