package compose

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emersion/go-message"
)

var testRelay = Relay{Name: "kita", Domain: "lists.example.org", Sender: "Sonnenblume via kita (privat)",
	From: "kita-reply+rabcdefghijkl.aaaaaaaaaaaaa@lists.example.org", To: "ben@example.org",
	MessageID: "0123abcd@lists.example.org", Note: "Private Nachricht über die Liste kita.\nSperren: kita-reply+x@lists.example.org\n",
	Hide: []string{"petra@mail.example.net", "p.schmidt@example.com"}, Refs: map[string]string{"post-1@example.org": "post-1@example.org"}}

func TestPrepareRelayHeader(t *testing.T) {
	raw := "From: Petra Schmidt <petra@mail.example.net>\r\nSender: petra@mail.example.net\r\nReply-To: petra@mail.example.net\r\n" +
		"Cc: friend@example.com\r\nReceived: from laptop [93.184.216.34]\r\nX-Mailer: Mail\r\nARC-Seal: i=1; x\r\n" +
		"Autocrypt: addr=petra@mail.example.net; keydata=mQENBF\r\n" +
		"X-Note: =?utf-8?q?p=2Eschmidt=40example=2Ecom?=\r\nResent-From: x@example.net\r\nList-Id: <other.example.net>\r\n" +
		"To: kita-reply+12.aaaaaaaaaaaaa@lists.example.org\r\nSubject: =?utf-8?q?Deine_Frage_zur_Kita?=\r\n" +
		"In-Reply-To: <post-1@example.org>\r\nMessage-ID: <a@mail.example.net>\r\nDate: Wed, 25 Nov 2026 10:00:00 +0100\r\n" +
		"X-AntiAbuse: Sender Address Domain - mail.example.net\r\nComments: Petra Schmidt's laptop\r\n" +
		"References: <older@petras-laptop.local> <post-1@example.org> <relay1@lists.example.org>\r\n\r\nHallo!\r\n"
	out, err := PrepareRelay([]byte(raw), testRelay)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.ReplaceAll(string(out), "\r\n ", " ") // unfolded
	for _, want := range []string{
		"From: \"Sonnenblume via kita (privat)\" <kita-reply+rabcdefghijkl.aaaaaaaaaaaaa@lists.example.org>\r\n",
		"To: <ben@example.org>\r\n", "Message-Id: <0123abcd@lists.example.org>\r\n",
		"Subject: =?utf-8?q?Deine_Frage_zur_Kita?=\r\n", "In-Reply-To: <post-1@example.org>\r\n",
		"Date: Wed, 25 Nov 2026 10:00:00 +0100\r\n", "Hallo!\r\n-- \r\nPrivate Nachricht",
		"References: <post-1@example.org> <relay1@lists.example.org>\r\n",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("missing %q in:\n%s", want, s)
		}
	}
	for _, leak := range []string{"petra", "Schmidt", "93.184", "friend@", "X-Mailer", "ARC-Seal", "Sender:",
		"\nReply-To", "Autocrypt", "X-Note", "Resent-", "List-Id", "12.aaaa", "X-AntiAbuse", "Comments", "laptop"} {
		if strings.Contains(s, leak) {
			t.Errorf("relayed message keeps %q:\n%s", leak, s)
		}
	}
}

func TestPrepareRelayBodies(t *testing.T) {
	tests := []struct {
		file      string
		wantParts int // text/plain and text/html parts that must carry the note
	}{
		{"plain-utf8-8bit.eml", 1},
		{"qp-latin1.eml", 1},
		{"alternative.eml", 2},
		{"mixed-pdf.eml", 1},
		{"signed-pgp.eml", 1},
		{"html-only.eml", 1},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			out, err := PrepareRelay(raw, testRelay)
			if err != nil {
				t.Fatal(err)
			}
			parts, err := walk(out)
			if err != nil {
				t.Fatalf("output unreadable: %v\n%s", err, out)
			}
			n := 0
			for _, p := range parts {
				if (p.mediaType == "text/plain" || p.mediaType == "text/html") && bytes.Contains(p.body, []byte("Private Nachricht")) {
					n++
				}
				if p.mediaType == "application/pgp-signature" {
					t.Error("the signature was passed on")
				}
			}
			if n != tt.wantParts {
				t.Errorf("note in %d parts, want %d:\n%s", n, tt.wantParts, out)
			}
		})
	}
}

func TestPrepareRelayRefuses(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "smime-opaque.eml"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := PrepareRelay(raw, testRelay); !errors.Is(err, ErrNotRelayable) {
		t.Errorf("S/MIME: err = %v", err)
	}
	enc := "From: a@example.net\r\nContent-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=b\r\n\r\n--b\r\n\r\nx\r\n--b--\r\n"
	if _, err := PrepareRelay([]byte(enc), testRelay); !errors.Is(err, ErrNotRelayable) {
		t.Errorf("PGP encrypted: err = %v", err)
	}
	bad := testRelay
	bad.To = "ben@example.org>\r\nBcc: x@example.net"
	if _, err := PrepareRelay([]byte("Subject: x\r\n\r\ny\r\n"), bad); err == nil {
		t.Error("a recipient with a line break was accepted")
	}
	if _, err := PrepareRelay([]byte("no header at all"), testRelay); err == nil {
		t.Error("a message without header was accepted")
	}
}

func FuzzPrepareRelay(f *testing.F) {
	addSampleMails(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		out, err := PrepareRelay(raw, testRelay)
		if err != nil {
			return
		}
		e, err := message.Read(bytes.NewReader(out))
		if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
			t.Fatalf("message.Read: %v\n%q", err, out)
		}
		if got := e.Header.Get("From"); !strings.Contains(got, testRelay.From) {
			t.Fatalf("From = %q", got)
		}
		if bytes.Contains(bytes.ToLower(out[:bytes.Index(out, []byte("\r\n\r\n"))+2]), []byte("petra@mail.example.net")) {
			t.Fatalf("hidden address in the header:\n%q", out)
		}
	})
}
