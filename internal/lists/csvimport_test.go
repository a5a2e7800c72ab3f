package lists

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"listd/internal/i18n"
)

// TestParseMembersCSV: spreadsheet exports as they come (a byte order mark, ';' or
// ',', German or English headers, quoted cells, CRLF, blank lines), and every bad
// line reported with its number and reason.
func TestParseMembersCSV(t *testing.T) {
	for _, c := range []struct {
		name, in string
		want     string // the good lines, as "line:address/name/mode/role/postal"
		bad      string // the bad lines, as "line:reason"
	}{
		{"German export with BOM and semicolons",
			"\uFEFFAdresse;Name;Modus;Rolle;PLZ\r\nAnna@Example.net;Anna;digest;;10115\r\n\r\nben@example.net;\"Ben; B.\";;moderator;\r\n",
			"[2:anna@example.net/Anna/digest//10115 4:ben@example.net/Ben; B.//moderator/]", ""},
		{"English, commas, columns in another order, extra columns",
			"name,notes,email,postal\nAnna,\"likes, commas\",anna@example.net,\n,,\"Ben <ben@example.net>\",80331\n",
			"[2:anna@example.net/Anna/// 3:ben@example.net/Ben///80331]", ""},
		{"E-Mail header and PLZ only", "E-Mail;PLZ\nanna@example.net;01067\n", "[2:anna@example.net////01067]", ""},
		{"every bad line",
			"email,name,mode,role,postal\nnot-an-address,,,,\nanna@example.net,,weekly,,\nben@example.net,,,boss,\nc@example.net,,,,<b>\nd@example.net,x@y.z,,,\nANNA@example.net,,,,\ne@example.net,,,,\n",
			"[8:e@example.net////]",
			"[2:bad_address 3:bad_mode 4:bad_role 5:bad_postal 6:bad_name 7:duplicate]"},
		{"no header", "anna@example.net\nben@example.net\n", "[]", "[1:no_header]"},
		{"empty", "", "[]", "[1:no_header]"},
		{"broken quote", "email;name\na@example.net;\"Anna\nb@example.net;B\n", "[]", "[2:unreadable]"},
		{"not UTF-8", "email;name\na@example.net;J\xfcrgen\n", "[]", "[2:unreadable]"},
		{"column named twice", "email;adresse\na@example.net;b@example.net\n", "[]", "[1:duplicate_head]"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ms, err := ParseMembersCSV(strings.NewReader(c.in))
			var good, bad []string
			for _, m := range ms {
				good = append(good, fmt.Sprintf("%d:%s/%s/%s/%s/%s", m.Line, m.Address, m.Name, m.Mode, m.Role, m.Postal))
			}
			var ie *CSVImportError
			if errors.As(err, &ie) {
				for _, l := range ie.Lines {
					bad = append(bad, fmt.Sprintf("%d:%s", l.Line, l.Reason))
					if l.Reason.Text(nil, i18n.German) == "members_csv."+string(l.Reason) || l.Reason.Text(nil, i18n.English) == l.Reason.Text(nil, i18n.German) {
						t.Errorf("reason %s has no German and English sentence", l.Reason)
					}
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(good) != c.want && !(c.want == "[]" && len(good) == 0) {
				t.Errorf("good lines = %v, want %v", good, c.want)
			}
			if fmt.Sprint(bad) != c.bad && !(c.bad == "" && len(bad) == 0) {
				t.Errorf("bad lines = %v, want %v", bad, c.bad)
			}
		})
	}
}

// TestImportMembersCSV: nothing is imported while a line is bad; then all are, with
// the import's mode for lines without one; with Confirm, each gets a confirmation
// mail and joins only when it confirms.
func TestImportMembersCSV(t *testing.T) {
	s, db, _ := newService(t)
	ctx := context.Background()
	bad := "adresse;name;modus\nc@example.org;Cem;\nd@example.org;;jede\n"
	_, err := s.ImportMembersCSV(ctx, ActorCLI, "kita", strings.NewReader(bad), CSVImportOptions{File: "m.csv"})
	var ie *CSVImportError
	if !errors.As(err, &ie) || len(ie.Lines) != 1 || ie.Lines[0].Line != 3 || !strings.Contains(err.Error(), "m.csv") {
		t.Fatalf("bad import: %v", err)
	}
	if ms, _ := s.Members(ctx, "kita"); len(ms) != 2 {
		t.Fatalf("members after a refused import: %d", len(ms))
	}
	good := "adresse;name;modus\nc@example.org;Cem;\nd@example.org;;nomail\nanna@example.net;;\n"
	res, err := s.ImportMembersCSV(ctx, "owner@example.org", "kita", strings.NewReader(good), CSVImportOptions{Mode: "digest"})
	if err != nil || res != (CSVImportResult{Lines: 3, Added: 2, Existed: 1}) {
		t.Fatalf("import = %+v, %v", res, err)
	}
	c, _ := db.Member(ctx, 1, "c@example.org")
	d, _ := db.Member(ctx, 1, "d@example.org")
	if c.Mode != "digest" || c.Name != "Cem" || d.Mode != "nomail" || c.Role != "member" {
		t.Errorf("imported %+v and %+v", c, d)
	}
	res, err = s.ImportMembersCSV(ctx, ActorCLI, "kita", strings.NewReader("email\ne@example.org\n"), CSVImportOptions{Confirm: true})
	if err != nil || res.Asked != 1 {
		t.Fatalf("import with confirmation = %+v, %v", res, err)
	}
	if ok, _ := db.Member(ctx, 1, "e@example.org"); ok != nil {
		t.Error("added before confirming")
	}
	if n := mailsToMailbox(t, db, "e@example.org"); n != 1 {
		t.Errorf("confirmation mails: %d", n)
	}
}

func FuzzParseMembersCSV(f *testing.F) {
	for _, seed := range []string{
		"\uFEFFAdresse;Name;Modus;Rolle;PLZ\r\nAnna@Example.net;Anna;digest;;10115\r\n",
		"email,name\n\"a@example.net\",\"B, \"\"C\"\"\"\n",
		"email;name\na@example.net;\"Anna\n",
		"E-Mail\n\n\n,\n",
		"email,email\n",
		"plz;adresse\n1;x@y.z\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		ms, err := ParseMembersCSV(strings.NewReader(in))
		var ie *CSVImportError
		if err != nil && !errors.As(err, &ie) {
			t.Fatalf("error of another kind: %v", err)
		}
		if ie != nil && len(ie.Lines) == 0 {
			t.Fatal("an import error without a line")
		}
		seen := map[string]bool{}
		for _, m := range ms {
			if m.Line < 2 || seen[m.Address] || !strings.Contains(m.Address, "@") || m.Address != strings.ToLower(m.Address) {
				t.Fatalf("bad member %+v", m)
			}
			seen[m.Address] = true
			if m.Mode != "" {
				if _, err := ParseMode(m.Mode); err != nil {
					t.Fatalf("mode %q taken", m.Mode)
				}
			}
			if m.Role != "" {
				if _, err := ParseRole(m.Role); err != nil {
					t.Fatalf("role %q taken", m.Role)
				}
			}
		}
	})
}
