package counsel

import (
	"math"
	"testing"
)

func TestDistance(t *testing.T) {
	tests := []struct {
		name                   string
		lat1, lon1, lat2, lon2 float64
		want, tolerance        float64
	}{
		{"Berlin–Hamburg", 52.5200, 13.4050, 53.5511, 9.9937, 255, 5},
		{"Berlin–München", 52.5200, 13.4050, 48.1351, 11.5820, 504, 5},
		{"same point", 52.5, 13.4, 52.5, 13.4, 0, 1e-9},
		{"one degree of latitude", 0, 0, 1, 0, 111.2, 0.1},
		{"across the date line", 0, 179.5, 0, -179.5, 111.2, 0.1},
		{"antipodes", 0, 0, 0, 180, math.Pi * earthRadiusKM, 1e-6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Distance(tt.lat1, tt.lon1, tt.lat2, tt.lon2)
			if math.Abs(got-tt.want) > tt.tolerance {
				t.Errorf("Distance = %.3f km, want %.1f ± %g", got, tt.want, tt.tolerance)
			}
			if back := Distance(tt.lat2, tt.lon2, tt.lat1, tt.lon1); math.Abs(back-got) > 1e-9 {
				t.Errorf("not symmetric: %f and %f", got, back)
			}
			// The index ranks by chords; they must give the same km.
			chord := chord2ToKM(chord2(toVec(tt.lat1, tt.lon1), toVec(tt.lat2, tt.lon2)))
			if math.Abs(chord-got) > 1e-6 {
				t.Errorf("chord distance %f, haversine %f", chord, got)
			}
			if got > 0 && got < 1000 {
				if r := kmToChord2(got); math.Abs(chord2ToKM(r)-got) > 1e-6 {
					t.Errorf("kmToChord2 does not invert chord2ToKM at %f", got)
				}
			}
		})
	}
}
