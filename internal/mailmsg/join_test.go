package mailmsg

import (
	"bytes"
	"testing"

	"github.com/emersion/go-message/textproto"
)

func TestJoinMultipart(t *testing.T) {
	var h1, h2 textproto.Header
	h1.Set("Content-Type", "text/plain; charset=utf-8")
	h2.Set("Content-Type", "image/jpeg")
	h2.Set("Content-Transfer-Encoding", "base64")
	tests := []struct {
		name     string
		boundary string
		parts    []Part
		wantErr  bool
	}{
		{"two parts", "b1", []Part{{h1, []byte("Hallo\r\n")}, {h2, []byte("/9j/4AAQ\r\n")}}, false},
		{"empty body", "b2", []Part{{h1, nil}}, false},
		{"bad boundary", "", []Part{{h1, []byte("x")}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := JoinMultipart(tt.boundary, tt.parts, 64)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v", err)
			}
			if err != nil {
				return
			}
			got, unclosed := SplitMultipart(out, tt.boundary, 10)
			if unclosed || len(got) != len(tt.parts) {
				t.Fatalf("split back into %d parts (unclosed %v):\n%s", len(got), unclosed, out)
			}
			for i, p := range got {
				_, body := SplitHeader(p)
				if !bytes.Equal(bytes.TrimRight(body, "\r\n"), bytes.TrimRight(tt.parts[i].Body, "\r\n")) {
					t.Errorf("part %d body %q, want %q", i, body, tt.parts[i].Body)
				}
			}
		})
	}
}
