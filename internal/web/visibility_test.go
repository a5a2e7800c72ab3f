package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"listd/internal/store"
	"listd/internal/token"
	"listd/templates"
)

// fakeMetrics stands for the registry's handler: what it writes must reach only the
// operator.
var fakeMetrics = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	io.WriteString(w, "listd_readers{list=\"intern\",mode=\"each\"} 3\n")
})

func newMetricsServer(t *testing.T, tok string) *Server {
	t.Helper()
	h, err := New(nil, noRender{}, nil, nil, nil, nil, templates.FS(""), Config{Domain: "lists.example.org", Language: "de",
		Metrics: fakeMetrics, MetricsToken: tok, Logger: slog.New(slog.DiscardHandler),
		Signer: token.NewSigner([]byte("0123456789abcdef0123456789abcdef"), nil)})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestMetricsAccess(t *testing.T) {
	const tok = "Zq8r3xVfK2mWp9Lh4tYc"
	tests := []struct {
		name    string
		token   string // configured
		remote  string
		header  []string
		status  int
		metrics bool
	}{
		{"loopback v4", "", "127.0.0.1:5555", nil, 200, true},
		{"loopback v6", "", "[::1]:5555", nil, 200, true},
		{"stranger, no token configured", "", "192.0.2.1:1234", nil, 403, false},
		{"stranger, no token configured, any bearer", "", "192.0.2.1:1234", []string{"Authorization", "Bearer "}, 403, false},
		{"stranger without token", tok, "192.0.2.1:1234", nil, 401, false},
		{"stranger with the token", tok, "192.0.2.1:1234", []string{"Authorization", "Bearer " + tok}, 200, true},
		{"scheme in any case", tok, "[2001:db8::1]:1234", []string{"Authorization", "bearer " + tok}, 200, true},
		{"wrong token", tok, "192.0.2.1:1234", []string{"Authorization", "Bearer " + tok[:len(tok)-1] + "x"}, 401, false},
		{"token prefix", tok, "192.0.2.1:1234", []string{"Authorization", "Bearer " + tok[:8]}, 401, false},
		{"token as basic", tok, "192.0.2.1:1234", []string{"Authorization", "Basic " + tok}, 401, false},
		{"through a proxy on this machine", "", "127.0.0.1:5555", []string{"X-Forwarded-For", "192.0.2.1"}, 403, false},
		{"through a proxy, Forwarded", "", "127.0.0.1:5555", []string{"Forwarded", "for=192.0.2.1"}, 403, false},
		{"through a proxy, X-Real-IP", "", "[::1]:5555", []string{"X-Real-IP", "192.0.2.1"}, 403, false},
		{"through a proxy, empty X-Forwarded-For", "", "127.0.0.1:5555", []string{"X-Forwarded-For", ""}, 403, false},
		{"through a proxy with the token", tok, "127.0.0.1:5555", []string{"X-Forwarded-For", "192.0.2.1", "Authorization", "Bearer " + tok}, 200, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newMetricsServer(t, tt.token)
			r := httptest.NewRequest("GET", "/metrics", nil)
			r.RemoteAddr = tt.remote
			for i := 0; i+1 < len(tt.header); i += 2 {
				r.Header.Set(tt.header[i], tt.header[i+1])
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			body := w.Body.String()
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d\n%s", w.Code, tt.status, body)
			}
			if got := strings.Contains(body, "listd_readers"); got != tt.metrics {
				t.Errorf("metrics served = %v, want %v\n%s", got, tt.metrics, body)
			}
			if !tt.metrics {
				if strings.Contains(body, "intern") {
					t.Errorf("a refusal names the private list:\n%s", body)
				}
				if !strings.Contains(body, "Messwerte") {
					t.Errorf("no sentence saying why:\n%s", body)
				}
			}
			if tt.status == 401 && !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("WWW-Authenticate = %q", w.Header().Get("WWW-Authenticate"))
			}
		})
	}
}

// The outbox names recipients: like /metrics it is for this machine only, and a
// request through a proxy is not from this machine.
func TestOutboxBehindProxy(t *testing.T) {
	base := newTestServer(t)
	for _, h := range []string{"X-Forwarded-For", "Forwarded", "X-Real-IP"} {
		resp, body := get(t, base+"/outbox", h, "192.0.2.1")
		if resp.StatusCode != http.StatusForbidden || strings.Contains(body, "anna@example.net") {
			t.Errorf("%s: status %d\n%s", h, resp.StatusCode, body)
		}
	}
}

// A private list is nowhere the public reads: directories, the API, feeds, search and
// robots.txt answer a stranger as if it did not exist.
func TestPrivateListNotAnnounced(t *testing.T) {
	base := newTestServer(t)
	for _, path := range []string{"/", "/?lang=en", "/api/v1/lists", "/robots.txt", "/search?q=Kita"} {
		resp, body := get(t, base+path)
		if resp.StatusCode != 200 || strings.Contains(body, "intern") {
			t.Errorf("%s: status %d, names the private list:\n%s", path, resp.StatusCode, body)
		}
	}
	// Each path below answers for the private list exactly as for a list that does
	// not exist.
	for _, path := range []string{"/NAME/", "/NAME/subscribe", "/NAME/atom.xml", "/NAME/t/1/atom.xml", "/NAME/t/1.mbox", "/NAME/2026-11.mbox",
		"/NAME/search?q=x", "/search?list=NAME&q=x", "/api/v1/lists/NAME/messages", "/api/v1/lists/NAME/search?q=x",
		"/api/v1/lists/NAME/threads/1"} {
		private, privBody := get(t, base+strings.ReplaceAll(path, "NAME", "intern"))
		none, noneBody := get(t, base+strings.ReplaceAll(path, "NAME", "nosuch"))
		if private.StatusCode != none.StatusCode || privBody != strings.ReplaceAll(noneBody, "nosuch", "intern") {
			t.Errorf("%s: the private list answers %d, a missing one %d\n%s\n---\n%s", path, private.StatusCode, none.StatusCode, privBody, noneBody)
		}
	}
}

// A member of one list, logged in, learns nothing of a private list she is not on.
func TestPrivateListNotAnnouncedToOtherMembers(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for _, l := range []*store.List{{Name: "kita", Archive: "public", Moderation: "none"}, {Name: "intern", Title: "Vorstand", Archive: "private", Moderation: "none"}} {
		if err := db.CreateList(ctx, l); err != nil {
			t.Fatal(err)
		}
		if l.Name == "kita" {
			db.ImportMembers(ctx, []*store.Member{{ListID: l.ID, Address: "anna@example.net", Mode: "each", Role: "member"}})
		}
	}
	srv, _ := serveStore(t, db, Config{})
	session := "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	if err := db.CreateSession(ctx, hashHex(session), "anna@example.net", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	fetch := func(path string) (int, string) {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: session})
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, path := range []string{"/NAME/", "/NAME/digest", "/NAME/subscribe", "/search?list=NAME&q=x", "/api/v1/lists/NAME/messages"} {
		ps, pb := fetch(strings.ReplaceAll(path, "NAME", "intern"))
		ns, nb := fetch(strings.ReplaceAll(path, "NAME", "nosuch"))
		if ps != ns || pb != strings.ReplaceAll(nb, "nosuch", "intern") {
			t.Errorf("%s: the private list answers %d, a missing one %d\n%s", path, ps, ns, pb)
		}
	}
	for _, path := range []string{"/", "/api/v1/lists", "/search?q=x"} {
		if _, body := fetch(path); strings.Contains(body, "intern") || strings.Contains(body, "Vorstand") {
			t.Errorf("%s names the private list", path)
		}
	}
}
