package smtp

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	gosmtp "github.com/emersion/go-smtp"
)

// send posts msg to kita@ with a real SMTP client and returns DATA's reply (nil for 250).
func send(t *testing.T, addr, from string, msg []byte) error {
	t.Helper()
	c, err := gosmtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("client.example.net"); err != nil {
		t.Fatal(err)
	}
	if err := c.Mail(from, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt("kita@lists.example.org", nil); err != nil {
		t.Fatal(err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(msg); err != nil {
		t.Fatal(err)
	}
	return w.Close()
}

// headerBomb is a message from eve@example.com with n header fields of about 12
// bytes each, and a short body.
func headerBomb(n int) []byte {
	var b bytes.Buffer
	b.WriteString("From: eve@example.com\r\nSubject: x\r\n")
	for i := range n {
		fmt.Fprintf(&b, "X-%d: y\r\n", i%1000)
	}
	b.WriteString("\r\nbody\r\n")
	return b.Bytes()
}

func TestHeaderLimits(t *testing.T) {
	addr := newServerWith(t, Config{Domain: "lists.example.org", MaxMessageBytes: 4 << 20, MaxRecipients: 10})
	longField := "Subject: " + strings.Repeat("lang ", 10) + strings.Repeat("\r\n "+strings.Repeat("x", 70), 4000) + "\r\n"
	tests := []struct {
		name string
		msg  []byte
		want string // "" for 250
	}{
		{"ordinary post", []byte("From: anna@example.net\r\nSubject: Hallo\r\n\r\nHallo\r\n"), ""},
		{"a long Received chain passes", append([]byte("From: anna@example.net\r\n"+
			strings.Repeat("Received: from mx.example.net (mx.example.net [192.0.2.1])\r\n\tby mx2.example.org with ESMTPS id 4711\r\n\tfor <kita@lists.example.org>; Sat, 5 Dec 2026 10:00:00 +0100\r\n", 60)+
			strings.Repeat("DKIM-Signature: v=1; a=rsa-sha256; d=example.net; s=sel;\r\n\tb="+strings.Repeat("A", 340)+"\r\n", 8)+
			"Subject: lang\r\n\r\n"), "Hallo\r\n"...), ""},
		{"too many fields", headerBomb(1200), "552 5.3.4 Der Kopf der Nachricht hat mehr als 1000 Felder; nichts wurde zugestellt. / The header of the message has more than 1000 fields"},
		{"too large a header section", []byte("From: eve@example.com\r\n" + longField + "\r\nbody\r\n"), "552 5.3.4 Der Kopf der Nachricht ist größer als 256 KiB; nichts wurde zugestellt. / The header of the message is larger than 256 KiB"},
		{"header without end", []byte("From: eve@example.com\r\n" + longField), "552 5.3.4 Der Kopf der Nachricht ist größer als 256 KiB; nichts wurde zugestellt. / The header of the message is larger than 256 KiB"},
		{"too many fields in a part", []byte("From: eve@example.com\r\nContent-Type: multipart/mixed; boundary=b1\r\n\r\n--b1\r\n" +
			strings.Repeat("X-A: b\r\n", 12000) + "\r\nx\r\n--b1--\r\n"), "554 5.6.0 Die Nachricht ließ sich nicht als Mail lesen (parse message: more than 10000 header fields"},
		{"a large body is not a header", []byte("From: anna@example.net\r\nSubject: gross\r\n\r\n" + strings.Repeat(strings.Repeat("z", 70)+"\r\n", 8000)), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := send(t, addr, "anna@example.net", tt.msg)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("reply %v, want 250", err)
				}
				return
			}
			var se *gosmtp.SMTPError
			if !errors.As(err, &se) {
				t.Fatalf("reply %v, want %s", err, tt.want)
			}
			if got := fmt.Sprintf("%d %d.%d.%d %s", se.Code, se.EnhancedCode[0], se.EnhancedCode[1], se.EnhancedCode[2], se.Message); !strings.HasPrefix(got, tt.want) {
				t.Fatalf("reply %q, want %q", got, tt.want)
			}
		})
	}
}

// TestHeaderBombMemory: a header bomb within the size limit costs a bounded multiple of
// its size, client and server together, instead of being parsed whole.
func TestHeaderBombMemory(t *testing.T) {
	addr := newServerWith(t, Config{Domain: "lists.example.org", MaxMessageBytes: 4 << 20, MaxRecipients: 10})
	msg := headerBomb(200_000) // about 2 MB
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	err := send(t, addr, "eve@example.com", msg)
	runtime.ReadMemStats(&after)
	if se := (*gosmtp.SMTPError)(nil); !errors.As(err, &se) || se.Code != 552 {
		t.Fatalf("reply %v, want 552 5.3.4", err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 10*uint64(len(msg)) {
		t.Fatalf("a %d-byte header bomb allocated %d bytes", len(msg), alloc)
	}
}

func TestHeaderLimitReader(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		maxBytes int
		fields   int
		ok       bool
	}{
		{"within", "A: 1\r\nB: 2\r\n\r\nbody", 100, 2, true},
		{"folded lines are one field", "A: 1\r\n 2\r\n\t3\r\n\r\nbody", 100, 1, true},
		{"one field too many", "A: 1\r\nB: 2\r\nC: 3\r\n\r\nbody", 100, 2, false},
		{"LF only", "A: 1\nB: 2\n\nC: not a field\nD: nor this\n", 100, 2, true},
		{"bytes", "A: 12345678901234567890\r\n\r\n", 20, 10, false},
		{"body is free", "A: 1\r\n\r\n" + strings.Repeat("B: 2\r\n", 100), 20, 2, true},
		{"no header end", strings.Repeat("A: 1\r\n", 5), 20, 10, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := io.ReadAll(newHeaderLimit(iotest.OneByteReader(strings.NewReader(tt.in)), tt.maxBytes, tt.fields))
			if tt.ok != (err == nil) {
				t.Fatalf("err %v, want ok=%v", err, tt.ok)
			}
			if tt.ok && string(out) != tt.in {
				t.Fatalf("read %q, want %q", out, tt.in)
			}
		})
	}
}

// FuzzHeaderLimit: the limiter passes what it reads unchanged, and refuses only a
// header that really is over a limit.
func FuzzHeaderLimit(f *testing.F) {
	f.Add([]byte("A: 1\r\nB: 2\r\n\r\nbody"), 10, 1)
	f.Add([]byte("A: 1\n 2\n\nx"), 100, 5)
	f.Add([]byte("\r\n\r\n"), 1, 1)
	f.Fuzz(func(t *testing.T, in []byte, maxBytes, maxFields int) {
		if maxBytes < 1 || maxFields < 1 {
			return
		}
		out, err := io.ReadAll(newHeaderLimit(bytes.NewReader(in), maxBytes, maxFields))
		if !bytes.HasPrefix(in, out) {
			t.Fatalf("read %q, not a prefix of %q", out, in)
		}
		// The header is every line up to and including the first blank one (CRs aside).
		size, fields, over := 0, 0, false
		for _, line := range bytes.SplitAfter(in, []byte("\n")) {
			size += len(line)
			s := bytes.ReplaceAll(bytes.TrimSuffix(line, []byte("\n")), []byte("\r"), nil)
			if len(s) > 0 && s[0] != ' ' && s[0] != '\t' {
				fields++
			}
			if size > maxBytes || fields > maxFields {
				over = true
				break
			}
			if len(s) == 0 && bytes.HasSuffix(line, []byte("\n")) {
				break
			}
		}
		if over != (err != nil) {
			t.Fatalf("%q with limits %d bytes, %d fields: err %v, want over=%v", in, maxBytes, maxFields, err, over)
		}
		if err == nil && !bytes.Equal(out, in) {
			t.Fatalf("read %q, want %q", out, in)
		}
	})
}

func TestSessionLimit(t *testing.T) {
	addr := newServerWith(t, Config{Domain: "lists.example.org", MaxMessageBytes: 4096, MaxRecipients: 10, MaxSessions: 3, MaxSessionsPerNetwork: 1})
	greet := func() (net.Conn, string) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(10 * time.Second))
		line, err := bufio.NewReader(c).ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		return c, line
	}
	// Loopback is exempt from the per-network limit of 1, not from the overall 3.
	var open []net.Conn
	for range 3 {
		c, line := greet()
		if !strings.HasPrefix(line, "220") {
			t.Fatalf("session %d greeted %q", len(open)+1, line)
		}
		open = append(open, c)
	}
	c, line := greet()
	c.Close()
	if !strings.HasPrefix(line, "421 4.7.0 Too many connections") {
		t.Fatalf("fourth session greeted %q, want 421 4.7.0", line)
	}
	open[0].Close()
	for i := 0; ; i++ {
		c, line := greet()
		c.Close()
		if strings.HasPrefix(line, "220") {
			break
		}
		if i > 50 {
			t.Fatalf("a closed session was not given back: %q", line)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, c := range open[1:] {
		c.Close()
	}
}

func TestSessionLimitPerNetwork(t *testing.T) {
	l := newSessionLimit(nil, 3, 2, nil)
	steps := []struct {
		ip   string
		want string // "" admitted
	}{
		{"192.0.2.1", ""},
		{"192.0.2.200", ""},
		{"192.0.2.7", "too many sessions from one network"},
		{"::ffff:192.0.2.8", "too many sessions from one network"},
		{"192.0.3.1", ""},
		{"2001:db8::1", "too many sessions"},
	}
	for _, s := range steps {
		key, keyed := network(netip.MustParseAddr(s.ip))
		if got := l.acquire(key, keyed); got != s.want {
			t.Fatalf("%s: %q, want %q", s.ip, got, s.want)
		}
	}
	l.release(network(netip.MustParseAddr("192.0.3.1")))
	for _, s := range []struct{ ip, want string }{
		{"2001:db8:0:0:ffff::2", ""},
		{"127.0.0.1", "too many sessions"},
	} {
		key, keyed := network(netip.MustParseAddr(s.ip))
		if got := l.acquire(key, keyed); got != s.want {
			t.Fatalf("%s: %q, want %q", s.ip, got, s.want)
		}
	}
	l.release(network(netip.MustParseAddr("2001:db8::3")))
	l2 := newSessionLimit(nil, 10, 1, nil)
	for _, ip := range []string{"127.0.0.1", "127.0.0.1", "::1", "2001:db8:1:2::1"} {
		key, keyed := network(netip.MustParseAddr(ip))
		if got := l2.acquire(key, keyed); got != "" {
			t.Fatalf("%s: %q", ip, got)
		}
	}
	if key, keyed := network(netip.MustParseAddr("2001:db8:1:2:ffff::9")); l2.acquire(key, keyed) == "" {
		t.Fatal("a second session from one IPv6 /64 was admitted")
	}
}
