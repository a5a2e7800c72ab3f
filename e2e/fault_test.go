package e2e

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"
)

// metric reads one sample from /metrics, e.g. `listd_queue_rows{state="sent"}`.
func metric(t *testing.T, d *daemon, name string) float64 {
	t.Helper()
	body := httpGet(t, d.httpBase+"/metrics")
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + ` (\S+)$`).FindStringSubmatch(body)
	if m == nil {
		return 0
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	return v
}

func waitMetric(t *testing.T, d *daemon, name string, want float64) {
	t.Helper()
	end := time.Now().Add(20 * time.Second)
	for metric(t, d, name) != want {
		if time.Now().After(end) {
			t.Fatalf("%s = %v, want %v", name, metric(t, d, name), want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestRelayErrors: a 5xx from the relay is a permanent failure for that member only,
// a 4xx is retried later, and everyone else gets the post.
func TestRelayErrors(t *testing.T) {
	t.Parallel()
	sk := newSink(t)
	sk.fail = func(rcpt string) error {
		switch rcpt {
		case "gone@example.net":
			return &gosmtp.SMTPError{Code: 550, EnhancedCode: gosmtp.EnhancedCode{5, 1, 1}, Message: "No such user"}
		case "full@example.net":
			return &gosmtp.SMTPError{Code: 452, EnhancedCode: gosmtp.EnhancedCode{4, 2, 2}, Message: "Mailbox full"}
		}
		return nil
	}
	d := newDaemon(t, options{relay: sk.addr})
	d.mustCLI("list", "create", "kita")
	for _, m := range []string{"anna@example.net", "gone@example.net", "full@example.net", "ben@example.net"} {
		d.mustCLI("member", "add", "kita", m)
	}
	d.start()
	if err := send(d.addrs["smtp"], "anna@example.net", []string{"kita@" + domain}, post("anna@example.net", "Hallo", "Hallo\r\n")); err != nil {
		t.Fatal(err)
	}
	sk.waitFor(t, 2, 20*time.Second)
	waitMetric(t, d, `listd_queue_rows{state="sent"}`, 2)
	waitMetric(t, d, `listd_queue_rows{state="failed"}`, 1)
	waitMetric(t, d, `listd_queue_rows{state="queued"}`, 1)
	if v := metric(t, d, `listd_deliveries_total{result="deferred"}`); v < 1 {
		t.Errorf("deferred deliveries = %v", v)
	}
}

// TestRelayDown: with the relay unreachable the post is accepted and kept, retried
// with backoff, and delivered once the relay is back.
// It does not run in parallel: it frees a port and listens on it again later, and
// another test could take the port in between.
func TestRelayDown(t *testing.T) {
	l, err := netListen()
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens here now
	d := newDaemon(t, options{relay: addr, extra: "[delivery]\nretry_initial = \"300ms\"\n"})
	d.mustCLI("list", "create", "kita")
	d.mustCLI("member", "add", "kita", "anna@example.net")
	d.start()
	if err := send(d.addrs["smtp"], "anna@example.net", []string{"kita@" + domain}, post("anna@example.net", "Hallo", "Hallo\r\n")); err != nil {
		t.Fatal(err)
	}
	end := time.Now().Add(20 * time.Second)
	for metric(t, d, `listd_deliveries_total{result="deferred"}`) < 2 {
		if time.Now().After(end) {
			t.Fatal("the copy was not retried while the relay was down")
		}
		time.Sleep(50 * time.Millisecond)
	}
	sk := newSinkAt(t, addr)
	sk.waitFor(t, 1, 30*time.Second)
	waitMetric(t, d, `listd_queue_rows{state="sent"}`, 1)
}

// TestDiskFull: with the data dir on a full file system the sender is told to retry
// (452 4.3.1), listd keeps running, and mail is taken again once there is room.
func TestDiskFull(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a small tmpfs")
	}
	dir := t.TempDir()
	mnt := filepath.Join(dir, "small")
	os.Mkdir(mnt, 0o700)
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", mnt).CombinedOutput(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("mount tmpfs: %v %s", err, out)
		}
		t.Skipf("cannot mount tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", mnt).Run() })

	sk := newSink(t)
	d := newDaemon(t, options{relay: sk.addr})
	cfg := strings.Replace(mustRead(t, d.config), filepath.Join(d.dir, "data"), filepath.Join(mnt, "data"), 1)
	os.WriteFile(d.config, []byte(cfg), 0o600)
	d.mustCLI("list", "create", "kita")
	d.mustCLI("member", "add", "kita", "anna@example.net")
	d.start()

	// Fill the file system, leaving less than one post needs.
	filler := filepath.Join(mnt, "filler")
	exec.Command("dd", "if=/dev/zero", "of="+filler, "bs=64k").Run()
	// Random text: posts are stored compressed, and repeated text would shrink to
	// nothing.
	noise := make([]byte, 360000)
	rand.NewChaCha8([32]byte{3}).Read(noise)
	var body strings.Builder
	for enc := base64.StdEncoding.EncodeToString(noise); len(enc) > 0; enc = enc[min(76, len(enc)):] {
		body.WriteString(enc[:min(76, len(enc))] + "\r\n")
	}
	big := post("anna@example.net", "Groß", body.String())
	var code int
	var enh string
	for i := 0; i < 5 && code == 0; i++ {
		err := send(d.addrs["smtp"], "anna@example.net", []string{"kita@" + domain},
			strings.Replace(big, "Subject: Groß", fmt.Sprintf("Subject: Groß %d", i), 1))
		code, enh = smtpCode(err)
	}
	if code != 452 || enh != "4.3.1" {
		t.Fatalf("post to a full disk: %d %s, want 452 4.3.1\n%s", code, enh, d.log.String())
	}
	if !d.running() {
		t.Fatal("listd exited on a full disk")
	}
	os.Remove(filler)
	if err := send(d.addrs["smtp"], "anna@example.net", []string{"kita@" + domain}, post("anna@example.net", "Wieder da", "Platz!\r\n")); err != nil {
		t.Fatalf("after freeing space: %v", err)
	}
	sk.waitFor(t, 1, 20*time.Second)
}
