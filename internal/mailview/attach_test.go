package mailview

import (
	"encoding/base64"
	"errors"
	"fmt"
	"mime"
	"strings"
	"testing"
	"unicode/utf8"
)

var (
	pngBytes, _ = base64.StdEncoding.DecodeString("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")
	jpegBytes   = []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9")
	gifBytes    = []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;")
	webpBytes   = []byte("RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00\x2f\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00")
	pdfBytes    = []byte("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n")
)

// mpart is one MIME part for mixedMail: its headers and its (unencoded) content.
type mpart struct {
	headers string
	content []byte
}

// mixedMail builds a multipart/mixed message; binary content is base64-encoded.
func mixedMail(parts ...mpart) []byte {
	var b strings.Builder
	b.WriteString("From: Alice <alice@example.org>\r\nSubject: Anhang\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"=_b\"\r\n\r\nPreamble\r\n")
	for _, p := range parts {
		b.WriteString("--=_b\r\n" + p.headers + "\r\n")
		if strings.Contains(p.headers, "base64") {
			b.WriteString("\r\n" + base64.StdEncoding.EncodeToString(p.content) + "\r\n")
		} else {
			b.WriteString("\r\n" + string(p.content) + "\r\n")
		}
	}
	b.WriteString("--=_b--\r\n")
	return []byte(b.String())
}

func b64(ctype, disp string) string {
	h := "Content-Type: " + ctype + "\r\nContent-Transfer-Encoding: base64"
	if disp != "" {
		h += "\r\nContent-Disposition: " + disp
	}
	return h
}

func TestAttachments(t *testing.T) {
	longName := strings.Repeat("sehr-langer-name-", 20) + ".pdf"
	tests := []struct {
		name     string
		part     mpart
		wantName string
		wantCT   string // served Content-Type
		wantDisp string // disposition type
		declared string
	}{
		{"pdf", mpart{b64("application/pdf", `attachment; filename="Protokoll Juli.pdf"`), pdfBytes},
			"Protokoll Juli.pdf", "application/pdf", "attachment", "application/pdf"},
		{"png inline", mpart{b64("image/png", `attachment; filename=bild.png`), pngBytes},
			"bild.png", "image/png", "inline", "image/png"},
		{"jpeg alias", mpart{b64("image/jpg; name=foto.jpg", ""), jpegBytes},
			"foto.jpg", "image/jpeg", "inline", "image/jpg"},
		{"gif", mpart{b64("image/gif", "attachment; filename=a.gif"), gifBytes}, "a.gif", "image/gif", "inline", "image/gif"},
		{"webp", mpart{b64("image/webp", "attachment; filename=a.webp"), webpBytes}, "a.webp", "image/webp", "inline", "image/webp"},
		{"html is never html", mpart{b64("text/html", `attachment; filename="evil.html"`), []byte("<script>alert(1)</script>")},
			"evil.html", "application/octet-stream", "attachment", "text/html"},
		{"svg is never svg", mpart{b64("image/svg+xml", `attachment; filename="evil.svg"`), []byte(`<svg onload="alert(1)"/>`)},
			"evil.svg", "application/octet-stream", "attachment", "image/svg+xml"},
		{"html posing as png", mpart{b64("image/png", `attachment; filename="fake.png"`), []byte("<html><script>alert(1)</script>")},
			"fake.png", "application/octet-stream", "attachment", "image/png"},
		{"xhtml, js, flash", mpart{b64("application/xhtml+xml", `attachment; filename=x.xhtml`), []byte("<x/>")},
			"x.xhtml", "application/octet-stream", "attachment", "application/xhtml+xml"},
		{"text attachment latin1", mpart{"Content-Type: text/plain; charset=iso-8859-1\r\nContent-Disposition: attachment; filename=notiz.txt", []byte("K\xf6ln")},
			"notiz.txt", "text/plain; charset=windows-1252", "attachment", "text/plain"},
		{"text attachment undeclared utf-8", mpart{"Content-Type: text/plain\r\nContent-Disposition: attachment; filename=n.txt", []byte("Köln")},
			"n.txt", "text/plain; charset=utf-8", "attachment", "text/plain"},
		{"rfc 2047 name", mpart{b64("application/pdf", `attachment; filename="=?utf-8?q?B=C3=BCro_Plan.pdf?="`), pdfBytes},
			"Büro Plan.pdf", "application/pdf", "attachment", "application/pdf"},
		{"rfc 2231 name", mpart{b64("application/pdf", `attachment; filename*=utf-8''%C3%9Cbersicht%20Juli.pdf`), pdfBytes},
			"Übersicht Juli.pdf", "application/pdf", "attachment", "application/pdf"},
		{"rfc 2231 continuation", mpart{b64("application/pdf", "attachment;\r\n filename*0*=iso-8859-1''Gr%FC%DFe%20;\r\n filename*1*=aus%20K%F6ln.pdf"), pdfBytes},
			"Grüße aus Köln.pdf", "application/pdf", "attachment", "application/pdf"},
		{"latin1 raw name", mpart{b64("application/pdf", "attachment; filename=\"M\xfcller.pdf\""), pdfBytes},
			"Müller.pdf", "application/pdf", "attachment", "application/pdf"},
		{"unix path", mpart{b64("application/pdf", `attachment; filename="../../etc/passwd.pdf"`), pdfBytes},
			"passwd.pdf", "application/pdf", "attachment", "application/pdf"},
		{"windows path", mpart{b64("application/octet-stream", `attachment; filename="C:\\Users\\x\\evil.exe"`), []byte("MZ")},
			"evil.exe", "application/octet-stream", "attachment", "application/octet-stream"},
		{"right-to-left override", mpart{b64("application/octet-stream", "attachment; filename=\"=?utf-8?q?rechnung=E2=80=AEfdp.exe?=\""), []byte("MZ")},
			"rechnungfdp.exe", "application/octet-stream", "attachment", "application/octet-stream"},
		{"controls and reserved", mpart{b64("application/pdf", "attachment; filename=\"=?utf-8?q?a=01b=0Dc=0A<d>:e|f?=\""), pdfBytes},
			"ab c _d__e_f", "application/pdf", "attachment", "application/pdf"},
		{"name from content type", mpart{b64("application/pdf; name=\"=?iso-8859-1?q?Gr=FC=DFe.pdf?=\"", "attachment"), pdfBytes},
			"Grüße.pdf", "application/pdf", "attachment", "application/pdf"},
		{"unquoted 2231 with spaces", mpart{b64("application/pdf", "attachment; filename*=UTF-8''a%20b.pdf; size=3"), pdfBytes},
			"a b.pdf", "application/pdf", "attachment", "application/pdf"},
		{"dots only", mpart{b64("application/pdf", `attachment; filename=".."`), pdfBytes},
			"attachment-1.pdf", "application/pdf", "attachment", "application/pdf"},
		{"hidden file", mpart{b64("application/pdf", `attachment; filename=".bashrc"`), pdfBytes},
			"bashrc", "application/pdf", "attachment", "application/pdf"},
		{"no name", mpart{b64("image/png", ""), pngBytes}, "attachment-1.png", "image/png", "inline", "image/png"},
		{"quotes and semicolons", mpart{b64("application/pdf", `attachment; filename="a\";b=c.pdf"`), pdfBytes},
			`a_;b=c.pdf`, "application/pdf", "attachment", "application/pdf"},
		{"long name", mpart{b64("application/pdf", `attachment; filename="`+longName+`"`), pdfBytes},
			longName[:maxNameLen-4] + ".pdf", "application/pdf", "attachment", "application/pdf"},
		{"forwarded message", mpart{"Content-Type: message/rfc822", []byte("Subject: fwd\r\n\r\nbody")},
			"attachment-1.eml", "application/octet-stream", "attachment", "message/rfc822"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := mixedMail(mpart{"Content-Type: text/plain; charset=utf-8", []byte("Siehe Anhang.")}, tt.part)
			v, err := Render(raw, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(v.Attachments) != 1 {
				t.Fatalf("attachments: %+v", v.Attachments)
			}
			a, data, ct, disp, err := OpenAttachment(raw, 0, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if a != v.Attachments[0] {
				t.Errorf("OpenAttachment %+v, Render %+v", a, v.Attachments[0])
			}
			if a.Name != tt.wantName || !utf8.ValidString(a.Name) || len(a.Name) > maxNameLen {
				t.Errorf("name %q, want %q", a.Name, tt.wantName)
			}
			if a.ContentType != tt.declared {
				t.Errorf("declared type %q, want %q", a.ContentType, tt.declared)
			}
			if a.Size != len(data) || string(data) != string(tt.part.content) {
				t.Errorf("size %d, data %q", a.Size, data)
			}
			if ct != tt.wantCT {
				t.Errorf("Content-Type %q, want %q", ct, tt.wantCT)
			}
			kind, params, err := mime.ParseMediaType(disp)
			if err != nil {
				t.Fatalf("disposition %q: %v", disp, err)
			}
			if kind != tt.wantDisp || params["filename"] != a.Name {
				t.Errorf("disposition %q (%s, %q), want %s with %q", disp, kind, params["filename"], tt.wantDisp, a.Name)
			}
			if strings.ContainsAny(disp, "\r\n") {
				t.Errorf("disposition with line break %q", disp)
			}
		})
	}
}

func TestAttachmentIndexes(t *testing.T) {
	related := "Content-Type: multipart/related; boundary=rel\r\n\r\n" +
		"--rel\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Bild: <img src=\"cid:pic1@example.org\"></p>\r\n" +
		"--rel\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\nContent-ID: <pic1@example.org>\r\n\r\n" +
		base64.StdEncoding.EncodeToString(pngBytes) + "\r\n--rel--"
	alternative := mpart{"Content-Type: multipart/alternative; boundary=alt", []byte(
		"--alt\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nDer Text.\r\n" +
			"--alt\r\n" + related + "\r\n--alt--")}
	raw := mixedMail(alternative,
		mpart{b64("application/pdf", "attachment; filename=a.pdf"), pdfBytes},
		mpart{"Content-Type: text/plain; charset=utf-8", []byte("Fußzeile der Liste")},
		mpart{b64("image/gif", "inline; filename=b.gif"), gifBytes},
	)
	urls := func(i int) string { return fmt.Sprintf("/att/%d", i) }
	for _, preferHTML := range []bool{false, true} {
		v, err := Render(raw, Options{PreferHTML: preferHTML, AttachmentURL: urls})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, a := range v.Attachments {
			got = append(got, fmt.Sprintf("%d:%s:%s:%v", a.Index, a.Name, a.ContentType, a.Inline))
		}
		want := "0:attachment-1.png:image/png:true 1:a.pdf:application/pdf:false 2:b.gif:image/gif:true"
		if strings.Join(got, " ") != want {
			t.Errorf("PreferHTML=%v: attachments %q, want %q", preferHTML, got, want)
		}
		body := string(v.Body)
		if preferHTML {
			if !strings.Contains(body, `<img src="/att/0"/>`) || strings.Contains(body, "Der Text") || v.HTMLAlternative {
				t.Errorf("HTML view: %s (alternative %v)", body, v.HTMLAlternative)
			}
		} else if !strings.Contains(body, "Der Text.") || strings.Contains(body, "<img") || !v.HTMLAlternative {
			t.Errorf("text view: %s (alternative %v)", body, v.HTMLAlternative)
		}
		if !strings.Contains(body, `<hr class="mv-sep">`) || !strings.Contains(body, "Fußzeile der Liste") {
			t.Errorf("second body part missing: %s", body)
		}
	}
	for _, i := range []int{-1, 3, 100} {
		if _, _, _, _, err := OpenAttachment(raw, i, Options{}); !errors.Is(err, ErrNoAttachment) {
			t.Errorf("OpenAttachment(%d) error %v", i, err)
		}
	}
}

func TestAttachmentNameMasked(t *testing.T) {
	raw := mixedMail(mpart{"Content-Type: text/plain", []byte("x")},
		mpart{b64("application/pdf", `attachment; filename="bewerbung-max@example.org.pdf"`), pdfBytes})
	v, err := Render(raw, Options{MaskAddresses: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := v.Attachments[0].Name; got != "bewerbung-m…@…" && !strings.Contains(got, "…@…") {
		t.Errorf("name %q not masked", got)
	}
}

// TestAttachmentDownloadMasked: a download is named as the page names it, so the
// sender's address in a file name reaches neither.
func TestAttachmentDownloadMasked(t *testing.T) {
	tests := []struct{ disp, want string }{
		{`attachment; filename="bewerbung-max@example.org.pdf"`, "b…@….pdf"},
		{`attachment; filename*=utf-8''anna.mueller%40annahome.example.pdf`, "a…@….pdf"},
		{`attachment; filename="=?utf-8?q?anna=40annahome=2Eexample=2Epdf?="`, "a…@….pdf"},
		{`attachment; filename="C:\\Users\\anna\\Brief.pdf"`, "Brief.pdf"},
		{`attachment; filename="Kita-Anmeldung.pdf"`, "Kita-Anmeldung.pdf"},
		{`attachment; filename="x@y"`, "x…@…"},
	}
	for _, tt := range tests {
		raw := mixedMail(mpart{"Content-Type: text/plain", []byte("x")}, mpart{b64("application/pdf", tt.disp), pdfBytes})
		opt := Options{MaskAddresses: true}
		v, err := Render(raw, opt)
		if err != nil {
			t.Fatal(err)
		}
		a, _, _, disp, err := OpenAttachment(raw, 0, opt)
		if err != nil {
			t.Fatal(err)
		}
		_, params, err := mime.ParseMediaType(disp)
		if err != nil || a.Name != tt.want || params["filename"] != tt.want || v.Attachments[0].Name != tt.want {
			t.Errorf("%s: download %q (%q, %v), page %q; want %q", tt.disp, disp, a.Name, err, v.Attachments[0].Name, tt.want)
		}
		if PublicFileName(tt.want) != tt.want {
			t.Errorf("PublicFileName(%q) = %q: not stable", tt.want, PublicFileName(tt.want))
		}
	}
}
