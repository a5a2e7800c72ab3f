package e2e

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// need finds an outside program; in CI it must be there (.ci/run installs it).
func need(t *testing.T, prog string) string {
	t.Helper()
	path, err := exec.LookPath(prog)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not installed; .ci/run installs it", prog)
		}
		t.Skipf("%s is not installed", prog)
	}
	return path
}

// TestOutsideClients posts with programs nobody here wrote: Python's smtplib and swaks.
func TestOutsideClients(t *testing.T) {
	t.Parallel()
	sk := newSink(t)
	d := newDaemon(t, options{relay: sk.addr})
	d.mustCLI("list", "create", "kita")
	d.mustCLI("member", "add", "kita", "anna@example.net")
	d.start()
	host, port, _ := strings.Cut(d.addrs["smtp"], ":")

	t.Run("python smtplib", func(t *testing.T) {
		py := need(t, "python3")
		script := `
import smtplib, sys
from email.message import EmailMessage
m = EmailMessage()
m["From"] = "Anna <anna@example.net>"
m["To"] = "kita@lists.example.org"
m["Subject"] = "Grüße aus Python"
m.set_content("Schöne Grüße!\n")
with smtplib.SMTP(sys.argv[1], int(sys.argv[2]), timeout=20) as s:
    s.send_message(m)
    try:
        s.sendmail("eve@example.com", ["kita@lists.example.org"], "Subject: x\r\n\r\nx\r\n")
        print("stranger accepted")
    except smtplib.SMTPRecipientsRefused as e:
        print("refused", e)
    except smtplib.SMTPDataError as e:
        print("refused", e.smtp_code, e.smtp_error.decode())
`
		out, err := exec.Command(py, "-c", script, host, port).CombinedOutput()
		if err != nil {
			t.Fatalf("python: %v\n%s", err, out)
		}
		if !strings.Contains(string(out), "refused 550 5.7.1") {
			t.Errorf("stranger's post: %s", out)
		}
		got := sk.waitFor(t, 1, 20*time.Second)
		if !strings.Contains(string(got[0].Data), "=?utf-8?q?[kita]_Gr=C3=BC=C3=9Fe_aus_Python?=") && !strings.Contains(string(got[0].Data), "[kita]") {
			t.Errorf("copy:\n%s", got[0].Data)
		}
	})
	t.Run("swaks", func(t *testing.T) {
		swaks := need(t, "swaks")
		before := len(sk.snapshot())
		out, err := exec.Command(swaks, "--server", host, "--port", port, "--from", "anna@example.net",
			"--to", "kita@lists.example.org", "--header", "Subject: Hallo von swaks", "--body", "Hallo!").CombinedOutput()
		if err != nil {
			t.Fatalf("swaks: %v\n%s", err, out)
		}
		sk.waitFor(t, before+1, 20*time.Second)
		out, err = exec.Command(swaks, "--server", host, "--port", port, "--from", "anna@example.net",
			"--to", "nosuch@lists.example.org").CombinedOutput()
		if err == nil || !strings.Contains(string(out), "550 5.1.1") {
			t.Errorf("swaks to an unknown list: %v\n%s", err, out)
		}
	})
}
