package mailmsg

import "testing"

func TestUTF8OrWindows1252(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Zuckertüte", "Zuckertüte"},
		{"Zuckert\xfcte", "Zuckertüte"},
		{"\x84Gr\xfc\xdfe\x93 und Grüße", "„Grüße“ und Grüße"},
		{"\xc3", "Ã"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := UTF8OrWindows1252([]byte(tt.in)); got != tt.want {
			t.Errorf("UTF8OrWindows1252(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCharset(t *testing.T) {
	tests := []struct {
		label string
		in    string
		want  string // "" when the label is unknown
	}{
		{"ISO-8859-1", "Gr\xfc\xdfe \x84", "Grüße „"}, // read as windows-1252
		{" latin1 ", "\xe4", "ä"},
		{"iso-8859-15", "\xa4", "€"},
		{"KOI8-R", "\xf0\xd2\xc9\xd7\xc5\xd4", "Привет"},
		{"windows-1251", "\xcf\xf0\xe8", "При"},
		{"Shift_JIS", "\x82\xa0", "あ"},
		{"cp437", "\x81", "ü"}, // IANA only
		{"utf8", "ok", "ok"},
		{"iso-2022-kr", "x", ""}, // WHATWG's replacement encoding
		{"x-no-such", "x", ""},
	}
	for _, tt := range tests {
		enc := Charset(tt.label)
		if tt.want == "" {
			if enc != nil {
				t.Errorf("Charset(%q) = %v, want nil", tt.label, enc)
			}
			continue
		}
		if enc == nil {
			t.Errorf("Charset(%q) = nil", tt.label)
			continue
		}
		got, err := enc.NewDecoder().String(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("Charset(%q) decodes %q to %q, %v; want %q", tt.label, tt.in, got, err, tt.want)
		}
	}
}

func TestCleanCharset(t *testing.T) {
	for in, want := range map[string]string{
		`"UTF-8"`:          "utf-8",
		` 'iso-8859-1' `:   "iso-8859-1",
		`charset="koi8-r"`: "koi8-r",
		`iso=8859-1`:       "8859-1",
		"":                 "",
	} {
		if got := CleanCharset(in); got != want {
			t.Errorf("CleanCharset(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDecodeWords(t *testing.T) {
	tests := []struct {
		in, want string
		err      bool
	}{
		{"plain", "plain", false},
		{"=?utf-8?q?Gr=C3=BC=C3=9Fe?=", "Grüße", false},
		{"=?ISO-8859-1?Q?Gr=FC=DFe?= aus Berlin", "Grüße aus Berlin", false},
		{"=?koi8-r?b?8NLJ18XU?=", "Привет", false},
		{"=?windows-1252?q?=84Hallo=93?=", "„Hallo“", false},
		{"=?utf8?q?caf=C3=A9?=", "café", false},
		{"=?x-no-such?q?abc?=", "", true},
	}
	for _, tt := range tests {
		got, err := DecodeWords(tt.in)
		if (err != nil) != tt.err || !tt.err && got != tt.want {
			t.Errorf("DecodeWords(%q) = %q, %v; want %q (error %v)", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestCharsetName(t *testing.T) {
	for in, want := range map[string]string{
		"latin1":      "windows-1252",
		"ISO-8859-1":  "windows-1252",
		"utf8":        "utf-8",
		"koi8-r":      "koi8-r",
		"iso-2022-kr": "", // WHATWG's replacement
		"cp437":       "", // IANA only
		"x-no-such":   "",
	} {
		if got := CharsetName(in); got != want {
			t.Errorf("CharsetName(%q) = %q, want %q", in, got, want)
		}
	}
}
