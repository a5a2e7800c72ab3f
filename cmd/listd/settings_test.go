package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestListFlagsHelp: the flags of list create and list set come from the settings
// table; their -h output stays as operators know it (testdata, written by the
// listd before the table).
func TestListFlagsHelp(t *testing.T) {
	for _, tt := range []struct{ cmd, golden string }{
		{"create", "testdata/list-create-help.txt"},
		{"set", "testdata/list-set-help.txt"},
	} {
		want, err := os.ReadFile(tt.golden)
		if err != nil {
			t.Fatal(err)
		}
		var out, errb bytes.Buffer
		if code := run(context.Background(), []string{"list", tt.cmd, "-h"}, &out, &errb); code != 0 {
			t.Fatalf("list %s -h = %d %s", tt.cmd, code, errb.String())
		}
		if out.String() != string(want) {
			t.Errorf("list %s -h:\n%s\nwant:\n%s", tt.cmd, out.String(), want)
		}
	}
}

// TestListShow: list show prints every setting, one KEY<TAB>value line each, as
// list create and list set left them; a bad value in list set changes nothing.
func TestListShow(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "listd.toml")
	if err := os.WriteFile(cfg, []byte("data_dir = \""+filepath.Join(dir, "data")+"\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cli := func(args ...string) (string, int) {
		var out, errb bytes.Buffer
		code := run(context.Background(), append([]string{"-config", cfg}, args...), &out, &errb)
		return out.String() + errb.String(), code
	}
	if out, code := cli("list", "create", "kita", "-archive", "members", "-retention", "6", "-title", "Kita\tund Schule"); code != 0 {
		t.Fatal(out)
	}
	out, code := cli("list", "set", "kita", "-keywords", "Anwalt, adresse", "-retention", "12", "-digest", "weekly")
	if code != 0 || out != "kita: moderation none, non-members hold, emergency false, digest weekly at 07:00 Europe/Berlin, posts kept 12 months, keywords anwalt,adresse\n" {
		t.Fatalf("list set = %d %q", code, out)
	}
	if out, code := cli("list", "set", "kita", "-retention", "3", "-first-posts", "0"); code != 1 || !strings.Contains(out, "-first-posts 0") {
		t.Errorf("bad list set = %d %q", code, out)
	}
	want := "title\tKita und Schule\ndescription\t\narchive\tmembers\nmoderation\tnone\ntopics\t\nanonymous\tyes\n" +
		"retention\t12\nnonmember\thold\nfirst-posts\t1\nmax-size\t0\nattachments\t\nkeywords\tanwalt,adresse\n" +
		"emergency\toff\ncrisis\thold\ndigest\tweekly\ndmarc\tauto\ndigest-time\t07:00\ndigest-tz\tEurope/Berlin\ndigest-day\t1\ndigest-max-posts\t50\n" +
		"description-en\t\nwelcome-de\t\nwelcome-en\t\nfooter-de\t\nfooter-en\t\nindexing\toff\n"
	if out, code := cli("list", "show", "kita"); code != 0 || out != want {
		t.Errorf("list show = %d\n%s\nwant\n%s", code, out, want)
	}
	if out, code := cli("list", "show", "nosuch"); code != 1 || !strings.Contains(out, "no such list") {
		t.Errorf("list show nosuch = %d %q", code, out)
	}
}
