package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/jhillyerd/enmime/v2"
)

// chromium starts a headless Chromium (Debian's package) and returns a browser
// context. It records every request the pages make and every script dialog.
type chromium struct {
	ctx      context.Context
	mu       sync.Mutex
	requests []string
	dialogs  []string
}

func newChromium(t *testing.T) *chromium {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("chromium is not installed (.ci/run installs it)")
		}
		t.Skip("chromium is not installed")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true), chromedp.Flag("lang", "de-DE"), chromedp.Flag("accept-lang", "de-DE,de"),
		chromedp.UserDataDir(t.TempDir()))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	c := &chromium{}
	var cancelC context.CancelFunc
	c.ctx, cancelC = chromedp.NewContext(actx, chromedp.WithListener(func(ev any) {
		c.mu.Lock()
		defer c.mu.Unlock()
		switch e := ev.(type) {
		case *network.EventRequestWillBeSent:
			c.requests = append(c.requests, e.Request.URL)
		case *page.EventJavascriptDialogOpening:
			c.dialogs = append(c.dialogs, e.Message)
			// A listener must not send commands itself; an open dialog would block the page.
			go chromedp.Call(c.ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}
	}))
	t.Cleanup(func() { cancelC(); cancelA() })
	// The first run starts the browser; it must not carry a timeout.
	if err := chromedp.Do(c.ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	if _, err := chromedp.Call(c.ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatalf("chromium network events: %v", err)
	}
	return c
}

const browserStep = 30 * time.Second

func (c *chromium) run(t *testing.T, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(c.ctx, browserStep)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func browserValue[T any](t *testing.T, c *chromium, what string, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(c.ctx, browserStep)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// textWith waits until the page's main element shows want (a click's navigation may
// still be under way when the old page's elements are found) and returns its text;
// after browserStep it returns what the page shows then.
func (c *chromium) textWith(t *testing.T, want string) string {
	t.Helper()
	deadline := time.Now().Add(browserStep)
	for {
		ctx, cancel := context.WithTimeout(c.ctx, browserStep)
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
		cancel()
		if err == nil && strings.Contains(s, want) || time.Now().After(deadline) {
			if err != nil {
				t.Fatalf("read page: %v", err)
			}
			return s
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// text returns the visible text of the page's main element.
func (c *chromium) text(t *testing.T) string {
	t.Helper()
	return browserValue(t, c, "read page", chromedp.Text(chromedp.CSS("main")))
}

func (c *chromium) attr(t *testing.T, sel chromedp.CSS, name string) string {
	t.Helper()
	return browserValue(t, c, "attribute "+name+" of "+string(sel), chromedp.AttributeValue(sel, name)).Value
}

func (c *chromium) count(t *testing.T, css string) int {
	t.Helper()
	return browserValue(t, c, "count "+css, chromedp.Evaluate[int](`document.querySelectorAll(`+strconv.Quote(css)+`).length`))
}

// shoot saves the page at a phone's and a desktop's width under screenshots/.
func (c *chromium) shoot(t *testing.T, name string) {
	t.Helper()
	dir := filepath.Join("..", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, v := range []struct {
		label         string
		width, height int64
		mobile        bool
	}{{"phone", 390, 844, true}, {"desktop", 1280, 900, false}} {
		opts := []chromedp.EmulateViewportOption{chromedp.EmulateScale(1)}
		if v.mobile {
			opts = append(opts, chromedp.EmulateMobile)
		}
		c.run(t, "viewport", chromedp.EmulateViewport(v.width, v.height, opts...))
		png := browserValue(t, c, "screenshot "+name, chromedp.FullScreenshot(100))
		if err := os.WriteFile(filepath.Join(dir, name+"-"+v.label+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestBrowserArchive drives headless Chromium through the archive as a reader would:
// list index, thread, message, search, and a members-only list that asks for a login
// and opens after it. A hostile HTML post must neither run script nor load anything
// from outside. Screenshots at phone and desktop width land in screenshots/.
func TestBrowserArchive(t *testing.T) {
	t.Parallel()
	br := newChromium(t)
	sk := newSink(t)
	d := newDaemon(t, options{relay: sk.addr})
	d.mustCLI("list", "create", "kita", "-title", "Kita und Betreuung", "-description", "Kitaplätze, Eingewöhnung, Betreuungszeiten")
	d.mustCLI("list", "create", "umgang", "-title", "Umgang", "-archive", "members")
	for _, who := range []string{"anna", "bea", "cem"} {
		d.mustCLI("member", "add", "kita", who+"@example.net", "-name", strings.ToUpper(who[:1])+who[1:])
	}
	d.mustCLI("member", "add", "umgang", "anna@example.net", "-name", "Anna")
	d.start()
	list := "kita@" + domain
	root := "<root.browser@client.example>"
	mustSend := func(from, to, raw string) {
		t.Helper()
		if err := send(d.addrs["smtp"], from, []string{to}, raw); err != nil {
			t.Fatal(err)
		}
	}
	mustSend("anna@example.net", list, "From: anna@example.net\r\nTo: "+list+"\r\nSubject: Kitaplatz in Köln gesucht\r\nMessage-ID: "+root+
		"\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHallo zusammen,\r\nwir suchen ab Februar einen Kitaplatz in Köln-Ehrenfeld.\r\nHat jemand Erfahrungen mit dem Kita-Navigator?\r\n\r\nViele Grüße\r\nAnna\r\n")
	mustSend("bea@example.net", list, "From: bea@example.net\r\nTo: "+list+"\r\nSubject: Re: Kitaplatz in Köln gesucht\r\nMessage-ID: <b.browser@client.example>\r\nIn-Reply-To: "+root+
		"\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n> wir suchen ab Februar einen Kitaplatz\r\n\r\nMeldet euch früh an, und fragt beim Jugendamt nach dem Rechtsanspruch.\r\n")
	mustSend("cem@example.net", list, "From: cem@example.net\r\nTo: "+list+"\r\nSubject: Re: Kitaplatz in Köln gesucht\r\nMessage-ID: <c.browser@client.example>\r\nIn-Reply-To: <b.browser@client.example>\r\nReferences: "+root+" <b.browser@client.example>"+
		"\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nDer Rechtsanspruch gilt ab dem ersten Geburtstag.\r\n")
	mustSend("cem@example.net", list, "From: cem@example.net\r\nTo: "+list+"\r\nSubject: Bastelideen\r\nMessage-ID: <hostile.browser@client.example>\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"+
		`<p onmouseover="alert('hover')">Bunte <b>Ideen</b></p><script>alert('script')</script>`+
		`<img src="https://tracker.example.com/pixel.gif" width="1" height="1"><img src=x onerror="alert('onerror')">`+
		`<svg><script>alert('svg')</script></svg><a href="javascript:alert('link')">Link</a>`+
		`<iframe src="https://evil.example.com/"></iframe><meta http-equiv="refresh" content="0;url=https://evil.example.com/">`+
		`<style>@import url(https://evil.example.com/x.css); body{background:url(https://evil.example.com/bg.png)}</style>`+
		`<div style="background:url(https://evil.example.com/div.png)">Stil</div><form action="https://evil.example.com/"><input name=p></form>`+"\r\n")
	mustSend("anna@example.net", "umgang@"+domain, plain("anna@example.net", "umgang@"+domain, "Umgang am Wochenende", "Wie regelt ihr die Übergabe?\r\n"))

	base := d.httpBase
	// The list index.
	br.run(t, "index", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS("main")))
	if s := br.text(t); !strings.Contains(s, "Kita und Betreuung") || strings.Contains(s, "@example.net") {
		t.Fatalf("index:\n%s", s)
	}
	br.shoot(t, "1-index")
	// Into the list: its threads.
	br.run(t, "open list", chromedp.Click(chromedp.CSS(`a[href="/kita/"]`)), chromedp.WaitVisible(chromedp.CSS("ol.threads")))
	if s := br.text(t); !strings.Contains(s, "Kitaplatz in Köln gesucht") || !strings.Contains(s, "3 Beiträge") {
		t.Fatalf("thread list:\n%s", s)
	}
	br.shoot(t, "2-list")
	// The thread, replies nested.
	br.run(t, "open thread", chromedp.Click(chromedp.CSS(`ol.threads a[href="/kita/t/1"]`)), chromedp.WaitVisible(chromedp.CSS("div.thread")))
	if depth2 := br.count(t, "article.post.depth-2"); depth2 != 1 {
		t.Errorf("%d posts at depth 2, want 1", depth2)
	}
	if s := br.text(t); !strings.Contains(s, "Rechtsanspruch gilt") || strings.Contains(s, "@example.net") {
		t.Fatalf("thread:\n%s", s)
	}
	br.shoot(t, "3-thread")
	// One message's permalink, with its reply link.
	br.run(t, "open message", chromedp.Click(chromedp.CSS(`article.post.depth-1 p.actions a`)), chromedp.WaitVisible(chromedp.CSS("article.message")))
	reply := br.attr(t, `article.message a[href^="mailto:"]`, "href")
	if !strings.Contains(reply, "In-Reply-To=") || !strings.HasPrefix(reply, "mailto:kita@"+domain) {
		t.Errorf("reply link %q", reply)
	}
	br.shoot(t, "4-message")
	// Search, by the form: an umlaut-free spelling and a compound.
	br.run(t, "search", chromedp.Navigate(base+"/kita/"), chromedp.WaitVisible(chromedp.ID("q")),
		chromedp.SendKeys(chromedp.ID("q"), "koeln kita"), chromedp.Submit(chromedp.ID("q")), chromedp.WaitVisible(chromedp.CSS("ol.hits")))
	marks := br.count(t, "ol.hits mark")
	if s := br.text(t); !strings.Contains(s, "Kitaplatz in Köln gesucht") || marks == 0 {
		t.Fatalf("search (%d marks):\n%s", marks, s)
	}
	br.shoot(t, "5-search")
	// The hostile post, in its original formatting: nothing runs, nothing loads.
	br.run(t, "find hostile post", chromedp.Navigate(base+"/kita/"), chromedp.WaitVisible(chromedp.CSS("ol.threads")))
	hostileURL := browserValue(t, br, "hostile link", chromedp.AttributeValue(chromedp.Search(`//a[contains(., "Bastelideen")]`), "href")).Value
	br.run(t, "open hostile thread", chromedp.Navigate(base+hostileURL), chromedp.WaitVisible(chromedp.CSS("article.post")))
	msgURL := br.attr(t, `article.post p.actions a`, "href")
	br.run(t, "open hostile html", chromedp.Navigate(base+msgURL+"?html=1"), chromedp.WaitVisible(chromedp.CSS("article.message")),
		chromedp.MouseClickXY(10, 10), chromedp.Sleep(500*time.Millisecond))
	if s := br.text(t); !strings.Contains(s, "Ideen") {
		t.Errorf("hostile post lost its text:\n%s", s)
	}
	br.shoot(t, "6-hostile")
	// A members-only list asks for a login; after it, the archive opens.
	br.run(t, "members-only", chromedp.Navigate(base+"/umgang/"), chromedp.WaitVisible(chromedp.ID("address")))
	if s := br.text(t); !strings.Contains(s, "nur für Mitglieder") || strings.Contains(s, "Umgang am Wochenende") {
		t.Fatalf("members-only page:\n%s", s)
	}
	br.shoot(t, "7-login")
	br.run(t, "ask for a login link", chromedp.SendKeys(chromedp.ID("address"), "anna@example.net"), chromedp.Submit(chromedp.ID("address")),
		chromedp.WaitVisible(chromedp.CSS("main")))
	login := d.link(t, loginMail(t, sk, "anna@example.net"), "/login/")
	br.run(t, "log in", chromedp.Navigate(login), chromedp.WaitVisible(chromedp.CSS("main form button")),
		chromedp.Click(chromedp.CSS("main form button")), chromedp.WaitVisible(chromedp.CSS("main")), chromedp.Sleep(300*time.Millisecond))
	br.run(t, "members-only after login", chromedp.Navigate(base+"/umgang/"), chromedp.WaitVisible(chromedp.CSS("ol.threads")))
	if s := br.text(t); !strings.Contains(s, "Umgang am Wochenende") {
		t.Fatalf("after login:\n%s", s)
	}
	br.shoot(t, "8-members")
	// The English switch.
	br.run(t, "english", chromedp.Navigate(base+"/kita/?lang=en"), chromedp.WaitVisible(chromedp.CSS("main")))
	if s := br.text(t); !strings.Contains(s, "Discussions") {
		t.Errorf("english page:\n%s", s)
	}

	br.mu.Lock()
	defer br.mu.Unlock()
	if len(br.dialogs) > 0 {
		t.Errorf("script ran: dialogs %q", br.dialogs)
	}
	for _, r := range br.requests {
		u, err := url.Parse(r)
		// data: URLs reach no server (Chromium itself draws the date input's icon
		// with one); everything else must stay on this machine.
		if err != nil || (u.Scheme != "data" && u.Hostname() != "127.0.0.1") {
			t.Errorf("a page loaded %s", r)
		}
	}
	fmt.Printf("browser: %d requests, all to 127.0.0.1; screenshots in screenshots/\n", len(br.requests))
}

// loginMail waits for the login mail to rcpt among the other mail it gets.
func loginMail(t *testing.T, sk *sink, rcpt string) *enmime.Envelope {
	t.Helper()
	end := time.Now().Add(20 * time.Second)
	for time.Now().Before(end) {
		for _, m := range sk.snapshot() {
			if m.To == rcpt && bytes.Contains(m.Data, []byte("/login/")) {
				env, err := enmime.ReadEnvelope(bytes.NewReader(m.Data))
				if err != nil {
					t.Fatal(err)
				}
				return env
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no login mail to %s", rcpt)
	return nil
}
