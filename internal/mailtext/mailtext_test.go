package mailtext

import (
	"strings"
	"testing"
)

func TestWords(t *testing.T) {
	ws := Words("  plz\t10115  bitte")
	want := []Word{{"plz", 2, 5}, {"10115", 6, 11}, {"bitte", 13, 18}}
	if len(ws) != len(want) {
		t.Fatalf("Words = %+v", ws)
	}
	for i := range ws {
		if ws[i] != want[i] {
			t.Errorf("word %d = %+v, want %+v", i, ws[i], want[i])
		}
	}
}

func TestClip(t *testing.T) {
	if got := Clip("äöü", 3); got != "ä" {
		t.Errorf("Clip = %q", got)
	}
	if got := Clip("abc", 10); got != "abc" {
		t.Errorf("Clip = %q", got)
	}
}

func TestSignOff(t *testing.T) {
	for _, tt := range []struct {
		line string
		want bool
	}{
		{"lg", true},
		{"liebe gruesse anna", true},
		{"mit freundlichen gruessen", true},
		{"best regards", true},
		{"danke", false},
		{"liebe kita", false},
		{"", false},
	} {
		if got := SignOff(strings.Fields(tt.line)); got != tt.want {
			t.Errorf("SignOff(%q) = %v", tt.line, got)
		}
	}
}
