package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html"
	"io"
	"math/big"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"listd/internal/store"
)

const (
	membersList     = "bench" // an open list: the pages show addresses
	membersAnonList = "anon"  // an anonymous list: pseudonyms and poster numbers
	membersCount    = 100000  // each list's members
	membersOwner    = "owner@example.net"
	membersRepeats  = 100 // timed GETs of each kind (the next-page walk: membersWalk)
	membersWalk     = 50  // next-page links followed from the first page
	// searches on the anonymous list for a piece of the addresses (which it finds
	// but does not show: the page walks the whole list)
	membersAnonWalks = 5
)

var membersNext = regexp.MustCompile(`href="([^"]+)" rel="next"`)

// runMembers measures the owners' member list, /NAME/admin/members, on two lists of
// membersCount members each ("Elternteil 00001 <member00001@example.net>" ...,
// imported with `listd member import` before serving): bench, an open list whose
// pages show addresses, and anon, an anonymous one whose pages show pseudonyms and
// poster numbers (figures "anon_..."). The owner of both is logged in over HTTP with
// a session as the emailed login link makes it. Each GET is timed from the request
// to the last byte of the page:
//
//   - first_page: the first page, membersRepeats times.
//   - next_pages: the next-page links followed membersWalk times from the first page.
//   - deep_pages: a page from a random place in the list (the keyset parameter after=),
//     membersRepeats times.
//   - search_some: a piece matching 10 members, a different one each time: of the
//     address ("member0421") on bench, of the name ("teil 0421") on anon.
//   - search_none: a piece matching no one, a different one each time.
//   - anon_search_address_piece: "example" on anon, a piece of every address and no
//     name: found in the store, shown nowhere, so the page reads the whole list.
//
// Goal (#17): p99 < 50 ms for each.
func runMembers(ctx context.Context, e *env) ([]figure, error) {
	in, err := newInstance(e, "members")
	if err != nil {
		return nil, err
	}
	defer in.close()
	// The anonymous list first: its members' numbers in the store are 1..membersCount
	// in the file's order.
	membersPath := filepath.Join(in.dir, "members.txt")
	if err := writeNamedMembers(membersPath, membersCount); err != nil {
		return nil, err
	}
	var importTook time.Duration
	for _, l := range []struct{ name, anon string }{{membersAnonList, "yes"}, {membersList, "no"}} {
		if err := in.listd(ctx, "list", "create", l.name, "-title", "Bench", "-anonymous", l.anon); err != nil {
			return nil, err
		}
		start := time.Now()
		if err := in.listd(ctx, "member", "import", l.name, membersPath); err != nil {
			return nil, err
		}
		importTook = max(importTook, time.Since(start))
	}
	for _, l := range []string{membersAnonList, membersList} {
		if err := in.listd(ctx, "member", "add", l, membersOwner, "-role", "owner"); err != nil {
			return nil, err
		}
	}
	if err := in.startWithSink(ctx); err != nil {
		return nil, err
	}
	// The owner's session as the emailed login link makes it, written beside the
	// running listd (commands of the same version share the database).
	db, err := store.Open(ctx, filepath.Join(in.dir, "data"))
	if err != nil {
		return nil, err
	}
	id := make([]byte, 32)
	rand.Read(id)
	sess := hex.EncodeToString(id)
	sum := sha256.Sum256([]byte(sess))
	err = db.CreateSession(ctx, hex.EncodeToString(sum[:]), membersOwner, time.Now().Add(time.Hour))
	db.Close()
	if err != nil {
		return nil, err
	}

	base, _ := url.Parse(in.base)
	jar, _ := cookiejar.New(nil)
	jar.SetCookies(base, []*http.Cookie{{Name: "listd_session", Value: sess, Path: "/"}})
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	defer c.CloseIdleConnections()

	// get fetches path and returns the page and how long it took; want, when not "",
	// must be on it.
	get := func(path, want string) (string, time.Duration, error) {
		if ctx.Err() != nil {
			return "", 0, ctx.Err()
		}
		start := time.Now()
		resp, err := c.Get(in.base + path)
		if err != nil {
			return "", 0, err
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		took := time.Since(start)
		if err != nil {
			return "", 0, err
		}
		if resp.StatusCode != http.StatusOK {
			return "", 0, fmt.Errorf("GET %s: %s\n%s", path, resp.Status, in.logTail())
		}
		if want != "" && !strings.Contains(string(b), want) {
			return "", 0, fmt.Errorf("GET %s: %q not on the page:\n%s", path, want, tail(string(b), 15))
		}
		return string(b), took, nil
	}
	figs := []figure{fig("import", "%.1f s (%d addresses with names, listd member import; each list)", importTook.Seconds(), membersCount)}
	f, err := membersPages(get, "/"+membersList+"/admin/members", false)
	figs = append(figs, f...)
	if err != nil {
		return figs, err
	}
	f, err = membersPages(get, "/"+membersAnonList+"/admin/members", true)
	return append(figs, f...), err
}

// membersPages times the GETs of one list's member pages; on an anonymous list
// (anon) the pages name members by pseudonym and the keyset is the member's number
// in the store, and the figures' names begin with "anon_".
func membersPages(get func(path, want string) (string, time.Duration, error), first string, anon bool) ([]figure, error) {
	// want is what a page holding member n shows.
	want := func(n int) string {
		if anon {
			return fmt.Sprintf("Elternteil %05d", n)
		}
		return fmt.Sprintf("member%05d@example.net", n)
	}
	prefix := ""
	if anon {
		prefix = "anon_"
	}
	var figs []figure
	line := func(name string, ds []time.Duration, what string) {
		p50, p99, worst := percentiles(ds)
		figs = append(figs, fig(prefix+name, "p50 %.1f ms, p99 %.1f ms, max %.1f ms (%d GETs: %s; goal p99 < 50 ms)",
			p50, p99, worst, len(ds), what))
	}
	// Warm up (templates, connection, the database's cache).
	for range 5 {
		if _, _, err := get(first, want(1)); err != nil {
			return nil, err
		}
	}
	var ts []time.Duration
	for range membersRepeats {
		_, took, err := get(first, want(50))
		if err != nil {
			return figs, err
		}
		ts = append(ts, took)
	}
	line("first_page", ts, "the first 50 of 100,000")

	page, _, err := get(first, "")
	if err != nil {
		return figs, err
	}
	ts = nil
	for i := range membersWalk {
		m := membersNext.FindStringSubmatch(page)
		if m == nil {
			return figs, fmt.Errorf("%s page %d has no next-page link", first, i+1)
		}
		var took time.Duration
		page, took, err = get(html.UnescapeString(m[1]), want((i+1)*50+1))
		if err != nil {
			return figs, err
		}
		ts = append(ts, took)
	}
	line("next_pages", ts, "the next-page links from the first page")

	ts = nil
	for range membersRepeats {
		n := randN(membersCount-100) + 1
		after := fmt.Sprintf("member%05d@example.net", n)
		if anon {
			// The members' numbers in the store follow the import's order; the
			// owner came after them.
			after = strconv.Itoa(n)
		}
		_, took, err := get(first+"?"+url.Values{"after": {after}}.Encode(), want(n+50))
		if err != nil {
			return figs, err
		}
		ts = append(ts, took)
	}
	line("deep_pages", ts, "after= a random member")

	ts = nil
	for range membersRepeats {
		n := randN(membersCount/10 - 1)
		q := fmt.Sprintf("member%04d", n)
		if anon {
			q = fmt.Sprintf("teil %04d", n)
		}
		_, took, err := get(first+"?"+url.Values{"q": {q}}.Encode(), want(n*10+9))
		if err != nil {
			return figs, err
		}
		ts = append(ts, took)
	}
	if anon {
		line("search_some", ts, "q= a name piece matching 10")
	} else {
		line("search_some", ts, "q= an address piece matching 10")
	}

	ts = nil
	for i := range membersRepeats {
		_, took, err := get(first+"?"+url.Values{"q": {fmt.Sprintf("nobody%d", i)}}.Encode(), "")
		if err != nil {
			return figs, err
		}
		ts = append(ts, took)
	}
	line("search_none", ts, "q= a piece matching none")
	if !anon {
		return figs, nil
	}
	ts = nil
	for range membersAnonWalks {
		_, took, err := get(first+"?"+url.Values{"q": {"example"}}.Encode(), "")
		if err != nil {
			return figs, err
		}
		ts = append(ts, took)
	}
	line("search_address_piece", ts, "q=example: in every address, in no name")
	return figs, nil
}

// writeNamedMembers writes "Elternteil 00001 <member00001@example.net>" ... one a line.
func writeNamedMembers(path string, n int) error {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "Elternteil %05d <member%05d@example.net>\n", i, i)
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// randN is a random number in [0, n).
func randN(n int) int {
	v, _ := rand.Int(rand.Reader, big.NewInt(int64(n)))
	return int(v.Int64())
}
