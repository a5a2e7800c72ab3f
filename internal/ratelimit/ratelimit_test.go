package ratelimit

import (
	"fmt"
	"net"
	"net/netip"
	"testing"
	"time"
)

func TestKey(t *testing.T) {
	tests := []struct{ remote, want string }{
		{"203.0.113.7:5000", "203.0.113.0/24"},
		{"203.0.113.200:1", "203.0.113.0/24"},
		{"203.0.114.1:1", "203.0.114.0/24"},
		{"[::ffff:203.0.113.3]:5002", "203.0.113.0/24"},
		{"203.0.113.9", "203.0.113.0/24"},
		{"127.0.0.1:4000", "127.0.0.0/24"},
		{"[2001:db8:1:2:aaaa::1]:4000", "2001:db8:1:2::/64"},
		{"[2001:db8:1:2:ffff::3]:1", "2001:db8:1:2::/64"},
		{"[2001:db8:1:3::1]:1", "2001:db8:1:3::/64"},
		{"[fe80::1%eth0]:143", "fe80::/64"},
		{"2001:db8::1", "2001:db8::/64"},
		{"@", "@"}, // a Unix socket's peer
		{"/run/listd.sock", "/run/listd.sock"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := Key(tt.remote); got != tt.want {
			t.Errorf("Key(%q) = %q, want %q", tt.remote, got, tt.want)
		}
	}
	// net.Addr's String is what IMAP has.
	a := &net.TCPAddr{IP: net.ParseIP("2001:db8:1:2:bbbb::9"), Port: 143}
	if got := Key(a.String()); got != "2001:db8:1:2::/64" {
		t.Errorf("Key(%v) = %q", a, got)
	}
	if p := Network(netip.Addr{}); p.IsValid() {
		t.Errorf("Network of no address = %v", p)
	}
}

// clock is a settable time for the Limiter.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestLimiter(t *testing.T) {
	type step struct {
		after time.Duration // the clock moves first
		op    string        // "take", "add" or "allowed"
		key   string
		want  bool // of take and allowed
	}
	tests := []struct {
		name   string
		max    int
		window time.Duration
		steps  []step
	}{
		{"form posts: max per window, refused ones count", 2, time.Minute, []step{
			{0, "take", "a", true},
			{0, "take", "a", true},
			{0, "take", "a", false},
			{0, "take", "b", true},
			{59 * time.Second, "take", "a", false},
			{time.Second, "take", "a", true}, // the window began at a's first post
			{0, "take", "a", true},
			{0, "take", "a", false},
		}},
		{"failed logins: allowed until max, then the window", 3, 15 * time.Minute, []step{
			{0, "allowed", "a", true},
			{0, "add", "a", false},
			{0, "add", "a", false},
			{0, "allowed", "a", true},
			{0, "add", "a", false},
			{0, "allowed", "a", false},
			{0, "allowed", "b", true},
			{14 * time.Minute, "allowed", "a", false},
			{time.Minute, "allowed", "a", true},
			{0, "add", "a", false},
			{0, "allowed", "a", true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &clock{time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
			l := New(tt.max, tt.window, c.now)
			for i, st := range tt.steps {
				c.t = c.t.Add(st.after)
				var got bool
				switch st.op {
				case "take":
					got = l.Take(st.key)
				case "add":
					l.Add(st.key)
					continue
				case "allowed":
					got = l.Allowed(st.key)
				}
				if got != st.want {
					t.Errorf("step %d: %s(%q) = %v, want %v", i, st.op, st.key, got, st.want)
				}
			}
		})
	}
}

func TestLimiterBounded(t *testing.T) {
	c := &clock{time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
	l := New(3, time.Minute, c.now)
	for i := 0; i < maxTracked+10; i++ {
		c.t = c.t.Add(time.Millisecond)
		l.Add(fmt.Sprint(i))
	}
	if len(l.counts) > maxTracked {
		t.Errorf("%d keys tracked", len(l.counts))
	}
	if l.Take(fmt.Sprint(maxTracked+9)) != true {
		t.Error("the newest key was dropped")
	}
}

func TestShared(t *testing.T) {
	for _, tt := range []struct {
		ip     string
		shared bool
	}{
		{"127.0.0.1", true}, {"::1", true}, {"10.1.2.3", true}, {"192.168.178.20", true}, {"172.17.0.1", true},
		{"fd00::1", true}, {"fe80::1", true}, {"169.254.1.1", true}, {"0.0.0.0", true}, {"::ffff:127.0.0.1", true},
		{"192.0.2.7", false}, {"198.51.100.9", false}, {"2001:db8::1", false}, {"::ffff:192.0.2.7", false},
	} {
		if got := Shared(netip.MustParseAddr(tt.ip)); got != tt.shared {
			t.Errorf("Shared(%s) = %v, want %v", tt.ip, got, tt.shared)
		}
	}
	if !Shared(netip.Addr{}) {
		t.Error("no address is not shared")
	}
}
