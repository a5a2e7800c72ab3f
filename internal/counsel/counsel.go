// Package counsel owns the counselling directory: reading and checking centre files,
// postal-code geography, and finding the centres nearest to a postal code that serve a
// topic.
//
// ParseCenters reads an operator's centres file (CSV) and ParseGeoNames a GeoNames
// postal-code dump; SaveCenters and SavePlaces put them into the store. A Directory
// is an immutable in-memory index built from both, and Live keeps one current while
// the data in the store changes.
package counsel

import (
	"errors"
	"fmt"
	"slices"

	"listd/internal/i18n"
	"listd/internal/store"
)

// Center is one counselling centre or offer.
type Center struct {
	Name          string
	Organisation  string // the provider (Träger)
	Street        string
	Country       string // ISO 3166 alpha-2 of the postal code; "DE" unless the file says otherwise
	PostalCode    string // normalised; empty only for nationwide offers
	City          string
	Phone         string
	Email         string
	Web           string
	Topics        []string // as written in the file; compared by FoldTopic
	Hours         string
	Languages     []string
	Accessibility string
	Lat, Lon      float64
	HasCoords     bool // Lat and Lon were given; otherwise the postal code places it
	Online        bool // counsels online (or by phone), wherever one lives
	Nationwide    bool // serves the whole country; never ranked by distance
	Line          int  // the line of the file it was read from; 0 when loaded from the store
}

// Place is one postal-code place of a GeoNames dump. Many places share a code: the
// store keeps them all and a Directory averages the places of one code.
type Place struct {
	Country    string // ISO 3166 alpha-2, upper case
	PostalCode string
	Name       string // the place name
	State      string // admin1 name (Bundesland)
	Lat, Lon   float64
}

// ErrBadPostalCode is returned by Match for a postal code that cannot be one.
var ErrBadPostalCode = errors.New("not a postal code")

// Problem is what is wrong in an input file: the key of its sentence in the message
// catalogue's counsel_file section (templates/messages/de.toml and en.toml), which
// takes the LineError's Args.
type Problem string

// The problems of a centres file (ParseCenters) and of a GeoNames dump (ParseGeoNames).
const (
	ProblemRead                Problem = "read"                   // the reader's error
	ProblemTooLarge            Problem = "too_large"              // MiB
	ProblemUTF16               Problem = "utf16"                  //
	ProblemNotUTF8             Problem = "not_utf8"               //
	ProblemQuote               Problem = "csv_quote"              //
	ProblemCSV                 Problem = "csv"                    // encoding/csv's error
	ProblemEmptyFile           Problem = "empty_file"             //
	ProblemMissingPostalColumn Problem = "missing_postal_column"  //
	ProblemDuplicate           Problem = "duplicate"              // name, first line
	ProblemSameColumn          Problem = "same_column"            // header, column number
	ProblemUnknownColumn       Problem = "unknown_column"         // the column meant
	ProblemMissingName         Problem = "missing_name_column"    // the columns the header has
	ProblemMissingNameNone     Problem = "missing_name_no_column" //
	ProblemMissingCoordColumn  Problem = "missing_coord_column"   // the column that needs it
	ProblemTooFewFields        Problem = "too_few_fields"         // fields, header fields, separator
	ProblemTooManyFields       Problem = "too_many_fields"        // fields, header fields, separator
	ProblemTooLong             Problem = "too_long"               // characters
	ProblemYesNo               Problem = "yes_no"                 // value
	ProblemRequired            Problem = "required"               //
	ProblemCountry             Problem = "country"                // value
	ProblemPostalRequired      Problem = "postal_required"        //
	ProblemPostalEmpty         Problem = "postal_empty"           //
	ProblemPostalFourDigits    Problem = "postal_de_4"            // code, code
	ProblemPostalGerman        Problem = "postal_de"              // code
	ProblemPostalGerman00      Problem = "postal_de_00"           // code
	ProblemPostalChars         Problem = "postal_chars"           // code
	ProblemPostalLength        Problem = "postal_length"          // code
	ProblemPostal              Problem = "postal"                 // code
	ProblemEmail               Problem = "email"                  // value
	ProblemWebScheme           Problem = "web_scheme"             // value
	ProblemWeb                 Problem = "web"                    // value
	ProblemCoordHalf           Problem = "coord_half"             // the other column
	ProblemNotNumber           Problem = "not_number"             // value
	ProblemOutOfRange          Problem = "out_of_range"           // value, limit, limit
	ProblemNoPlace             Problem = "no_place"               //
	ProblemOutsideGermany      Problem = "outside_germany"        // latitude, longitude
	ProblemZip                 Problem = "zip"                    //
	ProblemGeoFields           Problem = "geo_fields"             // fields, fields wanted
	ProblemGeoCountry          Problem = "geo_country"            // value
	ProblemGeoTooLong          Problem = "geo_too_long"           // KiB
)

// problem is a Problem with its arguments, before it has a file and a line.
type problem struct {
	code Problem
	args []any
}

func newProblem(code Problem, args ...any) *problem { return &problem{code, args} }

// LineError is one problem in an input file, at a line and (when it concerns one
// cell) a column as the file's header names it. Its sentence is the catalogue's, in
// the reader's language (Text); Error is the English one, naming file and line.
type LineError struct {
	File   string
	Line   int
	Column string // "" when the whole line is wrong
	Code   Problem
	Args   []any
}

// Text is the problem in lang, from cat (nil: the catalogue built into the binary),
// without file, line and column.
func (e *LineError) Text(cat *i18n.Catalog, lang i18n.Lang) string {
	if cat == nil {
		cat = i18n.Default()
	}
	return cat.F(lang, "counsel_file."+string(e.Code), e.Args...)
}

// Reason is the problem in English.
func (e *LineError) Reason() string { return e.Text(nil, i18n.English) }

func (e *LineError) Error() string {
	if e.Line <= 0 {
		return fmt.Sprintf("%s: %s", e.File, e.Reason())
	}
	if e.Column == "" {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Reason())
	}
	return fmt.Sprintf("%s:%d: %s: %s", e.File, e.Line, e.Column, e.Reason())
}

func toStoreCenter(c Center) store.Center {
	return store.Center{
		Name: c.Name, Organisation: c.Organisation, Street: c.Street, Country: c.Country, PostalCode: c.PostalCode, City: c.City,
		Phone: c.Phone, Email: c.Email, Web: c.Web, Topics: slices.Clone(c.Topics), Hours: c.Hours,
		Languages: slices.Clone(c.Languages), Accessibility: c.Accessibility,
		Lat: c.Lat, Lon: c.Lon, HasCoords: c.HasCoords, Online: c.Online, Nationwide: c.Nationwide,
	}
}

func fromStoreCenter(c store.Center) Center {
	return Center{
		Name: c.Name, Organisation: c.Organisation, Street: c.Street, Country: c.Country, PostalCode: c.PostalCode, City: c.City,
		Phone: c.Phone, Email: c.Email, Web: c.Web, Topics: c.Topics, Hours: c.Hours,
		Languages: c.Languages, Accessibility: c.Accessibility,
		Lat: c.Lat, Lon: c.Lon, HasCoords: c.HasCoords, Online: c.Online, Nationwide: c.Nationwide,
	}
}

// FromStore converts the store's centres.
func FromStore(cs []store.Center) []Center {
	out := make([]Center, len(cs))
	for i, c := range cs {
		out[i] = fromStoreCenter(c)
	}
	return out
}

// PlacesFromStore converts the store's places.
func PlacesFromStore(ps []store.Place) []Place {
	out := make([]Place, len(ps))
	for i, p := range ps {
		out[i] = Place(p)
	}
	return out
}
