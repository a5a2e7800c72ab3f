package delivery

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// go-smtp's client waits for each reply before sending the next command; this one
// pipelines MAIL, RCPT and DATA (RFC 2920) so that a transaction costs one round trip
// before the data instead of 2+n.

// timeouts bound each step of a session. RFC 5321 §4.5.3.2 suggests minutes because
// of slow Internet hosts; the relay is near, so these are shorter but still generous.
type timeouts struct {
	dial    time.Duration // TCP connect
	command time.Duration // one command (or one pipelined group) and its replies
	data    time.Duration // writing the message
	final   time.Duration // the reply to the final "."
	quit    time.Duration // QUIT on close
}

var defaultTimeouts = timeouts{
	dial:    30 * time.Second,
	command: 2 * time.Minute,
	data:    10 * time.Minute,
	final:   10 * time.Minute,
	quit:    5 * time.Second,
}

const (
	// maxReplyLine bounds one reply line (RFC 5321 allows 512 octets) so that a
	// broken server can't make us buffer without end.
	maxReplyLine = 4096
	// maxReplyLines bounds a multi-line reply for the same reason.
	maxReplyLines = 128
)

// reply is one SMTP reply, possibly of several lines.
type reply struct {
	code     int
	enhanced string   // RFC 3463 code such as "5.1.1", or ""
	lines    []string // each line's text after the code and separator
}

// String gives the reply as the server wrote it, lines joined by a space, e.g.
// "550 5.1.1 user unknown".
func (r *reply) String() string {
	text := strings.TrimSpace(strings.Join(r.lines, " "))
	if text == "" {
		return strconv.Itoa(r.code)
	}
	return strconv.Itoa(r.code) + " " + text
}

func (r *reply) class() int { return r.code / 100 }

// protocolError is a reply that doesn't follow RFC 5321's syntax or sequence.
type protocolError struct{ msg string }

func (e *protocolError) Error() string { return "smtp protocol error: " + e.msg }

// readReply reads one reply. Its errors are I/O errors or *protocolError; after
// either the connection is unusable.
func readReply(br *bufio.Reader) (*reply, error) {
	var r reply
	for i := 0; ; i++ {
		if i == maxReplyLines {
			return nil, &protocolError{fmt.Sprintf("reply longer than %d lines", maxReplyLines)}
		}
		line, err := readLine(br)
		if err != nil {
			if i > 0 && err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		code, more, text, err := parseReplyLine(line)
		if err != nil {
			return nil, err
		}
		if i == 0 {
			r.code = code
		} else if code != r.code {
			return nil, &protocolError{fmt.Sprintf("reply code changed from %d to %d within a reply", r.code, code)}
		}
		r.lines = append(r.lines, text)
		if !more {
			break
		}
	}
	r.enhanced = parseEnhanced(r.code, r.lines[0])
	return &r, nil
}

// readLine reads a line without its CRLF (a bare LF is accepted too).
func readLine(br *bufio.Reader) (string, error) {
	b, err := br.ReadSlice('\n')
	switch {
	case errors.Is(err, bufio.ErrBufferFull):
		return "", &protocolError{"reply line too long"}
	case err == io.EOF && len(b) > 0:
		return "", io.ErrUnexpectedEOF
	case err != nil:
		return "", err
	}
	if len(b) > maxReplyLine {
		return "", &protocolError{"reply line too long"}
	}
	b = b[:len(b)-1]
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	return string(b), nil
}

// parseReplyLine splits "250-text", "250 text" or "250" (RFC 5321 §4.2).
func parseReplyLine(line string) (code int, more bool, text string, err error) {
	if len(line) < 3 || line[0] < '2' || line[0] > '5' || !isDigit(line[1]) || !isDigit(line[2]) {
		return 0, false, "", &protocolError{fmt.Sprintf("malformed reply %q", truncate(line, 64))}
	}
	code = int(line[0]-'0')*100 + int(line[1]-'0')*10 + int(line[2]-'0')
	if len(line) == 3 {
		return code, false, "", nil
	}
	switch line[3] {
	case ' ':
		return code, false, line[4:], nil
	case '-':
		return code, true, line[4:], nil
	}
	return 0, false, "", &protocolError{fmt.Sprintf("malformed reply %q", truncate(line, 64))}
}

// parseEnhanced returns the RFC 3463 code at the start of text if its class matches
// the reply code's.
func parseEnhanced(code int, text string) string {
	word, _, _ := strings.Cut(text, " ")
	parts := strings.Split(word, ".")
	if len(parts) != 3 || parts[0] != strconv.Itoa(code/100) {
		return ""
	}
	for _, p := range parts[1:] {
		if len(p) == 0 || len(p) > 3 {
			return ""
		}
		for i := range len(p) {
			if !isDigit(p[i]) {
				return ""
			}
		}
	}
	return word
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// smtpClient is one connection to the relay. It is used by one goroutine at a time.
type smtpClient struct {
	conn net.Conn
	br   *bufio.Reader
	bw   *bufio.Writer
	tw   *textproto.Writer
	to   timeouts

	// trace, if set, is told each line of the dialogue ("C: ..." and "S: ..."),
	// with credentials hidden.
	trace func(line string)

	pipelining bool
	eightBit   bool            // 8BITMIME
	smtpUTF8   bool            // SMTPUTF8
	sizeOK     bool            // SIZE offered
	sizeLimit  int64           // SIZE's limit, 0 if none given
	enhanced   bool            // ENHANCEDSTATUSCODES
	startTLS   bool            // STARTTLS offered
	authMechs  map[string]bool // AUTH mechanisms offered, upper case
	tlsOn      bool            // the session is encrypted

	// replies counts the replies read in the current transaction: a reused connection
	// that fails before the first one was most likely closed by the relay while idle.
	replies int
	// broken means the session's state is unknown (an error, or RSET failed): close it.
	broken bool
}

// newClient wraps an open connection.
func newClient(conn net.Conn, to timeouts, trace func(string)) *smtpClient {
	c := &smtpClient{conn: conn, to: to, trace: trace}
	c.setConn(conn)
	return c
}

// setConn makes conn the one the session reads and writes (again after STARTTLS).
func (c *smtpClient) setConn(conn net.Conn) {
	c.conn = conn
	c.br = bufio.NewReaderSize(conn, maxReplyLine)
	c.bw = bufio.NewWriterSize(conn, 32<<10)
	c.tw = textproto.NewWriter(c.bw)
}

// greet reads the greeting and says EHLO (HELO if EHLO is refused).
func (c *smtpClient) greet(ctx context.Context, helo string) error {
	stop := c.arm(ctx, c.to.command)
	defer stop()
	greet, err := c.read(ctx)
	if err != nil {
		return fmt.Errorf("greeting: %w", err)
	}
	if greet.code != 220 {
		c.quit(ctx)
		return &replyError{"greeting", greet}
	}
	return c.hello(ctx, helo)
}

// hello says EHLO, falling back to HELO, and learns the extensions offered.
func (c *smtpClient) hello(ctx context.Context, helo string) error {
	stop := c.arm(ctx, c.to.command)
	defer stop()
	c.resetExtensions()
	ehlo, err := c.cmd(ctx, "EHLO %s", helo)
	if err != nil {
		return fmt.Errorf("EHLO: %w", err)
	}
	switch ehlo.class() {
	case 2:
		c.parseExtensions(ehlo.lines[1:])
		return nil
	case 4:
		c.quit(ctx)
		return &replyError{"EHLO", ehlo}
	}
	// An old server that doesn't know EHLO: fall back to HELO (RFC 5321 §4.1.4).
	r, err := c.cmd(ctx, "HELO %s", helo)
	if err != nil {
		return fmt.Errorf("HELO: %w", err)
	}
	if r.class() != 2 {
		c.quit(ctx)
		return &replyError{"HELO", r}
	}
	return nil
}

func (c *smtpClient) resetExtensions() {
	c.pipelining, c.eightBit, c.smtpUTF8, c.sizeOK, c.sizeLimit, c.enhanced = false, false, false, false, 0, false
	c.startTLS, c.authMechs = false, nil
}

func (c *smtpClient) parseExtensions(lines []string) {
	for _, l := range lines {
		kw, param, _ := strings.Cut(strings.TrimSpace(l), " ")
		kw = strings.ToUpper(kw)
		if strings.HasPrefix(kw, "AUTH=") {
			// The pre-RFC 4954 spelling of some old servers: "AUTH=LOGIN PLAIN".
			kw, param = "AUTH", strings.TrimPrefix(kw, "AUTH=")+" "+param
		}
		switch kw {
		case "PIPELINING":
			c.pipelining = true
		case "8BITMIME":
			c.eightBit = true
		case "SMTPUTF8":
			c.smtpUTF8 = true
		case "ENHANCEDSTATUSCODES":
			c.enhanced = true
		case "STARTTLS":
			c.startTLS = true
		case "AUTH":
			if c.authMechs == nil {
				c.authMechs = map[string]bool{}
			}
			for _, m := range strings.Fields(param) {
				c.authMechs[strings.ToUpper(m)] = true
			}
		case "SIZE":
			c.sizeOK = true
			if n, err := strconv.ParseInt(strings.TrimSpace(param), 10, 64); err == nil && n > 0 {
				c.sizeLimit = n
			}
		}
	}
}

// replyError is an unexpected reply outside a transaction's per-recipient results.
type replyError struct {
	step string
	r    *reply
}

func (e *replyError) Error() string { return e.step + ": " + e.r.String() }

// arm sets the connection's deadline to the earlier of now+d and ctx's deadline, and
// makes ctx's cancellation interrupt blocked I/O. Call the returned func when done.
func (c *smtpClient) arm(ctx context.Context, d time.Duration) (stop func()) {
	dl := time.Now().Add(d)
	if cd, ok := ctx.Deadline(); ok && cd.Before(dl) {
		dl = cd
	}
	c.conn.SetDeadline(dl)
	cancel := context.AfterFunc(ctx, func() { c.conn.SetDeadline(time.Unix(1, 0)) })
	return func() { cancel() }
}

// ioErr marks the session broken and, when ctx ended, says so rather than "i/o timeout".
func (c *smtpClient) ioErr(ctx context.Context, err error) error {
	c.broken = true
	if ctx.Err() != nil {
		return fmt.Errorf("%w (%w)", context.Cause(ctx), err)
	}
	// The connection's deadline can fire a moment before ctx's own timer.
	if dl, ok := ctx.Deadline(); ok && !time.Now().Before(dl) {
		return fmt.Errorf("%w (%w)", context.DeadlineExceeded, err)
	}
	return err
}

func (c *smtpClient) read(ctx context.Context) (*reply, error) {
	r, err := readReply(c.br)
	if err != nil {
		return nil, c.ioErr(ctx, err)
	}
	c.replies++
	if c.trace != nil {
		for i, l := range r.lines {
			sep := "-"
			if i == len(r.lines)-1 {
				sep = " "
			}
			c.trace("S: " + strconv.Itoa(r.code) + sep + l)
		}
	}
	return r, nil
}

func (c *smtpClient) write(ctx context.Context, format string, args ...any) error {
	line := fmt.Sprintf(format, args...)
	return c.writeLine(ctx, line, line)
}

// writeLine writes line and traces it as shown, which hides what must not be seen.
func (c *smtpClient) writeLine(ctx context.Context, shown, line string) error {
	if c.trace != nil {
		c.trace("C: " + shown)
	}
	c.bw.WriteString(line)
	if _, err := c.bw.WriteString("\r\n"); err != nil {
		return c.ioErr(ctx, err)
	}
	return nil
}

func (c *smtpClient) flush(ctx context.Context) error {
	if err := c.bw.Flush(); err != nil {
		return c.ioErr(ctx, err)
	}
	return nil
}

// cmd sends one command and reads its reply; the caller has armed the deadline.
func (c *smtpClient) cmd(ctx context.Context, format string, args ...any) (*reply, error) {
	if err := c.write(ctx, format, args...); err != nil {
		return nil, err
	}
	if err := c.flush(ctx); err != nil {
		return nil, err
	}
	return c.read(ctx)
}

// sizer is implemented by messages that know their size, for SIZE= (RFC 1870).
type sizer interface{ Size() int64 }

func (c *smtpClient) mailCommand(from string, rcpts []string, msg io.WriterTo) string {
	var b strings.Builder
	b.WriteString("MAIL FROM:<" + from + ">")
	if c.eightBit {
		// Simplest correct thing: declaring 8BITMIME for a 7-bit message is harmless.
		b.WriteString(" BODY=8BITMIME")
	}
	if c.sizeOK {
		if s, ok := msg.(sizer); ok {
			b.WriteString(" SIZE=" + strconv.FormatInt(s.Size(), 10))
		}
	}
	if c.smtpUTF8 && (!isASCII(from) || anyNonASCII(rcpts)) {
		b.WriteString(" SMTPUTF8")
	}
	return b.String()
}

// send runs one mail transaction. res[i] is the reply that decided rcpts[i]'s fate,
// or nil when it is undecided because of err (an I/O or protocol error, after which
// the connection must be closed). A 2xx res[i] means delivered.
func (c *smtpClient) send(ctx context.Context, from string, rcpts []string, msg io.WriterTo) (res []*reply, err error) {
	c.replies = 0
	res = make([]*reply, len(rcpts))
	if s, ok := msg.(sizer); ok && c.sizeLimit > 0 && s.Size() > c.sizeLimit {
		// What the relay would answer to MAIL with SIZE= (RFC 1870 §6.2), without the
		// round trip.
		fill(res, &reply{code: 552, enhanced: "5.3.4", lines: []string{
			fmt.Sprintf("5.3.4 message size %d exceeds the relay's limit of %d", s.Size(), c.sizeLimit)}})
		return res, nil
	}
	mailCmd := c.mailCommand(from, rcpts, msg)
	var (
		mail, data *reply
		accepted   int
	)
	stop := c.arm(ctx, c.to.command)
	if c.pipelining {
		// One write for the whole envelope, then the replies in order (RFC 2920 §3.1).
		c.write(ctx, "%s", mailCmd)
		for _, rc := range rcpts {
			c.write(ctx, "RCPT TO:<%s>", rc)
		}
		c.write(ctx, "DATA")
		if err := c.flush(ctx); err != nil {
			stop()
			return res, err
		}
		if mail, err = c.read(ctx); err != nil {
			stop()
			return res, err
		}
		rr := make([]*reply, len(rcpts))
		for i := range rcpts {
			if rr[i], err = c.read(ctx); err != nil {
				stop()
				return res, err
			}
		}
		if data, err = c.read(ctx); err != nil {
			stop()
			return res, err
		}
		stop()
		for i, r := range rr {
			switch {
			case mail.class() != 2:
				res[i] = mail
			case r.class() != 2:
				res[i] = r
			default:
				accepted++
			}
		}
		if data.code == 354 && accepted == 0 {
			// RFC 2920 §3.1: DATA was accepted although no recipient was; send an
			// empty message and disregard the reply to it.
			if err := c.endEmptyData(ctx); err != nil {
				return res, err
			}
			c.rset(ctx)
			return res, nil
		}
	} else {
		mail, err = c.cmd(ctx, "%s", mailCmd)
		if err != nil {
			stop()
			return res, err
		}
		if mail.class() != 2 {
			stop()
			for i := range res {
				res[i] = mail
			}
			c.rset(ctx)
			return res, nil
		}
		for i, rc := range rcpts {
			r, err := c.cmd(ctx, "RCPT TO:<%s>", rc)
			if err != nil {
				stop()
				return res, err
			}
			if r.class() != 2 {
				res[i] = r
			} else {
				accepted++
			}
		}
		if accepted == 0 {
			stop()
			c.rset(ctx)
			return res, nil
		}
		data, err = c.cmd(ctx, "DATA")
		stop()
		if err != nil {
			return res, err
		}
	}
	if accepted == 0 {
		// Pipelined, and MAIL or every RCPT failed: DATA was refused too.
		c.rset(ctx)
		return res, nil
	}
	if data.code != 354 {
		fill(res, data)
		c.rset(ctx)
		return res, nil
	}
	final, err := c.writeData(ctx, msg)
	if err != nil {
		return res, err
	}
	fill(res, final)
	if final.class() != 2 {
		c.rset(ctx)
	}
	return res, nil
}

// fill sets every undecided result to r.
func fill(res []*reply, r *reply) {
	for i := range res {
		if res[i] == nil {
			res[i] = r
		}
	}
}

// writeData sends the message dot-stuffed and reads the final reply.
func (c *smtpClient) writeData(ctx context.Context, msg io.WriterTo) (*reply, error) {
	stop := c.arm(ctx, c.to.data)
	if c.trace != nil {
		c.trace("C: (the message)")
		c.trace("C: .")
	}
	dw := c.tw.DotWriter()
	if _, err := msg.WriteTo(dw); err != nil {
		stop()
		// Never terminate a message we couldn't write in full: the relay would deliver
		// it truncated. Closing the connection makes it discard the message.
		c.broken = true
		return nil, fmt.Errorf("write message: %w", err)
	}
	if err := dw.Close(); err != nil {
		stop()
		return nil, c.ioErr(ctx, fmt.Errorf("write message: %w", err))
	}
	stop()
	stop = c.arm(ctx, c.to.final)
	defer stop()
	return c.read(ctx)
}

func (c *smtpClient) endEmptyData(ctx context.Context) error {
	stop := c.arm(ctx, c.to.command)
	defer stop()
	if err := c.write(ctx, "."); err != nil {
		return err
	}
	if err := c.flush(ctx); err != nil {
		return err
	}
	_, err := c.read(ctx)
	return err
}

// rset ends a failed transaction. If that fails too, the session is marked broken.
func (c *smtpClient) rset(ctx context.Context) {
	stop := c.arm(ctx, c.to.command)
	defer stop()
	r, err := c.cmd(ctx, "RSET")
	if err != nil || r.class() != 2 {
		c.broken = true
	}
}

// quit says goodbye, best effort; close still has to be called.
func (c *smtpClient) quit(ctx context.Context) {
	stop := c.arm(ctx, c.to.quit)
	defer stop()
	c.cmd(ctx, "QUIT")
}

// close ends the session, with QUIT if it is in a known state.
func (c *smtpClient) close(ctx context.Context) {
	if !c.broken {
		c.quit(ctx)
	}
	c.conn.Close()
}

func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func anyNonASCII(ss []string) bool {
	for _, s := range ss {
		if !isASCII(s) {
			return true
		}
	}
	return false
}

// validAddress reports whether a can go between <> in MAIL or RCPT without changing
// the command: no controls, spaces or angle brackets.
func validAddress(a string) bool {
	for i := range len(a) {
		if c := a[i]; c <= ' ' || c == 0x7f || c == '<' || c == '>' {
			return false
		}
	}
	return utf8.ValidString(a)
}

// truncate shortens s to at most n bytes on a UTF-8 boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
