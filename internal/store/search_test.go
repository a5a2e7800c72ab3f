package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"math"
	"math/rand"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// germanPosts are the archive of the search tests: German and English, umlauts and
// their ae/oe/ue spellings, ß and ss, compounds. The last is on a second list.
var germanPosts = []struct {
	subject, body, from, date string
}{
	1:  {"Kitaplatz gesucht", "Wir suchen einen Kitaplatz in Köln für unsere Tochter.", "Anna Müller", "2024-01-10"},
	2:  {"Unterhaltsvorschuss beantragt", "Der Antrag auf Unterhaltsvorschuss beim Jugendamt hat sechs Wochen gedauert.", "Bernd Schmidt", "2024-02-01"},
	3:  {"Mütter-Treff am Montag", "Alle Mütter und Väter sind willkommen.", "Clara Weiß", "2024-02-15"},
	4:  {"Frage zur Mutter-Kind-Kur", "Meine Mutter kennt eine gute Klinik an der See.", "Dilek Yılmaz", "2024-03-01"},
	5:  {"Ohne Umlaute", "Ich schreibe Muetter ohne Umlaut, weil meine Tastatur keine hat.", "Emil Groß", "2024-03-10"},
	6:  {"Sperrung der Hauptstraße", "Die Straße vor der Schule ist gesperrt. Eine Umleitung ist ausgeschildert.", "Frieda Köhler", "2024-04-01"},
	7:  {"Umleitung", "Die Umleitung führt über die Strasse am Bahnhof.", "Gül Kaya", "2024-04-02"},
	8:  {"Childcare in Berlin", "Does anyone know affordable childcare? Single parents welcome.", "Hannes Becker", "2024-05-01"},
	9:  {"Custody question", "The custody hearing is next week and I am nervous.", "Ines Wagner", "2024-05-15"},
	10: {"Ferienbetreuung im Sommer", "Die Ferienbetreuung kostet 80 Euro pro Woche.", "Jonas Meyer", "2024-06-01"},
	11: {"Re: Kitaplatz gesucht", "Versuch es bei der Kita am Park, dort gibt es Plätze.", "Katrin Fischer", "2024-06-10"},
	12: {"Elterngeld und Teilzeit", "Elterngeld Plus lohnt sich bei Teilzeit.", "Lukas Hoffmann", "2024-07-01"},
	13: {"Umgangsrecht nach Trennung", "Das Umgangsrecht regelt im Streitfall das Familiengericht.", "Maria Schulz", "2024-07-15"},
	14: {"Grüße aus Fürth", "Herzliche Grüße und danke für die Hilfe!", "Nils Weber", "2024-08-01"},
	15: {"Danke", "Gruesse zurück nach Fürth.", "Olga Schneider", "2024-08-05"},
	16: {"Blue Monday", "Feeling blue today, due to the weather.", "Paul Wagner", "2024-08-10"},
	17: {"Wer ist dran?", "Du hast die Liste für den Kuchen.", "Sören Becker", "2024-08-20"},
	18: {"Widerspruch", "Der Antrag wurde abgelehnt, aber der Widerspruch läuft noch.", "Jürgen Weiß", "2024-08-25"},
	19: {"Kita-Gebühren", "Die Kita Gebühren steigen ab September.", "Özlem Kaya", "2024-09-01"},
	20: {"Schulweg", "Der Schulweg ist sicher, auch für die Kita.", "Björn Schulz", "2024-09-05"},
}

// searchArchive makes the lists and posts of germanPosts and returns the lists' ids.
func searchArchive(t *testing.T, db *DB) (kita, other int64) {
	t.Helper()
	ctx := context.Background()
	for _, l := range []*List{{Name: "kita", Archive: "public", Moderation: "none"}, {Name: "schule", Archive: "members", Moderation: "none"}} {
		if err := db.CreateList(ctx, l); err != nil {
			t.Fatal(err)
		}
		if kita == 0 {
			kita = l.ID
		} else {
			other = l.ID
		}
	}
	for i, p := range germanPosts[1:] {
		listID := kita
		if i+1 == len(germanPosts)-1 {
			listID = other
		}
		date, err := time.Parse(time.DateOnly, p.date)
		if err != nil {
			t.Fatal(err)
		}
		a, err := db.AcceptPost(ctx, &Post{ListID: listID, MessageID: fmt.Sprintf("<%d@example.net>", i+1), Subject: p.subject,
			FromName: p.from, FromAddr: fmt.Sprintf("p%d@example.net", i+1), Date: date, Text: p.body, Raw: []byte("x")})
		if err != nil || a.ID != int64(i+1) {
			t.Fatalf("post %d: %+v %v", i+1, a, err)
		}
	}
	return kita, other
}

func hitIDs(hits []Hit) []int64 {
	ids := []int64{}
	for _, h := range hits {
		ids = append(ids, h.ID)
	}
	return ids
}

func sortedIDs(ids []int64) []int64 {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	return ids
}

func day(s string) time.Time {
	t, _ := time.Parse(time.DateOnly, s)
	return t
}

// germanSearches are queries with exactly the posts they must find (on the first list,
// with no other filters unless given).
var germanSearches = []struct {
	text, author string
	since, until string
	want         []int64
}{
	// Case and umlauts: ü, ue and u.
	{text: "Mütter", want: []int64{3, 4, 5}},
	{text: "Muetter", want: []int64{3, 4, 5}},
	{text: "mutter", want: []int64{3, 4}},
	{text: "MUTTER", want: []int64{3, 4}},
	{text: "väter", want: []int64{3}},
	{text: "koeln", want: []int64{1}},
	{text: "Köln", want: []int64{1}},
	// ß and ss.
	{text: "straße", want: []int64{6, 7}},
	{text: "Strasse", want: []int64{6, 7}},
	{text: "grüße", want: []int64{14, 15}},
	{text: "Gruesse", want: []int64{14, 15}},
	{text: "groß", want: []int64{5}}, // the author's name
	{text: "gross", want: []int64{5}},
	// Compounds by prefix; quoted words match only themselves.
	{text: "unterhalt", want: []int64{2}},
	{text: "kita", want: []int64{1, 11, 19}},
	{text: "Kitaplatz", want: []int64{1, 11}},
	{text: `"kita"`, want: []int64{11, 19}},
	{text: "Kita*", want: []int64{1, 11, 19}},
	{text: "umgang", want: []int64{13}},
	{text: "gebühren", want: []int64{19}},
	{text: "kita-gebühren", want: []int64{19}},
	// Short words and final ue are no prefixes or umlauts.
	{text: "du", want: []int64{17}},
	{text: "due", want: []int64{16}},
	// Several words, phrases, OR, exclusion.
	{text: "kitaplatz köln", want: []int64{1}},
	{text: "childcare parents", want: []int64{8}},
	{text: `"antrag wurde"`, want: []int64{18}},
	{text: `"wurde antrag"`, want: []int64{}},
	{text: `antrag`, want: []int64{2, 18}},
	{text: `"single parents" welcome`, want: []int64{8}},
	{text: "kita OR custody", want: []int64{1, 9, 11, 19}},
	{text: "kita OR custody OR umleitung", want: []int64{1, 6, 7, 9, 11, 19}},
	{text: "kita -kitaplatz", want: []int64{19}},
	{text: `mutter -"kind"`, want: []int64{3}},
	{text: "-kita", want: []int64{}},
	// English.
	{text: "custody", want: []int64{9}},
	{text: "Nervous hearing", want: []int64{9}},
	// The author filter, alone or with words.
	{author: "müller", want: []int64{1}},
	{author: "Mueller", want: []int64{1}},
	{author: "gross", want: []int64{5}},
	{author: "Weiß", want: []int64{3, 18}},
	{author: "jürgen weiß", want: []int64{18}},
	{author: "kaya", text: "kita", want: []int64{19}},
	{author: "katrin", text: "kita", want: []int64{11}},
	// Dates: since inclusive, until exclusive.
	{text: "kita", since: "2024-06-10", want: []int64{11, 19}},
	{text: "kita", until: "2024-06-10", want: []int64{1}},
	{text: "kita", since: "2024-02-01", until: "2024-09-01", want: []int64{11}},
	// Nothing to look for, or what is left of FTS5's syntax taken literally.
	{text: "", want: []int64{}},
	{text: `"`, want: []int64{}},
	{text: "* ( ) : ^ { } NEAR", want: []int64{}},
	{text: "Kita AND", want: []int64{}},
}

func TestSearchGerman(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	kita, _ := searchArchive(t, db)
	for _, tt := range germanSearches {
		q := SearchQuery{ListIDs: []int64{kita}, Text: tt.text, Author: tt.author, Limit: 50}
		if tt.since != "" {
			q.Since = day(tt.since)
		}
		if tt.until != "" {
			q.Until = day(tt.until)
		}
		res, err := db.SearchArchive(ctx, q)
		if err != nil {
			t.Errorf("%q by %q: %v", tt.text, tt.author, err)
			continue
		}
		if got := sortedIDs(hitIDs(res.Hits)); !slices.Equal(got, tt.want) || res.More {
			t.Errorf("%q by %q (%s to %s): %v (more %v), want %v", tt.text, tt.author, tt.since, tt.until, got, res.More, tt.want)
		}
	}
}

// TestSearchWithoutTerms runs the German queries on the expressions that FTS5's own
// prefix queries answer: ftsQuery's, and SearchArchive's when the vocabulary cannot
// be used.
func TestSearchWithoutTerms(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	kita, _ := searchArchive(t, db)
	for _, tt := range germanSearches {
		if tt.author != "" || tt.since != "" || tt.until != "" {
			continue
		}
		match := ftsQuery(tt.text)
		if match == "" {
			if len(tt.want) > 0 {
				t.Errorf("ftsQuery(%q) is empty", tt.text)
			}
			continue
		}
		got, err := db.ids(ctx, false, `SELECT m.id FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid
			WHERE messages_fts MATCH ? AND m.list_id = ? ORDER BY m.id`, match, kita)
		if err != nil || !slices.Equal(append([]int64{}, got...), tt.want) {
			t.Errorf("ftsQuery(%q) = %s: %v %v, want %v", tt.text, match, got, err, tt.want)
		}
	}
}

func TestSearchLists(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	kita, other := searchArchive(t, db)
	for _, tt := range []struct {
		lists []int64
		want  []int64
	}{
		{[]int64{kita}, []int64{}},
		{[]int64{other}, []int64{20}},
		{[]int64{kita, other}, []int64{20}},
		{nil, []int64{}},
	} {
		res, err := db.SearchArchive(ctx, SearchQuery{ListIDs: tt.lists, Text: "schulweg"})
		if err != nil || !slices.Equal(sortedIDs(hitIDs(res.Hits)), tt.want) {
			t.Errorf("lists %v: %v %v, want %v", tt.lists, hitIDs(res.Hits), err, tt.want)
		}
	}
	res, err := db.SearchArchive(ctx, SearchQuery{ListIDs: []int64{kita, other}, Text: "kita"})
	if err != nil || !slices.Equal(sortedIDs(hitIDs(res.Hits)), []int64{1, 11, 19, 20}) {
		t.Errorf("kita on both lists: %v %v", hitIDs(res.Hits), err)
	}
	h := res.Hits[slices.IndexFunc(res.Hits, func(h Hit) bool { return h.ID == 20 })]
	if h.ListID != other || h.ThreadID != 20 || h.FromName != "Björn Schulz" || !h.Date.Equal(day("2024-09-05")) || h.Subject != "Schulweg" {
		t.Errorf("hit 20: %+v", h)
	}
}

func TestSearchPaging(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	kita, _ := searchArchive(t, db)
	all, err := db.SearchArchive(ctx, SearchQuery{ListIDs: []int64{kita}, Text: "kita OR custody OR umleitung"})
	if err != nil || len(all.Hits) != 6 || all.More {
		t.Fatalf("all: %v %v %v", hitIDs(all.Hits), all.More, err)
	}
	var paged []int64
	for offset := 0; ; offset += 4 {
		res, err := db.SearchArchive(ctx, SearchQuery{ListIDs: []int64{kita}, Text: "kita OR custody OR umleitung", Limit: 4, Offset: offset})
		if err != nil {
			t.Fatal(err)
		}
		paged = append(paged, hitIDs(res.Hits)...)
		if want := offset+4 < 6; res.More != want {
			t.Errorf("offset %d: more = %v", offset, res.More)
		}
		if !res.More {
			break
		}
	}
	if !slices.Equal(paged, hitIDs(all.Hits)) {
		t.Errorf("pages %v, all at once %v", paged, hitIDs(all.Hits))
	}
	res, err := db.SearchArchive(ctx, SearchQuery{ListIDs: []int64{kita}, Text: "kita", Offset: 100})
	if err != nil || len(res.Hits) != 0 || res.More {
		t.Errorf("past the end: %v %v %v", hitIDs(res.Hits), res.More, err)
	}
}

// TestSearchRanking: bm25 puts the subject above the body, and a query of common words
// puts the posts with them in the subject first, newest first.
func TestSearchRanking(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	kita, _ := searchArchive(t, db)
	for _, tt := range []struct {
		text string
		want []int64
	}{
		{"umleitung", []int64{7, 6}},
		{"kitaplatz", []int64{1, 11}}, // both in the subject, 1 also in the body
	} {
		res, err := db.SearchArchive(ctx, SearchQuery{ListIDs: []int64{kita}, Text: tt.text})
		if err != nil || !slices.Equal(hitIDs(res.Hits), tt.want) {
			t.Errorf("%q: %v %v, want %v", tt.text, hitIDs(res.Hits), err, tt.want)
		}
	}
	res, err := db.SearchArchive(ctx, SearchQuery{ListIDs: []int64{kita}, Author: "weiß"})
	if err != nil || !slices.Equal(hitIDs(res.Hits), []int64{18, 3}) {
		t.Errorf("by author: %v %v, want newest first", hitIDs(res.Hits), err)
	}
	x := expander{db: db}
	m, err := x.build(ctx, parseQuery("kita"), nil)
	if err != nil {
		t.Fatal(err)
	}
	m.postings = bm25Budget + 1
	order, err := db.rank(ctx, m, []int64{20, 19, 11, 1}, nil)
	if err != nil || !slices.Equal(order, []int64{19, 11, 1, 20}) {
		t.Errorf("common words: %v %v", order, err)
	}
	// Several words: the subjects are searched in Go.
	for _, tt := range []struct {
		text   string
		window []int64
		want   []int64
	}{
		{"kita OR umleitung", []int64{19, 11, 7, 6, 1}, []int64{19, 11, 7, 1, 6}},
		{`"der hauptstraße" sperrung`, []int64{7, 6}, []int64{6, 7}},
		{`"hauptstraße der"`, []int64{7, 6}, []int64{7, 6}},
		{"mütter treff", []int64{5, 4, 3}, []int64{3, 5, 4}},
	} {
		m, err := x.build(ctx, parseQuery(tt.text), nil)
		if err != nil {
			t.Fatal(err)
		}
		m.postings = bm25Budget + 1
		if order, err := db.rank(ctx, m, tt.window, nil); err != nil || !slices.Equal(order, tt.want) {
			t.Errorf("%q: %v %v, want %v", tt.text, order, err, tt.want)
		}
	}
}

// TestFoldWord: folding a word rune by rune gives what folding it whole gives.
func TestFoldWord(t *testing.T) {
	words := []string{"Mütter", "MUETTER", "Straße", "STRAẞE", "Düsseldorfer", "Ærø", "Łódź", "İstanbul", "Ǆemal",
		"café", "cafe\u0301", "u\u0308ber", "²", "Ⅻ", "Ελλάδα", "日本", "a\xffb", ""}
	for r := rune(0x80); r < 0x300; r++ {
		words = append(words, "x"+string(r)+"y", string(r)+string(r))
	}
	for _, w := range words {
		if got, want := foldWord(w), fold(w); got != want {
			t.Errorf("foldWord(%q) = %q, want %q", w, got, want)
		}
	}
}

func TestSearchSnippets(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	kita, _ := searchArchive(t, db)
	res, err := db.SearchArchive(ctx, SearchQuery{ListIDs: []int64{kita}, Text: "muetter"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[int64]string{
		3: "Alle " + MarkStart + "Mütter" + MarkEnd + " und Väter sind willkommen.",
		4: "Meine " + MarkStart + "Mutter" + MarkEnd + " kennt eine gute Klinik an der See.",
		5: "Ich schreibe " + MarkStart + "Muetter" + MarkEnd + " ohne Umlaut, weil meine Tastatur keine hat.",
	}
	for _, h := range res.Hits {
		if h.Snippet != want[h.ID] {
			t.Errorf("snippet of %d: %q, want %q", h.ID, h.Snippet, want[h.ID])
		}
	}
	hits, err := db.Search(ctx, kita, "strasse", 10)
	if err != nil || len(hits) != 2 {
		t.Fatalf("Search: %v %v", hits, err)
	}
	for _, h := range hits {
		if strings.ContainsAny(h.Snippet, MarkStart+MarkEnd) || !strings.Contains(h.Snippet, "Stra") {
			t.Errorf("Search snippet %q", h.Snippet)
		}
	}
}

func TestSnippet(t *testing.T) {
	long := strings.Repeat("Wort ", 40) + "Der Kitaplatz ist da. " + strings.Repeat("Satz ", 40)
	for _, tt := range []struct {
		body, query, want string
	}{
		{"Wir suchen\n\n> einen   Kitaplatz!", "kita", "Wir suchen > einen [Kitaplatz]!"},
		{long, "kitaplatz", "… Wort Wort Der [Kitaplatz] ist da. Satz Satz Satz Satz Satz Satz Satz Satz Satz Satz Satz Satz Satz Satz Satz Satz Satz Satz …"},
		{long, "nichts", "Wort Wort Wort Wort Wort Wort Wort Wort Wort Wort Wort Wort Wort Wort Wort Wort Wort Wort Wort Wort Wort Wort Wort Wort …"},
		{"Die Straße und die STRASSE", "strasse", "Die [Straße] und die [STRASSE]"},
		{"Kita " + strings.Repeat("Wort ", 30) + "die Kita und ihre Gebühren.", "kita gebühren",
			"… Wort Wort die [Kita] und ihre [Gebühren]."},
		{"Kita " + strings.Repeat("Wort ", 30) + "die Kita und ihre Gebühren.", "kita",
			"[Kita] Wort Wort Wort Wort Wort Wort Wort Wort Wort Wort Wort Wort Wort Wort Wort Wort Wort Wort Wort Wort Wort Wort Wort …"},
		{"Marker \uE001im\uE000 Text: Kita", "kita", "Marker im Text: [Kita]"},
		{"", "kita", ""},
		{"Nur Kita", "", "Nur Kita"},
	} {
		m, err := expander{}.build(context.Background(), parseQuery(tt.query), nil)
		if err != nil {
			t.Fatal(err)
		}
		got := strings.NewReplacer(MarkStart, "[", MarkEnd, "]").Replace(snippet(tt.body, m.highlight))
		if got != tt.want {
			t.Errorf("snippet(%.30q, %q) = %q, want %q", tt.body, tt.query, got, tt.want)
		}
	}
}

// TestSearchTerms: the vocabulary follows new posts, and changing or deleting a post
// empties it, so an erased word does not stay.
func TestSearchTerms(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	kita, _ := searchArchive(t, db)
	find := func(text string) []int64 {
		t.Helper()
		res, err := db.SearchArchive(ctx, SearchQuery{ListIDs: []int64{kita}, Text: text})
		if err != nil {
			t.Fatal(err)
		}
		return sortedIDs(hitIDs(res.Hits))
	}
	terms := func(prefix string) []string {
		t.Helper()
		var out []string
		rows, err := db.db.Query(`SELECT term FROM search_terms WHERE term >= ? AND term < ? ORDER BY term`, prefix, prefix+"\U0010FFFF")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var s string
			rows.Scan(&s)
			out = append(out, s)
		}
		return out
	}
	if got := find("kita"); !slices.Equal(got, []int64{1, 11, 19}) {
		t.Fatalf("kita: %v", got)
	}
	if got := terms("kita"); !slices.Equal(got, []string{"kita", "kitaplatz"}) {
		t.Errorf("terms: %v", got)
	}
	// A new post: its words are added.
	if _, err := db.AcceptPost(ctx, &Post{ListID: kita, MessageID: "<21@example.net>", Subject: "Kitaplatzvergabe",
		FromName: "Zoe Zander", Date: day("2024-10-01"), Text: "Die Vergabe beginnt.", Raw: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	if got := find("kita"); !slices.Equal(got, []int64{1, 11, 19, 21}) {
		t.Errorf("kita after a new post: %v", got)
	}
	if got := terms("kitaplatzv"); !slices.Equal(got, []string{"kitaplatzvergabe"}) {
		t.Errorf("terms after a new post: %v", got)
	}
	// Erasing a name: the vocabulary is emptied at once and rebuilt without it.
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.Exec(`UPDATE messages SET from_name = '' WHERE id = 21`); err != nil {
			return err
		}
		return reindex(ctx, tx, 21, "Kitaplatzvergabe", "Die Vergabe beginnt.", "")
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := terms(""); len(got) != 0 {
		t.Errorf("terms after a change: %d", len(got))
	}
	if got := find("zander"); len(got) != 0 {
		t.Errorf("zander: %v", got)
	}
	if got := terms("zander"); len(got) != 0 {
		t.Errorf("terms after the rebuild: %v", got)
	}
	if got := find("kitaplatzvergabe"); !slices.Equal(got, []int64{21}) {
		t.Errorf("after the rebuild: %v", got)
	}
	if _, err := db.db.Exec(`DELETE FROM messages WHERE id = 21`); err != nil {
		t.Fatal(err)
	}
	if got := terms(""); len(got) != 0 {
		t.Errorf("terms after a delete: %d", len(got))
	}
	if got := find("kita"); !slices.Equal(got, []int64{1, 11, 19}) || len(terms("kitaplatzv")) != 0 {
		t.Errorf("kita after a delete: %v %v", got, terms("kitaplatzv"))
	}
}

func TestOptimizeSearch(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	kita, _ := searchArchive(t, db)
	if err := db.OptimizeSearch(ctx); err != nil {
		t.Fatal(err)
	}
	var segments, indexedTo int
	if err := db.db.QueryRow(`SELECT (SELECT count(DISTINCT segid) FROM messages_fts_idx),
		(SELECT indexed_to FROM search_terms_state)`).Scan(&segments, &indexedTo); err != nil || segments != 1 || indexedTo != 20 {
		t.Errorf("segments %d, vocabulary to %d: %v", segments, indexedTo, err)
	}
	res, err := db.SearchArchive(ctx, SearchQuery{ListIDs: []int64{kita}, Text: "Muetter"})
	if err != nil || !slices.Equal(sortedIDs(hitIDs(res.Hits)), []int64{3, 4, 5}) {
		t.Errorf("after optimizing: %v %v", hitIDs(res.Hits), err)
	}
}

func TestParseQuery(t *testing.T) {
	for _, tt := range []struct {
		in, want string
	}{
		{"Kita köln", `("kita"*) AND (("koeln"* OR "koln"*))`},
		{"a OR b c", `("a" OR "b") AND ("c")`},
		{"OR kita OR", `("or") AND ("kita"*) AND ("or")`},
		{`"Straße frei" -muell`, `((("strasse" + "frei" OR "straße" + "frei"))) NOT (("muell"* OR "mull"*))`},
		{`-"nur" -weg`, ``},
		{`e-mail`, `("e" + "mail"*)`},
		{`x"y z`, `("x") AND ("y" + "z")`},
	} {
		if got := ftsQuery(tt.in); got != tt.want {
			t.Errorf("ftsQuery(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// FuzzSearchQuery: no typed text makes an FTS5 syntax error, a failed search or a
// broken snippet. The seed corpus is in testdata/fuzz/FuzzSearchQuery.
func FuzzSearchQuery(f *testing.F) {
	for _, s := range []string{"kita", `"Straße" OR -müll`, `a OR OR b`, `-"`, `NEAR(a b)`, `col : x`, `^x*`, "\uE000x\uE001"} {
		f.Add(s)
	}
	db, err := Open(context.Background(), f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	l := &List{Name: "fuzz", Archive: "public", Moderation: "none"}
	if err := db.CreateList(ctx, l); err != nil {
		f.Fatal(err)
	}
	for i, p := range germanPosts[1:] {
		if _, err := db.AcceptPost(ctx, &Post{ListID: l.ID, MessageID: fmt.Sprint(i), Subject: p.subject, FromName: p.from,
			Date: day(p.date), Text: p.body, Raw: []byte("x")}); err != nil {
			f.Fatal(err)
		}
	}
	f.Fuzz(func(t *testing.T, text string) {
		if match := ftsQuery(text); match != "" {
			var n int
			if err := db.db.QueryRow(`SELECT count(*) FROM messages_fts WHERE messages_fts MATCH ?`, match).Scan(&n); err != nil {
				t.Fatalf("ftsQuery(%q) = %s: %v", text, match, err)
			}
		}
		for _, q := range []SearchQuery{
			{ListIDs: []int64{l.ID}, Text: text, Author: text, Limit: 5},
			{ListIDs: []int64{l.ID}, Text: text + " OR kita", Limit: 5},
		} {
			res, err := db.SearchArchive(ctx, q)
			if err != nil {
				t.Fatalf("SearchArchive(%q): %v", q.Text, err)
			}
			for _, h := range res.Hits {
				if !utf8.ValidString(h.Snippet) && utf8.ValidString(germanPosts[h.ID].body) {
					t.Errorf("snippet %q is not UTF-8", h.Snippet)
				}
				if open := strings.Count(h.Snippet, MarkStart); open != strings.Count(h.Snippet, MarkEnd) {
					t.Errorf("snippet %q: unbalanced markers", h.Snippet)
				}
			}
		}
	})
}

// Sentences for synthetic posts, about the topics of a German parents' list (some in
// English); {n} is a first name, {c} a town, {w} a rare word, {d} a number.
var (
	benchGerman = []string{
		"Hat jemand Erfahrung mit dem Antrag auf Unterhaltsvorschuss beim Jugendamt in {c}?",
		"Wir suchen seit Monaten einen Kitaplatz für unsere Tochter, die Warteliste ist lang.",
		"Der Unterhalt wurde wieder nicht pünktlich gezahlt, was kann ich tun?",
		"Die Beratungsstelle in der Hauptstraße hat mir sehr geholfen, danke {n}!",
		"Das Umgangsrecht ist bei uns seit dem Gerichtstermin im {d}. Monat geregelt.",
		"Meine Mutter holt die Kinder dienstags von der Kita ab, sonst wäre es nicht zu schaffen.",
		"Viele Mütter und Väter in {c} kennen das Problem mit den Öffnungszeiten.",
		"Das Elterngeld wird nach dem Einkommen der letzten zwölf Monate berechnet.",
		"Die Kita-Gebühren sind in {c} nach Einkommen gestaffelt, bei uns {d} Euro.",
		"Ich bin alleinerziehend und arbeite in Teilzeit, die Betreuung ist knapp.",
		"Die Schule hat eine Ganztagsbetreuung bis 16 Uhr, danach übernimmt die Oma.",
		"Kennt jemand eine gute Kinderärztin in der Nähe der Goethestraße?",
		"Unser Sohn hat seit drei Tagen Fieber und Husten, der Kinderarzt ist überlastet.",
		"Wer fährt am Samstag zum Flohmarkt? Ich hätte Kinderkleidung in Größe {d} abzugeben.",
		"Beim Jugendamt hieß es, der Bescheid komme in etwa sechs Wochen.",
		"Der Widerspruch gegen den Bescheid muss innerhalb eines Monats eingelegt werden.",
		"Das Wohngeld wurde erhöht, es lohnt sich, den Anspruch neu prüfen zu lassen.",
		"Nach der Trennung haben wir das Wechselmodell vereinbart, es klappt erstaunlich gut.",
		"Die Großeltern wohnen leider weit weg, in {c}, und können selten einspringen.",
		"Am Elternabend wurde über das Mittagessen und die Süßigkeiten gesprochen.",
		"Der Förderverein übernimmt die Kosten für den Ausflug in den Wildpark.",
		"Bitte denkt daran, Hausschuhe und Wechselkleidung in die Kita mitzubringen.",
		"Die Straße vor der Grundschule wird ab Montag für drei Wochen gesperrt.",
		"In der Strasse hinter dem Spielplatz gibt es jetzt eine neue Tagesmutter.",
		"Mein Arbeitgeber erlaubt Homeoffice an zwei Tagen, das erleichtert vieles.",
		"Die Krankenkasse zahlt das Kinderkrankengeld für bis zu {d} Tage im Jahr.",
		"Für den Unterhaltsvorschuss braucht man die Geburtsurkunde und einen Nachweis.",
		"Das Familiengericht hat einen Verfahrensbeistand für die Kinder bestellt.",
		"Hat jemand Tipps für den Übergang von der Krippe in den Kindergarten?",
		"Die Eingewöhnung dauert bei uns schon vier Wochen, {n} weint jeden Morgen.",
		"Ich grüße euch herzlich und wünsche einen schönen Sonntag.",
		"Liebe Grüße aus {c} und danke für die vielen Antworten.",
		"Danke, das hilft mir weiter, ich melde mich nach dem Termin.",
		"Wir treffen uns wie immer am ersten Donnerstag im Monat im Familienzentrum.",
		"Beim Stammtisch der Alleinerziehenden ging es um Steuerklassen und Freibeträge.",
		"Die Steuerklasse zwei bringt Alleinerziehenden einen Entlastungsbetrag.",
		"Kindergeld und Kinderzuschlag werden bei der Familienkasse beantragt.",
		"Die Hebamme kam in den ersten Wochen nach der Geburt jeden zweiten Tag.",
		"Schwimmkurse für Kinder sind in {c} auf Monate ausgebucht.",
		"Der Sportverein bietet Turnen für Vierjährige am Mittwochnachmittag an.",
		"Ich habe den Eindruck, dass die Erzieherinnen völlig überlastet sind.",
		"Die Kita bleibt wegen Personalmangels am Freitag geschlossen.",
		"Ferienbetreuung in den Sommerferien kostet bei uns {d} Euro pro Woche.",
		"Mein Ex-Partner zahlt keinen Unterhalt, das Jugendamt hat eine Beistandschaft eingerichtet.",
		"Über die Schuldnerberatung haben wir einen Plan für die Raten gemacht.",
		"Das Thema {w} kam beim letzten Treffen auch zur Sprache.",
		"Es gab einen Vortrag über {w} und die Folgen für Familien.",
		"Weiß jemand, ob man für {w} einen Antrag stellen muss?",
		"Unsere Nachbarin {n} empfiehlt {w}, hat das schon jemand ausprobiert?",
		"Wir ziehen im Herbst nach {c} um und suchen dort eine Kita.",
	}
	benchEnglish = []string{
		"Does anyone have experience with childcare subsidies in {c}?",
		"We are still waiting for a daycare place, the waiting list is very long.",
		"The custody hearing is scheduled for next month, I am quite nervous.",
		"Thanks {n}, the advice about the housing benefit was really helpful.",
		"My mother picks up the children from school on Tuesdays.",
		"Has anyone tried {w}? A friend recommended it to me.",
		"The school holidays start next week and we still have no plan.",
		"Single parents can apply for additional support at the family office.",
		"Best wishes from {c}, and thanks for all the answers.",
		"The meeting on {w} was moved to Thursday evening.",
	}
	benchNames  = strings.Fields(`Anna Bernd Clara Dilek Emil Frieda Gül Hannes Ines Jonas Katrin Lukas Maria Nils Olga Paul Özlem Jürgen Björn Sören`)
	benchTowns  = strings.Fields(`Köln München Düsseldorf Lübeck Göttingen Würzburg Berlin Hamburg Leipzig Dresden Bremen Essen Fürth Saarbrücken Osnabrück`)
	benchFamily = strings.Fields(`Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Yılmaz Kaya Weiß Groß Köhler`)
)

// benchCorpus makes synthetic posts: threads of replies that quote their parent,
// bodies of 2 to 20 KB, four in five German.
type benchCorpus struct {
	r    *rand.Rand
	rare []string
}

func newBenchCorpus(seed int64) *benchCorpus {
	r := rand.New(rand.NewSource(seed))
	syl := strings.Fields(`ka ti ber ung schaft lich te ra mo sel an ver ge be heit keit ter en li na
		ro mu de fa po su wei bau land stadt haus weg feld berg zeit rat spiel`)
	c := &benchCorpus{r: r}
	for range 20000 {
		var w strings.Builder
		for range 2 + r.Intn(3) {
			w.WriteString(syl[r.Intn(len(syl))])
		}
		c.rare = append(c.rare, w.String())
	}
	return c
}

func (c *benchCorpus) sentence() string {
	bank := benchGerman
	if c.r.Intn(5) == 0 {
		bank = benchEnglish
	}
	s := bank[c.r.Intn(len(bank))]
	return strings.NewReplacer("{n}", benchNames[c.r.Intn(len(benchNames))], "{c}", benchTowns[c.r.Intn(len(benchTowns))],
		"{w}", c.rare[int(math.Min(float64(len(c.rare)-1), c.r.ExpFloat64()*3000))], "{d}", fmt.Sprint(2+c.r.Intn(300))).Replace(s)
}

// body is new text of about size bytes, in paragraphs.
func (c *benchCorpus) body(size int) string {
	var b strings.Builder
	b.WriteString("Hallo zusammen,\n\n")
	for b.Len() < size {
		for range 2 + c.r.Intn(4) {
			b.WriteString(c.sentence())
			b.WriteByte(' ')
		}
		b.WriteString("\n\n")
	}
	return b.String()
}

// fillArchive adds n synthetic posts to a new list, batch to a transaction, and
// returns the list's id and the new text of every hundredth post.
func fillArchive(tb testing.TB, db *DB, n, batch int) (int64, []string) {
	tb.Helper()
	ctx := context.Background()
	l := &List{Name: fmt.Sprintf("bench%d", n), Archive: "public", Moderation: "none"}
	if err := db.CreateList(ctx, l); err != nil {
		tb.Fatal(err)
	}
	c := newBenchCorpus(1)
	start := time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)
	type post struct{ subject, body string }
	var recent []post // parents to reply to
	var lines []string
	for done := 0; done < n; {
		err := db.tx(ctx, func(tx *sql.Tx) error {
			for i := 0; i < batch && done < n; i++ {
				done++
				// New text of 1 to 12 KB, more often short.
				size := int(math.Min(12000, 1000+c.r.ExpFloat64()*2500))
				p := post{subject: c.sentence(), body: c.body(size)}
				size = len(p.body)
				if len(recent) > 0 && c.r.Intn(10) < 6 {
					parent := recent[c.r.Intn(len(recent))]
					quoted := truncate(parent.body, 8000)
					p.subject = "Re: " + strings.TrimPrefix(parent.subject, "Re: ")
					p.body += "\n" + "> " + strings.ReplaceAll(quoted, "\n", "\n> ")
				}
				recent = append(recent, p)
				if len(recent) > 200 {
					recent = recent[1:]
				}
				if done%100 == 1 {
					lines = append(lines, p.body[len("Hallo zusammen,\n\n"):size])
				}
				name := benchNames[c.r.Intn(len(benchNames))] + " " + benchFamily[c.r.Intn(len(benchFamily))]
				date := start.Add(time.Duration(done) * 50 * time.Minute)
				if _, err := tx.ExecContext(ctx, `INSERT INTO messages (id, list_id, message_id, thread_id, subject,
					from_name, from_addr, date, received_at, body_text, size)
					VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, done, l.ID, fmt.Sprintf("<%d@bench>", done), done,
					p.subject, name, "x@example.net", date.Unix(), date.Unix(), db.pack.packText(db.pack.live, p.body), len(p.body)); err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, insertFTSSQL, done, p.subject, p.body, name); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
	return l.ID, lines
}

// benchQueries are 50 queries: single words (some to be found by prefix in compounds),
// two words, and phrases taken from the posts.
func benchQueries(texts []string) []string {
	r := rand.New(rand.NewSource(2))
	qs := strings.Fields(`kita unterhalt mutter muetter schule jugendamt beratung straße elterngeld krippe
		umgang antrag wohngeld ferien kinderarzt childcare custody advice steuerklasse familienkasse`)
	pairs := strings.Fields(`kita:gebühren unterhalt:jugendamt mutter:kinder schule:betreuung antrag:bescheid
		daycare:list trennung:wechselmodell ferien:woche kinderarzt:fieber köln:kita alleinerziehend:teilzeit
		eingewöhnung:morgen hebamme:geburt schwimmkurse:ausgebucht flohmarkt:samstag`)
	for _, p := range pairs {
		qs = append(qs, strings.Replace(p, ":", " ", 1))
	}
	for len(qs) < 50 {
		ws := strings.Fields(texts[r.Intn(len(texts))])
		i := r.Intn(len(ws) - 3)
		qs = append(qs, `"`+strings.Trim(strings.Join(ws[i:i+2+r.Intn(2)], " "), ".,?!")+`"`)
	}
	return qs
}

// BenchmarkSearch measures SearchArchive over synthetic archives of 20,000 and 100,000
// posts and reports p50 and p99 of the 50 queries' times (each iteration runs one
// query, after each ran once):
//
//	go test -tags sqlite_fts5 -run '^$' -bench Search -benchtime 2000x ./internal/store/
//
// With SEARCH_BENCH_DATA set to a data directory (such as one filled by `listd archive
// import`), it measures that archive's list SEARCH_BENCH_LIST (default forum) instead,
// with the queries of the archive benchmark (bench/archive.go).
func BenchmarkSearch(b *testing.B) {
	if dir := os.Getenv("SEARCH_BENCH_DATA"); dir != "" {
		db, err := Open(context.Background(), dir)
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		name := cmp.Or(os.Getenv("SEARCH_BENCH_LIST"), "forum")
		l, err := db.ListByName(context.Background(), name)
		if err != nil {
			b.Fatal(err)
		}
		benchSearch(b, db, l.ID, strings.Split(`Jugendamt|Unterhaltsvorschuss|Kitaplatz|Düsseldorf|Widerspruch|Beratungsstelle|custody|`+
			`Eingangsbestätigung|Kitaplatz Köln|Unterhaltsvorschuss Jugendamt|Wohngeld Bescheid|Umgangsrecht Ferien|daycare Berlin|`+
			`"Düsseldorfer Tabelle"|"formlosen Antrag"|"youth welfare office"|"Frist für den Widerspruch"|`+
			`Unterhalt*|Kita*|Umgangs*|Sorge*|Eltern*|Wohn*|Akteneinsicht|Bescheid abgelehnt`, "|"))
		return
	}
	for _, n := range []int{20000, 100000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			db, err := Open(context.Background(), b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			listID, texts := fillArchive(b, db, n, 100)
			benchSearch(b, db, listID, benchQueries(texts))
		})
	}
}

func benchSearch(b *testing.B, db *DB, listID int64, qs []string) {
	ctx := context.Background()
	for _, q := range qs {
		if _, err := db.SearchArchive(ctx, SearchQuery{ListIDs: []int64{listID}, Text: q}); err != nil {
			b.Fatal(err)
		}
	}
	var times []time.Duration
	var hits int
	perQuery := make([][]time.Duration, len(qs))
	for i := 0; b.Loop(); i++ {
		t0 := time.Now()
		res, err := db.SearchArchive(ctx, SearchQuery{ListIDs: []int64{listID}, Text: qs[i%len(qs)], Limit: 20})
		if err != nil {
			b.Fatal(err)
		}
		d := time.Since(t0)
		times = append(times, d)
		perQuery[i%len(qs)] = append(perQuery[i%len(qs)], d)
		hits += len(res.Hits)
	}
	if testing.Verbose() {
		for i, q := range qs {
			ds := perQuery[i]
			slices.Sort(ds)
			if len(ds) > 0 {
				b.Logf("%-40s median %8v max %8v", q, ds[len(ds)/2], ds[len(ds)-1])
			}
		}
	}
	slices.Sort(times)
	pct := func(p float64) float64 {
		return float64(times[int(p*float64(len(times)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(hits)/float64(len(times)), "hits/op")
}
