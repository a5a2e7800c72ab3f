package lists

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseHoldReason(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want HoldReasonText
	}{
		{"first post of a new member", HoldReasonText{Key: "first_post", Args: []string{}}},
		{"the list moderates every post", HoldReasonText{Key: "all", Args: []string{}}},
		{"emergency: the list holds every post", HoldReasonText{Key: "emergency", Args: []string{}}},
		{"the sender is not a member", HoldReasonText{Key: "nonmember", Args: []string{}}},
		{"size 2000 bytes is over the list's limit of 1000", HoldReasonText{Key: "size", Args: []string{"2000", "1000"}}},
		{"attachment of type application/zip is not allowed", HoldReasonText{Key: "attachment", Args: []string{"application/zip"}}},
		{"contains the word „kredit“", HoldReasonText{Key: "keyword", Args: []string{"kredit"}}},
		{reasonAutoSubject, HoldReasonText{German: "Betreff wie eine automatische Antwort (Abwesenheitsnotiz?)",
			English: "the subject looks like an automatic reply (out of office?)"}},
		{strings.ReplaceAll(reasonAuthFail, "%s", "DMARC"), HoldReasonText{
			German:  "Absender nicht bestätigt: die Domain der Absenderadresse lehnt die Nachricht ab (DMARC)",
			English: "sender not authenticated: the sender's domain disowns the message (DMARC fail)"}},
		{"something new", HoldReasonText{German: "something new", English: "something new"}},
	} {
		got := ParseHoldReason(tc.in)
		if tc.want.Key != "" {
			tc.want.German, tc.want.English = tc.in, tc.in
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseHoldReason(%q) = %#v, want %#v", tc.in, got, tc.want)
		}
	}
	for _, r := range []string{reasonAuthNone, reasonAuthSPF, reasonAuthFrom} {
		if got := ParseHoldReason(r); got.German == got.English || got.English == "" {
			t.Errorf("pair %q not split: %#v", r, got)
		}
	}
}

func FuzzParseHoldReason(f *testing.F) {
	for _, s := range []string{"first post of a new member", "size 1 bytes is over the list's limit of 0", reasonAutoSubject,
		"contains the word „a / b“", " / ", "attachment of type  is not allowed", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, reason string) {
		h := ParseHoldReason(reason)
		if reason != "" && h.Key == "" && h.German == "" && h.English == "" && strings.TrimSpace(reason) != "/" {
			t.Errorf("%q: nothing to show", reason)
		}
		for _, a := range h.Args {
			if !strings.Contains(reason, a) {
				t.Errorf("%q: argument %q not from the reason", reason, a)
			}
		}
	})
}
