package compose

import (
	"strings"
	"testing"
)

func TestStripSignatures(t *testing.T) {
	tests := []struct {
		name, raw   string
		removed     bool
		keep, leave []string // keep: must stay; leave: must be gone
	}{
		{"plain", "From: a@example.net\r\nSubject: s\r\n\r\nHallo zusammen,\r\nwie geht's?\r\n\r\n-- \r\nMaria Muster\r\nLindenstr. 5, 10115 Berlin\r\n0171 2345678\r\n",
			true, []string{"Hallo zusammen", "wie geht's?"}, []string{"Maria Muster", "Lindenstr", "0171", "-- "}},
		{"no signature", "From: a@example.net\r\n\r\nHallo\r\n--\r\nkein Trenner\r\n", false, []string{"kein Trenner"}, nil},
		{"quoted separator", "From: a@example.net\r\n\r\nJa.\r\n> -- \r\n> Ben\r\n", false, []string{"> Ben"}, nil},
		{"quoted-printable", "From: a@example.net\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nGr=C3=BC=C3=9Fe\r\n--=20\r\nMaria M=C3=BCller\r\n",
			true, []string{"Gr=C3=BC=C3=9Fe"}, []string{"M=C3=BCller"}},
		{"base64", "From: a@example.net\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\nSGFsbG8KLS0gCk1hcmlhIE11c3RlcgowMTcxIDIzNDU2Nzg=\r\n",
			true, []string{"SGFsbG8="}, []string{"SGFsbG8KLS0g"}},
		{"alternative", "From: a@example.net\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nHallo\r\n-- \r\nMaria Muster\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>Hallo</p><div class=\"moz-signature\">Maria Muster<br>0171 2345678</div>\r\n--b--\r\n",
			true, []string{"Hallo", "<p>Hallo</p>"}, []string{"Maria Muster", "0171"}},
		{"html dashes", "From: a@example.net\r\nContent-Type: text/html\r\n\r\n<div>Hallo<br>-- <br>Maria Muster<br>0171</div>\r\n",
			true, []string{"Hallo"}, []string{"Maria Muster", "0171"}},
		{"attachment left", "From: a@example.net\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nHallo\r\n--b\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=a.txt\r\n\r\nDatei\r\n-- \r\nbleibt\r\n--b--\r\n",
			false, []string{"bleibt"}, nil},
		{"signed", "From: a@example.net\r\nContent-Type: multipart/signed; boundary=b; protocol=\"application/pgp-signature\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nHallo\r\n-- \r\nMaria\r\n--b\r\nContent-Type: application/pgp-signature\r\n\r\nx\r\n--b--\r\n",
			true, []string{"Hallo"}, []string{"Maria"}},
		{"encrypted left", "From: a@example.net\r\nContent-Type: multipart/encrypted; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nHallo\r\n-- \r\nMaria\r\n--b--\r\n",
			false, []string{"Maria"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, removed, err := StripSignatures([]byte(tt.raw))
			if err != nil {
				t.Fatal(err)
			}
			if removed != tt.removed {
				t.Errorf("removed = %v\n%s", removed, out)
			}
			if !removed && string(out) != tt.raw {
				t.Errorf("changed without a signature:\n%s", out)
			}
			_, body, _ := strings.Cut(string(out), "\r\n\r\n")
			for _, k := range tt.keep {
				if !strings.Contains(string(out), k) {
					t.Errorf("lost %q:\n%s", k, out)
				}
			}
			for _, l := range tt.leave {
				if strings.Contains(body, l) {
					t.Errorf("kept %q:\n%s", l, out)
				}
			}
		})
	}
}

func FuzzStripSignatures(f *testing.F) {
	f.Add([]byte("From: a@example.net\r\n\r\nHallo\r\n-- \r\nMaria\r\n"))
	f.Add([]byte("Content-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/html\r\n\r\n<div class=\"gmail_signature\">x</div>\r\n--b--\r\n"))
	f.Add([]byte("Content-Transfer-Encoding: base64\r\n\r\n!!!\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		out, removed, err := StripSignatures(raw)
		if err != nil || !removed {
			if string(out) != string(raw) {
				t.Fatalf("changed without removing")
			}
			return
		}
		if len(out) > 2*len(raw)+64 {
			t.Fatalf("grew from %d to %d bytes", len(raw), len(out))
		}
		again, removed2, err := StripSignatures(out)
		if err == nil && removed2 && strings.Contains(string(again), "\n-- \r\n") {
			t.Fatalf("separator left after a second pass")
		}
	})
}
