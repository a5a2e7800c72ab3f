package compose

import (
	"html"
	"listd/internal/i18n"
	"strconv"
	"strings"
)

// footer is the text added to every post. It is the same for every member,
// so it never names the member or carries a personal unsubscribe link.
type footer struct {
	text []byte // UTF-8, CRLF line endings, starts with the "-- " separator
	// html is pure ASCII (non-ASCII as character references) so it can be
	// inserted into HTML of any ASCII-compatible charset without converting
	// the part.
	html []byte
}

func newFooter(l List) footer {
	lang := i18n.English
	if ll, ok := i18n.Parse(l.Language); ok {
		lang = ll
	}
	cat := i18n.Default()
	t := func(key string) string { return cat.T(lang, "footer."+key) }
	write, private, archive, leave, withdraw := t("write"), t("private"), t("archive"), t("leave"), t("withdraw")
	settings, counselling := t("settings"), t("counselling")
	head := l.Name
	if l.Title != "" {
		head += " \u2013 " + l.Title
	}
	post := l.Name + "@" + l.Domain
	arch := l.BaseURL + "/" + l.Name + "/"
	unsub := "mailto:" + l.Name + "-unsubscribe@" + l.Domain
	prefs := l.BaseURL + "/prefs"
	counsel := l.BaseURL + "/beratung"

	var b strings.Builder
	b.WriteString("-- \r\n")
	b.WriteString(head + "\r\n")
	var note []string
	for _, line := range strings.Split(l.Note, "\n") {
		if line = strings.TrimSpace(line); line != "" && line != "--" {
			note = append(note, line)
		}
	}
	for _, line := range note {
		b.WriteString(line + "\r\n")
	}
	b.WriteString(write + ": " + post + "\r\n")
	if l.PrivateReply != "" {
		b.WriteString(private + ": " + l.PrivateReply + "\r\n")
	}
	b.WriteString(archive + ": " + arch + "\r\n")
	if l.Withdraw != "" {
		b.WriteString(withdraw + ": " + l.Withdraw + "\r\n")
	}
	b.WriteString(settings + ": " + prefs + "\r\n")
	b.WriteString(leave + ": " + unsub + "\r\n")
	b.WriteString(counselling + ": " + counsel + "\r\n")
	site := l.Site.Lines(cat, lang)
	for _, sl := range site {
		b.WriteString(sl.Label + sl.Text + "\r\n")
	}

	var h strings.Builder
	h.WriteString("<div class=\"list-footer\">\r\n<hr>\r\n")
	h.WriteString(htmlText(head) + "<br>\r\n")
	for _, line := range note {
		h.WriteString(htmlText(line) + "<br>\r\n")
	}
	h.WriteString(htmlText(write) + ": " + htmlLink("mailto:"+post, post) + "<br>\r\n")
	if l.PrivateReply != "" {
		h.WriteString(htmlText(private) + ": " + htmlLink("mailto:"+l.PrivateReply, l.PrivateReply) + "<br>\r\n")
	}
	h.WriteString(htmlText(archive) + ": " + htmlLink(arch, arch) + "<br>\r\n")
	if l.Withdraw != "" {
		h.WriteString(htmlText(withdraw) + ": " + htmlLink(l.Withdraw, l.Withdraw) + "<br>\r\n")
	}
	h.WriteString(htmlText(settings) + ": " + htmlLink(prefs, prefs) + "<br>\r\n")
	h.WriteString(htmlText(leave) + ": " + htmlLink(unsub, strings.TrimPrefix(unsub, "mailto:")) + "<br>\r\n")
	h.WriteString(htmlText(counselling) + ": " + htmlLink(counsel, counsel) + "\r\n")
	for _, sl := range site {
		h.WriteString("<br>\r\n" + htmlText(sl.Label))
		if sl.Href != "" {
			h.WriteString(htmlLink(sl.Href, sl.Text))
		} else {
			h.WriteString(htmlText(sl.Text))
		}
		h.WriteString("\r\n")
	}
	h.WriteString("</div>\r\n")

	return footer{text: []byte(b.String()), html: []byte(h.String())}
}

func htmlLink(href, text string) string {
	return "<a href=\"" + htmlText(href) + "\">" + htmlText(text) + "</a>"
}

// htmlText escapes s for HTML and writes non-ASCII as numeric character
// references.
func htmlText(s string) string {
	s = html.EscapeString(s)
	var b strings.Builder
	for _, r := range s {
		if r < 0x80 {
			b.WriteRune(r)
			continue
		}
		b.WriteString("&#" + strconv.Itoa(int(r)) + ";")
	}
	return b.String()
}

// SiteLine is one line the site adds to a footer: a label (with its ": ", "" for
// the site's name), the text after it and where it links to in HTML ("" for plain
// text).
type SiteLine struct{ Label, Text, Href string }

// Lines are the site's footer lines in lang, labelled from cat's footer section
// (nil: the built-in catalogue); none for an empty Site. Every footer that names the
// site takes them from here: list copies, notices and digests. A value on more than
// one line is cut to its first, so it cannot add lines of its own.
func (s Site) Lines(cat *i18n.Catalog, lang i18n.Lang) []SiteLine {
	if cat == nil {
		cat = i18n.Default()
	}
	t := func(key string) string { return cat.T(lang, "footer."+key) }
	one := func(v string) string {
		v, _, _ = strings.Cut(strings.TrimSpace(v), "\n")
		return strings.TrimSpace(v)
	}
	var out []SiteLine
	if n := one(s.Name); n != "" {
		out = append(out, SiteLine{"", n, ""})
	}
	if c := one(s.Contact); c != "" {
		href := ""
		switch {
		case strings.HasPrefix(c, "https://"), strings.HasPrefix(c, "http://"):
			href = c
		case strings.Contains(c, "@"):
			href = "mailto:" + c
		}
		out = append(out, SiteLine{t("contact") + ": ", c, href})
	}
	if u := one(s.ImpressumURL); u != "" {
		out = append(out, SiteLine{t("impressum") + ": ", u, u})
	}
	if u := one(s.DatenschutzURL); u != "" {
		out = append(out, SiteLine{t("datenschutz") + ": ", u, u})
	}
	return out
}
