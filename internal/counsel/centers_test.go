package counsel

import (
	"bytes"
	"os"
	"reflect"
	"strings"
	"testing"
)

const examplePath = "../../examples/centers.example.csv"

func parseString(t *testing.T, file, content string) ([]Center, []*LineError) {
	t.Helper()
	return ParseCenters(strings.NewReader(content), file)
}

func TestParseCentersExample(t *testing.T) {
	f, err := os.Open(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cs, errs := ParseCenters(f, examplePath)
	for _, e := range errs {
		t.Error(e)
	}
	if len(cs) != 18 {
		t.Fatalf("%d centres, want 18", len(cs))
	}
	for _, c := range cs {
		if !strings.HasPrefix(c.Name, "Beispiel: ") {
			t.Errorf("line %d: %q is not marked as example data", c.Line, c.Name)
		}
	}
	first := cs[0]
	if first.PostalCode != "10115" || first.City != "Berlin" || !first.HasCoords || first.Lat != 52.531 ||
		strings.Join(first.Topics, ",") != "unterhalt,umgang,sorgerecht,trennung" ||
		strings.Join(first.Languages, ",") != "deutsch,englisch,türkisch" || first.Accessibility != "Rollstuhlgerecht, Aufzug" ||
		first.Country != "DE" || first.Line != 2 {
		t.Errorf("first centre: %+v", first)
	}
	hotline := cs[16]
	if !hotline.Nationwide || !hotline.Online || hotline.PostalCode != "" {
		t.Errorf("hotline: %+v", hotline)
	}
}

// TestParseCentersGerman: German headers, ';' as delimiter, a BOM, CRLF, ja/nein and
// decimal commas, as a German spreadsheet writes them.
func TestParseCentersGerman(t *testing.T) {
	in := "\ufeffName;Träger;Straße;PLZ;Ort;Telefon;E-Mail;Webseite;Themen;Öffnungszeiten;Sprachen;Breitengrad;Längengrad;Online;Bundesweit;Barrierefreiheit;Notizen\r\n" +
		"Stelle A;Verein \"Hilfe\" e.V.;Weg 1;D-10115;Berlin;030 0000 1;a@example.org;https://example.org;Unterhalt, Umgang;Mo 9–12;deutsch;52,53;13,38;nein;Nein;Aufzug;intern\r\n" +
		";;;;;;;;;;;;;;;;\r\n" +
		"Hotline B;;;;;0800 000 0001;;;Krise;;;;;ja;JA;;\r\n"
	cs, errs := parseString(t, "de.csv", in)
	for _, e := range errs {
		t.Error(e)
	}
	want := []Center{
		{Name: "Stelle A", Organisation: `Verein "Hilfe" e.V.`, Street: "Weg 1", Country: "DE", PostalCode: "10115", City: "Berlin",
			Phone: "030 0000 1", Email: "a@example.org", Web: "https://example.org", Topics: []string{"Unterhalt", "Umgang"},
			Hours: "Mo 9–12", Languages: []string{"deutsch"}, Accessibility: "Aufzug", Lat: 52.53, Lon: 13.38, HasCoords: true, Line: 2},
		{Name: "Hotline B", Country: "DE", Phone: "0800 000 0001", Topics: []string{"Krise"}, Online: true, Nationwide: true, Line: 4},
	}
	if !reflect.DeepEqual(cs, want) {
		t.Errorf("got  %+v\nwant %+v", cs, want)
	}
}

func TestParseCentersErrors(t *testing.T) {
	const header = "name,postal_code,city,topics,latitude,longitude,online,nationwide,email,web\n"
	tests := []struct {
		name string
		in   string
		want []string // every error, as Error() prints it; a trailing "…" matches a prefix
		good int      // centres that still pass
	}{
		{"missing name column", "title,postal_code\nA,10115\n",
			[]string{"f.csv:1: name: missing column (the header needs name; it has title, postal_code)"}, 0},
		{"misspelt column", "name,Postleitzahll\nA,10115\n",
			[]string{"f.csv:1: Postleitzahll: unknown column; did you mean postal_code?"}, 0},
		{"column twice", "name,PLZ,Postleitzahl\nA,10115,10115\n",
			[]string{`f.csv:1: Postleitzahl: the same column as "PLZ" (column 2): give it once`}, 0},
		{"missing postal_code column", "name,city\nA,Berlin\n",
			[]string{"f.csv:1: postal_code: missing column (required unless every centre is nationwide)"}, 0},
		{"latitude without longitude column", "name,postal_code,lat\nA,10115,52.5\n",
			[]string{"f.csv:1: longitude: missing column (lat needs it)"}, 0},
		{"empty file", "", []string{"f.csv:1: empty file…"}, 0},
		{"missing name", header + ",10115,Berlin,,,,,,,\n",
			[]string{"f.csv:2: name: required"}, 0},
		{"missing postal code", header + "A,,Berlin,,,,,,,\n",
			[]string{"f.csv:2: postal_code: required (unless nationwide is yes)"}, 0},
		{"four-digit postal code", header + "A,1067,Dresden,,,,,,,\n",
			[]string{`f.csv:2: postal_code: "1067" has 4 digits; German postal codes have 5 (a spreadsheet may have dropped a leading 0: 01067)`}, 0},
		{"letters in a German postal code", header + "A,1O115,Berlin,,,,,,,\n",
			[]string{`f.csv:2: postal_code: "1O115" is not a German postal code (5 digits)`}, 0},
		{"postal code 00", header + "A,00123,Berlin,,,,,,,\n",
			[]string{`f.csv:2: postal_code: "00123" is not a German postal code (none starts with 00)`}, 0},
		{"foreign postal code", "name,postal_code,country\nA,1010,AT\nB,X,CH\nC,12345,Mars\n",
			[]string{`f.csv:3: postal_code: "X" is not a postal code (3 to 10 letters or digits)`,
				`f.csv:4: country: "Mars": want a two-letter country code (DE, AT, CH, ...)`}, 1},
		{"coordinate not a number", header + "A,10115,Berlin,,52.5°,13.4,,,,\n",
			[]string{`f.csv:2: latitude: "52.5°" is not a number (decimal degrees like 52.5200)`}, 0},
		{"coordinate out of range", header + "A,10115,Berlin,,52.5,213.4,,,,\n",
			[]string{"f.csv:2: longitude: 213.4 is out of range (-180 to 180)"}, 0},
		{"only one coordinate", header + "A,10115,Berlin,,52.5,,,,,\n",
			[]string{"f.csv:2: longitude: empty, but latitude is given (give both or neither)"}, 0},
		{"swapped coordinates", header + "A,10115,Berlin,,13.4,52.5,,,,\n",
			[]string{"f.csv:2: latitude: 13.4, 52.5 lies outside Germany, but the postal code is German (latitude and longitude swapped?)"}, 0},
		{"null island", header + "A,10115,Berlin,,0,0,,,,\n",
			[]string{"f.csv:2: latitude: 0, 0 is no place (leave both cells empty when not known)"}, 0},
		{"bad yes/no", header + "A,10115,Berlin,,,,vielleicht,,,\n",
			[]string{`f.csv:2: online: "vielleicht": want yes or no (ja or nein)`}, 0},
		{"bad email", header + "A,10115,Berlin,,,,,,info(at)example.org,\n",
			[]string{`f.csv:2: email: "info(at)example.org" is not an email address (like info@example.org)`}, 0},
		{"web without scheme", header + "A,10115,Berlin,,,,,,,www.example.org\n",
			[]string{`f.csv:2: web: "www.example.org": start web addresses with https://`}, 0},
		{"web not http", header + "A,10115,Berlin,,,,,,,ftp://example.org\n",
			[]string{`f.csv:2: web: "ftp://example.org" is not a web address (http:// or https://)`}, 0},
		{"duplicate", header + "A,10115,Berlin,,,,,,,\nB,10115,Berlin,,,,,,,\n a ,10115,Berlin,,,,,,,\n",
			[]string{`f.csv:4: name: "a" is a duplicate of line 2 (same name and postal code)`}, 2},
		{"not UTF-8", header + "A,10115,Berlin,,,,,,,\nStra\xdfenhilfe,10115,Berlin,,,,,,,\n",
			[]string{"f.csv:3: name: not UTF-8 (save the file as UTF-8)"}, 1},
		{"not UTF-8 header", "name,Stra\xdfe,postal_code\n",
			[]string{"f.csv:1: not UTF-8 (save the file as UTF-8)"}, 0},
		{"UTF-16", "\xff\xfen\x00a\x00", []string{"f.csv:1: UTF-16, not UTF-8 (save the file as UTF-8)"}, 0},
		{"too few fields", header + "A,10115,Berlin\n",
			[]string{`f.csv:2: 3 fields, but the header has 10 (a missing ',', or a quote " not closed?)`}, 0},
		{"too many fields", header + "A,10115,Berlin,,,,,,,,Hinterhaus\n",
			[]string{"f.csv:2: 11 fields, but the header has 10 (a cell with ',' in it needs quotes)"}, 0},
		{"empty extra fields are fine", header + "A,10115,Berlin,,,,,,,,,\n", nil, 1},
		{"line of a multi-line record", header + "\"A\nB\",10115,Berlin,,,,,,,\nC,999,Berlin,,,,,,,\n",
			[]string{`f.csv:4: postal_code: "999" is not a German postal code (5 digits)`}, 1},
		{"every problem of a row", header + ",1234,Berlin,,52.5,x,nein,vielleicht,a,b\n",
			[]string{
				"f.csv:2: nationwide: \"vielleicht\": want yes or no (ja or nein)",
				"f.csv:2: name: required",
				"f.csv:2: postal_code: \"1234\" has 4 digits…",
				"f.csv:2: longitude: \"x\" is not a number…",
				"f.csv:2: email: \"a\" is not an email address…",
				"f.csv:2: web: \"b\" is not a web address…",
			}, 0},
		{"nationwide needs no postal code", header + "A,,,,,,yes,ja,,\n", nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs, errs := parseString(t, "f.csv", tt.in)
			var got []string
			for _, e := range errs {
				got = append(got, e.Error())
			}
			if len(got) != len(tt.want) {
				t.Fatalf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			for i, w := range tt.want {
				if p, ok := strings.CutSuffix(w, "…"); ok && strings.HasPrefix(got[i], p) || got[i] == w {
					continue
				}
				t.Errorf("error %d:\n got %s\nwant %s", i, got[i], w)
			}
			if len(cs) != tt.good {
				t.Errorf("%d centres pass, want %d", len(cs), tt.good)
			}
		})
	}
}

func TestWriteCentersRoundTrip(t *testing.T) {
	f, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	cs, errs := ParseCenters(bytes.NewReader(f), "example.csv")
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	cs = append(cs, Center{Name: "Wien", Country: "AT", PostalCode: "1010", Hours: "Mo\nDi", Lat: 48.2, Lon: 16.37, HasCoords: true})
	var buf bytes.Buffer
	if err := WriteCenters(&buf, cs); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String(), "name,organisation,street,postal_code,city,phone,email,web,topics,hours,languages,latitude,longitude,online,nationwide,") {
		t.Errorf("header: %s", strings.SplitN(buf.String(), "\n", 2)[0])
	}
	back, errs := ParseCenters(&buf, "export.csv")
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	for i := range back {
		back[i].Line, cs[i].Line = 0, 0
	}
	if !reflect.DeepEqual(back, cs) {
		t.Errorf("round trip changed the centres:\n%+v\n%+v", back, cs)
	}
}

func TestFoldTopic(t *testing.T) {
	tests := []struct{ a, b string }{
		{"Trennung", "trennung"},
		{"Schüler", "Schueler"},
		{"Schüler", "schuler"},
		{"Straße", "STRASSE"},
		{"  häusliche   Gewalt ", "haeusliche gewalt"},
		{"Crèche", "creche"},
		{"Groß ẞ", "gross ss"}, // white space before ß stays
	}
	for _, tt := range tests {
		if a, b := FoldTopic(tt.a), FoldTopic(tt.b); a != b {
			t.Errorf("FoldTopic(%q) = %q, FoldTopic(%q) = %q", tt.a, a, tt.b, b)
		}
	}
	if FoldTopic("kita") == FoldTopic("krise") {
		t.Error("distinct topics fold together")
	}
}
