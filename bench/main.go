// Command bench runs listd's benchmarks against a real listd binary over loopback and
// prints one line per figure:
//
//	go run -tags sqlite_fts5 ./bench [-only NAME] [-listd PATH]
//
// Each benchmark is one entry in the benchmarks table: a function that gets a context
// and the shared env (the listd binary, options, a progress logger) and returns its
// figures. The driver prefixes each figure with the benchmark's name ("fanout.members").
// Progress and errors go to stderr; stdout carries only the figures.
//
// All traffic stays on 127.0.0.1: listd, the SMTP sink and the driver's own client
// talk to each other over loopback and nowhere else.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// A benchmark is one named entry of the table. run sets up whatever it needs (temp
// dir, listd, sink), measures, tears everything down and returns its figures.
type benchmark struct {
	name string
	doc  string
	run  func(ctx context.Context, e *env) ([]figure, error)
}

// benchmarks is the table; adding a benchmark is adding an entry.
var benchmarks = []benchmark{
	{"fanout", "one 4 KiB post to a list of N members, delivered to a loopback SMTP sink", runFanout},
	{"subscribe", "10,000 addresses subscribe through bench-request@ over 8 SMTP connections; confirmations to the sink", runSubscribe},
	{"digest", "a weekly digest of 500 posts to 10,000 digest members: digest send, then the copies to the sink", runDigest},
	{"proximity", "counselling centres near a postal code: queries per second, geo import", benchProximity},
	{"archive", "archive import of 20,000 and 100,000 generated messages, database size, search, thread and message pages", runArchive},
	{"imap", "IMAP on 20,000 archived messages: UID FETCH 1:* (ENVELOPE), FETCH 1:* (BODY.PEEK[HEADER]), full bodies, peak RSS", runIMAP},
	{"hostile", "16 mails of 9 MB at once: header bombs (700,000 fields) from a stranger, then ordinary posts with attachments; peak RSS", runHostile},
	{"webpost", "200 members each start a thread on the web (POST /bench/new, 3 KB) on a list of 1,000: submit to commit p50/p99, at rest and back to back", runWebpost},
	{"members", "owners' member list of a list of 100,000 members over HTTP: first page, next pages, deep keyset pages, searches p50/p99", runMembers},
	{"load", "50 SMTP senders for 60 s to 5 lists of 1,000 members: errors, RSS over time, queue length, 250 to last copy p50/p99", runLoad},
}

// figure is one measured (or descriptive) value.
type figure struct {
	Name  string
	Value string
}

func fig(name, format string, args ...any) figure {
	return figure{Name: name, Value: fmt.Sprintf(format, args...)}
}

// env is what every benchmark gets.
type env struct {
	listd   string        // path of the listd binary
	modRoot string        // the module's root directory
	keep    bool          // keep temp dirs (for debugging)
	members int           // fanout: list size
	sink    string        // auto, smtp-sink or go
	timeout time.Duration // bound on waiting for the last delivery
	poll    time.Duration // /metrics poll interval
	repeat  int           // runs of each benchmark; the median is reported
	conns   int           // subscribe: concurrent SMTP connections
	// load: senders, how long they send, and each one's pause between posts
	loadSenders  int
	duration     time.Duration
	loadInterval time.Duration
	stderr       io.Writer

	archiveSizes []int  // archive: corpus sizes, in messages
	compare      string // archive: "" or comparePublicInbox
}

// logf prints a progress line to stderr.
func (e *env) logf(format string, args ...any) {
	fmt.Fprintf(e.stderr, "bench: "+format+"\n", args...)
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	only := fs.String("only", "", "run only the benchmark(s) named, comma-separated")
	listdPath := fs.String("listd", "", "use this prebuilt listd binary (default: build one into a temp dir)")
	keep := fs.Bool("keep", false, "keep the temp dirs (config, data, logs) for inspection")
	members := fs.Int("members", 10000, "fanout: number of list members")
	conns := fs.Int("connections", 8, "subscribe: concurrent SMTP connections to listd")
	sink := fs.String("sink", "auto", "SMTP sink for listd's outbound mail: auto (smtp-sink if installed, else go), smtp-sink or go")
	timeout := fs.Duration("timeout", 120*time.Second, "how long to wait for the last delivery (fanout: after the post was accepted; subscribe: after the last command was)")
	poll := fs.Duration("poll", 100*time.Millisecond, "interval of polling listd's /metrics for completion (the clock is the sink's; faster polling costs listd CPU and RSS)")
	repeat := fs.Int("repeat", 1, "run each benchmark this many times (fresh listd each time) and report the median run")
	loadSenders := fs.Int("senders", 50, "load: concurrent SMTP senders")
	duration := fs.Duration("duration", 60*time.Second, "load: how long the senders send")
	loadInterval := fs.Duration("interval", 20*time.Second, "load: each sender posts once per interval")
	archiveSizes := fs.String("archive-sizes", "20000,100000", "archive: corpus sizes in messages, comma-separated")
	compare := fs.String("compare", "", "archive: also run this other archive on each corpus, with the same requests (public-inbox)")
	posts := fs.Int("posts", 0, "archive: one corpus of this many messages (instead of -archive-sizes; also $LISTD_BENCH_POSTS)")
	list := fs.Bool("list", false, "list the benchmarks and exit")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: go run -tags sqlite_fts5 ./bench [-only NAME] [-listd PATH] [options]\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "bench: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *list {
		for _, b := range benchmarks {
			fmt.Fprintf(stdout, "%-10s %s\n", b.name, b.doc)
		}
		return 0
	}
	if *repeat < 1 {
		fmt.Fprintln(stderr, "bench: -repeat must be at least 1")
		return 2
	}
	if *conns < 1 {
		fmt.Fprintln(stderr, "bench: -connections must be at least 1")
		return 2
	}
	if *loadSenders < 1 || *duration <= 0 || *loadInterval <= 0 {
		fmt.Fprintln(stderr, "bench: -senders, -duration and -interval must be positive")
		return 2
	}
	if *members < 1 {
		fmt.Fprintln(stderr, "bench: -members must be at least 1")
		return 2
	}
	if *posts == 0 {
		if v := os.Getenv("LISTD_BENCH_POSTS"); v != "" {
			*archiveSizes = v
		}
	} else {
		*archiveSizes = strconv.Itoa(*posts)
	}
	sizes, err := parseSizes(*archiveSizes)
	if err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return 2
	}
	switch *sink {
	case "auto", "smtp-sink", "go":
	default:
		fmt.Fprintf(stderr, "bench: -sink %q: must be auto, smtp-sink or go\n", *sink)
		return 2
	}

	selected, err := selectBenchmarks(*only)
	if err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return 2
	}
	if *compare != "" {
		if *compare != comparePublicInbox {
			fmt.Fprintf(stderr, "bench: -compare %q: the one archive to compare with is %s\n", *compare, comparePublicInbox)
			return 2
		}
		if len(selected) != 1 || selected[0].name != "archive" {
			fmt.Fprintln(stderr, "bench: -compare goes with -only archive")
			return 2
		}
		if why := publicInboxMissing(context.Background()); why != "" {
			fmt.Fprintln(stderr, "bench: -compare public-inbox:", why)
			return 1
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// A closed stdout or stderr (`| head`) must not kill the driver before it has
	// stopped listd and the sink: let such writes fail instead.
	signal.Ignore(syscall.SIGPIPE)

	e := &env{keep: *keep, members: *members, sink: *sink, timeout: *timeout, poll: *poll, repeat: *repeat, conns: *conns, stderr: stderr}
	e.archiveSizes, e.compare = sizes, *compare
	e.loadSenders, e.duration, e.loadInterval = *loadSenders, *duration, *loadInterval
	e.modRoot, err = moduleRoot(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return 1
	}
	if *listdPath != "" {
		p, err := filepath.Abs(*listdPath)
		if err == nil {
			_, err = os.Stat(p)
		}
		if err != nil {
			fmt.Fprintf(stderr, "bench: -listd %s: %v\n", *listdPath, err)
			return 1
		}
		e.listd = p
	} else {
		dir, err := os.MkdirTemp("", "listd-bench-bin-")
		if err != nil {
			fmt.Fprintln(stderr, "bench:", err)
			return 1
		}
		defer os.RemoveAll(dir)
		e.listd = filepath.Join(dir, "listd")
		if err := buildListd(ctx, e, e.listd); err != nil {
			fmt.Fprintln(stderr, "bench:", err)
			return 1
		}
	}

	warnIfBusy(e)
	status := 0
	for _, b := range selected {
		if ctx.Err() != nil {
			fmt.Fprintln(stderr, "bench: interrupted")
			return 1
		}
		e.logf("%s: start", b.name)
		start := time.Now()
		figs, err := b.run(ctx, e)
		// Names padded to one column (at least 29 wide) per benchmark.
		width := 29
		for _, f := range figs {
			width = max(width, len(b.name)+1+len(f.Name))
		}
		for _, f := range figs {
			fmt.Fprintf(stdout, "%-*s %s\n", width, b.name+"."+f.Name, f.Value)
		}
		if err != nil {
			fmt.Fprintf(stderr, "bench: %s: FAILED: %v\n", b.name, err)
			status = 1
			continue
		}
		e.logf("%s: done in %s", b.name, time.Since(start).Round(time.Millisecond))
	}
	return status
}

// selectBenchmarks returns the table entries named in only (all when empty).
func selectBenchmarks(only string) ([]benchmark, error) {
	if strings.TrimSpace(only) == "" {
		return benchmarks, nil
	}
	var out []benchmark
	for _, name := range strings.Split(only, ",") {
		name = strings.TrimSpace(name)
		found := false
		for _, b := range benchmarks {
			if b.name == name {
				out = append(out, b)
				found = true
				break
			}
		}
		if !found {
			var names []string
			for _, b := range benchmarks {
				names = append(names, b.name)
			}
			return nil, fmt.Errorf("-only %q: no such benchmark (have: %s)", name, strings.Join(names, ", "))
		}
	}
	return out, nil
}

// moduleRoot finds the directory of the go.mod that governs the current directory.
func moduleRoot(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("not inside the listd module: run from the repository (go run -tags sqlite_fts5 ./bench)")
	}
	return filepath.Dir(gomod), nil
}

// buildListd builds ./cmd/listd into out.
func buildListd(ctx context.Context, e *env, out string) error {
	e.logf("building listd (go build -tags sqlite_fts5 ./cmd/listd)")
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-tags", "sqlite_fts5", "-o", out, "./cmd/listd")
	cmd.Dir = e.modRoot
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
	b, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("building listd failed: %v\n%s", err, tail(string(b), 40))
	}
	return nil
}

// warnIfBusy warns when the machine is already busy: the figures are timings, and
// other work on the same cores (tests, builds) makes them slower and noisy. It looks
// at how busy the CPUs are over half a second (the load average would still count
// the driver's own previous runs).
func warnIfBusy(e *env) {
	busy0, total0, err := cpuTimes()
	if err != nil {
		return
	}
	time.Sleep(500 * time.Millisecond)
	busy1, total1, err := cpuTimes()
	if err != nil || total1 <= total0 {
		return
	}
	if frac := float64(busy1-busy0) / float64(total1-total0); frac > 0.2 {
		e.logf("warning: the %d CPUs are already %.0f%% busy: other work competes with listd, figures will be slow and noisy",
			runtime.NumCPU(), 100*frac)
	}
}

// cpuTimes returns the busy and total jiffies of all CPUs from /proc/stat.
func cpuTimes() (busy, total uint64, err error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, err
	}
	return parseCPUTimes(string(b))
}

func parseCPUTimes(stat string) (busy, total uint64, err error) {
	line, _, _ := strings.Cut(stat, "\n")
	f := strings.Fields(line)
	if len(f) < 5 || f[0] != "cpu" {
		return 0, 0, errors.New("/proc/stat: no cpu line")
	}
	for i, v := range f[1:] {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("/proc/stat: %q: %w", v, err)
		}
		total += n
		if i != 3 && i != 4 { // idle and iowait
			busy += n
		}
	}
	return busy, total, nil
}

// repeated runs once e.repeat times and returns the results; when a run fails, it
// returns that run's figures so far and its error.
func repeated[R any, P interface {
	*R
	figures() []figure
}](ctx context.Context, e *env, name string, once func(context.Context, *env) (P, error)) ([]R, []figure, error) {
	var runs []R
	for i := 0; i < e.repeat; i++ {
		if e.repeat > 1 {
			e.logf("%s: run %d of %d", name, i+1, e.repeat)
		}
		r, err := once(ctx, e)
		if err != nil {
			if r != nil {
				return nil, r.figures(), err
			}
			return nil, nil, err
		}
		runs = append(runs, *r)
	}
	return runs, nil, nil
}
