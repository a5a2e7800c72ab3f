package store

import (
	"context"
	"fmt"
)

// Figure is one aggregate count for the association's reports: never linked to a
// person.
type Figure struct {
	Name  string // readers, posters, first_posts
	List  string
	Label string // the delivery mode for readers, the month (YYYY-MM) otherwise
	Count int
}

// Figures counts readers by delivery mode, and per month since (YYYY-MM) the distinct
// posters and the members' first posts, per list.
func (s *DB) Figures(ctx context.Context, since string) ([]Figure, error) {
	queries := []struct{ name, q string }{
		{"readers", `SELECT l.name, m.mode, COUNT(*) FROM members m JOIN lists l ON l.id = m.list_id GROUP BY l.name, m.mode`},
		{"posters", `SELECT l.name, strftime('%Y-%m', m.received_at, 'unixepoch') AS month, COUNT(DISTINCT m.from_addr)
			FROM messages m JOIN lists l ON l.id = m.list_id WHERE m.from_addr <> '' GROUP BY l.name, month HAVING month >= ?`},
		{"first_posts", `SELECT l.name, strftime('%Y-%m', f.first, 'unixepoch') AS month, COUNT(*)
			FROM (SELECT list_id, MIN(received_at) AS first FROM messages WHERE from_addr <> '' GROUP BY list_id, from_addr) f
			JOIN lists l ON l.id = f.list_id GROUP BY l.name, month HAVING month >= ?`},
	}
	var out []Figure
	for _, q := range queries {
		var args []any
		if q.name != "readers" {
			args = []any{since}
		}
		rows, err := s.db.QueryContext(ctx, q.q, args...)
		if err != nil {
			return nil, fmt.Errorf("figures %s: %w", q.name, err)
		}
		for rows.Next() {
			f := Figure{Name: q.name}
			if err := rows.Scan(&f.List, &f.Label, &f.Count); err != nil {
				rows.Close()
				return nil, fmt.Errorf("figures %s: %w", q.name, err)
			}
			out = append(out, f)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("figures %s: %w", q.name, err)
		}
	}
	return out, nil
}
