package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// unitFiles are the systemd units docs/deploy.md installs.
var unitFiles = []string{"listd.service", "listd-backup.service", "listd-backup.timer"}

// installUnits copies the example units into dir, their ExecStart pointing at the
// binary under test (systemd-analyze wants the program to exist).
func installUnits(t *testing.T, dir string) string {
	t.Helper()
	for _, name := range unitFiles {
		b, err := os.ReadFile(filepath.Join("..", "examples", "systemd", name))
		if err != nil {
			t.Fatal(err)
		}
		unit := strings.ReplaceAll(string(b), "/usr/local/bin/listd", listdBin)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(unit), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestSystemdUnits checks the units with systemd's own parser: systemd-analyze verify
// exits 0 even for unknown keys and bad values, so any message is a failure. The
// service's hardening is scored as well.
func TestSystemdUnits(t *testing.T) {
	analyze := need(t, "systemd-analyze")
	dir := installUnits(t, t.TempDir())
	var paths []string
	for _, name := range unitFiles {
		paths = append(paths, filepath.Join(dir, name))
	}
	out, err := exec.Command(analyze, append([]string{"verify"}, paths...)...).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
	for _, name := range unitFiles {
		b, _ := os.ReadFile(filepath.Join(dir, name))
		if strings.HasSuffix(name, ".service") && !strings.Contains(string(b), "NoNewPrivileges=yes") {
			t.Errorf("%s: no NoNewPrivileges=yes", name)
		}
	}
	unit := mustRead(t, filepath.Join(dir, "listd.service"))
	for _, want := range []string{"ProtectSystem=strict", "ReadWritePaths=/var/lib/listd", "CapabilityBoundingSet=\n",
		"RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX", "SystemCallFilter=@system-service", "PrivateTmp=yes",
		"ProtectHome=yes", "StateDirectory=listd", "ExecReload=/bin/kill -HUP $MAINPID"} {
		if !strings.Contains(unit, want) {
			t.Errorf("listd.service lacks %q", want)
		}
	}
	// systemd's exposure score, 0 (locked down) to 10 (unprotected); threshold 20 is 2.0.
	out, err = exec.Command(analyze, "security", "--offline=yes", "--threshold=20", "--no-pager",
		filepath.Join(dir, "listd.service")).CombinedOutput()
	if err != nil {
		t.Fatalf("systemd-analyze security: %v\n%s", err, out)
	}
}
