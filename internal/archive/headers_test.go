package archive

import (
	"fmt"
	"strings"
	"testing"
)

func TestCountHeaderFields(t *testing.T) {
	part := func(n int) string {
		return "Content-Type: text/plain\r\n" + strings.Repeat("X-A: b\r\n", n-1) + "\r\nHallo\r\n"
	}
	multi := "From: a@example.net\r\nContent-Type: multipart/mixed;\r\n boundary=\"b1\"\r\n\r\npreamble\r\n"
	tests := []struct {
		name string
		raw  string
		max  int
		ok   bool
	}{
		{"plain", "From: a@example.net\r\nSubject: x\r\n\r\nKey: value\r\nKey: value\r\n", 2, true},
		{"too many at the top", "A: 1\r\nB: 2\r\nC: 3\r\n\r\n", 2, false},
		{"folded lines are one field", "A: 1\r\n 2\r\n\t3\r\n\r\n", 1, true},
		{"parts count", multi + "--b1\r\n" + part(3) + "--b1\r\n" + part(3) + "--b1--\r\n", 8, true},
		{"parts count together", multi + "--b1\r\n" + part(3) + "--b1\r\n" + part(4) + "--b1--\r\n", 8, false},
		{"after the close delimiter it is text", multi + "--b1\r\n" + part(3) + "--b1--\r\n--b1\r\n" + part(10), 5, true},
		{"a boundary prefix is no delimiter", multi + "--b1x\r\n" + part(10) + "--b1--\r\n", 3, true},
		{"nested", multi + "--b1\r\nContent-Type: multipart/alternative; boundary=b2\r\n\r\n--b2\r\n" + part(3) + "--b2--\r\n--b1\r\n" + part(3) + "--b1--\r\n", 8, false},
		{"nested within", multi + "--b1\r\nContent-Type: multipart/alternative; boundary=b2\r\n\r\n--b2\r\n" + part(2) + "--b2--\r\n--b1\r\n" + part(2) + "--b1--\r\n", 8, true},
		{"attached message", multi + "--b1\r\nContent-Type: message/rfc822\r\n\r\n" + strings.Repeat("X: y\r\n", 10) + "\r\nbody\r\n--b1--\r\n", 10, false},
		{"base64 attached message is not read", multi + "--b1\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n" + strings.Repeat("QUJD\r\n", 10) + "--b1--\r\n", 5, true},
		{"a Content-Type the standard library refuses still has its boundary",
			"From: a@example.net\r\nContent-Type: multipart/mixed; x=1; x=2; boundary=b1\r\n\r\n--b1\r\n" + part(10) + "--b1--\r\n", 5, false},
		{"upper-case type and an unquoted odd boundary",
			"From: a@example.net\r\nContent-Type: Multipart/Mixed; boundary=b1?\r\n\r\n--b1?\r\n" + part(10) + "--b1?--\r\n", 5, false},
		{"the first Content-Type counts, as readers take it",
			"From: a@example.net\r\nContent-Type: multipart/mixed; boundary=b1\r\nContent-Type: text/plain\r\n\r\n--b1\r\n" + part(10) + "--b1--\r\n", 5, false},
		{"LF only", strings.ReplaceAll(multi+"--b1\r\n"+part(3)+"--b1--\r\n", "\r\n", "\n"), 5, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := countHeaderFields([]byte(tt.raw), tt.max)
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

// TestParseRefusesPartHeaderBomb: a bomb in a part's header is refused before any
// parser allocates per field, and costs a bounded multiple of its size.
func TestParseRefusesPartHeaderBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("From: eve@example.com\r\nContent-Type: multipart/mixed; boundary=b1\r\n\r\n--b1\r\nContent-Type: text/plain\r\n")
	for i := range 200_000 {
		fmt.Fprintf(&b, "X-%05d: y\r\n", i%100000)
	}
	b.WriteString("\r\nx\r\n--b1--\r\n")
	raw := []byte(b.String())
	allocs := testing.AllocsPerRun(3, func() {
		if _, err := Parse(raw); err == nil || !strings.Contains(err.Error(), "more than 10000 header fields") {
			t.Fatalf("Parse: %v", err)
		}
	})
	if allocs > 100 {
		t.Errorf("%v allocations to refuse a part header bomb", allocs)
	}
}

func FuzzCountHeaderFields(f *testing.F) {
	f.Add([]byte("From: a\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nA: 1\r\n\r\nx\r\n--b--\r\n"), 3)
	f.Add([]byte("Content-Type: message/rfc822\n\nA: 1\nB: 2\n\n"), 2)
	f.Fuzz(func(t *testing.T, raw []byte, max int) {
		if max < 0 {
			return
		}
		err := countHeaderFields(raw, max)
		if err == nil && max > 0 {
			// Within a limit, a larger one never refuses.
			if err := countHeaderFields(raw, max+1); err != nil {
				t.Fatalf("refused with %d, accepted with %d", max+1, max)
			}
		}
		// Fields are lines: never more of them than lines.
		if lines := strings.Count(string(raw), "\n") + 1; err != nil && lines <= max {
			t.Fatalf("refused %d lines with a limit of %d", lines, max)
		}
	})
}
