package lists

import (
	"bytes"
	"context"
	"mime"
	"net/mail"
	"strings"
	"testing"

	"listd/internal/i18n"
	"listd/internal/store"
)

// TestHoldReasonTexts: every hold code has a text in every language, German and
// English differ, and a detail fills the text's place for it.
func TestHoldReasonTexts(t *testing.T) {
	cat := i18n.Default()
	for _, c := range holdCodes {
		if !cat.Has("hold." + string(c)) {
			t.Errorf("no text hold.%s", c)
			continue
		}
		de, en := holdText(cat, i18n.German, holdFor(c, "X1", "X2")), holdText(cat, i18n.English, holdFor(c, "X1", "X2"))
		if de == en || strings.Contains(de, "%!") || strings.Contains(en, "%!") {
			t.Errorf("%s: %q / %q", c, de, en)
		}
	}
}

// TestHeldReasonInReadersLanguage: a held post keeps its reason as a code, and each
// reader sees it in their language; a row held before codes shows its stored text.
func TestHeldReasonInReadersLanguage(t *testing.T) {
	s, db, _ := newService(t)
	ctx := context.Background()
	if _, err := s.AddMember(ctx, "kita", "mod@example.org", MemberOptions{Role: "moderator", Mode: "nomail"}); err != nil {
		t.Fatal(err)
	}
	setLanguage(t, db, "mod@example.org", "en")
	if err := deliver(t, s, "gast@example.com", "kita@lists.example.org", "From: gast@example.com\r\nSubject: Frage\r\nMessage-ID: <h1@x>\r\n\r\nHallo\r\n"); err != nil {
		t.Fatal(err)
	}
	held, err := s.HeldPosts(ctx, "mod@example.org")
	if err != nil || len(held) != 1 {
		t.Fatalf("held: %d %v", len(held), err)
	}
	h := held[0].Held
	if h.ReasonCode != string(HoldNonMember) {
		t.Fatalf("code %q", h.ReasonCode)
	}
	if got := s.HoldReasonText("de", h); got != "der Absender ist nicht Mitglied der Liste" {
		t.Errorf("de: %q", got)
	}
	if got := s.HoldReasonText("en", h); got != "the sender is not a member of the list" {
		t.Errorf("en: %q", got)
	}
	if got := held[0].ReasonIn("en"); got != "the sender is not a member of the list" {
		t.Errorf("HeldPost.ReasonIn: %q", got)
	}
	// The notice to the English-speaking moderator says it in English only.
	var notice string
	for _, m := range queuedMails(t, db) {
		if m.Kind == "moderate" {
			notice = qpText(m.Raw)
		}
	}
	if !strings.Contains(notice, "the sender is not a member of the list") || strings.Contains(notice, "nicht Mitglied") {
		t.Errorf("moderator notice:\n%s", notice)
	}
	old := &store.Held{Reason: "first post of a new member"}
	if got := s.HoldReasonText("de", old); got != old.Reason {
		t.Errorf("old row: %q", got)
	}
}

// TestCrisisPostHeldAndAnsweredAtOnce: by default a member's post with crisis words
// waits for the moderators, and its poster gets the crisis lines at once (saying that
// the post waits), not the plain held notice; with -crisis publish it goes out.
func TestCrisisPostHeldAndAnsweredAtOnce(t *testing.T) {
	s, db, _ := newService(t)
	ctx := context.Background()
	s.cfg.CounselSettings.CrisisWords = []string{"nicht mehr leben"}
	s.cfg.CounselSettings.CrisisLines = []string{"Telefonseelsorge 0800 111 0 111"}
	if _, err := s.AddMember(ctx, "kita", "mod@example.org", MemberOptions{Role: "moderator", Mode: "nomail"}); err != nil {
		t.Fatal(err)
	}
	post := "From: anna@example.net\r\nSubject: Abends\r\nMessage-ID: <c1@x>\r\n\r\nIch will nicht mehr leben.\r\n"
	if err := deliver(t, s, "anna@example.net", "kita@lists.example.org", post); err != nil {
		t.Fatal(err)
	}
	held, _ := s.HeldPosts(ctx, "")
	if len(held) != 1 || held[0].Held.ReasonCode != string(HoldCrisis) || held[0].Held.ReasonDetail != "nicht mehr leben" {
		t.Fatalf("held: %+v", held)
	}
	kinds := map[string]int{}
	var reply string
	for _, m := range queuedMails(t, db) {
		kinds[m.Kind]++
		if m.Kind == "crisis" {
			reply = qpText(m.Raw)
		}
	}
	if kinds["crisis"] != 1 || kinds["held"] != 0 || kinds["moderate"] != 1 {
		t.Fatalf("mails: %v", kinds)
	}
	if !strings.Contains(reply, "0800 111 0 111") || !strings.Contains(reply, "wartet noch") {
		t.Errorf("crisis reply:\n%s", reply)
	}
	// Approved, it gets no second reply and no flag.
	if err := s.Moderate(ctx, held[0].Held.ID, ModApprove, "", "cli"); err != nil {
		t.Fatal(err)
	}
	kinds = map[string]int{}
	for _, m := range queuedMails(t, db) {
		kinds[m.Kind]++
	}
	if kinds["crisis"] != 1 || kinds["crisis-flag"] != 0 {
		t.Errorf("after approval: %v", kinds)
	}

	if _, err := s.UpdateList(ctx, "kita", ListSettings{"crisis": "publish"}); err != nil {
		t.Fatal(err)
	}
	if err := deliver(t, s, "ben@example.net", "kita@lists.example.org", strings.ReplaceAll(strings.ReplaceAll(post, "anna", "ben"), "c1@", "c2@")); err != nil {
		t.Fatal(err)
	}
	if held, _ := s.HeldPosts(ctx, ""); len(held) != 0 {
		t.Errorf("held with -crisis publish: %d", len(held))
	}
}

// TestRefusalsGermanFirst: SMTP refusals say their sentence in German, then in
// English, with the codes unchanged.
func TestRefusalsGermanFirst(t *testing.T) {
	s, _, _ := newService(t)
	txn, err := s.Begin(context.Background(), Client{}, "x@example.com")
	if err != nil {
		t.Fatal(err)
	}
	err = txn.AddRcpt(context.Background(), "nosuch@lists.example.org")
	rej, ok := err.(*Rejection)
	if !ok || rej.Code != 550 || rej.Enhanced != [3]int{5, 1, 1} ||
		rej.Msg != "Die Liste nosuch@lists.example.org gibt es hier nicht. / There is no list nosuch@lists.example.org here." {
		t.Errorf("refusal: %v", err)
	}
}

func setLanguage(t *testing.T, db *store.DB, addr, lang string) {
	t.Helper()
	ctx := context.Background()
	l, err := db.ListByName(ctx, "kita")
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(ctx, func(tx *store.Tx) error {
		m, err := tx.Member(l.ID, addr)
		if err != nil {
			return err
		}
		m.Language = lang
		return tx.SaveMember(m)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestSignatureRemovedOnAnonymousLists: on an anonymous list a post's signature is
// neither stored, nor searchable, nor in the members' copies; the poster is told
// once. On a list that is not anonymous the signature stays.
func TestSignatureRemovedOnAnonymousLists(t *testing.T) {
	s, db, _ := newService(t)
	ctx := context.Background()
	post := func(id string) string {
		return "From: anna@example.net\r\nSubject: Kita-Platz\r\nMessage-ID: <" + id + "@x>\r\n\r\nWer hat einen Tipp?\r\n\r\n-- \r\nAnna Lindemann\r\nLindenstr. 5, 10115 Berlin\r\n0171 2345678\r\n"
	}
	for _, id := range []string{"s1", "s2"} {
		if err := deliver(t, s, "anna@example.net", "kita@lists.example.org", post(id)); err != nil {
			t.Fatal(err)
		}
	}
	l, _ := db.ListByName(ctx, "kita")
	msgs, err := db.Messages(ctx, l.ID, 10, 0)
	if err != nil || len(msgs) != 2 {
		t.Fatalf("archived: %d %v", len(msgs), err)
	}
	for _, m := range msgs {
		raw, _ := db.Raw(ctx, m.ID)
		if strings.Contains(string(raw), "Lindemann") || strings.Contains(string(raw), "0171") || !strings.Contains(string(raw), "Wer hat einen Tipp?") {
			t.Errorf("archived post:\n%s", raw)
		}
	}
	if hits, _ := db.Search(ctx, l.ID, "Lindemann", 10); len(hits) != 0 {
		t.Errorf("search finds the signature: %d hits", len(hits))
	}
	told := 0
	for _, m := range queuedMails(t, db) {
		if m.Kind == "signature" {
			told++
			if !strings.Contains(qpText(m.Raw), "Signatur") {
				t.Errorf("notice:\n%s", qpText(m.Raw))
			}
		}
	}
	if told != 1 {
		t.Errorf("told %d times, want once", told)
	}

	if _, err := s.UpdateList(ctx, "kita", ListSettings{"anonymous": "no"}); err != nil {
		t.Fatal(err)
	}
	if err := deliver(t, s, "anna@example.net", "kita@lists.example.org", post("s3")); err != nil {
		t.Fatal(err)
	}
	msgs, _ = db.Messages(ctx, l.ID, 10, 0)
	newest := msgs[0]
	for _, m := range msgs {
		if m.ID > newest.ID {
			newest = m
		}
	}
	if raw, _ := db.Raw(ctx, newest.ID); !strings.Contains(string(raw), "Anna Lindemann") {
		t.Errorf("signature removed on a list that is not anonymous:\n%s", raw)
	}
}

func TestHeldTextBlankLines(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"Hallo\r\n\r\n\r\n\r\nzusammen\r\n\r\n\r\n", "Hallo\n\nzusammen"},
		{"\n\nHallo  \n \nBen", "Hallo\n\nBen"},
		{"eins\nzwei", "eins\nzwei"},
	} {
		if got := heldText(tt.in); got != tt.want {
			t.Errorf("heldText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestCrisisFlagToDeciders: a published post with crisis words is flagged to whoever
// decides on the list's held posts, each in their language: its moderators or, when it
// has none, the site admins in the site's language.
func TestCrisisFlagToDeciders(t *testing.T) {
	tests := []struct {
		name      string
		moderator string // added as moderator with language en; "" for none
		admins    []string
		lang      string // the site's
		wantTo    string
		wantTitle string
	}{
		{"moderator", "mod@example.org", []string{"admin@example.org"}, "de", "mod@example.org", "Please look"},
		{"site admin", "", []string{"Admin+Site@Example.org"}, "en", "admin@example.org", "Please look"},
		{"site admin german", "", []string{"admin@example.org"}, "de", "admin@example.org", "Bitte ansehen"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, db, _ := newService(t)
			ctx := context.Background()
			s.cfg.Admins, s.cfg.Language = tt.admins, tt.lang
			s.cfg.CounselSettings.CrisisWords = []string{"nicht mehr leben"}
			s.cfg.CounselSettings.CrisisLines = []string{"Telefonseelsorge 0800 111 0 111"}
			if _, err := s.UpdateList(ctx, "kita", ListSettings{"crisis": "publish"}); err != nil {
				t.Fatal(err)
			}
			if tt.moderator != "" {
				if _, err := s.AddMember(ctx, "kita", tt.moderator, MemberOptions{Role: "moderator", Mode: "nomail"}); err != nil {
					t.Fatal(err)
				}
				setLanguage(t, db, tt.moderator, "en")
			}
			post := "From: anna@example.net\r\nSubject: Abends\r\nMessage-ID: <cf1@x>\r\n\r\nIch will nicht mehr leben.\r\n"
			if err := deliver(t, s, "anna@example.net", "kita@lists.example.org", post); err != nil {
				t.Fatal(err)
			}
			ds, err := db.Deliveries(ctx, []string{"queued"}, 1000, 0)
			if err != nil {
				t.Fatal(err)
			}
			var flags []string
			for _, d := range ds {
				if d.MailID == 0 {
					continue // a post to the members
				}
				m, err := db.Mail(ctx, d.MailID)
				if err != nil {
					t.Fatal(err)
				}
				if m.Kind != "crisis-flag" {
					continue
				}
				flags = append(flags, d.Rcpt)
				msg, err := mail.ReadMessage(bytes.NewReader(m.Raw))
				if err != nil {
					t.Fatal(err)
				}
				if subj, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); !strings.Contains(subj, tt.wantTitle) {
					t.Errorf("flag to %s: subject %q, want %q", d.Rcpt, subj, tt.wantTitle)
				}
			}
			if len(flags) != 1 || flags[0] != tt.wantTo {
				t.Fatalf("crisis flags to %v, want [%s]", flags, tt.wantTo)
			}
		})
	}
}
