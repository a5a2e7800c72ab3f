package e2e

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// guideBlock is one fenced block of docs/deploy.md.
type guideBlock struct {
	line       int    // of the opening fence
	lang, info string // "sh", "run"
	text       string
}

var fenceRE = regexp.MustCompile("^```(\\S*)\\s*(.*)$")

func guideBlocks(t *testing.T, path string) []guideBlock {
	t.Helper()
	var out []guideBlock
	var cur *guideBlock
	for i, line := range strings.Split(mustRead(t, path), "\n") {
		if cur != nil {
			if strings.TrimSpace(line) == "```" {
				out = append(out, *cur)
				cur = nil
			} else {
				cur.text += line + "\n"
			}
			continue
		}
		if m := fenceRE.FindStringSubmatch(line); m != nil {
			cur = &guideBlock{line: i + 1, lang: m[1], info: strings.TrimSpace(m[2])}
		}
	}
	if cur != nil {
		t.Fatalf("%s:%d: block not closed", path, cur.line)
	}
	return out
}

// sudoShim stands in for sudo: the test has no user listd, so `sudo -u listd CMD`
// runs CMD as the test's user.
const sudoShim = `#!/bin/sh
while [ $# -gt 0 ]; do
  case "$1" in -u|-g) shift 2 ;; -*) shift ;; *) break ;; esac
done
exec "$@"
`

// TestDeployGuide runs docs/deploy.md: every ```sh run block in order (failing when
// one fails), with the config file written from its toml block and the DNS records of
// its dns block served by a DNS server of its own. The paths of a real server are
// mapped into a temporary directory. Then it starts listd on the restored database.
func TestDeployGuide(t *testing.T) {
	need(t, "systemd-analyze")
	root := t.TempDir()
	paths := map[string]string{}
	for _, p := range []string{"/etc/listd", "/var/lib/listd", "/var/backups/listd", "/etc/systemd/system", "/bin"} {
		paths[p] = filepath.Join(root, p)
		if err := os.MkdirAll(paths[p], 0o700); err != nil {
			t.Fatal(err)
		}
	}
	installUnits(t, paths["/etc/systemd/system"])
	if err := os.WriteFile(filepath.Join(paths["/bin"], "sudo"), []byte(sudoShim), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(listdBin, filepath.Join(paths["/bin"], "listd")); err != nil {
		t.Fatal(err)
	}
	mapPaths := func(s string) string {
		s = strings.ReplaceAll(s, "/usr/local/bin/listd", listdBin)
		for _, p := range []string{"/etc/listd", "/var/lib/listd", "/var/backups/listd", "/etc/systemd/system"} {
			s = strings.ReplaceAll(s, p, paths[p])
		}
		return s
	}
	guideDNS, err := startDNS()
	if err != nil {
		t.Fatal(err)
	}
	listenRE := regexp.MustCompile(`(?m)^(listen\s*=\s*)"127\.0\.0\.1:\d+"`)
	env := append(os.Environ(), "PATH="+paths["/bin"]+":"+os.Getenv("PATH"), "HOME="+root)

	var config string
	ran := 0
	for _, b := range guideBlocks(t, "../docs/deploy.md") {
		where := fmt.Sprintf("docs/deploy.md:%d", b.line)
		switch {
		case b.lang == "sh" && b.info == "server":
		case b.lang == "sh" && b.info == "run":
			cmd := exec.Command("bash", "-euo", "pipefail", "-c", mapPaths(b.text))
			cmd.Dir, cmd.Env = root, env
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%s: %v\n%s\n%s", where, err, b.text, out)
			}
			if strings.Contains(string(out), "._domainkey.") && strings.Contains(string(out), " IN TXT (") {
				publishDKIM(t, guideDNS, string(out))
			}
			ran++
		case b.lang == "toml" && strings.HasPrefix(b.info, "file="):
			config = mapPaths(strings.TrimPrefix(b.info, "file="))
			text := fmt.Sprintf("resolver = %q\n", guideDNS.addr) + listenRE.ReplaceAllString(mapPaths(b.text), `${1}"127.0.0.1:0"`)
			if err := os.WriteFile(config, []byte(text), 0o600); err != nil {
				t.Fatal(err)
			}
		case b.lang == "dns" && b.info == "run":
			publishZone(t, guideDNS, where, b.text)
		case b.lang == "sh" || b.lang == "bash" || b.lang == "shell" || b.lang == "console" || b.lang == "":
			t.Errorf("%s: a command block must be marked run or server: ```%s %s", where, b.lang, b.info)
		}
	}
	if ran < 6 || config == "" {
		t.Fatalf("only %d blocks ran (config %q)", ran, config)
	}
	if _, err := os.Stat(filepath.Join(paths["/var/lib/listd"], "broken", "listd.db")); err != nil {
		t.Errorf("the restore did not move the old database aside: %v", err)
	}

	// listd starts on the restored database and serves the list.
	cmd := exec.Command(listdBin, "-config", config, "serve")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	httpAddr := make(chan string, 1)
	var log strings.Builder
	logDone := make(chan struct{})
	go func() {
		defer close(logDone)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			log.WriteString(sc.Text() + "\n")
			if m := listeningRE.FindStringSubmatch(sc.Text()); m != nil && m[1] == "http" {
				httpAddr <- m[2]
			}
		}
	}()
	var base string
	select {
	case a := <-httpAddr:
		base = "http://" + a
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		<-logDone
		t.Fatalf("listd did not start on the restored database:\n%s", log.String())
	}
	for i := 0; ; i++ {
		resp, err := http.Get(base + "/kita/")
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 && strings.Contains(string(body), "Kita und Schule") {
				break
			}
			if i > 100 {
				t.Fatalf("/kita/: %d\n%s", resp.StatusCode, body)
			}
		} else if i > 100 {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
	<-logDone
}

// publishZone serves the records of a zone-file block: NAME IN TYPE DATA.
func publishZone(t *testing.T, srv *dnsServer, where, zone string) {
	t.Helper()
	for _, line := range strings.Split(zone, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || strings.HasPrefix(f[0], ";") {
			continue
		}
		if len(f) < 4 || f[1] != "IN" {
			t.Fatalf("%s: not NAME IN TYPE DATA: %q", where, line)
		}
		switch name := f[0]; f[2] {
		case "A", "AAAA":
			srv.publishIP(name, f[3])
		case "MX":
			pref, err := strconv.Atoi(f[3])
			if err != nil || len(f) < 5 {
				t.Fatalf("%s: %q", where, line)
			}
			srv.publishMX(name, uint16(pref), f[4])
		case "TXT":
			var txt []string
			for _, m := range zoneStrings.FindAllStringSubmatch(line, -1) {
				txt = append(txt, m[1])
			}
			srv.publishTXT(name, txt...)
		case "PTR":
			srv.mu.Lock()
			srv.ptr[dnsKey(name)] = append(srv.ptr[dnsKey(name)], f[3])
			srv.mu.Unlock()
		default:
			t.Fatalf("%s: record type %s", where, f[2])
		}
	}
}
