package counsel

import "math"

// earthRadiusKM is the mean radius of the earth (IUGG).
const earthRadiusKM = 6371.0088

// Distance is the great-circle distance in km between two points given in decimal
// degrees (the haversine formula).
func Distance(lat1, lon1, lat2, lon2 float64) float64 {
	φ1, φ2 := lat1*math.Pi/180, lat2*math.Pi/180
	dφ := φ2 - φ1
	dλ := (lon2 - lon1) * math.Pi / 180
	a := sq(math.Sin(dφ/2)) + math.Cos(φ1)*math.Cos(φ2)*sq(math.Sin(dλ/2))
	return 2 * earthRadiusKM * math.Asin(math.Sqrt(min(1, a)))
}

func sq(x float64) float64 { return x * x }

// vec is a point on the unit sphere. The straight-line (chord) distance of two of
// them orders points as the great-circle distance does, without trigonometry per
// comparison: the index compares chords and converts only the hits to km.
type vec struct{ x, y, z float64 }

func toVec(lat, lon float64) vec {
	φ, λ := lat*math.Pi/180, lon*math.Pi/180
	return vec{math.Cos(φ) * math.Cos(λ), math.Cos(φ) * math.Sin(λ), math.Sin(φ)}
}

// chord2 is the squared chord between a and b.
func chord2(a, b vec) float64 {
	dx, dy, dz := a.x-b.x, a.y-b.y, a.z-b.z
	return dx*dx + dy*dy + dz*dz
}

// chord2ToKM turns a squared chord into the great-circle distance.
func chord2ToKM(c2 float64) float64 {
	return 2 * earthRadiusKM * math.Asin(min(1, math.Sqrt(c2)/2))
}

// kmToChord2 is the squared chord of a great-circle distance.
func kmToChord2(km float64) float64 {
	if km >= math.Pi*earthRadiusKM {
		return 4 // the whole sphere
	}
	return sq(2 * math.Sin(km/earthRadiusKM/2))
}
