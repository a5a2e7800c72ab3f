package imagemeta

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"testing"
)

func b64(b []byte) string { return string(encodeBase64(b)) }

// textPart is quoted-printable with an encoded umlaut: it must come out byte for byte.
const textPart = "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nFotos vom Ausflug, sch=C3=B6n war=\r\ns.\r\n"

func mixed(parts ...string) string { return mixedWith("b1", parts...) }

func mixedWith(boundary string, parts ...string) string {
	var b strings.Builder
	b.WriteString("From: Anna <anna@example.net>\r\nTo: kita@lists.example.org\r\nSubject: Fotos\r\nMessage-ID: <f@x>\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"" + boundary + "\"\r\n\r\nThis is a multi-part message in MIME format.\r\n")
	for _, p := range parts {
		b.WriteString("--" + boundary + "\r\n" + p + "\r\n")
	}
	b.WriteString("--" + boundary + "--\r\n")
	return b.String()
}

func imagePart(typ, name string, data []byte) string {
	return "Content-Type: " + typ + "; name=\"" + name + "\"\r\nContent-Disposition: attachment; filename=\"" + name +
		"\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + b64(data)
}

// partsOf reads the parts of a multipart/mixed message, decoded.
func partsOf(t *testing.T, raw []byte) map[string][]byte {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	_, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for i := 0; ; i++ {
		p, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p)
		if p.Header.Get("Content-Transfer-Encoding") == "base64" {
			if b, err = base64.StdEncoding.DecodeString(strings.ReplaceAll(string(b), "\r\n", "")); err != nil {
				t.Fatal(err)
			}
		}
		name := p.FileName()
		if name == "" {
			name = "text"
		}
		out[name] = b
	}
	return out
}

func TestCleanMessage(t *testing.T) {
	jpg, jpgClean := gpsJPEG(t)
	pngMeta, pngClean := gpsPNG(t)
	_, plainPNG := gpsPNG(t)
	raw := []byte(mixed(textPart, imagePart("image/jpeg", "IMG_0001.jpg", jpg), imagePart("image/png", "plan.png", plainPNG),
		imagePart("application/octet-stream", "scan.png", pngMeta)))
	out, res, err := CleanMessage(raw)
	if err != nil {
		t.Fatal(err)
	}
	if res.Cleaned != 2 || len(res.Unreadable) != 0 {
		t.Fatalf("result %+v, want 2 cleaned", res)
	}
	if !bytes.Contains(out, []byte(textPart)) {
		t.Errorf("the text part changed:\n%s", out)
	}
	if !bytes.Contains(out, []byte(b64(plainPNG))) {
		t.Error("the image without metadata changed")
	}
	parts := partsOf(t, out)
	if !bytes.Equal(parts["IMG_0001.jpg"], jpgClean) || !bytes.Equal(parts["scan.png"], pngClean) || !bytes.Equal(parts["plan.png"], plainPNG) {
		t.Error("images not as expected after cleaning")
	}
	if !bytes.HasPrefix(out, []byte("From: Anna <anna@example.net>\r\nTo: kita@lists.example.org\r\n")) {
		t.Errorf("header changed:\n%.200s", out)
	}
}

func TestCleanMessageUntouched(t *testing.T) {
	_, plainPNG := gpsPNG(t)
	gif := []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;")
	for name, raw := range map[string]string{
		"text only":          "From: a@example.net\r\nSubject: x\r\n\r\nHallo\r\n",
		"clean image":        mixed(textPart, imagePart("image/png", "plan.png", plainPNG)),
		"gif":                mixed(textPart, imagePart("image/gif", "a.gif", gif)),
		"not an image":       mixed(textPart, imagePart("image/jpeg", "fake.jpg", []byte("not a jpeg"))),
		"broken multipart":   strings.TrimSuffix(mixed(textPart), "--b1--\r\n"),
		"bad base64":         mixed("Content-Type: image/jpeg\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!!\r\n"),
		"header only":        "From: a@example.net\r\nSubject: x\r\n",
		"no boundary":        "Content-Type: multipart/mixed\r\n\r\nx\r\n",
		"unparseable ctype":  "Content-Type: ;;;\r\n\r\nx\r\n",
		"headerless garbage": "\r\n\r\n\x00\x01",
	} {
		t.Run(name, func(t *testing.T) {
			out, res, _ := CleanMessage([]byte(raw))
			if string(out) != raw || res.Cleaned != 0 {
				t.Errorf("changed: %+v\n%q", res, out)
			}
		})
	}
}

func TestCleanMessageNested(t *testing.T) {
	jpg, jpgClean := gpsJPEG(t)
	inner := mixedWith("inner", textPart, imagePart("image/jpeg", "IMG_0002.jpg", jpg))
	// A forwarded mail with a photo, and a message that is nothing but a photo.
	outer := mixed(textPart, "Content-Type: message/rfc822\r\n\r\n"+inner)
	out, res, err := CleanMessage([]byte(outer))
	if err != nil || res.Cleaned != 1 {
		t.Fatalf("nested: %+v, %v", res, err)
	}
	if bytes.Contains(out, []byte(b64(jpg)[:200])) || !bytes.Contains(out, []byte(b64(jpgClean))) {
		t.Error("nested image not cleaned")
	}
	if !bytes.Contains(out, []byte("--inner--")) || !bytes.Contains(out, []byte("--b1--")) {
		t.Errorf("structure lost:\n%s", out)
	}

	bare := "From: a@example.net\r\nContent-Type: image/jpeg\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + string(jpg)
	out, res, err = CleanMessage([]byte(bare))
	if err != nil || res.Cleaned != 1 {
		t.Fatalf("bare: %+v, %v", res, err)
	}
	m, err := mail.ReadMessage(bytes.NewReader(out))
	if err != nil || m.Header.Get("Content-Transfer-Encoding") != "base64" {
		t.Fatalf("bare image: %v\n%.300q", err, out)
	}
	body, _ := io.ReadAll(base64.NewDecoder(base64.StdEncoding, m.Body))
	if !bytes.Equal(body, jpgClean) {
		t.Error("bare image not cleaned")
	}
}

// TestCleanMessageBrokenHeader: a line that is no header field ends the header, as
// it does for the copies that go out, so the image below it is cleaned, not left
// with its location because the header could not be read.
func TestCleanMessageBrokenHeader(t *testing.T) {
	jpg, jpgClean := gpsJPEG(t)
	raw := strings.Replace(mixed(textPart, imagePart("image/jpeg", "IMG_0001.jpg", jpg)),
		"\r\n\r\n", "\r\nthis line is no field\r\n\r\n", 1)
	out, res, err := CleanMessage([]byte(raw))
	if err != nil || res.Cleaned != 1 {
		t.Fatalf("%+v, %v\n%.300q", res, err, raw)
	}
	if !bytes.Contains(out, []byte(b64(jpgClean))) {
		t.Error("image not cleaned")
	}
}

func TestCleanMessageUnreadable(t *testing.T) {
	jpg, _ := gpsJPEG(t)
	raw := mixed(textPart, imagePart("image/jpeg", "kaputt.jpg", jpg[:40]))
	out, res, err := CleanMessage([]byte(raw))
	if err != nil || string(out) != raw || len(res.Unreadable) != 1 || res.Unreadable[0] != "kaputt.jpg" {
		t.Fatalf("%+v %v", res, err)
	}
}

func FuzzCleanMessage(f *testing.F) {
	jpg, _ := gpsJPEG(f)
	pngMeta, _ := gpsPNG(f)
	f.Add([]byte(mixed(textPart, imagePart("image/jpeg", "a.jpg", jpg))))
	f.Add([]byte(mixed(imagePart("image/png", "a.png", pngMeta), "Content-Type: message/rfc822\r\n\r\n"+mixed(textPart))))
	f.Add([]byte("From: a@example.net\r\nSubject: x\r\n\r\nHallo\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		out, res, err := CleanMessage(raw)
		if err != nil || res.Cleaned == 0 {
			if !bytes.Equal(out, raw) {
				t.Fatal("output differs although nothing was cleaned")
			}
			return
		}
		again, res2, err := CleanMessage(out)
		if err != nil || res2.Cleaned != 0 || !bytes.Equal(again, out) {
			t.Fatalf("not idempotent: %+v %v", res2, err)
		}
	})
}
