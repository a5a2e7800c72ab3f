package compose

import (
	"bytes"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/emersion/go-message/textproto"
)

// fieldIDsRE is the definition fieldIDs implements by hand.
var fieldIDsRE = regexp.MustCompile(`<([^<>\s]+)>`)

func fieldIDsByRE(v string) []string {
	var out []string
	for _, m := range fieldIDsRE.FindAllStringSubmatch(v, -1) {
		out = append(out, m[1])
	}
	if len(out) == 0 {
		if f := strings.Fields(v); len(f) == 1 && strings.Contains(f[0], "@") && !strings.ContainsAny(f[0], "<>") {
			out = append(out, f[0])
		}
	}
	return out
}

func FuzzFieldIDs(f *testing.F) {
	for _, s := range []string{"<a@b> <c@d>", "<<a@b>>", "<a b@c> <d@e>", "< a@b>", "<>", "<a@b", "a@b", " a@b ",
		"<a@b><c@d>", "x <a\\t@b> <c@d>\\r\\n <e@f>", "<a<b@c>", "<a>b@c>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if got, want := fieldIDs(v), fieldIDsByRE(v); !slices.Equal(got, want) {
			t.Fatalf("fieldIDs(%q) = %q, want %q", v, got, want)
		}
	})
}

// formatFieldSlow is formatField without its fast path.
func formatFieldSlow(k, v string) ([]byte, error) {
	var h textproto.Header
	h.Add(k, v)
	var b bytes.Buffer
	if err := textproto.WriteHeader(&b, h); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\r\n")), nil
}

func FuzzFormatField(f *testing.F) {
	for _, s := range []string{"<abc@lists.example.org>", "[kita] Re: Frage", "x  y", " lead", "trail ", strings.Repeat("a", 70)} {
		f.Add("Message-ID", s)
	}
	f.Fuzz(func(t *testing.T, k, v string) {
		if !printableASCII(k) || strings.ContainsAny(k, ": ") || k == "" || len(k) > 30 { // field names listd writes are short
			return
		}
		got, err1 := formatField(k, v)
		want, err2 := formatFieldSlow(k, v)
		if (err1 == nil) != (err2 == nil) || !bytes.Equal(got, want) {
			t.Fatalf("formatField(%q, %q) = %q, %v; want %q, %v", k, v, got, err1, want, err2)
		}
	})
}
