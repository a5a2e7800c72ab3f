package lists

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/emersion/go-message"

	"listd/internal/imagemeta"
	"listd/internal/store"
)

// relayed is one standalone mail in the queue, with its recipient.
type relayed struct {
	kind, rcpt string
	raw        []byte
}

// queuedTo returns the standalone mails queued so far, oldest first, with recipients.
func queuedTo(t *testing.T, db *store.DB) []relayed {
	t.Helper()
	ctx := context.Background()
	ds, err := db.Deliveries(ctx, []string{"queued"}, 1000, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []relayed
	for _, d := range ds {
		if d.MailID == 0 {
			continue
		}
		m, err := db.Mail(ctx, d.MailID)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, relayed{kind: m.Kind, rcpt: d.Rcpt, raw: m.Raw})
	}
	return out
}

// lastRelayed returns the newest queued mail of kind.
func lastRelayed(t *testing.T, db *store.DB, kind string) relayed {
	t.Helper()
	ms := queuedTo(t, db)
	for i := len(ms) - 1; i >= 0; i-- {
		if ms[i].kind == kind {
			return ms[i]
		}
	}
	t.Fatalf("no %s mail queued", kind)
	return relayed{}
}

var blockAddrRE = regexp.MustCompile(`kita-reply\+x[a-z2-7]{12}\.[a-z2-7]{13}@lists\.example\.org`)

func fromAddr(t *testing.T, raw []byte) string {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	a, err := mail.ParseAddress(m.Header.Get("From"))
	if err != nil {
		t.Fatal(err)
	}
	return a.Address
}

func wantCode(t *testing.T, err error, code int) {
	t.Helper()
	var rej *Rejection
	switch {
	case code == 0 && err != nil:
		t.Fatalf("refused: %v", err)
	case code != 0 && (!errors.As(err, &rej) || rej.Code != code):
		t.Fatalf("err = %v, want code %d", err, code)
	}
}

func privateMail(from, to, subject, extra string) string {
	return "From: " + from + "\r\nTo: " + to + "\r\nSubject: " + subject + "\r\n" + extra +
		"Message-ID: <" + strings.NewReplacer(" ", ".", ":", "").Replace(subject) + "@test.example>\r\n\r\nHallo, wie geht es?\r\n"
}

// setupPost has anna post to kita and returns the list and the private reply address
// of her post.
func setupPost(t *testing.T, s *Service, db *store.DB) (*store.List, string) {
	t.Helper()
	ctx := context.Background()
	if _, err := s.AddMember(ctx, "kita", "carl@example.net", MemberOptions{Name: "Löwenzahn"}); err != nil {
		t.Fatal(err)
	}
	wantCode(t, deliver(t, s, "anna@example.net", "kita@lists.example.org",
		"From: Anna <anna@example.net>\r\nSubject: Kita-Platz\r\nMessage-ID: <post1@example.net>\r\n\r\nWer weiss Rat?\r\n"), 0)
	l, _ := s.List(ctx, "kita")
	ms, err := db.Messages(ctx, l.ID, 1, 0)
	if err != nil || len(ms) != 1 {
		t.Fatalf("archive: %v %v", ms, err)
	}
	return l, s.PrivateReplyAddress(l, ms[0].ID)
}

func TestPrivateReplyRoundTrip(t *testing.T) {
	s, db, _ := newService(t)
	_, addr := setupPost(t, s, db)
	if !regexp.MustCompile(`^kita-reply\+1\.[a-z2-7]{13}@lists\.example\.org$`).MatchString(addr) {
		t.Fatalf("address %q", addr)
	}

	// Carl answers Anna's post privately, with everything a mail program adds.
	identifying := "Received: from carls-pc (dsl.example.net [198.51.100.7])\r\nUser-Agent: Thunderbird\r\n" +
		"Autocrypt: addr=carl@example.net; keydata=xyz\r\nReply-To: Carl Weber <carl@example.net>\r\n"
	wantCode(t, deliver(t, s, "carl@example.net", addr, privateMail("Carl Weber <carl@example.net>", addr, "Re: Kita-Platz", identifying)), 0)
	toAnna := lastRelayed(t, db, "privreply")
	if toAnna.rcpt != "anna@example.net" {
		t.Fatalf("passed on to %s", toAnna.rcpt)
	}
	for _, leak := range []string{"carl@", "Weber", "carls-pc", "198.51.100.7", "Thunderbird", "Autocrypt"} {
		if bytes.Contains(toAnna.raw, []byte(leak)) {
			t.Errorf("Anna's copy shows %q:\n%s", leak, toAnna.raw)
		}
	}
	m, _ := mail.ReadMessage(bytes.NewReader(toAnna.raw))
	if got := m.Header.Get("From"); !strings.Contains(got, "Löwenzahn via kita (privat)") && !strings.Contains(got, "=?utf-8?") {
		t.Errorf("From = %q", got)
	}
	carlRelay := fromAddr(t, toAnna.raw)
	if !strings.HasPrefix(carlRelay, "kita-reply+r") || m.Header.Get("Subject") != "Re: Kita-Platz" {
		t.Fatalf("From %q, Subject %q", carlRelay, m.Header.Get("Subject"))
	}
	blockCarl := blockAddrRE.FindString(strings.ReplaceAll(string(toAnna.raw), "=\r\n", ""))
	if blockCarl == "" {
		t.Fatalf("no block address in:\n%s", toAnna.raw)
	}

	// Anna answers through the relay address; Carl gets it without her address.
	wantCode(t, deliver(t, s, "anna@example.net", carlRelay, privateMail("Anna <anna@example.net>", carlRelay, "Re: Re: Kita-Platz", "")), 0)
	toCarl := lastRelayed(t, db, "privreply")
	if toCarl.rcpt != "carl@example.net" || bytes.Contains(toCarl.raw, []byte("anna@")) {
		t.Fatalf("to %s:\n%s", toCarl.rcpt, toCarl.raw)
	}
	annaRelay := fromAddr(t, toCarl.raw)
	if annaRelay == carlRelay || !strings.Contains(string(toCarl.raw), "Ein Mitglied via kita (privat)") {
		t.Errorf("Anna's relay %q:\n%s", annaRelay, toCarl.raw)
	}

	// Carl's block address is Anna's alone.
	wantCode(t, deliver(t, s, "ben@example.net", blockCarl, privateMail("ben@example.net", blockCarl, "block", "")), 550)
	wantCode(t, deliver(t, s, "anna@example.net", blockCarl, privateMail("Anna <anna@example.net>", blockCarl, "sperren", "")), 0)
	if n := lastRelayed(t, db, "privreply-blocked"); n.rcpt != "anna@example.net" || !strings.Contains(qpText(n.raw), "Löwenzahn via kita") {
		t.Errorf("block notice to %s:\n%s", n.rcpt, n.raw)
	}
	before := len(queuedTo(t, db))
	wantCode(t, deliver(t, s, "carl@example.net", addr, privateMail("carl@example.net", addr, "Noch was", "")), 550)
	wantCode(t, deliver(t, s, "carl@example.net", annaRelay, privateMail("carl@example.net", annaRelay, "Und noch was", "")), 550)
	if after := len(queuedTo(t, db)); after != before {
		t.Errorf("%d mails queued after the block", after-before)
	}
	// The block is one way: Anna can still write to Carl, and Ben to Anna.
	wantCode(t, deliver(t, s, "anna@example.net", carlRelay, privateMail("anna@example.net", carlRelay, "Trotzdem", "")), 0)
	wantCode(t, deliver(t, s, "ben@example.net", addr, privateMail("ben@example.net", addr, "Von Ben", "")), 0)

	// Export shows Carl's relay and Anna's block; erasing Carl ends his relay.
	out, err := s.Export(context.Background(), "anna@example.net")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Relays []map[string]string `json:"private_reply_relays"`
		Blocks []map[string]string `json:"private_reply_blocks"`
	}
	if err := json.Unmarshal(out, &doc); err != nil || len(doc.Relays) != 1 || doc.Relays[0]["relay_address"] != annaRelay ||
		len(doc.Blocks) != 1 || doc.Blocks[0]["blocked_relay_address"] != carlRelay || bytes.Contains(out, []byte("carl@")) {
		t.Errorf("export: %v\n%s", err, out)
	}
	if _, err := s.erase(context.Background(), "carl@example.net", true); err != nil {
		t.Fatal(err)
	}
	wantCode(t, deliver(t, s, "anna@example.net", carlRelay, privateMail("anna@example.net", carlRelay, "Nach dem Löschen", "")), 550)
}

func TestPrivateReplyRefusals(t *testing.T) {
	s, db, signer := newService(t)
	ctx := context.Background()
	l, addr := setupPost(t, s, db)
	if _, err := s.CreateList(ctx, "job", ListOptions{}); err != nil {
		t.Fatal(err)
	}
	job, _ := s.List(ctx, "job")
	// A forged MAC, another list's name, a relay id that is not one.
	forged := strings.Replace(addr, "+1.", "+2.", 1)
	otherList := "job-reply+1." + signer.Short("reply-post", "kita", "1") + "@lists.example.org"
	for _, a := range []string{forged, otherList, "kita-reply+rshort.aaaaaaaaaaaaa@lists.example.org", "kita-reply@lists.example.org",
		"kita-reply+01." + signer.Short("reply-post", "kita", "01") + "@lists.example.org"} {
		txn, _ := s.Begin(ctx, Client{}, "ben@example.net")
		wantCode(t, txn.AddRcpt(ctx, a), 550)
	}
	// Upper case, as some systems fold it, still works.
	txn, _ := s.Begin(ctx, Client{}, "ben@example.net")
	wantCode(t, txn.AddRcpt(ctx, strings.ToUpper(addr)), 0)

	tests := []struct {
		name, envFrom, raw string
		code               int
	}{
		{"not a member", "eve@example.com", privateMail("eve@example.com", addr, "Hallo", ""), 550},
		{"a stranger's envelope with a member's From", "eve@example.com", privateMail("Ben <ben@example.net>", addr, "Ich bin Ben", ""), 550},
		{"a member's envelope with another member's From", "carl@example.net", privateMail("ben@example.net", addr, "Auch Ben", ""), 550},
		{"automatic mail is dropped", "ben@example.net", privateMail("ben@example.net", addr, "Abwesend", "Auto-Submitted: auto-replied\r\n"), 0},
		{"null sender", "", privateMail("ben@example.net", addr, "Bounce", ""), 0},
		{"S/MIME", "ben@example.net", "From: ben@example.net\r\nSubject: s\r\nContent-Type: application/pkcs7-mime; smime-type=signed-data\r\n\r\nMIAGCSqGSIb3DQEHAqCAMIACAQEx\r\n", 554},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(queuedTo(t, db))
			wantCode(t, deliver(t, s, tt.envFrom, addr, tt.raw), tt.code)
			if after := len(queuedTo(t, db)); after != before {
				t.Errorf("%d mails queued", after-before)
			}
		})
	}

	// A relay of another list, signed for this one, reaches nobody.
	var jobRelay *store.Relay
	if err := s.st.Update(ctx, func(tx *store.Tx) (err error) { jobRelay, err = tx.RelayFor(job.ID, "anna@example.net"); return err }); err != nil {
		t.Fatal(err)
	}
	wantCode(t, deliver(t, s, "ben@example.net", s.relayAddress(l, jobRelay.ID), privateMail("ben@example.net", "x", "Quer", "")), 550)

	// The author left the list: a clear refusal, never a silent drop.
	if err := s.RemoveMember(ctx, "kita", "anna@example.net"); err != nil {
		t.Fatal(err)
	}
	err := deliver(t, s, "ben@example.net", addr, privateMail("ben@example.net", addr, "Noch da?", ""))
	var rej *Rejection
	if !errors.As(err, &rej) || rej.Code != 550 || rej.Enhanced != [3]int{5, 2, 1} {
		t.Errorf("author gone: %v", err)
	}
}

func TestPrivateReplyRateLimit(t *testing.T) {
	s, db, _ := newService(t)
	_, addr := setupPost(t, s, db)
	for i := 0; i < privateReplyLimit; i++ {
		wantCode(t, deliver(t, s, "ben@example.net", addr, privateMail("ben@example.net", addr, "Nachricht "+string(rune('a'+i)), "")), 0)
	}
	err := deliver(t, s, "ben@example.net", addr, privateMail("ben@example.net", addr, "Eine zu viel", ""))
	var rej *Rejection
	if !errors.As(err, &rej) || rej.Code != 450 || !rej.Temporary() {
		t.Fatalf("over the limit: %v", err)
	}
	// Another member is not affected.
	wantCode(t, deliver(t, s, "carl@example.net", addr, privateMail("carl@example.net", addr, "Von Carl", "")), 0)
}

// imagesOf returns the decoded image parts of a message.
func imagesOf(t *testing.T, raw []byte) [][]byte {
	t.Helper()
	e, err := message.Read(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	e.Walk(func(_ []int, p *message.Entity, err error) error {
		if mt, _, _ := p.Header.ContentType(); strings.HasPrefix(mt, "image/") {
			b, _ := io.ReadAll(p.Body)
			out = append(out, b)
		}
		return nil
	})
	return out
}

func photoPost(msgID string, photo []byte) string {
	return "From: anna@example.net\r\nSubject: Fotos\r\nMessage-ID: <" + msgID + ">\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nVom Ausflug.\r\n" +
		"--b\r\nContent-Type: image/jpeg; name=IMG_1.jpg\r\nContent-Disposition: attachment; filename=IMG_1.jpg\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n" + wrap76(photo) + "--b--\r\n"
}

func wrap76(b []byte) string {
	var out strings.Builder
	enc := []byte(base64Std(b))
	for len(enc) > 76 {
		out.Write(enc[:76])
		out.WriteString("\r\n")
		enc = enc[76:]
	}
	out.Write(enc)
	out.WriteString("\r\n")
	return out.String()
}

func TestPostImagesCleaned(t *testing.T) {
	s, db, _ := newService(t)
	ctx := context.Background()
	photo, err := os.ReadFile("../imagemeta/testdata/gps.jpg")
	if err != nil {
		t.Fatal(err)
	}
	if _, changed, _ := imagemeta.Strip(photo); !changed {
		t.Fatal("the test photo has no metadata")
	}
	if _, err := s.CreateList(ctx, "job", ListOptions{Anonymous: "no"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddMember(ctx, "job", "anna@example.net", MemberOptions{}); err != nil {
		t.Fatal(err)
	}
	wantCode(t, deliver(t, s, "anna@example.net", "kita@lists.example.org", photoPost("photo1@example.net", photo)), 0)
	wantCode(t, deliver(t, s, "anna@example.net", "job@lists.example.org", photoPost("photo2@example.net", photo)), 0)
	for _, list := range []string{"kita", "job"} {
		l, _ := s.List(ctx, list)
		ms, _ := db.Messages(ctx, l.ID, 1, 0)
		raw, err := db.Raw(ctx, ms[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		imgs := imagesOf(t, raw)
		if len(imgs) != 1 {
			t.Fatalf("%s: %d images archived", list, len(imgs))
		}
		if _, changed, err := imagemeta.Strip(imgs[0]); changed || err != nil || bytes.Contains(imgs[0], []byte("Exif")) {
			t.Errorf("%s: archived photo still has metadata (%v)", list, err)
		}
	}

	// A photo that cannot be read: refused on an anonymous list, passed on elsewhere.
	broken := photoPost("photo3@example.net", photo[:60])
	wantCode(t, deliver(t, s, "anna@example.net", "kita@lists.example.org", broken), 554)
	wantCode(t, deliver(t, s, "anna@example.net", "job@lists.example.org", strings.Replace(broken, "photo3", "photo4", 1)), 0)

	// A post without metadata is archived byte for byte.
	clean, _, _ := imagemeta.Strip(photo)
	post := photoPost("photo5@example.net", clean)
	wantCode(t, deliver(t, s, "anna@example.net", "kita@lists.example.org", post), 0)
	l, _ := s.List(ctx, "kita")
	ms, _ := db.Messages(ctx, l.ID, 1, 0)
	if raw, _ := db.Raw(ctx, ms[0].ID); string(raw) != post {
		t.Error("a post without image metadata was changed")
	}
}

// FuzzReplyToken feeds the private-reply token parser and its checks.
func FuzzReplyToken(f *testing.F) {
	s, _, signer := newService(f)
	for _, seed := range []string{"1." + signer.Short("reply-post", "kita", "1"), "rabcdefghijkl.aaaaaaaaaaaaa",
		"xabcdefghijkl.aaaaaaaaaaaaa", "01.x", ".", "r.", "9223372036854775808.aaaaaaaaaaaaa", "-1.aaaaaaaaaaaaa"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		tk, ok := parseReplyToken(tok)
		if ok && tk.kind == replyPost && tk.postID <= 0 {
			t.Fatalf("post id %d accepted", tk.postID)
		}
		s.validReplyToken("kita", tok)
		s.resolve(context.Background(), "kita-reply+"+tok+"@lists.example.org")
	})
}

// qpText is the body of a quoted-printable notice, decoded.
func qpText(raw []byte) string {
	_, body, _ := bytes.Cut(raw, []byte("\r\n\r\n"))
	b, _ := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(body)))
	return string(b)
}

func base64Std(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
