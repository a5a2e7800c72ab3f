package lists

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/emersion/go-message"

	"listd/internal/compose"
)

// TextsPreview is how a list's own texts reach its members: the welcome mail in
// each language and the footer under every copy, rendered as listd sends them.
type TextsPreview struct {
	Welcome map[string]string // by language (de, en): the subject line, a blank line, the text
	Footer  string            // the text part's footer of every copy (in the site's language)
}

// PreviewTexts renders the welcome mails and the copies' footer of the list as they
// would be with the changes o, without saving anything. A bad value gives the
// error UpdateList would give.
func (s *Service) PreviewTexts(ctx context.Context, list string, o ListSettings) (TextsPreview, error) {
	l, err := s.List(ctx, list)
	if err != nil {
		return TextsPreview{}, err
	}
	if err := applySettings(l, o); err != nil {
		return TextsPreview{}, err
	}
	p := TextsPreview{Welcome: map[string]string{}}
	for _, lang := range []string{"de", "en"} {
		d := s.data(l)
		d.Mode = s.modeText(lang, string(ModeEach))
		m, err := s.build(outMail{kind: "welcome", lang: lang, list: l, to: "member@" + s.cfg.Domain, data: d})
		if err != nil {
			return TextsPreview{}, err
		}
		subject, text, err := previewMailText(m.Raw)
		if err != nil {
			return TextsPreview{}, fmt.Errorf("preview welcome %s: %w", lang, err)
		}
		p.Welcome[lang] = subject + "\n\n" + text
	}
	post := "From: member@" + s.cfg.Domain + "\r\nSubject: preview\r\nMessage-ID: <preview@" + s.cfg.Domain +
		">\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\r\n"
	prep, err := compose.Prepare([]byte(post), s.composeList(l, ""), 0)
	if err != nil {
		return TextsPreview{}, fmt.Errorf("preview footer: %w", err)
	}
	var out bytes.Buffer
	if _, err := prep.WriteTo(&out, s.cfg.BaseURL+"/unsubscribe/preview"); err != nil {
		return TextsPreview{}, fmt.Errorf("preview footer: %w", err)
	}
	_, text, err := previewMailText(out.Bytes())
	if err != nil {
		return TextsPreview{}, fmt.Errorf("preview footer: %w", err)
	}
	if i := strings.Index(text, "-- \n"); i >= 0 {
		text = text[i:]
	}
	p.Footer = text
	return p, nil
}

// previewMailText is the subject and the decoded text of a single-part mail, with \n line
// ends.
func previewMailText(raw []byte) (subject, text string, err error) {
	e, err := message.Read(bytes.NewReader(raw))
	if err != nil && !message.IsUnknownCharset(err) {
		return "", "", err
	}
	subject, _ = e.Header.Text("Subject")
	if mr := e.MultipartReader(); mr != nil {
		part, err := mr.NextPart()
		if err != nil {
			return "", "", err
		}
		e = part
	}
	b, err := io.ReadAll(io.LimitReader(e.Body, 1<<20))
	if err != nil {
		return "", "", err
	}
	return subject, strings.TrimRight(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n"), nil
}
