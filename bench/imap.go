package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

const (
	imapMessages = 20000
	imapSeed     = 2026
	imapRuns     = 3 // measured runs of each command, after one warm-up; the median is reported
	imapReader   = "leser@example.net"
)

// runIMAP measures listd's IMAP server on a list of 20,000 generated messages
// (genCorpus, imported with `listd archive import` into an anonymous list, so every
// message is served as its rewritten archive copy), with go-imap's client over
// 127.0.0.1, logged in as a member, right after listd started. Each command runs
// once to warm up (reported as *_first_seconds: cold caches, the archive headers
// built from the stored posts) and then imapRuns times; the median is reported:
//
//   - envelope_seconds: UID FETCH 1:* (ENVELOPE), all responses read and parsed.
//   - headers_seconds: FETCH 1:* (BODY.PEEK[HEADER]) (served from the header cache
//     after the first run).
//   - body_mb_per_second: FETCH 1:* (BODY.PEEK[]): MiB of message bytes per second.
//   - body_mb: those bytes, MiB.
//   - peak_rss_mb: listd serve's peak resident set after all of it.
func runIMAP(ctx context.Context, e *env) ([]figure, error) {
	in, err := newInstance(e, "imap")
	if err != nil {
		return nil, err
	}
	defer in.close()
	imapAddr, err := enableIMAP(in)
	if err != nil {
		return nil, err
	}

	mbox := filepath.Join(in.dir, "corpus.mbox")
	if err := genCorpus(mbox, imapMessages, imapSeed); err != nil {
		return nil, fmt.Errorf("corpus: %w", err)
	}
	if err := in.listd(ctx, "list", "create", corpusList, "-archive", "members", "-anonymous", "yes"); err != nil {
		return nil, err
	}
	t := time.Now()
	if _, err := runCmd(ctx, 15*time.Minute, e.listd, "-config", in.cfgPath, "archive", "import", corpusList, mbox); err != nil {
		return nil, err
	}
	e.logf("imap: %d messages imported in %s", imapMessages, time.Since(t).Round(time.Millisecond))
	os.Remove(mbox)
	if err := in.listd(ctx, "member", "add", corpusList, imapReader, "-mode", "nomail"); err != nil {
		return nil, err
	}
	pw, err := runCmd(ctx, time.Minute, e.listd, "-config", in.cfgPath, "user", "password", imapReader)
	if err != nil {
		return nil, err
	}
	if err := in.startServe(ctx); err != nil {
		return nil, err
	}
	if err := waitTCP(ctx, imapAddr, in.serve, 30*time.Second); err != nil {
		return nil, err
	}

	c, err := imapclient.DialInsecure(imapAddr, nil)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if err := c.Login(imapReader, strings.TrimSpace(pw)).Wait(); err != nil {
		return nil, fmt.Errorf("imap login: %w", err)
	}
	sel, err := c.Select(corpusList, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		return nil, fmt.Errorf("imap select: %w", err)
	}
	if sel.NumMessages != imapMessages {
		return nil, fmt.Errorf("imap: the mailbox has %d messages, want %d", sel.NumMessages, imapMessages)
	}

	all := imap.SeqSet{imap.SeqRange{Start: 1, Stop: 0}}
	allUIDs := imap.UIDSet{imap.UIDRange{Start: 1, Stop: 0}}
	header := &imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader, Peek: true}
	whole := &imap.FetchItemBodySection{Peek: true}
	kinds := []struct {
		name   string
		numSet imap.NumSet
		opts   *imap.FetchOptions
	}{
		{"envelope", allUIDs, &imap.FetchOptions{UID: true, Envelope: true}},
		{"headers", all, &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{header}}},
		{"body", all, &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{whole}}},
	}
	var figs []figure
	for _, k := range kinds {
		var secs []float64
		var cold float64
		var bytes int64
		for run := 0; run <= imapRuns; run++ {
			t := time.Now()
			n, b, err := fetchAll(c, k.numSet, k.opts)
			d := time.Since(t).Seconds()
			if err != nil {
				return figs, fmt.Errorf("imap %s: %w", k.name, err)
			}
			if n != imapMessages {
				return figs, fmt.Errorf("imap %s: %d messages answered, want %d", k.name, n, imapMessages)
			}
			if run == 0 {
				cold = d // the first run warms up (the header cache, SQLite's and the OS's pages)
			} else {
				secs = append(secs, d)
			}
			bytes = b
		}
		sort.Float64s(secs)
		med := secs[len(secs)/2]
		e.logf("imap: %s: %d messages, %.1f MiB, first run %.3f s, then %v s; peak RSS so far %s MiB", k.name, imapMessages,
			float64(bytes)/(1<<20), cold, secs, rssFigure(in.peakRSSKB()))
		switch k.name {
		case "body":
			figs = append(figs, fig("body_mb_per_second", "%.1f", float64(bytes)/(1<<20)/med), fig("body_mb", "%.1f", float64(bytes)/(1<<20)))
		default:
			figs = append(figs, fig(k.name+"_seconds", "%.3f", med), fig(k.name+"_first_seconds", "%.3f", cold))
		}
	}
	figs = append(figs, fig("messages", "%d", imapMessages), fig("peak_rss_mb", "%s", rssFigure(in.peakRSSKB())))
	return figs, nil
}

// fetchAll runs one FETCH and reads every response, returning how many messages
// answered and how many bytes of body sections came.
// enableIMAP turns on the instance's IMAP server on a free port of 127.0.0.1 and
// returns its address.
func enableIMAP(in *instance) (string, error) {
	ports, err := freePorts(1)
	if err != nil {
		return "", err
	}
	imapAddr := fmt.Sprintf("127.0.0.1:%d", ports[0])
	cfg, err := os.ReadFile(in.cfgPath)
	if err != nil {
		return "", err
	}
	on := strings.Replace(string(cfg), "[imap]\nlisten = \"\"", fmt.Sprintf("[imap]\nlisten = %q", imapAddr), 1)
	if on == string(cfg) {
		return "", fmt.Errorf("imap: the instance config has no [imap] section to turn on")
	}
	return imapAddr, os.WriteFile(in.cfgPath, []byte(on), 0o644)
}

func fetchAll(c *imapclient.Client, numSet imap.NumSet, opts *imap.FetchOptions) (int, int64, error) {
	cmd := c.Fetch(numSet, opts)
	n := 0
	var total int64
	for {
		msg := cmd.Next()
		if msg == nil {
			break
		}
		n++
		for {
			item := msg.Next()
			if item == nil {
				break
			}
			if bs, ok := item.(imapclient.FetchItemDataBodySection); ok && bs.Literal != nil {
				b, err := io.Copy(io.Discard, bs.Literal)
				if err != nil {
					cmd.Close()
					return n, total, err
				}
				total += b
			}
		}
	}
	return n, total, cmd.Close()
}
