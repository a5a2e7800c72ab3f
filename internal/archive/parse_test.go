package archive

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"unicode/utf8"
)

func TestParse(t *testing.T) {
	raw := "From: =?utf-8?q?J=C3=BCrgen?= <Juergen@Example.ORG>\r\n" +
		"To: kita@lists.example.org\r\n" +
		"Subject: =?utf-8?q?Re=3A_Kitapl=C3=A4tze?=\r\n" +
		"Date: Tue, 24 Nov 2026 10:00:00 +0100\r\n" +
		"Message-ID: <b@x>\r\n" +
		"In-Reply-To: <a@x>\r\n" +
		"References: <root@x> <a@x>\r\n" +
		"\r\nHallo\r\n"
	p, err := Parse([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if p.FromName != "Jürgen" || p.FromAddr != "juergen@example.org" || p.MessageID != "b@x" || p.Subject != "Re: Kitaplätze" {
		t.Errorf("got %+v", p)
	}
	if got := p.ParentCandidates(); !reflect.DeepEqual(got, []string{"a@x", "root@x"}) {
		t.Errorf("candidates = %q", got)
	}
	if p.Date.Hour() != 9 {
		t.Errorf("date = %v", p.Date)
	}
}

func TestSubjectKey(t *testing.T) {
	tests := []struct {
		in      string
		key     string
		isReply bool
	}{
		{"Kitaplätze in Köln", "kitaplätze in köln", false},
		{"Re: [kita] Kitaplätze  in Köln", "kitaplätze in köln", true},
		{"AW: Re: [Kita] Kitaplätze in Köln", "kitaplätze in köln", true},
		{"WG: Fwd: Unterhalt", "unterhalt", true},
		{"Re[2]: Unterhalt", "unterhalt", true},
		{"[kita] Neu", "neu", false},
		{"", "", false},
	}
	for _, tt := range tests {
		key, isReply := SubjectKey(tt.in)
		if key != tt.key || isReply != tt.isReply {
			t.Errorf("SubjectKey(%q) = %q, %v; want %q, %v", tt.in, key, isReply, tt.key, tt.isReply)
		}
	}
}

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.eml")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("Subject: x\r\n\r\nbody"))
	f.Add([]byte("Subject: x\r\nContent-Type: text/plain; charset=\"us-ascii\"\r\n\r\nZuckert\xc3\xbcte \xfc"))
	f.Add([]byte("Subject: x\nno colon\nContent-Type: text/html\n\n<p>Zuckert\xfcte</p>"))
	f.Add([]byte("Content-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/html; charset=koi8-r\r\n" +
		"Content-Transfer-Encoding: quoted-printable\r\n\r\n<p>=F0=D2</p>\r\n--b\r\nContent-Type: image/png\r\n\r\nx\r\n--b"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		p, err := Parse(raw)
		if err == nil {
			if !utf8.ValidString(p.Text) {
				t.Errorf("Text is not UTF-8: %q", p.Text)
			}
			p.ParentCandidates()
			SubjectKey(p.Subject)
		}
	})
}
