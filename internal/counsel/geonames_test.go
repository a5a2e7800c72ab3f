package counsel

import (
	"archive/zip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const geoLines = "DE\t10115\tBerlin\tBerlin\tBE\t\t00\tBerlin, Stadt\t11000\t52.5323\t13.3846\t4\n" +
	"DE\t14467\tPotsdam\tBrandenburg\tBB\t\t00\tKreisfreie Stadt Potsdam\t12054\t52.403\t13.0626\t4\r\n" +
	"\n" +
	"AT\t1010\tWien, Innere Stadt\tWien\t09\tWien Stadt\t900\tWien\t90001\t48.2077\t16.3705\n"

func TestParseGeoNames(t *testing.T) {
	ps, err := ParseGeoNames(strings.NewReader(geoLines), "geo.txt")
	if err != nil {
		t.Fatal(err)
	}
	want := []Place{
		{Country: "DE", PostalCode: "10115", Name: "Berlin", State: "Berlin", Lat: 52.5323, Lon: 13.3846},
		{Country: "DE", PostalCode: "14467", Name: "Potsdam", State: "Brandenburg", Lat: 52.403, Lon: 13.0626},
		{Country: "AT", PostalCode: "1010", Name: "Wien, Innere Stadt", State: "Wien", Lat: 48.2077, Lon: 16.3705},
	}
	if len(ps) != len(want) {
		t.Fatalf("%d places: %+v", len(ps), ps)
	}
	for i := range want {
		if ps[i] != want[i] {
			t.Errorf("place %d: %+v, want %+v", i, ps[i], want[i])
		}
	}
}

func TestParseGeoNamesErrors(t *testing.T) {
	good := "DE\t10115\tBerlin\tBerlin\tBE\t\t00\tBerlin, Stadt\t11000\t52.5323\t13.3846\t4\n"
	tests := []struct {
		name, in, want string
	}{
		{"comma separated", good + "DE,10117,Berlin,Berlin,BE,,00,Berlin,11000,52.5,13.4,4\n",
			"geo.txt:2: 1 tab-separated fields, want 12 (country, postal code, place, ..., latitude, longitude, accuracy)"},
		{"bad latitude", good + "DE\t10117\tBerlin\tBerlin\tBE\t\t00\tBerlin\t11000\tnord\t13.4\t4\n",
			`geo.txt:2: latitude: "nord" is not a number (decimal degrees like 52.5200)`},
		{"longitude out of range", "DE\t10117\tBerlin\tBerlin\tBE\t\t00\tBerlin\t11000\t52.5\t213.4\t4\n",
			"geo.txt:1: longitude: 213.4 is out of range (-180 to 180)"},
		{"bad country", good + good + "Deutschland\t10117\tBerlin\tBerlin\tBE\t\t00\tBerlin\t11000\t52.5\t13.4\t4\n",
			`geo.txt:3: country: "Deutschland" is not a two-letter country code`},
		{"bad German postal code", "DE\t1011\tBerlin\tBerlin\tBE\t\t00\tBerlin\t11000\t52.5\t13.4\t4\n",
			`geo.txt:1: postal code: "1011" has 4 digits; German postal codes have 5 (a spreadsheet may have dropped a leading 0: 01011)`},
		{"not UTF-8", good + "DE\t10117\tK\xf6ln\tBerlin\tBE\t\t00\tBerlin\t11000\t52.5\t13.4\t4\n",
			"geo.txt:2: not UTF-8 (save the file as UTF-8)"},
		{"zip archive", "PK\x03\x04rest", "geo.txt:1: a zip archive: unzip it and import the .txt inside"},
		{"empty", "\n\n", "geo.txt: no postal-code places in it"},
		{"line too long", good + strings.Repeat("x", 70000) + "\n", "geo.txt:2: longer than 64 KiB: not a GeoNames postal-code file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps, err := ParseGeoNames(strings.NewReader(tt.in), "geo.txt")
			if err == nil || err.Error() != tt.want {
				t.Errorf("err = %v\nwant  %s", err, tt.want)
			}
			if ps != nil {
				t.Errorf("places with an error: %d", len(ps))
			}
		})
	}
}

func TestReadGeoNamesZip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "DE.zip")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for name, body := range map[string]string{"readme.txt": "GeoNames readme\n", "DE.txt": geoLines} {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	ps, err := ReadGeoNamesFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 3 {
		t.Errorf("%d places from the zip", len(ps))
	}
}
