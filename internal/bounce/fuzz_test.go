package bounce

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func FuzzParse(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.eml"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seeds: %v", err)
	}
	// Mailman's test bounces too, where installed.
	flufl, _ := filepath.Glob(filepath.Join(fluflDir, "tests", "data", "*.txt"))
	for _, name := range append(files, flufl...) {
		raw, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Add([]byte("From: MAILER-DAEMON@example.org\nContent-Type: multipart/report; boundary=\"b\"\n\n--b\nContent-Type: message/delivery-status\n\nFinal-Recipient: rfc822; a@example.org\nAction: failed\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		rep, err := Parse(raw)
		if errors.Is(err, errInternal) {
			t.Fatal(err)
		}
		if err != nil {
			if rep != nil {
				t.Fatalf("report %+v with error %v", rep, err)
			}
			return
		}
		if rep == nil {
			t.Fatal("nil report without error")
		}
		checkReport(t, rep)
	})
}
