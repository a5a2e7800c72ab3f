package mailmsg

import "bytes"

// SplitMultipart cuts a multipart body at its boundary lines ("--boundary", with
// optional trailing white space; "--boundary--" closes) and returns the parts
// (header and body each, aliasing body). The line break before a boundary belongs
// to the boundary; the preamble and the epilogue are dropped. It is lenient as mail
// readers are: a body that ends without the close delimiter keeps its last part,
// running to the end (unclosed is then true). parts is nil when no boundary line was
// found, and empty (not nil) for a closed multipart without parts. At most max parts
// are returned (max <= 0: no limit); the rest of the body is then not looked at.
//
// It is for reading. A writer that re-emits the body byte for byte (compose) keeps
// preamble, delimiters and epilogue, and needs its own split.
func SplitMultipart(body []byte, boundary string, max int) (parts [][]byte, unclosed bool) {
	if boundary == "" {
		return nil, false
	}
	delim := []byte("--" + boundary)
	start := -1 // start of the current part, -1 before the first boundary
	for pos := 0; pos < len(body); {
		end := bytes.IndexByte(body[pos:], '\n')
		next := len(body)
		if end >= 0 {
			next = pos + end + 1
			end += pos
		} else {
			end = len(body)
		}
		line := body[pos:end]
		if bytes.HasPrefix(line, delim) {
			rest := line[len(delim):]
			closing := bytes.HasPrefix(rest, []byte("--"))
			if closing {
				rest = rest[2:]
			}
			if len(bytes.TrimSpace(rest)) == 0 {
				if start >= 0 {
					parts = append(parts, trimLineEnd(body[start:pos]))
				}
				if closing || max > 0 && len(parts) >= max {
					if parts == nil {
						parts = [][]byte{}
					}
					return parts, false
				}
				start = next
			}
		}
		pos = next
	}
	if start < 0 {
		return nil, false
	}
	return append(parts, body[start:]), true
}

// trimLineEnd removes one trailing line break.
func trimLineEnd(b []byte) []byte {
	b = bytes.TrimSuffix(b, []byte("\n"))
	return bytes.TrimSuffix(b, []byte("\r"))
}
