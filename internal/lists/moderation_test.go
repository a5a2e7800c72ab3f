package lists

import (
	"bytes"
	"context"
	"errors"
	"mime"
	"net/mail"
	"strings"
	"testing"
	"time"

	"listd/internal/archive"
	"listd/internal/store"
)

func TestHoldReason(t *testing.T) {
	s, _, _ := newService(t)
	base := store.List{Name: "kita", Moderation: "none", Nonmember: "hold", FirstPosts: 1}
	member := &store.Member{Posts: 3}
	newbie := &store.Member{}
	tests := []struct {
		name   string
		list   func(l *store.List)
		m      *store.Member
		parsed archive.Parsed
		size   int
		want   string
	}{
		{"plain", nil, member, archive.Parsed{Subject: "Hallo"}, 100, ""},
		{"emergency", func(l *store.List) { l.Emergency = true }, member, archive.Parsed{}, 100, "emergency"},
		{"all", func(l *store.List) { l.Moderation = "all" }, member, archive.Parsed{}, 100, "moderated"},
		{"first post", func(l *store.List) { l.Moderation = "first-post" }, newbie, archive.Parsed{}, 100, "first_post"},
		{"after first posts", func(l *store.List) { l.Moderation = "first-post" }, member, archive.Parsed{}, 100, ""},
		{"trusted newbie", func(l *store.List) { l.Moderation = "first-post" }, &store.Member{Trusted: true}, archive.Parsed{}, 100, ""},
		{"size", func(l *store.List) { l.MaxSize = 1000 }, member, archive.Parsed{}, 2000, "size: 2000 1000"},
		{"attachment", nil, member, archive.Parsed{Attachments: []string{"application/x-msdownload"}}, 100, "attachment: application/x-msdownload"},
		{"allowed attachment", nil, member, archive.Parsed{Attachments: []string{"image/jpeg", "application/pdf"}}, 100, ""},
		{"list attachment types", func(l *store.List) { l.AttachmentTypes = []string{"image/*"} }, member,
			archive.Parsed{Attachments: []string{"application/pdf"}}, 100, "attachment: application/pdf"},
		{"keyword", func(l *store.List) { l.HoldKeywords = []string{"Anwalt"} }, member,
			archive.Parsed{Text: "Kennt jemand einen ANWALT?"}, 100, "keyword: anwalt"},
		{"crisis held by default", nil, member, archive.Parsed{Text: "Ich kann nicht mehr, ich will nicht mehr leben"}, 100, "crisis: nicht mehr leben"},
		{"crisis before moderation", func(l *store.List) { l.Moderation = "all" }, member,
			archive.Parsed{Subject: "Suizid"}, 100, "crisis: suizid"},
		{"crisis published", func(l *store.List) { l.Crisis = "publish" }, member, archive.Parsed{Text: "nicht mehr leben"}, 100, ""},
	}
	s.cfg.CounselSettings.CrisisWords = []string{"Suizid", "nicht mehr leben"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := base
			if tt.list != nil {
				tt.list(&l)
			}
			r, ok := s.holdReason(&l, tt.m, false, &tt.parsed, tt.size)
			if got := r.String(); ok != (tt.want != "") || ok && got != tt.want {
				t.Errorf("holdReason = %q (%v), want %q", got, ok, tt.want)
			}
		})
	}
}

func TestHeldExpiresAndSummaries(t *testing.T) {
	s, db, _ := newService(t)
	c := &clock{t: time.Now()}
	s.cfg.Now = c.now
	ctx := context.Background()
	if _, err := s.AddMember(ctx, "kita", "mod@example.org", MemberOptions{Role: "moderator", Mode: "nomail"}); err != nil {
		t.Fatal(err)
	}
	if err := deliver(t, s, "gast@example.com", "kita@lists.example.org", "From: gast@example.com\r\nSubject: Frage\r\nMessage-ID: <h1@x>\r\n\r\nHallo\r\n"); err != nil {
		t.Fatal(err)
	}
	held, _ := s.HeldPosts(ctx, "mod@example.org")
	if len(held) != 1 {
		t.Fatalf("held: %d", len(held))
	}
	kinds := func() map[string]int {
		out := map[string]int{}
		for _, m := range queuedMails(t, db) {
			out[m.Kind]++
		}
		return out
	}
	if k := kinds(); k["moderate"] != 1 || k["held"] != 1 {
		t.Fatalf("mails after holding: %v", k)
	}
	c.t = c.t.Add(25 * time.Hour)
	s.Maintain(ctx)
	s.Maintain(ctx) // the summary goes once a day, not once an hour
	if k := kinds(); k["mod-summary"] != 1 {
		t.Errorf("summaries: %v", k)
	}
	c.t = c.t.Add(14 * 24 * time.Hour)
	if err := s.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	if k := kinds(); k["expired"] != 1 {
		t.Errorf("expiry notice: %v", k)
	}
	err := s.Moderate(ctx, held[0].Held.ID, ModApprove, "", "cli")
	var dec *ErrDecided
	if !errors.As(err, &dec) || dec.State != "expired" {
		t.Errorf("approving an expired post: %v", err)
	}
	log, _ := db.ModerationLog(ctx, held[0].Held.ID)
	if len(log) != 2 || log[0].Action != "held" || log[1].Action != "expire" {
		t.Errorf("log: %+v", log)
	}
}

// A list with neither moderators nor owners holds a post for the site admins, who get
// the notice in the site's language and may decide by replying to it; without site
// admins either, the post is refused.
func TestSiteAdminsDecideWithoutModerators(t *testing.T) {
	tests := []struct {
		name      string
		config    []string // the config file's admins
		stored    string   // added with AddSiteAdmin
		lang      string   // the site's
		wantTo    string
		wantTitle string
	}{
		{"nobody", nil, "", "de", "", ""},
		{"config admin", []string{"Admin+Site@Example.org"}, "", "de", "admin@example.org", "Freigabe nötig"},
		{"stored admin", nil, "Chefin@example.org", "en", "chefin@example.org", "Approval needed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, db, _ := newService(t)
			s.cfg.Admins, s.cfg.Language = tt.config, tt.lang
			ctx := context.Background()
			if tt.stored != "" {
				if _, err := s.AddSiteAdmin(ctx, ActorCLI, tt.stored); err != nil {
					t.Fatal(err)
				}
			}
			err := deliver(t, s, "gast@example.com", "kita@lists.example.org", "From: gast@example.com\r\nSubject: Frage\r\nMessage-ID: <sa1@x>\r\n\r\nHallo\r\n")
			var rej *Rejection
			if tt.wantTo == "" {
				if !errors.As(err, &rej) || rej.Code != 550 || rej.Enhanced != [3]int{5, 7, 1} {
					t.Fatalf("post to a list nobody moderates: %v, want 550 5.7.1", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("post refused: %v", err)
			}
			ds, err := db.Deliveries(ctx, []string{"queued"}, 1000, 0)
			if err != nil {
				t.Fatal(err)
			}
			var notice []byte
			for _, d := range ds {
				m, err := db.Mail(ctx, d.MailID)
				if err != nil {
					t.Fatal(err)
				}
				if m.Kind == "moderate" {
					if d.Rcpt != tt.wantTo || notice != nil {
						t.Fatalf("notice to %s", d.Rcpt)
					}
					notice = m.Raw
				}
			}
			if notice == nil {
				t.Fatal("no moderation notice")
			}
			msg, err := mail.ReadMessage(bytes.NewReader(notice))
			if err != nil {
				t.Fatal(err)
			}
			if subj, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); !strings.Contains(subj, tt.wantTitle) {
				t.Errorf("notice subject %q, want %q", subj, tt.wantTitle)
			}
			held, _ := s.HeldPosts(ctx, tt.wantTo)
			if len(held) != 1 {
				t.Fatalf("held for the site admin: %d", len(held))
			}
			// The admin approves by replying to the notice.
			replyTo, err := mail.ParseAddress(msg.Header.Get("Reply-To"))
			if err != nil {
				t.Fatal(err)
			}
			reply := "From: " + tt.wantTo + "\r\nSubject: Re: x\r\nMessage-ID: <sa2@x>\r\n\r\nok\r\n"
			if err := deliver(t, s, tt.wantTo, replyTo.Address, reply); err != nil {
				t.Fatal(err)
			}
			h, _ := db.HeldByID(ctx, held[0].Held.ID)
			if HeldState(h.State) == HeldWaiting || h.DecidedBy != tt.wantTo {
				t.Errorf("after the admin's reply: %s by %q", h.State, h.DecidedBy)
			}
		})
	}
}
