package e2e

import (
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
)

// TestMetricsAccess: /metrics answers this machine, and through a proxy (a request
// with X-Forwarded-For comes from loopback but not from this machine) only with the
// bearer token of [http] metrics_token. Private lists are never named on it, and no
// public page names them either.
func TestMetricsAccess(t *testing.T) {
	t.Parallel()
	const tok = "e2e-metrics-Zq8r3xVfK2mWp9Lh"
	d := newDaemon(t, options{})
	conf, err := os.ReadFile(d.config)
	if err != nil {
		t.Fatal(err)
	}
	conf = []byte(strings.Replace(string(conf), "[http]\n", "[http]\nmetrics_token = \""+tok+"\"\n", 1))
	if err := os.WriteFile(d.config, conf, 0o600); err != nil {
		t.Fatal(err)
	}
	d.mustCLI("list", "create", "kita", "-archive", "public")
	d.mustCLI("list", "create", "vorstand", "-archive", "private", "-title", "Vorstand intern")
	d.mustCLI("member", "add", "kita", "anna@example.net")
	for _, m := range []string{"anna@example.net", "ben@example.net", "cem@example.net"} {
		d.mustCLI("member", "add", "vorstand", m)
	}
	d.start()

	hget := func(path string, header ...string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", d.httpBase+path, nil)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	tests := []struct {
		name    string
		header  []string
		status  int
		metrics bool
	}{
		{"this machine", nil, 200, true},
		{"through a proxy", []string{"X-Forwarded-For", "192.0.2.1"}, 401, false},
		{"through a proxy, Forwarded", []string{"Forwarded", "for=192.0.2.1;proto=https"}, 401, false},
		{"through a proxy, wrong token", []string{"X-Forwarded-For", "192.0.2.1", "Authorization", "Bearer " + tok + "x"}, 401, false},
		{"through a proxy, the token", []string{"X-Forwarded-For", "192.0.2.1", "Authorization", "Bearer " + tok}, 200, true},
	}
	for _, tt := range tests {
		status, body := hget("/metrics", tt.header...)
		if status != tt.status {
			t.Errorf("%s: status %d, want %d\n%s", tt.name, status, tt.status, body)
		}
		if got := strings.Contains(body, "listd_readers"); got != tt.metrics {
			t.Errorf("%s: metrics served = %v, want %v", tt.name, got, tt.metrics)
		}
		if strings.Contains(body, "vorstand") || strings.Contains(body, "Vorstand") {
			t.Errorf("%s: /metrics names the private list", tt.name)
		}
		if tt.metrics && (!strings.Contains(body, `listd_readers{list="kita",mode="each"} 1`) ||
			!strings.Contains(body, `listd_readers{list="(private)",mode="each"} 3`)) {
			t.Errorf("%s: figures missing:\n%s", tt.name, grepLines(body, "listd_readers"))
		}
	}
	for _, path := range []string{"/", "/?lang=en", "/api/v1/lists", "/robots.txt", "/search?q=x", "/vorstand/", "/vorstand/atom.xml",
		"/vorstand/subscribe", "/api/v1/lists/vorstand/messages"} {
		status, body := hget(path)
		if strings.Contains(body, "Vorstand") || (status == 200 && strings.Contains(body, "vorstand")) {
			t.Errorf("%s: %d names the private list", path, status)
		}
	}
}

func grepLines(s, substr string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
