package e2e

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jhillyerd/enmime/v2"

	"listd/internal/imagemeta"
	"listd/internal/token"
)

// waitMail waits for a message at the sink for rcpt that was not there before (the
// sink held n messages then) and whose bytes contain marker.
func (s *sink) waitMail(t *testing.T, n int, rcpt, marker string) sunk {
	t.Helper()
	end := time.Now().Add(20 * time.Second)
	for {
		for _, m := range s.snapshot()[n:] {
			if m.To == rcpt && bytes.Contains(m.Data, []byte(marker)) {
				return m
			}
		}
		if time.Now().After(end) {
			t.Fatalf("no mail to %s with %q", rcpt, marker)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var blockRE = regexp.MustCompile(`kita-reply\+x[a-z2-7]{12}\.[a-z2-7]{13}@` + regexp.QuoteMeta(domain))

// TestPrivateReply: a member answers a post privately through the list's reply
// address; neither side ever sees the other's address; the author can block the
// replier; strangers are refused.
func TestPrivateReply(t *testing.T) {
	t.Parallel()
	sk := newSink(t)
	d := newDaemon(t, options{relay: sk.addr})
	d.mustCLI("list", "create", "kita")
	d.mustCLI("member", "add", "kita", "Anna Albers <anna.albers@example.net>", "-name", "Sonnenblume")
	d.mustCLI("member", "add", "kita", "Ben Becker <ben.becker@example.org>", "-name", "Löwenzahn")
	d.mustCLI("member", "add", "kita", "cem@example.com")
	d.start()
	smtpAddr, list := d.addrs["smtp"], "kita@"+domain
	if err := send(smtpAddr, "anna.albers@example.net", []string{list}, plain("Anna Albers <anna.albers@example.net>", list, "Kitaplatz gesucht", "Wer weiss Rat?\r\n")); err != nil {
		t.Fatal(err)
	}
	sk.waitFor(t, 3, 20*time.Second)

	// The private-reply address of Anna's post, made with the site's secret as listd
	// makes it for the archive and the digests.
	var msgs []struct {
		ID int64 `json:"id"`
	}
	getJSON(t, d.httpBase+"/api/v1/lists/kita/messages", &msgs)
	if len(msgs) != 1 {
		t.Fatalf("archive: %v", msgs)
	}
	key, err := token.LoadOrCreateKey(filepath.Join(d.dir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	id := fmt.Sprint(msgs[0].ID)
	replyAddr := "kita-reply+" + id + "." + token.NewSigner(key, nil).Short("reply-post", "kita", id) + "@" + domain

	// Ben answers privately, with the fields his mail program adds.
	n := len(sk.snapshot())
	raw := plain("Ben Becker <ben.becker@example.org>", replyAddr, "Re: Kitaplatz gesucht", "Ich kenne da eine Kita.\r\n",
		"Reply-To: ben.becker@example.org", "Received: from bens-laptop (dsl.example.org [198.51.100.9])", "User-Agent: Thunderbird",
		"Autocrypt: addr=ben.becker@example.org; keydata=mQENBF")
	if err := send(smtpAddr, "ben.becker@example.org", []string{replyAddr}, raw); err != nil {
		t.Fatalf("private reply: %v", err)
	}
	toAnna := sk.waitMail(t, n, "anna.albers@example.net", "Ich kenne da eine Kita.")
	for _, leak := range []string{"ben.becker", "Becker", "bens-laptop", "198.51.100.9", "Thunderbird"} {
		if bytes.Contains(bytes.ToLower(toAnna.Data), bytes.ToLower([]byte(leak))) {
			t.Errorf("Anna's mail shows %q:\n%s", leak, toAnna.Data)
		}
	}
	if toAnna.From != "kita-bounces@"+domain {
		t.Errorf("envelope sender %q", toAnna.From)
	}
	env, err := enmime.ReadEnvelope(bytes.NewReader(toAnna.Data))
	if err != nil {
		t.Fatal(err)
	}
	from, err := env.AddressList("From")
	if err != nil || len(from) != 1 || from[0].Name != "Löwenzahn via kita (privat)" || !strings.HasPrefix(from[0].Address, "kita-reply+r") {
		t.Fatalf("From %v: %v", from, err)
	}
	benRelay := from[0].Address
	blockBen := blockRE.FindString(env.Text)
	if blockBen == "" {
		t.Fatalf("no block address in the note:\n%s", env.Text)
	}

	// Anna answers the relay address; Ben gets it without her address.
	n = len(sk.snapshot())
	if err := send(smtpAddr, "anna.albers@example.net", []string{benRelay}, plain("Anna Albers <anna.albers@example.net>", benRelay, "Re: Re: Kitaplatz gesucht", "Danke, welche?\r\n")); err != nil {
		t.Fatalf("answer through the relay: %v", err)
	}
	toBen := sk.waitMail(t, n, "ben.becker@example.org", "Danke, welche?")
	for _, leak := range []string{"anna.albers", "Albers"} {
		if bytes.Contains(bytes.ToLower(toBen.Data), bytes.ToLower([]byte(leak))) {
			t.Errorf("Ben's mail shows %q:\n%s", leak, toBen.Data)
		}
	}
	if !bytes.Contains(toBen.Data, []byte("Sonnenblume via kita (privat)")) {
		t.Errorf("Ben's mail does not name Anna's pseudonym:\n%s", toBen.Data)
	}

	// Anna blocks Ben; his next private message is refused, without her address.
	n = len(sk.snapshot())
	if err := send(smtpAddr, "anna.albers@example.net", []string{blockBen}, plain("anna.albers@example.net", blockBen, "sperren", "\r\n")); err != nil {
		t.Fatalf("block: %v", err)
	}
	sk.waitMail(t, n, "anna.albers@example.net", "Auto-Submitted: auto-replied")
	err = send(smtpAddr, "ben.becker@example.org", []string{replyAddr}, plain("ben.becker@example.org", replyAddr, "Noch eine Frage", "Hallo?\r\n"))
	if code, enh := smtpCode(err); code != 550 || enh != "5.7.1" || strings.Contains(err.Error(), "anna") {
		t.Errorf("blocked reply: %v", err)
	}
	// Cem may still write to Anna; a stranger may not.
	if err := send(smtpAddr, "cem@example.com", []string{replyAddr}, plain("cem@example.com", replyAddr, "Von Cem", "Hallo Anna\r\n")); err != nil {
		t.Errorf("Cem's private reply: %v", err)
	}
	err = send(smtpAddr, "eve@example.com", []string{replyAddr}, plain("eve@example.com", replyAddr, "Von Eve", "Hallo\r\n"))
	if code, enh := smtpCode(err); code != 550 || enh != "5.7.1" {
		t.Errorf("stranger: %v", err)
	}
	// A made-up address is refused at RCPT.
	err = send(smtpAddr, "cem@example.com", []string{"kita-reply+" + id + ".aaaaaaaaaaaaa@" + domain}, plain("cem@example.com", list, "x", "x\r\n"))
	if code, _ := smtpCode(err); code != 550 {
		t.Errorf("forged reply address: %v", err)
	}
}

// TestPhotoLocationRemoved: a photo with GPS data in its Exif reaches the members and
// the archive without it.
func TestPhotoLocationRemoved(t *testing.T) {
	t.Parallel()
	photo, err := os.ReadFile("../internal/imagemeta/testdata/gps.jpg")
	if err != nil {
		t.Fatal(err)
	}
	clean, changed, err := imagemeta.Strip(photo)
	if err != nil || !changed {
		t.Fatalf("the test photo carries no metadata: %v", err)
	}
	sk := newSink(t)
	d := newDaemon(t, options{relay: sk.addr})
	d.mustCLI("list", "create", "kita")
	d.mustCLI("member", "add", "kita", "anna@example.net")
	d.mustCLI("member", "add", "kita", "ben@example.org")
	d.start()
	list := "kita@" + domain
	enc := base64.StdEncoding.EncodeToString(photo)
	var b64 strings.Builder
	for len(enc) > 76 {
		b64.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b64.WriteString(enc + "\r\n")
	raw := plain("anna@example.net", list, "Fotos vom Fest", "",
		"MIME-Version: 1.0", "Content-Type: multipart/mixed; boundary=\"b\"") +
		"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nVom Sommerfest.\r\n" +
		"--b\r\nContent-Type: image/jpeg; name=\"IMG_2041.jpg\"\r\nContent-Disposition: attachment; filename=\"IMG_2041.jpg\"\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n" + b64.String() + "--b--\r\n"
	if err := send(d.addrs["smtp"], "anna@example.net", []string{list}, raw); err != nil {
		t.Fatal(err)
	}
	check := func(where string, msg []byte) {
		t.Helper()
		env, err := enmime.ReadEnvelope(bytes.NewReader(msg))
		if err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		if len(env.Attachments) != 1 {
			t.Fatalf("%s: %d attachments", where, len(env.Attachments))
		}
		img := env.Attachments[0].Content
		if !bytes.Equal(img, clean) || bytes.Contains(img, []byte("Exif")) {
			t.Errorf("%s: the photo still carries metadata (%d bytes, clean is %d)", where, len(img), len(clean))
		}
	}
	for _, m := range sk.waitFor(t, 2, 20*time.Second) {
		check("copy to "+m.To, m.Data)
	}
	// The archive keeps the bytes that every way out serves: they are clean too.
	var doc struct {
		Mbox string `json:"posts_mbox"`
	}
	if err := json.Unmarshal([]byte(d.mustCLI("user", "export", "anna@example.net")), &doc); err != nil {
		t.Fatal(err)
	}
	_, archived, ok := strings.Cut(doc.Mbox, "\n")
	if !ok {
		t.Fatalf("no post in the export: %q", doc.Mbox)
	}
	check("archive", []byte(archived))
}
