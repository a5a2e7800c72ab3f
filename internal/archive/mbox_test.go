package archive

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

// readAll reads every message of an mbox, collecting per-message errors.
func readAll(t testing.TB, r *MboxReader) (msgs []*MboxMessage, skipped []*MboxError, err error) {
	t.Helper()
	for i := 0; ; i++ {
		if i > 1<<20 {
			t.Fatal("reader does not end")
		}
		m, err := r.Next()
		if err == io.EOF {
			return msgs, skipped, nil
		}
		var me *MboxError
		if errors.As(err, &me) {
			skipped = append(skipped, me)
			continue
		}
		if err != nil {
			return msgs, skipped, err
		}
		msgs = append(msgs, m)
	}
}

func TestMboxReader(t *testing.T) {
	type want struct {
		line int
		from string
		raw  string
	}
	tests := []struct {
		name string
		in   string
		want []want
	}{
		{"empty file", "", nil},
		{"only empty lines", "\n\n", nil},
		{"mboxrd unquoting", "From a@x Mon Jan  2 15:04:05 2006\nSubject: s\n\n>From x\n>>From y\n>Fromage\n\n",
			[]want{{1, "a@x", "Subject: s\n\nFrom x\n>From y\n>Fromage\n"}}},
		{"two messages, leading empty lines", "\n\nFrom a@x Mon Jan  2 15:04:05 2006\nA: 1\n\none\n\nFrom b@x Mon Jan  2 15:05:05 2006\nB: 2\n\ntwo\n\n",
			[]want{{3, "a@x", "A: 1\n\none\n"}, {8, "b@x", "B: 2\n\ntwo\n"}}},
		{"From in text without empty line before it", "From a@x Mon Jan  2 15:04:05 2006\nA: 1\n\none\nFrom b@x Mon Jan  2 15:05:05 2006\n\n",
			[]want{{1, "a@x", "A: 1\n\none\nFrom b@x Mon Jan  2 15:05:05 2006\n"}}},
		{"sentence starting with From after an empty line", "From a@x Mon Jan  2 15:04:05 2006\nA: 1\n\nFrom here on, it rains.\n\n",
			[]want{{1, "a@x", "A: 1\n\nFrom here on, it rains.\n"}}},
		{"no dates anywhere: any From line after an empty line", "From a@x\nA: 1\n\nFrom b@x\nB: 2\n",
			[]want{{1, "a@x", "A: 1\n"}, {4, "b@x", "B: 2\n"}}},
		{"empty lines kept inside and at the end", "From a@x Mon Jan  2 15:04:05 2006\nA: 1\n\n\n\none\n\n\n\n",
			[]want{{1, "a@x", "A: 1\n\n\n\none\n\n\n"}}},
		{"no newline at the end", "From a@x Mon Jan  2 15:04:05 2006\nA: 1\n\none",
			[]want{{1, "a@x", "A: 1\n\none"}}},
		{"empty message", "From a@x Mon Jan  2 15:04:05 2006\n\nFrom b@x Mon Jan  2 15:04:05 2006\nB: 1\n",
			[]want{{1, "a@x", ""}, {3, "b@x", "B: 1\n"}}},
		{"CRLF", "From a@x Mon Jan  2 15:04:05 2006\r\nA: 1\r\n\r\n>From x\r\n\r\nFrom b@x Mon Jan  2 15:04:05 2006\r\nB: 2\r\n\r\n",
			[]want{{1, "a@x", "A: 1\r\n\r\nFrom x\r\n"}, {6, "b@x", "B: 2\r\n"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// One byte at a time too: line handling must not depend on how reads fall.
			for _, r := range []io.Reader{strings.NewReader(tt.in), iotest.OneByteReader(strings.NewReader(tt.in))} {
				msgs, skipped, err := readAll(t, NewMboxReader(r))
				if err != nil || len(skipped) > 0 {
					t.Fatalf("err %v, skipped %v", err, skipped)
				}
				if len(msgs) != len(tt.want) {
					t.Fatalf("%d messages, want %d", len(msgs), len(tt.want))
				}
				for i, m := range msgs {
					w := tt.want[i]
					if m.Number != i+1 || m.Line != w.line || m.From != w.from || string(m.Raw) != w.raw {
						t.Errorf("message %d: number %d line %d from %q raw %q; want line %d from %q raw %q",
							i+1, m.Number, m.Line, m.From, m.Raw, w.line, w.from, w.raw)
					}
				}
			}
		})
	}
}

func TestMboxReaderFiles(t *testing.T) {
	tests := []struct {
		file  string
		count int
		check func(t *testing.T, ms []*MboxMessage)
	}{
		{"mboxrd.mbox", 2, func(t *testing.T, ms []*MboxMessage) {
			if !bytes.Contains(ms[0].Raw, []byte("\nFrom the start")) || !bytes.Contains(ms[0].Raw, []byte("\n>From here on")) ||
				!bytes.Contains(ms[0].Raw, []byte("\n\nFrom me, nothing more.\n")) {
				t.Errorf("message 1: %q", ms[0].Raw)
			}
			if want := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC); !ms[1].Date.Equal(want) || ms[1].Line != 13 {
				t.Errorf("message 2: date %v line %d", ms[1].Date, ms[1].Line)
			}
			p, err := Parse(ms[1].Raw)
			if err != nil || p.MessageID != "b@example.net" || len(p.InReplyTo) != 1 {
				t.Errorf("parse message 2: %v %+v", err, p)
			}
		}},
		{"crlf.mbox", 2, func(t *testing.T, ms []*MboxMessage) {
			if ms[0].From != "-" || !bytes.HasSuffix(ms[0].Raw, []byte("\r\nFrom quoted\r\n")) ||
				string(ms[1].Raw) != "Subject: crlf 2\r\n\r\nlast line without newline" {
				t.Errorf("got %q and %q", ms[0].Raw, ms[1].Raw)
			}
		}},
		{"mboxo_nodate.mbox", 2, func(t *testing.T, ms []*MboxMessage) {
			if string(ms[0].Raw) != "Subject: one\n\nFrom a quoted line\n" || !ms[0].Date.IsZero() {
				t.Errorf("got %q, date %v", ms[0].Raw, ms[0].Date)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			f, err := os.Open(filepath.Join("testdata", "mbox", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			ms, skipped, err := readAll(t, NewMboxReader(f))
			if err != nil || len(skipped) > 0 || len(ms) != tt.count {
				t.Fatalf("%d messages, skipped %v, err %v", len(ms), skipped, err)
			}
			tt.check(t, ms)
		})
	}
}

func TestMboxReaderRefuses(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"single message", "Return-Path: <a@x>\nSubject: s\n\nbody\n", "line 1 is a header field"},
		{"text", "\nDear diary,\n", "line 2 does not start with \"From \""},
		{"gzip", "\x1f\x8b\x08\x00\x00\x00", "gzip"},
		{"zip", "PK\x03\x04\x14\x00", "zip archive"},
		{"bare From", "From \nSubject: s\n", "does not start"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewMboxReader(strings.NewReader(tt.in))
			_, err := r.Next()
			if !errors.Is(err, ErrNotMbox) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want ErrNotMbox mentioning %q", err, tt.want)
			}
			if _, err2 := r.Next(); !errors.Is(err2, ErrNotMbox) {
				t.Errorf("second Next: %v", err2)
			}
		})
	}
}

func TestMboxReaderTooLarge(t *testing.T) {
	big := strings.Repeat("x", 300) // one long line, and many short ones
	in := "From a@x Mon Jan  2 15:04:05 2006\nA: 1\n\nsmall\n\n" +
		"From b@x Mon Jan  2 15:04:05 2006\nB: 2\n\n" + big + "\n\n" +
		"From c@x Mon Jan  2 15:04:05 2006\nC: 3\n\n" + strings.Repeat("y\n", 200) + "\n" +
		"From d@x Mon Jan  2 15:04:05 2006\nD: 4\n\nsmall\n"
	r := NewMboxReader(strings.NewReader(in))
	r.MaxSize = 100
	msgs, skipped, err := readAll(t, r)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2 || msgs[0].From != "a@x" || msgs[1].From != "d@x" || msgs[1].Number != 4 {
		t.Fatalf("messages: %+v", msgs)
	}
	if len(skipped) != 2 || skipped[0].Number != 2 || skipped[0].Line != 6 || skipped[1].Number != 3 ||
		!errors.Is(skipped[0], ErrMessageTooLarge) || skipped[0].Error() != "message 2 (line 6): message too large: over 100 bytes" {
		t.Fatalf("skipped: %v", skipped)
	}
}

func TestMboxReaderReadError(t *testing.T) {
	in := io.MultiReader(strings.NewReader("From a@x Mon Jan  2 15:04:05 2006\nA: 1\n"), iotest.ErrReader(errors.New("disk gone")))
	r := NewMboxReader(in)
	if _, err := r.Next(); err == nil || !strings.Contains(err.Error(), "disk gone") {
		t.Fatalf("err = %v", err)
	}
	if _, err := r.Next(); err == nil || err == io.EOF {
		t.Fatalf("after a read error: %v", err)
	}
}

func TestMboxWriter(t *testing.T) {
	var b bytes.Buffer
	w := NewMboxWriter(&b)
	date := time.Date(2026, 11, 3, 9, 5, 7, 0, time.FixedZone("CET", 3600))
	if err := w.Write("anna@example.net", date, []byte("Subject: s\r\n\r\nFrom x\r\n>From y\r\n>>From z\r\n>Fromage\r\nend")); err != nil {
		t.Fatal(err)
	}
	if err := w.Write("a b\n", time.Time{}, nil); err != nil {
		t.Fatal(err)
	}
	if err := w.Write("", date, []byte("A: 1\n\n\n")); err != nil {
		t.Fatal(err)
	}
	want := "From anna@example.net Tue Nov  3 08:05:07 2026\nSubject: s\n\n>From x\n>>From y\n>>>From z\n>Fromage\nend\n\n" +
		"From ab Thu Jan  1 00:00:00 1970\n\n" +
		"From MAILER-DAEMON Tue Nov  3 08:05:07 2026\nA: 1\n\n\n\n"
	if b.String() != want {
		t.Fatalf("got\n%q\nwant\n%q", b.String(), want)
	}
	msgs, _, err := readAll(t, NewMboxReader(&b))
	if err != nil || len(msgs) != 3 {
		t.Fatalf("read back: %d, %v", len(msgs), err)
	}
	if string(msgs[0].Raw) != "Subject: s\n\nFrom x\n>From y\n>>From z\n>Fromage\nend\n" || len(msgs[1].Raw) != 0 ||
		string(msgs[2].Raw) != "A: 1\n\n\n" || !msgs[0].Date.Equal(date) || msgs[2].From != "MAILER-DAEMON" {
		t.Errorf("read back: %q %q %q %v", msgs[0].Raw, msgs[1].Raw, msgs[2].Raw, msgs[0].Date)
	}
}

func TestMboxWriterError(t *testing.T) {
	w := NewMboxWriter(failWriter{})
	if err := w.Write("a@x", time.Now(), []byte("A: 1\n")); err == nil || !strings.Contains(err.Error(), "write mbox") {
		t.Fatalf("err = %v", err)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("closed") }

// normalized is a message as the writer stores it: LF line ends, a last line ended.
func normalized(raw []byte) []byte {
	var out []byte
	for len(raw) > 0 {
		line := raw
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			line, raw = raw[:i], raw[i+1:]
		} else {
			raw = nil
		}
		out = append(append(out, bytes.TrimSuffix(line, []byte("\r"))...), '\n')
	}
	return out
}

func FuzzMboxReader(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "mbox", "*.mbox"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seeds: %v", err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("From a@x Mon Jan  2 15:04:05 2006\n\n>From\n\nFrom b"))
	f.Add([]byte("From \r\n\r\nFrom x 1:00 1999\r\n>>>From \r"))
	f.Fuzz(func(t *testing.T, in []byte) {
		r := NewMboxReader(bytes.NewReader(in))
		r.MaxSize = 1 << 16
		msgs, skipped, err := readAll(t, r)
		if err != nil && !errors.Is(err, ErrNotMbox) {
			t.Fatalf("unexpected error on in-memory input: %v", err)
		}
		total := 0
		for _, m := range msgs {
			if m.Raw == nil || m.Line < 1 || m.Number < 1 {
				t.Fatalf("bad message %+v", m)
			}
			total += len(m.Raw)
		}
		if total > len(in) {
			t.Fatalf("messages hold %d bytes of a %d-byte input", total, len(in))
		}
		for _, s := range skipped {
			if !errors.Is(s, ErrMessageTooLarge) {
				t.Fatalf("skipped for %v", s)
			}
		}
		// Whatever was read comes back the same through the writer and the reader.
		var b bytes.Buffer
		w := NewMboxWriter(&b)
		for _, m := range msgs {
			if err := w.Write(m.From, m.Date, m.Raw); err != nil {
				t.Fatal(err)
			}
		}
		again, _, err := readAll(t, NewMboxReader(&b))
		if err != nil || len(again) != len(msgs) {
			t.Fatalf("read back %d of %d messages: %v", len(again), len(msgs), err)
		}
		for i, m := range again {
			if want := normalized(msgs[i].Raw); !bytes.Equal(m.Raw, want) {
				t.Fatalf("message %d: got %q, want %q", i+1, m.Raw, want)
			}
		}
	})
}
