package counsel

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"listd/internal/i18n"
)

func seeds(f *testing.F, patterns ...string) {
	f.Helper()
	n := 0
	for _, p := range patterns {
		files, err := filepath.Glob(p)
		if err != nil {
			f.Fatal(err)
		}
		for _, name := range files {
			b, err := os.ReadFile(name)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
			n++
		}
	}
	if n == 0 {
		f.Fatalf("no seeds in %v", patterns)
	}
}

// FuzzParseCenters: whatever the file, ParseCenters does not panic, names every
// problem by file and line, returns only centres that pass its own checks, and what
// WriteCenters writes of them reads back to the same centres without a problem.
func FuzzParseCenters(f *testing.F) {
	seeds(f, "testdata/*.csv", examplePath)
	f.Fuzz(func(t *testing.T, data []byte) {
		cs, errs := ParseCenters(bytes.NewReader(data), "f.csv")
		for _, e := range errs {
			if e.File != "f.csv" || e.Line < 1 || e.Reason() == "" || !strings.HasPrefix(e.Error(), "f.csv:") {
				t.Fatalf("error %#v", e)
			}
		}
		for _, c := range cs {
			checkCenter(t, c)
		}
		var buf bytes.Buffer
		if err := WriteCenters(&buf, cs); err != nil {
			t.Fatal(err)
		}
		back, errs := ParseCenters(&buf, "export.csv")
		if len(errs) > 0 {
			t.Fatalf("the export of %d centres has problems: %v\n%s", len(cs), errs, buf.String())
		}
		for i := range back {
			back[i].Line = cs[i].Line
		}
		if len(cs) == 0 && len(back) == 0 {
			return
		}
		if !reflect.DeepEqual(back, cs) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", back, cs)
		}
	})
}

func checkCenter(t *testing.T, c Center) {
	t.Helper()
	if c.Name == "" || c.Line < 2 {
		t.Fatalf("centre %+v", c)
	}
	for _, s := range append([]string{c.Name, c.Organisation, c.Street, c.PostalCode, c.City, c.Phone, c.Email, c.Web,
		c.Hours, c.Accessibility, c.Country}, append(c.Topics, c.Languages...)...) {
		if !utf8.ValidString(s) || strings.ContainsRune(s, '\r') {
			t.Fatalf("cell %q of %+v", s, c)
		}
	}
	if c.PostalCode == "" && !c.Nationwide {
		t.Fatalf("no postal code: %+v", c)
	}
	if c.PostalCode != "" && checkPostalCode(c.PostalCode, c.Country) != nil {
		t.Fatalf("postal code %q of %s", c.PostalCode, c.Country)
	}
	if c.HasCoords && (c.Lat < -90 || c.Lat > 90 || c.Lon < -180 || c.Lon > 180) {
		t.Fatalf("coordinates %v %v", c.Lat, c.Lon)
	}
	for _, t2 := range c.Topics {
		if t2 == "" || strings.ContainsAny(t2, ";,") {
			t.Fatalf("topic %q", t2)
		}
	}
}

// FuzzParseGeoNames: no panic; places are well formed; errors name the file (and a
// line, as a *LineError, when one line is to blame).
func FuzzParseGeoNames(f *testing.F) {
	seeds(f, "testdata/*.txt")
	f.Add([]byte(geoLines))
	f.Fuzz(func(t *testing.T, data []byte) {
		ps, err := ParseGeoNames(bytes.NewReader(data), "g.txt")
		if err != nil {
			if ps != nil {
				t.Fatal("places with an error")
			}
			var le *LineError
			if errors.As(err, &le) && (le.Line < 1 || le.File != "g.txt") {
				t.Fatalf("error %#v", le)
			}
			if !strings.HasPrefix(err.Error(), "g.txt") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		if len(ps) == 0 {
			t.Fatal("no places and no error")
		}
		for _, p := range ps {
			if len(p.Country) != 2 || checkGeoPostalCode(p.PostalCode, p.Country) != nil ||
				p.Lat < -90 || p.Lat > 90 || p.Lon < -180 || p.Lon > 180 || !utf8.ValidString(p.Name) {
				t.Fatalf("place %+v", p)
			}
		}
		// The directory takes whatever the parser passed.
		d := NewDirectory(nil, ps, Options{Country: ps[0].Country})
		if _, err := d.Match(Query{PostalCode: ps[0].PostalCode, Country: ps[0].Country}); err != nil && !errors.Is(err, ErrBadPostalCode) {
			t.Fatal(err)
		}
	})
}

// FuzzPostalCode: whatever a parent types as postal code and country, normalising
// is stable, and a code that is refused is refused with a sentence in German and in
// English from the catalogue (no %!verb from a wrong argument count).
func FuzzPostalCode(f *testing.F) {
	for _, s := range [][2]string{{"10115", "DE"}, {"D-01067", ""}, {"1067", "DE"}, {"00123", "DE"},
		{"1010", "AT"}, {"SW1A 1AA", "GB"}, {" de 80331 ", "de"}, {"-12", "NL"}, {"", ""}, {"ä1234", "CH"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, code, country string) {
		n := NormalizePostalCode(code)
		if again := NormalizePostalCode(n); again != n {
			t.Fatalf("NormalizePostalCode(%q) = %q, then %q", code, n, again)
		}
		why := checkPostalCode(n, strings.ToUpper(strings.TrimSpace(country)))
		if why == nil {
			return
		}
		e := &LineError{Code: why.code, Args: why.args}
		for _, lang := range []i18n.Lang{i18n.German, i18n.English} {
			s := e.Text(nil, lang)
			if s == "" || strings.Contains(s, "%!") || strings.HasPrefix(s, "counsel_file.") {
				t.Fatalf("%q %q: %s text %q", code, country, lang, s)
			}
		}
	})
}
