package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// scanData reports which of the needles any file of the data dir contains, in any case.
func scanData(t *testing.T, dir string, needles ...string) []string {
	t.Helper()
	var found []string
	filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return nil
		}
		b, _ := os.ReadFile(path)
		low := bytes.ToLower(b)
		for _, n := range needles {
			if bytes.Contains(low, bytes.ToLower([]byte(n))) {
				found = append(found, filepath.Base(path)+": "+n)
			}
		}
		return nil
	})
	return found
}

func TestExportAndErase(t *testing.T) {
	for _, policy := range []string{"delete", "anonymize"} {
		t.Run(policy, func(t *testing.T) {
			sk := newSink(t)
			d := newDaemon(t, options{relay: sk.addr, extra: "[privacy]\nerase_posts = \"" + policy + "\"\n"})
			d.mustCLI("list", "create", "kita")
			d.mustCLI("list", "create", "job")
			d.mustCLI("member", "add", "kita", "anna@example.net", "-name", "Sonnenblume", "-postal", "50667")
			d.mustCLI("member", "add", "job", "anna@example.net")
			d.mustCLI("member", "add", "kita", "ben@example.net")
			d.start()
			list := "kita@" + domain
			send(d.addrs["smtp"], "anna@example.net", []string{list}, plain("Sonnenblume <anna@example.net>", list, "Ehrenfelder Kitas", "Schreibt mir: anna@example.net\r\n"))
			send(d.addrs["smtp"], "ben@example.net", []string{list}, plain("Ben <ben@example.net>", list, "Re: Ehrenfelder Kitas", "Ja, gern.\r\n"))
			sk.waitFor(t, 4, 20*time.Second)

			var doc struct {
				Memberships []map[string]any `json:"memberships"`
				Posts       []map[string]any `json:"posts"`
				Mbox        string           `json:"posts_mbox"`
			}
			out := d.mustCLI("user", "export", "anna@example.net")
			if err := json.Unmarshal([]byte(out), &doc); err != nil {
				t.Fatalf("export is not JSON: %v\n%s", err, out)
			}
			if len(doc.Memberships) != 2 || len(doc.Posts) != 1 || !strings.HasPrefix(doc.Mbox, "From anna@example.net ") ||
				!strings.Contains(doc.Mbox, "Ehrenfelder Kitas") || !strings.Contains(out, "50667") {
				t.Errorf("export:\n%s", out)
			}

			d.stop(20 * time.Second)
			if out := d.mustCLI("user", "erase", "anna@example.net"); !strings.Contains(out, "2 memberships") {
				t.Errorf("erase: %s", out)
			}
			if found := scanData(t, filepath.Join(d.dir, "data"), "anna@example.net", "Sonnenblume", "50667"); len(found) > 0 {
				t.Errorf("traces left after erase: %v", found)
			}
			d.start()
			var res struct {
				Hits []map[string]any `json:"hits"`
			}
			getJSON(t, d.httpBase+"/api/v1/lists/kita/search?q=Ehrenfelder", &res)
			want := map[string]int{"delete": 1, "anonymize": 2}[policy] // Ben's reply stays
			if len(res.Hits) != want {
				t.Errorf("search after erase under %s: %d hits, want %d", policy, len(res.Hits), want)
			}
			if out := d.mustCLI("member", "ls", "kita"); strings.Contains(out, "anna") {
				t.Errorf("still a member: %s", out)
			}
		})
	}
}
