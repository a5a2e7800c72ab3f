package mailmsg

import (
	"bytes"
	"encoding/base64"
	"errors"
	"mime/quotedprintable"
	"strings"
	"testing"
)

func TestDecodeTransfer(t *testing.T) {
	const bad = "\x00error" // want: an error wrapping ErrDamaged
	tests := []struct {
		name, cte, in              string
		strict, strictCut, lenient string
	}{
		{"base64 lines", "base64", "R3L8\r\n32U=", "Gr\xfc\xdfe", "Gr\xfc\xdfe", "Gr\xfc\xdfe"},
		{"base64 case, blanks, no padding", " BASE64 ", " R3L8 32U", "Gr\xfc\xdfe", "Gr\xfc", "Gr\xfc\xdfe"},
		{"base64 stray characters", "base64", "SGFsbG8g*!\r\nV2Vs\tdA==\r\n", bad, bad, "Hallo Welt"},
		{"base64 unpadded", "base64", "QQ", "A", "", "A"},
		{"base64 cut after one character", "base64", "QUJD\r\nR", bad, "ABC", "ABC"},
		{"base64 cut after two", "base64", "QUJD\r\nRA", "ABCD", "ABC", "ABCD"},
		{"base64 data after padding", "base64", "QQ==QUJD", bad, bad, "A\x04\x14$"},
		{"base64 empty", "base64", "", "", "", ""},
		{"qp soft breaks", "quoted-printable", "a=3Db=\r\nc=\nd", "a=bcd", "a=bcd", "a=bcd"},
		{"qp soft break with blanks", "Quoted-Printable", "soft =  \r\nbreak", "soft break", "soft break", "soft break"},
		{"qp bad escapes", "quoted-printable", "bad =G1 =4 =", "bad =G1 =4 ", "bad =G1 =4 ", "bad =G1 =4 "},
		{"qp bad hex at the end", "quoted-printable", "x=4", "x=4", "x=4", "x=4"},
		{"qp control byte", "quoted-printable", "a\x01b", bad, bad, "a\x01b"},
		{"qp trailing space", "quoted-printable", "kept \r\n", "kept\r\n", "kept\r\n", "kept \r\n"},
		{"7bit", "7bit", "as is", "as is", "as is", "as is"},
		{"8bit", "8bit", "Gr\xfc\xdfe", "Gr\xfc\xdfe", "Gr\xfc\xdfe", "Gr\xfc\xdfe"},
		{"binary", "binary", "\x00\xff", "\x00\xff", "\x00\xff", "\x00\xff"},
		{"none", "", "as is", "as is", "as is", "as is"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, m := range []struct {
				mode Strictness
				want string
			}{{Strict, tt.strict}, {StrictCut, tt.strictCut}, {Lenient, tt.lenient}} {
				got, err := DecodeTransfer([]byte(tt.in), tt.cte, m.mode)
				if m.want == bad {
					if !errors.Is(err, ErrDamaged) || got != nil {
						t.Errorf("mode %d: DecodeTransfer(%q, %q) = %q, %v; want ErrDamaged", m.mode, tt.in, tt.cte, got, err)
					}
					continue
				}
				if err != nil || string(got) != m.want {
					t.Errorf("mode %d: DecodeTransfer(%q, %q) = %q, %v; want %q", m.mode, tt.in, tt.cte, got, err, m.want)
				}
			}
		})
	}
}

func TestDecodeTransferUnknown(t *testing.T) {
	for _, mode := range []Strictness{Strict, StrictCut, Lenient} {
		got, err := DecodeTransfer([]byte("begin 644 x"), "x-uuencode", mode)
		if !errors.Is(err, ErrUnknownEncoding) || string(got) != "begin 644 x" {
			t.Errorf("mode %d: unknown encoding = %q, %v; want the body and ErrUnknownEncoding", mode, got, err)
		}
	}
}

func TestDecodedSize(t *testing.T) {
	for _, in := range []string{"R3L8\r\n32U=", "QUJD\r\nR", "SGFsbG8g*!\r\nV2Vs\tdA==", "a=3Db=\r\nc", "x"} {
		for _, cte := range []string{"base64", "quoted-printable", "7bit", "x-no-such"} {
			out, _ := DecodeTransfer([]byte(in), cte, Lenient)
			if n := DecodedSize([]byte(in), cte); n != len(out) {
				t.Errorf("DecodedSize(%q, %q) = %d, Lenient decodes %d bytes", in, cte, n, len(out))
			}
		}
	}
}

// FuzzDecodeTransfer: no mode panics; Lenient never fails on damage and gives what
// DecodedSize says; unpadded base64 that Strict reads, Lenient reads alike; and
// what the standard writers encode comes back in every mode.
func FuzzDecodeTransfer(f *testing.F) {
	for _, s := range []string{"R3L8\r\n32U=", " R3L8 32U", "SGFsbG8g*!\r\nV2Vs\tdA==\r\n", "QUJD\r\nR", "QQ==QUJD",
		"a=3Db=\r\nc=\nd", "bad =G1 =4 =", "kept \r\n", "a\x01b"} {
		for _, cte := range []string{"base64", "quoted-printable", "7bit", "x-uue"} {
			f.Add([]byte(s), cte)
		}
	}
	f.Fuzz(func(t *testing.T, body []byte, cte string) {
		lenient, err := DecodeTransfer(body, cte, Lenient)
		if err != nil && !errors.Is(err, ErrUnknownEncoding) {
			t.Fatalf("Lenient: %v", err)
		}
		if n := DecodedSize(body, cte); n != len(lenient) {
			t.Errorf("DecodedSize = %d, Lenient gives %d bytes", n, len(lenient))
		}
		for _, mode := range []Strictness{Strict, StrictCut} {
			out, err := DecodeTransfer(body, cte, mode)
			if err != nil {
				if !errors.Is(err, ErrUnknownEncoding) && !errors.Is(err, ErrDamaged) {
					t.Errorf("mode %d: %v", mode, err)
				}
				continue
			}
			if mode == Strict && strings.EqualFold(strings.TrimSpace(cte), "base64") &&
				!bytes.Contains(body, []byte("=")) && !bytes.Equal(out, lenient) {
				t.Errorf("Strict gives %q, Lenient %q", out, lenient)
			}
		}
		// Round trip: the data encoded by the standard writers decodes in every mode.
		var qp bytes.Buffer
		w := quotedprintable.NewWriter(&qp)
		w.Binary = true
		w.Write(body)
		w.Close()
		b64 := encodeBase64Lines(body)
		for _, mode := range []Strictness{Strict, StrictCut, Lenient} {
			if got, err := DecodeTransfer(qp.Bytes(), "quoted-printable", mode); err != nil || !bytes.Equal(got, body) {
				t.Errorf("mode %d: quoted-printable of %q decodes to %q, %v", mode, body, got, err)
			}
			if got, err := DecodeTransfer(b64, "base64", mode); err != nil || !bytes.Equal(got, body) {
				t.Errorf("mode %d: base64 of %q decodes to %q, %v", mode, body, got, err)
			}
		}
	})
}

// encodeBase64Lines writes b as base64 in lines of 76 characters.
func encodeBase64Lines(b []byte) []byte {
	enc := []byte(base64.StdEncoding.EncodeToString(b))
	var out []byte
	for len(enc) > 76 {
		out = append(append(out, enc[:76]...), '\r', '\n')
		enc = enc[76:]
	}
	return append(out, enc...)
}
