package lists

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"time"

	"listd/internal/store"
)

// exportDoc is what `listd user export` writes: everything stored about a person.
type exportDoc struct {
	Address      string              `json:"address"`
	ExportedAt   time.Time           `json:"exported_at"`
	Memberships  []exportMember      `json:"memberships"`
	Posts        []exportPost        `json:"posts"`
	HeldPosts    []exportHeld        `json:"held_posts"`
	Pending      []exportPending     `json:"pending_requests"`
	Sessions     int                 `json:"web_sessions"`
	Mbox         string              `json:"posts_mbox"`
	Relays       []exportRelay       `json:"private_reply_relays"`
	Blocks       []exportBlock       `json:"private_reply_blocks"`
	AppPasswords []exportAppPassword `json:"imap_app_passwords"`
	SeenFlags    int                 `json:"imap_seen_flags"`
	Questions    []exportQuestion    `json:"questions_waiting,omitempty"` // webpost.go
	Threads      []exportThread      `json:"threads_followed_or_muted,omitempty"`
}

type exportMember struct {
	List         string     `json:"list"`
	Name         string     `json:"name"`
	Mode         string     `json:"mode"`
	Role         string     `json:"role"`
	PostalCode   string     `json:"postal_code"`
	Language     string     `json:"language"`
	ConsentText  string     `json:"consent_text,omitempty"`
	ConsentAt    *time.Time `json:"consent_at,omitempty"`
	Joined       time.Time  `json:"joined"`
	Posts        int        `json:"posts"`
	BounceScore  float64    `json:"bounce_score"`
	Disabled     bool       `json:"delivery_disabled"`
	AutoReplies  bool       `json:"counselling_replies"`
	DigestFormat string     `json:"digest_format"`
}

type exportPost struct {
	List      string    `json:"list"`
	ID        int64     `json:"id"`
	MessageID string    `json:"message_id"`
	Subject   string    `json:"subject"`
	Date      time.Time `json:"date"`
}

type exportHeld struct {
	List    string `json:"list"`
	Subject string `json:"subject"`
	State   string `json:"state"`
	Reason  string `json:"reason"`
}

type exportAppPassword struct {
	Label    string     `json:"label"`
	Created  time.Time  `json:"created"`
	LastUsed *time.Time `json:"last_used,omitempty"`
}

type exportPending struct {
	List   string `json:"list"`
	Action string `json:"action"`
}

// Export returns everything stored about address as JSON, with the posts as an mbox.
func (s *Service) Export(ctx context.Context, address string) ([]byte, error) {
	addr, _, err := NormalizeAddress(address)
	if err != nil {
		return nil, err
	}
	ps := s.st
	ex, err := ps.ExportAddress(ctx, addr)
	if err != nil {
		return nil, err
	}
	doc := exportDoc{Address: addr, ExportedAt: s.cfg.Now().UTC(), Sessions: ex.Sessions,
		Memberships: []exportMember{}, Posts: []exportPost{}, HeldPosts: []exportHeld{}, Pending: []exportPending{}}
	for _, m := range ex.Memberships {
		em := exportMember{List: ex.Lists[m.ListID], Name: m.Name, Mode: m.Mode, Role: m.Role, PostalCode: m.Postal,
			Language: m.Language, ConsentText: m.ConsentText, Joined: m.CreatedAt, Posts: m.Posts, BounceScore: m.BounceScore,
			Disabled: !m.DisabledAt.IsZero(), AutoReplies: m.AutoReplies, DigestFormat: m.DigestFormat}
		if !m.ConsentAt.IsZero() {
			t := m.ConsentAt
			em.ConsentAt = &t
		}
		doc.Memberships = append(doc.Memberships, em)
	}
	var mbox bytes.Buffer
	for _, m := range ex.Posts {
		doc.Posts = append(doc.Posts, exportPost{List: ex.Lists[m.ListID], ID: m.ID, MessageID: m.MessageID, Subject: m.Subject, Date: m.Date})
		mbox.WriteString("From " + addr + " " + m.Date.UTC().Format("Mon Jan _2 15:04:05 2006") + "\n")
		raw := bytes.ReplaceAll(ex.Raw[m.ID], []byte("\r\n"), []byte("\n"))
		// mboxrd: quote From lines inside the message.
		for _, line := range bytes.SplitAfter(raw, []byte("\n")) {
			if bytes.HasPrefix(bytes.TrimLeft(line, ">"), []byte("From ")) {
				mbox.WriteByte('>')
			}
			mbox.Write(line)
		}
		if !bytes.HasSuffix(raw, []byte("\n")) {
			mbox.WriteByte('\n')
		}
		mbox.WriteByte('\n')
	}
	doc.Mbox = mbox.String()
	for _, h := range ex.Held {
		doc.HeldPosts = append(doc.HeldPosts, exportHeld{List: ex.Lists[h.ListID], Subject: h.Subject, State: h.State, Reason: h.Reason})
	}
	for _, p := range ex.Pending {
		doc.Pending = append(doc.Pending, exportPending{List: ex.Lists[p.ListID], Action: p.Action})
	}
	doc.Relays, doc.Blocks = s.exportPrivReplies(ex)
	doc.AppPasswords, doc.SeenFlags = []exportAppPassword{}, ex.SeenFlags
	for _, p := range ex.AppPasswords {
		ep := exportAppPassword{Label: p.Label, Created: p.CreatedAt}
		if !p.LastUsed.IsZero() {
			t := p.LastUsed
			ep.LastUsed = &t
		}
		doc.AppPasswords = append(doc.AppPasswords, ep)
	}
	doc.Questions, doc.Threads = exportWriting(ex)
	return json.MarshalIndent(doc, "", "  ")
}

// Erase removes address and its personal data; its posts are anonymized or deleted
// as the site's policy says (Config.ErasePosts, returned with the result).
func (s *Service) Erase(ctx context.Context, address string) (*store.Erased, ErasePolicy, error) {
	e, err := s.erase(ctx, address, s.cfg.ErasePosts.DeletesPosts())
	return e, s.cfg.ErasePosts, err
}

// erase removes address and its personal data. Its posts are deleted when
// deletePosts is set, else kept with the address and the names it used replaced.
func (s *Service) erase(ctx context.Context, address string, deletePosts bool) (*store.Erased, error) {
	addr, _, err := NormalizeAddress(address)
	if err != nil {
		return nil, err
	}
	ps := s.st
	ex, err := ps.ExportAddress(ctx, addr)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var names []string
	add := func(n string) {
		n = strings.TrimSpace(n)
		if len(n) >= 3 && !seen[strings.ToLower(n)] {
			seen[strings.ToLower(n)] = true
			names = append(names, n)
		}
	}
	for _, m := range ex.Memberships {
		add(m.Name)
	}
	for _, m := range ex.Posts {
		add(m.FromName)
	}
	e, err := ps.EraseAddress(ctx, addr, names, deletePosts)
	if err != nil {
		return nil, err
	}
	// Copies still being rendered must not use a cached post that was just scrubbed.
	s.mu.Lock()
	s.prepared = map[int64]*preparedEntry{}
	s.mu.Unlock()
	s.log.Info("address erased", "memberships", e.Memberships, "posts", e.Posts)
	return e, nil
}
