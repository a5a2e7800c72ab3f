package mailview

import (
	"strings"
	"testing"
)

func TestMask(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a@b.de", "a…@…"},
		{"Mail: max.mustermann@example.org.", "Mail: m…@…."},
		{"<bob@example.org>", "<b…@…>"},
		{"Bob <bob+liste@mail.example.org>, carol_c@example.net", "Bob <b…@…>, c…@…"},
		{"müller@bücher.example", "m…@…"},
		{"root@localhost", "r…@…"},
		{"e=carol%40example.org&x=1", "e=c…@…&x=1"},
		{"https://x.example/u?e=a@b.example", "https://x.example/u?e=a…@…"},
		{".dots.@example.org", ".d…@…"},
		{"no address here", "no address here"},
		{"@home und @ 10 Uhr, user@, @., a@-", "@home und @ 10 Uhr, user@, @., a@-"},
		{"a@b@c.example", "a…@…@c.example"},
		{"100%40", "100%40"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := Mask(tt.in); got != tt.want {
			t.Errorf("Mask(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMaskedRender(t *testing.T) {
	raw := []byte("From: Alice <alice@example.org>\r\n" +
		"Subject: =?utf-8?q?Frage_von_bob=40example=2Eorg?=\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
		"Bitte an carol@example.org schreiben, https://lists.example.org/x?m=carol@example.org\r\n" +
		"> dave@example.net schrieb:\r\n" +
		"-- \r\nAlice, alice@example.org\r\n" +
		"--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" +
		`<p>HTML: <a href="mailto:carol@example.org">Carol</a> erin@example.org <img src="https://x.example/p.gif?r=frank@example.org" alt="frank@example.org"></p>` +
		"\r\n--b--\r\n")
	for _, preferHTML := range []bool{false, true} {
		v, err := Render(raw, Options{MaskAddresses: true, PreferHTML: preferHTML})
		if err != nil {
			t.Fatal(err)
		}
		if err := checkSafe(string(v.Body), true); err != nil {
			t.Fatalf("%v: %s", err, v.Body)
		}
		all := v.Subject + string(v.Body) + strings.Join(v.Errors, "")
		for _, a := range []string{"alice@", "bob@", "carol@", "dave@", "erin@", "frank@", "@example"} {
			if strings.Contains(all, a) {
				t.Errorf("PreferHTML=%v: %q shown in %s", preferHTML, a, all)
			}
		}
		if v.Subject != "Frage von b…@…" {
			t.Errorf("subject %q", v.Subject)
		}
	}
	v, err := Render(raw, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(v.Subject, "bob@example.org") || !strings.Contains(string(v.Body), "carol@example.org") {
		t.Errorf("unmasked render changed addresses: %q %s", v.Subject, v.Body)
	}
}

func TestRenderShapes(t *testing.T) {
	if _, err := Render(nil, Options{}); err == nil {
		t.Error("empty message rendered")
	}
	if _, err := Render([]byte(" \r\n"), Options{}); err == nil {
		t.Error("blank message rendered")
	}
	tests := []struct {
		name, raw, want string
		opt             Options
		alternative     bool
	}{
		{name: "no header", raw: "just a line of text", want: "just a line of text"},
		{name: "header only", raw: "Subject: x\r\n", want: `<div class="mv-text"></div>`},
		{name: "html only", raw: "Content-Type: text/html\r\n\r\n<p>Hallo <b>Welt</b></p>",
			want: `<div class="mv-html"><p>Hallo <b>Welt</b></p></div>`},
		{name: "text preferred", raw: alternativeMail("Text", "<p>HTML</p>"),
			want: `<div class="mv-text">Text` + "\n</div>", alternative: true},
		{name: "html preferred", raw: alternativeMail("Text", "<p>HTML</p>"), opt: Options{PreferHTML: true},
			want: `<div class="mv-html"><p>HTML</p></div>`},
		{name: "empty text falls back to html", raw: alternativeMail(" \r\n", "<p>HTML</p>"),
			want: `<div class="mv-html"><p>HTML</p></div>`},
		{name: "missing boundary", raw: "Content-Type: multipart/mixed\r\n\r\nplain body",
			want: "plain body"},
		{name: "unclosed boundary", raw: "Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\nteil eins",
			want: "teil eins"},
		{name: "attachment only", raw: "Content-Type: application/pdf\r\nContent-Disposition: attachment; filename=a.pdf\r\n\r\n%PDF-1.4",
			want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := Render([]byte(tt.raw), tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			if err := checkSafe(string(v.Body), false); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(v.Body), tt.want) || (tt.want == "" && v.Body != "") {
				t.Errorf("body %q, want %q", v.Body, tt.want)
			}
			if v.HTMLAlternative != tt.alternative {
				t.Errorf("HTMLAlternative = %v", v.HTMLAlternative)
			}
		})
	}
}

func alternativeMail(text, html string) string {
	return "Content-Type: multipart/alternative; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + text + "\r\n" +
		"--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + html + "\r\n--b--\r\n"
}
