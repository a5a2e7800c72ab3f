package e2e

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"
)

// TestPostfixEndToEnd runs Debian's Postfix as a private instance in front of listd,
// configured from what `listd postfix-config` prints: the list domain's mail comes from
// the internet through Postfix and reaches listd over LMTP on a unix socket, listd's
// copies go out through Postfix and land in Maildirs, an unknown list address is
// refused with 550 at RCPT, and a member's mail provider refusing an address comes
// back as Postfix's DSN to the member's bounce address and is counted.
//
// The instance trusts only 127.0.0.1 (mynetworks), where listd relays from; the test
// speaks to it from 127.0.0.2 like a stranger on the internet, which gets no
// permit_mynetworks and meets the recipient restrictions listd printed.
//
// It does not run in parallel: Postfix listens on a port found free beforehand.
func TestPostfixEndToEnd(t *testing.T) {
	pf := newPostfix(t)
	remote := newSink(t) // the dead member's mail provider
	remote.fail = func(rcpt string) error {
		return &gosmtp.SMTPError{Code: 550, EnhancedCode: gosmtp.EnhancedCode{5, 1, 1}, Message: "No such user here"}
	}

	socketDir := filepath.Join(pf.queue, "listd")
	socket := filepath.Join(socketDir, "lmtp")
	d := newDaemon(t, options{relay: pf.addr, extra: fmt.Sprintf("[lmtp]\nlisten = %q\n", "unix:"+socket)})
	d.mustCLI("list", "create", "kita")
	for _, m := range []string{"anna@members.test", "bernd@members.test", "dead@gone.test"} {
		d.mustCLI("member", "add", "kita", m)
	}
	printed := d.mustCLI("postfix-config", "-queue-directory", pf.queue)
	// The admin's step from the printed settings: a directory only listd and postfix enter.
	pf.mkdir(socketDir, 0, pf.gid, 0o750)
	d.start()
	if fi, err := os.Stat(socket); err != nil || fi.Mode().Perm() != 0o666 {
		t.Fatalf("LMTP socket: %v %v, want mode 0666", fi.Mode(), err)
	}

	pf.configure(printed, "gone.test    smtp:["+strings.Replace(remote.addr, ":", "]:", 1)+"\n")
	pf.start()

	stranger := func(from string, rcpts []string, raw string) error {
		return sendFrom("127.0.0.2", pf.addr, from, rcpts, raw)
	}
	list := "kita@" + domain

	// An unknown list address: Postfix asks listd, which refuses it, and says 550.
	var se *gosmtp.SMTPError
	err := stranger("someone@example.net", []string{"nosuch@" + domain}, plain("someone@example.net", "nosuch@"+domain, "Hallo", "Hallo\r\n"))
	if !errors.As(err, &se) || se.Code != 550 || se.EnhancedCode != (gosmtp.EnhancedCode{5, 1, 1}) {
		t.Fatalf("RCPT of an unknown list address from outside: %v, want 550 5.1.1\n%s", err, pf.log())
	}

	// A member's post from outside reaches listd, whose copies land in the Maildirs.
	subject := "Laternenumzug am Freitag"
	if err := stranger("anna@members.test", []string{list}, plain("anna@members.test", list, subject, "Wer kommt mit?\r\n")); err != nil {
		t.Fatalf("post from outside: %v\n%s", err, pf.log())
	}
	copyOf := pf.waitMaildir(t, "bernd", subject, time.Minute)
	if !strings.Contains(copyOf, "Wer kommt mit?") || !strings.Contains(copyOf, "Return-Path: <kita-bounces+bernd=members.test.") {
		t.Errorf("bernd's copy:\n%s", copyOf)
	}
	// Postfix's Received line for the post names the poster's address and HELO name;
	// the copies must not.
	if strings.Contains(copyOf, "127.0.0.2") || strings.Contains(copyOf, "client.example.net") {
		t.Errorf("bernd's copy shows where anna posted from:\n%s", copyOf)
	}

	// The dead member's provider refuses the copy; Postfix's DSN comes back to listd.
	end := time.Now().Add(time.Minute)
	for metric(t, d, `listd_bounces_total{class="hard"}`) != 1 {
		if time.Now().After(end) {
			t.Fatalf("no hard bounce counted\nlistd:\n%s\npostfix:\n%s", d.log.String(), pf.log())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(pf.log(), "to=<kita-bounces+dead=gone.test.") {
		t.Errorf("the DSN did not go to dead@gone.test's bounce address:\n%s", pf.log())
	}
}

// sendFrom is send from the local address local, so that Postfix sees a client
// other than 127.0.0.1.
func sendFrom(local, addr, from string, rcpts []string, raw string) error {
	dialer := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}, Timeout: 10 * time.Second}
	conn, err := dialer.Dial("tcp", addr)
	if err != nil {
		return err
	}
	// Postfix waits for listd's answer to its verification probe before it replies.
	conn.SetDeadline(time.Now().Add(time.Minute))
	return transact(gosmtp.NewClient(conn), from, rcpts, raw)
}

// postfix is one private Postfix instance: its own config, queue, data and mail
// directories, listening on a loopback port.
type postfix struct {
	t                 *testing.T
	dir, etc, queue   string
	addr              string
	uid, gid          int
	postfix, postmap  string
	mailUID, mailGID  int
	mailbase, maillog string
}

// newPostfix prepares an instance, or skips (fails in CI) when Postfix is missing.
func newPostfix(t *testing.T) *postfix {
	t.Helper()
	p := &postfix{t: t, postfix: sbin(t, "postfix"), postmap: sbin(t, "postmap"), mailUID: 65534, mailGID: 65534}
	if os.Geteuid() != 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("a private Postfix instance needs root")
		}
		t.Skip("a private Postfix instance needs root")
	}
	out, err := exec.Command("id", "-u", "postfix").Output()
	if err != nil {
		t.Fatalf("no user postfix: %v", err)
	}
	fmt.Sscan(string(out), &p.uid)
	out, _ = exec.Command("id", "-g", "postfix").Output()
	fmt.Sscan(string(out), &p.gid)

	// Postfix's programs run as postfix and nobody: every parent must be searchable.
	dir, err := os.MkdirTemp("", "listd-postfix")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755)
	t.Cleanup(func() { os.RemoveAll(dir) })
	p.dir, p.etc, p.queue = dir, filepath.Join(dir, "etc"), filepath.Join(dir, "queue")
	p.mailbase, p.maillog = filepath.Join(dir, "mail"), filepath.Join(dir, "maillog")
	p.mkdir(p.etc, 0, 0, 0o755)
	p.mkdir(p.queue, 0, 0, 0o755)
	p.mkdir(p.mailbase, p.mailUID, p.mailGID, 0o755)

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = l.Addr().String()
	l.Close()
	return p
}

// sbin finds one of Postfix's programs, which live in /usr/sbin.
func sbin(t *testing.T, prog string) string {
	t.Helper()
	if path, err := exec.LookPath(prog); err == nil {
		return path
	}
	if _, err := os.Stat("/usr/sbin/" + prog); err == nil {
		return "/usr/sbin/" + prog
	}
	return need(t, prog)
}

func (p *postfix) mkdir(dir string, uid, gid int, mode os.FileMode) {
	p.t.Helper()
	if err := os.MkdirAll(dir, mode); err != nil {
		p.t.Fatal(err)
	}
	if err := os.Chown(dir, uid, gid); err != nil {
		p.t.Fatal(err)
	}
	if err := os.Chmod(dir, mode); err != nil {
		p.t.Fatal(err)
	}
}

// configure writes main.cf from the instance's own settings and the main.cf and
// transport sections of printed (listd postfix-config's output), nothing else of
// listd's; moreTransport adds routes of the test's own.
func (p *postfix) configure(printed, moreTransport string) {
	p.t.Helper()
	// section is the lines under the printed header naming file, up to the next header.
	section := func(file string) string {
		var lines []string
		in := false
		for _, l := range strings.Split(printed, "\n") {
			if strings.HasPrefix(l, "# --- ") {
				in = strings.HasPrefix(l, "# --- "+file+" ")
				continue
			}
			if in {
				lines = append(lines, strings.ReplaceAll(l, "/etc/postfix/transport", filepath.Join(p.etc, "transport")))
			}
		}
		if len(lines) == 0 {
			p.t.Fatalf("postfix-config printed nothing for %s:\n%s", file, printed)
		}
		return strings.Join(lines, "\n") + "\n"
	}
	_, port, _ := net.SplitHostPort(p.addr)
	instance := fmt.Sprintf(`# A private instance on loopback.
compatibility_level = 3.6
queue_directory = %[1]s/queue
data_directory = %[1]s/data
maillog_file = %[1]s/maillog
maillog_file_prefixes = %[1]s
myhostname = mx.example.org
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.1/32
smtpd_peername_lookup = no
smtp_dns_support_level = disabled
# smtpd asks the verify service again after this long (default 3s).
address_verify_poll_delay = 1s
alias_maps =
alias_database =
# The members' mailboxes.
virtual_mailbox_domains = members.test
virtual_mailbox_base = %[1]s/mail
virtual_mailbox_maps = inline:{ anna@members.test=anna/, bernd@members.test=bernd/ }
virtual_uid_maps = static:%[2]d
virtual_gid_maps = static:%[3]d

`, p.dir, p.mailUID, p.mailGID)
	main := instance + section("/etc/postfix/main.cf")
	p.write("main.cf", main)
	p.write("transport", section("/etc/postfix/transport")+moreTransport)
	// Debian's master.cf, with smtpd on the test's port; its lmtp client stays chrooted.
	p.write("master.cf", fmt.Sprintf(`127.0.0.1:%s inet n - n - - smtpd
pickup     unix  n - n 60 1 pickup
cleanup    unix  n - n -  0 cleanup
qmgr       unix  n - n 300 1 qmgr
rewrite    unix  - - n -  - trivial-rewrite
bounce     unix  - - n -  0 bounce
defer      unix  - - n -  0 bounce
trace      unix  - - n -  0 bounce
verify     unix  - - n -  1 verify
flush      unix  n - n 1000? 0 flush
proxymap   unix  - - n -  - proxymap
proxywrite unix  - - n -  1 proxymap
smtp       unix  - - n -  - smtp
relay      unix  - - n -  - smtp
showq      unix  n - n -  - showq
error      unix  - - n -  - error
retry      unix  - - n -  - error
discard    unix  - - n -  - discard
local      unix  - n n -  - local
virtual    unix  - n n -  - virtual
lmtp       unix  - - y -  - lmtp
anvil      unix  - - n -  1 anvil
scache     unix  - - n -  1 scache
postlog    unix-dgram n - n - 1 postlogd
`, port))
	p.run(p.postmap, "-c", p.etc, filepath.Join(p.etc, "transport"))
}

func (p *postfix) write(name, text string) {
	p.t.Helper()
	if err := os.WriteFile(filepath.Join(p.etc, name), []byte(text), 0o644); err != nil {
		p.t.Fatal(err)
	}
}

func (p *postfix) run(prog string, args ...string) {
	p.t.Helper()
	if out, err := exec.Command(prog, args...).CombinedOutput(); err != nil {
		p.t.Fatalf("%s %s: %v\n%s\n%s", filepath.Base(prog), strings.Join(args, " "), err, out, p.log())
	}
}

// start starts the instance and stops it when the test ends.
func (p *postfix) start() {
	p.t.Helper()
	p.t.Cleanup(p.stop)
	p.run(p.postfix, "-c", p.etc, "start")
	end := time.Now().Add(20 * time.Second)
	for {
		if c, err := net.DialTimeout("tcp", p.addr, time.Second); err == nil {
			c.Close()
			return
		}
		if time.Now().After(end) {
			p.t.Fatalf("postfix does not listen on %s\n%s", p.addr, p.log())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop ends the instance and waits until its master process has gone.
func (p *postfix) stop() {
	pid := p.masterPID()
	exec.Command(p.postfix, "-c", p.etc, "stop").Run()
	end := time.Now().Add(15 * time.Second)
	for pid > 0 && syscall.Kill(pid, 0) == nil {
		if time.Now().After(end) {
			syscall.Kill(pid, syscall.SIGKILL)
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if p.t.Failed() {
		p.t.Logf("postfix log:\n%s", p.log())
	}
}

func (p *postfix) masterPID() int {
	b, err := os.ReadFile(filepath.Join(p.queue, "pid", "master.pid"))
	if err != nil {
		return 0
	}
	var pid int
	fmt.Sscan(string(b), &pid)
	return pid
}

func (p *postfix) log() string {
	b, _ := os.ReadFile(p.maillog)
	return string(b)
}

// waitMaildir waits for a message containing want in the mailbox's new/ and returns it.
func (p *postfix) waitMaildir(t *testing.T, mailbox, want string, timeout time.Duration) string {
	t.Helper()
	end := time.Now().Add(timeout)
	for {
		files, _ := filepath.Glob(filepath.Join(p.mailbase, mailbox, "new", "*"))
		for _, f := range files {
			if b, err := os.ReadFile(f); err == nil && strings.Contains(string(b), want) {
				return string(b)
			}
		}
		if time.Now().After(end) {
			t.Fatalf("no message with %q in %s's Maildir\n%s", want, mailbox, p.log())
		}
		time.Sleep(100 * time.Millisecond)
	}
}
