package counsel

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
)

// geoPath is the excerpt of the GeoNames German postal-code table kept with the
// tests: every place whose code starts like one the tests and the example centres use
// (see testdata/geo/README.md).
const geoPath = "../../testdata/geo/DE.txt"

// geoCodes is how many distinct postal codes geoPath holds.
const geoCodes = 300

func loadGeo(tb testing.TB) []Place {
	tb.Helper()
	return loadGeoFile(tb, geoPath)
}

func loadGeoFile(tb testing.TB, path string) []Place {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	ps, err := ParseGeoNames(f, path)
	if err != nil {
		tb.Fatal(err)
	}
	return ps
}

func loadExample(tb testing.TB) []Center {
	tb.Helper()
	f, err := os.Open(examplePath)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	cs, errs := ParseCenters(f, examplePath)
	if len(errs) > 0 {
		tb.Fatal(errs)
	}
	return cs
}

// short names the example centres without their "Beispiel: " mark.
func short(hs []Hit) []string {
	var out []string
	for _, h := range hs {
		out = append(out, strings.TrimPrefix(h.Center.Name, "Beispiel: "))
	}
	return out
}

func cities(hs []Hit) []string {
	var out []string
	for _, h := range hs {
		out = append(out, h.Center.City)
	}
	return out
}

func TestMatchBerlinPotsdamHamburg(t *testing.T) {
	d := NewDirectory(loadExample(t), loadGeo(t), Options{})
	res, err := d.Match(Query{PostalCode: "10115", Topics: []string{"Trennung"}, K: 10, RadiusKM: 300})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(cities(res.Nearby), ","); got != "Berlin,Berlin,Berlin,Potsdam,Hamburg,Hamburg" {
		t.Errorf("cities in order: %s (%q)", got, short(res.Nearby))
	}
	if res.Approximate || res.Place != "Berlin" || res.PostalCode != "10115" {
		t.Errorf("result %+v", res)
	}
	for i, h := range res.Nearby {
		if !h.HasDistance || i > 0 && h.DistanceKM < res.Nearby[i-1].DistanceKM {
			t.Errorf("hit %d: distance %v after %v", i, h.DistanceKM, res.Nearby[max(i-1, 0)].DistanceKM)
		}
	}
	if last := res.Nearby[len(res.Nearby)-1]; last.DistanceKM < 240 || last.DistanceKM > 280 {
		t.Errorf("Hamburg-Harburg is %.0f km from Berlin-Mitte", last.DistanceKM)
	}
	if got := short(res.Remote); !slices.Equal(got, []string{"Telefonberatung für Alleinerziehende"}) {
		t.Errorf("remote: %q", got)
	}
}

func TestMatch(t *testing.T) {
	d := NewDirectory(loadExample(t), loadGeo(t), Options{})
	tests := []struct {
		name   string
		q      Query
		nearby []string
		remote []string
	}{
		{"default: three nearest within 50 km",
			Query{PostalCode: "10115", Topics: []string{"trennung"}},
			[]string{"Familienberatung Mitte", "Trennungs- und Scheidungsberatung Charlottenburg", "Frauenberatung Neukölln"},
			[]string{"Telefonberatung für Alleinerziehende"}},
		{"radius 50 km takes in Potsdam, not Hamburg",
			Query{PostalCode: "10115", Topics: []string{"trennung"}, K: 10},
			[]string{"Familienberatung Mitte", "Trennungs- und Scheidungsberatung Charlottenburg", "Frauenberatung Neukölln", "Familienberatung Potsdam"},
			[]string{"Telefonberatung für Alleinerziehende"}},
		{"radius 5 km",
			Query{PostalCode: "10115", Topics: []string{"trennung"}, K: 10, RadiusKM: 5},
			[]string{"Familienberatung Mitte"},
			[]string{"Telefonberatung für Alleinerziehende"}},
		{"from Potsdam",
			Query{PostalCode: "14469", Topics: []string{"unterhalt"}},
			[]string{"Familienberatung Potsdam", "Trennungs- und Scheidungsberatung Charlottenburg", "Familienberatung Mitte"},
			[]string{"Telefonberatung für Alleinerziehende"}},
		{"topics case- and umlaut-insensitive; an online centre nearby is not repeated as remote",
			Query{PostalCode: "10115", Topics: []string{"KITA"}, K: 5},
			[]string{"Jobcoaching für Alleinerziehende Wedding", "Kita- und Schulberatung Kreuzberg", "Familientreff Marzahn"},
			[]string{"Online-Beratung Kita und Schule"}},
		{"any of several topics",
			Query{PostalCode: "50667", Topics: []string{"Gewalt", "Schule"}, K: 5},
			// The online offer has no coordinates: it sits at its postal code, the asked one.
			[]string{"Online-Beratung Kita und Schule", "Familienberatung Köln-Innenstadt", "Frauen- und Kinderschutz Köln-Kalk"},
			[]string{"Telefonberatung für Alleinerziehende"}},
		{"Finanzen near München: the nationwide offer serves more topics than none",
			Query{PostalCode: "81737", Topics: []string{"finanzen", "beruf"}},
			[]string{"Kita-Lotsen Neuperlach", "Familienberatung München-Zentrum"},
			[]string{"Telefonberatung für Alleinerziehende", "Jobcoaching für Alleinerziehende Wedding"}},
		{"no topics: every centre; remote without those nearby",
			Query{PostalCode: "13353"},
			[]string{"Jobcoaching für Alleinerziehende Wedding", "Familienberatung Mitte", "Trennungs- und Scheidungsberatung Charlottenburg"},
			[]string{"Telefonberatung für Alleinerziehende", "Online-Beratung Kita und Schule"}},
		{"no remote offers asked for",
			Query{PostalCode: "10115", Topics: []string{"trennung"}, K: 1, Remote: -1},
			[]string{"Familienberatung Mitte"}, nil},
		{"a topic nobody serves",
			Query{PostalCode: "10115", Topics: []string{"Astrologie"}}, nil, nil},
		{"nothing within the radius: only remote offers",
			Query{PostalCode: "18055", Topics: []string{"krise"}},
			nil, []string{"Telefonberatung für Alleinerziehende"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := d.Match(tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if got := short(res.Nearby); !slices.Equal(got, tt.nearby) {
				t.Errorf("nearby:\n got %q\nwant %q", got, tt.nearby)
			}
			if got := short(res.Remote); !slices.Equal(got, tt.remote) {
				t.Errorf("remote:\n got %q\nwant %q", got, tt.remote)
			}
			if res.Approximate {
				t.Error("approximate")
			}
			for _, h := range res.Nearby {
				if h.Center.Nationwide {
					t.Errorf("nationwide %q among nearby", h.Center.Name)
				}
				if r := cmpRadius(tt.q); h.DistanceKM > r {
					t.Errorf("%q at %.1f km, beyond %v", h.Center.Name, h.DistanceKM, r)
				}
			}
		})
	}
}

func cmpRadius(q Query) float64 {
	if q.RadiusKM > 0 {
		return q.RadiusKM
	}
	return DefaultRadiusKM
}

// TestMatchApproximate: without a geo table, or for a code it lacks, centres are ranked
// by the postal-code prefix they share, and the result says so.
func TestMatchApproximate(t *testing.T) {
	withGeo := NewDirectory(loadExample(t), loadGeo(t), Options{})
	noGeo := NewDirectory(loadExample(t), nil, Options{})
	tests := []struct {
		name   string
		d      *Directory
		q      Query
		nearby []string
		shared []int
	}{
		{"no geo table", noGeo, Query{PostalCode: "10117", Topics: []string{"trennung"}},
			[]string{"Familienberatung Mitte", "Trennungs- und Scheidungsberatung Charlottenburg"}, []int{4, 2}},
		{"no geo table: numeric closeness breaks ties", noGeo, Query{PostalCode: "14480", K: 5},
			[]string{"Krisendienst Potsdam-Süd", "Schuldnerberatung Potsdam-West", "Familienberatung Potsdam"}, []int{4, 3, 3}},
		{"a code the geo table lacks", withGeo, Query{PostalCode: "10114", Topics: []string{"trennung"}},
			[]string{"Familienberatung Mitte", "Trennungs- und Scheidungsberatung Charlottenburg"}, []int{4, 2}},
		{"nothing shares two digits", noGeo, Query{PostalCode: "99084"}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := tt.d.Match(tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if !res.Approximate {
				t.Error("not approximate")
			}
			if got := short(res.Nearby); !slices.Equal(got, tt.nearby) {
				t.Errorf("nearby:\n got %q\nwant %q", got, tt.nearby)
			}
			var shared []int
			for _, h := range res.Nearby {
				shared = append(shared, h.SharedPrefix)
				if h.HasDistance {
					t.Errorf("%q has a distance", h.Center.Name)
				}
			}
			if !slices.Equal(shared, tt.shared) {
				t.Errorf("shared prefixes %v, want %v", shared, tt.shared)
			}
			if len(res.Remote) == 0 {
				t.Error("no remote offers")
			}
		})
	}
}

func TestMatchBadPostalCode(t *testing.T) {
	d := NewDirectory(loadExample(t), nil, Options{})
	for _, code := range []string{"", "1011", "abc", "10115 Berlin"} {
		if _, err := d.Match(Query{PostalCode: code}); !errors.Is(err, ErrBadPostalCode) {
			t.Errorf("Match(%q): %v", code, err)
		}
	}
	if res, err := d.Match(Query{PostalCode: " d-10115 "}); err != nil || res.PostalCode != "10115" {
		t.Errorf("D-10115: %v %+v", err, res)
	}
}

// TestPlacement: centres without coordinates sit at their code's place, or at the
// nearest code sharing three characters, or nowhere.
func TestPlacement(t *testing.T) {
	cs := []Center{
		{Name: "by code", Country: "DE", PostalCode: "14467"},
		{Name: "by a neighbouring code", Country: "DE", PostalCode: "10114"},
		{Name: "nowhere", Country: "DE", PostalCode: "05123"},
		{Name: "hotline", Country: "DE", Nationwide: true},
	}
	d := NewDirectory(cs, loadGeo(t), Options{})
	if got := d.Estimated(); len(got) != 1 || got[0].Name != "by a neighbouring code" {
		t.Errorf("estimated: %v", got)
	}
	if got := d.Unplaced(); len(got) != 1 || got[0].Name != "nowhere" {
		t.Errorf("unplaced: %v", got)
	}
	res, err := d.Match(Query{PostalCode: "10115", K: 5, RadiusKM: 40})
	if err != nil {
		t.Fatal(err)
	}
	if got := short(res.Nearby); !slices.Equal(got, []string{"by a neighbouring code", "by code"}) {
		t.Errorf("nearby %q", got)
	}
	if got := short(res.Remote); !slices.Equal(got, []string{"hotline"}) {
		t.Errorf("remote %q", got)
	}
	if name, state, ok := d.PlaceOf("", "14467"); !ok || name != "Potsdam" || state != "Brandenburg" {
		t.Errorf("PlaceOf 14467: %q %q %v", name, state, ok)
	}
	if n := d.PostalCodes(); n != geoCodes {
		t.Errorf("%d postal codes, want %d", n, geoCodes)
	}
}

// TestMatchWholeEarth: a radius beyond the grid's reach scans every centre.
func TestMatchWholeEarth(t *testing.T) {
	d := NewDirectory(loadExample(t), loadGeo(t), Options{})
	res, err := d.Match(Query{PostalCode: "80331", K: 50, RadiusKM: 30000, Remote: -1})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Nearby) != 17 { // all but the nationwide hotline
		t.Errorf("%d nearby", len(res.Nearby))
	}
	if res.Nearby[0].Center.City != "München" || res.Nearby[16].Center.City != "Hamburg" {
		t.Errorf("first %s, last %s", res.Nearby[0].Center.City, res.Nearby[16].Center.City)
	}
}

func TestPostalCodeIn(t *testing.T) {
	withGeo := NewDirectory(nil, loadGeo(t), Options{})
	noGeo := NewDirectory(nil, nil, Options{})
	tests := []struct {
		d    *Directory
		text string
		want string
	}{
		{withGeo, "Hallo, ich wohne in 10115 Berlin und suche Hilfe.", "10115"},
		{withGeo, "PLZ: D-14467 Potsdam", "14467"},
		{withGeo, "Tel. 030/12345 oder 030-10115, PLZ 50667", "50667"},
		{withGeo, "Seit 2024 allein, Zimmer10115, Kunde 99999, PLZ 10117", "10117"},
		{withGeo, "PLZ 99999", "99999"},
		{withGeo, "Kunden-Nr. 12345678", ""},
		{noGeo, "PLZ 99999 Irgendwo", "99999"},
		{noGeo, "keine Postleitzahl", ""},
	}
	for _, tt := range tests {
		got, ok := tt.d.PostalCodeIn(tt.text)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("PostalCodeIn(%q) = %q, %v; want %q", tt.text, got, ok, tt.want)
		}
	}
}

func TestTopicsIn(t *testing.T) {
	d := NewDirectory(loadExample(t), nil, Options{})
	tests := []struct {
		text string
		want []string
	}{
		{"Ich brauche Hilfe beim Unterhaltsvorschuss und mit der KITA.", []string{"unterhalt", "kita"}},
		{"Suche einen Kitaplatz nach der Trennung", []string{"trennung", "kita"}},
		{"häusliche Gewalt", []string{"gewalt"}},
		{"Ich bin in einer Krise", []string{"krise"}},
		{"Schulden und Schulempfehlung", []string{"schule"}},
		{"Guten Tag", nil},
	}
	for _, tt := range tests {
		if got := d.TopicsIn(tt.text); !slices.Equal(got, tt.want) {
			t.Errorf("TopicsIn(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}
