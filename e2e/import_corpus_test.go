package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
)

// corpusDirs hold real-world test messages from Debian packages: HyperKitty's import
// tests (python3-django-hyperkitty) and Python's email package tests
// (libpython3.11-testsuite).
var corpusDirs = []string{
	"/usr/lib/python3/dist-packages/hyperkitty/tests/testdata",
	"/usr/lib/python3.11/test/test_email/data",
}

// corpusScript gathers the corpus into one mbox (every *.txt: an mbox's messages, or
// one message), then reads that mbox back with Python's mailbox module and prints
// each message's Message-ID and author name as Python's email.utils reads them. The
// test files share Message-IDs, so each message gets its own in front.
const corpusScript = `
import email, email.header, email.utils, glob, json, mailbox, os, sys

def name_of(m):
    v = m.get('From')
    if v is None:
        return ''
    name, _ = email.utils.parseaddr(str(v))
    try:
        name = str(email.header.make_header(email.header.decode_header(name)))
    except Exception:
        pass
    return ' '.join(name.split())

out = sys.argv[1]
box = mailbox.mbox(out, create=True)
n = 0
def add(raw):
    global n
    n += 1
    box.add(b'Message-ID: <corpus-%d@test.invalid>\n' % n + raw)

for d in sys.argv[2:]:
    for f in sorted(glob.glob(os.path.join(d, '*.txt'))):
        with open(f, 'rb') as fh:
            data = fh.read()
        if data.startswith(b'From '):
            src = mailbox.mbox(f, create=False)
            for key in src.keys():
                add(src.get_bytes(key))
        else:
            add(data)
box.flush()
box.close()
msgs = [{'name': name_of(m), 'message_id': str(m.get('Message-ID', '')).strip('<> ')}
        for m in mailbox.mbox(out, create=False)]
json.dump(msgs, sys.stdout)
`

// TestArchiveImportCorpus: every message that Python's mailbox module reads from the
// corpus is imported, with the author name Python reads (pipermail's "user at domain
// (Name)" and multiparts without a boundary among them).
func TestArchiveImportCorpus(t *testing.T) {
	python := need(t, "python3")
	for _, dir := range corpusDirs {
		if _, err := os.Stat(dir); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is missing; .ci/run installs it", dir)
			}
			t.Skipf("%s is missing", dir)
		}
	}
	d := newDaemon(t, options{})
	d.mustCLI("list", "create", "korpus", "-archive", "public", "-anonymous", "no")
	d.start()
	mbox := filepath.Join(d.dir, "corpus.mbox")
	out, err := exec.Command(python, append([]string{"-c", corpusScript, mbox}, corpusDirs...)...).Output()
	if err != nil {
		t.Fatalf("python: %v", err)
	}
	var want []struct {
		Name      string `json:"name"`
		MessageID string `json:"message_id"`
	}
	if err := json.Unmarshal(out, &want); err != nil || len(want) < 50 {
		t.Fatalf("python read %d messages (%v)", len(want), err)
	}
	stdout, stderr, code := runListd(t, d.config, "archive", "import", "korpus", mbox)
	if m := regexp.MustCompile(`^imported (\d+) messages into korpus \(0 duplicates skipped, 0 unreadable\)`).FindStringSubmatch(stdout); code != 0 || m == nil || m[1] != strconv.Itoa(len(want)) {
		t.Fatalf("python read %d messages; listd: exit %d, %q, %q", len(want), code, stdout, stderr)
	}
	var got []map[string]any
	if code := getJSON(t, d.httpBase+"/api/v1/lists/korpus/messages?limit=500", &got); code != 200 || len(got) != len(want) {
		t.Fatalf("messages: %d, %d of %d", code, len(got), len(want))
	}
	names := map[string]any{}
	for _, m := range got {
		names[m["message_id"].(string)] = m["from_name"]
	}
	named := 0
	for _, w := range want {
		if w.Name != "" {
			named++
		}
		if names[w.MessageID] != w.Name {
			t.Errorf("%s: from_name %q, python reads %q", w.MessageID, names[w.MessageID], w.Name)
		}
	}
	t.Logf("%d messages read by python (%d with a name), all imported", len(want), named)
}
