package lists

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"listd/internal/store"
)

// TestSettingsColumns: every setting is kept in a column SaveList writes, and
// SaveList writes no column the table does not name.
func TestSettingsColumns(t *testing.T) {
	var table []string
	for _, s := range Settings() {
		table = append(table, s.Column)
	}
	slices.Sort(table)
	saved := store.ListSettingColumns()
	slices.Sort(saved)
	if !slices.Equal(table, saved) {
		t.Errorf("settings table's columns %v, SaveList's %v", table, saved)
	}
}

// TestSettingsRoundTrip: a new list has every setting's default; each setting,
// set to its example, is stored, read back and shown as given, and a bad value
// changes nothing.
func TestSettingsRoundTrip(t *testing.T) {
	s, _, _ := newService(t)
	ctx := context.Background()
	if _, err := s.CreateList(ctx, "neu", ListOptions{}); err != nil {
		t.Fatal(err)
	}
	l, err := s.List(ctx, "neu")
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	all := ListSettings{}
	for _, st := range Settings() {
		if names[st.Name] {
			t.Errorf("%s: twice in the table", st.Name)
		}
		names[st.Name] = true
		if got := st.Value(l); got != st.Default {
			t.Errorf("%s: a new list has %q, the table says %q", st.Name, got, st.Default)
		}
		if st.Example == "" || st.Example == st.Default {
			t.Errorf("%s: the example must differ from the default", st.Name)
		}
		if st.Usage == "" || st.HelpDE == "" || st.HelpEN == "" {
			t.Errorf("%s: help missing", st.Name)
		}
		if err := st.CheckFlag(st.Example); err != nil {
			t.Errorf("%s: example %q: %v", st.Name, st.Example, err)
		}
		all[st.Name] = st.Example
	}
	bad := ListSettings{"title": "anders", "archive": "secret"}
	if _, err := s.UpdateList(ctx, "neu", bad); err == nil {
		t.Error("-archive secret accepted")
	}
	if _, err := s.UpdateList(ctx, "neu", ListSettings{"nosuch": "1"}); err == nil {
		t.Error("an unknown setting accepted")
	}
	if _, err := s.UpdateList(ctx, "neu", all); err != nil {
		t.Fatal(err)
	}
	if l, err = s.List(ctx, "neu"); err != nil {
		t.Fatal(err)
	}
	for _, st := range Settings() {
		if got := st.Value(l); got != st.Example {
			t.Errorf("%s: set %q, read back %q", st.Name, st.Example, got)
		}
	}
	created, err := s.CreateList(ctx, "neu2", ListOptions{Settings: all})
	if err != nil {
		t.Fatal(err)
	}
	if l, err = s.List(ctx, created.Name); err != nil {
		t.Fatal(err)
	}
	for _, st := range Settings() {
		if got := st.Value(l); st.Create && got != st.Example {
			t.Errorf("%s: created with %q, read back %q", st.Name, st.Example, got)
		}
	}
}

// settingsTable is README.md's table of list settings as the table says it.
func settingsTable() []string {
	rows := []string{"| setting | default | what it does | Bedeutung |", "| --- | --- | --- | --- |"}
	for _, s := range Settings() {
		def := "`" + s.Default + "`"
		if s.Default == "" {
			def = "(empty)"
		}
		cell := strings.NewReplacer("|", `\|`)
		rows = append(rows, "| `-"+s.Name+"` | "+def+" | "+cell.Replace(s.HelpEN)+" | "+cell.Replace(s.HelpDE)+" |")
	}
	return rows
}

// TestREADMESettings: README.md's table of list settings says what Settings says.
func TestREADMESettings(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(b), "\n### List settings\n")
	if !ok {
		t.Fatal(`README.md has no "### List settings" section`)
	}
	var got []string
	for _, line := range strings.Split(after, "\n") {
		if strings.HasPrefix(line, "|") {
			got = append(got, line)
		} else if len(got) > 0 {
			break
		}
	}
	want := settingsTable()
	if !slices.Equal(got, want) {
		t.Errorf("README.md's table of list settings differs; it should read:\n%s", strings.Join(want, "\n"))
	}
}

// FuzzSettings: any value for any setting is taken or refused with an input
// error, never a panic; what is taken is shown so that it is taken again.
func FuzzSettings(f *testing.F) {
	for _, s := range Settings() {
		f.Add(s.Name, s.Example)
		f.Add(s.Name, s.Default)
		f.Add(s.Name, "")
	}
	f.Add("digest-day", "-1")
	f.Add("attachments", "image/*,text")
	f.Fuzz(func(t *testing.T, name, v string) {
		st, ok := SettingNamed(name)
		if !ok {
			return
		}
		var l store.List
		if err := applySettings(&l, ListSettings{name: v}); err != nil {
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("%s %q: %v is not an input error", name, v, err)
			}
			return
		}
		shown := st.Value(&l)
		var again store.List
		if err := applySettings(&again, ListSettings{name: shown}); err != nil || st.Value(&again) != shown {
			t.Fatalf("%s %q shown as %q, which gives %q, %v", name, v, shown, st.Value(&again), err)
		}
	})
}
