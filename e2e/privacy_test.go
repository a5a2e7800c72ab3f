package e2e

import (
	"bytes"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/klauspost/compress/zstd"
	_ "github.com/mattn/go-sqlite3"
)

// scanData reports which of the needles any file of the data dir contains, in any
// case, also inside the posts and texts the database keeps compressed.
func scanData(t *testing.T, dir string, needles ...string) []string {
	t.Helper()
	var found []string
	look := func(where string, b []byte) {
		low := bytes.ToLower(b)
		for _, n := range needles {
			if bytes.Contains(low, bytes.ToLower([]byte(n))) {
				found = append(found, where+": "+n)
			}
		}
	}
	filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return nil
		}
		b, _ := os.ReadFile(path)
		look(filepath.Base(path), b)
		return nil
	})
	for _, v := range storedValues(t, filepath.Join(dir, "listd.db")) {
		look(v.where, v.b)
	}
	return found
}

type storedValue struct {
	where string
	b     []byte
}

// storedValues reads the posts' bytes and texts out of the database, inflated. It
// reads the stored layout on its own (a zstd frame for a text; "\x00ZS", the header
// frame's length and the header and body frames for a post), so that a file scan
// cannot miss what compression hides.
func storedValues(t *testing.T, path string) []storedValue {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	dec, err := zstd.NewReader(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	rows, err := db.Query(`SELECT 'raw ' || message_id, raw FROM message_raw UNION ALL
		SELECT 'text ' || id, body_text FROM messages WHERE typeof(body_text) = 'blob'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []storedValue
	for rows.Next() {
		var v storedValue
		if err := rows.Scan(&v.where, &v.b); err != nil {
			t.Fatal(err)
		}
		frames := [][]byte{v.b}
		switch {
		case bytes.HasPrefix(v.b, []byte("\x00ZS")):
			rest := v.b[3:]
			n, k := binary.Uvarint(rest)
			if k <= 0 || n > uint64(len(rest)-k) {
				t.Fatalf("%s: damaged", v.where)
			}
			frames = [][]byte{rest[k : k+int(n)], rest[k+int(n):]}
		case strings.HasPrefix(v.where, "raw"):
			out = append(out, v)
			continue
		}
		var plain []byte
		for _, f := range frames {
			if plain, err = dec.DecodeAll(f, plain); err != nil {
				t.Fatalf("%s: %v", v.where, err)
			}
		}
		out = append(out, storedValue{v.where, plain})
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestExportAndErase(t *testing.T) {
	t.Parallel()
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
			// The scan sees into the compressed posts: before the erasure it finds her
			// address in the body of her post.
			if found := scanData(t, filepath.Join(d.dir, "data"), "Schreibt mir: anna@example.net"); len(found) == 0 {
				t.Errorf("the scan does not see into the stored posts")
			}
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

// TestAnonymousList: on an anonymous list no copy, archive page or API answer carries
// the poster's address, host or IP, and the pseudonym stands in for the name; on a
// list that is not anonymous the poster's From stays.
func TestAnonymousList(t *testing.T) {
	t.Parallel()
	sk := newSink(t)
	d := newDaemon(t, options{relay: sk.addr, imap: true})
	d.mustCLI("list", "create", "umgang", "-anonymous", "yes")
	d.mustCLI("list", "create", "job", "-anonymous", "no")
	d.mustCLI("member", "add", "umgang", "Petra Schmidt <petra.schmidt@mail.example.net>", "-name", "Sonnenblume")
	d.mustCLI("member", "add", "job", "Petra Schmidt <petra.schmidt@mail.example.net>")
	d.mustCLI("member", "add", "umgang", "ben@example.org")
	d.mustCLI("member", "add", "job", "ben@example.org")
	d.mustCLI("member", "add", "umgang", "dora@example.org", "-mode", "digest")
	benPassword := strings.TrimSpace(d.mustCLI("user", "password", "ben@example.org"))
	d.start()
	identifying := []string{
		"Received: from petras-laptop.mail.example.net (dsl-93-184-216-34.example.net [93.184.216.34])\r\n\tby mx.mail.example.net with ESMTPSA id 42\r\n\tfor <umgang@" + domain + ">; Wed, 25 Nov 2026 09:59:58 +0100",
		"X-Originating-IP: [93.184.216.34]",
		"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Thunderbird/128.0 on petras-laptop",
		"X-Mailer: Petras Mailer",
		"Sender: petra.schmidt@mail.example.net",
		"DKIM-Signature: v=1; a=rsa-sha256; d=mail.example.net; s=sel; h=from:to:subject; bh=abc; b=def",
		"Disposition-Notification-To: petra.schmidt@mail.example.net",
		"Message-ID: <anon1@example.org>",
	}
	for _, l := range []string{"umgang", "job"} {
		to := l + "@" + domain
		raw := plain("Petra Schmidt <petra.schmidt@mail.example.net>", to, "Umgang am Wochenende", "Wie regelt ihr das?\r\n", identifying...)
		if l == "job" {
			raw = strings.Replace(raw, "anon1@", "anon2@", 1)
		}
		if err := send(d.addrs["smtp"], "petra.schmidt@mail.example.net", []string{to}, raw); err != nil {
			t.Fatal(err)
		}
	}
	sk.waitFor(t, 4, 20*time.Second)
	secrets := []string{"petra.schmidt", "mail.example.net", "93.184.216.34", "petras-laptop", "Schmidt"}
	var anonymous, open []byte
	for _, m := range sk.snapshot() {
		if m.To != "ben@example.org" {
			continue
		}
		if strings.Contains(string(m.Data), "umgang@") && strings.Contains(string(m.Data), "List-Id: <umgang.") {
			anonymous = m.Data
		} else {
			open = m.Data
		}
	}
	for _, s := range secrets {
		if bytes.Contains(bytes.ToLower(anonymous), bytes.ToLower([]byte(s))) {
			t.Errorf("the anonymous copy contains %q:\n%s", s, anonymous)
		}
	}
	if !bytes.Contains(anonymous, []byte(`From: "Sonnenblume via umgang" <umgang@`+domain+`>`)) {
		t.Errorf("anonymous From:\n%s", anonymous)
	}
	if !bytes.Contains(open, []byte("petra.schmidt@mail.example.net")) {
		t.Errorf("a list that is not anonymous keeps the From:\n%s", open)
	}
	// The sender's Message-ID may name their machine: the anonymous copy carries one
	// at the list's domain, the other list's copy the sender's own.
	anonID := headerOf(t, anonymous, "Message-Id")
	if !regexp.MustCompile(`^<[a-z2-7]{26}@` + regexp.QuoteMeta(domain) + `>$`).MatchString(anonID) {
		t.Errorf("anonymous copy's Message-ID %q", anonID)
	}
	if got := headerOf(t, open, "Message-Id"); !strings.HasSuffix(got, "@client.example>") {
		t.Errorf("open copy's Message-ID %q", got)
	}

	for _, path := range []string{"/umgang/", "/umgang/m/1", "/umgang/t/1", "/umgang/t/1.mbox", "/api/v1/lists/umgang/messages",
		"/api/v1/lists/umgang/messages/1"} {
		body := httpGet(t, d.httpBase+path)
		// Pages, downloads and the API's message_id (CONTRACT.md) show the list's own.
		if strings.Contains(body, "client.example") {
			t.Errorf("%s shows the sender's Message-ID", path)
		}
		for _, s := range secrets {
			if strings.Contains(strings.ToLower(body), strings.ToLower(s)) {
				t.Errorf("%s shows %q", path, s)
			}
		}
		if strings.HasPrefix(path, "/api/v1/lists/umgang/messages") && !strings.Contains(body, "Sonnenblume") {
			t.Errorf("%s lacks the pseudonym:\n%s", path, body)
		}
	}

	// The digest, in each of its formats, and the archive over IMAP.
	check := func(what string, b []byte) {
		t.Helper()
		for _, s := range append(secrets, "client.example", "anon1@example.org") {
			if bytes.Contains(bytes.ToLower(b), bytes.ToLower([]byte(s))) {
				t.Errorf("%s contains %q:\n%s", what, s, b)
			}
		}
	}
	for _, format := range []string{"newsletter", "mime", "plain"} {
		d.mustCLI("member", "add", "umgang", "leser-"+format+"@example.org", "-mode", "digest", "-digest-format", format)
	}
	if out := d.mustCLI("digest", "send", "umgang"); strings.Contains(out, "nothing new") {
		t.Fatalf("digest send: %s", out)
	}
	for _, rcpt := range []string{"dora@example.org", "leser-newsletter@example.org", "leser-mime@example.org", "leser-plain@example.org"} {
		_, m := sk.mailTo(t, rcpt, 0)
		check("the digest to "+rcpt, m.Data)
		if !bytes.Contains(m.Data, []byte("Sonnenblume")) {
			t.Errorf("the digest to %s lacks the pseudonym", rcpt)
		}
	}
	c := dialIMAP(t, d, "ben@example.org", benPassword)
	if _, err := c.Select("umgang", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	whole := &imap.FetchItemBodySection{Peek: true}
	msgs, err := c.Fetch(imap.SeqSet{imap.SeqRange{Start: 1, Stop: 0}}, &imap.FetchOptions{Envelope: true, BodySection: []*imap.FetchItemBodySection{whole}}).Collect()
	if err != nil || len(msgs) != 1 {
		t.Fatalf("imap fetch: %d messages, %v", len(msgs), err)
	}
	check("IMAP BODY[]", msgs[0].FindBodySection(whole))
	env := msgs[0].Envelope
	check("IMAP ENVELOPE", []byte(fmt.Sprintf("%+v %+v %+v %s", env.From, env.Sender, env.ReplyTo, env.MessageID)))
}

// headerOf returns a field of a raw message.
func headerOf(t *testing.T, raw []byte, key string) string {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("unreadable message: %v\n%s", err, raw)
	}
	return m.Header.Get(key)
}

// TestFigures: /metrics carries the association's aggregate figures, and no address.
func TestFigures(t *testing.T) {
	t.Parallel()
	sk := newSink(t)
	d := newDaemon(t, options{relay: sk.addr})
	d.mustCLI("list", "create", "kita")
	d.mustCLI("member", "add", "kita", "anna@example.net")
	d.mustCLI("member", "add", "kita", "ben@example.net", "-mode", "digest")
	d.start()
	list := "kita@" + domain
	send(d.addrs["smtp"], "anna@example.net", []string{list}, plain("anna@example.net", list, "Eins", "x\r\n"))
	send(d.addrs["smtp"], "anna@example.net", []string{list}, plain("anna@example.net", list, "Zwei", "x\r\n"))
	sk.waitFor(t, 2, 20*time.Second)
	body := httpGet(t, d.httpBase+"/metrics")
	month := time.Now().UTC().Format("2006-01")
	for _, want := range []string{
		`listd_readers{list="kita",mode="each"} 1`, `listd_readers{list="kita",mode="digest"} 1`,
		`listd_posters{list="kita",month="` + month + `"} 1`, `listd_first_posts{list="kita",month="` + month + `"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(body, "@example.net") {
		t.Error("/metrics shows an address")
	}
	// The same counts for the site's admins on the command line.
	out := d.mustCLI("figures")
	for _, want := range []string{"readers\tkita\teach\t1", "readers\tkita\tdigest\t1", "posters\tkita\t" + month + "\t1",
		"first_posts\tkita\t" + month + "\t1"} {
		if !strings.Contains(out, want) {
			t.Errorf("listd figures lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "@") {
		t.Errorf("listd figures shows an address:\n%s", out)
	}
}
