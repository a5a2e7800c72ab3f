package modreply

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

var allActions = map[Action]bool{
	Approve: true, Reject: true, Discard: true, Always: true, Claim: true, Unknown: true,
}

func FuzzParse(f *testing.F) {
	for _, tt := range parseTests {
		f.Add(tt.text)
	}
	files, _ := filepath.Glob("testdata/*.txt")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Fuzz(func(t *testing.T, text string) {
		got := Parse(text)
		if !allActions[got.Action] {
			t.Errorf("action %q", got.Action)
		}
		if len(got.Reason) > maxReason || !utf8.ValidString(got.Reason) {
			t.Errorf("reason of %d bytes, valid %v", len(got.Reason), utf8.ValidString(got.Reason))
		}
		if len(got.Line) > maxLine || !utf8.ValidString(got.Line) {
			t.Errorf("line of %d bytes, valid %v", len(got.Line), utf8.ValidString(got.Line))
		}
		if got.Reason != "" && got.Action != Reject {
			t.Errorf("%s with reason %q", got.Action, got.Reason)
		}
		if got.Action == Unknown && got.Line == "" {
			t.Error("unknown without a line")
		}
		// LF and CRLF read the same.
		if !strings.Contains(text, "\r") && 2*len(text) < maxText {
			if g2 := Parse(strings.ReplaceAll(text, "\n", "\r\n")); g2 != got {
				t.Errorf("CRLF: got %+q, LF: %+q", g2, got)
			}
		}
	})
}
