package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"math/bits"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"listd/internal/textfold"
)

// Archive search. The full-text index (messages_fts) holds subject, body and author
// name as its tokenizer folds them: lower case, no diacritics. What a person types
// becomes a MATCH expression of quoted words only: each word in its German spellings
// (ü/ue/u, ß/ss), widened through the index's vocabulary (search_terms) to the
// indexed words it begins, which FTS5 reads lazily, newest first. Of the matches the
// newest rankWindow are ranked; snippets are cut from the hits' bodies here.

// Highlight markers around the matched words in the snippets SearchArchive returns:
// private-use runes (removed from the text itself), so a page can HTML-escape a snippet
// and then turn them into <mark> and </mark>. They come in pairs, never nested.
const (
	MarkStart = string(markStart)
	MarkEnd   = string(markEnd)
)

const markStart, markEnd = '\uE000', '\uE001'

// SearchQuery is what SearchArchive looks for.
type SearchQuery struct {
	// ListIDs are the lists that may be searched (the caller's access rules decide);
	// none finds nothing.
	ListIDs []int64
	// Text is what a person typed: words, all of which must match, each also finding
	// the words it begins ("kita" finds "Kitaplatz"); "quoted phrases", words in that
	// order, each matching only itself; OR between two words or phrases; -word or
	// -"phrase" to exclude. Case, umlauts (ü, ue, u) and ß/ss do not matter; anything
	// else is taken literally.
	Text string
	// Author keeps the posts whose sender's name has words beginning with each word
	// of Author (folded as Text is). Optional.
	Author string
	// Since (inclusive) and Until (exclusive) bound the posts' dates; zero is open.
	Since, Until time.Time
	// Limit is the page size (default 20, at most 200); Offset skips that many hits.
	Limit, Offset int
}

// SearchResult is one page of hits.
type SearchResult struct {
	Hits []Hit
	More bool // hits follow this page
}

// Hit is one search result.
type Hit struct {
	ID       int64
	ListID   int64
	ThreadID int64
	Subject  string
	FromName string
	Date     time.Time
	// Snippet is a part of the body around the matched words, which SearchArchive
	// puts between MarkStart and MarkEnd (Search leaves them out).
	Snippet string
}

const (
	defaultSearchLimit = 20
	maxSearchLimit     = 200
	// rankWindow is how many of the newest matches are ranked. A common word matches
	// much of an archive, and ranking all of it would make a search slower with every
	// post; on a mailing list recent posts are also what is usually sought. Older
	// matches follow the ranked ones, newest first.
	rankWindow = 500
	// bm25Budget bounds the postings bm25 reads: it counts, for every word of the query,
	// all the posts that hold the word, not only those in the window. Queries of rarer
	// words are ranked by bm25 (subject above author above body); queries of common
	// words, whose bm25 would mostly reflect post lengths anyway, put the posts with
	// the words in the subject first, each group newest first. At about 0.05 µs a
	// posting, bm25 then stays under a millisecond or so at any archive size. A search
	// by author alone lists the newest first.
	bm25Budget = 20000
	bm25Score  = `bm25(messages_fts, 10.0, 1.0, 4.0)` // weights of subject, body_text, from_name
)

// SearchArchive finds the posts of the given lists that match q, best first (see
// rankWindow and bm25Budget for what "best" means), with highlighted snippets.
func (s *DB) SearchArchive(ctx context.Context, q SearchQuery) (*SearchResult, error) {
	res := &SearchResult{}
	if len(q.ListIDs) == 0 {
		return res, nil
	}
	pq := parseQuery(q.Text)
	author := tokenize(truncate(q.Author, maxQueryBytes))
	if len(author) > maxTermTokens {
		author = author[:maxTermTokens]
	}
	if len(pq.all) == 0 && len(author) == 0 {
		return res, nil
	}
	limit := q.Limit
	if limit <= 0 {
		limit = defaultSearchLimit
	}
	limit = min(limit, maxSearchLimit)
	offset := max(q.Offset, 0)

	x := expander{}
	if s.refreshTerms(ctx) {
		x.db = s
	}
	m, err := x.build(ctx, pq, author)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	f, err := s.searchFilter(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	ids, err := s.rankedIDs(ctx, m, f, offset, limit+1)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	if len(ids) > limit {
		ids, res.More = ids[:limit], true
	}
	if res.Hits, err = s.hits(ctx, ids, m.highlight); err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	return res, nil
}

// searchFilter is the condition on messages m for the query's lists and dates, or ""
// when every post qualifies (the common case of one list and no dates), which spares
// the search a lookup of every match.
type searchFilter struct {
	where string
	args  []any
}

func (s *DB) searchFilter(ctx context.Context, q SearchQuery) (searchFilter, error) {
	var f searchFilter
	in := `?` + strings.Repeat(`, ?`, len(q.ListIDs)-1)
	var lists []any
	for _, id := range q.ListIDs {
		lists = append(lists, id)
	}
	var others bool
	if err := s.queryRow(ctx, len(lists) == 1, `SELECT EXISTS (SELECT 1 FROM lists WHERE id NOT IN (`+in+`))`, lists...).Scan(&others); err != nil {
		return f, err
	}
	if others {
		f.where += ` AND m.list_id IN (` + in + `)`
		f.args = append(f.args, lists...)
	}
	if !q.Since.IsZero() {
		f.where += ` AND m.date >= ?`
		f.args = append(f.args, q.Since.Unix())
	}
	if !q.Until.IsZero() {
		f.where += ` AND m.date < ?`
		f.args = append(f.args, q.Until.Unix())
	}
	return f, nil
}

// matches returns the ids of up to n matching posts older than before (0: any), newest
// first, from offset.
func (s *DB) matches(ctx context.Context, match string, flt searchFilter, before int64, offset, n int) ([]int64, error) {
	query := `SELECT f.rowid FROM messages_fts f WHERE messages_fts MATCH ?`
	args := []any{match}
	if flt.where != "" {
		query = `SELECT f.rowid FROM messages_fts f JOIN messages m ON m.id = f.rowid WHERE messages_fts MATCH ?` + flt.where
		args = append(args, flt.args...)
	}
	if before > 0 {
		query += ` AND f.rowid < ?`
		args = append(args, before)
	}
	query += ` ORDER BY f.rowid DESC LIMIT ? OFFSET ?`
	return s.ids(ctx, flt.where == "", query, append(args, n, offset)...)
}

// scoredMatches returns the ids of the newest n matching posts, newest first, each
// with its bm25 score (lower is better), in one pass: FTS5 goes through the matches
// once for the window and its ranking.
func (s *DB) scoredMatches(ctx context.Context, match string, flt searchFilter, n int) ([]int64, []float64, error) {
	query := `SELECT f.rowid, ` + bm25Score + ` FROM messages_fts f WHERE messages_fts MATCH ?`
	args := []any{match}
	if flt.where != "" {
		query = `SELECT f.rowid, ` + bm25Score + ` FROM messages_fts f JOIN messages m ON m.id = f.rowid WHERE messages_fts MATCH ?` + flt.where
		args = append(args, flt.args...)
	}
	query += ` ORDER BY f.rowid DESC LIMIT ?`
	rows, err := s.query(ctx, flt.where == "", query, append(args, n)...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	ids := make([]int64, 0, n)
	scores := make([]float64, 0, n)
	for rows.Next() {
		var id int64
		var score float64
		if err := rows.Scan(&id, &score); err != nil {
			return nil, nil, err
		}
		ids, scores = append(ids, id), append(scores, score)
	}
	return ids, scores, rows.Err()
}

// queryRow is QueryRowContext, through a statement prepared once (see stmt) when
// prepared; query must then be one of a few.
func (s *DB) queryRow(ctx context.Context, prepared bool, query string, args ...any) interface{ Scan(...any) error } {
	if !prepared {
		return s.db.QueryRowContext(ctx, query, args...)
	}
	st, err := s.stmt(ctx, query)
	if err != nil {
		return errRow{err}
	}
	return st.QueryRowContext(ctx, args...)
}

// errRow is a row that could not be asked for.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// query is QueryContext as queryRow is QueryRowContext.
func (s *DB) query(ctx context.Context, prepared bool, query string, args ...any) (*sql.Rows, error) {
	if !prepared {
		return s.db.QueryContext(ctx, query, args...)
	}
	st, err := s.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// ids returns the ids a query selects; prepared as for queryRow.
func (s *DB) ids(ctx context.Context, prepared bool, query string, args ...any) ([]int64, error) {
	rows, err := s.query(ctx, prepared, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// rankedIDs returns n ids from offset in the order of the results: the window of the
// newest matches ranked, then older matches newest first.
func (s *DB) rankedIDs(ctx context.Context, m *matchExprs, f searchFilter, offset, n int) ([]int64, error) {
	var window []int64
	var scores []float64
	var err error
	if len(m.words) > 0 && m.postings <= bm25Budget && offset < rankWindow {
		window, scores, err = s.scoredMatches(ctx, m.match, f, rankWindow+1)
	} else {
		window, err = s.matches(ctx, m.match, f, 0, 0, rankWindow+1)
	}
	if err != nil {
		return nil, err
	}
	full := len(window) > rankWindow
	if full {
		window = window[:rankWindow]
		if scores != nil {
			scores = scores[:rankWindow]
		}
	}
	if len(window) == 0 {
		return nil, nil
	}
	var order []int64
	if offset < len(window) {
		if order, err = s.rank(ctx, m, window, scores); err != nil {
			return nil, err
		}
	}
	var out []int64
	if offset < len(order) {
		out = order[offset:min(len(order), offset+n)]
	}
	if len(out) < n && full {
		older, err := s.matches(ctx, m.match, f, window[len(window)-1], max(0, offset-len(window)), n-len(out))
		if err != nil {
			return nil, err
		}
		out = append(out, older...)
	}
	return out, nil
}

// rank orders the window (ids newest first) as described at bm25Budget: by scores
// (bm25, one for each id) when there are, ties newest first.
func (s *DB) rank(ctx context.Context, m *matchExprs, window []int64, scores []float64) ([]int64, error) {
	if scores != nil {
		idx := make([]int, len(window))
		for i := range idx {
			idx[i] = i
		}
		// The window is newest first: ties keep that order.
		slices.SortFunc(idx, func(a, b int) int { return cmp.Or(cmp.Compare(scores[a], scores[b]), cmp.Compare(a, b)) })
		order := make([]int64, len(window))
		for i, k := range idx {
			order[i] = window[k]
		}
		return order, nil
	}
	in := make(map[int64]bool, len(window))
	for _, id := range window {
		in[id] = true
	}
	var first []int64
	var err error
	switch {
	case len(m.words) == 1 && len(m.words[0]) == 1 && len(m.words[0][0]) == 1:
		// One word: FTS5 finds it in the subjects going through its posts between the
		// window's first and last, which are few as it is in most of them. In
		// ascending order: going down, FTS5 does not stop at the window's last post
		// when the subjects have no match, but reads the word's posts to the oldest
		// (2 ms at 200,000 posts, against 30 µs).
		first, err = s.ids(ctx, true, `SELECT rowid FROM messages_fts WHERE messages_fts MATCH ? AND rowid BETWEEN ? AND ?
			ORDER BY rowid`, m.subject, window[len(window)-1], window[0])
		slices.Reverse(first)
	case len(m.words) > 0:
		// Several words, where FTS5 would go through the posts of each, common ones
		// among them: the window's subjects are read and searched here.
		first, err = s.subjectsWith(ctx, window, m.words)
	}
	if err != nil {
		return nil, err
	}
	order := make([]int64, 0, len(window))
	for _, id := range first {
		if in[id] {
			order = append(order, id)
			delete(in, id)
		}
	}
	for _, id := range window {
		if in[id] {
			order = append(order, id)
		}
	}
	return order, nil
}

// subjectsWith returns those of ids (in their order) whose subject has the words of
// every group.
func (s *DB) subjectsWith(ctx context.Context, ids []int64, groups [][]phrase) ([]int64, error) {
	st, err := s.stmt(ctx, `SELECT id, subject FROM messages WHERE id IN (SELECT value FROM json_each(?))`)
	if err != nil {
		return nil, err
	}
	rows, err := st.QueryContext(ctx, idsJSON(ids))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	with := map[int64]bool{}
	var words []word
	for rows.Next() {
		var id int64
		var subject string
		if err := rows.Scan(&id, &subject); err != nil {
			return nil, err
		}
		if words = splitWords(subject, words[:0]); hasAll(words, groups) {
			with[id] = true
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return slices.DeleteFunc(slices.Clone(ids), func(id int64) bool { return !with[id] }), nil
}

// hits reads the posts of ids, in that order, with their snippets.
func (s *DB) hits(ctx context.Context, ids []int64, hl []mark) ([]Hit, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	st, err := s.stmt(ctx, `SELECT id, list_id, thread_id, subject, from_name, date, body_text
		FROM messages WHERE id IN (SELECT value FROM json_each(?))`)
	if err != nil {
		return nil, err
	}
	rows, err := st.QueryContext(ctx, idsJSON(ids))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	byID := make(map[int64]Hit, len(ids))
	for rows.Next() {
		var h Hit
		var date int64
		var body string
		if err := rows.Scan(&h.ID, &h.ListID, &h.ThreadID, &h.Subject, &h.FromName, &date, textScanner{s.pack, &body}); err != nil {
			return nil, err
		}
		h.Date = time.Unix(date, 0).UTC()
		h.Snippet = snippet(body, hl)
		byID[h.ID] = h
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	hits := make([]Hit, 0, len(ids))
	for _, id := range ids {
		if h, ok := byID[id]; ok {
			hits = append(hits, h)
		}
	}
	return hits, nil
}

// Search finds the list's posts that match query, best first, with plain-text
// snippets: SearchArchive for one list without filters.
func (s *DB) Search(ctx context.Context, listID int64, query string, limit int) ([]Hit, error) {
	res, err := s.SearchArchive(ctx, SearchQuery{ListIDs: []int64{listID}, Text: query, Limit: limit})
	if err != nil {
		return nil, err
	}
	for i := range res.Hits {
		res.Hits[i].Snippet = strings.NewReplacer(MarkStart, "", MarkEnd, "").Replace(res.Hits[i].Snippet)
	}
	return res.Hits, nil
}

// OptimizeSearch merges the full-text index into one segment, brings the search
// vocabulary up to date and compacts the database. Every search looks up its words in each segment, and a bulk
// import leaves tens of them: at 100,000 posts this takes a few seconds and makes
// searches for widened words several times faster.
//
// It also ends an import's settings of the index (see importSettings).
func (s *DB) OptimizeSearch(ctx context.Context) error {
	for _, q := range []string{
		fmt.Sprintf(`INSERT INTO messages_fts (messages_fts, rank) VALUES ('automerge', %d)`, defaultFTSAutomerge),
		fmt.Sprintf(`INSERT INTO messages_fts (messages_fts, rank) VALUES ('hashsize', %d)`, defaultFTSHash),
		`INSERT INTO messages_fts (messages_fts) VALUES ('optimize')`,
	} {
		if _, err := s.db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("optimize search index: %w", classify(err))
		}
	}
	if err := s.updateTerms(ctx); err != nil {
		return fmt.Errorf("optimize search index: %w", err)
	}
	// The merge freed the old segments' pages.
	return s.Compact(ctx)
}

// The vocabulary (search_terms, see migration 0009).

// rebuildTermsAfter is how many new posts are read word by word before rebuilding the
// vocabulary from the index is the cheaper way.
const rebuildTermsAfter = 5000

// refreshTerms brings search_terms up to the newest post and says whether it can be
// used. When it cannot be brought up to date (the database is busy or read-only), the
// search still works, with FTS5's slower prefix queries.
func (s *DB) refreshTerms(ctx context.Context) bool {
	var indexedTo, newest int64
	err := s.queryRow(ctx, true, `SELECT (SELECT indexed_to FROM search_terms_state),
		(SELECT COALESCE(MAX(id), 0) FROM messages)`).Scan(&indexedTo, &newest)
	if err != nil {
		return false
	}
	if indexedTo >= 0 && indexedTo >= newest {
		return true
	}
	return s.updateTerms(ctx) == nil
}

// updateTerms adds the words of the posts newer than search_terms to it, or rebuilds
// it from the index. The new posts' words come from a temporary FTS5 table with the
// index's tokenizer, so they are the very words the index holds.
func (s *DB) updateTerms(ctx context.Context) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	for _, q := range []string{
		`CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_new USING fts5 (t, content = '', tokenize = 'unicode61 remove_diacritics 2')`,
		`CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_new_terms USING fts5vocab (temp, search_new, row)`,
	} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("search terms: %w", err)
		}
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("search terms: %w", err)
	}
	defer tx.Rollback()
	var indexedTo, newest int64
	if err := tx.QueryRowContext(ctx, `SELECT (SELECT indexed_to FROM search_terms_state),
		(SELECT COALESCE(MAX(id), 0) FROM messages)`).Scan(&indexedTo, &newest); err != nil {
		return fmt.Errorf("search terms: %w", err)
	}
	var steps []string
	var args [][]any
	switch {
	case indexedTo >= 0 && indexedTo >= newest:
		return nil
	case indexedTo < 0 || newest-indexedTo > rebuildTermsAfter:
		steps = []string{`DELETE FROM search_terms`,
			`INSERT INTO search_terms (term, docs) SELECT term, doc FROM messages_fts_terms WHERE doc > 0`}
		args = [][]any{nil, nil}
	default:
		// The index holds no text (migration 0016): the new posts' words go in from here.
		if err := addSearchNew(ctx, tx, s.pack, indexedTo); err != nil {
			return fmt.Errorf("search terms: %w", err)
		}
		steps = []string{
			`INSERT INTO search_terms (term, docs) SELECT term, doc FROM temp.search_new_terms WHERE true
				ON CONFLICT (term) DO UPDATE SET docs = docs + excluded.docs`,
			`INSERT INTO temp.search_new (search_new) VALUES ('delete-all')`,
		}
		args = [][]any{nil, nil}
	}
	steps = append(steps, `UPDATE search_terms_state SET indexed_to = ?`)
	args = append(args, []any{newest})
	for i, q := range steps {
		if _, err := tx.ExecContext(ctx, q, args[i]...); err != nil {
			return fmt.Errorf("search terms: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("search terms: %w", classify(err))
	}
	return nil
}

// addSearchNew puts the words of the posts after id into temp.search_new, a post at
// a time: there are at most rebuildTermsAfter of them.
func addSearchNew(ctx context.Context, tx *sql.Tx, p *packer, after int64) error {
	rows, err := tx.QueryContext(ctx, `SELECT subject, body_text, from_name FROM messages WHERE id > ? AND withdrawn_at IS NULL`, after)
	if err != nil {
		return err
	}
	var posts []string
	for rows.Next() {
		var subject, text, from string
		if err := rows.Scan(&subject, textScanner{p, &text}, &from); err != nil {
			rows.Close()
			return err
		}
		posts = append(posts, subject+" "+text+" "+from)
	}
	if err := rows.Err(); err != nil {
		rows.Close()
		return err
	}
	rows.Close()
	for _, t := range posts {
		if _, err := tx.ExecContext(ctx, `INSERT INTO temp.search_new (t) VALUES (?)`, t); err != nil {
			return err
		}
	}
	return nil
}

// Building MATCH expressions: every word goes in as a quoted string, so no input is an
// FTS5 syntax error.

const (
	maxQueryBytes  = 1000 // text beyond is ignored
	maxQueryTerms  = 16   // words and phrases beyond these are ignored
	maxTermTokens  = 16   // words of a phrase beyond these are ignored
	maxTermForms   = 16   // spellings of a hyphenated word or phrase before only the plain one is kept
	maxExpand      = 64   // indexed words a typed word is widened to; beyond, FTS5's prefix query
	minPrefixRunes = 3    // shorter words match only themselves: "im" would find "immer"
	minAltPrefix   = 4    // shorter umlaut readings ("du" from "due") match only themselves
)

// expander turns parsed queries into MATCH expressions, widening words with the
// vocabulary (search_terms) when db is set.
type expander struct {
	db *DB
}

// matchExprs are the expressions for one search.
type matchExprs struct {
	match     string     // the whole query, author filter included
	words     [][]phrase // the text's groups of alternatives, to find them in subjects
	subject   string     // the text's words in the subject
	postings  int        // about the posts bm25 would count: the sum over the query's words
	highlight []mark     // the spellings to mark in snippets
}

func (x expander) build(ctx context.Context, pq parsedQuery, author []string) (*matchExprs, error) {
	m := &matchExprs{}
	var all []string
	groups := 0
	for _, g := range pq.all {
		var alts []string
		var words []phrase
		for _, t := range g {
			e, err := x.term(ctx, t, &m.postings)
			if err != nil {
				return nil, err
			}
			alts = append(alts, e)
			p := make(phrase, len(t.tokens))
			for i, tok := range t.tokens {
				p[i] = spellings(tok, t.exact || i < len(t.tokens)-1)
			}
			words = append(words, p)
			for _, tok := range t.tokens {
				for _, f := range spellings(tok, t.exact) {
					m.highlight = append(m.highlight, mark{f, groups})
				}
				groups++
			}
		}
		all = append(all, "("+strings.Join(alts, " OR ")+")")
		m.words = append(m.words, words)
	}
	if len(all) > 0 {
		m.subject = "subject : (" + strings.Join(all, " AND ") + ")"
	}
	if len(author) > 0 {
		e, err := x.term(ctx, term{tokens: author}, &m.postings)
		if err != nil {
			return nil, err
		}
		all = append(all, "from_name : ("+e+")")
	}
	if len(all) == 0 {
		return m, nil
	}
	m.match = strings.Join(all, " AND ")
	if len(pq.none) > 0 {
		var none []string
		var unscored int // bm25 does not score excluded words
		for _, t := range pq.none {
			e, err := x.term(ctx, t, &unscored)
			if err != nil {
				return nil, err
			}
			none = append(none, e)
		}
		m.match = "(" + m.match + ") NOT (" + strings.Join(none, " OR ") + ")"
	}
	return m, nil
}

// term is t as an FTS5 expression: an OR of phrases, one for each way of spelling it
// and completing its last word. It adds the posts holding its words to postings.
func (x expander) term(ctx context.Context, t term, postings *int) (string, error) {
	alts := make([][]form, len(t.tokens))
	combos := 1
	for i, tok := range t.tokens {
		alts[i] = spellings(tok, t.exact)
		if i < len(t.tokens)-1 {
			// Only the last word of a hyphenated word is completed: a phrase cannot
			// hold alternatives, so each completion makes a phrase of its own.
			for j := range alts[i] {
				alts[i][j].prefix = false
			}
		}
		combos *= len(alts[i])
	}
	if combos > maxTermForms {
		for i := range alts {
			alts[i] = alts[i][:1]
		}
		combos = 1
	}
	last := len(alts) - 1
	others := combos / len(alts[last]) // phrases for each form of the last word
	for i := range alts {
		var widened []form
		for _, f := range alts[i] {
			terms, docs, err := x.lookup(ctx, f)
			if err != nil {
				return "", err
			}
			if terms == nil || len(terms)*others > maxTermForms && i == last && len(alts) > 1 {
				widened = append(widened, f)
				*postings += bm25Budget + 1 // not known; FTS5's prefix query is dear anyway
				continue
			}
			if !slices.Contains(terms, f.text) {
				// The word as typed: FTS5 tokenizes it itself, should the vocabulary
				// lack it or spell it otherwise.
				widened = append(widened, form{text: f.text})
			}
			for j, w := range terms {
				widened = append(widened, form{text: w})
				*postings += docs[j]
			}
		}
		slices.SortStableFunc(widened, func(a, b form) int { return strings.Compare(a.text, b.text) })
		alts[i] = slices.Compact(widened)
	}
	var phrases []string
	var walk func(i int, acc []string)
	walk = func(i int, acc []string) {
		if i == len(alts) {
			phrases = append(phrases, strings.Join(acc, " + "))
			return
		}
		for _, f := range alts[i] {
			walk(i+1, append(acc, f.fts()))
		}
	}
	walk(0, make([]string, 0, len(alts)))
	if len(phrases) == 1 {
		return phrases[0], nil
	}
	return "(" + strings.Join(phrases, " OR ") + ")", nil
}

// lookup returns the indexed words f stands for, with the posts holding each: the
// word itself, or for a prefix the words it begins. It returns nil when there is no
// vocabulary or a prefix begins more than maxExpand words.
func (x expander) lookup(ctx context.Context, f form) ([]string, []int, error) {
	if x.db == nil {
		return nil, nil, nil
	}
	hi := f.text + "\x00"
	if f.prefix {
		hi = f.text + string(utf8.MaxRune)
	}
	rows, err := x.db.query(ctx, true, `SELECT term, docs FROM search_terms WHERE term >= ? AND term < ?
		ORDER BY term LIMIT ?`, f.text, hi, maxExpand+1)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	terms := []string{}
	var docs []int
	for rows.Next() {
		var t string
		var d int
		if err := rows.Scan(&t, &d); err != nil {
			return nil, nil, err
		}
		terms = append(terms, t)
		docs = append(docs, d)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	if len(terms) > maxExpand {
		return nil, nil, nil
	}
	return terms, docs, nil
}

// ftsQuery turns what a person typed into an FTS5 MATCH expression (folded spellings,
// prefix queries, OR, NOT), or "" when there is nothing to look for. SearchArchive
// makes a faster one with the vocabulary.
func ftsQuery(q string) string {
	m, err := expander{}.build(context.Background(), parseQuery(q), nil)
	if err != nil {
		return ""
	}
	return m.match
}

// term is a word or a phrase: one or more tokens that must follow each other.
type term struct {
	tokens []string // lower case, NFC
	exact  bool     // quoted: no completion
}

// parsedQuery is a query: every group must match (a group is terms joined by OR), and
// none of the excluded terms may.
type parsedQuery struct {
	all  [][]term
	none []term
}

// parseQuery splits the typed text into terms and operators.
func parseQuery(s string) parsedQuery {
	type item struct {
		t   term
		neg bool
		or  bool // the word OR
	}
	var items []item
	add := func(it item) {
		if len(it.t.tokens) > maxTermTokens {
			it.t.tokens = it.t.tokens[:maxTermTokens]
		}
		if it.or || len(it.t.tokens) > 0 {
			items = append(items, it)
		}
	}
	rs := []rune(truncate(s, maxQueryBytes))
	for i := 0; i < len(rs); {
		switch r := rs[i]; {
		case unicode.IsSpace(r):
			i++
		case r == '"' || r == '-' && i+1 < len(rs) && rs[i+1] == '"':
			neg := r == '-'
			if neg {
				i++
			}
			j := i + 1
			for j < len(rs) && rs[j] != '"' {
				j++
			}
			add(item{t: term{tokens: tokenize(string(rs[i+1 : j])), exact: true}, neg: neg})
			i = j + 1
		default:
			j := i
			for j < len(rs) && !unicode.IsSpace(rs[j]) && rs[j] != '"' {
				j++
			}
			w := string(rs[i:j])
			i = j
			if w == "OR" {
				add(item{or: true})
				continue
			}
			neg := len(w) > 1 && w[0] == '-'
			if neg {
				w = w[1:]
			}
			add(item{t: term{tokens: tokenize(w)}, neg: neg})
		}
	}
	var p parsedQuery
	n := 0
	for k := 0; k < len(items) && n < maxQueryTerms; k++ {
		it := items[k]
		switch {
		case it.or: // not between two terms: the word itself
			p.all = append(p.all, []term{{tokens: []string{"or"}}})
		case it.neg:
			p.none = append(p.none, it.t)
		default:
			g := []term{it.t}
			for k+2 < len(items) && items[k+1].or && !items[k+2].or && !items[k+2].neg && n+len(g) < maxQueryTerms {
				g = append(g, items[k+2].t)
				k += 2
			}
			n += len(g) - 1
			p.all = append(p.all, g)
		}
		n++
	}
	return p
}

// truncate cuts s to at most n bytes, at a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// isWordRune says whether r belongs to a word, as for the index's tokenizer
// (unicode61): letters, digits, private-use runes, and marks, which it drops.
func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return isWordByte(byte(r))
	}
	return r != markStart && r != markEnd && unicode.In(r, unicode.L, unicode.N, unicode.Co, unicode.M)
}

// isWordByte is isWordRune for ASCII.
func isWordByte(c byte) bool {
	return (c|0x20)-'a' < 26 || c-'0' < 10
}

// tokenize splits s into lower-case words (NFC) as the index's tokenizer does.
func tokenize(s string) []string {
	words := strings.FieldsFunc(strings.ToLower(norm.NFC.String(s)), func(r rune) bool { return !isWordRune(r) })
	// Marks alone are no word: the tokenizer drops them.
	return slices.DeleteFunc(words, func(w string) bool { return fold(w) == "" })
}

// fold is a word as the index holds it: lower case, without diacritics (ü is u), ß
// kept.
func fold(w string) string {
	return textfold.Fold(w, textfold.Index)
}

// latinFolds are fold of each rune below U+0250 (Latin-1 and Latin Extended-A and B):
// their decompositions are a letter and combining marks, which fold drops, so a word
// of them folds rune by rune.
var latinFolds = sync.OnceValue(func() *[0x250]string {
	var t [0x250]string
	for r := range rune(len(t)) {
		t[r] = fold(string(r))
	}
	return &t
})

// foldWord is fold(w), rune by rune through latinFolds when w is written in Latin
// letters (a German text's words are), which spares the decomposition of the whole.
func foldWord(w string) string {
	t := latinFolds()
	b := make([]byte, 0, len(w))
	for _, r := range w {
		if r >= rune(len(t)) {
			return fold(w)
		}
		b = append(b, t[r]...)
	}
	return string(b)
}

// form is one spelling of a word, as the index holds words.
type form struct {
	text   string
	prefix bool // also the words it begins
}

func (f form) fts() string {
	s := `"` + strings.ReplaceAll(f.text, `"`, `""`) + `"`
	if f.prefix {
		s += "*"
	}
	return s
}

// spellings are the ways a word (lower case, NFC) may be written in German, folded:
// the index reads ä, ö and ü as a, o and u, so a word with an umlaut also looks for the
// ae/oe/ue spelling, and a word with ae/oe/ue also for the umlaut; ß and ss stand for
// each other. The first is the word itself.
func spellings(tok string, exact bool) []form {
	mk := func(s string, minPrefix int) form {
		return form{text: s, prefix: !exact && utf8.RuneCountInString(s) >= minPrefix}
	}
	base := fold(tok)
	forms := []form{mk(base, minPrefixRunes)}
	if strings.ContainsAny(tok, "äöü") {
		forms = append(forms, mk(textfold.Fold(tok, textfold.Index|textfold.Umlauts), minPrefixRunes))
	} else if c := textfold.Fold(tok, textfold.Index|textfold.Digraphs|textfold.FinalDigraphs); c != base {
		forms = append(forms, mk(c, minAltPrefix))
	}
	for _, f := range forms {
		if strings.Contains(f.text, "ß") {
			forms = append(forms, form{text: textfold.Fold(f.text, textfold.SharpS), prefix: f.prefix})
		} else if strings.Contains(f.text, "ss") {
			forms = append(forms, form{text: strings.ReplaceAll(f.text, "ss", "ß"), prefix: f.prefix})
		}
	}
	return forms
}

// phrase is a word or phrase of a query as it is matched in Go: the spellings of each
// of its words, in order.
type phrase [][]form

// splitWords appends the words of text to words.
func splitWords(text string, words []word) []word {
	for i := 0; i < len(text); {
		start, end := nextWord(text, i)
		if start == end {
			break
		}
		words = append(words, newWord(text[start:end]))
		i = end
	}
	return words
}

// hasAll says whether words hold, for every group, one of its phrases.
func hasAll(words []word, groups [][]phrase) bool {
	for _, g := range groups {
		if !slices.ContainsFunc(g, func(p phrase) bool { return p.in(words) }) {
			return false
		}
	}
	return true
}

// in says whether words hold p.
func (p phrase) in(words []word) bool {
	for i := 0; i+len(p) <= len(words); i++ {
		k := 0
		for k < len(p) && slices.ContainsFunc(p[k], words[i+k].matches) {
			k++
		}
		if k == len(p) {
			return true
		}
	}
	return false
}

// word is a word of a text as written, to compare with forms. An ASCII word is
// compared letter by letter in lower case; any other is folded, once, when its first
// letter does not rule a form out. Most words are compared without a copy.
type word struct {
	s      string
	ascii  bool
	folded string
	done   bool // folded is set
}

func newWord(s string) word {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return word{s: s}
		}
	}
	return word{s: s, ascii: true}
}

// matches says whether w is f, or begins with it when f is a prefix.
func (w *word) matches(f form) bool {
	if f.text == "" {
		return false
	}
	if c := w.s[0]; c < utf8.RuneSelf && c|0x20 != f.text[0] { // c|0x20: lower case, digits unchanged
		return false
	}
	if !w.ascii {
		if !w.done {
			w.folded, w.done = foldWord(w.s), true
		}
		return w.folded == f.text || f.prefix && strings.HasPrefix(w.folded, f.text)
	}
	if len(w.s) != len(f.text) && !(f.prefix && len(w.s) > len(f.text)) {
		return false
	}
	for i := 0; i < len(f.text); i++ {
		c := w.s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != f.text[i] {
			return false
		}
	}
	return true
}

// Snippets.

const (
	snippetWords = 24       // words in a snippet
	snippetScan  = 16 << 10 // bytes of a body searched for the best place
	snippetHits  = 16       // matches considered for the best place
)

// mark is a spelling to mark in snippets, of the group-th word of the query.
type mark struct {
	form
	group int
}

// snippet is the part of body with the most different query words among its first
// matches (or its start), the matches between MarkStart and MarkEnd, on one line.
func snippet(body string, marks []mark) string {
	cut := len(body) > snippetScan
	body = truncate(body, snippetScan)
	if strings.Contains(body, MarkStart) || strings.Contains(body, MarkEnd) {
		body = strings.NewReplacer(MarkStart, " ", MarkEnd, " ").Replace(body)
	}
	groups := 0
	for _, m := range marks {
		groups = max(groups, m.group+1)
	}
	// First pass: the matches, and where a snippet around each would begin: three
	// words before it.
	type hit struct{ at, from, from1, group int } // word index; snippet start: word index, offset
	var hits []hit
	var ring [3]int // where the last three words began
	best, bestWord, bestFrom := 0, 0, 0
	for i, words := 0, 0; i < len(body) && len(hits) < snippetHits && best < groups; words++ {
		start, end := nextWord(body, i)
		if start == end {
			break
		}
		i = end
		if g := matchMark(body[start:end], marks); g >= 0 {
			h := hit{at: words, group: g}
			if words >= 3 {
				h.from, h.from1 = words-3, ring[words%3]
			}
			hits = append(hits, h)
			for _, s := range hits {
				var seen uint64
				for _, o := range hits {
					if o.at >= s.from && o.at < s.from+snippetWords {
						seen |= 1 << (o.group % 64)
					}
				}
				if n := bits.OnesCount64(seen); n > best {
					best, bestWord, bestFrom = n, s.from, s.from1
				}
			}
		}
		ring[words%3] = start
	}
	// Second pass: the snippet.
	var b strings.Builder
	if bestWord > 0 {
		b.WriteString("… ")
	}
	i, prev := bestFrom, -1
	for n := 0; n < snippetWords; n++ {
		start, end := nextWord(body, i)
		if start == end {
			break
		}
		if prev >= 0 {
			b.WriteString(gap(body[prev:start]))
		}
		if matchMark(body[start:end], marks) >= 0 {
			b.WriteString(MarkStart + body[start:end] + MarkEnd)
		} else {
			b.WriteString(body[start:end])
		}
		i, prev = end, end
	}
	if prev < 0 {
		return ""
	}
	switch start, end := nextWord(body, i); {
	case start < end:
		b.WriteString(strings.TrimRight(gap(body[prev:start]), " ") + " …")
	case cut:
		b.WriteString(strings.TrimRight(gap(body[prev:]), " ") + " …")
	default:
		b.WriteString(strings.TrimRightFunc(body[prev:], unicode.IsSpace))
	}
	return b.String()
}

// nextWord returns where the first word at or after i begins and ends, or twice
// len(s) when there is none.
func nextWord(s string, i int) (start, end int) {
	for i < len(s) {
		if c := s[i]; c < utf8.RuneSelf {
			if isWordByte(c) {
				break
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if isWordRune(r) {
			break
		}
		i += size
	}
	start = i
	for i < len(s) {
		if c := s[i]; c < utf8.RuneSelf {
			if !isWordByte(c) {
				break
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if !isWordRune(r) {
			break
		}
		i += size
	}
	return start, i
}

// gap is the text between two words with its runs of white space made one space.
func gap(s string) string {
	if !strings.ContainsFunc(s, unicode.IsSpace) {
		return s
	}
	var b strings.Builder
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) {
			space = true
			continue
		}
		if isWordRune(r) {
			break
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	if space {
		b.WriteByte(' ')
	}
	return b.String()
}

// matchMark returns the group of the mark that w (as written) matches, or -1.
func matchMark(w string, marks []mark) int {
	if len(marks) == 0 || w == "" {
		return -1
	}
	if c := w[0]; c < utf8.RuneSelf {
		// Most words of a text begin with a letter no mark begins with: they are
		// ruled out before they are looked at (c|0x20: lower case, digits unchanged).
		k := slices.IndexFunc(marks, func(m mark) bool { return m.text != "" && m.text[0] == c|0x20 })
		if k < 0 {
			return -1
		}
		marks = marks[k:]
	}
	nw := newWord(w)
	for _, m := range marks {
		if nw.matches(m.form) {
			return m.group
		}
	}
	return -1
}
