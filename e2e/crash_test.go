package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestCrashDuringFanout kills listd (SIGKILL) in the middle of a 2,000-member fan-out
// and restarts it: every member still gets the post. Copies that reached the relay
// but whose outcome was not yet written go out again; their number is reported.
func TestCrashDuringFanout(t *testing.T) {
	// Not parallel: the bound on repeated copies counts what is in flight at the kill,
	// which other tests running at the same time would stretch.
	const n = 2000
	sk := newSink(t)
	sk.delay = 2 * time.Millisecond // slow enough to stop it half way
	d := newDaemon(t, options{relay: sk.addr})
	d.mustCLI("list", "create", "umgang", "-title", "Umgang")
	d.importMembers("umgang", "member%04d@example.net", n)
	d.start()
	raw := strings.Replace(post("member0001@example.net", "Umgangsrecht", "Frage zum Umgang.\r\n"), "kita@", "umgang@", 1)
	if err := send(d.addrs["smtp"], "member0001@example.net", []string{"umgang@" + domain}, raw); err != nil {
		t.Fatal(err)
	}
	before := sk.waitFor(t, n/4, 60*time.Second)
	d.kill()
	atKill := len(sk.snapshot())
	if atKill >= n {
		t.Fatalf("fan-out finished before the kill (%d copies); the test proves nothing", atKill)
	}
	_ = before

	d.start()
	dups := sk.waitEveryRecipient(t, n, 90*time.Second)
	t.Logf("crash at %d of %d copies: after restart every member got the post; duplicates: %d", atKill, n, dups)
	fmt.Printf("crash-fanout: killed after %d of %d copies, duplicates after restart: %d\n", atKill, n, dups)
}

// TestGracefulStop: SIGTERM during a fan-out lets the transactions in flight finish,
// exits 0, and the rest goes out after the next start.
func TestGracefulStop(t *testing.T) {
	// Not parallel: the bound on repeated copies counts what is in flight at the kill,
	// which other tests running at the same time would stretch.
	const n = 300
	sk := newSink(t)
	sk.delay = 5 * time.Millisecond
	d := newDaemon(t, options{relay: sk.addr})
	d.mustCLI("list", "create", "job")
	d.importMembers("job", "m%03d@example.net", n)
	d.start()
	raw := strings.Replace(post("m001@example.net", "Teilzeit", "Teilzeit?\r\n"), "kita@", "job@", 1)
	if err := send(d.addrs["smtp"], "m001@example.net", []string{"job@" + domain}, raw); err != nil {
		t.Fatal(err)
	}
	sk.waitFor(t, 20, 30*time.Second)
	if code := d.stop(40 * time.Second); code != 0 {
		t.Fatalf("exit code after SIGTERM = %d", code)
	}
	atStop := len(sk.snapshot())
	d.start()
	got := sk.waitFor(t, n, 60*time.Second)
	per := map[string]int{}
	for _, m := range got {
		per[m.To]++
	}
	dups := len(got) - len(per)
	if len(per) != n || dups != 0 {
		t.Errorf("after a clean stop at %d copies: %d members, %d duplicates (want %d, 0)", atStop, len(per), dups, n)
	}
}
