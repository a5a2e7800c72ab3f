package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestPostfixConfigRelativeSocket(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "listd.toml")
	os.WriteFile(cfg, []byte("domain = \"lists.example.org\"\n[lmtp]\nlisten = \"unix:lmtp.sock\"\n"), 0o600)
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"-config", cfg, "postfix-config"}, &out, &errb); code == 0 || !strings.Contains(errb.String(), "absolute path") {
		t.Errorf("exit %d, stderr %q, stdout:\n%s", code, errb.String(), out.String())
	}
}

func TestPostfixConfig(t *testing.T) {
	tests := []struct {
		name      string
		toml      string
		args      []string
		transport string
		want      []string
	}{
		{"smtp", "", nil, "smtp:[127.0.0.1]:2525", []string{"relay_domains = $mydestination, lists.example.org"}},
		{"lmtp", "[lmtp]\nlisten = \"127.0.0.1:2424\"\n", nil, "lmtp:inet:127.0.0.1:2424", []string{"lmtp_destination_recipient_limit"}},
		{"wildcard", "[smtp]\nlisten = \"0.0.0.0:2525\"\n", nil, "smtp:[127.0.0.1]:2525", []string{"not on loopback"}},
		{"unix socket", "[lmtp]\nlisten = \"unix:/run/listd/lmtp.sock\"\n", nil, "lmtp:unix:/run/listd/lmtp.sock",
			[]string{"must not run chrooted", "-g postfix -m 0750 /run/listd\n"}},
		{"unix socket in the queue", "[lmtp]\nlisten = \"unix:/var/spool/postfix/listd/lmtp\"\n", nil, "lmtp:unix:listd/lmtp",
			[]string{"chrooted (Debian's master.cf: chroot y) or not"}},
		{"unix socket in another queue", "[lmtp]\nlisten = \"unix:/srv/pf/queue/listd/lmtp\"\n", []string{"-queue-directory", "/srv/pf/queue/"},
			"lmtp:unix:listd/lmtp", nil},
		{"unix socket beside the queue", "[lmtp]\nlisten = \"unix:/var/spool/postfix2/lmtp\"\n", nil, "lmtp:unix:/var/spool/postfix2/lmtp",
			[]string{"must not run chrooted"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := filepath.Join(dir, "listd.toml")
			os.WriteFile(cfg, []byte("domain = \"lists.example.org\"\ndata_dir = \""+filepath.Join(dir, "data")+"\"\n"+tt.toml), 0o600)
			var out, errb bytes.Buffer
			args := append([]string{"-config", cfg, "postfix-config"}, tt.args...)
			if code := run(context.Background(), args, &out, &errb); code != 0 {
				t.Fatalf("exit %d: %s", code, errb.String())
			}
			s := out.String()
			want := append(tt.want, "lists.example.org    "+tt.transport+"\n", "unverified_recipient_reject_code = 550\n")
			for _, w := range want {
				if !strings.Contains(s, w) {
					t.Errorf("lacks %q:\n%s", w, s)
				}
			}
			checkWithPostfix(t, s, tt.transport)
		})
	}
}

// checkWithPostfix has Postfix's own tools read the settings, when Postfix is here:
// every lookup table in them must answer, as Postfix's smtpd would ask it. Postfix's
// tools read a private config directory, never the host's /etc/postfix.
func checkWithPostfix(t *testing.T, s, transport string) {
	t.Helper()
	postconf, err1 := exec.LookPath("postconf")
	postmap, err2 := exec.LookPath("postmap")
	if err1 != nil || err2 != nil {
		return
	}
	dir := t.TempDir()
	section := func(start, end string) string {
		_, rest, _ := strings.Cut(s, start)
		body, _, _ := strings.Cut(rest, end)
		var lines []string
		for _, l := range strings.Split(body, "\n") {
			if !strings.HasPrefix(l, "#") && !strings.Contains(l, " ---") {
				lines = append(lines, l)
			}
		}
		return strings.Join(lines, "\n")
	}
	transportFile := filepath.Join(dir, "transport")
	main := strings.ReplaceAll(section("main.cf", "/etc/postfix/transport (then"), "/etc/postfix/transport", transportFile)
	os.WriteFile(filepath.Join(dir, "main.cf"), []byte("compatibility_level = 3.6\n"+main), 0o644)
	os.WriteFile(filepath.Join(dir, "master.cf"), []byte("smtp unix - - n - - smtp\nlmtp unix - - n - - lmtp\n"), 0o644)
	os.WriteFile(transportFile, []byte(section("transport (then: postmap /etc/postfix/transport) ---", "listd.toml")), 0o644)
	postfix := func(name string, args ...string) string {
		t.Helper()
		out, err := exec.Command(name, append([]string{"-c", dir}, args...)...).CombinedOutput()
		if err != nil || strings.Contains(string(out), "warning") || strings.Contains(string(out), "fatal") {
			t.Errorf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out))
	}
	postfix(postmap, transportFile)
	if out := postfix(postconf, "-n"); !strings.Contains(out, "transport_maps = hash:"+transportFile) {
		t.Errorf("postconf -n:\n%s", out)
	}
	if got := postfix(postmap, "-q", "lists.example.org", "hash:"+transportFile); got != transport {
		t.Errorf("transport for lists.example.org = %q, want %q", got, transport)
	}
	// Each table in the restrictions, looked up for the list domain: a table Postfix
	// cannot read makes smtpd answer 451 4.3.5 to every recipient.
	restrictions := postfix(postconf, "-h", "smtpd_recipient_restrictions")
	tables := regexp.MustCompile(`check_recipient_access\s+(inline:\{.*\}|\S+)`).FindAllStringSubmatch(restrictions, -1)
	if len(tables) == 0 {
		t.Fatalf("no recipient access table in %q", restrictions)
	}
	for _, m := range tables {
		if got := postfix(postmap, "-q", "lists.example.org", m[1]); got != "reject_unverified_recipient" {
			t.Errorf("postmap -q lists.example.org %q = %q, want reject_unverified_recipient", m[1], got)
		}
	}
	if got := postfix(postconf, "-h", "unverified_recipient_reject_code"); got != "550" {
		t.Errorf("unverified_recipient_reject_code = %q", got)
	}
}
