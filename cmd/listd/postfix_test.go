package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestPostfixConfig(t *testing.T) {
	tests := []struct {
		name      string
		toml      string
		transport string
		want      []string
	}{
		{"smtp", "", "smtp:[127.0.0.1]:2525", []string{"relay_domains = $mydestination, lists.example.org"}},
		{"lmtp", "[lmtp]\nlisten = \"127.0.0.1:2424\"\n", "lmtp:inet:127.0.0.1:2424", []string{"lmtp_destination_recipient_limit"}},
		{"wildcard", "[smtp]\nlisten = \"0.0.0.0:2525\"\n", "smtp:[127.0.0.1]:2525", []string{"not on loopback"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := filepath.Join(dir, "listd.toml")
			os.WriteFile(cfg, []byte("domain = \"lists.example.org\"\ndata_dir = \""+filepath.Join(dir, "data")+"\"\n"+tt.toml), 0o600)
			var out, errb bytes.Buffer
			if code := run(context.Background(), []string{"-config", cfg, "postfix-config"}, &out, &errb); code != 0 {
				t.Fatalf("exit %d: %s", code, errb.String())
			}
			s := out.String()
			for _, w := range append(tt.want, "lists.example.org    "+tt.transport) {
				if !strings.Contains(s, w) {
					t.Errorf("lacks %q:\n%s", w, s)
				}
			}
			checkWithPostfix(t, s)
		})
	}
}

// checkWithPostfix has Postfix's own tools read the settings, when Postfix is here.
func checkWithPostfix(t *testing.T, s string) {
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
	transport := filepath.Join(dir, "transport")
	main := strings.ReplaceAll(section("main.cf", "/etc/postfix/transport (then"), "/etc/postfix/transport", transport)
	os.WriteFile(filepath.Join(dir, "main.cf"), []byte(main), 0o644)
	os.WriteFile(filepath.Join(dir, "master.cf"), []byte("smtp unix - - n - - smtp\nlmtp unix - - n - - lmtp\n"), 0o644)
	os.WriteFile(transport, []byte(section("transport (then: postmap /etc/postfix/transport) ---", "listd.toml")), 0o644)
	if out, err := exec.Command(postmap, transport).CombinedOutput(); err != nil {
		t.Fatalf("postmap: %v %s", err, out)
	}
	out, err := exec.Command(postconf, "-c", dir, "-n").CombinedOutput()
	if err != nil || strings.Contains(string(out), "warning") || !strings.Contains(string(out), "transport_maps = hash:"+transport) {
		t.Errorf("postconf: %v\n%s", err, out)
	}
}
