package compose

import (
	"bytes"
	"io"
	"mime"
	mpart "mime/multipart"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"listd/internal/mailview"
)

// leakyPost carries the identifying fields mail programs, providers and news
// gateways write, and MIME parts whose Content-ID, Content-Description and file names
// name the sender: Anna Zwiebelmeier <anna.zwiebelmeier@annahome.example>, on her
// machine annas-laptop at 198.51.100.23.
const leakyPost = "Return-Path: <anna.zwiebelmeier@annahome.example>\r\n" +
	"Received: from annas-laptop.annahome.example ([198.51.100.23]) by mx.example\r\n" +
	"From: Anna Zwiebelmeier <anna.zwiebelmeier@annahome.example>\r\n" +
	"To: umgang@lists.example.org, Anna Zwiebelmeier <anna.zwiebelmeier@annahome.example>\r\n" +
	"Subject: Frage zum Umgang\r\n" +
	"Date: Wed, 25 Nov 2026 10:00:00 +0100\r\n" +
	"Message-ID: <pub@lists.example.org>\r\n" +
	"In-Reply-To: <pub0@lists.example.org>\r\n" +
	"References: <pub0@lists.example.org>\r\n" +
	"Mail-Reply-To: anna.zwiebelmeier@annahome.example\r\n" +
	"Mail-Followup-To: anna.zwiebelmeier@annahome.example\r\n" +
	"Resent-From: anna.zwiebelmeier@annahome.example\r\n" +
	"Resent-Sender: anna.zwiebelmeier@annahome.example\r\n" +
	"Resent-Message-ID: <r1@annas-laptop.annahome.example>\r\n" +
	"X-AntiAbuse: Primary Hostname - annas-laptop.annahome.example\r\n" +
	"X-AntiAbuse: Sender Address Domain - annahome.example\r\n" +
	"X-Get-Message-Sender-Via: annahome.example: authenticated_id: anna.zwiebelmeier@annahome.example\r\n" +
	"X-Authenticated-Id: anna.zwiebelmeier@annahome.example\r\n" +
	"X-AuthUser: anna.zwiebelmeier@annahome.example\r\n" +
	"X-Source-Dir: annahome.example:/home/zwiebelmeier/public_html\r\n" +
	"X-Envelope-From: <anna.zwiebelmeier@annahome.example>\r\n" +
	"X-Envelope-To: <umgang@lists.example.org>\r\n" +
	"Envelope-From: anna.zwiebelmeier@annahome.example\r\n" +
	"X-Original-To: anna.zwiebelmeier@annahome.example\r\n" +
	"X-Apparently-From: anna.zwiebelmeier@annahome.example\r\n" +
	"NNTP-Posting-Host: annas-laptop.annahome.example\r\n" +
	"X-Trace: annahome.example 1764061200 198.51.100.23 (25 Nov 2026)\r\n" +
	"Injection-Info: annahome.example; posting-host=\"annas-laptop.annahome.example:198.51.100.23\"\r\n" +
	"Path: annahome.example!annas-laptop!not-for-mail\r\n" +
	"X-Face: #Zwiebelmeier(annahome\r\n" +
	"Comments: sent by Anna Zwiebelmeier from annas-laptop\r\n" +
	"X-PGP-Key: https://annahome.example/zwiebelmeier.asc\r\n" +
	"X-Identity: Zwiebelmeier\r\n" +
	"X-Complaints-To: abuse@annahome.example\r\n" +
	"User-Agent: Thunderbird on annas-laptop\r\n" +
	"Organization: Zwiebelmeier GmbH\r\n" +
	"Thread-Index: AdZwiebelmeier\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/mixed; boundary=\"outer\"\r\n" +
	"Content-Description: Anna Zwiebelmeier's mail\r\n" +
	"\r\n" +
	"--outer\r\n" +
	"Content-Type: multipart/related; boundary=\"rel\"; start=\"<part1.anna@annahome.example>\"\r\n" +
	"\r\n" +
	"--rel\r\n" +
	"Content-Type: text/html; charset=utf-8\r\n" +
	"Content-ID: <part1.anna@annahome.example>\r\n" +
	"Content-Transfer-Encoding: quoted-printable\r\n" +
	"\r\n" +
	"<p>Hallo <img src=3D\"cid:part2.anna@annahome.example\"> <img src=3D'CID:logo@annahome.example'></p>\r\n" +
	"--rel\r\n" +
	"Content-Type: image/png; name=\"anna.zwiebelmeier@annahome.example.png\"; x-unix-mode=0644\r\n" +
	"Content-ID: <part2.anna@annahome.example>\r\n" +
	"Content-Description: Foto von Anna Zwiebelmeier\r\n" +
	"Content-Location: file:///home/zwiebelmeier/foto.png\r\n" +
	"X-Attachment-Id: annas-laptop\r\n" +
	"Content-Disposition: inline; filename=\"anna.zwiebelmeier@annahome.example.png\"; size=4;\r\n" +
	" modification-date=\"Wed, 25 Nov 2026 09:00:00 +0100\"\r\n" +
	"Content-Transfer-Encoding: base64\r\n" +
	"\r\n" +
	"iVBORw==\r\n" +
	"--rel--\r\n" +
	"--outer\r\n" +
	"Content-Type: application/pdf; name*=utf-8''anna.zwiebelmeier%40annahome.example.pdf\r\n" +
	"Content-Disposition: attachment; filename=\"=?utf-8?q?anna=2Ezwiebelmeier=40annahome=2Eexample=2Epdf?=\"\r\n" +
	"Content-Description: Lebenslauf Zwiebelmeier\r\n" +
	"Content-Transfer-Encoding: base64\r\n" +
	"\r\n" +
	"JVBERi0=\r\n" +
	"--outer--\r\n"

// leaks are what must not appear anywhere in a copy of leakyPost.
var leaks = []string{"zwiebelmeier", "annahome", "annas-laptop", "198.51.100", "anna@", "anna.", "Mail-Reply-To",
	"Mail-Followup-To", "Resent-", "X-AntiAbuse", "X-Get-Message", "X-Authenticated", "X-AuthUser", "X-Source",
	"X-Envelope", "Envelope-From", "X-Original", "X-Apparently", "NNTP", "X-Trace", "Injection-Info", "Path:",
	"X-Face", "Comments", "X-PGP", "X-Identity", "X-Complaints", "Received", "User-Agent", "Organization",
	"Thread-Index", "Content-Description", "Content-Location", "X-Attachment-Id", "modification-date", "size=",
	"x-unix-mode", "Return-Path"}

var anonList = List{Name: "umgang", Domain: "lists.example.org", BaseURL: "https://lists.example.org", Language: "de",
	Anonymous: true, Author: "Sonnenblume"}

// checkScrubbed checks a copy of leakyPost: nothing of leaks in it, only the fields
// of the allow-list in its header, and a MIME structure that still holds: the image
// is found by its new Content-ID from the HTML and from start, and the files keep
// their types and (masked) names.
func checkScrubbed(t *testing.T, what string, out []byte, allowed []string) {
	t.Helper()
	low := strings.ToLower(string(out))
	for _, l := range leaks {
		if strings.Contains(low, strings.ToLower(l)) {
			t.Errorf("%s keeps %q:\n%s", what, l, out)
		}
	}
	m, err := mail.ReadMessage(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	for k := range m.Header {
		ok := false
		for _, a := range allowed {
			ok = ok || strings.EqualFold(a, k)
		}
		if !ok {
			t.Errorf("%s: field %s is not on the allow-list", what, k)
		}
	}
	if got := m.Header.Get("References"); got != "<pub0@lists.example.org>" {
		t.Errorf("%s: References %q", what, got)
	}
	_, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	outer := mpart.NewReader(m.Body, params["boundary"])
	rel, err := outer.NextRawPart()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	_, relParams, err := mime.ParseMediaType(rel.Header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	inner := mpart.NewReader(rel, relParams["boundary"])
	html, err := inner.NextPart() // decodes quoted-printable
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	htmlBody, _ := io.ReadAll(html)
	img, err := inner.NextRawPart()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	cid := strings.Trim(img.Header.Get("Content-Id"), "<>")
	if !strings.HasSuffix(cid, "@lists.example.org") || !bytes.Contains(htmlBody, []byte("cid:"+cid)) {
		t.Errorf("%s: image Content-ID %q, HTML %q", what, cid, htmlBody)
	}
	if relParams["start"] != "<"+strings.Trim(html.Header.Get("Content-Id"), "<>")+">" || relParams["start"] == "<>" {
		t.Errorf("%s: start %q, root %q", what, relParams["start"], html.Header.Get("Content-Id"))
	}
	if img.FileName() != "a…@….png" {
		t.Errorf("%s: image name %q", what, img.FileName())
	}
	pdf, err := outer.NextRawPart()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if pdf.FileName() != "a…@….pdf" || !strings.HasPrefix(pdf.Header.Get("Content-Type"), "application/pdf") {
		t.Errorf("%s: file %q, %q", what, pdf.FileName(), pdf.Header.Get("Content-Type"))
	}
}

// TestAnonymousAllowList: the members' copy and the archive copy of an anonymous
// post keep only the fields of the allow-list, and its parts lose what names the
// sender, whatever fields the sender's programs invented.
func TestAnonymousAllowList(t *testing.T) {
	allowed := append(append([]string{}, KeptFields...), WrittenFields...)
	p, err := Prepare([]byte(leakyPost), anonList, 9)
	if err != nil {
		t.Fatal(err)
	}
	var member bytes.Buffer
	if _, err := p.WriteTo(&member, testUnsub); err != nil {
		t.Fatal(err)
	}
	checkScrubbed(t, "member copy", member.Bytes(), allowed)

	archived, err := ArchiveCopy(anonList, 9, []byte(leakyPost))
	if err != nil {
		t.Fatal(err)
	}
	checkScrubbed(t, "archive copy", archived, allowed)

	// The same with the ids rewritten in the copy: those naming no post go.
	a, err := NewArchiver(anonList)
	if err != nil {
		t.Fatal(err)
	}
	post, err := a.Read(9, "Sonnenblume", []byte(strings.Replace(leakyPost, "References: <pub0@lists.example.org>",
		"References: <old@annas-laptop.annahome.example> <orig0@annas-laptop.annahome.example>", 1)))
	if err != nil {
		t.Fatal(err)
	}
	withIDs, err := post.Copy(&IDs{MessageID: "pub@lists.example.org", Refs: map[string]string{
		"orig0@annas-laptop.annahome.example": "pub0@lists.example.org"}})
	if err != nil {
		t.Fatal(err)
	}
	checkScrubbed(t, "archive copy with ids", withIDs, allowed)
	hdr, size, err := post.Header(nil)
	if err != nil || size != len(archived)+len(" <old@annas-laptop.annahome.example> <orig0@annas-laptop.annahome.example>")-len(" <pub0@lists.example.org>") ||
		!bytes.HasPrefix(archived, hdr[:bytes.Index(hdr, []byte("References"))]) {
		t.Errorf("header size %d of %d (%v)", size, len(archived), err)
	}

	relay := testRelay
	relay.Domain = "lists.example.org"
	relay.Refs = map[string]string{"pub0@lists.example.org": "pub0@lists.example.org"}
	relayed, err := PrepareRelay([]byte(leakyPost), relay)
	if err != nil {
		t.Fatal(err)
	}
	checkScrubbed(t, "private reply", relayed, append(append([]string{}, KeptFields...), "From", "To", "Message-ID"))
}

// TestScrubKeepsCleanParts: a part with nothing to hide keeps its content and the
// meaning of its fields, which are written anew from their parsed values.
func TestScrubKeepsCleanParts(t *testing.T) {
	raw := "From: a@b.example\r\nSubject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nText\r\n--b\r\n" +
		"Content-Type: application/pdf; name=\"Kita-Anmeldung.pdf\"\r\nContent-Disposition: attachment; filename=\"Kita-Anmeldung.pdf\"\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--b--\r\n"
	h, err := headerOf([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	_, body := splitHeader([]byte(raw))
	_, got := scrubMIME(h, body, "lists.example.org", "x")
	want := strings.ReplaceAll(string(body), `"Kita-Anmeldung.pdf"`, "Kita-Anmeldung.pdf")
	if string(got) != want {
		t.Errorf("clean body changed:\n%s", got)
	}
}

// TestAnonymousUnsigned: a PGP/MIME signature, which names the signer's key, is
// taken off an anonymous post, in the members' copies as in the archive copy.
func TestAnonymousUnsigned(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "signed-pgp.eml"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := Prepare(raw, anonList, 3)
	if err != nil {
		t.Fatal(err)
	}
	var member bytes.Buffer
	p.WriteTo(&member, testUnsub)
	archived, err := ArchiveCopy(anonList, 3, raw)
	if err != nil {
		t.Fatal(err)
	}
	for what, out := range map[string][]byte{"member copy": member.Bytes(), "archive copy": archived} {
		if bytes.Contains(bytes.ToLower(out), []byte("pgp-signature")) || bytes.Contains(out, []byte("BEGIN PGP SIGNATURE")) {
			t.Errorf("%s keeps the signature:\n%s", what, out)
		}
	}
}

// FuzzScrubMIME: scrubbing never panics, keeps a readable message readable, and
// leaves no file name that is not public nor a kept field twice.
func FuzzScrubMIME(f *testing.F) {
	addSampleMails(f)
	f.Add([]byte(leakyPost))
	f.Fuzz(func(t *testing.T, raw []byte) {
		msg, h, body, err := readMessage(raw)
		if err != nil {
			return
		}
		nh, nb := scrubMIME(h, body, "lists.example.org", "seed")
		out, err := appendFields(nil, &nh, nil, nil)
		if err != nil {
			return
		}
		out = append(append(out, "\r\n"...), nb...)
		if k := fieldsOnce(nh, KeptFields); k != "" {
			t.Fatalf("%s twice in\n%q", k, out)
		}
		if _, errIn := walk(msg); errIn == nil {
			parts, err := walk(out)
			if err != nil {
				t.Fatalf("input is readable, output is not: %v\ninput  %q\noutput %q", err, msg, out)
			}
			for _, p := range parts {
				if k := partTwice(p); k != "" && p.depth < maxScrubDepth {
					t.Fatalf("a part has %s twice:\n%q", k, out)
				}
				if p.filename != "" && mailview.PublicFileName(p.filename) != p.filename {
					t.Fatalf("file name %q left in\n%q", p.filename, out)
				}
			}
		}
	})
}
