package command

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func cmd(v Verb, arg, line string) Command { return Command{Verb: v, Arg: arg, Line: line} }

type parseTest struct {
	name    string
	subject string
	body    string
	want    []Command
}

var longName = "name " + strings.Repeat("Sonnenblume", 6)

var parseTests = []parseTest{
	// Subject.
	{"subject only", "abmelden", "", []Command{cmd(Unsubscribe, "", "abmelden")}},
	{"subject prefixes and tag", "AW: Re: WG: [kita] Abmelden", "", []Command{cmd(Unsubscribe, "", "Abmelden")}},
	{"subject repeated prefix", "Re[2]: RE: Fwd: [Kita Berlin] set digest", "", []Command{cmd(Digest, "", "set digest")}},
	{"subject prose ignored", "Re: [kita] Frage zum Treffen am Samstag", "", nil},
	{"subject single word ignored", "Frage", "", nil},
	{"subject bad command ignored", "plz abc", "", nil},
	{"subject confirm reply", "Re: confirm eyJhYmMiOjF9.c2lnbmF0dXJlMTIz", "\n> Bitte bestätige dein Abo.\n",
		[]Command{cmd(Confirm, "eyJhYmMiOjF9.c2lnbmF0dXJlMTIz", "confirm eyJhYmMiOjF9.c2lnbmF0dXJlMTIz")}},
	{"subject and body deduplicated", "Abmelden", "abmelden\n\nLG Anna", []Command{cmd(Unsubscribe, "", "Abmelden")}},
	{"subject and body differ", "anmelden", "plz 10115", []Command{cmd(Subscribe, "", "anmelden"), cmd(Postal, "10115", "plz 10115")}},
	{"after subject a lone name is no typo", "abmelden", "Danke!\nAnna", []Command{cmd(Unsubscribe, "", "abmelden")}},

	// Verbs and their spellings.
	{"hilfe", "", "hilfe", []Command{cmd(Help, "", "hilfe")}},
	{"question mark", "", "?", []Command{cmd(Help, "", "?")}},
	{"info with punctuation", "", "Info!", []Command{cmd(Help, "", "Info!")}},
	{"join", "", "join kita", []Command{cmd(Subscribe, "", "join kita")}},
	{"list address kept in line", "", "subscribe kita@lists.example.org", []Command{cmd(Subscribe, "", "subscribe kita@lists.example.org")}},
	{"kündigen umlaut", "", "Kündigen.", []Command{cmd(Unsubscribe, "", "Kündigen.")}},
	{"kuendigen transliterated", "", "KUENDIGEN", []Command{cmd(Unsubscribe, "", "KUENDIGEN")}},
	{"kündigen decomposed", "", "ku\u0308ndigen", []Command{cmd(Unsubscribe, "", "ku\u0308ndigen")}},
	{"bitte abmelden", "", "Bitte abmelden!", []Command{cmd(Unsubscribe, "", "Bitte abmelden!")}},
	{"austragen aus der Liste", "", "austragen aus der Liste kita", []Command{cmd(Unsubscribe, "", "austragen aus der Liste kita")}},
	{"remove me from list", "", "remove me from kita please", []Command{cmd(Unsubscribe, "", "remove me from kita please")}},
	{"leave me alone is prose", "", "leave me alone", []Command{cmd(Unknown, "", "leave me alone")}},
	{"set digest", "", "set digest", []Command{cmd(Digest, "", "set digest")}},
	{"modus digest", "", "Modus: Digest", []Command{cmd(Digest, "", "Modus: Digest")}},
	{"Zusammenfassung bitte", "", "Zusammenfassung bitte", []Command{cmd(Digest, "", "Zusammenfassung bitte")}},
	{"digest aus is not digest", "", "digest aus", []Command{cmd(Unknown, "", "digest aus")}},
	{"set nodigest", "", "set nodigest", []Command{cmd(Each, "", "set nodigest")}},
	{"einzeln", "", "einzeln", []Command{cmd(Each, "", "einzeln")}},
	{"slash nomail", "", "/nomail", []Command{cmd(NoMail, "", "/nomail")}},
	{"nur web", "", "nur Web", []Command{cmd(NoMail, "", "nur Web")}},
	{"set alone", "", "set", []Command{cmd(Unknown, "", "set")}},
	{"prose starting with a verb", "", "Normal ist das nicht", []Command{cmd(Unknown, "", "Normal ist das nicht")}},

	// Arguments.
	{"plz", "", "plz 10115", []Command{cmd(Postal, "10115", "plz 10115")}},
	{"PLZ colon leading zero", "", "PLZ: 01067", []Command{cmd(Postal, "01067", "PLZ: 01067")}},
	{"PLZ colon no space", "", "PLZ:01067", []Command{cmd(Postal, "01067", "PLZ:01067")}},
	{"postleitzahl", "", "postleitzahl 80331", []Command{cmd(Postal, "80331", "postleitzahl 80331")}},
	{"plz with town", "", "PLZ 10115 Berlin-Mitte, danke", []Command{cmd(Postal, "10115", "PLZ 10115 Berlin-Mitte, danke")}},
	{"zip uk", "", "zip SW1A 1AA", []Command{cmd(Postal, "SW1A 1AA", "zip SW1A 1AA")}},
	{"postal dutch", "", "postal code 1234 AB.", []Command{cmd(Postal, "1234 AB", "postal code 1234 AB.")}},
	{"postal austria", "", "plz 1010 bitte", []Command{cmd(Postal, "1010", "plz 1010 bitte")}},
	{"plz abc", "", "plz abc", []Command{cmd(Unknown, "", "plz abc")}},
	{"plz alone", "", "PLZ:", []Command{cmd(Unknown, "", "PLZ:")}},
	{"plz too many parts", "", "plz 10 11 5", []Command{cmd(Unknown, "", "plz 10 11 5")}},
	{"name with emoji", "", "name Sonnenblume 🌻", []Command{cmd(Name, "Sonnenblume 🌻", "name Sonnenblume 🌻")}},
	{"name quoted", "", "Pseudonym: „Mama Bär“", []Command{cmd(Name, "Mama Bär", "Pseudonym: „Mama Bär“")}},
	{"name address", "", "name anna@example.net", []Command{cmd(Unknown, "", "name anna@example.net")}},
	{"name too long", "", longName + "X", []Command{cmd(Unknown, "", longName+"X")}},
	{"name 60 runes", "", "name " + strings.Repeat("ä", 60), []Command{cmd(Name, strings.Repeat("ä", 60), "name "+strings.Repeat("ä", 60))}},
	{"name question", "", "Name of the list?", []Command{cmd(Unknown, "", "Name of the list?")}},
	{"name bidi override", "", "name Anna\u202eXYZ", []Command{cmd(Unknown, "", "name Anna\u202eXYZ")}},
	{"bestätigen", "", "bestätigen abc123DEF456ghi", []Command{cmd(Confirm, "abc123DEF456ghi", "bestätigen abc123DEF456ghi")}},
	{"bestaetigen with trailing words", "", "Bestaetigen abc123DEF456ghi, danke", []Command{cmd(Confirm, "abc123DEF456ghi", "Bestaetigen abc123DEF456ghi, danke")}},
	{"confirm short token", "", "confirm abc", []Command{cmd(Unknown, "", "confirm abc")}},
	{"bare token is not a confirm", "", "abc123DEF456ghi", []Command{cmd(Unknown, "", "abc123DEF456ghi")}},

	// Typos and single words.
	{"typo", "", "abonieren", []Command{cmd(Unknown, "", "abonieren")}},
	{"typo reported once", "", "abonieren\nabonieren", []Command{cmd(Unknown, "", "abonieren")}},
	{"typo then right", "", "abonieren\nabonnieren", []Command{cmd(Unknown, "", "abonieren"), cmd(Subscribe, "", "abonnieren")}},
	{"greeting on the same line", "", "Hallo, bitte abmelden", []Command{cmd(Unsubscribe, "", "Hallo, bitte abmelden")}},
	{"name only quotes", "", `name ""`, []Command{cmd(Unknown, "", `name ""`)}},
	{"greeting is no typo", "", "Hallo,\n\nanmelden", []Command{cmd(Subscribe, "", "anmelden")}},

	// Where the body stops.
	{"garbage only", "", "Hallo zusammen,\nich wollte fragen, ob das hier klappt.\nIch bin neu hier.\nabmelden", nil},
	{"greeting and prose before command", "", "Hallo,\nich hoffe, es geht euch gut.\n\nabmelden", []Command{cmd(Unsubscribe, "", "abmelden")}},
	{"prose that asks is not obeyed", "", "Bitte tragen Sie mich aus der Liste aus.", nil},
	{"leading blank lines", "", "\n\n  \n\t\nanmelden", []Command{cmd(Subscribe, "", "anmelden")}},
	{"quote first stops", "", "> abmelden\nabmelden", nil},
	{"signature dash dash space", "", "anmelden\n-- \nhilfe", []Command{cmd(Subscribe, "", "anmelden")}},
	{"signature without separator", "", "abmelden\nAnna Müller\nMusterstraße 5\n10115 Berlin\nplz 10115",
		[]Command{cmd(Unsubscribe, "", "abmelden")}},
	{"sign-off stops", "", "anmelden\n\nLiebe Grüße\nplz 10115", []Command{cmd(Subscribe, "", "anmelden")}},
	{"iphone reply", "Re: [kita] Treffen", "Abmelden\n\nGesendet von meinem iPhone\n\n> Am 24.11.2026 um 10:00 schrieb Kita-Liste <kita@lists.example.org>:\n> \n> plz 10115\n",
		[]Command{cmd(Unsubscribe, "", "Abmelden")}},
	{"english iphone reply", "", "unsubscribe\n\nSent from my iPhone\nset digest", []Command{cmd(Unsubscribe, "", "unsubscribe")}},
	{"outlook header block", "AW: [kita] Treffen", "nomail\r\n\r\nVon: Kita-Liste <kita@lists.example.org>\r\nGesendet: Dienstag, 24. November 2026 10:00\r\nAn: Anna\r\nBetreff: abmelden\r\n",
		[]Command{cmd(NoMail, "", "nomail")}},
	{"gmail attribution", "", "set each\n\nAm Di., 24. Nov. 2026 um 10:00 Uhr schrieb Kita-Liste <kita@lists.example.org>:\nabmelden",
		[]Command{cmd(Each, "", "set each")}},
	{"gmail wrapped attribution", "", "pause\nAm Di., 24. Nov. 2026 um 10:00 Uhr\nschrieb Kita-Liste <kita@lists.example.org>:\nabmelden",
		[]Command{cmd(NoMail, "", "pause")}},
	{"thunderbird attribution", "", "hilfe\n\nOn 24.11.26 10:00, Kita-Liste wrote:\nabmelden", []Command{cmd(Help, "", "hilfe")}},
	{"original message", "", "subscribe\n-----Original Message-----\nunsubscribe", []Command{cmd(Subscribe, "", "subscribe")}},
	{"ursprüngliche nachricht", "", "anmelden\n-----Ursprüngliche Nachricht-----\nabmelden", []Command{cmd(Subscribe, "", "anmelden")}},
	{"html converted", "", "\u00a0\n*abmelden*\u00a0\n\n* plz 10115\n\n________________________________\nVon: Kita", []Command{cmd(Unsubscribe, "", "*abmelden*"), cmd(Postal, "10115", "* plz 10115")}},
	{"several commands in order", "", "anmelden\r\nplz 10115\r\nname Sonnenblume\r\nset digest\r\n",
		[]Command{cmd(Subscribe, "", "anmelden"), cmd(Postal, "10115", "plz 10115"), cmd(Name, "Sonnenblume", "name Sonnenblume"), cmd(Digest, "", "set digest")}},
	{"duplicates in body", "", "abmelden\nAbmelden!\nABMELDEN", []Command{cmd(Unsubscribe, "", "abmelden")}},
	{"line clipped to 200 bytes", "", "name " + strings.Repeat("x", 300), []Command{cmd(Unknown, "", "name "+strings.Repeat("x", 195))}},
}

func TestParse(t *testing.T) {
	for _, tt := range parseTests {
		t.Run(tt.name, func(t *testing.T) {
			got := Parse(tt.subject, tt.body)
			if len(got) == 0 && len(tt.want) == 0 {
				return
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse(%q, %q)\n got %q\nwant %q", tt.subject, tt.body, got, tt.want)
			}
		})
	}
}

func TestLimits(t *testing.T) {
	var many strings.Builder
	for i := range 15 {
		many.WriteString("plz 1011" + string(rune('0'+i%10)) + string(rune('a'+i)) + "\n")
	}
	tests := []struct {
		name string
		body string
		want int
	}{
		{"at most MaxCommands", many.String(), MaxCommands},
		{"line 200 is read", strings.Repeat("\n", 199) + "anmelden", 1},
		{"line 201 is not", strings.Repeat("\n", 200) + "anmelden", 0},
		{"64 KiB", strings.Repeat(" ", maxBody) + "\nanmelden", 0},
		{"cut line dropped", "anmelden\nplz 10115" + strings.Repeat(" ", maxBody), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Parse("", tt.body); len(got) != tt.want {
				t.Errorf("got %d commands %q, want %d", len(got), got, tt.want)
			}
		})
	}
}

// corpusWant is what the realistic mails in testdata/ hold.
var corpusWant = map[string][]Command{
	"iphone.txt":      {cmd(Unsubscribe, "", "Abmelden")},
	"outlook.txt":     {cmd(Unsubscribe, "", "abmelden")},
	"gmail.txt":       {cmd(Postal, "01067", "plz 01067"), cmd(Name, "Sonnenblume 🌻", "name Sonnenblume 🌻")},
	"thunderbird.txt": {cmd(NoMail, "", "set nomail")},
	"html.txt":        {cmd(Unsubscribe, "", "*unsubscribe*"), cmd(Postal, "SW1A 1AA", "* plz SW1A 1AA")},
}

func TestCorpus(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil || len(files) != len(corpusWant) {
		t.Fatalf("testdata: %v, %v", files, err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			want, ok := corpusWant[filepath.Base(f)]
			if !ok {
				t.Fatal("no expectation")
			}
			if got := Parse("", string(b)); !reflect.DeepEqual(got, want) {
				t.Errorf("got %q\nwant %q", got, want)
			}
		})
	}
}

func TestStripSubject(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Re: abmelden", "abmelden"},
		{"AW: AW: Antw: [kita] WG: hilfe", "hilfe"},
		{"Re (2): Fwd: plz 10115", "plz 10115"},
		{"[kita][info] set digest", "set digest"},
		{"Reply needed", "Reply needed"},
		{"Antwort: nomail", "nomail"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := stripSubject(tt.in); got != tt.want {
			t.Errorf("stripSubject(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCounselCommand(t *testing.T) {
	tests := []struct {
		body string
		want []Command
	}{
		{"beratung 10115", []Command{{Verb: Counsel, Arg: "10115", Line: "beratung 10115"}}},
		{"Beratung: 01067 bitte", []Command{{Verb: Counsel, Arg: "01067", Line: "Beratung: 01067 bitte"}}},
	}
	for _, tt := range tests {
		got := Parse("", tt.body)
		if len(got) != 1 || got[0] != tt.want[0] {
			t.Errorf("Parse(%q) = %+v, want %+v", tt.body, got, tt.want)
		}
	}
}
