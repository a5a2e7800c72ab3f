package main

import (
	"bytes"
	"net/mail"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
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
	if _, err := selectBenchmarks("nope"); err == nil || !strings.Contains(err.Error(), "fanout") {
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
