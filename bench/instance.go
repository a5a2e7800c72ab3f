package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// benchDomain is the lists' domain in every benchmark's config.
const benchDomain = "lists.example.org"

// instance is one listd under test, as every benchmark sets it up: a fresh temp dir
// with listd.toml and the database, free ports of 127.0.0.1 for SMTP, HTTP and the
// relay, and (once started) the sink on the relay port and `listd serve`. close stops
// them and removes the temp dir (kept with -keep).
type instance struct {
	e        *env
	name     string // the benchmark's, for progress lines
	dir      string
	cfgPath  string
	logPath  string // listd serve's output
	smtpAddr string
	httpAddr string
	relay    string // the sink's address, [relay] address
	base     string // http://httpAddr
	sink     sink
	serve    *proc
}

// newInstance makes the temp dir and writes the config:
//
//	domain = "lists.example.org", SMTP, HTTP and the relay on free loopback ports,
//	IMAP off.
func newInstance(e *env, name string) (*instance, error) {
	dir, err := os.MkdirTemp("", "listd-bench-"+name+"-")
	if err != nil {
		return nil, err
	}
	in := &instance{e: e, name: name, dir: dir, cfgPath: filepath.Join(dir, "listd.toml"), logPath: filepath.Join(dir, "listd.log")}
	ports, err := freePorts(3)
	if err != nil {
		in.close()
		return nil, err
	}
	in.smtpAddr = fmt.Sprintf("127.0.0.1:%d", ports[0])
	in.httpAddr = fmt.Sprintf("127.0.0.1:%d", ports[1])
	in.relay = fmt.Sprintf("127.0.0.1:%d", ports[2])
	in.base = "http://" + in.httpAddr

	cfg := fmt.Sprintf(`domain = %q
data_dir = %q
base_url = %q

[smtp]
listen = %q

[http]
listen = %q

[imap]
listen = ""

[relay]
address = %q
`, benchDomain, filepath.Join(dir, "data"), in.base, in.smtpAddr, in.httpAddr, in.relay)
	if err := os.WriteFile(in.cfgPath, []byte(cfg), 0o644); err != nil {
		in.close()
		return nil, err
	}
	return in, nil
}

// listd runs a short listd command (list create, member import, ...) on the config.
func (in *instance) listd(ctx context.Context, args ...string) error {
	_, err := runCmd(ctx, 5*time.Minute, in.e.listd, append([]string{"-config", in.cfgPath}, args...)...)
	return err
}

// startSink starts the sink that -sink asks for on the relay port.
func (in *instance) startSink(ctx context.Context) error {
	sk, err := startSink(ctx, in.e.sink, in.relay, filepath.Join(in.dir, "sink.log"))
	if err != nil {
		return err
	}
	in.sink = sk
	in.e.logf("%s: sink %s on %s", in.name, sk.Name(), in.relay)
	return nil
}

// startWithSink starts the sink, then listd serve: the runs that send mail.
func (in *instance) startWithSink(ctx context.Context) error {
	if err := in.startSink(ctx); err != nil {
		return err
	}
	return in.startServe(ctx)
}

// startServe starts `listd -config F serve` (output in listd.log) and waits until
// GET /healthz answers 200.
func (in *instance) startServe(ctx context.Context) error {
	serve, err := startProc("listd serve", exec.Command(in.e.listd, "-config", in.cfgPath, "serve"), in.logPath)
	if err != nil {
		return err
	}
	in.serve = serve
	if err := waitHealthy(ctx, in.base+"/healthz", serve, 30*time.Second); err != nil {
		return err
	}
	in.e.logf("%s: listd serving (pid %d): smtp %s, http %s", in.name, serve.pid(), in.smtpAddr, in.httpAddr)
	return nil
}

// peakRSSKB is listd serve's peak resident set (VmHWM) so far, in KiB, or -1.
func (in *instance) peakRSSKB() int64 {
	kb, err := procStatusKB(in.serve.pid(), "VmHWM")
	if err != nil {
		in.e.logf("%s: warning: no peak RSS: %v", in.name, err)
		return -1
	}
	return kb
}

// logTail is the last lines of listd's log, for error messages.
func (in *instance) logTail() string { return tailFile(in.logPath, 20) }

// close stops listd serve (SIGTERM), then the sink, and removes the temp dir.
func (in *instance) close() {
	if in.serve != nil {
		if err := in.serve.stop(30 * time.Second); err != nil {
			in.e.logf("%s: warning: %v; last lines of its log:\n%s", in.name, err, in.logTail())
		}
	}
	if in.sink != nil {
		if err := in.sink.Stop(); err != nil {
			in.e.logf("%s: warning: stopping the sink: %v", in.name, err)
		}
	}
	if in.e.keep {
		in.e.logf("%s: kept %s", in.name, in.dir)
		return
	}
	os.RemoveAll(in.dir)
}

// rssFigure formats a peak RSS in KiB as MiB ("n/a" when unknown).
func rssFigure(kb int64) string {
	if kb < 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f", float64(kb)/1024)
}
