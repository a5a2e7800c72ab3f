package mailview

import (
	"bytes"
	"errors"
	"mime"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzRender: no input makes Render, RenderText or OpenAttachment panic or hang, and
// every body passes the same safety check as the hostile corpus. The seeds in
// testdata/fuzz/FuzzRender are the hostile mails.
func FuzzRender(f *testing.F) {
	f.Add([]byte(alternativeMail("Text\r\n> quote\r\n-- \r\nsig", "<p>HTML <img src=cid:x></p>")), false, true)
	f.Add(mixedMail(mpart{"Content-Type: text/plain; format=flowed; delsp=yes", []byte("a \r\nb\r\n")},
		mpart{b64("image/png", "inline; filename*=utf-8''x%C3%A4.png"), pngBytes}), true, false)
	f.Fuzz(func(t *testing.T, raw []byte, preferHTML, mask bool) {
		opt := Options{PreferHTML: preferHTML, MaskAddresses: mask, AttachmentURL: testAttachmentURL}
		if err := checkSafe(string(RenderText(string(raw), opt)), mask); err != nil {
			t.Fatalf("RenderText: %v", err)
		}
		v, err := Render(raw, opt)
		if err != nil {
			if len(bytes.TrimSpace(raw)) > 0 {
				t.Fatalf("Render: %v", err)
			}
			return
		}
		body := string(v.Body)
		if !utf8.ValidString(body) || !utf8.ValidString(v.Subject) {
			t.Fatalf("invalid UTF-8")
		}
		if err := checkSafe(body, mask); err != nil {
			t.Fatalf("%v\nbody: %s", err, clip(body, 2000))
		}
		if mask {
			shown := v.Subject + " " + strings.Join(v.Errors, " ")
			for _, a := range v.Attachments {
				shown += " " + a.Name
			}
			if addrRE.MatchString(shown) {
				t.Fatalf("address shown: %q", shown)
			}
		}
		for i, want := range v.Attachments {
			a, data, ct, disp, err := OpenAttachment(raw, i, opt)
			if err != nil {
				t.Fatalf("OpenAttachment(%d): %v", i, err)
			}
			// The download is named as the page names it, masked or not.
			if a.Index != i || a.Size != len(data) || a.Name != want.Name || a.Inline != want.Inline {
				t.Fatalf("attachment %d: %+v, rendered as %+v, %d bytes", i, a, want, len(data))
			}
			if a.Name == "" || strings.ContainsAny(a.Name, "/\\\x00\r\n") || !utf8.ValidString(a.Name) {
				t.Fatalf("unsafe name %q", a.Name)
			}
			mt, _, err := mime.ParseMediaType(ct)
			if err != nil {
				t.Fatalf("content type %q: %v", ct, err)
			}
			switch mt {
			case "image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain", "application/octet-stream":
			default:
				t.Fatalf("content type %q", ct)
			}
			kind, params, err := mime.ParseMediaType(disp)
			if err != nil || params["filename"] != a.Name || (kind == "inline") != inertImage(mt) {
				t.Fatalf("disposition %q for %q (%v)", disp, ct, err)
			}
			if mask && addrRE.MatchString(disp) {
				t.Fatalf("disposition %q for %q (%v)", disp, ct, err)
			}
		}
		if _, _, _, _, err := OpenAttachment(raw, len(v.Attachments), opt); !errors.Is(err, ErrNoAttachment) {
			t.Fatalf("attachment past the end: %v", err)
		}
	})
}
