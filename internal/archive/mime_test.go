package archive

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestReadHeader(t *testing.T) {
	tests := []struct {
		name, raw string
		want      map[string][]string // nil: unreadable
		body      string
	}{
		{"crlf", "Subject: a\r\nFrom: b\r\n\r\nbody", map[string][]string{"Subject": {"a"}, "From": {"b"}}, "body"},
		{"folded", "Subject: a\r\n  b \r\n\tc\r\n\r\n", map[string][]string{"Subject": {"a b c"}}, ""},
		{"line without a colon continues", "Subject: a\nno colon here\n\nbody", map[string][]string{"Subject": {"a no colon here"}}, "body"},
		{"space before the colon", "Subject : a\n\n", map[string][]string{"Subject": {"a"}}, ""},
		{"name with a control byte skipped", "X\x01Y: z\nSubject: a\n\n", map[string][]string{"Subject": {"a"}}, ""},
		{"line starting with a colon skipped", ": z\nSubject: a\n\n", map[string][]string{"Subject": {"a"}}, ""},
		{"repeated field", "X-Loop: a\nX-Loop: b\n\n", map[string][]string{"X-Loop": {"a", "b"}}, ""},
		{"no blank line", "Subject: a", map[string][]string{"Subject": {"a"}}, ""},
		{"starts with a continuation", " Subject: a\n\n", nil, ""},
		{"starts with text", "Hallo zusammen\nSubject: a\n\n", nil, ""},
		{"empty header", "\r\nbody", map[string][]string{}, "body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, body, err := readHeader([]byte(tt.raw))
			if tt.want == nil {
				if !errors.Is(err, errUnreadable) {
					t.Errorf("readHeader(%q) = %v, %v; want errUnreadable", tt.raw, h, err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(map[string][]string(h), tt.want) || string(body) != tt.body {
				t.Errorf("readHeader(%q) = %v, %q, %v; want %v, %q", tt.raw, h, body, err, tt.want, tt.body)
			}
		})
	}
}

// TestParseHTMLCharset: HTML without a declared charset is read as browsers read it
// (a <meta>, else UTF-8 when valid, else Windows-1252), a declared one is trusted.
func TestParseHTMLCharset(t *testing.T) {
	const head = "From: a@example.org\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
	tests := []struct{ name, raw, want string }{
		{"undeclared latin-1", head + "Content-Type: text/html\r\n\r\n<p>Zuckert\xfcte</p>", "Zuckertüte"},
		{"undeclared utf-8", head + "Content-Type: text/html\r\n\r\n<p>Zuckertüte</p>", "Zuckertüte"},
		{"meta", head + "Content-Type: text/html\r\n\r\n<meta charset=\"koi8-r\"><p>\xf0\xd2\xc9\xd7\xc5\xd4</p>", "Привет"},
		{"declared", head + "Content-Type: text/html; charset=windows-1251\r\n\r\n<p>\xcf\xf0\xe8</p>", "При"},
		{"in a multipart", head + "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>Zuckert\xfcte</p>\r\n--b--\r\n", "Zuckertüte"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse([]byte(tt.raw))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(p.Text, tt.want) {
				t.Errorf("Text = %q, want it to hold %q", p.Text, tt.want)
			}
		})
	}
}

// TestParseSkipsFiles: the text is found and the files are listed, in the order
// the archive has always listed them, without decoding the files.
func TestParseSkipsFiles(t *testing.T) {
	raw := "From: a@example.org\r\nSubject: x\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHallo\r\n" +
		"--b\r\nContent-Type: image/jpeg\r\nContent-Disposition: inline\r\nContent-Transfer-Encoding: base64\r\n\r\n!!not base64!!\r\n" +
		"--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment\r\n\r\n%PDF\r\n" +
		"--b\r\nContent-Type: text/calendar\r\n\r\nBEGIN:VCALENDAR\r\n" +
		"--b\r\nContent-Type: text/plain\r\n\r\nGruß\r\n--b--\r\n"
	p, err := Parse([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if p.Text != "Hallo\n--\nGruß" {
		t.Errorf("Text = %q", p.Text)
	}
	if want := []string{"application/pdf", "image/jpeg", "text/calendar"}; !reflect.DeepEqual(p.Attachments, want) {
		t.Errorf("Attachments = %q, want %q", p.Attachments, want)
	}
}
