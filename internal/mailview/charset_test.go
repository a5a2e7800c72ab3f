package mailview

import (
	"encoding/base64"
	"strings"
	"testing"
)

func TestCharsets(t *testing.T) {
	tests := []struct {
		name    string
		headers string // Content-Type and more, without the final blank line
		body    string
		want    string
		errWant string // a substring of View.Errors, if any
	}{
		{name: "latin1 declared", headers: "Content-Type: text/plain; charset=iso-8859-1",
			body: "Gr\xfc\xdfe aus K\xf6ln", want: "Grüße aus Köln"},
		{name: "latin1 label", headers: "Content-Type: text/plain; charset=\"Latin1\"",
			body: "\xc4rger", want: "Ärger"},
		{name: "windows-1252 declared", headers: "Content-Type: text/plain; charset=windows-1252",
			body: "\x80 \x84Zitat\x93 \x96 Stra\xdfe", want: "€ „Zitat“ – Straße"},
		{name: "iso-8859-15 declared", headers: "Content-Type: text/plain; charset=ISO-8859-15",
			body: "Preis: 5 \xa4", want: "Preis: 5 €"},
		{name: "koi8-r declared", headers: "Content-Type: text/plain; charset=koi8-r",
			body: "\xf0\xd2\xc9\xd7\xc5\xd4, \xcd\xc9\xd2", want: "Привет, мир"},
		{name: "undeclared 8-bit", headers: "Content-Type: text/plain",
			body: "K\xf6ln \x80 \xfcber", want: "Köln € über"},
		{name: "no content type at all", headers: "X-Nothing: x",
			body: "M\xfcnchen", want: "München"},
		{name: "undeclared utf-8", headers: "Content-Type: text/plain",
			body: "Köln – €", want: "Köln – €"},
		{name: "latin1 declared, utf-8 sent", headers: "Content-Type: text/plain; charset=iso-8859-1",
			body: "Grüße aus Köln", want: "Grüße aus Köln"},
		{name: "us-ascii declared, utf-8 sent", headers: "Content-Type: text/plain; charset=us-ascii",
			body: "Grüße", want: "Grüße"},
		{name: "utf-8 declared, latin1 sent", headers: "Content-Type: text/plain; charset=utf-8",
			body: "Gr\xfc\xdfe aus K\xf6ln", want: "Grüße aus Köln"},
		{name: "utf-8 declared, one stray latin1 byte", headers: "Content-Type: text/plain; charset=utf-8",
			body: "Grüße aus K\xf6ln", want: "Grüße aus Köln"},
		{name: "unknown charset", headers: "Content-Type: text/plain; charset=x-martian",
			body: "K\xf6ln", want: "Köln", errWant: `unknown charset "x-martian"`},
		{name: "mangled charset value", headers: "Content-Type: text/plain; charset=\"charset=iso-8859-1\"",
			body: "K\xf6ln", want: "Köln"},
		{name: "base64 latin1", headers: "Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: base64",
			body: base64.StdEncoding.EncodeToString([]byte("Gr\xfc\xdfe")), want: "Grüße"},
		{name: "quoted-printable latin1", headers: "Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable",
			body: "Gr=FC=DFe, lan=\r\nge Zeile, =3D und =ZZ", want: "Grüße, lange Zeile, = und =ZZ"},
		{name: "unknown transfer encoding", headers: "Content-Type: text/plain\r\nContent-Transfer-Encoding: x-rot13",
			body: "Text", want: "Text", errWant: `unknown transfer encoding "x-rot13"`},
		{name: "html meta charset", headers: "Content-Type: text/html",
			body: `<html><head><meta charset="iso-8859-15"></head><body><p>5 ` + "\xa4 Gr\xfc\xdfe</p></body></html>", want: "5 € Grüße"},
		{name: "html header charset wins", headers: "Content-Type: text/html; charset=koi8-r",
			body: `<meta http-equiv="Content-Type" content="text/html; charset=utf-8"><p>` + "\xf0\xd2\xc9\xd7\xc5\xd4</p>", want: "Привет"},
		{name: "html undeclared 8-bit", headers: "Content-Type: text/html",
			body: "<p>K\xf6ln</p>", want: "Köln"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := "From: a <a@example.org>\r\nSubject: s\r\nMIME-Version: 1.0\r\n" + tt.headers + "\r\n\r\n" + tt.body
			v, err := Render([]byte(raw), Options{PreferHTML: true})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(v.Body), tt.want) {
				t.Errorf("body %q lacks %q", v.Body, tt.want)
			}
			if strings.ContainsRune(string(v.Body), '\ufffd') {
				t.Errorf("replacement character in %q", v.Body)
			}
			errs := strings.Join(v.Errors, "; ")
			if tt.errWant != "" && !strings.Contains(errs, tt.errWant) {
				t.Errorf("errors %q lack %q", errs, tt.errWant)
			}
			if tt.errWant == "" && errs != "" {
				t.Errorf("unexpected errors %q", errs)
			}
		})
	}
}

func TestSubjects(t *testing.T) {
	tests := []struct{ raw, want string }{
		{"=?iso-8859-1?q?Gr=FC=DFe_aus_K=F6ln?=", "Grüße aus Köln"},
		{"=?UTF-8?B?w5xiZXIgZGllIEJyw7xja2U=?=", "Über die Brücke"},
		{"=?utf-8?q?Teil_eins?= =?utf-8?q?_und_zwei?=", "Teil eins und zwei"},
		{"Re: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\n =?utf-8?q?_nochmal?=", "Re: Grüße nochmal"},
		{"=?koi8-r?b?8NLJ18XU?=", "Привет"},
		{"=?windows-1252?q?=80_und_=84Zitat=93?=", "€ und „Zitat“"},
		{"=?iso-8859-15?q?5_=A4?=", "5 €"},
		{"K\xf6ln ohne Kodierung", "Köln ohne Kodierung"},
		{"=?x-martian?q?abc?= bleibt", "=?x-martian?q?abc?= bleibt"},
		{"=?utf-8?q?kaputt", "=?utf-8?q?kaputt"},
		{"Tab\tund\x07Steuer\x1bzeichen", "Tab undSteuerzeichen"},
	}
	for _, tt := range tests {
		raw := "From: a@example.org\r\nSubject: " + tt.raw + "\r\nContent-Type: text/plain\r\n\r\nx"
		v, err := Render([]byte(raw), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if v.Subject != tt.want {
			t.Errorf("subject %q = %q, want %q", tt.raw, v.Subject, tt.want)
		}
	}
}

func TestDecodeTransfer(t *testing.T) {
	tests := []struct{ cte, in, want string }{
		{"base64", "R3L8\r\n32U=", "Gr\xfc\xdfe"},
		{"BASE64", " R3L8 32U", "Gr\xfc\xdfe"},
		{"base64", "SGFsbG8g*!\r\nV2Vs\tdA==\r\n", "Hallo Welt"},
		{"base64", "QQ", "A"},
		{"base64", "QUJD\r\nR", "ABC"},
		{"quoted-printable", "a=3Db=\r\nc=\nd", "a=bcd"},
		{"quoted-printable", "soft =  \r\nbreak", "soft break"},
		{"quoted-printable", "bad =G1 =4 =", "bad =G1 =4 "},
		{"quoted-printable", "trailing space kept \r\n", "trailing space kept \r\n"},
		{"7bit", "as is", "as is"},
		{"", "as is", "as is"},
	}
	for _, tt := range tests {
		got, _ := decodeTransfer(tt.cte, []byte(tt.in))
		if string(got) != tt.want {
			t.Errorf("decodeTransfer(%q, %q) = %q, want %q", tt.cte, tt.in, got, tt.want)
		}
	}
}
