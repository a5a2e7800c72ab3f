package digest

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
)

// digestSubject names list, volume and issue, as RFC 1153 asks for and
// digest readers (and members' filters) expect of both digest formats.
func digestSubject(is Issue) string {
	return fmt.Sprintf(lang(is).RFC1153Subject, is.ListName, is.Volume, is.Number)
}

// preamble is the RFC 1153 preamble: the identifying line, the topics and
// the member's own links. The MIME digest uses it as its first part.
func preamble(is Issue, threads []Thread) string {
	tr := lang(is)
	loc := location()
	var b strings.Builder
	fmt.Fprintf(&b, tr.RFC1153Head+"\n\n", is.ListName, is.Until.In(loc).Format(tr.DayLayout), is.Volume, is.Number)
	if t := title(is); t != is.ListName {
		fmt.Fprintf(&b, "%s\n\n", t)
	}
	b.WriteString(tr.RFC1153Topics + "\n\n")
	if len(threads) == 0 {
		fmt.Fprintf(&b, "   %s\n", tr.Empty)
	}
	for _, t := range threads {
		fmt.Fprintf(&b, "   %s (%s)\n", threadSubject(t, tr), tr.posts(len(t.Posts)))
	}
	links := []struct{ label, url string }{
		{tr.Archive, is.ArchiveURL}, {tr.Prefs, is.PrefsURL}, {tr.Unsubscribe, is.UnsubscribeURL},
	}
	sep := "\n"
	for _, l := range links {
		if l.url != "" {
			fmt.Fprintf(&b, "%s%s: %s\n", sep, l.label, l.url)
			sep = ""
		}
	}
	if site := siteLines(is); len(site) > 0 {
		b.WriteString("\n")
		for _, sl := range site {
			fmt.Fprintf(&b, "%s%s\n", sl.Label, sl.Text)
		}
	}
	return b.String()
}

// posterAddress is what stands in a From field in our digests: the name or
// pseudonym with the list's address, so no member's address is disclosed.
func posterAddress(is Issue, p Post, tr *texts) string {
	return (&mail.Address{Name: authorName(p.Author, tr), Address: is.ListAddr}).String()
}

// RFC1153 builds a plain-text digest in the RFC 1153 layout: preamble with
// "Today's Topics:", a line of 70 hyphens, the messages separated by lines of
// 30 hyphens, and the "End of … Digest" trailer. Each message carries only
// Date, From (the author's name with the list address, never the poster's
// address) and Subject, and its full archived text. The fields in h are
// kept; Subject is set unless h has one; h is not modified.
func RFC1153(is Issue, h mail.Header) ([]byte, error) {
	tr := lang(is)
	loc := location()
	threads := ordered(is.Threads)
	var b strings.Builder
	b.WriteString(preamble(is, threads))
	b.WriteString("\n" + strings.Repeat("-", 70) + "\n\n")
	for _, t := range threads {
		for _, p := range t.Posts {
			subject := strings.TrimSpace(p.Subject)
			if subject == "" {
				subject = threadSubject(t, tr)
			}
			fmt.Fprintf(&b, "Date: %s\n", rfc5322Date(p.Date, loc))
			fmt.Fprintf(&b, "From: %s <%s>\n", displayName(authorName(p.Author, tr)), is.ListAddr)
			fmt.Fprintf(&b, "Subject: %s\n\n", oneLine(subject))
			b.WriteString(rfc1153Body(p.Text))
			b.WriteString("\n\n" + strings.Repeat("-", 30) + "\n\n")
		}
	}
	end := fmt.Sprintf(tr.RFC1153End, is.ListName)
	b.WriteString(end + "\n" + strings.Repeat("*", utf8.RuneCountInString(end)) + "\n")

	h = h.Copy()
	if !h.Has("Subject") {
		h.SetSubject(digestSubject(is))
	}
	h.SetContentType("text/plain", map[string]string{"charset": "utf-8"})
	h.Set("Content-Transfer-Encoding", "quoted-printable")
	var buf bytes.Buffer
	w, err := message.CreateWriter(&buf, h.Header)
	if err != nil {
		return nil, fmt.Errorf("digest: rfc 1153 digest of %s %d/%d: %w", is.ListName, is.Volume, is.Number, err)
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return nil, fmt.Errorf("digest: rfc 1153 digest of %s %d/%d: %w", is.ListName, is.Volume, is.Number, err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("digest: rfc 1153 digest of %s %d/%d: %w", is.ListName, is.Volume, is.Number, err)
	}
	return buf.Bytes(), nil
}

// rfc1153Body trims blank lines around the text and blanks the first
// character of separator-like lines, as RFC 1153 allows, so undigestifiers
// do not split a message in two.
func rfc1153Body(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	lines := strings.Split(strings.Trim(s, "\n"), "\n")
	for i, l := range lines {
		l = strings.TrimRight(l, " \t")
		if l == strings.Repeat("-", 30) {
			l = " " + l[1:]
		}
		lines[i] = l
	}
	return strings.Join(lines, "\n")
}

// displayName writes a name readably for a UTF-8 text body (RFC 6532
// style), quoting it when it holds specials; encoded words would be noise
// to people reading the digest as it is.
func displayName(name string) string {
	name = oneLine(name)
	if !strings.ContainsAny(name, `()<>[]:;@\,."`) {
		return name
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(name) + `"`
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// MIMEDigest builds a multipart/digest message (RFC 2046 §5.1.5): a
// text/plain table of contents first, then one message/rfc822 part per post
// holding the post's Raw bytes with line endings made CRLF.
//
// The Raw bytes are passed on unchanged, including the poster's From field.
// The caller must therefore pass raw messages as the list distributes them:
// for anonymous or pseudonymous lists, already anonymized. A post without
// Raw gets a minimal message built from its fields instead (author name with
// the list address). The fields in h are kept; Subject is set unless h has
// one; h is not modified.
func MIMEDigest(is Issue, h mail.Header) ([]byte, error) {
	errf := func(format string, args ...any) error {
		return fmt.Errorf("digest: mime digest of %s %d/%d: %s", is.ListName, is.Volume, is.Number, fmt.Sprintf(format, args...))
	}
	tr := lang(is)
	loc := location()
	threads := ordered(is.Threads)
	toc := preamble(is, threads)
	parts := []string{toc}
	for _, t := range threads {
		for _, p := range t.Posts {
			raw, err := rawMessage(is, t, p, tr, loc)
			if err != nil {
				return nil, errf("post %d: %v", p.ID, err)
			}
			parts = append(parts, raw)
		}
	}
	bnd := boundary(parts...)
	for i, p := range parts[1:] {
		// The boundary hashes the content, so only a crafted post can hold it;
		// refuse rather than send a broken digest.
		if strings.Contains(p, "--"+bnd) {
			return nil, errf("part %d contains the boundary", i+1)
		}
	}

	h = h.Copy()
	if !h.Has("Subject") {
		h.SetSubject(digestSubject(is))
	}
	h.Del("Content-Transfer-Encoding")
	h.SetContentType("multipart/digest", map[string]string{"boundary": bnd})
	var buf bytes.Buffer
	w, err := message.CreateWriter(&buf, h.Header)
	if err != nil {
		return nil, errf("%v", err)
	}
	if err := writeTextPart(w, "text/plain", toc); err != nil {
		return nil, errf("contents: %v", err)
	}
	for i, raw := range parts[1:] {
		var ph message.Header
		ph.SetContentType("message/rfc822", nil)
		// RFC 2046 §5.2.1: message/rfc822 allows only 7bit, 8bit or binary.
		if !isASCII(raw) {
			ph.Set("Content-Transfer-Encoding", "8bit")
		}
		pw, err := w.CreatePart(ph)
		if err != nil {
			return nil, errf("part %d: %v", i+1, err)
		}
		if _, err := io.WriteString(pw, raw); err != nil {
			return nil, errf("part %d: %v", i+1, err)
		}
		if err := pw.Close(); err != nil {
			return nil, errf("part %d: %v", i+1, err)
		}
	}
	if err := w.Close(); err != nil {
		return nil, errf("%v", err)
	}
	return buf.Bytes(), nil
}

// rawMessage returns the post's raw message with CRLF line endings, or a
// minimal message built from its fields when there is none.
func rawMessage(is Issue, t Thread, p Post, tr *texts, loc *time.Location) (string, error) {
	if len(p.Raw) > 0 {
		return crlf(string(p.Raw)), nil
	}
	var mh mail.Header
	mh.Set("Date", rfc5322Date(p.Date, loc))
	mh.Set("From", posterAddress(is, p, tr))
	subject := strings.TrimSpace(p.Subject)
	if subject == "" {
		subject = threadSubject(t, tr)
	}
	mh.SetSubject(subject)
	if p.MessageID != "" {
		mh.SetMessageID(p.MessageID)
	}
	mh.SetContentType("text/plain", map[string]string{"charset": "utf-8"})
	mh.Set("Content-Transfer-Encoding", "quoted-printable")
	var buf bytes.Buffer
	w, err := message.CreateWriter(&buf, mh.Header)
	if err != nil {
		return "", err
	}
	if _, err := io.WriteString(w, p.Text); err != nil {
		return "", err
	}
	if err := w.Close(); err != nil {
		return "", err
	}
	return buf.String(), nil
}

// crlf normalizes line endings to CRLF and makes sure the message ends in
// one, so the closing boundary starts on a line of its own.
func crlf(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	if !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	return strings.ReplaceAll(s, "\n", "\r\n")
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
