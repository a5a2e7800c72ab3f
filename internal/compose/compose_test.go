package compose

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"mime"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // decode latin-1 etc. when walking outputs
	"github.com/emersion/go-message/textproto"
	"github.com/jhillyerd/enmime/v2"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/*.eml")

var testList = List{
	Name:     "kita",
	Title:    "Kita und Schule",
	Domain:   "lists.example.org",
	BaseURL:  "http://127.0.0.1:8080",
	Language: "de",
}

const (
	testUnsub     = "http://127.0.0.1:8080/kita/u/7f3a9c1e2b4d6f80"
	testArchiveID = 42
	htmlMarker    = `<div class="list-footer">`
)

// wantListFields are the list header fields every output carries exactly
// once, with these unfolded values.
var wantListFields = map[string]string{
	"List-Unsubscribe":      "<" + testUnsub + ">, <mailto:kita-unsubscribe@lists.example.org>",
	"List-Id":               `"Kita und Schule" <kita.lists.example.org>`,
	"List-Post":             "<mailto:kita@lists.example.org>",
	"List-Help":             "<mailto:kita-request@lists.example.org?subject=help>",
	"List-Subscribe":        "<http://127.0.0.1:8080/kita/subscribe>, <mailto:kita-subscribe@lists.example.org>",
	"List-Archive":          "<http://127.0.0.1:8080/kita/>",
	"Archived-At":           "<http://127.0.0.1:8080/kita/m/42>",
	"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
	"Precedence":            "list",
	"X-Loop":                "kita@lists.example.org",
}

func TestPrepareTestdata(t *testing.T) {
	tests := []struct {
		file    string
		subject string // decoded Subject of the output
		wrapped bool   // the original went into a new multipart/mixed
		html    bool   // an HTML part carries the HTML footer
		noText  bool   // there is no text/plain footer (HTML only)
		signed  bool   // multipart/signed whose signed bytes must survive
	}{
		{file: "plain-ascii", subject: "[kita] Elternabend am Donnerstag"},
		{file: "plain-utf8-8bit", subject: "[kita] Sommerfest: Kuchenspenden"},
		{file: "qp-latin1", subject: "[kita] Schließtage im August"},
		{file: "base64-text", subject: "[kita] Fundsachen"},
		{file: "alternative", subject: "[kita] Ausflug in den Zoo", html: true},
		{file: "mixed-pdf", subject: "[kita] Speiseplan Juni"},
		{file: "mixed-alternative", subject: "[kita] Fotos vom Laternenumzug", html: true},
		{file: "signed-pgp", subject: "[kita] Elternbeirat: Protokoll", wrapped: true, signed: true},
		{file: "smime-opaque", subject: "[kita] Bescheid", wrapped: true},
		{file: "html-only", subject: "[kita] Newsletter Mai", html: true, noText: true},
		{file: "reply-tagged", subject: "AW: Re: [Kita] Elternabend am Donnerstag"},
		{file: "encoded-subject", subject: "[kita] Fahrgemeinschaft für den Ausflug nach Süden – wer hat noch Platz?"},
		{file: "lf-only", subject: "[kita] Laternen basteln", html: true},
		{file: "related-apple", subject: "[kita] Einladung Kindergeburtstag", html: true},
		{file: "header-only", subject: "[kita]"},
		{file: "unknown-charset", subject: "[kita] =?x-unknown?q?Hallo?=", wrapped: true},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		seen[tt.file+".eml"] = true
		t.Run(tt.file, func(t *testing.T) {
			in, err := os.ReadFile(filepath.Join("testdata", tt.file+".eml"))
			if err != nil {
				t.Fatal(err)
			}
			p, err := Prepare(in, testList, testArchiveID)
			if err != nil {
				t.Fatalf("Prepare: %v", err)
			}
			var buf bytes.Buffer
			n, err := p.WriteTo(&buf, testUnsub)
			if err != nil {
				t.Fatalf("WriteTo: %v", err)
			}
			out := buf.Bytes()
			if n != int64(len(out)) {
				t.Errorf("WriteTo returned %d, wrote %d bytes", n, len(out))
			}
			if p.Size() < len(out) {
				t.Errorf("Size() = %d, less than the %d bytes written", p.Size(), len(out))
			}
			checkGolden(t, tt.file, out)
			checkLines(t, out)
			checkHeader(t, out, tt.subject)
			checkFooters(t, out, !tt.noText, tt.html)
			checkEnmime(t, in, out)
			checkPartsKept(t, in, out, tt.signed)
			if got := isWrapped(t, in, out); got != tt.wrapped {
				t.Errorf("wrapped = %v, want %v", got, tt.wrapped)
			}
		})
	}
	// Every sample must be covered by the table.
	files, _ := filepath.Glob(filepath.Join("testdata", "*.eml"))
	for _, f := range files {
		if !seen[filepath.Base(f)] {
			t.Errorf("%s has no test case", f)
		}
	}
}

func checkGolden(t *testing.T, name string, out []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name+".eml")
	if *update {
		if err := os.WriteFile(path, out, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(out, want) {
		t.Errorf("output differs from %s (run go test -update after checking the change):\n%s", path, out)
	}
}

// checkLines checks CRLF line endings and the RFC 5322 line length limit.
func checkLines(t *testing.T, out []byte) {
	t.Helper()
	for i, line := range bytes.SplitAfter(out, []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		if !bytes.HasSuffix(line, []byte("\r\n")) {
			t.Errorf("line %d does not end in CRLF: %q", i+1, line)
		}
		if len(line) > 1000 {
			t.Errorf("line %d has %d bytes", i+1, len(line))
		}
	}
}

func readHeader(t *testing.T, b []byte) textproto.Header {
	t.Helper()
	h, err := textproto.ReadHeader(bufioReader(b))
	if err != nil {
		t.Fatalf("read header: %v", err)
	}
	return h
}

func checkHeader(t *testing.T, out []byte, subject string) {
	t.Helper()
	h := readHeader(t, out)
	counts := map[string]int{}
	fields := h.Fields()
	for fields.Next() {
		k := fields.Key()
		counts[k]++
		if want, ok := wantListFields[k]; ok {
			if fields.Value() != want {
				t.Errorf("%s = %q, want %q", k, fields.Value(), want)
			}
			continue
		}
		switch {
		case hasPrefixFold(k, "List-"):
			t.Errorf("unexpected %s: %s", k, fields.Value())
		case k == "Return-Path" || k == "Delivered-To":
			t.Errorf("%s not removed", k)
		}
	}
	for k := range wantListFields {
		if counts[k] != 1 {
			t.Errorf("%d %s fields, want 1", counts[k], k)
		}
	}
	if counts["Subject"] != 1 {
		t.Errorf("%d Subject fields, want 1", counts["Subject"])
	}
	mh := message.Header{Header: h}
	got, err := mh.Text("Subject")
	if message.IsUnknownCharset(err) {
		got = h.Get("Subject")
	} else if err != nil {
		t.Errorf("decode Subject: %v", err)
	}
	if got != subject {
		t.Errorf("Subject = %q, want %q", got, subject)
	}
}

type walkedPart struct {
	mediaType string
	filename  string
	body      []byte   // decoded
	keys      []string // the header's field names
	depth     int
}

// walk returns the leaf parts of b as go-message sees them, decoded.
func walk(b []byte) ([]walkedPart, error) {
	e, err := message.Read(bytes.NewReader(b))
	if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
		return nil, err
	}
	var parts []walkedPart
	err = e.Walk(func(path []int, e *message.Entity, err error) error {
		if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
			return err
		}
		mt, _, _ := e.Header.ContentType()
		if strings.HasPrefix(mt, "multipart/") {
			return nil
		}
		body, err := io.ReadAll(e.Body)
		if err != nil {
			return fmt.Errorf("part %v: %w", path, err)
		}
		_, dp, _ := e.Header.ContentDisposition()
		var keys []string
		for f := e.Header.Fields(); f.Next(); {
			keys = append(keys, f.Key())
		}
		parts = append(parts, walkedPart{mediaType: mt, filename: dp["filename"], body: body, keys: keys, depth: len(path)})
		return nil
	})
	return parts, err
}

// checkFooters checks that the text footer appears exactly once in the
// text/plain parts, and the HTML footer once in the HTML parts if wanted.
func checkFooters(t *testing.T, out []byte, wantText, wantHTML bool) {
	t.Helper()
	parts, err := walk(out)
	if err != nil {
		t.Fatalf("go-message walk: %v", err)
	}
	text := string(newFooter(testList).text)
	var nText, nHTML int
	for _, p := range parts {
		switch p.mediaType {
		case "", "text/plain":
			nText += strings.Count(string(p.body), text)
		case "text/html":
			nHTML += strings.Count(string(p.body), htmlMarker)
		}
		if bytes.Contains(p.body, []byte(testUnsub)) {
			t.Errorf("member's unsubscribe URL in the body")
		}
	}
	if want := map[bool]int{true: 1}[wantText]; nText != want {
		t.Errorf("text footer found %d times, want %d", nText, want)
	}
	if want := map[bool]int{true: 1}[wantHTML]; nHTML != want {
		t.Errorf("HTML footer found %d times, want %d", nHTML, want)
	}
}

// checkEnmime checks that enmime parses the output without new problems
// and that attachments are unchanged.
func checkEnmime(t *testing.T, in, out []byte) {
	t.Helper()
	envIn, err := enmime.ReadEnvelope(bytes.NewReader(in))
	if err != nil {
		t.Fatalf("enmime input: %v", err)
	}
	envOut, err := enmime.ReadEnvelope(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("enmime output: %v", err)
	}
	known := map[string]bool{}
	for _, e := range envIn.Errors {
		known[e.Name] = true
	}
	for _, e := range envOut.Errors {
		if e.Severe || !known[e.Name] {
			t.Errorf("enmime: %v (severe %v)", e, e.Severe)
		}
	}
	if n := strings.Count(envOut.Text, "Schreiben an die Liste: kita@lists.example.org"); n != 1 {
		t.Errorf("enmime text has the footer %d times, want 1:\n%s", n, envOut.Text)
	}
	got := map[string][]byte{}
	for _, a := range envOut.Attachments {
		got[a.FileName] = a.Content
	}
	for _, a := range envIn.Attachments {
		if !bytes.Equal(got[a.FileName], a.Content) {
			t.Errorf("attachment %q changed", a.FileName)
		}
	}
}

// checkPartsKept checks that the raw bytes of attachments and of the signed
// entity are in the output unchanged.
func checkPartsKept(t *testing.T, in, out []byte, signed bool) {
	t.Helper()
	in = ToCRLF(in)
	hdr, body := splitHeader(in)
	h := readHeader(t, append(hdr, "\r\n"...))
	mt, params, _ := mime.ParseMediaType(h.Get("Content-Type"))
	if signed {
		if mt != "multipart/signed" {
			t.Fatalf("input is %s", mt)
		}
		if !bytes.Contains(out, body) {
			t.Errorf("signed body not in output byte for byte")
		}
		if !bytes.Contains(out, []byte("\r\n\r\n"+string(body)+"\r\n--")) {
			t.Errorf("signed body not a complete part of the output")
		}
	}
	if !strings.HasPrefix(mt, "multipart/") {
		return
	}
	m, ok := splitMultipart(body, params["boundary"])
	if !ok {
		t.Fatalf("input multipart does not split")
	}
	for _, sp := range m.parts {
		p, _ := parsePart(body[sp.start:sp.end])
		if p.isAttachment() && !bytes.Contains(out, body[sp.start:sp.end]) {
			t.Errorf("attachment part %s changed", p.h.Get("Content-Type"))
		}
	}
}

// isWrapped reports whether out is the input in a new multipart/mixed.
func isWrapped(t *testing.T, in, out []byte) bool {
	t.Helper()
	h := readHeader(t, out)
	ct := h.Get("Content-Type")
	_, body := splitHeader(ToCRLF(in))
	return strings.Contains(ct, "=_listd_") && bytes.Contains(out, body)
}

func TestSubjectTag(t *testing.T) {
	tests := []struct {
		subject, name, want string
	}{
		{"Elternabend", "kita", "[kita] Elternabend"},
		{"Re: Elternabend", "kita", "[kita] Re: Elternabend"},
		{"Re: [kita] Elternabend", "kita", "Re: [kita] Elternabend"},
		{"AW: Re: [Kita] Elternabend", "kita", "AW: Re: [Kita] Elternabend"},
		{"Fwd: [KITA] Elternabend", "kita", "Fwd: [KITA] Elternabend"},
		{"WG: Elternabend", "kita", "[kita] WG: Elternabend"},
		{"WG: AW: [kita]", "kita", "WG: AW: [kita]"},
		{"[kita-eltern] Sommerfest", "kita", "[kita] [kita-eltern] Sommerfest"},
		{"kita Sommerfest", "kita", "[kita] kita Sommerfest"},
		{"Grüße [Kita]", "kita", "Grüße [Kita]"},
		{"", "kita", "[kita] "},
		{"Elternabend", "", "Elternabend"},
	}
	for _, tt := range tests {
		if got := SubjectTag(tt.subject, tt.name); got != tt.want {
			t.Errorf("SubjectTag(%q, %q) = %q, want %q", tt.subject, tt.name, got, tt.want)
		}
	}
}

// TestSubjectField covers encoding of the Subject header field.
func TestSubjectField(t *testing.T) {
	long := strings.Repeat("Elternabend ", 20)
	tests := []struct {
		name  string
		field string // incoming Subject field, "" for none
		want  string // wanted raw field, without the final CRLF
	}{
		{"missing", "", "Subject: [kita] "},
		{"ascii", "Subject: Hallo", "Subject: [kita] Hallo"},
		{"tagged keeps bytes", "Subject: Re:  [KITA]   Hallo", "Subject: Re:  [KITA]   Hallo"},
		{"encoded tag keeps bytes", "Subject: =?utf-8?q?Re=3A_=5Bkita=5D_Gr=C3=BC=C3=9Fe?=", "Subject: =?utf-8?q?Re=3A_=5Bkita=5D_Gr=C3=BC=C3=9Fe?="},
		{"non-ascii", "Subject: =?iso-8859-1?q?Gr=FC=DFe?=", "Subject: [kita] =?utf-8?q?Gr=C3=BC=C3=9Fe?="},
		{"raw utf-8", "Subject: Grüße", "Subject: [kita] =?utf-8?q?Gr=C3=BC=C3=9Fe?="},
		{"windows-1252", "Subject: =?windows-1252?q?=80_5?=", "Subject: [kita] =?utf-8?q?=E2=82=AC_5?="},
		{"unknown charset", "Subject: =?x-foo?q?abc?=", "Subject: [kita] =?x-foo?q?abc?="},
		{"no header injection", "Subject: =?utf-8?q?a=0D=0ABcc:_x@example.com?=", "Subject: [kita] a  Bcc: x@example.com"},
		{"folded", "Subject: " + long, "Subject: [kita] " + foldWant(long)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			block := "From: a@example.com\r\n"
			if tt.field != "" {
				block += tt.field + "\r\n"
			}
			h := readHeader(t, []byte(block+"\r\n"))
			got, err := subjectField(&h, "kita")
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want+"\r\n" {
				t.Errorf("got  %q\nwant %q", got, tt.want+"\r\n")
			}
			for _, line := range strings.Split(string(got), "\r\n") {
				if len(line) > 78 {
					t.Errorf("line longer than 78: %q", line)
				}
			}
		})
	}
}

// foldWant is the folding go-message's header writer applies to
// "[kita] "+s for a run of "Elternabend " words.
func foldWant(s string) string {
	var b strings.Builder
	line := len("Subject: [kita] ")
	for i, w := range strings.Fields(s) {
		if i > 0 {
			if line+1+len(w) > 76 {
				b.WriteString("\r\n")
				line = 0
			}
			b.WriteString(" ")
			line++
		}
		b.WriteString(w)
		line += len(w)
	}
	return b.String()
}

func TestListID(t *testing.T) {
	tests := []struct {
		title, want string
	}{
		{"", "List-Id: <kita.lists.example.org>"},
		{"Kita und Schule", `List-Id: "Kita und Schule" <kita.lists.example.org>`},
		{`Kita "Sonne"`, `List-Id: "Kita \"Sonne\"" <kita.lists.example.org>`},
		{"Kita Grünwald", "List-Id: =?utf-8?q?Kita_Gr=C3=BCnwald?= <kita.lists.example.org>"},
		{"Kita, Grünwald", "List-Id: =?utf-8?b?S2l0YSwgR3LDvG53YWxk?= <kita.lists.example.org>"},
		{"Kita\r\nBcc: x@example.com", `List-Id: "Kita  Bcc: x@example.com" <kita.lists.example.org>`},
	}
	for _, tt := range tests {
		l := testList
		l.Title = tt.title
		l, err := l.normalize()
		if err != nil {
			t.Fatal(err)
		}
		b, err := listFields(l, 1)
		if err != nil {
			t.Fatal(err)
		}
		first, _, _ := strings.Cut(string(b), "\r\n")
		if first != tt.want {
			t.Errorf("title %q: got %q, want %q", tt.title, first, tt.want)
		}
	}
}

func TestFooterLanguage(t *testing.T) {
	tests := []struct {
		lang, title, want string
	}{
		{"de", "Kita und Schule", "-- \r\nkita \u2013 Kita und Schule\r\nSchreiben an die Liste: kita@lists.example.org\r\nArchiv: http://127.0.0.1:8080/kita/\r\nEinstellungen und Liste verlassen im Web: http://127.0.0.1:8080/prefs\r\nListe verlassen per Mail: mailto:kita-unsubscribe@lists.example.org\r\nBeratung in Ihrer N\u00e4he: http://127.0.0.1:8080/beratung\r\n"},
		{"en", "Kita und Schule", "-- \r\nkita \u2013 Kita und Schule\r\nWrite to the list: kita@lists.example.org\r\nArchive: http://127.0.0.1:8080/kita/\r\nSettings and leaving the list on the web: http://127.0.0.1:8080/prefs\r\nLeave the list by mail: mailto:kita-unsubscribe@lists.example.org\r\nCounselling near you: http://127.0.0.1:8080/beratung\r\n"},
		{"", "", "-- \r\nkita\r\nWrite to the list: kita@lists.example.org\r\nArchive: http://127.0.0.1:8080/kita/\r\nSettings and leaving the list on the web: http://127.0.0.1:8080/prefs\r\nLeave the list by mail: mailto:kita-unsubscribe@lists.example.org\r\nCounselling near you: http://127.0.0.1:8080/beratung\r\n"},
	}
	for _, tt := range tests {
		l := testList
		l.Language, l.Title = tt.lang, tt.title
		f := newFooter(l)
		if string(f.text) != tt.want {
			t.Errorf("%q: text footer\n%q\nwant\n%q", tt.lang, f.text, tt.want)
		}
		if !isASCII(f.html) || !bytes.HasPrefix(f.html, []byte(htmlMarker)) {
			t.Errorf("%q: HTML footer not ASCII or without marker: %q", tt.lang, f.html)
		}
	}
	l := testList
	l.Title = `<b>"Kita" & Schule</b>`
	if f := newFooter(l); !bytes.Contains(f.html, []byte("kita &#8211; &lt;b&gt;&#34;Kita&#34; &amp; Schule&lt;/b&gt;<br>")) {
		t.Errorf("title not escaped: %s", f.html)
	}
}

// TestBodies covers body rules on small inline messages.
func TestBodies(t *testing.T) {
	const hdr = "From: a@example.com\r\nSubject: x\r\n"
	footer := string(newFooter(testList).text)
	qpFooter := string(encodeQP(newFooter(testList).text))
	tests := []struct {
		name string
		in   string
		// wantHeader lines must be in the output header, wantBody is the
		// exact output body, or with wrapped the expected first part.
		wantHeader []string
		wantBody   string
		wrapped    bool
	}{
		{
			name:       "no content-type, no final newline",
			in:         hdr + "\r\nhello",
			wantHeader: []string{"MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit"},
			wantBody:   "hello\r\n" + footer,
		},
		{
			name:     "utf-8 8bit keeps header",
			in:       hdr + "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nGrüße\r\n",
			wantBody: "Grüße\r\n" + footer,
		},
		{
			name:       "flowed kept on conversion",
			in:         hdr + "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=iso-8859-1; format=flowed; delsp=yes\r\nContent-Transfer-Encoding: 8bit\r\n\r\nGr\xfc\xdfe \r\nx\r\n",
			wantHeader: []string{"Content-Type: text/plain; charset=utf-8; delsp=yes; format=flowed", "Content-Transfer-Encoding: quoted-printable"},
			wantBody:   string(encodeQP([]byte("Grüße \r\nx\r\n" + footer))),
		},
		{
			name:       "base64 with LF text",
			in:         hdr + "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8Kd29ybGQK\r\n",
			wantHeader: []string{"MIME-Version: 1.0", "Content-Transfer-Encoding: quoted-printable"},
			wantBody:   string(encodeQP([]byte("hello\r\nworld\r\n" + footer))),
		},
		{
			name:       "base64 without padding",
			in:         hdr + "Content-Transfer-Encoding: base64\r\n\r\naGk\r\n",
			wantHeader: []string{"Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: quoted-printable"},
			wantBody:   "hi\r\n" + qpFooter,
		},
		{
			name:       "qp html keeps charset",
			in:         hdr + "Content-Type: text/html; charset=windows-1252\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n<html><BODY>Gr=FC=DFe</Body ></html>",
			wantHeader: []string{"Content-Type: text/html; charset=windows-1252", "Content-Transfer-Encoding: quoted-printable"},
			wantBody:   string(encodeQP([]byte("<html><BODY>Gr\xfc\xdfe\r\n" + string(newFooter(testList).html) + "</Body ></html>"))),
		},
		{
			name:       "8bit line too long",
			in:         hdr + "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + strings.Repeat("a", 1200) + "\r\n",
			wantHeader: []string{"Content-Transfer-Encoding: quoted-printable"},
			wantBody:   string(encodeQP([]byte(strings.Repeat("a", 1200) + "\r\n" + footer))),
		},
		{
			name:     "html without body tag",
			in:       hdr + "Content-Type: text/html; charset=utf-8\r\n\r\n<p>hi</p>",
			wantBody: "<p>hi</p>\r\n" + string(newFooter(testList).html),
		},
		{
			name:     "mixed, attachment first: footer part",
			in:       hdr + "Content-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=a.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--XX--\r\n",
			wantBody: "--XX\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=a.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--XX\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Disposition: inline\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" + qpFooter + "\r\n--XX--\r\n",
		},
		{
			name:     "mixed, text attachment first is not the body",
			in:       hdr + "Content-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\nContent-Type: text/plain; name=notes.txt\r\n\r\nnotes\r\n--XX--\r\n",
			wantBody: "--XX\r\nContent-Type: text/plain; name=notes.txt\r\n\r\nnotes\r\n--XX\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Disposition: inline\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" + qpFooter + "\r\n--XX--\r\n",
		},
		{
			name: "mixed, padding and epilogue kept",
			in:   hdr + "Content-Type: multipart/mixed; boundary=XX\r\n\r\npreamble\r\n--XX  \r\n\r\nhi\r\n--XX-- \r\nepilogue\r\n",
			// The part becomes 8bit, so the multipart must say so too.
			wantHeader: []string{"MIME-Version: 1.0", "Content-Type: multipart/mixed; boundary=XX", "Content-Transfer-Encoding: 8bit"},
			wantBody:   "preamble\r\n--XX  \r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nhi\r\n" + footer + "\r\n--XX-- \r\nepilogue\r\n",
		},
		{
			name:    "missing close delimiter",
			in:      hdr + "Content-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\n\r\nhi\r\n",
			wrapped: true,
		},
		{
			name:    "missing boundary",
			in:      hdr + "Content-Type: multipart/alternative\r\n\r\nhi\r\n",
			wrapped: true,
		},
		{
			name:    "invalid boundary",
			in:      hdr + "Content-Type: multipart/mixed; boundary=\"-- \"\r\n\r\n---- \r\n\r\nhi\r\n---- --\r\n",
			wrapped: true,
		},
		{
			name:    "re-encoded text would contain the delimiter",
			in:      hdr + "Content-Type: multipart/alternative; boundary=ab\r\n\r\n--ab\r\nContent-Transfer-Encoding: base64\r\n\r\nLS1hYgo=\r\n--ab--\r\n",
			wrapped: true,
		},
		{
			name:    "us-ascii that is not utf-8",
			in:      hdr + "\r\nGr\xfc\xdfe\r\n",
			wrapped: true,
		},
		{
			name:    "bad base64",
			in:      hdr + "Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!!\r\n",
			wrapped: true,
		},
		{
			name:    "utf-16 html",
			in:      hdr + "Content-Type: text/html; charset=utf-16\r\nContent-Transfer-Encoding: base64\r\n\r\nPABwAD4A\r\n",
			wrapped: true,
		},
		{
			name:    "message/rfc822",
			in:      hdr + "Content-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\nhi\r\n",
			wrapped: true,
		},
		{
			name:       "From with space before colon is a field",
			in:         "From : a@example.com\r\nSubject: x\r\n\r\nhi\r\n",
			wantHeader: []string{"From : a@example.com"},
			wantBody:   "hi\r\n" + footer,
		},
		{
			name:     "mbox From line and missing blank line",
			in:       "From a@example.com Mon Jan  1 00:00:00 2024\r\n" + hdr + "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\nthis line ends the header\r\n",
			wantBody: "this line ends the header\r\n" + footer,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Prepare([]byte(tt.in), testList, 1)
			if err != nil {
				t.Fatalf("Prepare: %v", err)
			}
			var buf bytes.Buffer
			if _, err := p.WriteTo(&buf, testUnsub); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			head, body, ok := strings.Cut(out, "\r\n\r\n")
			if !ok {
				t.Fatalf("no blank line in %q", out)
			}
			for _, want := range tt.wantHeader {
				if !strings.Contains(head+"\r\n", "\r\n"+want+"\r\n") {
					t.Errorf("header lacks %q:\n%s", want, head)
				}
			}
			if tt.wrapped {
				_, inBody := splitHeader(ToCRLF([]byte(tt.in)))
				if !strings.Contains(head, "multipart/mixed; boundary=\"=_listd_") || !strings.Contains(body, "\r\n\r\n"+string(inBody)+"\r\n--=_listd_") {
					t.Errorf("not wrapped:\n%s", out)
				}
			} else if body != tt.wantBody {
				t.Errorf("body\n%q\nwant\n%q", body, tt.wantBody)
			}
			// Broken input stays broken inside the wrapper, so only
			// require a clean parse when the input had one.
			if _, err := walk([]byte(tt.in)); err == nil {
				if _, err := walk(buf.Bytes()); err != nil {
					t.Errorf("go-message walk: %v", err)
				}
			}
		})
	}
}

func TestPrepareErrors(t *testing.T) {
	good := []byte("Subject: x\r\n\r\nhi\r\n")
	tests := []struct {
		name string
		in   []byte
		l    List
	}{
		{"empty", nil, testList},
		{"no header", []byte("\r\nhi\r\n"), testList},
		{"body only", []byte("hello world\r\n"), testList},
		{"leading continuation", []byte(" x: y\r\n\r\nhi"), testList},
		{"bad name", good, List{Name: "ki ta", Domain: "x.org", BaseURL: "http://x"}},
		{"bad domain", good, List{Name: "kita", Domain: "x.org>\r\nBcc: y", BaseURL: "http://x"}},
		{"bad base url", good, List{Name: "kita", Domain: "x.org", BaseURL: "http://x/\r\n"}},
	}
	for _, tt := range tests {
		if _, err := Prepare(tt.in, tt.l, 1); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
}

func TestWriteToUnsubURL(t *testing.T) {
	p, err := Prepare([]byte("Subject: x\r\n\r\nhi\r\n"), testList, 1)
	if err != nil {
		t.Fatal(err)
	}
	long := "https://lists.example.org/kita/unsubscribe?token=" + strings.Repeat("a", 100)
	tests := []struct {
		url     string
		wantErr bool
		want    string // first line(s) of the output
	}{
		{url: "https://x.e/1", want: "List-Unsubscribe: <https://x.e/1>, <mailto:kita-unsubscribe@lists.example.org>\r\n"},
		{url: "https://x.e/12", want: "List-Unsubscribe: <https://x.e/12>,\r\n <mailto:kita-unsubscribe@lists.example.org>\r\n"},
		{url: long, want: "List-Unsubscribe: <" + long + ">,\r\n <mailto:kita-unsubscribe@lists.example.org>\r\n"},
		{url: "", wantErr: true},
		{url: "https://x.example/u/1>\r\nBcc: victim@example.com", wantErr: true},
		{url: "https://x.example/u 1", wantErr: true},
		{url: "https://x.example/" + strings.Repeat("a", 1000), wantErr: true},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		_, err := p.WriteTo(&buf, tt.url)
		if (err != nil) != tt.wantErr {
			t.Errorf("%q: err = %v", tt.url, err)
			continue
		}
		if !tt.wantErr && !strings.HasPrefix(buf.String(), tt.want) {
			t.Errorf("%q: got %q", tt.url, buf.String())
		}
	}
}

// TestWriteToConcurrent runs WriteTo from many goroutines (meant for -race).
func TestWriteToConcurrent(t *testing.T) {
	in, err := os.ReadFile(filepath.Join("testdata", "alternative.eml"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := Prepare(in, testList, 1)
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if _, err := p.WriteTo(&want, testUnsub); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				var buf bytes.Buffer
				if _, err := p.WriteTo(&buf, testUnsub); err != nil || !bytes.Equal(buf.Bytes(), want.Bytes()) {
					t.Errorf("concurrent WriteTo differs (err %v)", err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestPrepareDeterministic checks that the same post gives the same bytes
// (the wrapper boundary is derived from the post, not random).
func TestPrepareDeterministic(t *testing.T) {
	in, err := os.ReadFile(filepath.Join("testdata", "signed-pgp.eml"))
	if err != nil {
		t.Fatal(err)
	}
	var outs [2]bytes.Buffer
	for i := range outs {
		p, err := Prepare(in, testList, 7)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.WriteTo(&outs[i], testUnsub); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(outs[0].Bytes(), outs[1].Bytes()) {
		t.Error("two Prepare calls gave different output")
	}
}

// TestPrepareDoesNotKeepInput checks that Prepared does not alias raw.
func TestPrepareDoesNotKeepInput(t *testing.T) {
	in := []byte("Subject: x\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nhi\r\n")
	p, err := Prepare(in, testList, 1)
	if err != nil {
		t.Fatal(err)
	}
	var a, b bytes.Buffer
	p.WriteTo(&a, testUnsub)
	for i := range in {
		in[i] = 'X'
	}
	p.WriteTo(&b, testUnsub)
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("output changed after the input buffer was overwritten")
	}
}

func TestAnonymousHeader(t *testing.T) {
	raw := "From: Petra Schmidt <petra@mail.example.net>\r\nSender: petra@mail.example.net\r\nReply-To: petra@mail.example.net\r\n" +
		"Cc: friend@example.com\r\nReceived: from laptop [93.184.216.34]\r\nX-Mailer: Mail\r\nARC-Seal: i=1; x\r\n" +
		"To: umgang@lists.example.org\r\nSubject: Hallo\r\nMessage-ID: <a@b>\r\n\r\nText\r\n"
	for _, tt := range []struct {
		author, want string
	}{
		{"Sonnenblume", `From: "Sonnenblume via umgang" <umgang@lists.example.org>`},
		{"", `From: "Ein Mitglied via umgang" <umgang@lists.example.org>`},
	} {
		p, err := Prepare([]byte(raw), List{Name: "umgang", Domain: "lists.example.org", BaseURL: "https://lists.example.org",
			Language: "de", Anonymous: true, Author: tt.author}, 1)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		p.WriteTo(&b, "https://lists.example.org/u/x")
		out := b.String()
		if !strings.Contains(out, tt.want+"\r\n") || !strings.Contains(out, "Reply-To: <umgang@lists.example.org>\r\n") {
			t.Errorf("header:\n%s", out)
		}
		for _, s := range []string{"petra", "Schmidt", "93.184", "friend@", "X-Mailer", "ARC-Seal", "Sender:"} {
			if strings.Contains(out, s) {
				t.Errorf("anonymous copy keeps %q:\n%s", s, out)
			}
		}
		if !strings.Contains(out, "Message-ID: <a@b>") || !strings.Contains(out, "To: <umgang@lists.example.org>") {
			t.Errorf("kept fields missing:\n%s", out)
		}
	}
}
