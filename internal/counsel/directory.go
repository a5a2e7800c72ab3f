package counsel

import (
	"cmp"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Defaults and bounds of a Query.
const (
	DefaultK        = 3
	DefaultRadiusKM = 50
	DefaultRemote   = 3
	maxK            = 50 // a web form's parameter must not make a query scan and sort everything
	maxRemote       = 50
)

const (
	// cellDeg is the grid's cell size in degrees: about 55 km north-south, so a query
	// with the default radius looks at about a dozen cells.
	cellDeg  = 0.5
	gridCols = int32(360 / cellDeg)

	// minApproxPrefix is how many leading characters a centre's postal code must share
	// with the asked one when there is no geo table: two digits name a German postal
	// region, about as large as the default radius.
	minApproxPrefix = 2
	// minEstimatePrefix is how much of its postal code a centre must share with a code
	// of the geo table to be placed there when its own code is missing from it.
	minEstimatePrefix = 3
)

// Options shape a Directory.
type Options struct {
	// Country is the country of queries that name none and of the postal codes
	// PostalCodeIn looks for; default "DE".
	Country string
}

// Query asks for the centres near a postal code that serve one of the topics.
type Query struct {
	PostalCode string
	Country    string   // default: the directory's
	Topics     []string // a centre must serve at least one; none: every centre
	K          int      // how many nearby centres; 0: DefaultK
	RadiusKM   float64  // 0: DefaultRadiusKM
	Remote     int      // how many nationwide and online offers; 0: DefaultRemote, < 0: none
}

// Hit is one centre of a Result.
type Hit struct {
	Center      *Center // the directory's own: read only
	DistanceKM  float64 // great-circle distance from the asked postal code, when HasDistance
	HasDistance bool
	// SharedPrefix is, in an Approximate result, how many leading characters of the
	// asked postal code the centre's postal code shares.
	SharedPrefix int
}

// Result is the answer to a Query.
type Result struct {
	PostalCode string // the asked code, normalised
	Country    string
	Place      string // the code's place name from the geo table, if it has it
	// Approximate means the postal code is not in the geo table (or there is none):
	// Nearby is ranked by the length of the postal-code prefix a centre shares with
	// it, not by distance, and the radius is not applied.
	Approximate bool
	Nearby      []Hit // the nearest first
	Remote      []Hit // nationwide and online offers not among Nearby
}

// Directory is an in-memory index of the centres and the postal-code geography. It is
// built once (NewDirectory, Load) and never changed, so any number of goroutines may
// query it; Live replaces it when the data changes.
type Directory struct {
	country string
	centers []Center

	codes  map[placeKey]int32 // into places
	places []codePlace        // one per code: its places averaged

	// Topics: a bit per known topic, a mask per centre.
	topicID    map[string]int // folded topic: bit
	topicNames []string       // by bit: the first spelling seen
	words      int            // uint64s per mask
	masks      []uint64       // centre i: masks[i*words : (i+1)*words]

	// The grid over centres that have a place and are not nationwide.
	cells   map[int32]span
	entries []entry // sorted by cell

	remote    []int32 // nationwide or online
	local     []int32 // not nationwide, with a postal code: for the prefix ranking
	pos       []vec   // by centre, when placed[i]
	placed    []bool
	unplaced  []int32
	estimated []int32
}

type placeKey struct{ country, code string }

type codePlace struct {
	lat, lon    float64
	name, state string
}

type span struct{ start, end int32 }

type entry struct {
	p   vec
	idx int32
}

// NewDirectory indexes centres and places. A centre is placed by its own coordinates,
// else by its postal code in places (the average of the code's places), else by the
// code of places that shares the longest prefix with it (at least three characters:
// a new code near its old neighbours). Centres left without a place are found only
// by the postal-code prefix, when the asked code is not in places either.
func NewDirectory(centers []Center, places []Place, o Options) *Directory {
	d := &Directory{
		country: cmp.Or(strings.ToUpper(o.Country), defaultCountry),
		centers: slices.Clone(centers),
		codes:   make(map[placeKey]int32),
		topicID: make(map[string]int),
		cells:   make(map[int32]span),
	}
	d.indexPlaces(places)
	d.indexTopics()
	d.placeCenters()
	d.indexGrid()
	return d
}

func (d *Directory) indexPlaces(places []Place) {
	type sum struct {
		lat, lon float64
		n        int
	}
	var sums []sum
	for _, p := range places {
		k := placeKey{p.Country, p.PostalCode}
		i, ok := d.codes[k]
		if !ok {
			i = int32(len(d.places))
			d.codes[k] = i
			d.places = append(d.places, codePlace{name: p.Name, state: p.State})
			sums = append(sums, sum{})
		}
		sums[i].lat += p.Lat
		sums[i].lon += p.Lon
		sums[i].n++
	}
	for i, s := range sums {
		d.places[i].lat = s.lat / float64(s.n)
		d.places[i].lon = s.lon / float64(s.n)
	}
}

func (d *Directory) indexTopics() {
	for _, c := range d.centers {
		for _, t := range c.Topics {
			k := FoldTopic(t)
			if _, ok := d.topicID[k]; !ok && k != "" {
				d.topicID[k] = len(d.topicNames)
				d.topicNames = append(d.topicNames, t)
			}
		}
	}
	d.words = max(1, (len(d.topicNames)+63)/64)
	d.masks = make([]uint64, len(d.centers)*d.words)
	for i, c := range d.centers {
		m := d.masks[i*d.words : (i+1)*d.words]
		for _, t := range c.Topics {
			if id, ok := d.topicID[FoldTopic(t)]; ok {
				m[id/64] |= 1 << (id % 64)
			}
		}
	}
}

func (d *Directory) placeCenters() {
	// Each country's codes in order, for placing centres whose code is not known.
	sorted := make(map[string][]string)
	for k := range d.codes {
		sorted[k.country] = append(sorted[k.country], k.code)
	}
	for _, s := range sorted {
		slices.Sort(s)
	}
	d.pos = make([]vec, len(d.centers))
	d.placed = make([]bool, len(d.centers))
	for i := range d.centers {
		c := &d.centers[i]
		idx := int32(i)
		if c.Nationwide || c.Online {
			d.remote = append(d.remote, idx)
		}
		if !c.Nationwide && c.PostalCode != "" {
			d.local = append(d.local, idx)
		}
		switch {
		case c.HasCoords:
			d.pos[i], d.placed[i] = toVec(c.Lat, c.Lon), true
		case c.PostalCode == "":
		default:
			if p, ok := d.codes[placeKey{c.Country, c.PostalCode}]; ok {
				d.pos[i], d.placed[i] = toVec(d.places[p].lat, d.places[p].lon), true
			} else if p, ok := d.nearestCode(sorted[c.Country], c.Country, c.PostalCode); ok {
				d.pos[i], d.placed[i] = toVec(d.places[p].lat, d.places[p].lon), true
				d.estimated = append(d.estimated, idx)
			} else if !c.Nationwide {
				d.unplaced = append(d.unplaced, idx)
			}
		}
	}
}

// nearestCode finds the code of sorted that shares the longest prefix with code (its
// neighbours in sort order), at least minEstimatePrefix long.
func (d *Directory) nearestCode(sorted []string, country, code string) (int32, bool) {
	i := sort.SearchStrings(sorted, code)
	best, bestLen := "", minEstimatePrefix-1
	for _, j := range []int{i - 1, i} {
		if j < 0 || j >= len(sorted) {
			continue
		}
		if n := sharedPrefix(code, sorted[j]); n > bestLen {
			best, bestLen = sorted[j], n
		}
	}
	if best == "" {
		return 0, false
	}
	return d.codes[placeKey{country, best}], true
}

func cellOf(lat, lon float64) (row, col int32) {
	row = int32(math.Floor((lat + 90) / cellDeg))
	col = int32(math.Floor((lon + 180) / cellDeg))
	return min(max(row, 0), int32(180/cellDeg)-1), ((col % gridCols) + gridCols) % gridCols
}

func (d *Directory) indexGrid() {
	type keyed struct {
		cell int32
		e    entry
	}
	var es []keyed
	for i := range d.centers {
		c := &d.centers[i]
		if !d.placed[i] || c.Nationwide {
			continue
		}
		lat, lon := c.Lat, c.Lon
		if !c.HasCoords {
			lat, lon = latLon(d.pos[i])
		}
		row, col := cellOf(lat, lon)
		es = append(es, keyed{row*gridCols + col, entry{d.pos[i], int32(i)}})
	}
	slices.SortFunc(es, func(a, b keyed) int { return cmp.Or(cmp.Compare(a.cell, b.cell), cmp.Compare(a.e.idx, b.e.idx)) })
	d.entries = make([]entry, len(es))
	for i, k := range es {
		d.entries[i] = k.e
		s, ok := d.cells[k.cell]
		if !ok {
			s.start = int32(i)
		}
		s.end = int32(i + 1)
		d.cells[k.cell] = s
	}
}

func latLon(v vec) (lat, lon float64) {
	return math.Asin(max(-1, min(1, v.z))) * 180 / math.Pi, math.Atan2(v.y, v.x) * 180 / math.Pi
}

// Match answers q: the K nearest centres within the radius that serve one of the
// topics, then the nationwide and online offers that serve one. It fails only for a
// postal code that cannot be one (ErrBadPostalCode).
func (d *Directory) Match(q Query) (Result, error) {
	res := Result{PostalCode: NormalizePostalCode(q.PostalCode), Country: cmp.Or(strings.ToUpper(strings.TrimSpace(q.Country)), d.country)}
	if why := checkPostalCode(res.PostalCode, res.Country); why != nil {
		return res, fmt.Errorf("%w: %s", ErrBadPostalCode, (&LineError{Code: why.code, Args: why.args}).Reason())
	}
	k := min(cmp.Or(max(q.K, 0), DefaultK), maxK)
	radius := q.RadiusKM
	if radius <= 0 {
		radius = DefaultRadiusKM
	}
	p, known := d.codes[placeKey{res.Country, res.PostalCode}]
	res.Approximate = !known
	if known {
		res.Place = d.places[p].name
	}
	mask, all := d.queryMask(q.Topics)
	if mask == nil && !all {
		return res, nil // none of the topics is served anywhere
	}
	var origin vec
	if known {
		pl := &d.places[p]
		origin = toVec(pl.lat, pl.lon)
		res.Nearby = d.nearby(pl.lat, pl.lon, origin, radius, k, mask)
	} else {
		res.Nearby = d.byPrefix(res.Country, res.PostalCode, k, mask)
	}
	if n := q.Remote; n >= 0 {
		res.Remote = d.remoteOffers(min(cmp.Or(n, DefaultRemote), maxRemote), mask, res.Nearby, origin, known)
	}
	return res, nil
}

// queryMask is the topics' bits; nil with all when there are no topics (every centre
// serves), nil without all when none of them is known.
func (d *Directory) queryMask(topics []string) (mask []uint64, all bool) {
	if len(topics) == 0 {
		return nil, true
	}
	for _, t := range topics {
		id, ok := d.topicID[FoldTopic(t)]
		if !ok {
			continue
		}
		if mask == nil {
			mask = make([]uint64, d.words)
		}
		mask[id/64] |= 1 << (id % 64)
	}
	return mask, false
}

// serves reports whether centre i has a topic of mask (nil: any).
func (d *Directory) serves(i int32, mask []uint64) bool {
	if mask == nil {
		return true
	}
	m := d.masks[int(i)*d.words:]
	for w, q := range mask {
		if m[w]&q != 0 {
			return true
		}
	}
	return false
}

func (d *Directory) overlap(i int32, mask []uint64) int {
	if mask == nil {
		return 0
	}
	n := 0
	m := d.masks[int(i)*d.words:]
	for w, q := range mask {
		n += bits.OnesCount64(m[w] & q)
	}
	return n
}

// candidate is a centre and its squared chord to the origin.
type candidate struct {
	c2  float64
	idx int32
}

// nearby scans the grid cells that the radius's bounding box touches and keeps the k
// nearest in a small sorted array.
func (d *Directory) nearby(lat, lon float64, origin vec, radius float64, k int, mask []uint64) []Hit {
	limit := kmToChord2(radius)
	best := make([]candidate, 0, k)
	consider := func(e *entry) {
		c2 := chord2(origin, e.p)
		if c2 > limit || !d.serves(e.idx, mask) {
			return
		}
		if len(best) == k {
			last := best[k-1]
			if c2 > last.c2 || c2 == last.c2 && e.idx > last.idx {
				return
			}
			best = best[:k-1]
		}
		i := len(best)
		best = append(best, candidate{})
		for i > 0 && (best[i-1].c2 > c2 || best[i-1].c2 == c2 && best[i-1].idx > e.idx) {
			best[i] = best[i-1]
			i--
		}
		best[i] = candidate{c2, e.idx}
	}

	ang := radius / earthRadiusKM // radians
	dLat := ang * 180 / math.Pi
	rowLo, _ := cellOf(lat-dLat, lon)
	rowHi, _ := cellOf(lat+dLat, lon)
	// The widest longitude span of the cap (Matuschek's bounding box); near a pole or
	// for a huge radius, every column.
	var colLo, colHi int32
	full := true
	if lat+dLat < 90 && lat-dLat > -90 {
		if s := math.Sin(ang) / math.Cos(lat*math.Pi/180); s < 1 {
			dLon := math.Asin(s) * 180 / math.Pi
			colLo = int32(math.Floor((lon - dLon + 180) / cellDeg))
			colHi = int32(math.Floor((lon + dLon + 180) / cellDeg))
			full = colHi-colLo+1 >= gridCols
		}
	}
	if full {
		colLo, colHi = 0, gridCols-1
	}
	if int(rowHi-rowLo+1)*int(colHi-colLo+1) > len(d.cells) {
		// More cells to look up than there are filled ones: scan them all.
		for i := range d.entries {
			consider(&d.entries[i])
		}
	} else {
		for row := rowLo; row <= rowHi; row++ {
			for col := colLo; col <= colHi; col++ {
				s, ok := d.cells[row*gridCols+((col%gridCols)+gridCols)%gridCols]
				if !ok {
					continue
				}
				for i := s.start; i < s.end; i++ {
					consider(&d.entries[i])
				}
			}
		}
	}
	hits := make([]Hit, len(best))
	for i, b := range best {
		hits[i] = Hit{Center: &d.centers[b.idx], DistanceKM: chord2ToKM(b.c2), HasDistance: true}
	}
	return hits
}

// byPrefix ranks the centres of country by the postal-code prefix they share with
// code, then by how close the codes are as numbers (neighbouring German codes are
// mostly neighbouring places), then in file order.
func (d *Directory) byPrefix(country, code string, k int, mask []uint64) []Hit {
	type ranked struct {
		shared int
		diff   int64
		idx    int32
	}
	num, numErr := strconv.ParseInt(code, 10, 64)
	var rs []ranked
	for _, i := range d.local {
		c := &d.centers[i]
		if c.Country != country || !d.serves(i, mask) {
			continue
		}
		n := sharedPrefix(code, c.PostalCode)
		if n < minApproxPrefix {
			continue
		}
		r := ranked{shared: n, idx: i}
		if other, err := strconv.ParseInt(c.PostalCode, 10, 64); err == nil && numErr == nil {
			r.diff = max(other-num, num-other)
		}
		rs = append(rs, r)
	}
	slices.SortFunc(rs, func(a, b ranked) int {
		return cmp.Or(cmp.Compare(b.shared, a.shared), cmp.Compare(a.diff, b.diff), cmp.Compare(a.idx, b.idx))
	})
	hits := make([]Hit, 0, min(k, len(rs)))
	for _, r := range rs[:min(k, len(rs))] {
		hits = append(hits, Hit{Center: &d.centers[r.idx], SharedPrefix: r.shared})
	}
	return hits
}

// remoteOffers are the nationwide and online offers for the topics that are not
// already nearby: those serving more of the topics first, nationwide before online,
// then in file order.
func (d *Directory) remoteOffers(n int, mask []uint64, nearby []Hit, origin vec, known bool) []Hit {
	if n == 0 {
		return nil
	}
	type ranked struct {
		overlap    int
		nationwide bool
		idx        int32
	}
	var rs []ranked
next:
	for _, i := range d.remote {
		if !d.serves(i, mask) {
			continue
		}
		for _, h := range nearby {
			if h.Center == &d.centers[i] {
				continue next
			}
		}
		rs = append(rs, ranked{d.overlap(i, mask), d.centers[i].Nationwide, i})
	}
	slices.SortFunc(rs, func(a, b ranked) int {
		return cmp.Or(cmp.Compare(b.overlap, a.overlap), boolFirst(a.nationwide, b.nationwide), cmp.Compare(a.idx, b.idx))
	})
	hits := make([]Hit, 0, min(n, len(rs)))
	for _, r := range rs[:min(n, len(rs))] {
		h := Hit{Center: &d.centers[r.idx]}
		if known && d.placed[r.idx] && !d.centers[r.idx].Nationwide {
			h.DistanceKM, h.HasDistance = chord2ToKM(chord2(origin, d.pos[r.idx])), true
		}
		hits = append(hits, h)
	}
	return hits
}

func boolFirst(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return -1
	}
	return 1
}

// Centers is every centre, in file order: the directory's own, read only.
func (d *Directory) Centers() []Center { return d.centers }

// Topics is every topic some centre serves, spelt as first seen, in that order.
func (d *Directory) Topics() []string { return slices.Clone(d.topicNames) }

// PlaceOf returns the place name and state of a postal code (of the directory's
// country when country is empty), when the geo table has it.
func (d *Directory) PlaceOf(country, code string) (name, state string, ok bool) {
	p, ok := d.codes[placeKey{cmp.Or(strings.ToUpper(country), d.country), NormalizePostalCode(code)}]
	if !ok {
		return "", "", false
	}
	return d.places[p].name, d.places[p].state, true
}

// PostalCodes is how many distinct postal codes the geo table has.
func (d *Directory) PostalCodes() int { return len(d.places) }

// Unplaced are the centres that are not nationwide but have neither coordinates nor
// a postal code the geo table knows (or nearly knows): Match finds them only when it
// ranks by postal-code prefix. Empty without a geo table is not meaningful: every
// centre without coordinates is unplaced then.
func (d *Directory) Unplaced() []*Center { return d.pick(d.unplaced) }

// Estimated are the centres placed at a neighbouring postal code of the geo table,
// because their own is not in it.
func (d *Directory) Estimated() []*Center { return d.pick(d.estimated) }

func (d *Directory) pick(idx []int32) []*Center {
	out := make([]*Center, len(idx))
	for i, j := range idx {
		out[i] = &d.centers[j]
	}
	return out
}
