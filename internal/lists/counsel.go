package lists

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"listd/internal/archive"
	"listd/internal/counsel"
	"listd/internal/store"
)

// Pointers to counselling centres: private replies that lead from the list to real
// help. Replies about a post go only to the member's registered address (a bare
// envelope sender or From can be forged, and a reply naming a topic can reach the
// wrong reader); a mail to beratung@ answers its sender, rate limited. Subjects stay
// neutral, replies go out from the null sender marked auto-replied (RFC 3834), and
// only aggregate counts are kept.

// CounselConfig is the site's settings for counselling replies.
type CounselConfig struct {
	Results     int
	RadiusKM    float64
	CrisisWords []string
	CrisisLines []string
}

// Directories gives the current counselling directory (implemented by *counsel.Live).
type Directories interface {
	Directory(ctx context.Context) (*counsel.Directory, error)
}

const (
	firstPostWindow = 30 * 24 * time.Hour
	crisisWindow    = 24 * time.Hour
)

// counselHit is one centre as the reply mail shows it.
type counselHit struct {
	Name, Organisation, Address, Distance, Phone, Email, Web, Hours, Languages, Map string
}

type counselData struct {
	mailData
	PostalCode, Place string
	Approximate       bool
	Nearby, Remote    []counselHit
	Crisis            []string
	OptOut            string
	NoCode            bool
	Held              bool // the post waits for the moderators
}

func hitsFor(hs []counsel.Hit) []counselHit {
	var out []counselHit
	for _, h := range hs {
		c := h.Center
		ch := counselHit{Name: c.Name, Organisation: c.Organisation, Phone: c.Phone, Email: c.Email, Web: c.Web,
			Hours: c.Hours, Languages: strings.Join(c.Languages, ", ")}
		ch.Address = strings.TrimSpace(strings.Join(nonEmpty(c.Street, strings.TrimSpace(c.PostalCode+" "+c.City)), ", "))
		if h.HasDistance {
			ch.Distance = strconv.FormatFloat(h.DistanceKM, 'f', 0, 64) + " km"
		}
		if c.HasCoords {
			ch.Map = MapURL(c.Lat, c.Lon)
		}
		out = append(out, ch)
	}
	return out
}

// MapURL links to OpenStreetMap at a point: a link, never an embedded map.
func MapURL(lat, lon float64) string {
	la, lo := strconv.FormatFloat(lat, 'f', 5, 64), strconv.FormatFloat(lon, 'f', 5, 64)
	return "https://www.openstreetmap.org/?mlat=" + url.QueryEscape(la) + "&mlon=" + url.QueryEscape(lo) + "#map=17/" + la + "/" + lo
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			out = append(out, s)
		}
	}
	return out
}

// FindCenters answers a search for centres near a postal code that serve topics.
func (s *Service) FindCenters(ctx context.Context, postal string, topics []string, kind string) (counsel.Result, error) {
	if s.cfg.Counsel == nil {
		return counsel.Result{}, fmt.Errorf("no counselling directory")
	}
	d, err := s.cfg.Counsel.Directory(ctx)
	if err != nil {
		return counsel.Result{}, err
	}
	res, err := d.Match(counsel.Query{PostalCode: postal, Topics: topics, K: s.cfg.CounselSettings.Results, RadiusKM: s.cfg.CounselSettings.RadiusKM})
	if err != nil {
		return res, err
	}
	s.countCounsel(ctx, topics, kind)
	return res, nil
}

func (s *Service) countCounsel(ctx context.Context, topics []string, kind string) {
	st := s.st
	month := s.cfg.Now().Format("2006-01")
	if len(topics) == 0 {
		topics = []string{""}
	}
	for _, t := range topics {
		if err := st.CountCounsel(ctx, month, t, kind); err != nil {
			s.log.Warn("counselling count", "err", err)
		}
	}
}

// counselReply queues a reply listing centres; it returns false when nothing was sent.
func (s *Service) counselReply(tx *store.Tx, l *store.List, to string, memberID int64, lang, kind string, res *counsel.Result,
	crisis []string, inReplyTo string, held bool) error {
	d := counselData{mailData: s.data(l), Crisis: crisis, OptOut: s.cfg.BaseURL + "/prefs", Held: held}
	if res != nil {
		d.PostalCode, d.Place, d.Approximate = res.PostalCode, res.Place, res.Approximate
		d.Nearby, d.Remote = hitsFor(res.Nearby), hitsFor(res.Remote)
	} else if kind == "counsel" {
		d.NoCode = true
	}
	// Replies about centres come from the search that answers mail, by its name.
	m := outMail{kind: kind, lang: lang, list: l, to: to, memberID: memberID, inReplyTo: inReplyTo, auto: "auto-replied", nullSender: true,
		fromAddr: "beratung@" + s.cfg.Domain, fromName: s.text(lang, "counsel_sender")}
	built, err := s.buildWith(m, d)
	if err != nil {
		return err
	}
	var listID int64
	if l != nil {
		listID = l.ID
	}
	return tx.QueueMail(built, []store.MailRcpt{{Address: to, ListID: listID, MemberID: memberID}})
}

// autoReplies runs after a member's post was accepted: a first post gets a short
// welcome with centres near the member for the list's topics, and crisis words get the
// crisis lines at once while the moderators are told. Only ever to m.Address. A post
// the moderators held for its crisis words (heldForCrisis) was answered when it was
// held and they have seen it: it gets no second reply or flag.
func (s *Service) autoReplies(ctx context.Context, l *store.List, m *store.Member, firstPost bool, p *archive.Parsed, archiveID int64,
	heldForCrisis bool) {
	if m == nil || !m.AutoReplies {
		return
	}
	crisis := s.crisisWord(p)
	if heldForCrisis {
		crisis = ""
	}
	// The welcome is about centres: without a directory there is nothing to point to.
	var dir *counsel.Directory
	if s.cfg.Counsel != nil {
		dir, _ = s.cfg.Counsel.Directory(ctx)
	}
	if firstPost && (dir == nil || len(dir.Centers()) == 0) {
		firstPost = false
	}
	if crisis == "" && !firstPost {
		return
	}
	var res *counsel.Result
	if m.Postal != "" && dir != nil && len(dir.Centers()) > 0 {
		if r, err := s.FindCenters(ctx, m.Postal, l.Topics, "first-post"); err == nil {
			res = &r
		}
	}
	var mods []*store.Member
	if crisis != "" {
		var err error
		if mods, err = s.deciders(ctx, l); err != nil {
			s.log.Error("counselling reply", "list", l.Name, "err", err)
			return
		}
	}
	err := s.st.Update(ctx, func(tx *store.Tx) error {
		if crisis != "" {
			ok, err := tx.Allow("crisis:"+strconv.FormatInt(m.ID, 10), crisisWindow, 1)
			if err != nil {
				return err
			}
			if err := s.flagCrisis(tx, l, mods, archiveID, p.Subject, crisis); err != nil {
				return err
			}
			if ok {
				return s.counselReply(tx, l, m.Address, m.ID, m.Language, "crisis", res, s.cfg.CounselSettings.CrisisLines, p.MessageID, false)
			}
			return nil
		}
		ok, err := tx.Allow("first-post:"+strconv.FormatInt(m.ID, 10), firstPostWindow, 1)
		if err != nil || !ok {
			return err
		}
		return s.counselReply(tx, l, m.Address, m.ID, m.Language, "first-post", res, nil, p.MessageID, false)
	})
	if err != nil {
		s.log.Error("counselling reply", "list", l.Name, "err", err)
		return
	}
	kind := "first-post"
	if crisis != "" {
		kind = "crisis"
	}
	s.countCounsel(ctx, l.Topics, kind+"-reply")
	s.kick()
}

// flagCrisis tells the list's deciders (mods, see deciders: its moderators and owners
// or else the site admins), each in their language, that a post contains crisis words,
// with a link to it (never the poster's address).
func (s *Service) flagCrisis(tx *store.Tx, l *store.List, mods []*store.Member, archiveID int64, subject, word string) error {
	for _, mod := range mods {
		d := s.data(l)
		d.HeldSubject, d.Reason = subject, word
		d.Lines = []string{s.cfg.BaseURL + "/" + l.Name + "/m/" + strconv.FormatInt(archiveID, 10)}
		if err := s.queue(tx, outMail{kind: "crisis-flag", lang: mod.Language, list: l, to: mod.Address, memberID: mod.ID, data: d,
			fromAddr: l.Name + "-owner@" + s.cfg.Domain}); err != nil {
			return err
		}
	}
	return nil
}

// askCounsel answers a mail to beratung@ (or a "beratung CODE" command) with the
// centres near the postal code it names, to its sender, within the limits on mail to
// unconfirmed addresses.
func (s *Service) askCounsel(ctx context.Context, l *store.List, sender, lang, postal string, topics []string, inReplyTo string) error {
	var res *counsel.Result
	if postal != "" {
		r, err := s.FindCenters(ctx, postal, topics, "request")
		if err == nil {
			res = &r
		}
	}
	err := s.st.Update(ctx, func(tx *store.Tx) error {
		if err := s.allowUnconfirmed(ctx, tx, "counsel", sender); err != nil {
			return err
		}
		return s.counselReply(tx, l, sender, 0, lang, "counsel", res, nil, inReplyTo, false)
	})
	if err := s.quietly(err); err != nil {
		return fmt.Errorf("counselling answer: %w", err)
	}
	s.kick()
	return nil
}

// counselRequest handles mail to beratung@.
func (s *Service) counselRequest(ctx context.Context, envFrom string, p *archive.Parsed) error {
	if auto, why := Automatic(p, envFrom); auto {
		s.log.Info("automatic mail to beratung@ not answered", "reason", why)
		return nil
	}
	sender := p.FromAddr
	if sender == "" {
		sender = envFrom
	}
	if _, _, err := NormalizeAddress(sender); err != nil {
		return nil
	}
	var postal string
	var topics []string
	if s.cfg.Counsel != nil {
		if d, err := s.cfg.Counsel.Directory(ctx); err == nil {
			postal, _ = d.PostalCodeIn(p.Subject + "\n" + p.Text)
			topics = d.TopicsIn(p.Subject + "\n" + p.Text)
		}
	}
	return s.askCounsel(ctx, nil, sender, s.cfg.Language, postal, topics, p.MessageID)
}

// CounselTopics are the topics the directory's centres serve, for the search form.
func (s *Service) CounselTopics(ctx context.Context) []string {
	if s.cfg.Counsel == nil {
		return nil
	}
	d, err := s.cfg.Counsel.Directory(ctx)
	if err != nil {
		return nil
	}
	return d.Topics()
}

// CrisisLines are the site's crisis lines ([counsel] crisis_lines), for the pages.
func (s *Service) CrisisLines() []string { return s.cfg.CounselSettings.CrisisLines }

// CounselHits turns a result's hits into what pages and mails show.
func CounselHits(hs []counsel.Hit) []CounselHit { return hitsFor(hs) }

// CounselHit is one centre as pages and mails show it.
type CounselHit = counselHit
