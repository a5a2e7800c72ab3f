package archive

import (
	"strings"
	"testing"
)

// Old archives: the From forms pipermail and old clients wrote, and a multipart
// without a boundary, are read instead of refused; live mail is read as before.
func TestParseOldArchiveForms(t *testing.T) {
	tests := []struct {
		name, raw      string
		fromName, addr string
		text           string
		errPart        string
	}{
		{"pipermail", "From: anna at example.net (Anna Mueller)\nSubject: x\n\nhallo\n",
			"Anna Mueller", "anna@example.net", "hallo", "From:"},
		{"pipermail encoded name", "From: anna at example.net (=?utf-8?q?Anna_M=C3=BCller?=)\nSubject: x\n\nhallo\n",
			"Anna Müller", "anna@example.net", "hallo", "From:"},
		{"pipermail without a name", "From: anna at example.net\nSubject: x\n\nhallo\n",
			"", "anna@example.net", "hallo", "From:"},
		{"name with unquoted specials", "From: Dr. Anna M. <anna@example.net>\nSubject: x\n\nhallo\n",
			"Dr. Anna M.", "anna@example.net", "hallo", ""},
		{"multipart without boundary", "From: Ben <ben@example.net>\nSubject: x\nMIME-Version: 1.0\n" +
			"Content-Type: multipart/mixed;\n charset=\"utf-8\"\n\nGr\xc3\xbc\xc3\x9fe\n",
			"Ben", "ben@example.net", "Grüße", "body read as plain text"},
		{"multipart without boundary, CRLF", "From: Ben <ben@example.net>\r\nContent-Type: multipart/alternative\r\nSubject: x\r\n\r\nhallo\r\n",
			"Ben", "ben@example.net", "hallo", "body read as plain text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParseArchived([]byte(tt.raw))
			if err != nil {
				t.Fatal(err)
			}
			// Live mail stays strict: such a From gives no author, such a body is refused.
			if live, err := Parse([]byte(tt.raw)); tt.errPart == "body read as plain text" && err == nil ||
				tt.errPart == "From:" && (err != nil || live.FromAddr != "") {
				t.Errorf("Parse: %+v, %v", live, err)
			}
			if p.FromName != tt.fromName || p.FromAddr != tt.addr || !strings.Contains(p.Text, tt.text) {
				t.Errorf("name %q addr %q text %q; want %q %q %q", p.FromName, p.FromAddr, p.Text, tt.fromName, tt.addr, tt.text)
			}
			if errs := strings.Join(p.Errors, "\n"); tt.errPart != "" && !strings.Contains(errs, tt.errPart) {
				t.Errorf("errors %q lack %q", errs, tt.errPart)
			}
			if p.Subject != "x" {
				t.Errorf("subject %q", p.Subject)
			}
		})
	}
}

func TestLooseFrom(t *testing.T) {
	tests := []struct{ in, name, addr string }{
		{"anna at example.net (Anna Müller)", "Anna Müller", "anna@example.net"},
		{"Anna.M at mail.example.org", "", "anna.m@mail.example.org"},
		{"anna@example.net (Anna (Kita) M)", "Anna (Kita) M", "anna@example.net"},
		{"Anna, M. <anna@example.net>", "Anna, M.", "anna@example.net"},
		{`"Anna \"A\" M" <anna@example.net>`, `Anna "A" M`, "anna@example.net"},
		{"<anna@example.net>", "", "anna@example.net"},
		{"Anna Müller anna@example.net", "Anna Müller", "anna@example.net"},
		{"Anna Müller", "Anna Müller", ""},
		{"root", "", ""},
		{"", "", ""},
	}
	for _, tt := range tests {
		name, addr := looseFrom(tt.in)
		if name != tt.name || addr != tt.addr {
			t.Errorf("looseFrom(%q) = %q, %q; want %q, %q", tt.in, name, addr, tt.name, tt.addr)
		}
	}
}

func FuzzLooseFrom(f *testing.F) {
	for _, s := range []string{"anna at example.net (Anna)", "Anna <a@b>", "a@b (c)", "x", `"q\"" <a@b>`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		looseFrom(v)
	})
}

func FuzzAsPlainText(f *testing.F) {
	f.Add([]byte("From: a@b\nContent-Type: multipart/mixed\n\nbody\n"))
	f.Add([]byte("Content-Type: multipart/mixed;\r\n charset=utf-8\r\nSubject: s\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		out, ok := asPlainText(raw)
		if ok && !strings.Contains(string(out), "Content-Type: text/plain") {
			t.Fatalf("no text/plain in %q", out)
		}
	})
}

func FuzzParseArchived(f *testing.F) {
	f.Add([]byte("From: anna at example.net (Anna)\nContent-Type: multipart/mixed\n\nbody\n"))
	f.Add([]byte("From: a@b\r\nContent-Type: multipart/alternative; boundary=x\r\n\r\n--x\r\n\r\nt\r\n--x--\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		if p, err := ParseArchived(raw); err == nil {
			p.ParentCandidates()
		}
	})
}
