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
	tr := lang(is.Language)
	return fmt.Sprintf(tr.SubjectFmt, title(is), is.Number, is.Volume)
}

// texts are the words of one language. Read-only after init.
type texts struct {
	Lang        string
	SubjectFmt  string // title, number, volume
	Heading     string // "Rundbrief"
	VolumeFmt   string // volume, number
	Period      string
	Contents    string
	NewThreads  string
	Continued   string
	PostsOne    string
	PostsMany   string // %d
	NoName      string
	NoSubject   string
	ReadOn      string
	ThreadLink  string
	Reply       string
	Archive     string
	Prefs       string
	Unsubscribe string
	Counselling string
	Footer      string // list title
	DateLayout  string
	DayLayout   string
	Empty       string
}

var langs = map[string]*texts{
	"de": {
		Lang:        "de",
		SubjectFmt:  "%s: Rundbrief Nr. %d (Jahrgang %d)",
		Heading:     "Rundbrief",
		VolumeFmt:   "Jahrgang %d, Nr. %d",
		Period:      "Zeitraum",
		Contents:    "Inhalt",
		NewThreads:  "Neue Themen",
		Continued:   "Fortgesetzte Themen",
		PostsOne:    "1 neuer Beitrag",
		PostsMany:   "%d neue Beiträge",
		NoName:      "Ohne Namen",
		NoSubject:   "(ohne Betreff)",
		ReadOn:      "weiterlesen",
		ThreadLink:  "Thema im Web",
		Reply:       "per E-Mail antworten",
		Archive:     "Archiv",
		Prefs:       "Meine Einstellungen",
		Unsubscribe: "Abmelden",
		Counselling: "Beratung in Ihrer Nähe",
		Footer:      "Sie erhalten diesen Rundbrief als Mitglied der Liste %s.",
		DateLayout:  "02.01.2006 15:04",
		DayLayout:   "02.01.2006",
		Empty:       "In diesem Zeitraum gab es keine Beiträge.",
	},
	"en": {
		Lang:        "en",
		SubjectFmt:  "%s: digest no. %d (volume %d)",
		Heading:     "Digest",
		VolumeFmt:   "Volume %d, issue %d",
		Period:      "Period",
		Contents:    "Contents",
		NewThreads:  "New topics",
		Continued:   "Continued topics",
		PostsOne:    "1 new post",
		PostsMany:   "%d new posts",
		NoName:      "No name",
		NoSubject:   "(no subject)",
		ReadOn:      "read on",
		ThreadLink:  "Thread on the web",
		Reply:       "reply by email",
		Archive:     "Archive",
		Prefs:       "My preferences",
		Unsubscribe: "Unsubscribe",
		Counselling: "Counselling near you",
		Footer:      "You receive this digest as a member of the list %s.",
		DateLayout:  "2 Jan 2006, 15:04 MST",
		DayLayout:   "2 Jan 2006",
		Empty:       "There were no posts in this period.",
	},
}

// lang falls back to German: the association's first language.
func lang(code string) *texts {
	if tr, ok := langs[strings.ToLower(strings.TrimSpace(code))]; ok {
		return tr
	}
	return langs["de"]
}

func (tr *texts) posts(n int) string {
	if n == 1 {
		return tr.PostsOne
	}
	return fmt.Sprintf(tr.PostsMany, n)
}
