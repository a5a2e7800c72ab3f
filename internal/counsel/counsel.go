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

// LineError is one problem in an input file, at a line and (when it concerns one
// cell) a column as the file's header names it.
type LineError struct {
	File   string
	Line   int
	Column string // "" when the whole line is wrong
	Reason string
}

func (e *LineError) Error() string {
	if e.Line <= 0 {
		return fmt.Sprintf("%s: %s", e.File, e.Reason)
	}
	if e.Column == "" {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Reason)
	}
	return fmt.Sprintf("%s:%d: %s: %s", e.File, e.Line, e.Column, e.Reason)
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
