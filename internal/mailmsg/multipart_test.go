package mailmsg

import (
	"bytes"
	"reflect"
	"testing"
)

func TestSplitMultipart(t *testing.T) {
	tests := []struct {
		name, body string
		max        int
		want       []string // nil: no boundary found
		unclosed   bool
	}{
		{"two parts", "pre\r\n--b\r\nA: 1\r\n\r\none\r\n--b\r\n\r\ntwo\r\n--b--\r\nepilogue", 0,
			[]string{"A: 1\r\n\r\none", "\r\ntwo"}, false},
		{"lf and blanks after boundary", "--b \n\nx\n--b-- \t\n", 0, []string{"\nx"}, false},
		{"unclosed", "--b\r\n\r\nx\r\n--b\r\n\r\ncut off", 0, []string{"\r\nx", "\r\ncut off"}, true},
		{"unclosed, empty tail", "--b\r\n\r\nx\r\n--b\r\n", 0, []string{"\r\nx", ""}, true},
		{"closed, no parts", "--b--\r\n", 0, []string{}, false},
		{"no boundary", "just text\r\n--bx\r\n", 0, nil, false},
		{"max", "--b\r\n1\r\n--b\r\n2\r\n--b\r\n3\r\n--b--", 2, []string{"1", "2"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parts, unclosed := SplitMultipart([]byte(tt.body), "b", tt.max)
			var got []string
			if parts != nil {
				got = []string{}
				for _, p := range parts {
					got = append(got, string(p))
				}
			}
			if !reflect.DeepEqual(got, tt.want) || unclosed != tt.unclosed {
				t.Errorf("SplitMultipart = %q, %v; want %q, %v", got, unclosed, tt.want, tt.unclosed)
			}
		})
	}
	if parts, _ := SplitMultipart([]byte("--\r\n"), "", 0); parts != nil {
		t.Errorf("empty boundary: %q", parts)
	}
}

// FuzzSplitMultipart: the parts are pieces of the body, in order, never more than
// asked for.
func FuzzSplitMultipart(f *testing.F) {
	f.Add([]byte("pre\r\n--b\r\nA: 1\r\n\r\none\r\n--b\r\n\r\ntwo\r\n--b--\r\n"), "b", 0)
	f.Add([]byte("--b\n\nx\n--b\n"), "b", 1)
	f.Add([]byte("--=_x\r\n--=_x--"), "=_x", 3)
	f.Fuzz(func(t *testing.T, body []byte, boundary string, max int) {
		parts, _ := SplitMultipart(body, boundary, max)
		if max > 0 && len(parts) > max {
			t.Fatalf("%d parts, max %d", len(parts), max)
		}
		rest := body
		for _, p := range parts {
			i := bytes.Index(rest, p)
			if i < 0 {
				t.Fatalf("part %q not in the body after the previous one", p)
			}
			rest = rest[i+len(p):]
		}
	})
}
