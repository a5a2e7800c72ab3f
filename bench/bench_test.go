package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"mime"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-smtp"
)

func TestQueueFromMetrics(t *testing.T) {
	text := `# HELP listd_queue_rows Rows in the outbound queue by state.
# TYPE listd_queue_rows gauge
listd_queue_rows{state="failed"} 2
listd_queue_rows{state="queued"} 1.5e+03
listd_queue_rows{state="sent"} 8499
listd_deliveries_total{result="deferred"} 7
listd_deliveries_total{result="sent"} 8499
listd_queue_rows_other{state="sent"} 99
`
	q := queueFromMetrics(text)
	if q.total != 10001 || q.sent != 8499 || q.failed != 2 || q.pending != 1500 || q.deferred != 7 {
		t.Fatalf("got %+v", q)
	}
	if s := q.String(); s != "failed=2 queued=1500 sent=8499; 7 deferred attempts" {
		t.Errorf("String() = %q", s)
	}
	if q := queueFromMetrics("# nothing\n"); q.total != 0 || q.String() != "(no listd_queue_rows series)" {
		t.Errorf("empty: %+v %q", q, q.String())
	}
}

func TestSinkCounters(t *testing.T) {
	in := "sess=0 quit=0 mesg=1\rsess=0 quit=0 mesg=2\rsess=1 quit=1 mesg=2\r\nsess=1 quit=1 mesg=3"
	var got []int64
	readSinkCounters(strings.NewReader(in), func(n int64) { got = append(got, n) })
	if want := []int64{1, 2, 2, 3}; !equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func equal(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestBenchPost(t *testing.T) {
	msg := benchPost(4096, "poster@example.net", "bench@lists.example.org", time.Unix(1700000000, 0))
	if len(msg) > 4096 || len(msg) < 4000 {
		t.Fatalf("size %d, want just under 4096", len(msg))
	}
	if !utf8.Valid(msg) {
		t.Fatal("not UTF-8")
	}
	if bytes.Contains(bytes.ReplaceAll(msg, []byte("\r\n"), nil), []byte("\n")) {
		t.Fatal("bare LF")
	}
	m, err := mail.ReadMessage(bytes.NewReader(msg))
	if err != nil {
		t.Fatal(err)
	}
	if from, err := mail.ParseAddress(m.Header.Get("From")); err != nil || from.Address != "poster@example.net" {
		t.Errorf("From: %v %v", from, err)
	}
	// A bigger size repeats the text; a tiny one stays within bounds.
	if n := len(benchPost(20000, "a@b", "c@d", time.Now())); n > 20000 || n < 19900 {
		t.Errorf("20000: got %d", n)
	}
	if n := len(benchPost(10, "a@b", "c@d", time.Now())); n > 400 {
		t.Errorf("10: got %d", n)
	}
}

func TestParseStatusKB(t *testing.T) {
	st := "Name:\tlistd\nVmPeak:\t  900 kB\nVmHWM:\t   59700 kB\nVmRSS:\t 50000 kB\n"
	if n, err := parseStatusKB(strings.NewReader(st), "VmHWM"); err != nil || n != 59700 {
		t.Fatalf("got %d %v", n, err)
	}
	if _, err := parseStatusKB(strings.NewReader(st), "VmSwap"); err == nil {
		t.Fatal("no error for a missing field")
	}
}

func TestSelectBenchmarks(t *testing.T) {
	if bs, err := selectBenchmarks(""); err != nil || len(bs) != len(benchmarks) {
		t.Fatal(bs, err)
	}
	if bs, err := selectBenchmarks("fanout"); err != nil || len(bs) != 1 || bs[0].name != "fanout" {
		t.Fatal(bs, err)
	}
	if bs, err := selectBenchmarks("subscribe, fanout"); err != nil || len(bs) != 2 || bs[0].name != "subscribe" || bs[1].name != "fanout" {
		t.Fatal(bs, err)
	}
	if _, err := selectBenchmarks("nope"); err == nil || !strings.Contains(err.Error(), "fanout, subscribe, digest") {
		t.Fatal(err)
	}
}

func TestParseCPUTimes(t *testing.T) {
	busy, total, err := parseCPUTimes("cpu  100 5 50 800 40 1 2 0 0 0\ncpu0 1 2 3 4\n")
	if err != nil || busy != 158 || total != 998 {
		t.Fatalf("got %d %d %v", busy, total, err)
	}
	if _, _, err := parseCPUTimes("intr 1 2 3\n"); err == nil {
		t.Fatal("no error without a cpu line")
	}
}

func TestSubscribeMail(t *testing.T) {
	from, msg := subscribeMail(42, "bench-request@lists.example.org", time.Unix(1700000000, 0))
	if from != "sub00042@example.net" {
		t.Fatalf("from %q", from)
	}
	if bytes.Contains(bytes.ReplaceAll(msg, []byte("\r\n"), nil), []byte("\n")) {
		t.Fatal("bare LF")
	}
	m, err := mail.ReadMessage(bytes.NewReader(msg))
	if err != nil {
		t.Fatal(err)
	}
	if a, err := mail.ParseAddress(m.Header.Get("From")); err != nil || a.Address != from {
		t.Errorf("From: %v %v", a, err)
	}
	if s := m.Header.Get("Subject"); s != "subscribe" {
		t.Errorf("Subject %q", s)
	}
	if m.Header.Get("Message-ID") == "" || m.Header.Get("Date") == "" {
		t.Error("no Message-ID or Date")
	}
	body, _ := io.ReadAll(m.Body)
	if string(body) != "subscribe\r\n" {
		t.Errorf("body %q", body)
	}
}

// refusingBackend is an SMTP server for the client side of the subscribe benchmark:
// it refuses the DATA of every address whose number is a multiple of 10 and records
// the envelope senders it accepted.
type refusingBackend struct {
	mu       sync.Mutex
	accepted map[string]bool
	resets   int
}

type refusingSession struct {
	b    *refusingBackend
	from string
}

func (s *refusingSession) Reset() {
	s.b.mu.Lock()
	s.b.resets++
	s.b.mu.Unlock()
	s.from = ""
}
func (*refusingSession) Logout() error { return nil }
func (s *refusingSession) Mail(from string, _ *smtp.MailOptions) error {
	s.from = from
	return nil
}
func (*refusingSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *refusingSession) Data(r io.Reader) error {
	if _, err := io.Copy(io.Discard, r); err != nil {
		return err
	}
	var n int
	if _, err := fmt.Sscanf(s.from, "sub%05d@example.net", &n); err == nil && n%10 == 0 {
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again"}
	}
	s.b.mu.Lock()
	if s.b.accepted[s.from] {
		s.b.mu.Unlock()
		return errors.New("sent twice")
	}
	s.b.accepted[s.from] = true
	s.b.mu.Unlock()
	return nil
}

func TestSendSubscribes(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &refusingBackend{accepted: map[string]bool{}}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &refusingSession{b: b}, nil }))
	srv.Domain = "test.localhost"
	srv.ErrorLog = log.New(io.Discard, "", 0)
	go srv.Serve(l)
	defer srv.Close()

	st, err := sendSubscribes(context.Background(), l.Addr().String(), "bench-request@lists.example.org", 95, 4)
	if err != nil {
		t.Fatal(err)
	}
	if st.ok != 86 || st.failures != 9 || len(b.accepted) != 86 {
		t.Fatalf("ok %d, failures %d, accepted %d; want 86, 9, 86", st.ok, st.failures, len(b.accepted))
	}
	if !b.accepted["sub00001@example.net"] || !b.accepted["sub00095@example.net"] || b.accepted["sub00010@example.net"] {
		t.Errorf("wrong addresses accepted")
	}
	if b.resets < 9 {
		t.Errorf("%d RSETs after 9 refusals", b.resets)
	}
	if !st.last.After(st.first) || len(st.dataWait) != 86 {
		t.Errorf("first %v last %v, %d waits", st.first, st.last, len(st.dataWait))
	}
	if s := st.failureSummary(); !strings.Contains(s, `9× "end of DATA: 451 try again"`) {
		t.Errorf("summary %q", s)
	}
}

func TestSendSubscribesBrokenConnection(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	// Greets, answers EHLO, then hangs up at MAIL.
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				fmt.Fprintf(c, "220 test\r\n")
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					if strings.HasPrefix(strings.ToUpper(line), "EHLO") {
						fmt.Fprintf(c, "250 test\r\n")
						continue
					}
					return
				}
			}()
		}
	}()
	st, err := sendSubscribes(context.Background(), l.Addr().String(), "bench-request@lists.example.org", 20, 2)
	if err == nil || !strings.Contains(err.Error(), "MAIL FROM") {
		t.Fatalf("err %v", err)
	}
	if st.ok != 0 || st.failures == 0 {
		t.Errorf("ok %d failures %d", st.ok, st.failures)
	}
}

func TestDigestThread(t *testing.T) {
	now := time.Unix(1700000000, 0)
	posts := digestThread(digestPosts, digestThreads, digestSeed, "poster@example.net", "bench@lists.example.org", now)
	if len(posts) != digestPosts {
		t.Fatalf("%d posts", len(posts))
	}
	ids := map[string]int{} // Message-ID to thread root's Message-ID index
	roots := 0
	minSize, maxSize, total := 1<<30, 0, 0
	for i, p := range posts {
		minSize, maxSize, total = min(minSize, len(p)), max(maxSize, len(p)), total+len(p)
		if !utf8.Valid(p) || bytes.Contains(bytes.ReplaceAll(p, []byte("\r\n"), nil), []byte("\n")) {
			t.Fatalf("post %d: not UTF-8 or a bare LF", i)
		}
		m, err := mail.ReadMessage(bytes.NewReader(p))
		if err != nil {
			t.Fatalf("post %d: %v", i, err)
		}
		if a, err := mail.ParseAddress(m.Header.Get("From")); err != nil || a.Address != "poster@example.net" {
			t.Fatalf("post %d: From %v %v", i, a, err)
		}
		id := m.Header.Get("Message-ID")
		if _, dup := ids[id]; dup || id == "" {
			t.Fatalf("post %d: Message-ID %q missing or repeated", i, id)
		}
		subj, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
		if err != nil {
			t.Fatal(err)
		}
		irt := m.Header.Get("In-Reply-To")
		if irt == "" {
			roots++
			if strings.HasPrefix(subj, "Re: ") {
				t.Errorf("post %d: a thread's first post says %q", i, subj)
			}
		} else {
			if _, ok := ids[irt]; !ok {
				t.Fatalf("post %d: In-Reply-To %s names no earlier post", i, irt)
			}
			refs := strings.Fields(m.Header.Get("References"))
			if len(refs) == 0 || refs[len(refs)-1] != irt || len(refs) > 10 {
				t.Errorf("post %d: References %v, In-Reply-To %s", i, refs, irt)
			}
			if !strings.HasPrefix(subj, "Re: ") {
				t.Errorf("post %d: a reply says %q", i, subj)
			}
		}
		body, _ := io.ReadAll(m.Body)
		if !bytes.ContainsAny(body, "äöüßÄÖÜ") {
			t.Errorf("post %d: no umlauts", i)
		}
		ids[id] = i
	}
	if roots != digestThreads {
		t.Errorf("%d threads, want %d", roots, digestThreads)
	}
	if minSize < 900 || maxSize > 3300 {
		t.Errorf("sizes %d to %d bytes, want about 1 to 3 KB", minSize, maxSize)
	}
	t.Logf("sizes %d to %d bytes, %d on average", minSize, maxSize, total/len(posts))
}

func TestParseDigestSend(t *testing.T) {
	posts, readers, err := parseDigestSend("bench: volume 1 issue 1, 500 posts, queued for 10000 digest readers\n")
	if err != nil || posts != 500 || readers != 10000 {
		t.Fatalf("got %d %d %v", posts, readers, err)
	}
	if _, _, err := parseDigestSend("bench: nothing new\n"); err == nil {
		t.Fatal("no error for nothing new")
	}
}
