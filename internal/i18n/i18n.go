// Package i18n owns listd's message catalogue: every sentence a person reads on a
// page, in a mail, in an SMTP reply or in a digest's framing, one file per language
// (templates/messages/de.toml and en.toml). A translator edits those files only; Load
// refuses a catalogue in which a key or a mail template exists in one language and
// not in the other, so a missing text is found by the tests and at start, never by a
// reader.
//
// Keys are "section.name" (page.search, mail.bad_token, digest.contents, smtp.no_list,
// hold.first_post). German is the association's first language and the fallback.
package i18n

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/BurntSushi/toml"

	"listd/templates"
)

// Lang is a language of the catalogue.
type Lang string

// The languages every text exists in, German first.
const (
	German  Lang = "de"
	English Lang = "en"
)

// Langs returns the catalogue's languages, German first.
func Langs() []Lang { return []Lang{German, English} }

// Parse reads a language code ("de", "EN", "de-AT"); ok is false for a language
// the catalogue does not have.
func Parse(s string) (l Lang, ok bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if i := strings.IndexAny(s, "-_"); i > 0 {
		s = s[:i]
	}
	switch Lang(s) {
	case German, English:
		return Lang(s), true
	}
	return German, false
}

// Or returns the language s names, else def.
func Or(s string, def Lang) Lang {
	if l, ok := Parse(s); ok {
		return l
	}
	return def
}

// Catalog holds the texts of every language. It is read-only once loaded.
type Catalog struct {
	texts map[Lang]map[string]string
}

// Dir is the catalogue's directory in the templates file system.
const Dir = "messages"

// Load reads the catalogue from fsys (Dir/LANG.toml) and checks that every key,
// and every mail template (mail/LANG/NAME.txt), exists in every language.
func Load(fsys fs.FS) (*Catalog, error) {
	c := &Catalog{texts: make(map[Lang]map[string]string)}
	for _, l := range Langs() {
		name := path.Join(Dir, string(l)+".toml")
		raw, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("i18n: %w", err)
		}
		var tree map[string]any
		if _, err := toml.NewDecoder(bytes.NewReader(raw)).Decode(&tree); err != nil {
			return nil, fmt.Errorf("i18n: %s: %w", name, err)
		}
		flat := make(map[string]string)
		if err := flatten(flat, "", tree); err != nil {
			return nil, fmt.Errorf("i18n: %s: %w", name, err)
		}
		c.texts[l] = flat
	}
	var errs []error
	for _, l := range Langs() {
		for _, other := range Langs() {
			for _, k := range sortedKeys(c.texts[l]) {
				if _, ok := c.texts[other][k]; !ok {
					errs = append(errs, fmt.Errorf("i18n: %s/%s.toml: key %q is missing (it is in %s.toml)", Dir, other, k, l))
				}
			}
		}
	}
	errs = append(errs, checkMailTemplates(fsys)...)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return c, nil
}

// checkMailTemplates finds a mail template that exists in one language only.
func checkMailTemplates(fsys fs.FS) []error {
	have := make(map[Lang][]string)
	for _, l := range Langs() {
		names, err := fs.Glob(fsys, path.Join("mail", string(l), "*.txt"))
		if err != nil {
			return []error{fmt.Errorf("i18n: %w", err)}
		}
		for _, n := range names {
			have[l] = append(have[l], path.Base(n))
		}
	}
	var errs []error
	for _, l := range Langs() {
		for _, other := range Langs() {
			for _, n := range have[l] {
				if !slices.Contains(have[other], n) {
					errs = append(errs, fmt.Errorf("i18n: mail/%s/%s is missing (it is in mail/%s)", other, n, l))
				}
			}
		}
	}
	return errs
}

func flatten(into map[string]string, prefix string, tree map[string]any) error {
	for k, v := range tree {
		key := k
		if prefix != "" {
			key = prefix + "." + k
		}
		switch v := v.(type) {
		case string:
			into[key] = v
		case map[string]any:
			if err := flatten(into, key, v); err != nil {
				return err
			}
		default:
			return fmt.Errorf("key %q: a text must be a string, not %T", key, v)
		}
	}
	return nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// T returns the text for key in lang, falling back to German, then to the key
// itself (so a missing text shows as its key, which the tests look for).
func (c *Catalog) T(lang Lang, key string) string {
	if s, ok := c.texts[lang][key]; ok {
		return s
	}
	if s, ok := c.texts[German][key]; ok {
		return s
	}
	return key
}

// F formats the text for key in lang with args, as fmt.Sprintf does.
func (c *Catalog) F(lang Lang, key string, args ...any) string {
	return fmt.Sprintf(c.T(lang, key), args...)
}

// Has reports whether key exists (in every language, as Load checked).
func (c *Catalog) Has(key string) bool {
	_, ok := c.texts[German][key]
	return ok
}

// Keys returns every key, sorted.
func (c *Catalog) Keys() []string { return sortedKeys(c.texts[German]) }

// Section returns a function that looks up keys of one section ("page") in lang,
// for templates that name keys without their section.
func (c *Catalog) Section(section string) func(lang Lang, key string) string {
	return func(lang Lang, key string) string {
		if !strings.Contains(key, ".") {
			key = section + "." + key
		}
		return c.T(lang, key)
	}
}

// Default returns the catalogue built into the binary. It panics only if the
// embedded files are broken, which the package's tests rule out.
var Default = sync.OnceValue(func() *Catalog {
	c, err := Load(templates.FS(""))
	if err != nil {
		panic(err)
	}
	return c
})
