package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// proc is a child process the benchmark started and must stop.
type proc struct {
	name    string // for messages, e.g. "listd serve"
	cmd     *exec.Cmd
	logPath string // where its output goes ("" if not to a file)
	done    chan struct{}
	err     error // Wait's result, valid after done is closed
}

// startProc starts cmd. When logPath is set and cmd has no Stdout/Stderr of its own,
// both go to that file.
func startProc(name string, cmd *exec.Cmd, logPath string) (*proc, error) {
	var logf *os.File
	if logPath != "" {
		f, err := os.Create(logPath)
		if err != nil {
			return nil, err
		}
		logf = f
		if cmd.Stdout == nil {
			cmd.Stdout = f
		}
		if cmd.Stderr == nil {
			cmd.Stderr = f
		}
	}
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = sysProcAttr()
	}
	if err := cmd.Start(); err != nil {
		if logf != nil {
			logf.Close()
		}
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, logPath: logPath, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		if logf != nil {
			logf.Close()
		}
		close(p.done)
	}()
	return p, nil
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

// exited reports whether the process has ended.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// exitError describes an unexpected exit, with the last lines of its log.
func (p *proc) exitError() error {
	status := "exited"
	if p.err != nil {
		status = "exited: " + p.err.Error()
	}
	if p.logPath == "" {
		return fmt.Errorf("%s %s", p.name, status)
	}
	return fmt.Errorf("%s %s; last lines of its log:\n%s", p.name, status, tailFile(p.logPath, 20))
}

// stop sends SIGTERM, waits up to grace, then kills. It returns an error when the
// process had to be killed or exited with a failure status after SIGTERM.
func (p *proc) stop(grace time.Duration) error {
	if p.exited() {
		return nil
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		var ee *exec.ExitError
		if p.err != nil && !(errors.As(p.err, &ee) && isTermination(ee)) {
			return fmt.Errorf("%s after SIGTERM: %v", p.name, p.err)
		}
		return nil
	case <-time.After(grace):
		_ = p.cmd.Process.Kill()
		select {
		case <-p.done:
		case <-time.After(5 * time.Second):
		}
		return fmt.Errorf("%s did not stop within %s of SIGTERM; killed", p.name, grace)
	}
}

// isTermination reports whether the process ended by SIGTERM (which is how we ask).
func isTermination(ee *exec.ExitError) bool {
	ws, ok := ee.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGTERM
}

// runCmd runs a short listd command and returns its output; errors carry the output.
func runCmd(ctx context.Context, timeout time.Duration, name string, args ...string) (string, error) {
	out, _, err := runCmdCPU(ctx, timeout, nil, name, args...)
	return out, err
}

// runCmdCPU is runCmd with the environment env (nil: the driver's) that also returns
// the CPU time (user and system) of the command and of the children it waited for.
func runCmdCPU(ctx context.Context, timeout time.Duration, env []string, name string, args ...string) (string, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = env
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	var cpu time.Duration
	if cmd.ProcessState != nil {
		cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	if ctx.Err() == context.DeadlineExceeded {
		return string(out), cpu, fmt.Errorf("%s %s: no result within %s; output:\n%s", name, strings.Join(args, " "), timeout, tail(string(out), 20))
	}
	if err != nil {
		return string(out), cpu, fmt.Errorf("%s %s: %v; output:\n%s", name, strings.Join(args, " "), err, tail(string(out), 20))
	}
	return string(out), cpu, nil
}

// freePorts returns n distinct free ports (all held open until all are chosen).
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var ports []int
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free port on 127.0.0.1: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// waitTCP waits until something accepts connections on addr, or p exits, or timeout.
func waitTCP(ctx context.Context, addr string, p *proc, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		if p != nil && p.exited() {
			return p.exitError()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("nothing listens on %s after %s: %v", addr, timeout, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// httpClient is for loopback requests only; each request is bounded.
var httpClient = &http.Client{Timeout: 5 * time.Second}

// httpGet fetches url and returns status and body (at most 4 MiB).
func httpGet(ctx context.Context, url string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, nil, err
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	return resp.StatusCode, b, err
}

// procStatusKB reads a "Name:   123 kB" field of /proc/PID/status.
func procStatusKB(pid int, field string) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return parseStatusKB(f, field)
}

func parseStatusKB(r io.Reader, field string) (int64, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || name != field {
			continue
		}
		fs := strings.Fields(rest)
		if len(fs) == 0 {
			break
		}
		n, err := strconv.ParseInt(fs[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%s: %q: %w", field, rest, err)
		}
		if len(fs) > 1 && fs[1] != "kB" {
			return 0, fmt.Errorf("%s: unexpected unit %q", field, fs[1])
		}
		return n, nil
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("no %s in process status", field)
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	s = strings.TrimRight(s, "\n")
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	out := strings.Join(lines, "\n")
	if len(out) > 4000 {
		out = "..." + out[len(out)-4000:]
	}
	return out
}

// tailFile returns the last n lines of the file at path (read from its last 64 KiB).
func tailFile(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	defer f.Close()
	const max = 64 << 10
	if st, err := f.Stat(); err == nil && st.Size() > max {
		f.Seek(st.Size()-max, io.SeekStart)
	}
	b, _ := io.ReadAll(f)
	if len(strings.TrimSpace(string(b))) == 0 {
		return "(empty)"
	}
	return tail(string(b), n)
}
