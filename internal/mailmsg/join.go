package mailmsg

import (
	"bytes"
	"fmt"

	"github.com/emersion/go-message/textproto"
)

// Part is one part of a multipart body: its header fields and its body as written
// (still transfer-encoded).
type Part struct {
	Header textproto.Header
	Body   []byte
}

// JoinMultipart writes parts as a multipart body delimited by boundary: the one way
// the code that changes some parts of a message (signatures cut, photos cleaned)
// puts the body back together. sizeHint is the expected size (the old body's).
func JoinMultipart(boundary string, parts []Part, sizeHint int) ([]byte, error) {
	var b bytes.Buffer
	b.Grow(sizeHint)
	w := textproto.NewMultipartWriter(&b)
	if err := w.SetBoundary(boundary); err != nil {
		return nil, fmt.Errorf("boundary %q: %w", boundary, err)
	}
	for i, p := range parts {
		pw, err := w.CreatePart(p.Header)
		if err != nil {
			return nil, fmt.Errorf("part %d: %w", i+1, err)
		}
		if _, err := pw.Write(p.Body); err != nil {
			return nil, fmt.Errorf("part %d: %w", i+1, err)
		}
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("closing delimiter: %w", err)
	}
	return b.Bytes(), nil
}
