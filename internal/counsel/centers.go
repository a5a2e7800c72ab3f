package counsel

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"math"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// A column is one field of the centres file.
type column int

const (
	colName column = iota
	colOrganisation
	colStreet
	colPostalCode
	colCity
	colPhone
	colEmail
	colWeb
	colTopics
	colHours
	colLanguages
	colLatitude
	colLongitude
	colOnline
	colNationwide
	colAccessibility
	colCountry
	numColumns
)

// String is the column's name in CONTRACT.md, which export writes.
func (c column) String() string {
	return [numColumns]string{
		"name", "organisation", "street", "postal_code", "city", "phone", "email", "web", "topics", "hours",
		"languages", "latitude", "longitude", "online", "nationwide", "accessibility", "country",
	}[c]
}

// headerAliases are the spellings a header cell is recognised by, after foldHeader:
// English as in CONTRACT.md and German as operators write them.
func headerAliases() [numColumns][]string {
	return [numColumns][]string{
		colName:          {"name", "bezeichnung", "beratungsstelle"},
		colOrganisation:  {"organisation", "organization", "trager"},
		colStreet:        {"street", "strasse", "str", "adresse", "address", "anschrift"},
		colPostalCode:    {"postalcode", "plz", "postleitzahl", "zip", "zipcode", "postcode"},
		colCity:          {"city", "ort", "stadt", "town"},
		colPhone:         {"phone", "telefon", "tel", "telephone", "telefonnummer"},
		colEmail:         {"email", "mail", "emailadresse"},
		colWeb:           {"web", "webseite", "website", "url", "internet", "homepage"},
		colTopics:        {"topics", "themen", "thema"},
		colHours:         {"hours", "offnungszeiten", "sprechzeiten", "openinghours"},
		colLanguages:     {"languages", "sprachen", "sprache"},
		colLatitude:      {"latitude", "lat", "breitengrad"},
		colLongitude:     {"longitude", "lon", "lng", "langengrad"},
		colOnline:        {"online", "onlineberatung"},
		colNationwide:    {"nationwide", "bundesweit"},
		colAccessibility: {"accessibility", "barrierefreiheit", "barrierefrei"},
		colCountry:       {"country", "staat"},
	}
}

// Limits that keep a broken or hostile file from taking the memory or filling pages.
const (
	maxCentersFile = 64 << 20
	maxCell        = 2000 // characters
)

// defaultCountry is the country of rows without a country column: the association's.
const defaultCountry = "DE"

// ParseCenters reads a centres file: UTF-8 CSV with a header row (CONTRACT.md, and the
// German headers of the README). It checks every row and returns the rows without
// problems, in file order, and one LineError for each problem found. Problems of the
// header (a missing name column, a column given twice, a misspelt one) make the whole
// file unusable: then no centres are returned. Whether a file with problems is
// imported at all is the caller's decision.
func ParseCenters(r io.Reader, file string) ([]Center, []*LineError) {
	data, err := io.ReadAll(io.LimitReader(r, maxCentersFile+1))
	if err != nil {
		return nil, []*LineError{{File: file, Code: ProblemRead, Args: []any{err}}}
	}
	if len(data) > maxCentersFile {
		return nil, []*LineError{{File: file, Code: ProblemTooLarge, Args: []any{maxCentersFile >> 20}}}
	}
	if bytes.HasPrefix(data, []byte{0xff, 0xfe}) || bytes.HasPrefix(data, []byte{0xfe, 0xff}) {
		return nil, []*LineError{{File: file, Line: 1, Code: ProblemUTF16}}
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	p := &centersParser{file: file}
	p.read(data)
	if len(p.errs) > 0 && p.fatal {
		return nil, p.errs
	}
	return p.centers, p.errs
}

type centersParser struct {
	file    string
	errs    []*LineError
	fatal   bool // the header is wrong: no row can be trusted
	header  []string
	col     [numColumns]int // index into a row, -1 when the file has no such column
	comma   rune
	centers []Center
}

// row is one record with the line each of its cells starts on (a quoted cell may
// span lines).
type row struct {
	cells []string
	lines []int
}

func (p *centersParser) errorf(line int, col string, code Problem, args ...any) {
	p.errs = append(p.errs, &LineError{File: p.file, Line: line, Column: col, Code: code, Args: args})
}

func (p *centersParser) report(line int, col string, pr *problem) {
	p.errorf(line, col, pr.code, pr.args...)
}

func (p *centersParser) read(data []byte) {
	p.comma = sniffComma(data)
	cr := csv.NewReader(bytes.NewReader(data))
	cr.Comma = p.comma
	cr.FieldsPerRecord = -1
	// Quotes inside unquoted cells (Verein "Hilfe" e.V.) are common in files written by
	// hand; a quote that is never closed still shows as a row with too few fields.
	cr.LazyQuotes = true
	var rows []row
	headerLine := 1
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			if errors.Is(pe.Err, csv.ErrQuote) {
				p.errorf(pe.StartLine, "", ProblemQuote)
			} else {
				p.errorf(pe.StartLine, "", ProblemCSV, pe.Err)
			}
			if p.header == nil {
				p.fatal = true
				return
			}
			continue
		}
		if err != nil {
			p.errorf(0, "", ProblemRead, err)
			p.fatal = true
			return
		}
		lines := make([]int, len(rec))
		for i := range rec {
			lines[i], _ = cr.FieldPos(i)
		}
		if p.header == nil {
			headerLine = lines[0]
			p.readHeader(rec, headerLine)
			if p.fatal {
				return
			}
			continue
		}
		rows = append(rows, row{cells: rec, lines: lines})
	}
	if p.header == nil {
		p.errorf(1, "", ProblemEmptyFile)
		p.fatal = true
		return
	}
	if p.col[colPostalCode] < 0 {
		// Without the column every centre must be nationwide.
		for _, r := range rows {
			if !p.nationwide(r) && !allEmpty(r.cells) {
				p.errorf(headerLine, colPostalCode.String(), ProblemMissingPostalColumn)
				p.fatal = true
				return
			}
		}
	}
	seen := make(map[string]int) // folded name and postal code: line
	for _, r := range rows {
		c, ok := p.center(r)
		if !ok {
			continue
		}
		key := FoldTopic(c.Name) + "\x00" + c.Country + "\x00" + c.PostalCode
		if first, dup := seen[key]; dup {
			p.errorf(c.Line, p.colName(colName), ProblemDuplicate, c.Name, first)
			continue
		}
		seen[key] = c.Line
		p.centers = append(p.centers, c)
	}
}

// sniffComma tolerates ';' (what a German Excel writes) and tabs when the header line
// has no comma.
func sniffComma(data []byte) rune {
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		switch {
		case bytes.IndexByte(line, ',') >= 0:
			return ','
		case bytes.IndexByte(line, ';') >= 0:
			return ';'
		case bytes.IndexByte(line, '\t') >= 0:
			return '\t'
		}
		return ','
	}
	return ','
}

func (p *centersParser) readHeader(rec []string, line int) {
	p.header = rec
	for i := range p.col {
		p.col[i] = -1
	}
	for _, h := range rec {
		if !utf8.ValidString(h) {
			p.errorf(line, "", ProblemNotUTF8)
			p.fatal = true
			return
		}
	}
	aliases := headerAliases()
	var unknown []int
	for i, h := range rec {
		key := foldHeader(h)
		if key == "" {
			continue
		}
		c, ok := columnOf(&aliases, key)
		if !ok {
			unknown = append(unknown, i)
			continue
		}
		if j := p.col[c]; j >= 0 {
			p.errorf(line, strings.TrimSpace(h), ProblemSameColumn, strings.TrimSpace(rec[j]), j+1)
			p.fatal = true
			continue
		}
		p.col[c] = i
	}
	// A misspelt column would silently lose its data: an unknown column close to one
	// the file lacks is an error, other unknown columns are ignored.
	for _, i := range unknown {
		key := foldHeader(rec[i])
		for c := range numColumns {
			if p.col[c] >= 0 {
				continue
			}
			if nearAny(key, aliases[c]) {
				p.errorf(line, strings.TrimSpace(rec[i]), ProblemUnknownColumn, c.String())
				p.fatal = true
				break
			}
		}
	}
	if p.col[colName] < 0 {
		if names := trimAll(rec); len(names) > 0 {
			p.errorf(line, colName.String(), ProblemMissingName, strings.Join(names, ", "))
		} else {
			p.errorf(line, colName.String(), ProblemMissingNameNone)
		}
		p.fatal = true
	}
	if (p.col[colLatitude] < 0) != (p.col[colLongitude] < 0) {
		have, lacks := colLatitude, colLongitude
		if p.col[colLatitude] < 0 {
			have, lacks = lacks, have
		}
		p.errorf(line, lacks.String(), ProblemMissingCoordColumn, p.colName(have))
		p.fatal = true
	}
}

func columnOf(aliases *[numColumns][]string, key string) (column, bool) {
	for c, as := range aliases {
		for _, a := range as {
			if a == key {
				return column(c), true
			}
		}
	}
	return 0, false
}

func trimAll(ss []string) []string {
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// nearAny reports whether key is a likely misspelling of one of the aliases. Short
// aliases are left out: "lat" is two edits from many words.
func nearAny(key string, aliases []string) bool {
	for _, a := range aliases {
		if len(a) < 4 {
			continue
		}
		limit := 1
		if len(a) >= 8 {
			limit = 2
		}
		if editDistance(key, a, limit) <= limit {
			return true
		}
	}
	return false
}

// editDistance is the optimal-string-alignment distance of a and b (a swap of two
// neighbours counts as one edit), or limit+1 when it is larger than limit.
func editDistance(a, b string, limit int) int {
	if d := len(a) - len(b); d > limit || -d > limit {
		return limit + 1
	}
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return min(prev[len(b)], limit+1)
}

// colName is how an error names a column: as the file's header spells it.
func (p *centersParser) colName(c column) string {
	if i := p.col[c]; i >= 0 && i < len(p.header) {
		if h := strings.TrimSpace(p.header[i]); h != "" {
			return h
		}
	}
	return c.String()
}

func (p *centersParser) cell(r row, c column) (string, int) {
	i := p.col[c]
	if i < 0 || i >= len(r.cells) {
		return "", r.lines[0]
	}
	return strings.TrimSpace(r.cells[i]), r.lines[i]
}

func (p *centersParser) nationwide(r row) bool {
	v, _ := p.cell(r, colNationwide)
	yes, ok := parseYesNo(v)
	return ok && yes
}

func allEmpty(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// center checks one row and returns its centre, or reports every problem it has.
func (p *centersParser) center(r row) (Center, bool) {
	line := r.lines[0]
	if allEmpty(r.cells) {
		return Center{}, false // spreadsheets export empty rows (;;;;) below the data
	}
	for i, cell := range r.cells {
		if !utf8.ValidString(cell) {
			name := ""
			if i < len(p.header) {
				name = strings.TrimSpace(p.header[i])
			}
			p.errorf(r.lines[i], name, ProblemNotUTF8)
			return Center{}, false
		}
	}
	if n, want := len(r.cells), len(p.header); n < want {
		p.errorf(line, "", ProblemTooFewFields, n, want, p.comma)
		return Center{}, false
	} else if n > want && !allEmpty(r.cells[want:]) {
		p.errorf(line, "", ProblemTooManyFields, n, want, p.comma)
		return Center{}, false
	}

	bad := false
	get := func(c column) (string, int) {
		v, l := p.cell(r, c)
		if utf8.RuneCountInString(v) > maxCell {
			p.errorf(l, p.colName(c), ProblemTooLong, maxCell)
			bad = true
			return "", l
		}
		return v, l
	}
	oneLine := func(c column) string {
		v, _ := get(c)
		return strings.Join(strings.Fields(v), " ")
	}
	text := func(c column) string {
		v, _ := get(c)
		return strings.TrimSpace(strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(v))
	}
	yesNo := func(c column) bool {
		v, l := get(c)
		yes, ok := parseYesNo(v)
		if !ok {
			p.errorf(l, p.colName(c), ProblemYesNo, v)
			bad = true
		}
		return yes
	}

	c := Center{
		Line:          line,
		Name:          oneLine(colName),
		Organisation:  oneLine(colOrganisation),
		Street:        oneLine(colStreet),
		City:          oneLine(colCity),
		Phone:         oneLine(colPhone),
		Hours:         text(colHours),
		Accessibility: text(colAccessibility),
		Topics:        splitList(oneLine(colTopics)),
		Languages:     splitList(oneLine(colLanguages)),
		Online:        yesNo(colOnline),
		Nationwide:    yesNo(colNationwide),
	}
	if c.Name == "" {
		_, l := get(colName)
		p.errorf(l, p.colName(colName), ProblemRequired)
		bad = true
	}

	country, l := get(colCountry)
	var ok bool
	if c.Country, ok = parseCountry(country); !ok {
		p.errorf(l, p.colName(colCountry), ProblemCountry, country)
		bad = true
	}
	code, l := get(colPostalCode)
	c.PostalCode = NormalizePostalCode(code)
	switch {
	case c.PostalCode == "" && !c.Nationwide:
		if p.col[colPostalCode] >= 0 {
			p.errorf(l, p.colName(colPostalCode), ProblemPostalRequired)
			bad = true
		}
	case c.PostalCode != "" && c.Country != "":
		if why := checkPostalCode(c.PostalCode, c.Country); why != nil {
			p.report(l, p.colName(colPostalCode), why)
			bad = true
		}
	}

	if !p.coordinates(r, &c) {
		bad = true
	}
	if v, l := get(colEmail); v != "" {
		if why := checkEmail(v); why != nil {
			p.report(l, p.colName(colEmail), why)
			bad = true
		}
		c.Email = v
	}
	if v, l := get(colWeb); v != "" {
		if why := checkWeb(v); why != nil {
			p.report(l, p.colName(colWeb), why)
			bad = true
		}
		c.Web = v
	}
	return c, !bad
}

// coordinates reads latitude and longitude: both or neither, in range, and for a
// German postal code inside Germany (which catches the two swapped).
func (p *centersParser) coordinates(r row, c *Center) bool {
	latS, latLine := p.cell(r, colLatitude)
	lonS, lonLine := p.cell(r, colLongitude)
	if latS == "" && lonS == "" {
		return true
	}
	if latS == "" {
		p.errorf(latLine, p.colName(colLatitude), ProblemCoordHalf, p.colName(colLongitude))
		return false
	}
	if lonS == "" {
		p.errorf(lonLine, p.colName(colLongitude), ProblemCoordHalf, p.colName(colLatitude))
		return false
	}
	lat, why := parseCoordinate(latS, 90)
	if why != nil {
		p.report(latLine, p.colName(colLatitude), why)
	}
	lon, why2 := parseCoordinate(lonS, 180)
	if why2 != nil {
		p.report(lonLine, p.colName(colLongitude), why2)
	}
	if why != nil || why2 != nil {
		return false
	}
	if lat == 0 && lon == 0 {
		p.errorf(latLine, p.colName(colLatitude), ProblemNoPlace)
		return false
	}
	if c.Country == "DE" && c.PostalCode != "" && !inGermany(lat, lon) {
		p.errorf(latLine, p.colName(colLatitude), ProblemOutsideGermany, latS, lonS)
		return false
	}
	c.Lat, c.Lon, c.HasCoords = lat, lon, true
	return true
}

// inGermany is a generous box around Germany.
func inGermany(lat, lon float64) bool {
	return lat >= 46.8 && lat <= 55.4 && lon >= 5.5 && lon <= 15.5
}

// parseCoordinate reads decimal degrees; a decimal comma is fine (German spreadsheets
// write one).
func parseCoordinate(s string, limit float64) (float64, *problem) {
	v := s
	if strings.Count(v, ",") == 1 && !strings.Contains(v, ".") {
		v = strings.Replace(v, ",", ".", 1)
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; !(c >= '0' && c <= '9' || c == '.' || c == '-' || c == '+') {
			return 0, newProblem(ProblemNotNumber, s)
		}
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, newProblem(ProblemNotNumber, s)
	}
	if f < -limit || f > limit {
		return 0, newProblem(ProblemOutOfRange, s, limit, limit)
	}
	return f, nil
}

func parseYesNo(s string) (yes, ok bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "yes", "ja", "y", "j", "true", "wahr", "1", "x":
		return true, true
	case "", "no", "nein", "n", "false", "falsch", "0", "-":
		return false, true
	}
	return false, false
}

func checkEmail(s string) *problem {
	a, err := mail.ParseAddress(s)
	_, domain, _ := strings.Cut(s, "@")
	if err != nil || a.Name != "" || a.Address != s || !strings.Contains(domain, ".") {
		return newProblem(ProblemEmail, s)
	}
	return nil
}

func checkWeb(s string) *problem {
	u, err := url.Parse(s)
	if err == nil && u.Scheme == "" && u.Host == "" && strings.Contains(s, ".") && !strings.ContainsAny(s, " \t@") {
		return newProblem(ProblemWebScheme, s)
	}
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		!strings.Contains(u.Hostname(), ".") || strings.ContainsAny(s, " \t\n") {
		return newProblem(ProblemWeb, s)
	}
	return nil
}

// splitList splits a topics or languages cell at ';' (CONTRACT.md) and at ',' (what
// people write in a ';'-separated file), dropping empty items and repeats.
func splitList(s string) []string {
	var out []string
	seen := make(map[string]bool)
	for _, item := range strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == ',' }) {
		item = strings.TrimSpace(item)
		key := FoldTopic(item)
		if key == "" || seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, item)
	}
	return out
}
