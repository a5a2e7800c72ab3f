package compose

import (
	"bytes"
	"net/mail"
	"slices"
	"strings"
	"testing"
)

func TestRewriteMessageIDs(t *testing.T) {
	refs := map[string]string{
		"123@annas-laptop.fritz.box": "pub1@lists.example.org",
		"root@ben.example":           "pub0@lists.example.org",
	}
	tests := []struct {
		name       string
		raw        string
		wantID     string
		wantReply  string // In-Reply-To after; "" when the field must be absent
		wantRefs   string
		refsBefore []string // ReferencedIDs of raw
	}{
		{"reply", "From: a@x\r\nMessage-ID: <456@petras-pc.local>\r\nIn-Reply-To: <123@annas-laptop.fritz.box>\r\n" +
			"References: <root@ben.example>\r\n <123@annas-laptop.fritz.box>\r\nSubject: Re: x\r\n\r\nText\r\n",
			"<new@lists.example.org>", "<pub1@lists.example.org>", "<pub0@lists.example.org> <pub1@lists.example.org>",
			[]string{"123@annas-laptop.fritz.box", "root@ben.example"}},
		{"unknown ids go", "Message-Id: <a@b>\nIn-Reply-To: <other@annas-laptop.fritz.box>\nReferences: <other@annas-laptop.fritz.box>\n\nx\n",
			"<new@lists.example.org>", "", "", []string{"other@annas-laptop.fritz.box"}},
		{"shown ids stay, others go", "Message-Id: <a@b>\r\nIn-Reply-To: <pub1@lists.example.org> (Anna Schmidt)\r\n" +
			"References: <x@annas-laptop.fritz.box> <pub0@lists.example.org>\r\n <pub1@lists.example.org>\r\n\r\nx\r\n",
			"<new@lists.example.org>", "<pub1@lists.example.org>", "<pub0@lists.example.org> <pub1@lists.example.org>",
			[]string{"pub1@lists.example.org", "pub0@lists.example.org", "x@annas-laptop.fritz.box"}},
		{"no ids at all", "Message-Id: <a@b>\r\nIn-Reply-To: Anna Schmidt's mail of Monday\r\n\r\nx",
			"<new@lists.example.org>", "", "", nil},
		{"no Message-ID", "From: a@x\r\nSubject: y\r\n\r\nbody", "<new@lists.example.org>", "", "", nil},
		{"bracketless In-Reply-To", "Message-ID: <a@b>\r\nIn-Reply-To: 123@annas-laptop.fritz.box\r\n\r\nx",
			"<new@lists.example.org>", "<pub1@lists.example.org>", "", []string{"123@annas-laptop.fritz.box"}},
		{"In-Reply-To with a comment", "Message-ID: <a@b>\r\nIn-Reply-To: <123@annas-laptop.fritz.box> (Anna's mail of Monday)\r\n\r\nx",
			"<new@lists.example.org>", "<pub1@lists.example.org>", "", []string{"123@annas-laptop.fritz.box"}},
		{"mbox envelope", "From a@x Mon Jan  1 00:00:00 2024\nMessage-ID: <a@b>\n\nx\n", "<new@lists.example.org>", "", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReferencedIDs([]byte(tt.raw))
			if err != nil || !slices.Equal(got, tt.refsBefore) {
				t.Errorf("ReferencedIDs = %q, %v; want %q", got, err, tt.refsBefore)
			}
			out, err := RewriteMessageIDs([]byte(tt.raw), "new@lists.example.org", refs)
			if err != nil {
				t.Fatal(err)
			}
			m, err := mail.ReadMessage(bytes.NewReader(out))
			if err != nil {
				t.Fatalf("result unreadable: %v\n%s", err, out)
			}
			if v := m.Header.Get("Message-Id"); v != tt.wantID {
				t.Errorf("Message-ID = %q", v)
			}
			if v := strings.Join(strings.Fields(m.Header.Get("In-Reply-To")), " "); v != tt.wantReply {
				t.Errorf("In-Reply-To = %q, want %q", v, tt.wantReply)
			}
			if v := strings.Join(strings.Fields(m.Header.Get("References")), " "); v != tt.wantRefs {
				t.Errorf("References = %q, want %q", v, tt.wantRefs)
			}
			if len(m.Header["Message-Id"]) != 1 {
				t.Errorf("%d Message-ID fields", len(m.Header["Message-Id"]))
			}
			if bytes.Contains(out, []byte("annas-laptop")) || bytes.Contains(out, []byte("petras-pc")) {
				t.Errorf("a host name is left:\n%s", out)
			}
			// Other fields and the body keep their bytes.
			_, body, _ := bytes.Cut(ToCRLF([]byte(tt.raw)), []byte("\r\n\r\n"))
			if !bytes.HasSuffix(out, body) {
				t.Errorf("body changed:\n%q", out)
			}
			if strings.Contains(tt.raw, "Subject: Re: x") && !bytes.Contains(out, []byte("Subject: Re: x\r\n")) {
				t.Error("Subject lost")
			}
		})
	}
}

func TestRewriteMessageIDsRefusesBadIDs(t *testing.T) {
	raw := []byte("Message-ID: <a@b>\r\nIn-Reply-To: <x@y>\r\n\r\nbody")
	for _, id := range []string{"", "no-at", "a@b>\r\nBcc: victim@example.org", "a b@c", "<a@b>"} {
		if _, err := RewriteMessageIDs(raw, id, nil); err == nil {
			t.Errorf("Message-ID %q was taken", id)
		}
	}
	// A bad replacement is not written, nor the id it would replace.
	out, err := RewriteMessageIDs(raw, "new@list", map[string]string{"x@y": "evil>\r\nBcc: v@x"})
	if err != nil || bytes.Contains(out, []byte("In-Reply-To")) || bytes.Contains(out, []byte("Bcc")) {
		t.Errorf("bad replacement: %q %v", out, err)
	}
	if _, err := RewriteMessageIDs([]byte(" continuation without a field\r\n"), "a@b", nil); err == nil {
		t.Error("a message without a header was taken")
	}
}

func FuzzRewriteMessageIDs(f *testing.F) {
	f.Add([]byte("Message-ID: <a@b>\r\nIn-Reply-To: <x@y>\r\nReferences: <r@s> <x@y>\r\n\r\nbody"), "x@y")
	f.Add([]byte("From a Mon\nIn-Reply-To: x@y\n\nbody\n"), "x@y")
	f.Add([]byte("References: <<a@b>>\r\n"), "a@b")
	f.Fuzz(func(t *testing.T, raw []byte, ref string) {
		refs := map[string]string{ref: "pub@lists.example.org"}
		ids, err := ReferencedIDs(raw)
		if err != nil {
			return
		}
		if len(ids) > maxRefs {
			t.Fatalf("%d ids", len(ids))
		}
		out, err := RewriteMessageIDs(raw, "new@lists.example.org", refs)
		if err != nil {
			return
		}
		h, err := headerOf(out)
		if err != nil {
			t.Fatalf("result has no header: %v\n%q", err, out)
		}
		if got := fieldIDs(h.Get("Message-ID")); len(got) != 1 || got[0] != "new@lists.example.org" {
			t.Fatalf("Message-ID %q in\n%q", got, out)
		}
		// Only the list's ids are left.
		for _, k := range idFields[1:] {
			for _, id := range fieldIDs(h.Get(k)) {
				if id != "pub@lists.example.org" {
					t.Fatalf("%s keeps %q in\n%q", k, id, out)
				}
			}
		}
		// Rewriting again changes nothing more.
		again, err := RewriteMessageIDs(out, "new@lists.example.org", refs)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("not stable: %v\n%q\n%q", err, out, again)
		}
	})
}
