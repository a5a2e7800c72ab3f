package web

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"listd/internal/store"
)

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
var idemRE = regexp.MustCompile(`name="idem" value="([^"]+)"`)

// browser is a browser with a cookie jar, logged in as address when it is not "".
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newBrowser(t *testing.T, base string, db *store.DB, address string) *browser {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	b := &browser{t: t, base: base, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
	if address != "" {
		id := randomHex(32)
		if err := db.CreateSession(context.Background(), hashHex(id), address, time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(base)
		jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: id, Path: "/"}})
	}
	return b
}

func (b *browser) do(req *http.Request) (*http.Response, string) {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func (b *browser) get(path string) (*http.Response, string) {
	req, _ := http.NewRequest("GET", b.base+path, nil)
	return b.do(req)
}

// form returns the CSRF and idempotency tokens of the page at path.
func (b *browser) form(path string) (csrf, idem string) {
	b.t.Helper()
	_, body := b.get(path)
	m := csrfRE.FindStringSubmatch(body)
	if m == nil {
		b.t.Fatalf("no form on %s:\n%s", path, body)
	}
	csrf = m[1]
	if m := idemRE.FindStringSubmatch(body); m != nil {
		idem = m[1]
	}
	return csrf, idem
}

type file struct {
	name, typ string
	data      []byte
}

func (b *browser) postMultipart(path string, fields map[string]string, files ...file) (*http.Response, string) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	for _, f := range files {
		h := make(map[string][]string)
		h["Content-Disposition"] = []string{`form-data; name="attachment"; filename="` + f.name + `"`}
		h["Content-Type"] = []string{f.typ}
		w, _ := mw.CreatePart(h)
		w.Write(f.data)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", b.base+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return b.do(req)
}

func (b *browser) postForm(path string, v url.Values) (*http.Response, string) {
	req, _ := http.NewRequest("POST", b.base+path, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

func threadOf(t *testing.T, db *store.DB) (int64, int) {
	t.Helper()
	l, _ := db.ListByName(context.Background(), "kita")
	ts, err := db.Threads(context.Background(), l.ID, 10, store.ThreadCursor{})
	if err != nil || len(ts) == 0 {
		t.Fatal(err)
	}
	ms, _ := db.Thread(context.Background(), l.ID, ts[0].ID)
	return ts[0].ID, len(ms)
}

// TestSameFormTwiceOnePost sends a reply form twice, as a double tap or a resent
// form does: one post.
func TestSameFormTwiceOnePost(t *testing.T) {
	base, db, _ := newTestEnv(t)
	tid, n := threadOf(t, db)
	b := newBrowser(t, base, db, "anna@example.net")
	page := "/kita/t/" + itoa(tid)
	csrf, idem := b.form(page)
	if idem == "" {
		t.Fatal("no idempotency token in the reply form")
	}
	fields := map[string]string{"csrf": csrf, "idem": idem, "text": "Danke!\n\nSiehe https://example.org", "do": "send"}
	for i := 0; i < 2; i++ {
		resp, body := b.postMultipart(page+"/reply", fields)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("send %d: %d\n%s", i+1, resp.StatusCode, body)
		}
	}
	if _, m := threadOf(t, db); m != n+1 {
		t.Fatalf("thread has %d posts after sending the form twice, want %d", m, n+1)
	}
	_, body := b.get(page)
	if strings.Count(body, "Danke!") != 1 || !strings.Contains(body, `href="https://example.org"`) {
		t.Errorf("the reply is not shown once with its link:\n%s", body)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestWriteFormKeepsText(t *testing.T) {
	base, db, _ := newTestEnv(t)
	tid, n := threadOf(t, db)
	page := "/kita/t/" + itoa(tid)
	member := newBrowser(t, base, db, "anna@example.net")
	csrf, idem := member.form(page)

	t.Run("empty text is named next to the field", func(t *testing.T) {
		resp, body := member.postMultipart(page+"/reply", map[string]string{"csrf": csrf, "idem": idem, "text": "  \n"})
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `aria-invalid="true" aria-describedby="text-error"`) ||
			!strings.Contains(body, `id="text-error"`) {
			t.Fatalf("%d\n%s", resp.StatusCode, body)
		}
	})
	t.Run("a file that is not what its type says", func(t *testing.T) {
		resp, body := member.postMultipart(page+"/reply", map[string]string{"csrf": csrf, "idem": idem, "text": "Mein Text <script>"},
			file{"x.jpg", "image/jpeg", []byte("<html>not a photo</html>")})
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `aria-describedby="attachment-error"`) ||
			!strings.Contains(body, "Mein Text &lt;script&gt;") {
			t.Fatalf("%d\n%s", resp.StatusCode, body)
		}
	})
	t.Run("a photo over the limit", func(t *testing.T) {
		big := append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, make([]byte, 9<<20)...)
		resp, body := member.postMultipart(page+"/reply", map[string]string{"csrf": csrf, "idem": idem, "text": "Text bleibt"},
			file{"big.jpg", "image/jpeg", big})
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `id="attachment-error"`) || !strings.Contains(body, "Text bleibt") {
			t.Fatalf("%d\n%s", resp.StatusCode, body)
		}
	})
	t.Run("preview shows the name and the text as text", func(t *testing.T) {
		resp, body := member.postMultipart(page+"/reply", map[string]string{"csrf": csrf, "idem": idem, "do": "preview",
			"text": "<b>fett</b> https://example.org/x"})
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "&lt;b&gt;fett&lt;/b&gt;") ||
			!strings.Contains(body, `href="https://example.org/x"`) || !strings.Contains(body, `value="`+idem+`"`) {
			t.Fatalf("%d\n%s", resp.StatusCode, body)
		}
	})
	t.Run("an expired session", func(t *testing.T) {
		visitor := newBrowser(t, base, db, "")
		csrf, _ := visitor.form("/kita/ask")
		resp, body := visitor.postMultipart(page+"/reply", map[string]string{"csrf": csrf, "idem": idem, "text": "Nicht verloren"})
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "Nicht verloren") {
			t.Fatalf("%d\n%s", resp.StatusCode, body)
		}
	})
	if _, m := threadOf(t, db); m != n {
		t.Fatalf("a failed form posted: %d posts, want %d", m, n)
	}
}

func TestNewThreadAndFollow(t *testing.T) {
	base, db, _ := newTestEnv(t)
	b := newBrowser(t, base, db, "anna@example.net")
	csrf, idem := b.form("/kita/new")
	resp, body := b.postForm("/kita/new", url.Values{"csrf": {csrf}, "idem": {idem}, "subject": {"Neues Thema"}, "text": {"Hallo"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("%d\n%s", resp.StatusCode, body)
	}
	loc := resp.Header.Get("Location")
	path := loc[:strings.IndexAny(loc, "?#")]
	_, body = b.get(path)
	// The author follows their thread; they may stop, and mute it.
	if !strings.Contains(body, "Neues Thema") || !strings.Contains(body, `value="reset"`) {
		t.Fatalf("thread page:\n%s", body)
	}
	for _, step := range []struct{ do, then string }{{"reset", `value="mute"`}, {"mute", `value="reset"`}} {
		csrf, _ = b.form(path)
		resp, _ = b.postForm(path+"/follow", url.Values{"csrf": {csrf}, "do": {step.do}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("%s: %d", step.do, resp.StatusCode)
		}
		if _, body = b.get(path); !strings.Contains(body, step.then) {
			t.Fatalf("after %s:\n%s", step.do, body)
		}
	}
}

// TestAskSameAnswer: the question form answers a member's address and a stranger's
// alike.
func TestAskSameAnswer(t *testing.T) {
	base, db, _ := newTestEnv(t)
	answer := func(email string) (int, string) {
		b := newBrowser(t, base, db, "")
		csrf, _ := b.form("/kita/ask")
		resp, body := b.postForm("/kita/ask", url.Values{"csrf": {csrf}, "email": {email}, "mode": {"thread"},
			"subject": {"Frage"}, "text": {"Wie geht das?"}})
		return resp.StatusCode, csrfRE.ReplaceAllString(body, "")
	}
	s1, b1 := answer("anna@example.net")
	s2, b2 := answer("nobody@example.net")
	if s1 != http.StatusOK || s1 != s2 || b1 != b2 {
		t.Fatalf("answers differ: %d %d\n%s\n----\n%s", s1, s2, b1, b2)
	}
	b := newBrowser(t, base, db, "")
	csrf, _ := b.form("/kita/ask")
	resp, body := b.postForm("/kita/ask", url.Values{"csrf": {csrf}, "email": {"x@example.net"}, "postal": {"123"},
		"mode": {"thread"}, "subject": {"Frage"}, "text": {"bleibt stehen"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `aria-describedby="postal-error"`) || !strings.Contains(body, "bleibt stehen") {
		t.Fatalf("%d\n%s", resp.StatusCode, body)
	}
}

// TestOneClickUnfollow posts the RFC 8058 body to a follower's link, without cookie
// or form token.
func TestOneClickUnfollow(t *testing.T) {
	base, db, signer := newTestEnv(t)
	ctx := context.Background()
	tid, _ := threadOf(t, db)
	l, _ := db.ListByName(ctx, "kita")
	m, _ := db.Member(ctx, l.ID, "anna@example.net")
	if err := db.SetFollow(ctx, m.ID, tid, store.Following); err != nil {
		t.Fatal(err)
	}
	tok := signer.Sign("unfollow", []string{"kita", strconv.FormatInt(m.ID, 10), strconv.FormatInt(tid, 10)}, time.Hour)
	b := newBrowser(t, base, db, "")
	if resp, _ := b.get("/kita/unfollow/" + tok); resp.StatusCode != http.StatusOK {
		t.Fatalf("GET: %d", resp.StatusCode)
	}
	if st, _ := db.FollowState(ctx, m.ID, tid); st != store.Following {
		t.Fatal("a GET unfollowed")
	}
	if resp, _ := b.postMultipart("/kita/unfollow/"+tok+"x", map[string]string{"List-Unsubscribe": "One-Click"}); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("forged token: %d", resp.StatusCode)
	}
	if resp, body := b.postMultipart("/kita/unfollow/"+tok, map[string]string{"List-Unsubscribe": "One-Click"}); resp.StatusCode != http.StatusOK {
		t.Fatalf("one-click: %d\n%s", resp.StatusCode, body)
	}
	// Anna gets each post: stopping the thread's mail mutes it for her.
	if st, _ := db.FollowState(ctx, m.ID, tid); st != store.Muted {
		t.Fatalf("after unfollowing: %q", st)
	}
}

// TestWriteLimitPerMailbox: the mailbox limit folds case and +tag, and the form
// comes back with the text.
func TestWriteLimitPerMailbox(t *testing.T) {
	base, db, _ := newTestEnv(t)
	tid, _ := threadOf(t, db)
	page := "/kita/t/" + itoa(tid)
	b := newBrowser(t, base, db, "anna@example.net")
	var resp *http.Response
	var body string
	for i := 0; i <= writesPerMailbox; i++ {
		csrf, idem := b.form(page)
		resp, body = b.postMultipart(page+"/reply", map[string]string{"csrf": csrf, "idem": idem, "text": "Nummer " + strconv.Itoa(i)})
	}
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "Nummer "+strconv.Itoa(writesPerMailbox)) {
		t.Fatalf("%d\n%s", resp.StatusCode, body)
	}
}

// countingReader counts the bytes read from it. The count is atomic: the HTTP
// client's writer goroutine may still read the body after the response came.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// A reply form from someone who may not post is not read beyond its text: a
// stranger cannot make the server hold megabytes of files per request.
func TestWriteFormStrangerFilesNotRead(t *testing.T) {
	base, db, _ := newTestEnv(t)
	tid, _ := threadOf(t, db)
	visitor := newBrowser(t, base, db, "")
	csrf, _ := visitor.form("/kita/ask")
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("csrf", csrf)
	mw.WriteField("text", "Nicht verloren")
	for i := range 3 {
		w, _ := mw.CreatePart(map[string][]string{"Content-Disposition": {`form-data; name="attachment"; filename="f` + strconv.Itoa(i) + `.jpg"`},
			"Content-Type": {"image/jpeg"}})
		w.Write(append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, make([]byte, 8<<20-10)...))
	}
	mw.Close()
	total := int64(buf.Len())
	body := &countingReader{r: &buf}
	req, _ := http.NewRequest("POST", base+"/kita/t/"+itoa(tid)+"/reply", body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.ContentLength = total
	resp, err := visitor.c.Do(req)
	if err == nil {
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(page), "Nicht verloren") {
			t.Errorf("stranger's reply: %d\n%s", resp.StatusCode, page)
		}
	}
	if n := body.n.Load(); n > total/2 {
		t.Errorf("the server read %d of %d bytes of a stranger's form", n, total)
	}
}
