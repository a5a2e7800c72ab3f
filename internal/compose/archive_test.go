package compose

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"listd/internal/mailmsg"
)

const anonPost = "From: Petra Schmidt <petra@mail.example.net>\r\nSender: petra@mail.example.net\r\n" +
	"Reply-To: petra@mail.example.net\r\nCc: friend@example.com\r\nReceived: from laptop [93.184.216.34]\r\n" +
	"X-Mailer: Mail\r\nARC-Seal: i=1; x\r\nList-Id: <old.example.com>\r\nTo: umgang@lists.example.org\r\n" +
	"Subject: Hallo\r\nMessage-ID: <a@b>\r\n\r\nText\r\n-- \r\nPetra\r\n"

func TestArchiveCopy(t *testing.T) {
	anon := List{Name: "umgang", Domain: "lists.example.org", BaseURL: "https://lists.example.org", Language: "de",
		Anonymous: true, Author: "Sonnenblume"}
	open := anon
	open.Anonymous, open.Author = false, ""
	tests := []struct {
		name     string
		list     List
		raw      string
		want     []string // lines the header must have
		wantNot  []string // text the header must not have anywhere
		wantBody string
	}{
		{
			name: "anonymous", list: anon, raw: anonPost,
			want: []string{`From: "Sonnenblume via umgang" <umgang@lists.example.org>`, "Reply-To: <umgang@lists.example.org>",
				"Subject: [umgang] Hallo", "Message-ID: <a@b>", "To: <umgang@lists.example.org>",
				"List-Id: <umgang.lists.example.org>", "Archived-At: <https://lists.example.org/umgang/m/7>",
				"List-Unsubscribe: <mailto:umgang-unsubscribe@lists.example.org>", "List-Post: <mailto:umgang@lists.example.org>"},
			wantNot:  []string{"petra", "Schmidt", "93.184", "friend@", "X-Mailer", "ARC-Seal", "Sender:", "old.example.com", "List-Unsubscribe-Post", "/u/"},
			wantBody: "Text\r\n-- \r\nPetra\r\n",
		},
		{
			name: "anonymous without pseudonym", list: List{Name: "umgang", Domain: "lists.example.org", BaseURL: "https://lists.example.org",
				Language: "en", Anonymous: true}, raw: anonPost,
			want:     []string{`From: "A member via umgang" <umgang@lists.example.org>`},
			wantNot:  []string{"petra"},
			wantBody: "Text\r\n-- \r\nPetra\r\n",
		},
		{
			name: "open list keeps the author", list: open, raw: anonPost,
			want:     []string{"From: Petra Schmidt <petra@mail.example.net>", "Cc: friend@example.com", "Subject: [umgang] Hallo"},
			wantNot:  []string{"old.example.com", "List-Unsubscribe-Post"},
			wantBody: "Text\r\n-- \r\nPetra\r\n",
		},
		{
			name: "LF line endings and an mbox From line", list: anon,
			raw:      "From petra@mail.example.net Mon Jan  1 00:00:00 2024\nFrom: petra@mail.example.net\nSubject: Re: [umgang] x\n\nzwei\nZeilen\n",
			want:     []string{"Subject: Re: [umgang] x", `From: "Sonnenblume via umgang" <umgang@lists.example.org>`},
			wantNot:  []string{"petra", "2024"},
			wantBody: "zwei\r\nZeilen\r\n",
		},
		{
			name: "header only", list: open, raw: "Subject: nur Kopf\r\nFrom: a@example.com\r\n",
			want:     []string{"Subject: [umgang] nur Kopf"},
			wantBody: "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := ArchiveCopy(tt.list, 7, []byte(tt.raw))
			if err != nil {
				t.Fatal(err)
			}
			hdr, size, err := ArchiveHeader(tt.list, 7, []byte(tt.raw))
			if err != nil {
				t.Fatal(err)
			}
			if size != len(out) || !bytes.HasPrefix(out, hdr) {
				t.Fatalf("ArchiveHeader size %d, header prefix %v; copy is %d bytes", size, bytes.HasPrefix(out, hdr), len(out))
			}
			head, body, _ := strings.Cut(string(out), "\r\n\r\n")
			if body != tt.wantBody {
				t.Errorf("body %q, want %q", body, tt.wantBody)
			}
			lines := strings.Split(head, "\r\n")
			for _, w := range tt.want {
				if !contains(lines, w) {
					t.Errorf("header lacks %q:\n%s", w, head)
				}
			}
			for _, w := range tt.wantNot {
				if strings.Contains(head, w) {
					t.Errorf("header has %q:\n%s", w, head)
				}
			}
			checkCRLF(t, out)
		})
	}
}

func contains(lines []string, s string) bool {
	for _, l := range lines {
		if l == s {
			return true
		}
	}
	return false
}

func checkCRLF(t *testing.T, b []byte) {
	t.Helper()
	for i, c := range b {
		if c == '\n' && (i == 0 || b[i-1] != '\r') {
			t.Fatalf("bare LF at %d", i)
		}
	}
}

// TestArchiveCopyMatchesMemberCopy checks that the archive copy's header is a
// member's copy's header without the personal List-Unsubscribe link and without the
// fields the footer changed, for every sample post.
func TestArchiveCopyMatchesMemberCopy(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.eml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, anonymous := range []bool{false, true} {
		l := testList
		l.Anonymous, l.Author = anonymous, "Sonnenblume"
		for _, file := range files {
			raw, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			p, err := Prepare(raw, l, testArchiveID)
			if err != nil {
				t.Fatal(err)
			}
			var member bytes.Buffer
			p.WriteTo(&member, testUnsub)
			archived, err := ArchiveCopy(l, testArchiveID, raw)
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			skip := func(k string) bool {
				return strings.HasPrefix(strings.ToLower(k), "content-") || strings.EqualFold(k, "MIME-Version") ||
					strings.HasPrefix(strings.ToLower(k), "list-unsubscribe")
			}
			want, got := fieldList(t, member.Bytes(), skip), fieldList(t, archived, skip)
			if strings.Join(want, "\n") != strings.Join(got, "\n") {
				t.Errorf("%s (anonymous %v): archive header\n%s\nmember header\n%s", file, anonymous,
					strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			// The body is the one received, only with CRLF line endings and, on an
			// anonymous list, with the parts' headers scrubbed.
			hdr, body := splitHeader(ToCRLF(stripMboxFrom(raw)))
			if anonymous {
				h, err := parseHeader(hdr)
				if err != nil {
					t.Fatal(err)
				}
				_, body = scrubMIME(h, body, l.Domain, l.Name+"\x00"+strconv.Itoa(testArchiveID))
			}
			if !bytes.HasSuffix(archived, body) {
				t.Errorf("%s: body is not the one received", file)
			}
		}
	}
}

func stripMboxFrom(raw []byte) []byte {
	if bytes.HasPrefix(raw, []byte("From ")) {
		line, rest, _ := bytes.Cut(raw, []byte("\n"))
		if !mailmsg.IsFieldLine(line) {
			return rest
		}
	}
	return raw
}

func fieldList(t *testing.T, msg []byte, skip func(string) bool) []string {
	t.Helper()
	hdr, _ := splitHeader(msg)
	h, err := parseHeader(hdr)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for f := h.Fields(); f.Next(); {
		if !skip(f.Key()) {
			out = append(out, strings.ToLower(f.Key())+": "+f.Value())
		}
	}
	return out
}

func TestArchiveFrom(t *testing.T) {
	tests := []struct {
		list             List
		name, addr       string
		wantName, wantAt string
	}{
		{List{Name: "umgang", Domain: "lists.example.org", BaseURL: "x", Language: "de", Anonymous: true, Author: "Sonne"},
			"Petra", "petra@example.net", "Sonne via umgang", "umgang@lists.example.org"},
		{List{Name: "umgang", Domain: "lists.example.org", BaseURL: "x", Language: "DE", Anonymous: true},
			"Petra", "petra@example.net", "Ein Mitglied via umgang", "umgang@lists.example.org"},
		{List{Name: "umgang", Domain: "lists.example.org", BaseURL: "x", Language: "en", Anonymous: true, Author: "a\r\nb"},
			"", "", "a  b via umgang", "umgang@lists.example.org"},
		{List{Name: "kita", Domain: "lists.example.org", BaseURL: "x", Language: "de"},
			"Petra", "petra@example.net", "Petra", "petra@example.net"},
	}
	for _, tt := range tests {
		name, addr := ArchiveFrom(tt.list, tt.name, tt.addr)
		if name != tt.wantName || addr != tt.wantAt {
			t.Errorf("ArchiveFrom(%+v) = %q, %q; want %q, %q", tt.list, name, addr, tt.wantName, tt.wantAt)
		}
	}
}

func TestArchiveCopyErrors(t *testing.T) {
	for _, tt := range []struct {
		name string
		list List
		raw  string
	}{
		{"no header", testList, "\r\njust a body\r\n"},
		{"continuation first", testList, " folded\r\n\r\nbody"},
		{"empty", testList, ""},
		{"bad list name", List{Name: "a b", Domain: "x.org", BaseURL: "http://x"}, "Subject: x\r\n\r\n"},
	} {
		if _, err := ArchiveCopy(tt.list, 1, []byte(tt.raw)); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
}

// FuzzArchiveCopy checks that ArchiveCopy never panics, that what it accepts has
// CRLF line endings and a readable header with the list fields, that ArchiveHeader
// agrees with it, and that an anonymous list's copy never names the sender in its
// header and keeps each kept field at most once.
func FuzzArchiveCopy(f *testing.F) {
	addSampleMails(f)
	f.Add([]byte(anonPost))
	f.Add([]byte(leakyPost))
	l := testList
	l.Anonymous, l.Author = true, "Sonne"
	f.Fuzz(func(t *testing.T, raw []byte) {
		out, err := ArchiveCopy(l, 3, raw)
		if err != nil {
			return
		}
		hdr, size, err := ArchiveHeader(l, 3, raw)
		if err != nil || size != len(out) || !bytes.HasPrefix(out, hdr) {
			t.Fatalf("ArchiveHeader disagrees: %v, size %d of %d", err, size, len(out))
		}
		checkCRLF(t, out)
		h, err := parseHeader(hdr)
		if err != nil {
			t.Fatalf("header unreadable: %v\n%q", err, hdr)
		}
		if h.Get("List-Id") == "" || h.Get("From") != `"Sonne via kita" <kita@lists.example.org>` {
			t.Fatalf("list fields missing:\n%q", hdr)
		}
		checkAllowList(t, h, append(append([]string{}, KeptFields...), WrittenFields...))
		if k := fieldsOnce(h, KeptFields); k != "" {
			t.Fatalf("%s twice in\n%q", k, hdr)
		}
		// Message-IDs rewritten in one pass, as RewriteMessageIDs and a copy do in two.
		a, err := NewArchiver(l)
		if err != nil {
			t.Fatal(err)
		}
		p, err := a.Read(3, "Sonne", raw)
		if err != nil {
			t.Fatalf("Read fails where ArchiveCopy did not: %v", err)
		}
		refs := map[string]string{}
		for i, id := range p.Referenced() {
			refs[id] = fmt.Sprintf("r%d@lists.example.org", i)
		}
		ids := &IDs{MessageID: "pub@lists.example.org", Refs: refs}
		one, err := p.Copy(ids)
		if err != nil {
			t.Fatalf("Copy with ids: %v", err)
		}
		rewritten, err := RewriteMessageIDs(raw, ids.MessageID, refs)
		if err != nil {
			return
		}
		two, err := a.Copy(3, "Sonne", rewritten)
		if err == nil && !bytes.Equal(one, two) {
			t.Fatalf("one pass\n%q\ntwo passes\n%q", one, two)
		}
	})
}

// BenchmarkArchiveHeader is the work behind FETCH BODY.PEEK[HEADER] per message: a
// post with the fields mail usually has (Received, DKIM, encoded words).
func BenchmarkArchiveHeader(b *testing.B) {
	raw := []byte("Return-Path: <kaethe@example.de>\r\nReceived: from mout0.example.de (mout0.example.de [192.0.2.231])\r\n" +
		"\tby mx.lists.example.org (Postfix) with ESMTPS id FC3697038D\r\n\tfor <forum@lists.example.org>; Mon, 07 Jan 2019 20:28:25 +0100\r\n" +
		"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.de; s=2019;\r\n\tt=1546889305; h=from:to:subject:date:message-id;\r\n" +
		"\tbh=Gf7CJuTE0xZWCarpeoG5ylAVTz455De331ooQmQ8yOw=;\r\n\tb=Gf7CJuTE0xZWCarpeoG5ylAVTz455De331ooQmQ8yOz1xtid8ufyL2lfaRKlfpnzHhN/yPSm3Pcv\r\n" +
		"From: =?utf-8?b?S8OkdGhlIFNjaG5laWRlcg==?= <kaethe@example.de>\r\nTo: forum@lists.example.org\r\n" +
		"Subject: =?utf-8?b?SMOkcnRlZmFsbGFudHJhZzogd2llIGxhbmdlIGRhdWVydCBkYXM/?=\r\nDate: Mon, 07 Jan 2019 20:28:25 +0100\r\n" +
		"Message-ID: <5.17156075.corpus2026@example.net>\r\nList-Id: Forum <forum.lists.example.org>\r\nUser-Agent: Roundcube Webmail/1.5.2\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + strings.Repeat("Text einer Nachricht.\r\n", 200))
	l := testList
	l.Anonymous = true
	a, err := NewArchiver(l)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		if _, _, err := a.Header(12345, "Sonne", raw); err != nil {
			b.Fatal(err)
		}
	}
}

// TestArchiveIDsAsRewrite holds the Archiver's Message-ID rewriting to
// RewriteMessageIDs: one pass must give what the two give one after the other.
func TestArchiveIDsAsRewrite(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.eml"))
	if err != nil {
		t.Fatal(err)
	}
	posts := map[string][]byte{
		"threaded": []byte("From: a@example.net\r\nMessage-ID: <orig@laptop.fritz.box>\r\nIn-Reply-To: <p1@laptop>\r\n" +
			"References: <p0@x> <p1@laptop>\r\nSubject: Re: x\r\n\r\nText\n"),
		"no message-id": []byte("From: a@example.net\nReferences: p0@x\nSubject: x\n\nText\n"),
		"twice":         []byte("Message-ID: <a@b>\r\nMessage-ID: <c@d>\r\nIn-Reply-To: none\r\nSubject: x\r\n\r\n"),
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		posts[f] = b
	}
	ids := &IDs{MessageID: "pub1@lists.example.org", Refs: map[string]string{"p1@laptop": "pub0@lists.example.org",
		"p0@x": "pubx@lists.example.org", "unrelated@y": "z@lists.example.org"}}
	for _, anonymous := range []bool{false, true} {
		l := testList
		l.Anonymous = anonymous
		a, err := NewArchiver(l)
		if err != nil {
			t.Fatal(err)
		}
		for name, raw := range posts {
			rewritten, err := RewriteMessageIDs(raw, ids.MessageID, ids.Refs)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			wantCopy, err := a.Copy(5, "Sonne", rewritten)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			p, err := a.Read(5, "Sonne", raw)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			got, err := p.Copy(ids)
			if err != nil || !bytes.Equal(got, wantCopy) {
				t.Errorf("%s (anonymous %v): one pass\n%q\ntwo passes\n%q", name, anonymous, got, wantCopy)
			}
			hdr, size, err := p.Header(ids)
			if err != nil || size != len(wantCopy) || !bytes.HasPrefix(wantCopy, hdr) {
				t.Errorf("%s: Header disagrees with Copy: %v", name, err)
			}
			want, _ := ReferencedIDs(raw)
			have := map[string]bool{}
			for _, id := range p.Referenced() {
				have[id] = true
			}
			for _, id := range want {
				if !have[id] {
					t.Errorf("%s: Referenced lacks %q", name, id)
				}
			}
		}
	}
}
