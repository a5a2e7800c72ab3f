package migrate

import (
	"os"
	"testing"
)

func fuzzRoster(t *testing.T, r *Roster) {
	r.Finish()
	for _, m := range r.Members() {
		if m.Address == "" || m.Mode == "" || m.Role == "" {
			t.Fatalf("incomplete member %+v", m)
		}
	}
}

func FuzzReadDumpdb(f *testing.F) {
	if b, err := os.ReadFile("testdata/dumpdb.txt"); err == nil {
		f.Add(b)
	}
	f.Add([]byte("{'members': {'a@b.c': 0}, 'owner': ['x@y.z']}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewRoster()
		r.ReadDumpdb("f", data)
		fuzzRoster(t, r)
	})
}

func FuzzReadConfigList(f *testing.F) {
	f.Add([]byte("real_name = 'Kita'\nowner = ['o@example.org']\nmoderator = [\n'm@example.org']\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewRoster()
		r.ReadConfigList("f", data)
		fuzzRoster(t, r)
	})
}

func FuzzReadListMembers(f *testing.F) {
	f.Add("digest-plain.txt", []byte("Anna <a@example.net>\nb@example.net\n"))
	f.Add("moderated.txt", []byte("\"M\xfcller, A\" <a@example.net>\n"))
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		r := NewRoster()
		r.ReadListMembers(name, data)
		Mailman2Kind(name, data)
		fuzzRoster(t, r)
	})
}

func FuzzReadPostoriusCSV(f *testing.F) {
	f.Add([]byte("email,display_name,delivery_mode,delivery_status,moderation_action,role\na@example.net,A,mime_digests,enabled,hold,member\n"))
	f.Add([]byte("\ufeffName;Email\nA;a@example.net\n"))
	f.Add([]byte("a@example.net\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewRoster()
		r.ReadPostoriusCSV("f", data)
		fuzzRoster(t, r)
	})
}
