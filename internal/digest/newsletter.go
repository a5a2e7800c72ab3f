package digest

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	htmltemplate "html/template"
	"io"
	"net/url"
	"strings"
	texttemplate "text/template"
	"time"

	"listd/internal/compose"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
)

//go:embed templates/*.tmpl
var templateFS embed.FS

// Parsed once; templates are safe for concurrent use after parsing.
var (
	textTmpl = texttemplate.Must(texttemplate.ParseFS(templateFS, "templates/newsletter.txt.tmpl"))
	htmlTmpl = htmltemplate.Must(htmltemplate.ParseFS(templateFS, "templates/newsletter.html.tmpl"))
)

type view struct {
	T                                    *texts
	Title, Subject, VolumeLine, Period   string
	Sections                             []section
	Counselling                          []string
	CounsellingURL                       string
	Footer                               string
	ArchiveURL, PrefsURL, UnsubscribeURL string
	Site                                 []compose.SiteLine
}

type section struct {
	Heading string
	Threads []threadView
}

type threadView struct {
	N       int // number in the table of contents, also the HTML anchor
	Subject string
	Count   string
	Posts   []postView
}

type postView struct {
	Author, Date, Text          string
	Paras                       [][]string
	Cut                         bool
	URL, ThreadURL, ReplyMailto string
	ReplyAddr, ReplySubject     string
	PrivateAddr                 string
}

func newView(is Issue) view {
	tr := lang(is)
	loc := location()
	v := view{
		T:              tr,
		Title:          title(is),
		Subject:        Subject(is),
		VolumeLine:     fmt.Sprintf(tr.VolumeFmt, is.Volume, is.Number),
		Period:         is.From.In(loc).Format(tr.DayLayout) + " – " + is.Until.In(loc).Format(tr.DayLayout),
		Footer:         fmt.Sprintf(tr.Footer, title(is)),
		ArchiveURL:     is.ArchiveURL,
		PrefsURL:       is.PrefsURL,
		UnsubscribeURL: is.UnsubscribeURL,
		CounsellingURL: is.CounsellingURL,
		Site:           siteLines(is),
	}
	for _, l := range is.Counselling {
		if l = strings.TrimSpace(l); l != "" {
			v.Counselling = append(v.Counselling, l)
		}
	}
	var fresh, cont section
	fresh.Heading, cont.Heading = tr.NewThreads, tr.Continued
	n := 0
	for _, t := range ordered(is.Threads) {
		n++
		tv := threadView{N: n, Subject: threadSubject(t, tr), Count: tr.posts(len(t.Posts))}
		for _, p := range t.Posts {
			text, cutOff := cut(cleanText(p.Text), cutAt)
			replyAddr, replySubject := p.ReplyAddr, p.ReplySubject
			if replyAddr == "" {
				replyAddr, replySubject = fromMailto(p.ReplyMailto)
			}
			tv.Posts = append(tv.Posts, postView{
				Author:      authorName(p.Author, tr),
				Date:        p.Date.In(loc).Format(tr.DateLayout),
				Text:        text,
				Paras:       paragraphs(text),
				Cut:         cutOff,
				URL:         p.URL,
				ThreadURL:   p.ThreadURL,
				ReplyMailto: p.ReplyMailto,
				ReplyAddr:   replyAddr, ReplySubject: replySubject,
				PrivateAddr: p.PrivateAddr,
			})
		}
		if t.New {
			fresh.Threads = append(fresh.Threads, tv)
		} else {
			cont.Threads = append(cont.Threads, tv)
		}
	}
	for _, s := range []section{fresh, cont} {
		if len(s.Threads) > 0 {
			v.Sections = append(v.Sections, s)
		}
	}
	return v
}

// Newsletter returns the subject, the text/plain body and the HTML body of
// the issue. Both bodies carry the same content and links; lines end in LF.
func Newsletter(is Issue) (subject, text, html string, err error) {
	v := newView(is)
	var tb, hb strings.Builder
	if err := textTmpl.Execute(&tb, v); err != nil {
		return "", "", "", fmt.Errorf("digest: newsletter text of %s %d/%d: %w", is.ListName, is.Volume, is.Number, err)
	}
	if err := htmlTmpl.Execute(&hb, v); err != nil {
		return "", "", "", fmt.Errorf("digest: newsletter html of %s %d/%d: %w", is.ListName, is.Volume, is.Number, err)
	}
	return v.Subject, tb.String(), hb.String(), nil
}

// Message builds a complete RFC 5322 message, multipart/alternative of the
// text and HTML newsletter. The fields in h (From, To, Date, Message-ID,
// List-Id, List-Unsubscribe …) are kept; Subject is set from the issue
// unless h has one; the MIME fields are ours. h is not modified.
func Message(is Issue, h mail.Header) ([]byte, error) {
	subject, text, html, err := Newsletter(is)
	if err != nil {
		return nil, err
	}
	h = h.Copy()
	if !h.Has("Subject") {
		h.SetSubject(subject)
	}
	h.Del("Content-Transfer-Encoding")
	h.SetContentType("multipart/alternative", map[string]string{"boundary": boundary(text, html)})

	var buf bytes.Buffer
	w, err := message.CreateWriter(&buf, h.Header)
	if err != nil {
		return nil, fmt.Errorf("digest: message of %s %d/%d: %w", is.ListName, is.Volume, is.Number, err)
	}
	for _, p := range []struct{ typ, body string }{{"text/plain", text}, {"text/html", html}} {
		if err := writeTextPart(w, p.typ, p.body); err != nil {
			return nil, fmt.Errorf("digest: message of %s %d/%d: %s part: %w", is.ListName, is.Volume, is.Number, p.typ, err)
		}
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("digest: message of %s %d/%d: %w", is.ListName, is.Volume, is.Number, err)
	}
	return buf.Bytes(), nil
}

// writeTextPart adds a UTF-8 quoted-printable part: QP keeps long lines and
// umlauts safe on any relay, and its writer turns LF into CRLF.
func writeTextPart(w *message.Writer, typ, body string) error {
	var ph message.Header
	ph.SetContentType(typ, map[string]string{"charset": "utf-8"})
	ph.Set("Content-Transfer-Encoding", "quoted-printable")
	pw, err := w.CreatePart(ph)
	if err != nil {
		return err
	}
	if _, err := io.WriteString(pw, body); err != nil {
		return err
	}
	return pw.Close()
}

// boundary derives a multipart boundary from the content, so the same issue
// always gives the same bytes (golden tests, idempotent re-sends). "=_" can
// never occur in quoted-printable text; for raw parts the caller checks.
func boundary(parts ...string) string {
	s := sha256.New()
	for _, p := range parts {
		io.WriteString(s, p)
		s.Write([]byte{0})
	}
	return "=_listd_" + hex.EncodeToString(s.Sum(nil)[:12])
}

// rfc5322Date formats a date for a header in the association's zone.
func rfc5322Date(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("Mon, 02 Jan 2006 15:04:05 -0700")
}

// fromMailto reads the address and subject of a mailto: URL, decoded, for the text
// part ("" when u is not one).
func fromMailto(u string) (addr, subject string) {
	p, err := url.Parse(u)
	if err != nil || p.Scheme != "mailto" {
		return "", ""
	}
	return p.Opaque, p.Query().Get("subject")
}
