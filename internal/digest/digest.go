// Package digest composes digest issues: a newsletter (HTML and plain text), a
// MIME digest (RFC 2046 multipart/digest) and a plain RFC 1153 digest, from the
// posts of a period.
//
// All functions are pure: the caller supplies the posts, the links and the
// header fields; nothing here reads the store or the clock.
package digest

import (
	"cmp"
	"fmt"
	"listd/internal/compose"
	"listd/internal/i18n"
	"slices"
	"strings"
	"time"
)

// Post is one archived post as it appears in a digest.
type Post struct {
	ID          int64 // archive id
	ThreadID    int64
	MessageID   string // without <>
	Subject     string
	Author      string // name or pseudonym; "" means anonymous — never an address
	Date        time.Time
	Text        string // plain-text body as archived
	Raw         []byte // the message as received (for the MIME digest)
	URL         string // permalink, e.g. https://lists.example.org/kita/m/42
	ThreadURL   string
	ReplyMailto string // a mailto: URL that replies to this post by email
	// ReplyAddr is the list's address and ReplySubject the subject of a reply, for
	// the text part, where a mailto: URL would be percent-encoded noise.
	ReplyAddr, ReplySubject string
	// PrivateAddr answers the author privately (NAME-reply+…@); "" for none.
	PrivateAddr string
}

// Thread is a thread with the posts it received in the period.
type Thread struct {
	ID      int64
	Subject string
	New     bool   // started in this period
	Posts   []Post // in date order
}

// Issue is one digest issue for one member.
type Issue struct {
	ListName, ListTitle, ListAddr string
	Language                      string // "de" or "en"; anything else is treated as "de"
	Volume, Number                int
	From, Until                   time.Time // shown as dates, as given
	// Threads are reordered: new threads first, then continued ones, each
	// group by the date of its first post.
	Threads                              []Thread
	PrefsURL, UnsubscribeURL, ArchiveURL string   // per member
	Counselling                          []string // lines of the counselling box; none: no box
	CounsellingURL                       string   // the search for centres (/beratung)
	// Site is the site's name, contact and legal links (Impressum, Datenschutz), which
	// end every format's footer as they end a list copy's (compose.Site.Lines).
	Site compose.Site
	// Catalog holds the texts; nil: the built-in catalogue.
	Catalog *i18n.Catalog
}

// zone is where the association and its members live; dates are shown in
// its local time whatever the server's zone.
const zone = "Europe/Berlin"

func location() *time.Location {
	loc, err := time.LoadLocation(zone)
	if err != nil {
		// No zoneinfo on the host: UTC is wrong by an hour or two but
		// still unambiguous, better than failing the whole digest.
		return time.UTC
	}
	return loc
}

// ordered returns the threads with posts, in issue order, with their posts
// sorted by date. The caller's slices are not modified.
func ordered(threads []Thread) []Thread {
	out := make([]Thread, 0, len(threads))
	for _, t := range threads {
		if len(t.Posts) == 0 {
			continue
		}
		t.Posts = slices.Clone(t.Posts)
		slices.SortStableFunc(t.Posts, func(a, b Post) int {
			return cmp.Or(a.Date.Compare(b.Date), cmp.Compare(a.ID, b.ID))
		})
		out = append(out, t)
	}
	slices.SortStableFunc(out, func(a, b Thread) int {
		if a.New != b.New {
			if a.New {
				return -1
			}
			return 1
		}
		return cmp.Or(a.Posts[0].Date.Compare(b.Posts[0].Date), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// threadSubject is the subject shown for a thread: its own, else the first
// post's, else a placeholder, so a table of contents never has empty lines.
func threadSubject(t Thread, tr *texts) string {
	s := strings.TrimSpace(t.Subject)
	if s == "" && len(t.Posts) > 0 {
		s = strings.TrimSpace(t.Posts[0].Subject)
	}
	if s == "" {
		s = tr.NoSubject
	}
	return s
}

func authorName(a string, tr *texts) string {
	a = strings.TrimSpace(a)
	if a == "" {
		return tr.NoName
	}
	return a
}

func title(is Issue) string {
	if t := strings.TrimSpace(is.ListTitle); t != "" {
		return t
	}
	return is.ListName
}

// Subject is the subject line of the issue, the same for all three formats.
func Subject(is Issue) string {
	tr := lang(is)
	return fmt.Sprintf(tr.SubjectFmt, title(is), is.Number, is.Volume)
}

// texts are the words of one language, from the catalogue's digest section.
type texts struct {
	Lang                                                   string
	SubjectFmt                                             string // title, number, volume
	Heading                                                string // "Rundbrief"
	VolumeFmt                                              string // volume, number
	Period                                                 string
	Contents                                               string
	NewThreads                                             string
	Continued                                              string
	PostsOne                                               string
	PostsMany                                              string // %d
	NoName                                                 string
	NoSubject                                              string
	ReadOn                                                 string
	ThreadLink                                             string
	Reply                                                  string
	Archive                                                string
	Prefs                                                  string
	Unsubscribe                                            string
	Counselling                                            string
	Footer                                                 string // list title
	DateLayout                                             string
	DayLayout                                              string
	Empty                                                  string
	Private                                                string
	ReplyLine                                              string // address, subject: how to reply by mail, in the text part
	MoreCentres                                            string // the counselling box's link
	RFC1153Head, RFC1153Topics, RFC1153End, RFC1153Subject string
}

// lang returns the words of the issue's language from its catalogue (the built-in
// one when the issue names none), German for a language listd does not speak.
func lang(is Issue) *texts {
	cat := is.Catalog
	if cat == nil {
		cat = i18n.Default()
	}
	l := i18n.Or(is.Language, i18n.German)
	t := func(key string) string { return cat.T(l, "digest."+key) }
	return &texts{
		Lang:        string(l),
		SubjectFmt:  t("subject_fmt"),
		Heading:     t("heading"),
		VolumeFmt:   t("volume_fmt"),
		Period:      t("period"),
		Contents:    t("contents"),
		NewThreads:  t("new_threads"),
		Continued:   t("continued"),
		PostsOne:    t("posts_one"),
		PostsMany:   t("posts_many"),
		NoName:      t("no_name"),
		NoSubject:   t("no_subject"),
		ReadOn:      t("read_on"),
		ThreadLink:  t("thread_link"),
		Reply:       t("reply"),
		Archive:     t("archive"),
		Prefs:       t("prefs"),
		Unsubscribe: t("unsubscribe"),
		Counselling: t("counselling"),
		Footer:      t("footer"),
		DateLayout:  t("date_layout"),
		DayLayout:   t("day_layout"),
		Empty:       t("empty"),
		Private:     t("private"),
		ReplyLine:   t("reply_line"),
		MoreCentres: t("more_centres"),
		RFC1153Head: t("rfc1153_head"), RFC1153Topics: t("rfc1153_topics"), RFC1153End: t("rfc1153_end"),
		RFC1153Subject: t("rfc1153_subject"),
	}
}

// siteLines are the lines the site adds to the issue's footers, in its language.
func siteLines(is Issue) []compose.SiteLine {
	return is.Site.Lines(is.Catalog, i18n.Or(is.Language, i18n.German))
}

func (tr *texts) posts(n int) string {
	if n == 1 {
		return tr.PostsOne
	}
	return fmt.Sprintf(tr.PostsMany, n)
}
