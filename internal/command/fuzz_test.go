package command

import (
	"os"
	"path/filepath"
	"testing"
)

var allVerbs = map[Verb]bool{
	Help: true, Subscribe: true, Unsubscribe: true, Digest: true, Each: true, NoMail: true,
	Postal: true, Name: true, Confirm: true, Counsel: true, Withdraw: true, Unknown: true,
}

func FuzzParse(f *testing.F) {
	for _, tt := range parseTests {
		f.Add(tt.subject, tt.body)
	}
	files, _ := filepath.Glob("testdata/*.txt")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add("Re: [kita] Treffen", string(b))
	}
	f.Fuzz(func(t *testing.T, subject, body string) {
		got := Parse(subject, body)
		if len(got) > MaxCommands {
			t.Fatalf("%d commands", len(got))
		}
		seen := make(map[Command]bool)
		for _, c := range got {
			if !allVerbs[c.Verb] {
				t.Errorf("verb %q", c.Verb)
			}
			if len(c.Line) > maxLineOut || c.Line == "" {
				t.Errorf("line of %d bytes", len(c.Line))
			}
			if takesArg := argKinds[c.Verb] != argNone; takesArg != (c.Arg != "") {
				t.Errorf("%s with arg %q", c.Verb, c.Arg)
			}
			if seen[c] {
				t.Errorf("duplicate %q", c)
			}
			seen[c] = true
		}
	})
}
