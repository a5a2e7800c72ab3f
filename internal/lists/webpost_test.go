package lists

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strconv"
	"strings"
	"testing"

	"listd/internal/archive"
	"listd/internal/store"
)

// jpegBytes is the start of a JPEG file: enough for sniffing.
var jpegBytes = append([]byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 16, 'J', 'F', 'I', 'F', 0}, bytes.Repeat([]byte{0}, 64)...)

func copiesOf(t *testing.T, db *store.DB, archiveID int64) map[string]bool {
	t.Helper()
	ds, err := db.Deliveries(context.Background(), []string{"queued"}, 1000, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, d := range ds {
		if d.MessageID == archiveID {
			out[d.Rcpt] = true
		}
	}
	return out
}

func TestWebPostEntersIntake(t *testing.T) {
	s, db, _ := newService(t)
	ctx := context.Background()
	res, err := s.PostFromWeb(ctx, WebPost{List: "kita", Address: "Anna@Example.net", Subject: "Kita <b>gesucht</b>",
		Text: "Hallo,\n\nwer kennt https://example.org/kita?\n", Key: "form-1"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Held || res.ID == 0 || res.Duplicate {
		t.Fatalf("result %+v, want archived", res)
	}
	raw, err := db.Raw(ctx, res.ID)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if from := msg.Header.Get("From"); !strings.Contains(from, "anna@example.net") {
		t.Errorf("From %q", from)
	}
	if mid := msg.Header.Get("Message-ID"); !strings.HasSuffix(mid, "@lists.example.org>") {
		t.Errorf("Message-ID %q not on the list's domain", mid)
	}
	date, err := mail.ParseDate(msg.Header.Get("Date"))
	if err != nil {
		t.Fatal(err)
	}
	if _, off := date.Zone(); off != 3600 && off != 7200 {
		t.Errorf("Date %q not in Europe/Berlin", msg.Header.Get("Date"))
	}
	p, _ := archive.Parse(raw)
	if !strings.Contains(strings.ReplaceAll(p.Text, "\r\n", "\n"), "Hallo,\n\nwer kennt https://example.org/kita?") || p.Subject != "Kita <b>gesucht</b>" {
		t.Errorf("text or subject changed: %q %q", p.Subject, p.Text)
	}
	if got := copiesOf(t, db, res.ID); !got["anna@example.net"] || !got["ben@example.net"] {
		t.Errorf("copies %v, want both members", got)
	}

	// A reply on the web threads under it, and its copies name the thread.
	reply, err := s.PostFromWeb(ctx, WebPost{List: "kita", Address: "ben@example.net", ThreadID: res.ThreadID,
		Text: "Ja, ich.", Key: "form-2"})
	if err != nil {
		t.Fatal(err)
	}
	if reply.ThreadID != res.ThreadID {
		t.Fatalf("reply in thread %d, want %d", reply.ThreadID, res.ThreadID)
	}
	raw, _ = db.Raw(ctx, reply.ID)
	rm, _ := mail.ReadMessage(bytes.NewReader(raw))
	if irt := rm.Header.Get("In-Reply-To"); irt != msg.Header.Get("Message-ID") {
		t.Errorf("In-Reply-To %q, want %q", irt, msg.Header.Get("Message-ID"))
	}
	if refs := rm.Header.Get("References"); !strings.Contains(refs, msg.Header.Get("Message-ID")) {
		t.Errorf("References %q", refs)
	}
	if subj := rm.Header.Get("Subject"); !strings.HasPrefix(subj, "Re: ") {
		t.Errorf("Subject %q", subj)
	}

	// Both were first posts, from the web.
	fp, err := s.FirstPosts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if fp["web"] != 2 || fp["mail"] != 0 {
		t.Errorf("first posts %v, want web 2", fp)
	}
}

func TestWebPostSameFormOnce(t *testing.T) {
	s, db, _ := newService(t)
	ctx := context.Background()
	wp := WebPost{List: "kita", Address: "anna@example.net", Subject: "Einmal", Text: "nur einmal", Key: "same"}
	first, err := s.PostFromWeb(ctx, wp)
	if err != nil {
		t.Fatal(err)
	}
	second, err := s.PostFromWeb(ctx, wp)
	if err != nil {
		t.Fatal(err)
	}
	if !second.Duplicate || second.ID != first.ID {
		t.Fatalf("second send %+v, first %+v: want the same post", second, first)
	}
	th, err := db.Thread(ctx, mustList(t, s, "kita").ID, first.ThreadID)
	if err != nil || len(th) != 1 {
		t.Fatalf("thread has %d posts (%v), want 1", len(th), err)
	}
}

func TestWebPostBadInput(t *testing.T) {
	s, _, _ := newService(t)
	ctx := context.Background()
	l := mustList(t, s, "kita")
	l.MaxSize = 2000
	if err := s.st.SaveList(ctx, l); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name  string
		wp    WebPost
		field string
	}{
		{"empty text", WebPost{Subject: "x", Text: " \n\n "}, "text"},
		{"no subject", WebPost{Text: "x"}, "subject"},
		{"over the list's size", WebPost{Subject: "x", Text: strings.Repeat("a", 2001)}, "text"},
		{"text as a photo", WebPost{Subject: "x", Text: "x", Files: []Attachment{{Type: "image/jpeg", Data: []byte("hello")}}}, "attachment"},
		{"photo as a pdf", WebPost{Subject: "x", Text: "x", Files: []Attachment{{Type: "application/pdf", Data: jpegBytes}}}, "attachment"},
		{"four files", WebPost{Subject: "x", Text: "x", Files: make([]Attachment, 4)}, "attachment"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.wp.List, tt.wp.Address = "kita", "anna@example.net"
			_, err := s.PostFromWeb(ctx, tt.wp)
			var fe *InputError
			if !errors.As(err, &fe) || fe.Field != tt.field {
				t.Fatalf("err %v, want a field error on %s", err, tt.field)
			}
		})
	}
	if _, err := s.PostFromWeb(ctx, WebPost{List: "kita", Address: "stranger@example.net", Subject: "x", Text: "x"}); !errors.Is(err, ErrNoSuchMember) {
		t.Errorf("a stranger's web post: %v", err)
	}
}

func TestCheckAttachment(t *testing.T) {
	pdf := []byte("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
	for _, tt := range []struct {
		name string
		a    Attachment
		want string // the type, or the error key
	}{
		{"jpeg", Attachment{Type: "image/jpeg", Data: jpegBytes}, "image/jpeg"},
		{"jpeg without a declared type", Attachment{Type: "application/octet-stream", Data: jpegBytes}, "image/jpeg"},
		{"pdf", Attachment{Type: "application/pdf", Data: pdf}, "application/pdf"},
		{"jpeg that says png", Attachment{Type: "image/png", Data: jpegBytes}, "write_bad_file"},
		{"html that says jpeg", Attachment{Type: "image/jpeg", Data: []byte("<html><script>")}, "write_bad_file"},
		{"zip", Attachment{Type: "application/zip", Data: []byte("PK\x03\x04")}, "write_bad_file"},
		{"photo too big", Attachment{Type: "image/jpeg", Data: append(jpegBytes, make([]byte, MaxPhotoSize)...)}, "write_photo_too_big"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CheckAttachment(tt.a)
			var fe *InputError
			if errors.As(err, &fe) {
				got = fe.Key
			}
			if got != tt.want {
				t.Errorf("got %q (%v), want %q", got, err, tt.want)
			}
		})
	}
}

func TestWebPhotoLosesMetadata(t *testing.T) {
	s, db, _ := newService(t)
	ctx := context.Background()
	photo := jpegWithExif()
	res, err := s.PostFromWeb(ctx, WebPost{List: "kita", Address: "anna@example.net", Subject: "Foto", Text: "siehe Foto",
		Files: []Attachment{{Name: "Lisa Müller.jpg", Type: "image/jpeg", Data: photo}}, Key: "photo"})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := db.Raw(ctx, res.ID)
	if bytes.Contains(raw, []byte("Lisa")) {
		t.Error("the file's own name was sent on")
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	_, params, _ := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	mr := multipart.NewReader(msg.Body, params["boundary"])
	found := false
	for {
		part, err := mr.NextPart()
		if err != nil {
			break
		}
		if part.Header.Get("Content-Type") != "image/jpeg" {
			continue
		}
		found = true
		b, _ := io.ReadAll(base64.NewDecoder(base64.StdEncoding, part))
		if bytes.Contains(b, []byte("GPS-somewhere")) || !bytes.HasPrefix(b, []byte{0xFF, 0xD8}) {
			t.Errorf("photo not cleaned: %q", b)
		}
	}
	if !found {
		t.Error("no photo in the post")
	}
}

// jpegWithExif is a small JPEG with an APP1 Exif segment.
func jpegWithExif() []byte {
	var b bytes.Buffer
	b.Write([]byte{0xFF, 0xD8})
	exif := []byte("Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08\x00\x00GPS-somewhere")
	b.Write([]byte{0xFF, 0xE1, byte((len(exif) + 2) >> 8), byte(len(exif) + 2)})
	b.Write(exif)
	b.Write([]byte{0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00})
	b.Write([]byte{0x12, 0x34, 0x56})
	b.Write([]byte{0xFF, 0xD9})
	return b.Bytes()
}

func TestFollowAndMute(t *testing.T) {
	s, db, _ := newService(t)
	ctx := context.Background()
	if _, err := s.AddMember(ctx, "kita", "dora@example.net", MemberOptions{Mode: "digest"}); err != nil {
		t.Fatal(err)
	}
	first, err := s.PostFromWeb(ctx, WebPost{List: "kita", Address: "anna@example.net", Subject: "Thema", Text: "a", Key: "1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Follow(ctx, "kita", "dora@example.net", first.ThreadID, store.Following); err != nil {
		t.Fatal(err)
	}
	if err := s.Follow(ctx, "kita", "ben@example.net", first.ThreadID, store.Muted); err != nil {
		t.Fatal(err)
	}
	if err := deliver(t, s, "anna@example.net", "kita@lists.example.org", "From: anna@example.net\r\nSubject: Re: Thema\r\n"+
		"Message-ID: <r1@example.net>\r\nIn-Reply-To: <"+first.MessageID+">\r\n\r\nnoch was\r\n"); err != nil {
		t.Fatal(err)
	}
	l := mustList(t, s, "kita")
	th, _ := db.Thread(ctx, l.ID, first.ThreadID)
	if len(th) != 2 {
		t.Fatalf("thread has %d posts", len(th))
	}
	got := copiesOf(t, db, th[1].ID)
	if !got["dora@example.net"] || got["ben@example.net"] || !got["anna@example.net"] {
		t.Fatalf("copies %v: want the follower (digest) and the author, not the muted member", got)
	}
	// The follower's copy carries a one-click link that unfollows.
	ds, _ := db.Deliveries(ctx, []string{"queued"}, 1000, 0)
	var doraCopy *store.Delivery
	for _, d := range ds {
		if d.MessageID == th[1].ID && d.Rcpt == "dora@example.net" {
			doraCopy = d
		}
	}
	c, err := s.Render(ctx, doraCopy)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	c.Message.WriteTo(&out)
	m, err := mail.ReadMessage(&out)
	if err != nil {
		t.Fatal(err)
	}
	lu := m.Header.Get("List-Unsubscribe")
	i := strings.Index(lu, "/kita/unfollow/")
	if i < 0 || m.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
		t.Fatalf("List-Unsubscribe %q", lu)
	}
	tok := lu[i+len("/kita/unfollow/"):]
	tok = tok[:strings.IndexByte(tok, '>')]
	if _, err := s.Unfollow(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.FollowState(ctx, "kita", "dora@example.net", first.ThreadID); st != "" {
		t.Errorf("after unfollow: %q", st)
	}
	if _, err := s.Unfollow(ctx, tok+"x"); !errors.Is(err, ErrBadToken) {
		t.Errorf("forged token: %v", err)
	}
}

func TestAskBecomesMemberAndPost(t *testing.T) {
	s, db, _ := newService(t)
	ctx := context.Background()
	ask := AskRequest{List: "kita", Email: "Visitor+x@Example.net", Name: "Mona", Postal: "50667", Mode: "thread",
		Subject: "Wie finde ich einen Kitaplatz?", Text: "Hallo,\nich suche…", Lang: "de"}
	for _, bad := range []struct {
		mod   func(*AskRequest)
		field string
	}{
		{func(a *AskRequest) { a.Postal = "5066" }, "postal"},
		{func(a *AskRequest) { a.Email = "kein" }, "email"},
		{func(a *AskRequest) { a.Mode = "nomail" }, "mode"},
		{func(a *AskRequest) { a.Text = "  " }, "text"},
	} {
		a := ask
		bad.mod(&a)
		var fe *InputError
		if err := s.Ask(ctx, a); !errors.As(err, &fe) || fe.Field != bad.field {
			t.Errorf("%+v: err %v, want field %s", a, err, bad.field)
		}
	}
	if err := s.Ask(ctx, ask); err != nil {
		t.Fatal(err)
	}
	ms := queuedMails(t, db)
	raw := strings.ReplaceAll(string(ms[len(ms)-1].Raw), "=\r\n", "")
	if strings.Contains(raw, "Kitaplatz") || strings.Contains(raw, "Mona") {
		t.Error("the confirmation mail carries what the stranger wrote")
	}
	i := strings.Index(raw, "/kita/ask/")
	if i < 0 {
		t.Fatalf("no link in %s", raw)
	}
	tok := raw[i+len("/kita/ask/"):]
	tok = tok[:strings.IndexAny(tok, " \r\n")]
	if _, err := db.Member(ctx, mustList(t, s, "kita").ID, "visitor+x@example.net"); err == nil {
		t.Fatal("a member before confirming")
	}
	res, err := s.ConfirmAsk(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	m, err := db.Member(ctx, mustList(t, s, "kita").ID, "visitor+x@example.net")
	if err != nil || m.Mode != "nomail" || m.Name != "Mona" || m.Postal != "50667" {
		t.Fatalf("member %+v %v", m, err)
	}
	if res.Held || res.ThreadID == 0 {
		t.Fatalf("result %+v", res)
	}
	if st, _ := s.FollowState(ctx, "kita", "visitor+x@example.net", res.ThreadID); st != store.Following {
		t.Errorf("the asker does not follow their thread: %q", st)
	}
	if _, err := s.ConfirmAsk(ctx, tok); !errors.Is(err, ErrBadToken) {
		t.Errorf("the link used twice: %v", err)
	}
	// A reply by mail reaches the asker, who is in nomail mode.
	if err := deliver(t, s, "ben@example.net", "kita@lists.example.org", "From: ben@example.net\r\nSubject: Re: x\r\n"+
		"Message-ID: <b1@example.net>\r\nIn-Reply-To: <"+res.MessageID+">\r\n\r\nFrag beim Jugendamt.\r\n"); err != nil {
		t.Fatal(err)
	}
	th, _ := db.Thread(ctx, mustList(t, s, "kita").ID, res.ThreadID)
	if len(th) != 2 || !copiesOf(t, db, th[1].ID)["visitor+x@example.net"] {
		t.Fatal("the asker got no copy of the reply")
	}
}

func TestAskMailLimitPerMailbox(t *testing.T) {
	s, _, _ := newService(t)
	ctx := context.Background()
	var err error
	for i := 0; i < 20 && err == nil; i++ {
		// Case and +tag fold to one mailbox.
		err = s.Ask(ctx, AskRequest{List: "kita", Email: "Victim+" + strings.Repeat("x", i) + "@example.net", Subject: "s", Text: "t", Mode: "each"})
	}
	if !errors.Is(err, ErrRateLimited) {
		t.Fatalf("no limit: %v", err)
	}
}

func TestSMTPCannotClaimWebProof(t *testing.T) {
	// The web's proof lives only in the authorship of the web path: a transaction's
	// is empty, whatever the message says.
	s, _, _ := newService(t)
	txn, _ := s.Begin(context.Background(), Client{}, "anna@example.net")
	if a := txn.authorship([]byte("X-Listd-Web: anna@example.net\r\n\r\n")); a.web != "" {
		t.Fatal("an SMTP transaction carries a web proof")
	}
}

func FuzzWebMessage(f *testing.F) {
	f.Add("Betreff", "Hallo\n\nText mit <b>HTML</b> und https://example.org", "Mona")
	f.Add("=?utf-8?q?x?=", "From: evil@example.org\r\n\r\nbody", "A \"B\" <c>")
	f.Add("", "\x00\xff", "")
	s, _, _ := newService(f)
	l, _ := s.List(context.Background(), "kita")
	f.Fuzz(func(t *testing.T, subject, text, name string) {
		m := &store.Member{ListID: l.ID, Address: "anna@example.net", Name: name}
		raw, err := s.buildWebMessage(context.Background(), l, m, "x@lists.example.org", WebPost{Subject: subject, Text: text})
		if err != nil {
			var fe *InputError
			if !errors.As(err, &fe) {
				t.Fatal(err)
			}
			return
		}
		p, err := archive.Parse(raw)
		if err != nil {
			t.Fatalf("unreadable: %v\n%s", err, raw)
		}
		if p.FromAddr != "anna@example.net" || p.MessageID != "x@lists.example.org" {
			t.Fatalf("From %q Message-ID %q", p.FromAddr, p.MessageID)
		}
	})
}

func FuzzCheckAttachment(f *testing.F) {
	f.Add("image/jpeg", jpegBytes)
	f.Add("application/pdf", []byte("%PDF-1.7"))
	f.Add("image/png; x=1", []byte("\x89PNG\r\n\x1a\n"))
	f.Fuzz(func(t *testing.T, typ string, data []byte) {
		got, err := CheckAttachment(Attachment{Type: typ, Data: data})
		if err == nil && !allowedFiles[got] {
			t.Fatalf("accepted %q", got)
		}
	})
}

// BenchmarkPostFromWeb is a web post from submit to commit on a list of 1,000
// members: the message built, the intake, one synced transaction.
func BenchmarkPostFromWeb(b *testing.B) {
	s, db, _ := newService(b)
	ctx := context.Background()
	l, _ := s.List(ctx, "kita")
	ms := make([]*store.Member, 1000)
	for i := range ms {
		ms[i] = &store.Member{ListID: l.ID, Address: "m" + strconv.Itoa(i) + "@example.net", Mode: "each", Role: "member"}
	}
	if _, err := db.ImportMembers(ctx, ms); err != nil {
		b.Fatal(err)
	}
	text := strings.Repeat("Liebe Eltern, nach den Sommerferien möchten wir Sie herzlich einladen.\n", 40)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.PostFromWeb(ctx, WebPost{List: "kita", Address: "anna@example.net", Subject: "Elternabend " + strconv.Itoa(i),
			Text: text, Key: strconv.Itoa(i)}); err != nil {
			b.Fatal(err)
		}
	}
}

func TestExportHasQuestionsAndFollows(t *testing.T) {
	s, _, _ := newService(t)
	ctx := context.Background()
	if err := s.Ask(ctx, AskRequest{List: "kita", Email: "anna@example.net", Mode: "each", Subject: "Offene Frage", Text: "noch nicht bestätigt"}); err != nil {
		t.Fatal(err)
	}
	res, err := s.PostFromWeb(ctx, WebPost{List: "kita", Address: "anna@example.net", Subject: "Thema", Text: "x", Key: "e"})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := s.Export(ctx, "anna@example.net")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), "noch nicht bestätigt") || !strings.Contains(string(doc), `"thread": `+strconv.FormatInt(res.ThreadID, 10)) {
		t.Fatalf("export lacks the question or the follow:\n%s", doc)
	}
	if _, _, err := s.Erase(ctx, "anna@example.net"); err != nil {
		t.Fatal(err)
	}
	doc, _ = s.Export(ctx, "anna@example.net")
	if strings.Contains(string(doc), "noch nicht bestätigt") || strings.Contains(string(doc), "threads_followed") {
		t.Fatalf("erasure left the question or the follow:\n%s", doc)
	}
}

// A banned address does not join a list by asking a question: the ban holds
// whether it came before the question or between the question and its link.
func TestAskBannedDoesNotJoin(t *testing.T) {
	s, db, _ := newService(t)
	ctx := context.Background()
	ask := AskRequest{List: "kita", Email: "Stalker+q@Example.net", Mode: "each", Subject: "Hallo", Text: "Wer ist hier?", Lang: "de"}
	if err := s.Ask(ctx, ask); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddBan(ctx, Actor("owner@example.org"), "kita", "stalker@example.net"); err != nil {
		t.Fatal(err)
	}
	ms := queuedMails(t, db)
	raw := strings.ReplaceAll(string(ms[len(ms)-1].Raw), "=\r\n", "")
	i := strings.Index(raw, "/kita/ask/")
	if i < 0 {
		t.Fatalf("no link in %s", raw)
	}
	tok := raw[i+len("/kita/ask/"):]
	tok = tok[:strings.IndexAny(tok, " \r\n")]
	if _, err := s.ConfirmAsk(ctx, tok); !errors.Is(err, ErrBanned) {
		t.Errorf("confirm of a banned address: %v, want ErrBanned", err)
	}
	if m, err := db.Member(ctx, mustList(t, s, "kita").ID, "stalker+q@example.net"); err == nil {
		t.Errorf("a banned address joined by asking: %+v", m)
	}
}

// A form's key makes one post on its list: the same key on another list is
// another post there, not an answer that it waits for the moderators while
// nothing was kept.
func TestWebPostKeyIsPerList(t *testing.T) {
	s, db, _ := newService(t)
	ctx := context.Background()
	if _, err := s.CreateList(ctx, "schule", ListOptions{Title: "Schule"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddMemberBy(ctx, Actor("owner@example.org"), "schule", "anna@example.net", MemberOptions{Mode: "each"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PostFromWeb(ctx, WebPost{List: "kita", Address: "anna@example.net", Subject: "Eins", Text: "eins", Key: "k"}); err != nil {
		t.Fatal(err)
	}
	res, err := s.PostFromWeb(ctx, WebPost{List: "schule", Address: "anna@example.net", Subject: "Zwei", Text: "zwei", Key: "k"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Duplicate || res.ThreadID == 0 {
		t.Fatalf("the same key on another list: %+v", res)
	}
	if th, err := db.Thread(ctx, mustList(t, s, "schule").ID, res.ThreadID); err != nil || len(th) != 1 {
		t.Errorf("post on the second list: %d, %v", len(th), err)
	}
}
