package compose

import (
	"bytes"
	"io"
	"mime"
	"net/mail"
	"strings"
	"testing"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/textproto"
)

// keptLeaks are what the inputs of TestKeptFieldsRewritten hide in their kept fields.
var keptLeaks = []string{"anna", "web.de", "Anna's Mac"}

const keptHead = "From: Anna Mueller <anna.mueller@web.de>\r\nTo: umgang@lists.example.org\r\nSubject: Frage\r\n" +
	"Message-ID: <x1@mail.example.net>\r\n"

// TestKeptFieldsRewritten: on an anonymous list a kept field of the sender's comes
// out once, written from its parsed value: a second Content-Type or
// Content-Disposition (of the message or of a part), a second Date, or a comment
// in Date, MIME-Version, Content-Transfer-Encoding, Content-Language or
// Content-Type reaches neither the members' copies, nor the archive copy, nor a
// private reply, and the copies still read as the post did.
func TestKeptFieldsRewritten(t *testing.T) {
	date := "Mon, 7 Jan 2019 20:28:25 +0100"
	for _, tc := range []struct {
		name string
		raw  string
		date string // the Date wanted, "" for none
	}{
		{"part duplicates", keptHead + "Date: " + date + "\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
			"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHallo\r\n--b\r\n" +
			"Content-Type: text/plain\r\nContent-Type: application/pdf; name=\"anna.mueller@web.de.pdf\"\r\n" +
			"Content-Disposition: attachment\r\nContent-Disposition: attachment; filename=\"anna.mueller@web.de.pdf\"\r\n" +
			"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--b--\r\n", date},
		{"part duplicates RFC 2231", keptHead + "Date: " + date + "\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
			"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHallo\r\n--b\r\n" +
			"Content-Type: application/pdf\r\nContent-Type: application/pdf; name*0=\"an\"; name*1=\"na@web.de.pdf\"\r\n" +
			"Content-Disposition: attachment\r\nContent-Disposition: attachment; filename*=utf-8''anna%40web.de.pdf\r\n" +
			"Content-Language: de (=?utf-8?q?anna=40web.de?=)\r\n" +
			"Content-Transfer-Encoding: base64 (anna@web.de)\r\n\r\nJVBERi0=\r\n--b--\r\n", date},
		{"top duplicate Content-Type", keptHead + "Date: " + date + "\r\nMIME-Version: 1.0\r\n" +
			"Content-Type: text/plain; charset=utf-8\r\nContent-Type: text/plain; name=\"anna@web.de\"\r\n\r\nHallo\r\n", date},
		{"top duplicate Content-Disposition", keptHead + "Date: " + date + "\r\nMIME-Version: 1.0\r\n" +
			"Content-Type: text/plain; charset=utf-8\r\nContent-Disposition: inline\r\n" +
			"Content-Disposition: inline; filename=\"=?utf-8?q?anna=40web.de?=.txt\"\r\n\r\nHallo\r\n", date},
		{"comments", keptHead + "Date: Mon, 7 Jan 2019 20:28:25 +0100 (anna@web.de)\r\nDate: Tue, 8 Jan 2019 10:00:00 +0000 (anna@web.de)\r\n" +
			"MIME-Version: 1.0 (Anna's Mac)\r\nContent-Language: de (anna@web.de)\r\n" +
			"Content-Type: text/plain; charset=utf-8 (anna@web.de)\r\nContent-Transfer-Encoding: 7bit (anna@web.de)\r\n\r\nHallo\r\n", date},
		{"encoded-word comments", keptHead + "Date: Mon, 7 Jan 2019 20:28:25 +0100 (=?utf-8?q?anna=40web=2Ede?=)\r\n" +
			"MIME-Version: 1.0 (=?utf-8?b?QW5uYSdzIE1hYw==?=)\r\nContent-Language: de, (=?utf-8?q?anna?=) en\r\n" +
			"Content-Type: text/plain (anna@web.de); charset=\"utf-8\"\r\nContent-Transfer-Encoding: (anna@web.de) quoted-printable\r\n\r\nHallo=20Welt\r\n", date},
		{"unreadable date", keptHead + "Date: anna@web.de\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHallo\r\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Prepare([]byte(tc.raw), anonList, 1)
			if err != nil {
				t.Fatal(err)
			}
			var member bytes.Buffer
			if _, err := p.WriteTo(&member, testUnsub); err != nil {
				t.Fatal(err)
			}
			archived, err := ArchiveCopy(anonList, 1, []byte(tc.raw))
			if err != nil {
				t.Fatal(err)
			}
			relayed, err := PrepareRelay([]byte(tc.raw), testRelay)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				what string
				out  []byte
			}{{"member copy", member.Bytes()}, {"archive copy", archived}, {"private reply", relayed}} {
				checkKeptFields(t, c.what, c.out, tc.date)
			}
		})
	}
}

// checkKeptFields checks one copy for TestKeptFieldsRewritten.
func checkKeptFields(t *testing.T, what string, out []byte, date string) {
	t.Helper()
	low := strings.ToLower(string(out))
	for _, l := range keptLeaks {
		if strings.Contains(low, strings.ToLower(l)) {
			t.Errorf("%s keeps %q:\n%s", what, l, out)
		}
	}
	m, err := mail.ReadMessage(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("%s: net/mail: %v", what, err)
	}
	if date == "" {
		if m.Header.Get("Date") != "" {
			t.Errorf("%s: Date %q from an unreadable one", what, m.Header.Get("Date"))
		}
	} else {
		want, _ := mail.ParseDate(date)
		got, err := m.Header.Date()
		if err != nil || !got.Equal(want) {
			t.Errorf("%s: Date %v (%v), want %v", what, got, err, want)
		}
		if _, off := got.Zone(); off != 3600 {
			t.Errorf("%s: Date lost its zone: %v", what, got)
		}
	}
	if v := m.Header.Get("MIME-Version"); v != "" && v != "1.0" {
		t.Errorf("%s: MIME-Version %q", what, v)
	}
	e, err := message.Read(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("%s: go-message: %v", what, err)
	}
	checkOnce(t, what+" header", e.Header, KeptFields)
	err = e.Walk(func(path []int, part *message.Entity, err error) error {
		if err != nil {
			return err
		}
		checkOnce(t, what+" part", part.Header, partFields)
		mt, params, err := part.Header.ContentType()
		if err != nil {
			t.Errorf("%s: part %v: Content-Type: %v", what, path, err)
		}
		if mt == "text/plain" && params["charset"] != "" && !strings.EqualFold(params["charset"], "utf-8") {
			t.Errorf("%s: part %v: charset %q", what, path, params["charset"])
		}
		if cte := part.Header.Get("Content-Transfer-Encoding"); cte != "" {
			switch cte {
			case "7bit", "8bit", "binary", "quoted-printable", "base64":
			default:
				t.Errorf("%s: part %v: Content-Transfer-Encoding %q", what, path, cte)
			}
		}
		if !strings.HasPrefix(mt, "multipart/") {
			if _, err := io.ReadAll(part.Body); err != nil {
				t.Errorf("%s: part %v: body: %v", what, path, err)
			}
		}
		if cd := part.Header.Get("Content-Disposition"); cd != "" {
			if _, _, err := mime.ParseMediaType(cd); err != nil {
				t.Errorf("%s: part %v: Content-Disposition %q: %v", what, path, cd, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Errorf("%s: walk: %v", what, err)
	}
}

// checkOnce fails when h has more than one of a field in keys.
func checkOnce(t *testing.T, what string, h message.Header, keys []string) {
	t.Helper()
	for _, k := range keys {
		if n := len(h.Header.Values(k)); n > 1 {
			t.Errorf("%s: %d %s fields", what, n, k)
		}
	}
}

// fieldsOnce reports the first field of keys that h has more than once, or "".
func fieldsOnce(h textproto.Header, keys []string) string {
	for _, k := range keys {
		if len(h.Values(k)) > 1 {
			return k
		}
	}
	return ""
}

// TestParsedDate: Date is written from the parsed time, zone kept.
func TestParsedDate(t *testing.T) {
	s := &scrubber{cids: map[string]string{}}
	for in, want := range map[string]string{
		"Mon, 7 Jan 2019 20:28:25 +0100 (anna@web.de)": "Date: Mon, 07 Jan 2019 20:28:25 +0100\r\n",
		"7 Jan 2019 20:28:25 GMT":                      "Date: Mon, 07 Jan 2019 20:28:25 +0000\r\n",
		"Mon, 7 Jan 2019 20:28:25 -0500 (EST)":         "Date: Mon, 07 Jan 2019 20:28:25 -0500\r\n",
		"Mon, 7 Jan 2019 20:28:25 EST":                 "Date: Mon, 07 Jan 2019 20:28:25 -0500\r\n",
	} {
		got, ok := s.field("Date", in)
		if !ok || string(got) != want {
			t.Errorf("Date %q: %q %v, want %q", in, got, ok, want)
		}
	}
	if _, ok := s.field("Date", "anna@web.de"); ok {
		t.Error("an unreadable Date is kept")
	}
}
