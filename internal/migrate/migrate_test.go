package migrate

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

// The samples follow the output of Mailman 2.1's bin/dumpdb (pprint of config.pck),
// bin/list_members -f (email.Utils.formataddr lines) and bin/config_list -o, and
// Mailman 3 Postorius's member CSV (postorius/views/list.py csv_view: one address a
// row; later exports add a header row and the display name).

type want struct {
	addr, name string
	mode       Mode
	digest     string
	role       Role
	moderated  bool
}

func check(t *testing.T, r *Roster, wants []want, skips []string) {
	t.Helper()
	r.Finish()
	var got []want
	for _, m := range r.Members() {
		got = append(got, want{m.Address, m.Name, m.Mode, m.DigestFormat, m.Role, m.Moderated})
	}
	if !reflect.DeepEqual(got, wants) {
		t.Errorf("members:\n got %+v\nwant %+v", got, wants)
	}
	var gotSkips []string
	for _, s := range r.Skips {
		gotSkips = append(gotSkips, s.String())
	}
	if !reflect.DeepEqual(gotSkips, skips) {
		t.Errorf("skips:\n got %q\nwant %q", gotSkips, skips)
	}
}

func TestReadDumpdb(t *testing.T) {
	data, err := os.ReadFile("testdata/dumpdb.txt")
	if err != nil {
		t.Fatal(err)
	}
	if k := Mailman2Kind("config.txt", data); k != KindDumpdb {
		t.Fatalf("kind %v", k)
	}
	r := NewRoster()
	r.ReadDumpdb("config.txt", data)
	check(t, r, []want{
		{"anna@example.net", "Anna Müller", ModeEach, "", RoleOwner, false},
		{"ben@example.net", "Ben Schulz", ModeEach, "", RoleMember, true},
		{"gone@example.net", "", ModeNoMail, "", RoleMember, false},
		{"pause@example.net", "", ModeNoMail, "", RoleMember, false},
		{"dora@example.net", "Dora Köhler", ModeDigest, "plain", RoleMember, false},
		{"erik@example.net", "", ModeDigest, "plain", RoleMember, true},
		{"owner@example.org", "", ModeNoMail, "", RoleOwner, false},
		{"mod@example.org", "", ModeNoMail, "", RoleModerator, false},
	}, []string{`config.txt:14: "not-an-address" is not a mail address (skipped)`})
}

func TestReadListMembers(t *testing.T) {
	r := NewRoster()
	// list_members -f -r > regular.txt
	r.ReadListMembers("regular.txt", []byte("anna@example.net\n\"M\xfcller, Anna\" <anna.m@example.net>\nBen Schulz <ben@example.net>\nnobody\n"))
	// list_members -f -d plain > digest-plain.txt
	r.ReadListMembers("digest-plain.txt", []byte("Dora <dora@example.net>\n"))
	// list_members -f -n > nomail.txt (regular and digest members with delivery off)
	r.ReadListMembers("nomail.txt", []byte("Ben Schulz <ben@example.net>\nDora <dora@example.net>\n"))
	// list_members -m > moderated.txt
	r.ReadListMembers("moderated.txt", []byte("anna@example.net\r\n"))
	check(t, r, []want{
		{"anna@example.net", "", ModeEach, "", RoleMember, true},
		{"anna.m@example.net", "Müller, Anna", ModeEach, "", RoleMember, false},
		{"ben@example.net", "Ben Schulz", ModeNoMail, "", RoleMember, false},
		{"dora@example.net", "Dora", ModeNoMail, "plain", RoleMember, false},
	}, []string{`regular.txt:4: "nobody" is not a mail address (skipped)`})
}

func TestReadConfigList(t *testing.T) {
	data := []byte(`# -*- python -*-
# -*- coding: utf-8 -*-
## "Kita" mailing list configuration settings -*- python -*-
## captured on Sat Jan  2 10:00:00 2021

## Mailman.Gui.General

# The public name of this list (make case-changes only).
real_name = 'Kita'

# The list administrator email addresses.
owner = ['owner@example.org']

# The list moderator email addresses.
moderator = ['mod@example.org', 'bad address']

description = """Austausch"""
`)
	if k := Mailman2Kind("config_list.txt", data); k != KindConfigList {
		t.Fatalf("kind %v", k)
	}
	r := NewRoster()
	r.ReadConfigList("config_list.txt", data)
	r.ReadListMembers("members.txt", []byte("mod@example.org\n"))
	check(t, r, []want{
		{"owner@example.org", "", ModeNoMail, "", RoleOwner, false},
		{"mod@example.org", "", ModeEach, "", RoleModerator, false},
	}, []string{`config_list.txt:15: moderator: "bad address" is not a mail address (skipped)`})
}

func TestMailman2Kind(t *testing.T) {
	tests := []struct {
		name string
		head string
		kind FileKind
	}{
		{"kita.mbox", "From anna@example.net Mon Mar  2 09:00:00 2015\n", KindMbox},
		{"config.pck", "}q\x01(U\x0f", KindPickle},
		{"config.db", "(dp1\nS'members'", KindPickle},
		{"regular.txt", "anna@example.net\n", KindListMembers},
	}
	for _, tt := range tests {
		if got := Mailman2Kind(tt.name, []byte(tt.head)); got != tt.kind {
			t.Errorf("%s: kind %v, want %v", tt.name, got, tt.kind)
		}
	}
}

func TestReadPostoriusCSV(t *testing.T) {
	tests := []struct {
		name  string
		data  string
		want  []want
		skips []string
	}{
		{"postorius 1.3: addresses only", "anna@example.net\r\nben@example.net\r\n",
			[]want{{"anna@example.net", "", ModeEach, "", RoleMember, false}, {"ben@example.net", "", ModeEach, "", RoleMember, false}}, nil},
		{"name and address, BOM, semicolons", "\ufeffDisplay Name;Email\nAnna Müller;anna@example.net\n;ben@example.net\n",
			[]want{{"anna@example.net", "Anna Müller", ModeEach, "", RoleMember, false}, {"ben@example.net", "", ModeEach, "", RoleMember, false}}, nil},
		{"member properties", "email,display_name,delivery_mode,delivery_status,moderation_action,role\n" +
			"anna@example.net,Anna,regular,enabled,,member\n" +
			"ben@example.net,Ben,mime_digests,enabled,hold,member\n" +
			"carla@example.net,\"Carla, K.\",plaintext_digests,by_user,defer,moderator\n" +
			"spam@example.com,,regular,enabled,discard,nonmember\n" +
			"dora@example.net,Dora,weekly,enabled,,member\n" +
			"not an address,X,regular,enabled,,member\n",
			[]want{{"anna@example.net", "Anna", ModeEach, "", RoleMember, false}, {"ben@example.net", "Ben", ModeDigest, "mime", RoleMember, true},
				{"carla@example.net", "Carla, K.", ModeNoMail, "plain", RoleModerator, false}},
			[]string{"m.csv:5: a nonmember entry (an address the old list knew, not a member) (skipped)",
				"m.csv:6: unknown delivery mode weekly (skipped)", `m.csv:7: "not an address" is not a mail address (skipped)`}},
		{"mailman members output", "Anna Müller <anna@example.net>\n",
			[]want{{"anna@example.net", "Anna Müller", ModeEach, "", RoleMember, false}}, nil},
		{"latin-1", "name,email\nK\xf6hler,k@example.net\n",
			[]want{{"k@example.net", "Köhler", ModeEach, "", RoleMember, false}}, nil},
		{"header without email", "name,phone\nAnna,123\n", nil, []string{"m.csv:1: a header row without an email column: every row skipped (skipped)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewRoster()
			r.ReadPostoriusCSV("m.csv", []byte(tt.data))
			check(t, r, tt.want, tt.skips)
		})
	}
}

func TestPyLiteral(t *testing.T) {
	v, rest, err := parsePyLiteral(`{'a': [1, 2L, -3.5e2, None, True], u'b\u00e9': ('x' 'y', set(['z'])), 'c': <obj at 0x1>} tail`, 1)
	if err != nil || strings.TrimSpace(rest) != "tail" {
		t.Fatal(err, rest)
	}
	if a := v.get("a"); a == nil || len(a.items) != 5 || a.items[2].num != -350 {
		t.Errorf("a = %+v", a)
	}
	if b := v.get("bé"); b == nil || b.items[0].str != "xy" || b.items[1].items[0].items[0].str != "z" {
		t.Errorf("b = %+v", b)
	}
	for _, bad := range []string{"{'a' 1}", "[1, 2", "'abc", strings.Repeat("[", 100)} {
		if _, _, err := parsePyLiteral(bad, 1); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
