package web

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"listd/internal/lists"
	"listd/internal/store"
	"listd/internal/token"
	"listd/templates"
)

// archiveServer serves a public list with a nested thread and an HTML post, and a
// members-only list; it returns the URL and a session cookie of a member of both.
func archiveServer(t *testing.T) (base, session string) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ids := map[string]int64{}
	for _, l := range []*store.List{
		{Name: "kita", Title: "Kita", Archive: "public", Moderation: "none"},
		{Name: "umgang", Title: "Umgang", Archive: "members", Moderation: "none"},
		{Name: "intern", Archive: "private", Moderation: "none"},
		{Name: "anon", Archive: "public", Moderation: "none", Anonymous: true},
	} {
		if err := db.CreateList(ctx, l); err != nil {
			t.Fatal(err)
		}
		ids[l.Name] = l.ID
		db.ImportMembers(ctx, []*store.Member{{ListID: l.ID, Address: "anna@example.net", Mode: "each", Role: "member"}})
	}
	post := func(list, mid, subject, from string, parents []string, body string) {
		t.Helper()
		raw := "From: " + from + " <" + strings.ToLower(from) + "@example.net>\r\nSubject: " + subject +
			"\r\nMessage-ID: <" + mid + ">\r\nDate: Tue, 24 Nov 2026 09:00:00 +0000\r\n" + body
		_, err := db.AcceptPost(ctx, &store.Post{ListID: ids[list], MessageID: mid, Subject: subject, FromName: from,
			FromAddr: strings.ToLower(from) + "@example.net", Date: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC),
			Text: "Text von " + from + ", Kitaplatz und Unterhaltsvorschuss", Raw: []byte(raw), ParentCandidates: parents})
		if err != nil {
			t.Fatal(err)
		}
	}
	text := "Content-Type: text/plain; charset=utf-8\r\n\r\nHallo, schreib an anna@example.net\r\n> zitiert\r\n"
	post("kita", "a@x", "Kitaplatz gesucht", "Anna", nil, text)
	post("kita", "b@x", "Re: Kitaplatz gesucht", "Bea", []string{"a@x"}, text)
	post("kita", "c@x", "Re: Kitaplatz gesucht", "Cem", []string{"b@x", "a@x"}, text)
	post("kita", "d@x", "Re: Kitaplatz gesucht", "Dora", []string{"a@x"}, text)
	post("kita", "h@x", "HTML", "Hanna", nil, "MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"+
		`<p onclick="alert(1)">Hallo <script>alert(2)</script><img src="https://tracker.example/p.gif"></p>`+"\r\n")
	post("umgang", "u@x", "Umgang am Wochenende", "Ute", nil, text)
	for _, p := range []struct{ mid, subject, refs, body string }{
		{"1764061200.42@annas-laptop.annahome.example", "Frage", "", anonPost},
		{"re.1@zwiebel-pc.annahome.example", "Re: Frage", "1764061200.42@annas-laptop.annahome.example",
			"Content-Type: text/plain\r\n\r\nAntwort\r\n"},
	} {
		raw := "From: Anna Zwiebelmeier <anna.zwiebelmeier@annahome.example>\r\nSubject: " + p.subject +
			"\r\nMessage-ID: <" + p.mid + ">\r\nDate: Tue, 24 Nov 2026 09:00:00 +0000\r\n" + p.body
		var parents []string
		if p.refs != "" {
			parents = []string{p.refs}
			raw = "In-Reply-To: <" + p.refs + ">\r\nReferences: <older@zwiebel-pc.annahome.example> <" + p.refs + ">\r\n" + raw
		}
		if _, err := db.AcceptPost(ctx, &store.Post{ListID: ids["anon"], MessageID: p.mid, Subject: p.subject, FromName: "Sonnenblume",
			FromAddr: "anna.zwiebelmeier@annahome.example", Date: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC),
			Text: "Hallo", Raw: []byte(raw), ParentCandidates: parents}); err != nil {
			t.Fatal(err)
		}
	}

	signer := token.NewSigner([]byte("0123456789abcdef0123456789abcdef"), nil)
	svc, err := lists.New(db, signer, lists.Config{Domain: "lists.example.org", BaseURL: "http://127.0.0.1:8080", Language: "de",
		Templates: templates.FS(""), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	h, err := New(db, noRender{}, svc, svc, svc, db, templates.FS(""), Config{Domain: "lists.example.org", BaseURL: "http://127.0.0.1:8080",
		Language: "de", Logger: slog.New(slog.DiscardHandler), Signer: signer, Copies: svc, Lists: ListDomainOf(svc)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	session = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	if err := db.CreateSession(ctx, hashHex(session), "anna@example.net", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	return srv.URL, session
}

// anonPost is the body of a post to the anonymous list whose Message-ID and file name
// name its sender.
const anonPost = "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n" +
	"Content-Type: text/plain\r\n\r\nHallo\r\n--b\r\n" +
	"Content-Type: application/pdf; name=\"anna.zwiebelmeier@annahome.example.pdf\"\r\n" +
	"Content-Disposition: attachment; filename=\"anna.zwiebelmeier@annahome.example.pdf\"\r\n" +
	"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--b--\r\n"

// TestAnonymousSurfaces: every public surface of an anonymous list (JSON API, feeds,
// pages, mbox downloads, attachment downloads) shows the list's public Message-IDs and
// masked file names, never the sender's host, domain or name.
func TestAnonymousSurfaces(t *testing.T) {
	base, _ := archiveServer(t)
	leaks := []string{"annahome", "annas-laptop", "zwiebel", "1764061200.42"}
	for _, path := range []string{"/api/v1/lists/anon/messages", "/api/v1/lists/anon/messages/7", "/api/v1/lists/anon/threads/7",
		"/anon/", "/anon/t/7", "/anon/m/7", "/anon/m/8", "/anon/atom.xml", "/anon/t/7/atom.xml", "/anon/t/7.mbox", "/anon/2026-11.mbox",
		"/anon/m/7/a/0"} {
		resp, body := get(t, base+path)
		if resp.StatusCode != 200 {
			t.Errorf("%s: status %d", path, resp.StatusCode)
			continue
		}
		all := strings.ToLower(body + fmt.Sprint(resp.Header))
		for _, l := range leaks {
			if strings.Contains(all, l) {
				t.Errorf("%s shows %q:\n%v\n%s", path, l, resp.Header, body)
			}
		}
	}
	var ms []apiMessage
	if err := json.Unmarshal([]byte(mustGet(t, base+"/api/v1/lists/anon/messages")), &ms); err != nil || len(ms) != 2 {
		t.Fatalf("api: %v %+v", err, ms)
	}
	for _, m := range ms {
		if local, domain, _ := strings.Cut(m.MessageID, "@"); domain != "lists.example.org" || len(local) != 26 {
			t.Errorf("message_id %q is not the list's public id", m.MessageID)
		}
	}
	// The thread still hangs together under the public ids.
	if !strings.Contains(mustGet(t, base+"/anon/t/7.mbox"), "In-Reply-To: <"+ms[1].MessageID+">") {
		t.Errorf("the reply does not name its parent by its public id %q", ms[1].MessageID)
	}
	resp, _ := get(t, base+"/anon/m/7/a/0")
	if cd := resp.Header.Get("Content-Disposition"); !strings.Contains(cd, "a%E2%80%A6%40%E2%80%A6.pdf") {
		t.Errorf("attachment download named %q", cd)
	}
	if page := mustGet(t, base+"/anon/m/7"); !strings.Contains(page, "a…@….pdf") {
		t.Errorf("page does not name the file a…@….pdf:\n%s", page)
	}
}

func mustGet(t *testing.T, url string) string {
	t.Helper()
	resp, body := get(t, url)
	if resp.StatusCode != 200 {
		t.Fatalf("%s: status %d", url, resp.StatusCode)
	}
	return body
}

func TestArchivePages(t *testing.T) {
	base, session := archiveServer(t)
	tests := []struct {
		name   string
		path   string
		login  bool
		status int
		ctype  string
		want   []string
		absent []string
	}{
		{"thread index", "/kita/", false, 200, "text/html", []string{`href="/kita/t/1"`, "4 Beiträge", `href="/kita/2026-11/">November 2026`, "atom.xml"}, []string{"@example.net"}},
		{"thread nested", "/kita/t/1", false, 200, "text/html", []string{`class="post depth-0" id="m1"`, `class="post depth-1" id="m2"`,
			`class="post depth-2" id="m3"`, `class="post depth-1" id="m4"`, "Antwort auf", "In-Reply-To=%3Cc%40x%3E"}, []string{"anna@example.net", "bea@example.net"}},
		{"thread order", "/kita/t/1", false, 200, "text/html", []string{"Cem"}, nil},
		{"message", "/kita/m/2", false, 200, "text/html", []string{"Bea", "a…@…", "Per Mail antworten", "References="}, []string{"anna@example.net"}},
		{"html message sanitized", "/kita/m/5?html=1", false, 200, "text/html", []string{"Hallo"}, []string{"<script", "onclick", "tracker.example/p.gif\""}},
		{"month", "/kita/2026-11/", false, 200, "text/html", []string{"November 2026", "/kita/2026-11.mbox"}, nil},
		{"bad month", "/kita/2026-13/", false, 404, "text/html", nil, nil},
		{"bad page cursor", "/kita/?before=7", false, 400, "text/html", nil, nil},
		{"site search", "/search?q=kitaplatz", false, 200, "text/html", []string{`href="/kita/m/1"`, "<mark>"}, []string{"/umgang/m/", "@example.net"}},
		{"site search with login", "/search?q=kitaplatz", true, 200, "text/html", []string{`href="/kita/m/1"`, `href="/umgang/m/6"`}, nil},
		{"site search, one list", "/search?q=kitaplatz&list=umgang", true, 200, "text/html", []string{`href="/umgang/m/6"`}, []string{`href="/kita/m/1"`}},
		{"site search, a list not readable", "/search?q=kitaplatz&list=umgang", false, 404, "text/html", nil, []string{"/umgang/m/"}},
		{"site search, no such list", "/search?q=x&list=nosuch", false, 404, "text/html", nil, nil},
		{"page below everything", "/kita/?before=1.1", false, 200, "text/html", []string{"Ältere Diskussionen"}, []string{`href="/kita/t/1"`}},
		{"search", "/kita/search?q=kita", false, 200, "text/html", []string{"<mark>Kita"}, []string{"@example.net"}},
		{"search compound", "/kita/search?q=unterhalt", false, 200, "text/html", []string{"Unterhaltsvorschuss"}, nil},
		{"search author", "/kita/search?author=bea", false, 200, "text/html", []string{"/kita/m/2"}, []string{"/kita/m/3\""}},
		{"search bad date", "/kita/search?q=x&since=gestern", false, 400, "text/html", nil, nil},
		{"old search form", "/kita/?q=kita", false, 303, "", nil, nil},
		{"list feed", "/kita/atom.xml", false, 200, "application/atom+xml", []string{"<feed", "http://127.0.0.1:8080/kita/m/5"}, []string{"@example.net"}},
		{"thread feed", "/kita/t/1/atom.xml", false, 200, "application/atom+xml", []string{"<entry>"}, []string{"@example.net"}},
		{"thread mbox", "/kita/t/1.mbox", false, 200, "application/mbox", []string{"From kita@lists.example.org", "Message-ID: <c@x>", "Cem via kita"}, []string{"@example.net>"}},
		{"month mbox", "/kita/2026-11.mbox", false, 200, "application/mbox", []string{"Subject: [kita] HTML"}, nil},
		{"members-only asks for login", "/umgang/", false, 403, "text/html", []string{"nur für Mitglieder", `action="/login`, `name="csrf"`}, []string{"Umgang am Wochenende"}},
		{"members-only thread asks for login", "/umgang/t/6", false, 403, "text/html", []string{`action="/login`}, []string{"Umgang am Wochenende"}},
		{"members-only with login", "/umgang/", true, 200, "text/html", []string{"Umgang am Wochenende"}, nil},
		{"members-only api with login", "/api/v1/lists/umgang/messages", true, 200, "application/json", []string{"Umgang am Wochenende"}, nil},
		{"members-only api without", "/api/v1/lists/umgang/messages", false, 403, "application/json", nil, []string{"Umgang"}},
		{"private is not announced", "/intern/", false, 404, "text/html", nil, nil},
		{"private with login", "/intern/", true, 200, "text/html", nil, nil},
		{"thread of another list", "/umgang/t/1", true, 404, "text/html", nil, nil},
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", base+tt.path, nil)
			if tt.login {
				req.AddCookie(&http.Cookie{Name: sessionCookie, Value: session})
			}
			resp, err := noRedirect.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			body := string(b)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d\n%s", resp.StatusCode, tt.status, body)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, tt.ctype) {
				t.Errorf("Content-Type %q, want %q", ct, tt.ctype)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("body lacks %q:\n%s", w, body)
				}
			}
			for _, a := range tt.absent {
				if strings.Contains(body, a) {
					t.Errorf("body has %q:\n%s", a, body)
				}
			}
			if strings.HasSuffix(tt.path, "atom.xml") && tt.status == 200 {
				var f atomFeed
				if err := xml.Unmarshal(b, &f); err != nil || len(f.Entries) == 0 {
					t.Errorf("feed: %v, %d entries", err, len(f.Entries))
				}
			}
		})
	}
}

func TestNestDeepThread(t *testing.T) {
	// 200 levels: the order is depth first and indentation stops at maxDepthShown.
	var ms []*store.Message
	for i := int64(1); i <= 200; i++ {
		ms = append(ms, &store.Message{ID: i, ParentID: i - 1})
	}
	ms = append(ms, &store.Message{ID: 201, ParentID: 1}, &store.Message{ID: 202, ParentID: 999})
	ps := nest(ms)
	if len(ps) != len(ms) {
		t.Fatalf("%d posts, want %d", len(ps), len(ms))
	}
	var order []string
	for _, p := range ps[:3] {
		order = append(order, fmt.Sprint(p.ID))
	}
	if got := strings.Join(order, ","); got != "1,2,3" {
		t.Errorf("order starts %s", got)
	}
	if ps[199].Depth != maxDepthShown || ps[199].Level != 200 {
		t.Errorf("deepest: depth %d level %d", ps[199].Depth, ps[199].Level)
	}
	if ps[200].ID != 201 || ps[200].Depth != 1 || ps[201].ID != 202 || ps[201].Depth != 0 {
		t.Errorf("tail: %+v %+v", ps[200], ps[201])
	}
}
