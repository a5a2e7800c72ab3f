package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
)

// TestUndeclaredUTF8 posts UTF-8 text that declares no charset, as many mail programs
// and scripts send it, over SMTP: the JSON API, the web search and IMAP SEARCH find
// the word and show it as the page does, not as "ZuckertÃ¼te".
func TestUndeclaredUTF8(t *testing.T) {
	t.Parallel()
	sk := newSink(t)
	d := newDaemon(t, options{relay: sk.addr, imap: true})
	d.mustCLI("list", "create", "kita", "-title", "Kita und Schule", "-archive", "public")
	d.mustCLI("member", "add", "kita", "anna@example.net")
	pw := strings.TrimSpace(d.mustCLI("user", "password", "anna@example.net"))
	d.start()
	for i, extra := range []string{"", "MIME-Version: 1.0\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: 8bit\r\n"} {
		raw := fmt.Sprintf("From: Anna <anna@example.net>\r\nTo: kita@%s\r\nSubject: Einschulung %d\r\n"+
			"Date: Wed, 25 Nov 2026 10:00:00 +0100\r\nMessage-ID: <zt%d@example.net>\r\n%s\r\n"+
			"Die Zuckertüte ist fertig, danke für die Tipps!\r\n", domain, i, i, extra)
		if err := send(d.addrs["smtp"], "anna@example.net", []string{"kita@" + domain}, raw); err != nil {
			t.Fatal(err)
		}
	}
	waitArchived(t, d, "kita", 2)

	var found struct {
		Hits []map[string]any `json:"hits"`
	}
	if getJSON(t, d.httpBase+"/api/v1/lists/kita/search?q="+url.QueryEscape("Zuckertüte"), &found); len(found.Hits) != 2 {
		t.Fatalf("API search: %v", found)
	}
	for _, h := range found.Hits {
		var one map[string]any
		getJSON(t, fmt.Sprintf("%s/api/v1/lists/kita/messages/%v", d.httpBase, h["id"]), &one)
		if text, _ := one["text"].(string); !strings.Contains(text, "Die Zuckertüte ist fertig, danke für die Tipps!") {
			t.Errorf("API text of %v: %q", h["id"], text)
		}
		_, page := fetch(t, http.DefaultClient, "GET", fmt.Sprintf("%s/kita/m/%v", d.httpBase, h["id"]), nil)
		if !strings.Contains(page, "Die Zuckertüte ist fertig") {
			t.Errorf("page %v lacks the text", h["id"])
		}
	}
	if _, page := fetch(t, http.DefaultClient, "GET", d.httpBase+"/kita/search?q="+url.QueryEscape("Zuckertüte"), nil); strings.Count(page, "Einschulung") < 2 {
		t.Errorf("web search:\n%s", page)
	}

	c := dialIMAP(t, d, "anna@example.net", pw)
	if _, err := c.Select("kita", &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		t.Fatal(err)
	}
	data, err := c.UIDSearch(&imap.SearchCriteria{Text: []string{"Zuckertüte"}}, nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	if uids := data.AllUIDs(); !slices.Equal(uids, []imap.UID{1, 2}) {
		t.Errorf("IMAP SEARCH TEXT Zuckertüte = %v", uids)
	}
}
