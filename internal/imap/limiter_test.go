package imap

import (
	"fmt"
	"net"
	"testing"
	"time"
)

func TestLimiterKey(t *testing.T) {
	tests := []struct {
		addr net.Addr
		want string
	}{
		{&net.TCPAddr{IP: net.ParseIP("127.0.0.1"), Port: 4000}, "127.0.0.1"},
		{&net.TCPAddr{IP: net.ParseIP("2001:db8:1:2:aaaa::1"), Port: 4000}, "2001:db8:1:2::"},
		{&net.TCPAddr{IP: net.ParseIP("2001:db8:1:2:bbbb::9"), Port: 1}, "2001:db8:1:2::"},
		{&net.TCPAddr{IP: net.ParseIP("::ffff:192.0.2.1"), Port: 1}, "192.0.2.1"},
	}
	for _, tt := range tests {
		if got := limiterKey(tt.addr); got != tt.want {
			t.Errorf("limiterKey(%v) = %q, want %q", tt.addr, got, tt.want)
		}
	}
}

func TestLimiter(t *testing.T) {
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	l := newLimiter(3, time.Minute, func() time.Time { return now })
	for i := 0; i < 3; i++ {
		if !l.allowed("a") {
			t.Fatalf("refused after %d failures", i)
		}
		l.fail("a")
	}
	if l.allowed("a") || !l.allowed("b") {
		t.Fatal("the limit is not per address")
	}
	now = now.Add(time.Minute)
	if !l.allowed("a") {
		t.Fatal("still refused after the window")
	}
	// The map stays bounded.
	for i := 0; i < maxTracked+10; i++ {
		now = now.Add(time.Millisecond)
		l.fail(fmt.Sprint(i))
	}
	if len(l.fails) > maxTracked {
		t.Errorf("%d addresses tracked", len(l.fails))
	}
}

func TestIsLoopback(t *testing.T) {
	for _, tt := range []struct {
		addr net.Addr
		want bool
	}{
		{&net.TCPAddr{IP: net.ParseIP("127.0.0.1")}, true},
		{&net.TCPAddr{IP: net.ParseIP("::1")}, true},
		{&net.TCPAddr{IP: net.ParseIP("192.0.2.1")}, false},
		{&net.UnixAddr{Name: "/x", Net: "unix"}, false},
	} {
		if got := isLoopback(tt.addr); got != tt.want {
			t.Errorf("isLoopback(%v) = %v", tt.addr, got)
		}
	}
}
