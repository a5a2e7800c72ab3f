package e2e

import (
	"bufio"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestHeaderBombAndSessionLimit: a stranger's mail with 700,000 header fields is
// refused with 552 5.3.4 and a sentence, and listd stays small; a connection beyond
// max_sessions is greeted with 421 4.7.0.
func TestHeaderBombAndSessionLimit(t *testing.T) {
	sk := newSink(t)
	d := newDaemon(t, options{relay: sk.addr})
	d.mustCLI("list", "create", "kita")
	d.mustCLI("member", "add", "kita", "anna@example.net")
	d.start()
	host, port, _ := strings.Cut(d.addrs["smtp"], ":")

	py := need(t, "python3")
	script := `
import smtplib, sys
head = "From: %s\r\nTo: kita@lists.example.org\r\nSubject: x\r\n"
bomb = head % "eve@example.com" + "".join("X-%05d: y\r\n" % (i % 100000) for i in range(700000)) + "\r\nx\r\n"
ok = head % "anna@example.net" + "".join("Received: from relay%d.example.net by mx.example.org; Sat, 5 Dec 2026 10:00:00 +0100\r\n" % i for i in range(60)) + "\r\nHallo\r\n"
with smtplib.SMTP(sys.argv[1], int(sys.argv[2]), timeout=60) as s:
    for name, sender, msg in (("bomb", "eve@example.com", bomb), ("ordinary", "anna@example.net", ok)):
        try:
            s.sendmail(sender, ["kita@lists.example.org"], msg.encode())
            print(name, "accepted")
        except smtplib.SMTPDataError as e:
            print(name, "refused", e.smtp_code, e.smtp_error.decode())
`
	out, err := exec.Command(py, "-c", script, host, port).CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "bomb refused 552 5.3.4 Der Kopf der Nachricht hat mehr als 1000 Felder; nichts wurde zugestellt. / The header of the message has more than 1000 fields; nothing was delivered.") {
		t.Errorf("header bomb: %s", out)
	}
	if !strings.Contains(string(out), "ordinary accepted") {
		t.Errorf("a post with 60 Received fields: %s", out)
	}

	// max_sessions is 100 by default; loopback is not limited per network.
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := range 101 {
		c, err := net.Dial("tcp", d.addrs["smtp"])
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		c.SetDeadline(time.Now().Add(20 * time.Second))
		line, err := bufio.NewReader(c).ReadString('\n')
		if err != nil {
			t.Fatalf("connection %d: %v", i+1, err)
		}
		want := "220 "
		if i == 100 {
			want = "421 4.7.0 Too many connections"
		}
		if !strings.HasPrefix(line, want) {
			t.Fatalf("connection %d greeted %q, want %q", i+1, line, want)
		}
	}
}
