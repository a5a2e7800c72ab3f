package lists

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"listd/internal/store"
)

// A list setting is one value per list. Settings is the one table of them: it
// drives the validation (UpdateList, CreateList), the flags of `list create` and
// `list set`, `list show` and the table of list settings in README.md; the store
// keeps each in the column the table names (TestSettingsColumns).

// SettingKind is what a setting's flag takes.
type SettingKind int

// The kinds of flag values.
const (
	Text  SettingKind = iota // any string
	Int                      // a number (strconv.Atoi)
	Int64                    // a number of bytes (strconv.ParseInt, 64 bits)
)

// Setting is one list setting.
type Setting struct {
	Name    string // the flag of `list create` and `list set`, the key of `list show`
	Column  string // the store's column in the lists table
	Kind    SettingKind
	Default string // what a new list has
	Example string // a valid value other than Default, for the tests
	// Create says whether `list create` takes it too.
	Create bool
	// Usage is the flag's help (English) in `list set`; CreateUsage in `list
	// create`, where it differs.
	Usage, CreateUsage string
	// HelpDE and HelpEN say in one line what the setting does (README's table).
	HelpDE, HelpEN string

	apply func(l *store.List, v string) error // validates v and sets it
	show  func(l *store.List) string          // the value as `list set` takes it
}

// FlagUsage is the help of the setting's flag in `list create` (create) or `list set`.
func (s Setting) FlagUsage(create bool) string {
	if create && s.CreateUsage != "" {
		return s.CreateUsage
	}
	return s.Usage
}

// CheckFlag says whether v is a value of the setting's flag's kind, as the flag
// package says it; the setting's own validation comes with UpdateList.
func (s Setting) CheckFlag(v string) error {
	var err error
	switch s.Kind {
	case Int:
		_, err = strconv.Atoi(v)
	case Int64:
		_, err = strconv.ParseInt(v, 10, 64)
	}
	return err
}

// Value is the setting's value on l, spelled as `list set` takes it.
func (s Setting) Value(l *store.List) string { return s.show(l) }

// Settings returns every list setting, in the order `list show` prints them.
func Settings() []Setting {
	return []Setting{
		{Name: "title", Example: "Kita und Schule", Column: "title", Create: true, Usage: "title", CreateUsage: "title shown on pages and in List-Id",
			HelpDE: "Titel auf den Seiten und in List-Id", HelpEN: "title shown on pages and in List-Id",
			apply: func(l *store.List, v string) error { l.Title = v; return nil },
			show:  func(l *store.List) string { return l.Title }},
		{Name: "description", Example: "Alles zur Kita", Column: "description", Create: true, Usage: "description", CreateUsage: "what the list is about",
			HelpDE: "worum es auf der Liste geht", HelpEN: "what the list is about",
			apply: func(l *store.List, v string) error { l.Description = v; return nil },
			show:  func(l *store.List) string { return l.Description }},
		{Name: "archive", Example: "members", Column: "archive", Default: string(ArchivePublic), Create: true,
			Usage: Alternatives(Archives()), CreateUsage: "who may read the archive: " + Alternatives(Archives()),
			HelpDE: "wer das Archiv lesen darf", HelpEN: "who may read the archive",
			apply: func(l *store.List, v string) error {
				if _, err := ParseArchive(v); err != nil {
					return flagErr("archive", err)
				}
				l.Archive = v
				return nil
			},
			show: func(l *store.List) string { return l.Archive }},
		{Name: "moderation", Example: "all", Column: "moderation", Default: "none", Create: true, Usage: "none, first-post or all",
			HelpDE: "welche Beiträge Moderatoren zuerst sehen", HelpEN: "which posts moderators see first",
			apply: func(l *store.List, v string) error {
				if !oneOf(v, "none", "first-post", "all") {
					return inputErr("-moderation %q: must be none, first-post or all", v)
				}
				l.Moderation = v
				return nil
			},
			show: func(l *store.List) string { return l.Moderation }},
		{Name: "topics", Example: "kita,schule", Column: "topics", Create: true, Usage: "counselling topics, comma separated",
			HelpDE: "Beratungsthemen, durch Kommas getrennt", HelpEN: "counselling topics, comma separated",
			apply: func(l *store.List, v string) error { l.Topics = cleanTopics(strings.Split(v, ",")); return nil },
			show:  func(l *store.List) string { return strings.Join(l.Topics, ",") }},
		{Name: "anonymous", Example: "no", Column: "anonymous", Default: "yes", Create: true, Usage: "yes or no",
			CreateUsage: "yes or no: hide posters' addresses",
			HelpDE:      "die Adressen der Schreibenden verbergen", HelpEN: "hide posters' addresses",
			apply: func(l *store.List, v string) error {
				if !oneOf(v, "yes", "no") {
					return inputErr("-anonymous %q: must be yes or no", v)
				}
				l.Anonymous = v == "yes"
				return nil
			},
			show: func(l *store.List) string { return yesNo(l.Anonymous, "yes", "no") }},
		{Name: "retention", Example: "24", Column: "retention_months", Kind: Int, Default: "0", Create: true,
			Usage:  "months the list keeps its posts, counted from their arrival (0: for ever)",
			HelpDE: "Monate, die die Liste ihre Beiträge behält (0: für immer)", HelpEN: "months the list keeps its posts (0: for ever)",
			apply: func(l *store.List, v string) error {
				n, err := strconv.Atoi(v)
				if err != nil {
					return inputErr("-retention %q: not a number", v)
				}
				if err := CheckRetention(n); err != nil {
					return err
				}
				l.RetentionMonths = n
				return nil
			},
			show: func(l *store.List) string { return strconv.Itoa(l.RetentionMonths) }},
		{Name: "nonmember", Example: "reject", Column: "nonmember", Default: string(NonmemberHold),
			Usage:  Alternatives(NonmemberPolicies()) + ": posts from non-members",
			HelpDE: "was mit Beiträgen von Nichtmitgliedern geschieht", HelpEN: "what happens to posts from non-members",
			apply: func(l *store.List, v string) error {
				if _, err := ParseNonmemberPolicy(v); err != nil {
					return flagErr("nonmember", err)
				}
				l.Nonmember = v
				return nil
			},
			show: func(l *store.List) string { return l.Nonmember }},
		{Name: "first-posts", Example: "3", Column: "first_posts", Kind: Int, Default: "1",
			Usage:  "with -moderation first-post: how many posts of a new member are held",
			HelpDE: "bei -moderation first-post: wie viele Beiträge neuer Mitglieder zurückgehalten werden", HelpEN: "with -moderation first-post: how many posts of a new member are held",
			apply: func(l *store.List, v string) error {
				n, err := strconv.Atoi(v)
				if err != nil || n < 1 || n > 100 {
					return inputErr("-first-posts %s: must be between 1 and 100", v)
				}
				l.FirstPosts = n
				return nil
			},
			show: func(l *store.List) string { return strconv.Itoa(l.FirstPosts) }},
		{Name: "max-size", Example: "1000000", Column: "max_size", Kind: Int64, Default: "0",
			Usage:  "hold posts larger than this many bytes (0: no list limit)",
			HelpDE: "Beiträge über so vielen Bytes zurückhalten (0: keine Grenze der Liste)", HelpEN: "hold posts larger than this many bytes (0: no list limit)",
			apply: func(l *store.List, v string) error {
				n, err := strconv.ParseInt(v, 10, 64)
				if err != nil || n < 0 {
					return inputErr("-max-size %s: must not be negative", v)
				}
				l.MaxSize = n
				return nil
			},
			show: func(l *store.List) string { return strconv.FormatInt(l.MaxSize, 10) }},
		{Name: "attachments", Example: "image/*,application/pdf", Column: "attachment_types",
			Usage:  "allowed attachment types, comma separated (image/*, application/pdf, ...); \"\" for the default",
			HelpDE: "erlaubte Anhangstypen, durch Kommas getrennt (leer: die Voreinstellung)", HelpEN: "allowed attachment types, comma separated (empty: the default set)",
			apply: func(l *store.List, v string) error {
				var types []string
				for _, t := range cleanTopics(strings.Split(v, ",")) {
					if !strings.Contains(t, "/") {
						return inputErr("-attachments %q: %q is not a content type like image/png or image/*", v, t)
					}
					types = append(types, t)
				}
				l.AttachmentTypes = types
				return nil
			},
			show: func(l *store.List) string { return strings.Join(l.AttachmentTypes, ",") }},
		{Name: "keywords", Example: "anwalt,adresse", Column: "hold_keywords", Usage: "words that hold a post, comma separated",
			HelpDE: "Wörter, die einen Beitrag zurückhalten, durch Kommas getrennt", HelpEN: "words that hold a post, comma separated",
			apply: func(l *store.List, v string) error { l.HoldKeywords = cleanTopics(strings.Split(v, ",")); return nil },
			show:  func(l *store.List) string { return strings.Join(l.HoldKeywords, ",") }},
		{Name: "emergency", Example: "on", Column: "emergency", Default: "off", Usage: "on or off: hold every post",
			HelpDE: "on: jeden Beitrag zurückhalten", HelpEN: "on: hold every post",
			apply: func(l *store.List, v string) error {
				if !oneOf(v, "on", "off") {
					return inputErr("-emergency %q: must be on or off", v)
				}
				l.Emergency = v == "on"
				return nil
			},
			show: func(l *store.List) string { return yesNo(l.Emergency, "on", "off") }},
		{Name: "crisis", Example: "publish", Column: "crisis", Default: string(CrisisHold),
			Usage:  Alternatives(CrisisPolicies()) + ": posts with crisis words (the poster gets the crisis lines at once)",
			HelpDE: "hold: Beiträge mit Krisenwörtern zurückhalten (der Absender bekommt sofort die Krisentelefone); publish: gleich veröffentlichen",
			HelpEN: "hold: hold posts with crisis words (the poster gets the crisis lines at once); publish: publish them at once",
			apply: func(l *store.List, v string) error {
				if _, err := ParseCrisisPolicy(v); err != nil {
					return flagErr("crisis", err)
				}
				l.Crisis = v
				return nil
			},
			show: func(l *store.List) string { return or(l.Crisis, string(CrisisHold)) }},
		{Name: "digest", Example: "weekly", Column: "digest_freq", Default: "daily", Usage: "daily or weekly",
			HelpDE: "wie oft die Sammelmail kommt", HelpEN: "how often the digest goes out",
			apply: func(l *store.List, v string) error {
				if !oneOf(v, "daily", "weekly") {
					return inputErr("-digest %q: must be daily or weekly", v)
				}
				l.DigestFreq = v
				return nil
			},
			show: func(l *store.List) string { return l.DigestFreq }},
		{Name: "dmarc", Example: "always", Column: "dmarc_rewrite", Default: "auto",
			Usage:  "auto or always: when a list that is not anonymous sends posts from its own address",
			HelpDE: "wann eine nicht anonyme Liste Beiträge von ihrer eigenen Adresse sendet", HelpEN: "when a list that is not anonymous sends posts from its own address",
			apply: func(l *store.List, v string) error {
				if !oneOf(v, "auto", "always") {
					return inputErr("-dmarc %q: must be auto or always", v)
				}
				l.DMARCRewrite = v
				return nil
			},
			show: func(l *store.List) string { return or(l.DMARCRewrite, "auto") }},
		{Name: "digest-time", Example: "18:30", Column: "digest_time", Default: "07:00", Usage: "when the digest goes out, e.g. 07:00",
			HelpDE: "wann die Sammelmail kommt", HelpEN: "when the digest goes out",
			apply: func(l *store.List, v string) error {
				if _, err := time.Parse("15:04", v); err != nil {
					return inputErr("-digest-time %q: must be a time like 07:00", v)
				}
				l.DigestTime = v
				return nil
			},
			show: func(l *store.List) string { return l.DigestTime }},
		{Name: "digest-tz", Example: "Europe/Vienna", Column: "digest_tz", Default: "Europe/Berlin", Usage: "the time zone of -digest-time, e.g. Europe/Berlin",
			HelpDE: "die Zeitzone von -digest-time", HelpEN: "the time zone of -digest-time",
			apply: func(l *store.List, v string) error {
				if _, err := time.LoadLocation(v); err != nil {
					return inputErr("-digest-tz %q: not a time zone like Europe/Berlin", v)
				}
				l.DigestTZ = v
				return nil
			},
			show: func(l *store.List) string { return l.DigestTZ }},
		{Name: "digest-day", Example: "5", Column: "digest_day", Kind: Int, Default: "1", Usage: "weekly digests: 0 Sunday .. 6 Saturday",
			HelpDE: "wöchentliche Sammelmail: 0 Sonntag .. 6 Samstag", HelpEN: "weekly digests: 0 Sunday .. 6 Saturday",
			apply: func(l *store.List, v string) error {
				n, err := strconv.Atoi(v)
				if err != nil || n < 0 || n > 6 {
					return inputErr("-digest-day %s: must be 0 (Sunday) to 6 (Saturday)", v)
				}
				l.DigestDay = n
				return nil
			},
			show: func(l *store.List) string { return strconv.Itoa(l.DigestDay) }},
		{Name: "digest-max-posts", Example: "20", Column: "digest_max_posts", Kind: Int, Default: "50",
			Usage:  "send the digest early when this many posts wait (0: never early)",
			HelpDE: "die Sammelmail früher senden, wenn so viele Beiträge warten (0: nie früher)", HelpEN: "send the digest early when this many posts wait (0: never early)",
			apply: func(l *store.List, v string) error {
				n, err := strconv.Atoi(v)
				if err != nil || n < 0 {
					return inputErr("-digest-max-posts %s: must not be negative", v)
				}
				l.DigestMaxPosts = n
				return nil
			},
			show: func(l *store.List) string { return strconv.Itoa(l.DigestMaxPosts) }},
		textSetting("description-en", "description_en", "Everything about day care",
			"what the list is about, in English mails and pages (description is the German one)",
			"worum es auf der Liste geht, in englischen Mails und Seiten (description ist die deutsche Fassung)",
			func(l *store.List) *string { return &l.DescriptionEN }),
		textSetting("welcome-de", "welcome_de", "Schön, dass Sie da sind.",
			"a paragraph at the end of the German welcome mail (of the English one too if welcome-en is empty)",
			"ein Absatz am Ende der deutschen Willkommensmail (auch der englischen, wenn welcome-en leer ist)",
			func(l *store.List) *string { return &l.WelcomeDE }),
		textSetting("welcome-en", "welcome_en", "Welcome to the list.",
			"a paragraph at the end of the English welcome mail (of the German one too if welcome-de is empty)",
			"ein Absatz am Ende der englischen Willkommensmail (auch der deutschen, wenn welcome-de leer ist)",
			func(l *store.List) *string { return &l.WelcomeEN }),
		textSetting("footer-de", "footer_de", "Bitte bleiben Sie freundlich.",
			"a line in the footer of every copy, under the title, when the site's language is de (else if footer-en is empty)",
			"eine Zeile in der Fußzeile jeder Kopie, unter dem Titel, wenn die Sprache der Seite de ist (sonst, wenn footer-en leer ist)",
			func(l *store.List) *string { return &l.FooterDE }),
		textSetting("footer-en", "footer_en", "Please be kind.",
			"a line in the footer of every copy, under the title, when the site's language is en (else if footer-de is empty)",
			"eine Zeile in der Fußzeile jeder Kopie, unter dem Titel, wenn die Sprache der Seite en ist (sonst, wenn footer-de leer ist)",
			func(l *store.List) *string { return &l.FooterEN }),
		{Name: "indexing", Example: "on", Column: "indexing", Default: "off", Usage: "on or off: let search engines index a public archive",
			HelpDE: "on: Suchmaschinen dürfen ein öffentliches Archiv aufnehmen", HelpEN: "on: let search engines index a public archive",
			apply: func(l *store.List, v string) error {
				if !oneOf(v, "on", "off") {
					return inputErr("-indexing %q: must be on or off", v)
				}
				l.Indexing = v == "on"
				return nil
			},
			show: func(l *store.List) string { return yesNo(l.Indexing, "on", "off") }},
	}
}

// maxListText bounds a list's texts (description, welcome, footer), in characters.
const maxListText = 2000

// textSetting is a setting holding a text of the list, at most maxListText
// characters, without control characters other than line breaks.
func textSetting(name, column, example, usage, helpDE string, field func(*store.List) *string) Setting {
	return Setting{Name: name, Column: column, Example: example, Usage: usage, HelpDE: helpDE, HelpEN: usage,
		apply: func(l *store.List, v string) error {
			v = strings.TrimSpace(strings.ReplaceAll(v, "\r\n", "\n"))
			if len([]rune(v)) > maxListText {
				return inputErr("-%s: at most %d characters", name, maxListText)
			}
			for _, r := range v {
				if r < ' ' && r != '\n' && r != '\t' || r == 0x7f {
					return inputErr("-%s: control characters are not allowed", name)
				}
			}
			*field(l) = v
			return nil
		},
		show: func(l *store.List) string { return *field(l) }}
}

// SettingNamed returns the setting with that flag name.
func SettingNamed(name string) (Setting, bool) {
	for _, s := range Settings() {
		if s.Name == name {
			return s, true
		}
	}
	return Setting{}, false
}

// ListSettings are changes to a list: values by setting name (see Settings), as
// the flags of `list set` take them. Settings not named stay as they are.
type ListSettings map[string]string

// applySettings validates every value of o and sets it on l, in the table's order;
// on an error, l is half changed and must not be saved.
func applySettings(l *store.List, o ListSettings) error {
	known := 0
	for _, s := range Settings() {
		v, ok := o[s.Name]
		if !ok {
			continue
		}
		known++
		if err := s.apply(l, v); err != nil {
			return err
		}
	}
	if known != len(o) {
		for name := range o {
			if _, ok := SettingNamed(name); !ok {
				return fmt.Errorf("no list setting %q", name)
			}
		}
	}
	return nil
}

func yesNo(b bool, yes, no string) string {
	if b {
		return yes
	}
	return no
}

// CheckSettings says what is wrong with o, if anything, without a list: for the
// command line to refuse bad values before it opens anything.
func CheckSettings(o ListSettings) error {
	return applySettings(&store.List{}, o)
}
