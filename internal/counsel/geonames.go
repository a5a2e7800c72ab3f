package counsel

import (
	"archive/zip"
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// The columns of a GeoNames postal-code dump (download.geonames.org/export/zip/).
const (
	gnCountry = iota
	gnPostalCode
	gnPlace
	gnAdmin1Name
	gnAdmin1Code
	gnAdmin2Name
	gnAdmin2Code
	gnAdmin3Name
	gnAdmin3Code
	gnLatitude
	gnLongitude
	gnAccuracy
	gnColumns
)

// maxGeoLine is far above any GeoNames line (about 100 bytes).
const maxGeoLine = 64 << 10

// ParseGeoNames reads a GeoNames postal-code dump: tab-separated lines of country,
// postal code, place name, admin1 name and code, admin2 name and code, admin3 name and
// code, latitude, longitude and accuracy (which may be missing). It returns every line
// as a Place: many places share a postal code, and the Directory averages them. The
// first bad line stops it with a *LineError naming file and line.
func ParseGeoNames(r io.Reader, file string) ([]Place, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxGeoLine)
	var ps []Place
	bad := func(line int, col string, code Problem, args ...any) error {
		return &LineError{File: file, Line: line, Column: col, Code: code, Args: args}
	}
	line := 0
	for sc.Scan() {
		line++
		b := sc.Bytes()
		if line == 1 {
			if bytes.HasPrefix(b, []byte("PK\x03\x04")) {
				return nil, bad(line, "", ProblemZip)
			}
			b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
		}
		b = bytes.TrimSuffix(b, []byte("\r"))
		if len(bytes.TrimSpace(b)) == 0 {
			continue
		}
		if !utf8.Valid(b) {
			return nil, bad(line, "", ProblemNotUTF8)
		}
		f := strings.Split(string(b), "\t")
		if len(f) != gnColumns && len(f) != gnColumns-1 {
			return nil, bad(line, "", ProblemGeoFields, len(f), gnColumns)
		}
		p := Place{
			Country:    strings.ToUpper(strings.TrimSpace(f[gnCountry])),
			PostalCode: NormalizePostalCode(f[gnPostalCode]),
			Name:       strings.TrimSpace(f[gnPlace]),
			State:      strings.TrimSpace(f[gnAdmin1Name]),
		}
		if len(p.Country) != 2 || !isLetter(p.Country[0]) || !isLetter(p.Country[1]) {
			return nil, bad(line, "country", ProblemGeoCountry, f[gnCountry])
		}
		if why := checkGeoPostalCode(p.PostalCode, p.Country); why != nil {
			return nil, bad(line, "postal code", why.code, why.args...)
		}
		var why *problem
		if p.Lat, why = parseCoordinate(strings.TrimSpace(f[gnLatitude]), 90); why != nil {
			return nil, bad(line, "latitude", why.code, why.args...)
		}
		if p.Lon, why = parseCoordinate(strings.TrimSpace(f[gnLongitude]), 180); why != nil {
			return nil, bad(line, "longitude", why.code, why.args...)
		}
		ps = append(ps, p)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, bad(line+1, "", ProblemGeoTooLong, maxGeoLine>>10)
		}
		return nil, fmt.Errorf("read %s: %w", file, err)
	}
	if len(ps) == 0 {
		return nil, fmt.Errorf("%s: no postal-code places in it", file)
	}
	return ps, nil
}

// checkGeoPostalCode is looser than the centres file for other countries: GeoNames
// has outward codes of two characters (GB "W1").
func checkGeoPostalCode(code, country string) *problem {
	if country == "DE" {
		return checkPostalCode(code, country)
	}
	if code == "" || len(code) > 12 {
		return newProblem(ProblemPostal, code)
	}
	for i := 0; i < len(code); i++ {
		if c := code[i]; !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c == ' ' || c == '-') {
			return newProblem(ProblemPostal, code)
		}
	}
	return nil
}

// ReadGeoNamesFile reads a GeoNames dump from path: the .txt, or the .zip as
// downloaded (DE.zip holds DE.txt and a readme).
func ReadGeoNamesFile(path string) ([]Place, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("geo file: %w", err)
	}
	defer f.Close()
	var magic [4]byte
	if n, _ := io.ReadFull(f, magic[:]); n == 4 && string(magic[:]) == "PK\x03\x04" {
		return readGeoZip(f, path)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("geo file %s: %w", path, err)
	}
	return ParseGeoNames(f, path)
}

func readGeoZip(f *os.File, path string) ([]Place, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("geo file %s: %w", path, err)
	}
	zr, err := zip.NewReader(f, st.Size())
	if err != nil {
		return nil, fmt.Errorf("geo file %s: %w", path, err)
	}
	var all []Place
	for _, zf := range zr.File {
		if !strings.EqualFold(filepath.Ext(zf.Name), ".txt") || strings.EqualFold(filepath.Base(zf.Name), "readme.txt") {
			continue
		}
		rc, err := zf.Open()
		if err != nil {
			return nil, fmt.Errorf("geo file %s: %s: %w", path, zf.Name, err)
		}
		ps, err := ParseGeoNames(rc, path+":"+zf.Name)
		rc.Close()
		if err != nil {
			return nil, err
		}
		all = append(all, ps...)
	}
	if len(all) == 0 {
		return nil, fmt.Errorf("geo file %s: no .txt with postal codes in the archive", path)
	}
	return all, nil
}
