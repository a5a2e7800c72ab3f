package main

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// comparePublicInbox is the -compare value that runs public-inbox on each archive
// corpus after listd.
const comparePublicInbox = "public-inbox"

// publicInboxImportScript imports an mbox into a v2 inbox with the full index, as
// public-inbox's scripts/import_vger_from_mbox does.
//
//go:embed publicinbox_import.pl
var publicInboxImportScript []byte

// publicInboxSlice is how many articles public-inbox-imapd puts in one mailbox
// (NEWSGROUP.0 holds UIDs 1 to 50,000).
const publicInboxSlice = 50000

// publicInboxMissing says what of public-inbox is not installed here, "" when
// everything the comparison runs is: its daemons, git, and its Perl modules with
// Xapian bindings (Debian: apt-get install public-inbox libsearch-xapian-perl).
func publicInboxMissing(ctx context.Context) string {
	for _, p := range []string{"perl", "git", "public-inbox-httpd", "public-inbox-imapd"} {
		if _, err := exec.LookPath(p); err != nil {
			return p + " is not installed (apt-get install public-inbox libsearch-xapian-perl)"
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "perl", "-MPublicInbox::V2Writable", "-MPublicInbox::Search", "-e",
		`PublicInbox::Search::load_xapian() or die "no Xapian bindings for Perl\n"`).CombinedOutput()
	if err != nil {
		return fmt.Sprintf("public-inbox's Perl modules or Xapian do not load (apt-get install public-inbox libsearch-xapian-perl): %s",
			tail(strings.TrimSpace(string(out)), 3))
	}
	return ""
}

// publicInbox is one public-inbox installation under test, all of it in dir: its
// own HOME and PI_CONFIG (the machine's ~/.public-inbox is never read or written),
// the inbox, the daemons' logs.
type publicInbox struct {
	e      *env
	dir    string
	inbox  string // the v2 inbox
	config string // PI_CONFIG
	env    []string
}

func newPublicInbox(e *env, dir string) (*publicInbox, error) {
	pi := &publicInbox{e: e, dir: dir, inbox: filepath.Join(dir, "inbox"), config: filepath.Join(dir, "config")}
	home := filepath.Join(dir, "home")
	if err := os.MkdirAll(home, 0o755); err != nil {
		return nil, err
	}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case k == "HOME" || k == "XDG_CONFIG_HOME" || k == "NPROC" || strings.HasPrefix(k, "PI_") || strings.HasPrefix(k, "GIT_"):
		default:
			pi.env = append(pi.env, kv)
		}
	}
	pi.env = append(pi.env, "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"), "PI_CONFIG="+pi.config)
	return pi, nil
}

// setup runs cmd in public-inbox's environment, in its own process group, ended by
// the kernel should the driver die.
func (pi *publicInbox) setup(cmd *exec.Cmd) *exec.Cmd {
	cmd.Env = pi.env
	cmd.Dir = pi.dir
	cmd.SysProcAttr = sysProcAttr()
	return cmd
}

var publicInboxImported = regexp.MustCompile(`(?m)^imported (\d+) messages$`)

// importMbox imports the mbox (mboxrd, as genCorpus writes it) into a new v2 inbox
// with the full Xapian index, and returns how many messages it holds and the CPU
// time (user and system) of the import and the processes it started and waited for
// (git fast-import, the Xapian shard's worker).
func (pi *publicInbox) importMbox(ctx context.Context, mbox string, timeout time.Duration) (int, time.Duration, error) {
	script := filepath.Join(pi.dir, "publicinbox_import.pl")
	if err := os.WriteFile(script, publicInboxImportScript, 0o644); err != nil {
		return 0, 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := pi.setup(exec.CommandContext(ctx, "perl", script, corpusList, corpusList+"@"+benchDomain, pi.inbox, mbox, "mboxrd"))
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	var cpu time.Duration
	if cmd.ProcessState != nil {
		cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	if ctx.Err() == context.DeadlineExceeded {
		return 0, cpu, fmt.Errorf("import: no result within %s; output:\n%s", timeout, tail(string(out), 20))
	}
	if err != nil {
		return 0, cpu, fmt.Errorf("import: %v; output:\n%s", err, tail(string(out), 20))
	}
	m := publicInboxImported.FindStringSubmatch(string(out))
	if m == nil {
		return 0, cpu, fmt.Errorf("import: unexpected output %q", tail(string(out), 5))
	}
	got, err := strconv.Atoi(m[1])
	return got, cpu, err
}

// writeConfig writes PI_CONFIG: the inbox as corpusList, its newsgroup (for IMAP)
// corpusList too, its URL on httpAddr.
func (pi *publicInbox) writeConfig(httpAddr string) error {
	cfg := fmt.Sprintf("[publicinbox %q]\n\tinboxdir = %s\n\taddress = %s@%s\n\turl = http://%s/%s\n\tnewsgroup = %s\n",
		corpusList, pi.inbox, corpusList, benchDomain, httpAddr, corpusList, corpusList)
	return os.WriteFile(pi.config, []byte(cfg), 0o644)
}

// startDaemon starts public-inbox-httpd or -imapd on addr (127.0.0.1 only) as one
// process (-W0: no master and worker; the process that serves is the one started),
// output in NAME.log, and waits until it accepts connections.
func (pi *publicInbox) startDaemon(ctx context.Context, name, addr string) (*proc, error) {
	p, err := startProc(name, pi.setup(exec.Command(name, "-W0", "-l", addr)), filepath.Join(pi.dir, name+".log"))
	if err != nil {
		return nil, err
	}
	if err := waitTCP(ctx, addr, p, 60*time.Second); err != nil {
		p.stop(10 * time.Second)
		return nil, err
	}
	pi.e.logf("archive: %s serving (pid %d) on %s", name, p.pid(), addr)
	return p, nil
}

// piOK accepts public-inbox's answers: 200, and 404 for a search without hits.
func piOK(code int) bool { return code == 200 || code == 404 }

// runPublicInbox runs public-inbox 1.9 on the corpus of n posts at mbox, after listd
// had it, in dir/public-inbox, and returns its figures, each named after listd's with
// "pi." before it:
//
//   - pi.importN.seconds, .messages_per_second, .cpu_seconds: the Perl import
//     (publicinbox_import.pl) from its start until everything is committed and
//     searchable; its CPU time with git fast-import's and the shard worker's.
//   - pi.inboxN.mb: all files of the inbox (git, over.sqlite3, msgmap, Xapian), MiB.
//   - pi.messageN, pi.threadN, pi.searchN, pi.listN (.first_ms, .p50_ms, .p99_ms):
//     public-inbox-httpd's pages for the requests listd got (pages), with the same
//     warm-up: /forum/MID/, /forum/MID/T/ (the whole thread, as listd's thread page),
//     /forum/?q=Q (200 hits a page, public-inbox's default), /forum/ (the newest
//     topics); pi.search_20hits_N: the same searches with l=20, listd's page size.
//   - pi.hitsN.queries, .agree_within_10pct, .agree_within_10pct_prefix: how many of
//     the queries find about as many posts in both (counts on stderr), as typed and
//     with every word outside quotes turned into a prefix (word*), as listd reads it.
//   - pi.httpdN.peak_rss_mb: public-inbox-httpd's peak resident set after the pages;
//     .peak_rss_with_children_mb with its git cat-file processes added.
//   - pi.imapN.select_ms, .envelope_newest1000_ms, .headers_newest1000_ms: the IMAP
//     fetches of archiveIMAP on public-inbox-imapd (mailbox forum.0, anonymous login).
func runPublicInbox(ctx context.Context, e *env, dir, mbox string, n int, pages archivePages, listdHits []int) ([]figure, error) {
	pi, err := newPublicInbox(e, filepath.Join(dir, "public-inbox"))
	if err != nil {
		return nil, err
	}
	suffix := strconv.Itoa(n)
	var figs []figure
	t := time.Now()
	got, cpu, err := pi.importMbox(ctx, mbox, max(30*time.Minute, time.Duration(n)*30*time.Millisecond))
	secs := time.Since(t).Seconds()
	if err != nil {
		return nil, err
	}
	if got != n {
		return nil, fmt.Errorf("the inbox holds %d messages, want %d", got, n)
	}
	e.logf("archive: public-inbox imported %d messages in %.2f s", got, secs)
	figs = append(figs, fig("pi.import"+suffix+".seconds", "%.2f", secs), fig("pi.import"+suffix+".messages_per_second", "%.0f", float64(n)/secs),
		fig("pi.import"+suffix+".cpu_seconds", "%.2f", cpu.Seconds()))
	size, err := dirSize(pi.inbox)
	if err != nil {
		return figs, err
	}
	figs = append(figs, fig("pi.inbox"+suffix+".mb", "%.1f", float64(size)/(1<<20)))

	ports, err := freePorts(2)
	if err != nil {
		return figs, err
	}
	httpAddr, imapAddr := fmt.Sprintf("127.0.0.1:%d", ports[0]), fmt.Sprintf("127.0.0.1:%d", ports[1])
	if err := pi.writeConfig(httpAddr); err != nil {
		return figs, err
	}
	httpd, err := pi.startDaemon(ctx, "public-inbox-httpd", httpAddr)
	if err != nil {
		return figs, err
	}
	defer httpd.stop(30 * time.Second)
	base := "http://" + httpAddr
	var errs []error
	measure := func(kind string, paths []string, ok func(int) bool) {
		f, err := measurePages(ctx, e, base, kind, suffix, "pi.", paths, ok)
		figs = append(figs, f...)
		if err != nil {
			errs = append(errs, err)
		}
	}
	var msgPaths, threadPaths, searchPaths, search20Paths, listPaths []string
	for _, i := range pages.messages {
		msgPaths = append(msgPaths, "/"+corpusList+"/"+url.PathEscape(corpusMsgID(i, archiveSeed))+"/")
	}
	measure("message", msgPaths, onlyOK)
	for _, i := range pages.threads {
		threadPaths = append(threadPaths, "/"+corpusList+"/"+url.PathEscape(corpusMsgID(i, archiveSeed))+"/T/")
	}
	measure("thread", threadPaths, onlyOK)
	for _, q := range pages.searches {
		searchPaths = append(searchPaths, "/"+corpusList+"/?q="+url.QueryEscape(q))
		search20Paths = append(search20Paths, "/"+corpusList+"/?l=20&q="+url.QueryEscape(q))
	}
	measure("search", searchPaths, piOK)
	measure("search_20hits_", search20Paths, piOK)
	for range pages.lists {
		listPaths = append(listPaths, "/"+corpusList+"/")
	}
	measure("list", listPaths, onlyOK)

	f, err := compareHits(ctx, e, base, suffix, archiveQueries(), listdHits)
	figs = append(figs, f...)
	if err != nil {
		errs = append(errs, err)
	}
	figs = append(figs, fig("pi.httpd"+suffix+".peak_rss_mb", "%s", rssFigure(peakRSSKB(httpd.pid(), false))),
		fig("pi.httpd"+suffix+".peak_rss_with_children_mb", "%s", rssFigure(peakRSSKB(httpd.pid(), true))))
	if err := httpd.stop(30 * time.Second); err != nil {
		e.logf("archive: warning: %v", err)
	}

	if n > publicInboxSlice {
		e.logf("archive: public-inbox IMAP skipped: %d messages span more than one of its mailboxes (%d each)", n, publicInboxSlice)
	} else if imapd, err := pi.startDaemon(ctx, "public-inbox-imapd", imapAddr); err != nil {
		errs = append(errs, err)
	} else {
		defer imapd.stop(30 * time.Second)
		// public-inbox-imapd takes any LOGIN (its archives are public); the first
		// 50,000 articles are the mailbox NEWSGROUP.0, UIDs from 1.
		f, err := archiveIMAP(imapAddr, "anonymous", "anonymous", corpusList+".0", n)
		for _, x := range f {
			x.Name = strings.Replace(x.Name, "imap", "pi.imap"+suffix, 1)
			figs = append(figs, x)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("imap: %w; last lines of its log:\n%s", err, tailFile(imapd.logPath, 20)))
		} else {
			e.logf("archive: public-inbox IMAP, the newest %d messages: %v", archiveIMAPNewest, f)
		}
	}
	if len(errs) > 0 {
		return figs, fmt.Errorf("%w; last lines of public-inbox-httpd's log:\n%s", errors.Join(errs...), tailFile(httpd.logPath, 20))
	}
	return figs, nil
}

// compareHits counts what public-inbox finds for each query, as typed and with listd's
// prefixes (piPrefixQuery), logs both next to listd's counts and returns how many
// agree within 10%.
func compareHits(ctx context.Context, e *env, base, suffix string, queries []string, listdHits []int) ([]figure, error) {
	if len(listdHits) != len(queries) {
		return nil, fmt.Errorf("hits: %d counts from listd for %d queries", len(listdHits), len(queries))
	}
	agree, agreePrefix := 0, 0
	e.logf("archive: hits of each query: listd, public-inbox as typed, public-inbox with prefixes (the query it got)")
	for k, q := range queries {
		typed, err := piHits(ctx, base, q)
		if err != nil {
			return nil, err
		}
		pq := piPrefixQuery(q)
		prefixed, err := piHits(ctx, base, pq)
		if err != nil {
			return nil, err
		}
		if within(listdHits[k], typed, 0.1) {
			agree++
		}
		if within(listdHits[k], prefixed, 0.1) {
			agreePrefix++
		}
		e.logf("archive: hits %-32s listd %6d  public-inbox %6s  prefixed %6s  (%s)", q, listdHits[k], hitsText(typed), hitsText(prefixed), pq)
	}
	return []figure{
		fig("pi.hits"+suffix+".queries", "%d", len(queries)),
		fig("pi.hits"+suffix+".agree_within_10pct", "%d", agree),
		fig("pi.hits"+suffix+".agree_within_10pct_prefix", "%d", agreePrefix),
	}, nil
}

// hitsText is a hit count, or "error" for a query public-inbox refused (-1).
func hitsText(n int) string {
	if n < 0 {
		return "error"
	}
	return strconv.Itoa(n)
}

// within reports whether a and b differ by at most frac of the larger one.
func within(a, b int, frac float64) bool {
	if a < 0 || b < 0 {
		return false
	}
	d := float64(max(a, b) - min(a, b))
	return d <= frac*float64(max(a, b))
}

var piNoMore = regexp.MustCompile(`No more results, only (\d+)`)

// piHits is how many posts public-inbox finds for q: the search page past the last
// hit says "No more results, only N", and N is exact there (Xapian has counted every
// match; the first page shows an estimate). 404 is no hit; -1 is a query public-inbox
// answers with an error (400).
func piHits(ctx context.Context, base, q string) (int, error) {
	code, body, err := httpGet(ctx, base+"/"+corpusList+"/?o=1000000&q="+url.QueryEscape(q))
	if err != nil {
		return 0, fmt.Errorf("hits of %q: %w", q, err)
	}
	switch code {
	case 404:
		return 0, nil
	case 400:
		return -1, nil
	case 200:
	default:
		return 0, fmt.Errorf("hits of %q: HTTP %d", q, code)
	}
	m := piNoMore.FindSubmatch(body)
	if m == nil {
		return 0, fmt.Errorf("hits of %q: no count in the page past the last hit", q)
	}
	return strconv.Atoi(string(m[1]))
}

// piPrefixQuery writes q as listd reads it, for Xapian: every word outside quotes of
// at least three letters also finds the words it begins, so it gets a "*" (listd's
// minPrefixRunes); phrases stay as they are.
func piPrefixQuery(q string) string {
	var parts []string
	for i, seg := range strings.Split(q, `"`) {
		if i%2 == 1 { // inside quotes
			parts = append(parts, `"`+seg+`"`)
			continue
		}
		for _, w := range strings.Fields(seg) {
			if utf8.RuneCountInString(w) >= 3 && w != "OR" && w != "AND" && w != "NOT" &&
				strings.IndexFunc(w, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) < 0 {
				w += "*"
			}
			parts = append(parts, w)
		}
	}
	return strings.Join(parts, " ")
}

var listdHitRE = regexp.MustCompile(`<li><a class="subject" href="/`)

// listdHits counts each query's hits on listd's search page (/forum/search?q=Q&page=P,
// a fixed number of hits a page): it finds the last page with hits by bisection and
// adds that page's hits to the full pages before it.
func listdHits(ctx context.Context, base string, queries []string) ([]int, error) {
	page := func(q string, p int) (hits int, more bool, err error) {
		u := fmt.Sprintf("%s/%s/search?q=%s&page=%d", base, corpusList, url.QueryEscape(q), p)
		code, body, err := httpGet(ctx, u)
		if err != nil {
			return 0, false, fmt.Errorf("hits of %q: %w", q, err)
		}
		if code != 200 {
			return 0, false, fmt.Errorf("hits of %q, page %d: HTTP %d", q, p, code)
		}
		return len(listdHitRE.FindAllIndex(body, -1)), strings.Contains(string(body), `rel="next"`), nil
	}
	var out []int
	for _, q := range queries {
		per, more, err := page(q, 1)
		if err != nil {
			return nil, err
		}
		if !more {
			out = append(out, per)
			continue
		}
		// Page lo has hits; page hi has none (the search page goes to 1000).
		lo, hi, last := 1, 1001, per
		for hi-lo > 1 {
			mid := (lo + hi) / 2
			h, _, err := page(q, mid)
			if err != nil {
				return nil, err
			}
			if h > 0 {
				lo, last = mid, h
			} else {
				hi = mid
			}
		}
		out = append(out, (lo-1)*per+last)
	}
	return out, nil
}

// peakRSSKB is the peak resident set (VmHWM) of process pid in KiB, with that of its
// children (and theirs) added when withChildren is set; -1 when unknown.
func peakRSSKB(pid int, withChildren bool) int64 {
	kb, err := procStatusKB(pid, "VmHWM")
	if err != nil {
		return -1
	}
	if !withChildren {
		return kb
	}
	for _, c := range childPIDs(pid) {
		if k := peakRSSKB(c, true); k > 0 {
			kb += k
		}
	}
	return kb
}

// childPIDs lists the processes whose parent is pid (from /proc/PID/stat).
func childPIDs(pid int) []int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []int
	for _, d := range ents {
		c, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", d.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...; comm may hold spaces and parentheses.
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) > 1 && f[1] == strconv.Itoa(pid) {
			out = append(out, c)
		}
	}
	return out
}
