package mailmsg

import (
	"testing"
	"unicode/utf8"
)

// FuzzDecodeWords: encoded words in any charset never panic, and the rule for
// undeclared 8-bit text always yields valid UTF-8.
func FuzzDecodeWords(f *testing.F) {
	for _, s := range []string{
		"=?utf-8?q?Gr=C3=BC=C3=9Fe?=",
		"=?ISO-8859-1?Q?Gr=FC=DFe?= aus Berlin",
		"=?koi8-r?b?8NLJ18XU?=",
		"=?Shift_JIS?B?gqA=?=",
		"=?utf-16?b?//4A?=",
		`=?"charset=utf-8"?q?x?=`,
		"=?x-no-such?q?abc?=",
		"Zuckert\xfcte =?",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if out, err := DecodeWords(v); err == nil && out == "" && v != "" && !hasWord(v) {
			t.Errorf("DecodeWords(%q) lost a value without encoded words", v)
		}
		if s := UTF8OrWindows1252([]byte(v)); !utf8.ValidString(s) {
			t.Errorf("UTF8OrWindows1252(%q) = %q, not UTF-8", v, s)
		}
		if enc := Charset(v); enc != nil {
			_, _ = enc.NewDecoder().String(v)
		}
	})
}

func hasWord(v string) bool {
	for i := 0; i+1 < len(v); i++ {
		if v[i] == '=' && v[i+1] == '?' {
			return true
		}
	}
	return false
}
