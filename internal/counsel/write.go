package counsel

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// exportColumns is the order WriteCenters writes: CONTRACT.md's columns, then the
// optional ones.
func exportColumns() []column {
	return []column{colName, colOrganisation, colStreet, colPostalCode, colCity, colPhone, colEmail, colWeb,
		colTopics, colHours, colLanguages, colLatitude, colLongitude, colOnline, colNationwide,
		colAccessibility, colCountry}
}

// WriteCenters writes cs as a centres file (UTF-8 CSV with CONTRACT.md's header) that
// ParseCenters reads back to the same centres.
func WriteCenters(w io.Writer, cs []Center) error {
	cw := csv.NewWriter(w)
	cols := exportColumns()
	rec := make([]string, len(cols))
	for i, c := range cols {
		rec[i] = c.String()
	}
	if err := cw.Write(rec); err != nil {
		return fmt.Errorf("write centres: %w", err)
	}
	for _, c := range cs {
		for i, col := range cols {
			rec[i] = c.value(col)
		}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("write centres: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write centres: %w", err)
	}
	return nil
}

func (c *Center) value(col column) string {
	switch col {
	case colName:
		return c.Name
	case colOrganisation:
		return c.Organisation
	case colStreet:
		return c.Street
	case colPostalCode:
		return c.PostalCode
	case colCity:
		return c.City
	case colPhone:
		return c.Phone
	case colEmail:
		return c.Email
	case colWeb:
		return c.Web
	case colTopics:
		return strings.Join(c.Topics, ";")
	case colHours:
		return c.Hours
	case colLanguages:
		return strings.Join(c.Languages, ";")
	case colLatitude:
		if c.HasCoords {
			return strconv.FormatFloat(c.Lat, 'f', -1, 64)
		}
	case colLongitude:
		if c.HasCoords {
			return strconv.FormatFloat(c.Lon, 'f', -1, 64)
		}
	case colOnline:
		return yesNo(c.Online)
	case colNationwide:
		return yesNo(c.Nationwide)
	case colAccessibility:
		return c.Accessibility
	case colCountry:
		return c.Country
	}
	return ""
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
