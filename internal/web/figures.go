package web

import (
	"encoding/csv"
	"fmt"
	"html/template"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"listd/internal/chart"
	"listd/internal/store"
)

// The figures pages: aggregate counts per month and list, as charts, as a table and
// as CSV. Counts from 1 to smallCount-1 are shown as "<5": a small count of a small
// list could point at a person.
const (
	smallCount    = 5
	figuresMonths = 12
)

// shown is how a count is shown: "<5" for a small one.
func shown(n int) string {
	if n > 0 && n < smallCount {
		return "<" + strconv.Itoa(smallCount)
	}
	return strconv.Itoa(n)
}

// figureRow is one list's (or the total's) counts, a cell per column.
type figureRow struct {
	List  string // "" for the total
	Cells []string
}

// figureTable is one figure: a chart of its totals and the table of its counts.
type figureTable struct {
	Key     string // the figure's name (readers, posters, ...): its texts' keys
	Title   string
	Columns []string // the months' (or modes') names as shown
	Rows    []figureRow
	Chart   template.HTML
}

// figureCounts gathers one figure's counts by list and column (a month or a mode).
type figureCounts struct {
	key     string
	columns []string // labels as stored: months YYYY-MM or modes
	byList  map[string]map[string]int
}

func newCounts(key string, columns []string) *figureCounts {
	return &figureCounts{key: key, columns: columns, byList: map[string]map[string]int{}}
}

func (c *figureCounts) add(list, column string, n int) {
	if c.byList[list] == nil {
		c.byList[list] = map[string]int{}
	}
	c.byList[list][column] += n
}

// months returns the figuresMonths months up to now's, oldest first (YYYY-MM), or
// from since on when it is given.
func months(now time.Time, since string) ([]string, bool) {
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -(figuresMonths - 1), 0)
	if since != "" {
		t, err := time.Parse("2006-01", since)
		if err != nil || t.After(now) || t.Year() < 2000 {
			return nil, false
		}
		first = t
	}
	var out []string
	for t := first; !t.After(now) && len(out) < 120; t = t.AddDate(0, 1, 0) {
		out = append(out, t.Format("2006-01"))
	}
	return out, true
}

// figures serves a figures page: every list's for the site (a.List nil), or one
// list's. ?since=YYYY-MM picks the first month, ?format=csv the download.
func (s *Server) figures(w http.ResponseWriter, r *http.Request, a adminSession) {
	lang := s.lang(r)
	q := r.URL.Query()
	ms, ok := months(s.cfg.Now().UTC(), q.Get("since"))
	if !ok {
		s.errorPage(w, r, http.StatusBadRequest, "bad_month")
		return
	}
	fq := store.FigureQuery{Since: ms[0]}
	if a.List != nil {
		fq.ListID = a.List.ID
	}
	fs, err := s.st.FiguresOf(r.Context(), fq)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	modes := []string{"each", "digest", "nomail"}
	readers := newCounts("readers", modes)
	byName := map[string]*figureCounts{"readers": readers}
	order := []*figureCounts{readers}
	for _, k := range []string{"joined", "posters", "first_posts"} {
		byName[k] = newCounts(k, ms)
		order = append(order, byName[k])
	}
	for _, f := range fs {
		if c := byName[f.Name]; c != nil {
			c.add(f.List, f.Label, f.Count)
		}
	}
	if a.List == nil {
		// The counselling directory belongs to the site: its figures are on the
		// site's page only. Searches and the replies sent, each counted per topic.
		cs, err := s.st.CounselStats(r.Context(), ms[0])
		if err != nil {
			s.internalError(w, r, err)
			return
		}
		searches, replies := newCounts("counsel_searches", ms), newCounts("counsel_replies", ms)
		for _, c := range cs {
			if strings.HasSuffix(c.Kind, "-reply") {
				replies.add("", c.Month, int(c.Count))
			} else {
				searches.add("", c.Month, int(c.Count))
			}
		}
		order = append(order, searches, replies)
	}
	if q.Get("format") == "csv" {
		s.figuresCSV(w, a, ms[0], order)
		return
	}
	var tables []figureTable
	for _, c := range order {
		tables = append(tables, s.figureTable(lang, c))
	}
	title := s.tr(lang, "figures_heading")
	csvURL := "figures?format=csv&since=" + ms[0]
	if a.List != nil {
		title += " · " + listTitle(a.List)
	}
	s.renderPage(w, r, http.StatusOK, "figures", title, struct {
		Admin  adminSession
		Since  string
		Tables []figureTable
		CSV    string
	}{a, ms[0], tables, csvURL})
}

// figureTable makes the table and the chart of one figure, in lang.
func (s *Server) figureTable(lang string, c *figureCounts) figureTable {
	t := figureTable{Key: c.key, Title: s.tr(lang, "figure_"+c.key)}
	for _, col := range c.columns {
		t.Columns = append(t.Columns, s.columnName(lang, col))
	}
	var names []string
	for l := range c.byList {
		names = append(names, l)
	}
	sort.Strings(names)
	totals := make([]int, len(c.columns))
	known := make([]int, len(c.columns)) // the sum of the cells shown exactly
	small := make([]int, len(c.columns)) // cells shown as <5
	for _, l := range names {
		row := figureRow{List: l}
		for i, col := range c.columns {
			n := c.byList[l][col]
			totals[i] += n
			if n > 0 && n < smallCount {
				small[i]++
			} else {
				known[i] += n
			}
			row.Cells = append(row.Cells, shown(n))
		}
		if l != "" {
			t.Rows = append(t.Rows, row)
		}
	}
	total := figureRow{}
	points := make([]chart.Point, len(c.columns))
	for i, n := range totals {
		p := chart.Point{Label: s.shortColumn(lang, c.columns[i]), Value: float64(n)}
		switch {
		case n > 0 && n < smallCount:
			p.Value, p.Text = 0, shown(n)
		case small[i] > 0 && len(names) > 1:
			// The exact total less the cells shown would give away a small cell:
			// the total is shown as what the table tells anyway, at least the
			// known cells and 1 for each small one.
			least := known[i] + small[i]
			p.Value, p.Text = float64(least), "≥"+strconv.Itoa(least)
		}
		cell := p.Text
		if cell == "" {
			cell = shown(n)
		}
		total.Cells = append(total.Cells, cell)
		points[i] = p
	}
	t.Rows = append(t.Rows, total)
	kind := chart.Bars
	if c.key == "joined" {
		kind = chart.Line
	}
	t.Chart = template.HTML(chart.Chart{ID: "chart-" + c.key, Title: t.Title, Desc: s.chartDesc(lang, t, total), Kind: kind,
		Points: points}.SVG())
	return t
}

// chartDesc describes a chart in words: every column's total.
func (s *Server) chartDesc(lang string, t figureTable, total figureRow) string {
	parts := make([]string, len(t.Columns))
	for i, col := range t.Columns {
		parts[i] = col + ": " + total.Cells[i]
	}
	return s.tr(lang, "figures_desc") + " " + strings.Join(parts, "; ") + "."
}

// columnName is a column's heading: the month's name, or the delivery mode's.
func (s *Server) columnName(lang, col string) string {
	if t, err := time.Parse("2006-01", col); err == nil {
		return s.monthName(lang, t)
	}
	return s.tr(lang, "mode_"+col)
}

// shortColumn is a column's label under the chart's bar: 11/26 for a month.
func (s *Server) shortColumn(lang, col string) string {
	if t, err := time.Parse("2006-01", col); err == nil {
		return t.Format("01/06")
	}
	return s.tr(lang, "mode_"+col)
}

// figuresCSV writes the figures as CSV: figure, list ("" for the site), month or
// mode, count (small counts as "<5").
func (s *Server) figuresCSV(w http.ResponseWriter, a adminSession, since string, order []*figureCounts) {
	name := "listd-figures-" + since + ".csv"
	if a.List != nil {
		name = "listd-figures-" + a.List.Name + "-" + since + ".csv"
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name))
	cw := csv.NewWriter(w)
	cw.Write([]string{"figure", "list", "month_or_mode", "count"})
	for _, c := range order {
		var names []string
		for l := range c.byList {
			names = append(names, l)
		}
		sort.Strings(names)
		for _, l := range names {
			for _, col := range c.columns {
				cw.Write([]string{c.key, csvCell(l), col, shown(c.byList[l][col])})
			}
		}
	}
	cw.Flush()
}

// csvCell keeps a spreadsheet from reading a cell as a formula.
func csvCell(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}
