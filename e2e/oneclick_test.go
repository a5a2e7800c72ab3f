package e2e

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// TestOneClickMultipart unsubscribes with the RFC 8058 POST as mailbox providers
// send it, multipart/form-data, from curl and from Go's client, with no cookie and
// no form token; a forged token leaves the member subscribed.
func TestOneClickMultipart(t *testing.T) {
	t.Parallel()
	curl := need(t, "curl")
	sk := newSink(t)
	d := newDaemon(t, options{relay: sk.addr})
	d.mustCLI("list", "create", "kita", "-title", "Kita und Schule")
	for _, m := range []string{"anna@example.net", "ben@example.net", "cem@example.net", "dora@example.net"} {
		d.mustCLI("member", "add", "kita", m)
	}
	d.start()
	if err := send(d.addrs["smtp"], "anna@example.net", []string{"kita@" + domain}, post("anna@example.net", "Hallo", "Hallo zusammen\r\n")); err != nil {
		t.Fatal(err)
	}
	unsub := func(member string) string {
		env, _ := sk.mailTo(t, member, 0)
		u := regexp.MustCompile(`<http://127\.0\.0\.1:8080(/u/[^>]+)>`).FindStringSubmatch(env.GetHeader("List-Unsubscribe"))
		if u == nil {
			t.Fatalf("List-Unsubscribe for %s = %q", member, env.GetHeader("List-Unsubscribe"))
		}
		return d.httpBase + u[1]
	}
	subscribed := func(member string) bool { return strings.Contains(members(t, d, "kita"), member) }

	// curl -F sends multipart/form-data, as RFC 8058 asks of mail providers.
	out, err := exec.Command(curl, "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-F", "List-Unsubscribe=One-Click", unsub("ben@example.net")).CombinedOutput()
	if err != nil || string(out) != "200" || subscribed("ben@example.net") {
		t.Errorf("curl -F: %s %v; still subscribed: %v", out, err, subscribed("ben@example.net"))
	}

	multipartPost := func(target string) int {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		mw.WriteField("List-Unsubscribe", "One-Click")
		mw.Close()
		resp, err := http.Post(target, mw.FormDataContentType(), &b)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := multipartPost(unsub("cem@example.net")); code != 200 || subscribed("cem@example.net") {
		t.Errorf("Go multipart: %d; still subscribed: %v", code, subscribed("cem@example.net"))
	}

	// A token with its signature changed is refused, in either encoding.
	u := unsub("dora@example.net")
	forged := u[:len(u)-2] + map[bool]string{true: "AA", false: "BB"}[!strings.HasSuffix(u, "AA")]
	if code := multipartPost(forged); code != 400 || !subscribed("dora@example.net") {
		t.Errorf("forged token: %d; subscribed: %v", code, subscribed("dora@example.net"))
	}
	out, _ = exec.Command(curl, "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-F", "List-Unsubscribe=One-Click", forged).CombinedOutput()
	if string(out) != "400" || !subscribed("dora@example.net") {
		t.Errorf("curl -F, forged token: %s; subscribed: %v", out, subscribed("dora@example.net"))
	}
}
