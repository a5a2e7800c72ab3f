package web

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"listd/internal/lists"
	"listd/internal/ratelimit"
	"listd/internal/store"
	"listd/internal/token"
	"listd/templates"
)

type noRender struct{}

func (noRender) Render(ctx context.Context, d *store.Delivery) (lists.Copy, error) {
	return lists.Copy{Message: strings.NewReader("Subject: x\r\n\r\nx\r\n")}, nil
}

func newTestServer(t *testing.T) string {
	t.Helper()
	base, _, _ := newTestEnv(t)
	return base
}

// newTestEnv starts the web server on 127.0.0.1 and returns its URL, its store and
// the signer of its links.
func newTestEnv(t *testing.T) (string, *store.DB, *token.Signer) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for _, l := range []*store.List{
		{Name: "kita", Title: "Kita", Archive: "public", Moderation: "none"},
		{Name: "umgang", Title: "Umgang", Archive: "members", Moderation: "none"},
		{Name: "intern", Archive: "private", Moderation: "none"},
	} {
		if err := db.CreateList(ctx, l); err != nil {
			t.Fatal(err)
		}
	}
	kita, _ := db.ListByName(ctx, "kita")
	db.ImportMembers(ctx, []*store.Member{{ListID: kita.ID, Address: "anna@example.net", Mode: "each", Role: "member"}})
	_, err = db.AcceptPost(ctx, &store.Post{ListID: kita.ID, MessageID: "a@x", Subject: "Kitaplatz <gesucht>",
		FromName: "Anna", FromAddr: "anna@example.net", Date: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC),
		Text: "Schreibt mir an anna@example.net, Kitaplatz in Köln",
		Raw:  []byte("From: Anna <anna@example.net>\r\nSubject: Kitaplatz <gesucht>\r\nMessage-ID: <a@x>\r\n\r\nSchreibt mir an anna@example.net, Kitaplatz in Köln\r\n")})
	if err != nil {
		t.Fatal(err)
	}
	srv, signer := serveStore(t, db, Config{Outbox: true, Metrics: http.NotFoundHandler()})
	return srv.URL, db, signer
}

// serveStore starts the web server over db on 127.0.0.1 with cfg (its domain,
// language, logger and signer filled in) and returns it and the signer of its links.
func serveStore(t *testing.T, db *store.DB, cfg Config) (*httptest.Server, *token.Signer) {
	t.Helper()
	signer := token.NewSigner([]byte("0123456789abcdef0123456789abcdef"), nil)
	svc, err := lists.New(db, signer, lists.Config{Domain: "lists.example.org", BaseURL: "http://127.0.0.1:8080", Language: "de",
		Templates: templates.FS(""), Logger: slog.New(slog.DiscardHandler),
		CounselSettings: lists.CounselConfig{CrisisLines: []string{"TelefonSeelsorge: 0800 111 0 111"}}})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Domain, cfg.Language, cfg.Logger, cfg.Signer = "lists.example.org", "de", slog.New(slog.DiscardHandler), signer
	cfg.Lists = ListDomainOf(svc)
	h, err := New(db, noRender{}, svc, svc, svc, db, templates.FS(""), cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, signer
}

func get(t *testing.T, url string, header ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestRoutes(t *testing.T) {
	base := newTestServer(t)
	tests := []struct {
		path     string
		status   int
		contains string
		absent   string
		json     bool
	}{
		{"/healthz", 200, "ok", "", false},
		{"/", 200, "Kita", "intern", false},
		{"/kita/", 200, "Kitaplatz &lt;gesucht&gt;", "anna@example.net", false},
		{"/kita", 301, "", "", false},
		{"/kita/m/1", 200, "a…@…", "anna@example.net", false},
		{"/kita/m/999", 404, "", "", false},
		{"/kita/m/abc", 404, "", "", false},
		{"/kita/search?q=k%C3%B6ln", 200, "Kitaplatz", "anna@example.net", false},
		{"/kita/nonsense/deeper", 404, "", "", false},
		{"/umgang/", 403, "Mitglieder", "", false},
		{"/nosuch/", 404, "", "", false},
		{"/static/style.css", 200, "body", "", false},
		{"/api/v1/lists", 200, `"name":"kita"`, "intern", true},
		{"/api/v1/lists/kita/messages?limit=5", 200, `"from_name":"Anna"`, "anna@", true},
		{"/api/v1/lists/kita/messages?limit=-1", 400, `"error"`, "", true},
		{"/api/v1/lists/kita/messages/1", 200, `"text":"Schreibt mir an a…@…`, "anna@example.net", true},
		{"/api/v1/lists/kita/messages/2", 404, `"error"`, "", true},
		{"/api/v1/lists/kita/messages/x", 400, `"error"`, "", true},
		{"/api/v1/lists/kita/threads/1", 200, `"messages":[`, "", true},
		{"/api/v1/lists/kita/search?q=K%C3%B6ln", 200, `"hits":[{"id":1`, "", true},
		{"/api/v1/lists/kita/search?q=nichts", 200, `{"hits":[]}`, "", true},
		{"/api/v1/lists/umgang/messages", 403, `"error"`, "", true},
		{"/api/v1/lists/nosuch/messages", 404, `"error"`, "", true},
		{"/api/v1/nothing", 404, `"error"`, "", true},
		{"/outbox", 200, "Ausgang", "", false},
		{"/outbox/1", 200, "X-Envelope-To: <anna@example.net>", "", false},
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			resp, err := noRedirect.Get(base + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			body := string(b)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d\n%s", resp.StatusCode, tt.status, body)
			}
			if !strings.Contains(body, tt.contains) {
				t.Errorf("body lacks %q:\n%s", tt.contains, body)
			}
			if tt.absent != "" && strings.Contains(body, tt.absent) {
				t.Errorf("body has %q:\n%s", tt.absent, body)
			}
			if tt.json {
				if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") || !json.Valid(b) {
					t.Errorf("not JSON: %s %s", resp.Header.Get("Content-Type"), body)
				}
			}
			if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
				t.Errorf("CSP = %q", csp)
			}
		})
	}
}

func TestLanguage(t *testing.T) {
	base := newTestServer(t)
	tests := []struct {
		query, accept, want string
	}{
		{"", "", "Unsere Listen"},
		{"", "en-US,en;q=0.9", "Our lists"},
		{"", "fr, de;q=0.5", "Unsere Listen"},
		{"?lang=en", "de", "Our lists"},
		{"?lang=xx", "en", "Our lists"},
	}
	for _, tt := range tests {
		_, body := get(t, base+"/"+tt.query, "Accept-Language", tt.accept)
		if !strings.Contains(body, tt.want) {
			t.Errorf("%q %q: want %q", tt.query, tt.accept, tt.want)
		}
	}
}

func TestMaskAddresses(t *testing.T) {
	tests := []struct{ in, want string }{
		{"mail anna.b+x@example.net now", "mail a…@… now"},
		{"no address @ here", "no address @ here"},
		{"a@b.de, c@d.org", "a…@…, c…@…"},
	}
	for _, tt := range tests {
		if got := maskAddresses(tt.in); got != tt.want {
			t.Errorf("maskAddresses(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestLimiterPerNetwork(t *testing.T) {
	l := &limiter{posts: ratelimit.New(2, time.Minute, nil)}
	req := func(remote string) *http.Request {
		r := httptest.NewRequest("POST", "/login", nil)
		r.RemoteAddr = remote
		return r
	}
	steps := []struct {
		remote string
		want   bool
	}{
		{"[2001:db8:1:2::1]:4000", true},
		{"[2001:db8:1:2::2]:4001", true},
		{"[2001:db8:1:2:ffff::3]:4002", false}, // the same /64
		{"[2001:db8:1:3::1]:4003", true},       // the next /64
		{"203.0.113.1:5000", true},
		{"203.0.113.2:5001", true},
		{"[::ffff:203.0.113.3]:5002", false}, // the same /24
		{"203.0.114.1:5003", true},
	}
	for _, st := range steps {
		if got := l.allow(req(st.remote)); got != st.want {
			t.Errorf("%s: allowed %v, want %v", st.remote, got, st.want)
		}
	}
}
