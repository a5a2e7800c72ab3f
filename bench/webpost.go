package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"sort"
	"time"

	"listd/internal/store"
)

const (
	webpostList    = "bench"
	webpostMembers = 1000 // the list's members, each getting every post
	webpostPosts   = 200  // posts, each by another member
)

var webpostCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// runWebpost measures writing on the web: webpostPosts members, one after another,
// each start a thread with a 3 KB text through POST /bench/new, on a list of
// webpostMembers members. Each submit is timed from the request to the answer, which
// listd gives only once the post, its thread and one queue row per member are
// committed with a full sync (the web's 250): "submit to commit". Posts come from
// 127.0.K.1 in turn, 20 per /24, under the form limit of a client network.
//
//   - submit_to_commit: p50 and p99 of the first half, each sent once the copies of
//     the post before reached the sink (goal: p99 < 20 ms).
//   - submit_to_commit_back_to_back: the second half, sent one after another while
//     the copies of the posts before are delivered (their bookkeeping takes the same
//     write lock).
func runWebpost(ctx context.Context, e *env) ([]figure, error) {
	in, err := newInstance(e, "webpost")
	if err != nil {
		return nil, err
	}
	defer in.close()
	if err := in.listd(ctx, "list", "create", webpostList, "-title", "Bench"); err != nil {
		return nil, err
	}
	membersPath := filepath.Join(in.dir, "members.txt")
	if err := writeMembers(membersPath, webpostMembers); err != nil {
		return nil, err
	}
	if err := in.listd(ctx, "member", "import", webpostList, membersPath); err != nil {
		return nil, err
	}
	if err := in.startWithSink(ctx); err != nil {
		return nil, err
	}
	// Sessions as the emailed login links make them, one per poster, written beside
	// the running listd (commands of the same version share the database).
	db, err := store.Open(ctx, filepath.Join(in.dir, "data"))
	if err != nil {
		return nil, err
	}
	sessions := make([]string, webpostPosts)
	for i := range sessions {
		id := make([]byte, 32)
		rand.Read(id)
		sessions[i] = hex.EncodeToString(id)
		sum := sha256.Sum256([]byte(sessions[i]))
		if err := db.CreateSession(ctx, hex.EncodeToString(sum[:]), fmt.Sprintf("member%05d@example.net", i+1), time.Now().Add(time.Hour)); err != nil {
			db.Close()
			return nil, err
		}
	}
	db.Close()

	base, _ := url.Parse(in.base)
	var times, busy []time.Duration
	for i, sess := range sessions {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		// The first half waits until the copies of the post before reached the sink:
		// a post on a list at rest. The second half comes back to back, while the
		// copies of the posts before are delivered.
		idle := i < len(sessions)/2
		if idle {
			end := time.Now().Add(e.timeout)
			for n, _ := in.sink.Count(); n < int64(i*webpostMembers); n, _ = in.sink.Count() {
				if time.Now().After(end) {
					return nil, fmt.Errorf("copies of post %d did not reach the sink (%d of %d)", i, n, i*webpostMembers)
				}
				time.Sleep(5 * time.Millisecond)
			}
		}
		jar, _ := cookiejar.New(nil)
		jar.SetCookies(base, []*http.Cookie{{Name: "listd_session", Value: sess, Path: "/"}})
		local := &net.TCPAddr{IP: net.IPv4(127, 0, byte(1+i/20), 1)}
		c := &http.Client{Jar: jar, Timeout: 30 * time.Second, Transport: &http.Transport{
			DialContext: (&net.Dialer{LocalAddr: local}).DialContext},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := c.Get(in.base + "/" + webpostList + "/new")
		if err != nil {
			return nil, err
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		m := webpostCSRF.FindSubmatch(page)
		if m == nil {
			return nil, fmt.Errorf("no form on /%s/new (%d)", webpostList, resp.StatusCode)
		}
		form := url.Values{"csrf": {string(m[1])}, "idem": {fmt.Sprintf("%032x", i+1)}, "do": {"send"},
			"subject": {fmt.Sprintf("Elternabend %d", i+1)}, "text": {germanText}}
		start := time.Now()
		resp, err = c.PostForm(in.base+"/"+webpostList+"/new", form)
		took := time.Since(start)
		if err != nil {
			return nil, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther {
			return nil, fmt.Errorf("post %d: %s\n%s", i+1, resp.Status, in.logTail())
		}
		if idle {
			times = append(times, took)
		} else {
			busy = append(busy, took)
		}
		c.CloseIdleConnections()
	}
	p50, p99, worst := percentiles(times)
	b50, b99, bworst := percentiles(busy)
	e.logf("webpost: %d posts to %d members at rest, slowest %.1f ms; %d back to back, slowest %.1f ms",
		len(times), webpostMembers, worst, len(busy), bworst)
	return []figure{
		fig("submit_to_commit", "p50 %.1f ms, p99 %.1f ms (%d posts, %d members each; goal p99 < 20 ms)", p50, p99, len(times), webpostMembers),
		fig("submit_to_commit_back_to_back", "p50 %.1f ms, p99 %.1f ms (%d posts while the copies before are delivered)", b50, b99, len(busy)),
	}, nil
}

// percentiles returns the median, the 99th percentile and the largest of ds, in ms.
func percentiles(ds []time.Duration) (p50, p99, worst float64) {
	if len(ds) == 0 {
		return 0, 0, 0
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	at := func(p float64) float64 { return float64(ds[int(p*float64(len(ds)-1))].Microseconds()) / 1000 }
	return at(0.5), at(0.99), at(1)
}
