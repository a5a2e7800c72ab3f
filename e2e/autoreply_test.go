package e2e

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestAutoreplyNotPosted: a member's vacation reply to a list copy, however its
// autoresponder marks it, is answered 250 over SMTP and reaches neither the members
// nor the archive (one marked by its subject alone waits for the moderators); a
// person's post about a holiday goes out, and the drops are counted.
func TestAutoreplyNotPosted(t *testing.T) {
	t.Parallel()
	sk := newSink(t)
	d := newDaemon(t, options{relay: sk.addr})
	d.mustCLI("list", "create", "kita", "-archive", "public")
	for _, m := range []string{"anna@example.net", "ben@example.com"} {
		d.mustCLI("member", "add", "kita", m)
	}
	d.mustCLI("member", "add", "kita", "mod@example.org", "-role", "moderator", "-mode", "nomail")
	d.start()

	quote := "Ich bin bis zum 6. Januar nicht erreichbar. In dringenden Fällen ...\r\n\r\n> Wer geht mit zum Elternabend?\r\n"
	reply := "In-Reply-To: <x1@" + domain + ">"
	tests := []struct {
		name, envFrom, raw string
	}{
		{"Auto-Submitted", "anna@example.net", post("anna@example.net", "Abwesenheitsnotiz: Re: [kita] Elternabend", quote,
			"Message-ID: <v1@example.net>", "Auto-Submitted: auto-replied", reply)},
		{"no header, German subject", "anna@example.net", post("anna@example.net", "Abwesenheitsnotiz: Re: [kita] Elternabend", quote,
			"Message-ID: <v2@example.net>", reply)},
		{"Exchange", "anna@example.net", post("anna@example.net", "Automatische Antwort: [kita] Elternabend", quote,
			"Message-ID: <v3@example.net>", "X-Auto-Response-Suppress: All", "X-MS-Exchange-Inbox-Rules-Loop: anna@example.net", reply)},
		{"Exchange, English", "ben@example.com", post("ben@example.com", "Automatic reply: [kita] Elternabend", quote,
			"Message-ID: <v4@example.net>", "X-Auto-Response-Suppress: All", reply)},
		{"Precedence", "ben@example.com", post("ben@example.com", "Re: [kita] Elternabend", quote,
			"Message-ID: <v5@example.net>", "Precedence: bulk", reply)},
		{"X-Autoreply", "ben@example.com", post("ben@example.com", "Re: [kita] Elternabend", quote,
			"Message-ID: <v6@example.net>", "X-Autoreply: yes", reply)},
		{"null sender", "", post("ben@example.com", "Re: [kita] Elternabend", quote, "Message-ID: <v7@example.net>", reply)},
	}
	for _, tt := range tests {
		if err := send(d.addrs["smtp"], tt.envFrom, []string{"kita@" + domain}, tt.raw); err != nil {
			t.Errorf("%s: not answered 250: %v", tt.name, err)
		}
	}
	// A person's post about a holiday goes through: its copies are the only ones.
	if err := send(d.addrs["smtp"], "anna@example.net", []string{"kita@" + domain},
		post("anna@example.net", "Re: Urlaub mit Kindern", "Wir fahren an die Ostsee.\r\n", "Message-ID: <p1@example.net>")); err != nil {
		t.Fatal(err)
	}
	sk.mailWith(t, "mod@example.org", "Abwesenheitsnotiz")
	sk.mailWith(t, "anna@example.net", "Urlaub mit Kindern")
	time.Sleep(time.Second) // room for a copy that should not come
	copies := 0
	for _, m := range sk.snapshot() {
		if m.To == "mod@example.org" {
			continue // the notice of the post held for its subject
		}
		copies++
		if !strings.Contains(string(m.Data), "Urlaub mit Kindern") || strings.Contains(string(m.Data), "nicht erreichbar") {
			t.Errorf("copy to %s is not the person's post:\n%s", m.To, m.Data)
		}
	}
	if copies != 2 {
		t.Errorf("%d copies sent, want 2", copies)
	}
	if out := d.mustCLI("mod", "ls"); !strings.Contains(out, "Abwesenheitsnotiz") {
		t.Errorf("the post with only an automatic subject is not held:\n%s", out)
	}
	var ms []apiPost
	getJSON(t, d.httpBase+"/api/v1/lists/kita/messages?limit=50", &ms)
	if len(ms) != 1 || ms[0].Subject != "Re: Urlaub mit Kindern" {
		t.Errorf("archive: %+v", ms)
	}
	resp, err := http.Get(d.httpBase + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := `listd_posts_total{result="automatic"} 6`; !strings.Contains(string(b), want) {
		t.Errorf("metrics lack %s:\n%s", want, grepLines(string(b), "listd_posts_total"))
	}
	if strings.Contains(d.log.String(), "anna@example.net") || strings.Contains(d.log.String(), "ben@example.com") {
		t.Errorf("the log names a member:\n%s", d.log.String())
	}
}
