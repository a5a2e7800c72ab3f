package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// Center is one counselling centre of the directory, as imported.
type Center struct {
	ID            int64
	Name          string
	Organisation  string
	Street        string
	Country       string // ISO 3166 alpha-2 of the postal code
	PostalCode    string
	City          string
	Phone         string
	Email         string
	Web           string
	Topics        []string
	Hours         string
	Languages     []string
	Accessibility string
	Lat, Lon      float64
	HasCoords     bool // Lat and Lon are set; otherwise the postal code places it
	Online        bool
	Nationwide    bool
}

// Place is one postal-code place (a GeoNames row); many places may share a code.
type Place struct {
	Country    string // ISO 3166 alpha-2, upper case
	PostalCode string
	Name       string
	State      string
	Lat, Lon   float64
}

// CounselStat is how often the directory was asked in a month, for a topic and kind of
// request (mail, web, ...).
type CounselStat struct {
	Month string // "2006-01"
	Topic string
	Kind  string
	Count int64
}

// listSep separates topics and languages in their text columns; the centres file
// splits cells on it, so no item contains it.
const listSep = ";"

// ReplaceCenters replaces the whole directory with cs in one transaction.
func (s *DB) ReplaceCenters(ctx context.Context, cs []Center) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM counsel_centers`); err != nil {
			return err
		}
		st, err := tx.PrepareContext(ctx, `INSERT INTO counsel_centers (name, organisation, street, country, postal_code,
			city, phone, email, web, topics, hours, languages, accessibility, latitude, longitude, online, nationwide)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer st.Close()
		for _, c := range cs {
			var lat, lon sql.NullFloat64
			if c.HasCoords {
				lat = sql.NullFloat64{Float64: c.Lat, Valid: true}
				lon = sql.NullFloat64{Float64: c.Lon, Valid: true}
			}
			if _, err := st.ExecContext(ctx, c.Name, c.Organisation, c.Street, c.Country, c.PostalCode, c.City, c.Phone,
				c.Email, c.Web, strings.Join(c.Topics, listSep), c.Hours, strings.Join(c.Languages, listSep),
				c.Accessibility, lat, lon, c.Online, c.Nationwide); err != nil {
				return fmt.Errorf("%s: %w", c.Name, err)
			}
		}
		return bumpCounselVersion(ctx, tx)
	})
	if err != nil {
		return fmt.Errorf("replace centres: %w", err)
	}
	return nil
}

// Centers returns the directory in the order it was imported.
func (s *DB) Centers(ctx context.Context) ([]Center, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, name, organisation, street, country, postal_code, city, phone, email,
		web, topics, hours, languages, accessibility, latitude, longitude, online, nationwide
		FROM counsel_centers ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("centres: %w", classify(err))
	}
	defer rows.Close()
	var cs []Center
	for rows.Next() {
		var c Center
		var topics, languages string
		var lat, lon sql.NullFloat64
		if err := rows.Scan(&c.ID, &c.Name, &c.Organisation, &c.Street, &c.Country, &c.PostalCode, &c.City, &c.Phone, &c.Email,
			&c.Web, &topics, &c.Hours, &languages, &c.Accessibility, &lat, &lon, &c.Online, &c.Nationwide); err != nil {
			return nil, fmt.Errorf("centres: %w", err)
		}
		c.Topics = splitItems(topics)
		c.Languages = splitItems(languages)
		if lat.Valid && lon.Valid {
			c.Lat, c.Lon, c.HasCoords = lat.Float64, lon.Float64, true
		}
		cs = append(cs, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("centres: %w", err)
	}
	return cs, nil
}

func splitItems(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, listSep)
}

// ReplacePlaces replaces the postal-code places of one country with ps in one
// transaction; every place must be of that country.
func (s *DB) ReplacePlaces(ctx context.Context, country string, ps []Place) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM counsel_places WHERE country = ?`, country); err != nil {
			return err
		}
		st, err := tx.PrepareContext(ctx, `INSERT INTO counsel_places (country, postal_code, place, state, latitude, longitude)
			VALUES (?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer st.Close()
		for _, p := range ps {
			if p.Country != country {
				return fmt.Errorf("place %s %s is not in %s", p.Country, p.PostalCode, country)
			}
			if _, err := st.ExecContext(ctx, p.Country, p.PostalCode, p.Name, p.State, p.Lat, p.Lon); err != nil {
				return fmt.Errorf("%s %s: %w", p.Country, p.PostalCode, err)
			}
		}
		return bumpCounselVersion(ctx, tx)
	})
	if err != nil {
		return fmt.Errorf("replace places of %s: %w", country, err)
	}
	return nil
}

// Places returns every postal-code place, grouped by country and code.
func (s *DB) Places(ctx context.Context) ([]Place, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM counsel_places`).Scan(&n); err != nil {
		return nil, fmt.Errorf("places: %w", classify(err))
	}
	rows, err := s.db.QueryContext(ctx, `SELECT country, postal_code, place, state, latitude, longitude
		FROM counsel_places ORDER BY country, postal_code, id`)
	if err != nil {
		return nil, fmt.Errorf("places: %w", classify(err))
	}
	defer rows.Close()
	ps := make([]Place, 0, n) // a count first: the full table has tens of thousands of rows
	for rows.Next() {
		var p Place
		if err := rows.Scan(&p.Country, &p.PostalCode, &p.Name, &p.State, &p.Lat, &p.Lon); err != nil {
			return nil, fmt.Errorf("places: %w", err)
		}
		ps = append(ps, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("places: %w", err)
	}
	return ps, nil
}

// CounselVersion changes whenever centres or places are replaced: a reader that keeps
// them in memory compares it to know when to load them again.
func (s *DB) CounselVersion(ctx context.Context) (int64, error) {
	var v int64
	if err := s.db.QueryRowContext(ctx, `SELECT version FROM counsel_version WHERE id = 1`).Scan(&v); err != nil {
		return 0, fmt.Errorf("counsel version: %w", classify(err))
	}
	return v, nil
}

func bumpCounselVersion(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `UPDATE counsel_version SET version = version + 1 WHERE id = 1`)
	return err
}

// CountCounsel adds one to the count of requests for month, topic and kind. Only the
// aggregate is kept, never who asked.
func (s *DB) CountCounsel(ctx context.Context, month, topic, kind string) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO counsel_stats (month, topic, kind, count) VALUES (?, ?, ?, 1)
		ON CONFLICT (month, topic, kind) DO UPDATE SET count = counsel_stats.count + 1`, month, topic, kind)
	if err != nil {
		return fmt.Errorf("count counsel request: %w", classify(err))
	}
	return nil
}

// CounselStats returns the counts from month since (inclusive, "2006-01"; "" for all)
// on, ordered by month, topic and kind.
func (s *DB) CounselStats(ctx context.Context, since string) ([]CounselStat, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT month, topic, kind, count FROM counsel_stats
		WHERE month >= ? ORDER BY month, topic, kind`, since)
	if err != nil {
		return nil, fmt.Errorf("counsel stats: %w", classify(err))
	}
	defer rows.Close()
	var out []CounselStat
	for rows.Next() {
		var c CounselStat
		if err := rows.Scan(&c.Month, &c.Topic, &c.Kind, &c.Count); err != nil {
			return nil, fmt.Errorf("counsel stats: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("counsel stats: %w", err)
	}
	return out, nil
}
