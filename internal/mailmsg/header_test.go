package mailmsg

import (
	"bufio"
	"bytes"
	"testing"

	"github.com/emersion/go-message/textproto"
)

func TestSplitHeader(t *testing.T) {
	tests := []struct {
		name, in, hdr, body string
	}{
		{"crlf", "A: 1\r\nB: 2\r\n\r\nbody\r\n", "A: 1\r\nB: 2\r\n", "body\r\n"},
		{"lf", "A: 1\n\nbody\n", "A: 1\n", "body\n"},
		{"folded", "A: 1\r\n 2\r\n\r\nx", "A: 1\r\n 2\r\n", "x"},
		{"no blank line", "A: 1\r\nthis is text\r\n", "A: 1\r\n", "this is text\r\n"},
		{"space before colon", "From : a\r\n\r\nx", "From : a\r\n", "x"},
		{"all header", "A: 1\r\nB: 2", "A: 1\r\nB: 2", ""},
		{"leading continuation", " x\r\nA: 1\r\n\r\ny", "", " x\r\nA: 1\r\n\r\ny"},
		{"no header", "\r\nbody", "", "body"},
		{"empty", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hdr, body := SplitHeader([]byte(tt.in))
			if string(hdr) != tt.hdr || string(body) != tt.body {
				t.Errorf("SplitHeader(%q) = %q, %q; want %q, %q", tt.in, hdr, body, tt.hdr, tt.body)
			}
		})
	}
}

// FuzzSplitHeader: the header block and the body are the message's own bytes, in
// order, and go-message reads the block without error.
func FuzzSplitHeader(f *testing.F) {
	for _, s := range []string{
		"From: a@example.com\r\nSubject: =?utf-8?q?x?=\r\n\r\nbody\r\n",
		"From a@example.com Mon Jan  1 00:00:00 2024\r\nSubject: x\r\nno blank line\r\n",
		"A: 1\n 2\n\nbody",
		" continuation\r\n\r\n",
		":\r\n\r\n",
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nX: y\r\n\r\nz\r\n--b--\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		hdr, body := SplitHeader(msg)
		if !bytes.HasPrefix(msg, hdr) || !bytes.HasSuffix(msg, body) || len(hdr)+len(body) > len(msg) {
			t.Fatalf("SplitHeader(%q) = %q, %q: not the message's bytes", msg, hdr, body)
		}
		block := append(append([]byte{}, hdr...), "\r\n\r\n"...)
		if _, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(block))); err != nil {
			t.Errorf("ReadHeader(%q): %v", hdr, err)
		}
	})
}
