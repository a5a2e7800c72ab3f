package store

import (
	"context"
	"fmt"
)

// Figure is one aggregate count for the association's reports: never linked to a
// person.
type Figure struct {
	Name  string // readers, joined, posters, first_posts, first_posts_channel
	List  string
	Label string // the delivery mode for readers, the channel (mail, web) for first_posts_channel, the month (YYYY-MM) otherwise
	Count int
}

// figureQuery is one kind of figure: its SQL gives list name, label and count. listed
// says whether the query takes the list filter (?2, 0 for every list); every query
// after the readers takes the first month (?1).
type figureQuery struct{ name, q string }

var (
	readersQuery = figureQuery{"readers", `SELECT l.name, m.mode, COUNT(*) FROM members m JOIN lists l ON l.id = m.list_id
		WHERE (?2 = 0 OR l.id = ?2) AND ?1 = ?1 GROUP BY l.name, m.mode`}
	joinedQuery = figureQuery{"joined", `SELECT l.name, strftime('%Y-%m', m.created_at / 1000, 'unixepoch') AS month, COUNT(*)
		FROM members m JOIN lists l ON l.id = m.list_id WHERE (?2 = 0 OR l.id = ?2) GROUP BY l.name, month HAVING month >= ?1`}
	postersQuery = figureQuery{"posters", `SELECT l.name, strftime('%Y-%m', m.received_at, 'unixepoch') AS month, COUNT(DISTINCT m.from_addr)
		FROM messages m JOIN lists l ON l.id = m.list_id WHERE m.from_addr <> '' AND (?2 = 0 OR l.id = ?2)
		GROUP BY l.name, month HAVING month >= ?1`}
	firstPostsQuery = figureQuery{"first_posts", `SELECT l.name, strftime('%Y-%m', f.first, 'unixepoch') AS month, COUNT(*)
		FROM (SELECT list_id, MIN(received_at) AS first FROM messages WHERE from_addr <> '' GROUP BY list_id, from_addr) f
		JOIN lists l ON l.id = f.list_id WHERE (?2 = 0 OR l.id = ?2) GROUP BY l.name, month HAVING month >= ?1`}
	// Counted as they came (follow.go), since the count began: by channel, never by person.
	firstPostsChannelQuery = figureQuery{"first_posts_channel", `SELECT l.name, f.channel, f.count FROM first_posts f
		JOIN lists l ON l.id = f.list_id WHERE (?2 = 0 OR l.id = ?2) AND ?1 = ?1 ORDER BY l.name, f.channel`}
)

// Figures counts readers by delivery mode, and per month since (YYYY-MM) the distinct
// posters and the members' first posts, per list.
func (s *DB) Figures(ctx context.Context, since string) ([]Figure, error) {
	return s.figures(ctx, since, 0, readersQuery, postersQuery, firstPostsQuery, firstPostsChannelQuery)
}

// FigureQuery selects the figures of the admin pages.
type FigureQuery struct {
	Since  string // the first month, YYYY-MM
	ListID int64  // one list; 0 for every list
}

// FiguresOf counts, for one list or every list, the readers by delivery mode now and
// per month from q.Since on the members who joined (and are still on the list), the
// distinct posters and the members' first posts. Counts only: nothing names a person.
func (s *DB) FiguresOf(ctx context.Context, q FigureQuery) ([]Figure, error) {
	return s.figures(ctx, q.Since, q.ListID, readersQuery, joinedQuery, postersQuery, firstPostsQuery)
}

func (s *DB) figures(ctx context.Context, since string, listID int64, queries ...figureQuery) ([]Figure, error) {
	var out []Figure
	for _, q := range queries {
		rows, err := s.db.QueryContext(ctx, q.q, since, listID)
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
