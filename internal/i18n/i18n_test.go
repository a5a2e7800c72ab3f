package i18n

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"listd/templates"
)

func TestEmbeddedCatalogueIsComplete(t *testing.T) {
	c, err := Load(templates.FS(""))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range c.Keys() {
		for _, l := range Langs() {
			if strings.TrimSpace(c.T(l, k)) == "" && !strings.HasSuffix(k, "_suffix") {
				t.Errorf("%s: %s is empty", l, k)
			}
		}
	}
}

// TestTemplatesUseKnownKeys finds a page that asks for a text the catalogue lacks.
func TestTemplatesUseKnownKeys(t *testing.T) {
	c := Default()
	use := regexp.MustCompile(`\bt \$?\.?[A-Za-z.]*Lang "([^"]+)"`)
	pages, err := fs.Glob(templates.FS(""), "pages/*.html")
	if err != nil || len(pages) == 0 {
		t.Fatal(pages, err)
	}
	for _, p := range pages {
		raw, err := fs.ReadFile(templates.FS(""), p)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range use.FindAllStringSubmatch(string(raw), -1) {
			if key := m[1]; !c.Has(key) && !c.Has("page."+key) {
				t.Errorf("%s asks for %q, which the catalogue does not have", p, key)
			}
		}
	}
}

// TestGoCodeUsesKnownKeys finds a Go call with a literal key the catalogue lacks.
func TestGoCodeUsesKnownKeys(t *testing.T) {
	c := Default()
	calls := map[string]*regexp.Regexp{
		"page.": regexp.MustCompile(`\.tr\([a-zA-Z.()]+, "([a-z0-9_]+)"\)`),
		"mail.": regexp.MustCompile(`\.text\([a-zA-Z.()]+, "([a-z0-9_]+)"\)`),
	}
	root := filepath.Join("..", "..", "internal")
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") {
			return err
		}
		raw, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for section, re := range calls {
			for _, m := range re.FindAllStringSubmatch(string(raw), -1) {
				if !c.Has(section + m[1]) {
					t.Errorf("%s uses %s%s, which the catalogue does not have", p, section, m[1])
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestLoadFindsMissing(t *testing.T) {
	tests := []struct {
		name  string
		files fstest.MapFS
		want  []string
	}{
		{"key only in German", fstest.MapFS{
			"messages/de.toml": {Data: []byte("[page]\na = \"A\"\nb = \"B\"\n")},
			"messages/en.toml": {Data: []byte("[page]\na = \"A\"\n")},
		}, []string{`messages/en.toml: key "page.b" is missing`}},
		{"key only in English", fstest.MapFS{
			"messages/de.toml": {Data: []byte("[page]\na = \"A\"\n")},
			"messages/en.toml": {Data: []byte("[page]\na = \"A\"\nc = \"C\"\n")},
		}, []string{`messages/de.toml: key "page.c" is missing`}},
		{"mail in one language", fstest.MapFS{
			"messages/de.toml":  {Data: []byte("a = \"A\"\n")},
			"messages/en.toml":  {Data: []byte("a = \"A\"\n")},
			"mail/de/hello.txt": {Data: []byte("Hallo")},
			"mail/en/other.txt": {Data: []byte("Other")},
		}, []string{"mail/en/hello.txt is missing", "mail/de/other.txt is missing"}},
		{"not a string", fstest.MapFS{
			"messages/de.toml": {Data: []byte("a = 1\n")},
			"messages/en.toml": {Data: []byte("a = \"A\"\n")},
		}, []string{`messages/de.toml: key "a": a text must be a string`}},
		{"syntax", fstest.MapFS{
			"messages/de.toml": {Data: []byte("a = \"A\n")},
			"messages/en.toml": {Data: []byte("a = \"A\"\n")},
		}, []string{"messages/de.toml"}},
		{"no file", fstest.MapFS{
			"messages/de.toml": {Data: []byte("a = \"A\"\n")},
		}, []string{"en.toml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(tt.files)
			if err == nil {
				t.Fatal("loaded")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestLookup(t *testing.T) {
	c, err := Load(fstest.MapFS{
		"messages/de.toml": {Data: []byte("[page]\nhi = \"Hallo %s\"\n")},
		"messages/en.toml": {Data: []byte("[page]\nhi = \"Hello %s\"\n")},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		lang Lang
		key  string
		want string
	}{
		{German, "page.hi", "Hallo %s"},
		{English, "page.hi", "Hello %s"},
		{"fr", "page.hi", "Hallo %s"},
		{English, "page.nope", "page.nope"},
	}
	for _, tt := range tests {
		if got := c.T(tt.lang, tt.key); got != tt.want {
			t.Errorf("T(%s, %s) = %q, want %q", tt.lang, tt.key, got, tt.want)
		}
	}
	if got := c.F(English, "page.hi", "Anna"); got != "Hello Anna" {
		t.Errorf("F = %q", got)
	}
	if got := c.Section("page")(English, "hi"); got != "Hello %s" {
		t.Errorf("Section = %q", got)
	}
	for in, want := range map[string]Lang{"de": German, "EN": English, "de-AT": German, "en_GB": English} {
		if l, ok := Parse(in); !ok || l != want {
			t.Errorf("Parse(%q) = %s, %v", in, l, ok)
		}
	}
	if _, ok := Parse("fr"); ok {
		t.Error("fr parsed")
	}
}
