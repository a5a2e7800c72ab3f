package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// axeSource is axe-core's script: $AXE_CORE, the version e2e/package-lock.json
// names (`npm ci --prefix e2e`, which .ci/run runs), or a global npm install.
func axeSource(t *testing.T) string {
	t.Helper()
	var paths []string
	if p := os.Getenv("AXE_CORE"); p != "" {
		paths = append(paths, p)
	}
	paths = append(paths, filepath.Join("node_modules", "axe-core", "axe.min.js"))
	if out, err := exec.Command("npm", "root", "-g").Output(); err == nil {
		paths = append(paths, filepath.Join(strings.TrimSpace(string(out)), "axe-core", "axe.min.js"))
	}
	for _, p := range paths {
		if b, err := os.ReadFile(p); err == nil {
			return string(b)
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("axe-core is not installed: run npm ci --prefix e2e")
	}
	t.Skip("axe-core is not installed (npm ci --prefix e2e)")
	return ""
}

// axeViolation is what the test reports of one axe-core finding.
type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

const axeRun = `axe.run(document, {resultTypes: ["violations"]}).then(r => JSON.stringify({passes: r.passes.length, violations: r.violations.map(v => ({
	id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + ": " + n.failureSummary)}))}))`

// TestBrowserAxe opens every kind of page of the demo (demoPages: archive, forms
// with their errors, notices, error pages, settings, moderation, outbox) in headless
// Chromium at a phone's width (390 px) and runs axe-core on each: no violation of
// any rule, whatever its impact.
func TestBrowserAxe(t *testing.T) {
	t.Parallel()
	axe := axeSource(t)
	br := newChromium(t)
	d := demoDaemon(t)
	sessions := map[string]*http.Client{"member": outboxLogin(t, d, "tom@example.com"), "mod": outboxLogin(t, d, "moderation@example.org")}
	thread := kitaThread(t, d)
	br.run(t, "phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateScale(1)))
	base, _ := url.Parse(d.httpBase)
	who := "-"
	checked := 0
	for _, p := range demoPages(thread) {
		if p.who != who {
			// The browser takes the session of this page's visitor.
			who = p.who
			if _, err := chromedp.Call(br.ctx, network.ClearBrowserCookies, cdp.Empty{}); err != nil {
				t.Fatal(err)
			}
			if c := sessions[who]; c != nil {
				for _, ck := range c.Jar.Cookies(base) {
					if _, err := chromedp.Call(br.ctx, network.SetCookie, network.SetCookieParams{Name: ck.Name, Value: ck.Value, Domain: base.Hostname(), Path: "/"}); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
		if p.method == "GET" {
			br.run(t, p.name, chromedp.Navigate(d.httpBase+p.path), chromedp.WaitReady(chromedp.CSS("main")))
		} else {
			// A form post as the browser sends it: from a page with this browser's
			// form token.
			br.run(t, p.name+": form page", chromedp.Navigate(d.httpBase+"/login"), chromedp.WaitReady(chromedp.CSS("main")))
			fields, _ := json.Marshal(p.form)
			submit := `(() => { const f = document.createElement("form"); f.method = "post"; f.action = ` + jsString(p.path) + `;
				const add = (k, v) => { const i = document.createElement("input"); i.type = "hidden"; i.name = k; i.value = v; f.appendChild(i); };
				const fields = ` + string(fields) + `; for (const k in fields) for (const v of fields[k]) add(k, v);
				if (!fields.csrf) add("csrf", document.querySelector("input[name=csrf]").value);
				document.body.appendChild(f); f.submit(); return true; })()`
			br.run(t, p.name+": post", void(chromedp.Evaluate[bool](submit)), chromedp.Sleep(300*time.Millisecond), chromedp.WaitReady(chromedp.CSS("main")))
		}
		br.run(t, "load axe-core", void(chromedp.Evaluate[bool](axe+"\n;true")))
		out := browserValue(t, br, "axe "+p.name, chromedp.Evaluate[string](axeRun, chromedp.EvalAwaitPromise))
		var res struct {
			Passes     int
			Violations []axeViolation
		}
		if err := json.Unmarshal([]byte(out), &res); err != nil || res.Passes == 0 {
			t.Fatalf("axe result %q: %v", out, err)
		}
		checked++
		for _, v := range res.Violations {
			t.Errorf("%s (%s): axe %s (%s): %s\n  %s", p.name, p.path, v.ID, v.Impact, v.Help, strings.Join(v.Nodes, "\n  "))
		}
	}
	t.Logf("axe-core checked %d pages at 390 px", checked)
}

// void runs a for its effect only.
func void[T any](a chromedp.Action[T]) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tgt *chromedp.Target) error {
		_, err := a(ctx, tgt)
		return err
	})
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
