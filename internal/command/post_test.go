package command

import (
	"reflect"
	"testing"
)

func TestWithdrawCommand(t *testing.T) {
	url := "https://lists.example.org/kita/m/1234"
	tests := []struct {
		name, subject, body string
		want                []Command
	}{
		{"id", "", "withdraw 1234", []Command{cmd(Withdraw, "1234", "withdraw 1234")}},
		{"german", "", "Zurückziehen 1234", []Command{cmd(Withdraw, "1234", "Zurückziehen 1234")}},
		{"german transliterated", "", "zurueckziehen #1234.", []Command{cmd(Withdraw, "1234", "zurueckziehen #1234.")}},
		{"phrase", "", "Bitte Beitrag zurückziehen: 1234", []Command{cmd(Withdraw, "1234", "Bitte Beitrag zurückziehen: 1234")}},
		{"permalink in the subject", "withdraw " + url, "", []Command{cmd(Withdraw, url, "withdraw "+url)}},
		{"permalink in brackets", "", "withdraw <" + url + ">", []Command{cmd(Withdraw, url, "withdraw <"+url+">")}},
		{"thread link with anchor", "", "withdraw https://lists.example.org/kita/t/1200#m1234",
			[]Command{cmd(Withdraw, "https://lists.example.org/kita/t/1200#m1234", "withdraw https://lists.example.org/kita/t/1200#m1234")}},
		{"no post", "", "withdraw", []Command{cmd(Unknown, "", "withdraw")}},
		{"prose", "", "Zurückziehen möchte ich mich nicht", []Command{cmd(Unknown, "", "Zurückziehen möchte ich mich nicht")}},
		{"thread link without anchor", "", "withdraw https://lists.example.org/kita/t/1200",
			[]Command{cmd(Unknown, "", "withdraw https://lists.example.org/kita/t/1200")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Parse(tt.subject, tt.body); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestPostRef(t *testing.T) {
	tests := []struct {
		in   string
		list string
		id   int64
		ok   bool
	}{
		{"1234", "", 1234, true},
		{"0", "", 0, false},
		{"-5", "", 0, false},
		{"12345678901234567890", "", 0, false},
		{"https://lists.example.org/kita/m/1234", "kita", 1234, true},
		{"http://127.0.0.1:8080/Kita/m/7/", "kita", 7, true},
		{"https://example.org/listen/kita.berlin/m/7?lang=en", "kita.berlin", 7, true},
		{"https://lists.example.org/kita/t/3#m9", "kita", 9, true},
		{"https://lists.example.org/kita/t/3#x9", "", 0, false},
		{"https://lists.example.org/kita/m/abc", "", 0, false},
		{"https://lists.example.org/m/5", "", 0, false},
		{"ftp://lists.example.org/kita/m/5", "", 0, false},
		{"https:///kita/m/5", "", 0, false},
		{"https://lists.example.org/ki<ta/m/5", "", 0, false},
		{"kita/m/5", "", 0, false},
		{"", "", 0, false},
	}
	for _, tt := range tests {
		list, id, ok := PostRef(tt.in)
		if list != tt.list || id != tt.id || ok != tt.ok {
			t.Errorf("PostRef(%q) = %q, %d, %v; want %q, %d, %v", tt.in, list, id, ok, tt.list, tt.id, tt.ok)
		}
	}
}

func FuzzPostRef(f *testing.F) {
	for _, s := range []string{"1234", "https://lists.example.org/kita/m/1234", "https://h/kita/t/3#m9", "http://[::1]/a/m/1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		list, id, ok := PostRef(s)
		if !ok {
			if list != "" || id != 0 {
				t.Fatalf("not ok but %q %d", list, id)
			}
			return
		}
		if id <= 0 || (list != "" && !listNameRE.MatchString(list)) {
			t.Fatalf("PostRef(%q) = %q %d", s, list, id)
		}
		// What Parse takes as a withdraw argument, PostRef understands.
		for _, c := range Parse("", "withdraw "+s) {
			if c.Verb == Withdraw {
				if _, _, ok := PostRef(c.Arg); !ok {
					t.Fatalf("Parse took %q", c.Arg)
				}
			}
		}
	})
}
