package mailmsg

import "bytes"

// SplitHeader splits a message or MIME part (CRLF or LF lines) into its header block
// (complete field lines) and body. Like MTAs do, a line that is neither a
// header field nor a continuation line ends the header and becomes the
// first body line, so a missing blank line is recovered from. A message
// without a blank line is all header. The rules match what
// textproto.ReadHeader accepts (go-message), so parsing
// the block cannot fail. Both slices alias msg: a caller that re-emits them
// keeps the original bytes exactly.
func SplitHeader(msg []byte) (hdr, body []byte) {
	pos := 0
	for pos < len(msg) {
		next := len(msg)
		line := msg[pos:]
		if i := bytes.IndexByte(line, '\n'); i >= 0 {
			line = line[:i]
			next = pos + i + 1
			// Strip the CR of CRLF, as bufio.Reader.ReadLine does.
			line = bytes.TrimSuffix(line, []byte("\r"))
		}
		switch {
		case len(line) == 0:
			return msg[:pos], msg[next:]
		case line[0] == ' ' || line[0] == '\t':
			if pos == 0 {
				// A continuation without a field: there is no header.
				return nil, msg
			}
		case !IsFieldLine(line):
			return msg[:pos], msg[pos:]
		}
		pos = next
	}
	return msg, nil
}

// IsFieldLine reports whether line starts a header field: a name of
// printable ASCII except ':', optional blanks, then ':'. The name may be
// empty because textproto.ReadHeader reads (and skips) such lines too.
func IsFieldLine(line []byte) bool {
	i := 0
	for i < len(line) && line[i] >= 33 && line[i] <= 126 && line[i] != ':' {
		i++
	}
	for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
		i++
	}
	return i < len(line) && line[i] == ':'
}
