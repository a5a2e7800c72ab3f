package archive

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// The mbox format: each message starts with a "From SENDER DATE" line and ends with an
// empty line; lines of a message that would look like a "From " line are quoted with
// ">". mboxrd quotes ">From " too (and every ">>...From "), so that reading removes one
// ">" from every line matching ^>+From ; mboxo quotes only "From ". This reader
// unquotes the mboxrd way, which reads mboxo files the same except for lines that began
// with ">From " before they were written to an mboxo file: they lose their ">", which
// mboxo had already made ambiguous. The writer writes mboxrd.

// ErrNotMbox is returned by MboxReader.Next when the input does not start with a
// "From " line.
var ErrNotMbox = errors.New("not an mbox")

// ErrMessageTooLarge is the cause of an MboxError for a message over MaxSize bytes.
var ErrMessageTooLarge = errors.New("message too large")

// DefaultMboxMaxSize bounds one message of an mbox: larger ones are skipped with an
// error instead of filling memory.
const DefaultMboxMaxSize = 64 << 20

// MboxMessage is one message of an mbox.
type MboxMessage struct {
	Number int       // its position in the file, from 1
	Line   int       // the line number of its "From " line
	From   string    // the sender on the "From " line (not a header: often MAILER-DAEMON or "-")
	Date   time.Time // the date on the "From " line; zero when it has none that can be read
	Raw    []byte    // the message as it was before it went into the mbox
}

// MboxError is a problem with one message; the reader goes on with the next one.
type MboxError struct {
	Number int // the message's position in the file, from 1
	Line   int // the line number of its "From " line
	Err    error
}

func (e *MboxError) Error() string {
	return fmt.Sprintf("message %d (line %d): %v", e.Number, e.Line, e.Err)
}

func (e *MboxError) Unwrap() error { return e.Err }

// MboxReader reads the messages of an mbox (mboxrd or mboxo) one at a time, holding
// only the current one in memory.
type MboxReader struct {
	// MaxSize is the largest message Next returns; a larger one is skipped and reported
	// as an *MboxError wrapping ErrMessageTooLarge. 0 means DefaultMboxMaxSize.
	MaxSize int

	br      *bufio.Reader
	line    int    // lines read so far
	started bool   // the first "From " line has been seen
	strict  bool   // separators must carry a time and a year, as the first one did
	next    []byte // a "From " line read ahead: the start of the next message
	nextNo  int    // its line number
	number  int    // messages started so far
	lineBuf []byte
	body    []byte // the message being read, kept for the next one
	pending []byte // an empty line being held back, kept likewise
	err     error  // sticky: io.EOF or a read error
}

// keptBody is the largest buffer a MboxReader keeps for the next message.
const keptBody = 1 << 20

// NewMboxReader returns a reader of the mbox in r.
func NewMboxReader(r io.Reader) *MboxReader {
	return &MboxReader{br: bufio.NewReaderSize(r, 64<<10)}
}

// readLine returns the next line with its line end; the slice is valid until the next
// call. Lines longer than limit are cut there (the rest is read and dropped), so one
// endless line cannot fill memory. At the end of the input it returns io.EOF with
// no line.
func (m *MboxReader) readLine(limit int) ([]byte, error) {
	m.lineBuf = m.lineBuf[:0]
	for {
		frag, err := m.br.ReadSlice('\n')
		if room := limit - len(m.lineBuf); room > 0 {
			m.lineBuf = append(m.lineBuf, frag[:min(len(frag), room)]...)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil && (err != io.EOF || len(m.lineBuf) == 0) {
			return nil, err
		}
		m.line++
		return m.lineBuf, nil
	}
}

func (m *MboxReader) maxSize() int {
	if m.MaxSize > 0 {
		return m.MaxSize
	}
	return DefaultMboxMaxSize
}

// Next returns the next message, or io.EOF after the last one. An *MboxError says that
// one message was skipped: call Next again for the following ones. ErrNotMbox (on the
// first call) and read errors end the reading.
func (m *MboxReader) Next() (*MboxMessage, error) {
	if !m.started {
		if err := m.start(); err != nil {
			m.err = err
			return nil, err
		}
	}
	if m.next == nil {
		if m.err != nil {
			return nil, m.err
		}
		return nil, io.EOF
	}
	m.number++
	msg := &MboxMessage{Number: m.number, Line: m.nextNo}
	msg.From, msg.Date = parseFromLine(m.next)
	limit := m.maxSize()
	// The message is collected in m.body, kept from one message to the next, and
	// copied out once at its size: appending to a new slice for every message
	// allocated and copied it several times over.
	var (
		body    = m.body[:0]
		pending = m.pending[:0] // an empty line: the end of the message if a "From " line follows
		blank   bool            // pending holds one
		tooBig  bool
	)
	defer func() {
		m.body, m.pending = body[:0], pending[:0]
		if cap(body) > keptBody {
			m.body = nil // a large message's memory goes with it
		}
	}()
	add := func(b []byte) {
		if len(body)+len(b) > limit {
			tooBig = true
			return
		}
		body = append(body, b...)
	}
	m.next = nil
	for {
		line, err := m.readLine(limit + 1)
		if err != nil {
			m.err = err
			if err != io.EOF {
				return nil, fmt.Errorf("mbox line %d: %w", m.line+1, err)
			}
			break // the empty line before the end belongs to the mbox, not the message
		}
		if isBlank(line) {
			if blank {
				add(pending)
			}
			pending, blank = append(pending[:0], line...), true
			continue
		}
		if blank && m.isSeparator(line) {
			m.next = append([]byte(nil), line...)
			m.nextNo = m.line
			break
		}
		if blank {
			add(pending)
			blank = false
		}
		if len(line) > 0 && line[0] == '>' && isQuotedFrom(line) {
			line = line[1:]
		}
		add(line)
	}
	if tooBig {
		return nil, &MboxError{Number: msg.Number, Line: msg.Line, Err: fmt.Errorf("%w: over %d bytes", ErrMessageTooLarge, limit)}
	}
	msg.Raw = append(make([]byte, 0, len(body)), body...)
	return msg, nil
}

// start reads up to the first "From " line, skipping empty lines before it; anything
// else there means the input is no mbox.
func (m *MboxReader) start() error {
	m.started = true
	for {
		line, err := m.readLine(4096)
		if err == io.EOF {
			return io.EOF // an empty file is an empty mbox
		}
		if err != nil {
			return fmt.Errorf("mbox line %d: %w", m.line+1, err)
		}
		if isBlank(line) {
			continue
		}
		if !bytes.HasPrefix(line, []byte("From ")) || len(bytes.TrimSpace(line[5:])) == 0 {
			return fmt.Errorf("%w: %s", ErrNotMbox, notMboxReason(line, m.line))
		}
		m.next = append([]byte(nil), line...)
		m.nextNo = m.line
		// Writers put the same kind of line before every message: if the first has a
		// date, later lines without one are text, not separators.
		m.strict = hasTimeAndYear(line)
		return nil
	}
}

// notMboxReason says what the first line looks like instead.
func notMboxReason(line []byte, n int) string {
	switch {
	case bytes.HasPrefix(line, []byte{0x1f, 0x8b}):
		return "the file is compressed (gzip); unpack it first"
	case bytes.HasPrefix(line, []byte("BZh")):
		return "the file looks compressed (bzip2); unpack it first"
	case bytes.HasPrefix(line, []byte{0xfd, '7', 'z', 'X', 'Z'}):
		return "the file is compressed (xz); unpack it first"
	case bytes.HasPrefix(line, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		return "the file is compressed (zstd); unpack it first"
	case bytes.HasPrefix(line, []byte("PK\x03\x04")):
		return "the file is a zip archive; unpack it first"
	case isHeaderLine(line):
		return fmt.Sprintf("line %d is a header field, not a \"From \" line: a single message (.eml) rather than an mbox?", n)
	}
	return fmt.Sprintf("line %d does not start with \"From \"", n)
}

// StartsWithHeader reports whether the first line of raw is a header field: what a
// message must begin with.
func StartsWithHeader(raw []byte) bool {
	line, _, _ := bytes.Cut(raw, []byte("\n"))
	return isHeaderLine(line)
}

// isHeaderLine reports whether line looks like "Name: value".
func isHeaderLine(line []byte) bool {
	i := bytes.IndexByte(line, ':')
	if i <= 0 {
		return false
	}
	for _, c := range line[:i] {
		if c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}

// isSeparator reports whether line, which follows an empty line, starts a message.
func (m *MboxReader) isSeparator(line []byte) bool {
	if !bytes.HasPrefix(line, []byte("From ")) {
		return false
	}
	if len(bytes.TrimSpace(line[5:])) == 0 {
		return false
	}
	return !m.strict || hasTimeAndYear(line)
}

// hasTimeAndYear reports whether line holds an hh:mm time and a four-digit number, as
// every "From " line that writers make does ("From a@b Mon Jan  2 15:04:05 2006"),
// and a sentence that starts with "From " rarely does.
func hasTimeAndYear(line []byte) bool {
	time, year := false, false
	for i := 0; i < len(line); i++ {
		if !isDigit(line[i]) {
			continue
		}
		j := i
		for j < len(line) && isDigit(line[j]) {
			j++
		}
		n := j - i
		if n <= 2 && j+2 < len(line) && line[j] == ':' && isDigit(line[j+1]) && isDigit(line[j+2]) {
			time = true
		}
		if n == 4 && (j == len(line) || line[j] != ':') {
			year = true
		}
		i = j
	}
	return time && year
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isBlank(line []byte) bool {
	return len(line) == 1 && line[0] == '\n' || len(line) == 2 && line[0] == '\r' && line[1] == '\n'
}

// isQuotedFrom reports whether line matches ^>+From .
func isQuotedFrom(line []byte) bool {
	i := 0
	for i < len(line) && line[i] == '>' {
		i++
	}
	return i > 0 && bytes.HasPrefix(line[i:], []byte("From "))
}

// fromLineLayouts are the date forms seen on "From " lines: ctime (with and without a
// zone), and RFC 5322 dates that some writers use.
var fromLineLayouts = []string{
	"Mon Jan _2 15:04:05 2006",
	"Mon Jan _2 15:04:05 -0700 2006",
	"Mon Jan _2 15:04:05 MST 2006",
	"Mon Jan _2 15:04 2006",
	"Mon, _2 Jan 2006 15:04:05 -0700",
	"Mon, _2 Jan 2006 15:04:05 -0700 (MST)",
	"_2 Jan 2006 15:04:05 -0700",
}

// parseFromLine returns the sender and date of a "From " line.
func parseFromLine(line []byte) (string, time.Time) {
	rest := strings.TrimSpace(string(line[len("From "):]))
	sender, date, _ := strings.Cut(rest, " ")
	date = strings.Join(strings.Fields(date), " ")
	for _, layout := range fromLineLayouts {
		if t, err := time.Parse(strings.Join(strings.Fields(layout), " "), date); err == nil {
			return sender, t.UTC()
		}
	}
	return sender, time.Time{}
}

// MboxWriter writes messages as an mboxrd file, with LF line ends.
type MboxWriter struct {
	w   io.Writer
	buf []byte
}

// NewMboxWriter returns a writer of an mbox to w. Each Write is one write to w.
func NewMboxWriter(w io.Writer) *MboxWriter {
	return &MboxWriter{w: w}
}

// Write appends one message: a "From " line with the envelope sender from (empty for
// MAILER-DAEMON) and date, then msg with its CRLF line ends turned into LF (a last line
// without one gets one) and its "From " lines quoted, and an empty line.
func (m *MboxWriter) Write(from string, date time.Time, msg []byte) error {
	b := m.buf[:0]
	b = append(b, "From "...)
	b = appendSender(b, from)
	b = append(b, ' ')
	if date.IsZero() {
		date = time.Unix(0, 0)
	}
	b = date.UTC().AppendFormat(b, "Mon Jan _2 15:04:05 2006")
	b = append(b, '\n')
	for len(msg) > 0 {
		line := msg
		if i := bytes.IndexByte(msg, '\n'); i >= 0 {
			line, msg = msg[:i], msg[i+1:]
		} else {
			msg = nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if isQuotedFrom(line) || bytes.HasPrefix(line, []byte("From ")) {
			b = append(b, '>')
		}
		b = append(b, line...)
		b = append(b, '\n')
	}
	b = append(b, '\n')
	m.buf = b
	if _, err := m.w.Write(b); err != nil {
		return fmt.Errorf("write mbox: %w", err)
	}
	return nil
}

// appendSender appends from as one word: "From " lines are split at spaces.
func appendSender(b []byte, from string) []byte {
	n := len(b)
	for _, r := range from {
		if r <= ' ' || r == 0x7f {
			continue
		}
		b = append(b, string(r)...)
	}
	if len(b) == n {
		b = append(b, "MAILER-DAEMON"...)
	}
	return b
}
