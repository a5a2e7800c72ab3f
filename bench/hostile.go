package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"math/rand"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
)

const (
	hostileList     = "bench"
	hostileMembers  = 10
	hostileParallel = 16
	hostileSize     = 9_000_000 // bytes of each mail, under the default max_message_size of 10 MiB
	hostileFields   = 700_000
	hostileStranger = "stranger@example.com"
)

// runHostile measures listd's peak RSS under 16 mails of 9 MB sent at once, each
// over its own connection, with a fresh listd for each of two kinds:
//
//   - header_bomb: 700,000 header fields from a non-member (refused as the header
//     streams in);
//   - max_size: an ordinary post from a member with 9 MB of attachments (archived
//     and sent to the list's 10 members).
//
// Each kind reports the replies it got and listd's peak RSS (VmHWM), in MiB.
func runHostile(ctx context.Context, e *env) ([]figure, error) {
	var figs []figure
	for _, k := range []struct {
		name   string
		from   string
		msg    func(i int) []byte
		copies int64 // per accepted post
	}{
		{"header_bomb", hostileStranger, func(i int) []byte { return headerBomb(i, hostileFields, hostileSize) }, 0},
		{"max_size", "poster@example.net", func(i int) []byte { return maxSizePost(i, hostileSize) }, hostileMembers + 1},
	} {
		f, err := hostileOnce(ctx, e, k.name, k.from, k.msg, k.copies)
		figs = append(figs, f...)
		if err != nil {
			return figs, err
		}
	}
	return figs, nil
}

func hostileOnce(ctx context.Context, e *env, kind, from string, gen func(i int) []byte, copies int64) ([]figure, error) {
	in, err := newInstance(e, "hostile")
	if err != nil {
		return nil, err
	}
	defer in.close()
	if err := in.listd(ctx, "list", "create", hostileList, "-title", "Bench"); err != nil {
		return nil, err
	}
	membersPath := filepath.Join(in.dir, "members.txt")
	if err := writeMembers(membersPath, hostileMembers); err != nil {
		return nil, err
	}
	if err := in.listd(ctx, "member", "import", hostileList, membersPath); err != nil {
		return nil, err
	}
	if err := in.listd(ctx, "member", "add", hostileList, "poster@example.net"); err != nil {
		return nil, err
	}
	if err := in.startWithSink(ctx); err != nil {
		return nil, err
	}
	msgs := make([][]byte, hostileParallel)
	for i := range msgs {
		msgs[i] = gen(i)
	}
	startKB, _ := procStatusKB(in.serve.pid(), "VmRSS")
	e.logf("hostile: %s: %d mails of %d bytes at once; listd at %.1f MiB", kind, len(msgs), len(msgs[0]), float64(startKB)/1024)

	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		replies = map[string]int{}
	)
	t := time.Now()
	for i, msg := range msgs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := sendPost(ctx, in.smtpAddr, from, hostileList+"@"+benchDomain, msg)
			reply := "250"
			var se *smtp.SMTPError
			switch {
			case errors.As(err, &se):
				reply = fmt.Sprintf("%d %d.%d.%d", se.Code, se.EnhancedCode[0], se.EnhancedCode[1], se.EnhancedCode[2])
				if i == 0 {
					e.logf("hostile: %s: reply %d %s", kind, se.Code, se.Message)
				}
			case err != nil:
				reply = "error: " + err.Error()
			}
			mu.Lock()
			replies[reply]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	secs := time.Since(t).Seconds()
	if n := int64(replies["250"]) * copies; n > 0 {
		if _, _, err := waitDelivered(ctx, e, in.base+"/metrics", in.serve, in.sink, 0, time.Now(), n, "the posts were accepted"); err != nil {
			return nil, fmt.Errorf("%w; last lines of listd's log:\n%s", err, in.logTail())
		}
	}
	peak := in.peakRSSKB()
	var rs []string
	for r, n := range replies {
		rs = append(rs, fmt.Sprintf("%d×%s", n, r))
	}
	sort.Strings(rs)
	figs := []figure{
		fig(kind+".replies", "%s", strings.Join(rs, ", ")),
		fig(kind+".seconds", "%.2f", secs),
		fig(kind+".peak_rss_mb", "%s", rssFigure(peak)),
	}
	if in.serve.exited() {
		return figs, in.serve.exitError()
	}
	return figs, nil
}

// headerBomb is a mail of size bytes from a stranger, with fields header fields of
// 12 bytes each and the rest in the body.
func headerBomb(i, fields, size int) []byte {
	var b bytes.Buffer
	b.Grow(size)
	fmt.Fprintf(&b, "From: %s\r\nTo: %s@%s\r\nSubject: bomb %d\r\nMessage-ID: <bomb-%d-%d@example.com>\r\n",
		hostileStranger, hostileList, benchDomain, i, i, time.Now().UnixNano())
	for f := range fields {
		fmt.Fprintf(&b, "X-%05d: y\r\n", f%100000)
	}
	b.WriteString("\r\n")
	line := strings.Repeat("x", 76) + "\r\n"
	for b.Len()+len(line) <= size {
		b.WriteString(line)
	}
	return b.Bytes()
}

// maxSizePost is an ordinary multipart post of about size bytes: the German text
// and three base64 attachments of random bytes, typed as PDFs (a type lists allow).
func maxSizePost(i, size int) []byte {
	var b bytes.Buffer
	b.Grow(size)
	fmt.Fprintf(&b, "From: Petra <poster@example.net>\r\nTo: %s@%s\r\nSubject: Unterlagen %d\r\nDate: %s\r\nMessage-ID: <max-%d-%d@example.net>\r\n",
		hostileList, benchDomain, i, time.Now().Format(time.RFC1123Z), i, time.Now().UnixNano())
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n")
	b.WriteString("--b1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
	b.WriteString(strings.ReplaceAll(germanText, "\n", "\r\n"))
	rng := rand.New(rand.NewSource(int64(i)))
	types := []struct{ ct, name string }{{"application/pdf", "protokoll.pdf"}, {"application/pdf", "plan.pdf"}, {"application/pdf", "formular.pdf"}}
	room := size - b.Len() - 3*200 - 10
	for _, t := range types {
		raw := make([]byte, room/len(types)/4*3/78*76) // base64 of 76 per 78-byte line
		rng.Read(raw)
		fmt.Fprintf(&b, "--b1\r\nContent-Type: %s; name=\"%s\"\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"%s\"\r\n\r\n", t.ct, t.name, t.name)
		enc := base64.StdEncoding.EncodeToString(raw)
		for len(enc) > 76 {
			b.WriteString(enc[:76])
			b.WriteString("\r\n")
			enc = enc[76:]
		}
		b.WriteString(enc + "\r\n")
	}
	b.WriteString("--b1--\r\n")
	return b.Bytes()
}
