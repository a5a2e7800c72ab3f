package compose

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestReadmeListsAnonymousFields: the README's privacy section names exactly the
// fields an anonymous post keeps, in the order of KeptFields and WrittenFields.
func TestReadmeListsAnonymousFields(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	field := regexp.MustCompile("`([A-Za-z-]+)`")
	for _, tt := range []struct {
		prefix string
		want   []string
	}{
		{"- Kept from the sender: ", KeptFields},
		{"- Written by listd: ", WrittenFields},
	} {
		var got []string
		found := false
		for _, line := range strings.Split(string(b), "\n") {
			if rest, ok := strings.CutPrefix(line, tt.prefix); ok {
				found = true
				for _, m := range field.FindAllStringSubmatch(rest, -1) {
					got = append(got, m[1])
				}
			}
		}
		if !found || !slices.Equal(got, tt.want) {
			t.Errorf("README line %q lists %q, the code %q", tt.prefix, got, tt.want)
		}
	}
}
