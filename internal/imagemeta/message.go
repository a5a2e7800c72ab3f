package imagemeta

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"strings"

	"github.com/emersion/go-message/textproto"

	"listd/internal/mailmsg"
)

// maxDepth bounds how deep CleanMessage follows nested multiparts and attached
// messages; real mail needs four or five levels.
const maxDepth = 12

// Result says what CleanMessage did.
type Result struct {
	// Cleaned is how many images lost metadata.
	Cleaned int
	// Unreadable names the images (file name, else content type) that claimed to be
	// JPEG, PNG or WebP but whose structure could not be followed; they were left as
	// they were.
	Unreadable []string
}

// CleanMessage returns the mail raw with the metadata removed from every JPEG, PNG
// and WebP image in it (parts of type image/* or application/octet-stream, at any
// depth, in attached messages too). A rewritten image is sent base64-encoded; the
// other parts keep their bytes. When no image had metadata, out is raw itself, so a
// signature over an ordinary mail is not broken for nothing. err is set only when
// raw has no readable header.
func CleanMessage(raw []byte) (out []byte, res Result, err error) {
	h, body, err := splitMessage(raw)
	if err != nil {
		return raw, res, fmt.Errorf("imagemeta: %w", err)
	}
	newH, newBody, changed := cleanEntity(h, body, 0, &res)
	if !changed {
		return raw, res, nil
	}
	var b bytes.Buffer
	b.Grow(len(raw))
	if err := textproto.WriteHeader(&b, newH); err != nil {
		return raw, Result{}, fmt.Errorf("imagemeta: write header: %w", err)
	}
	b.Write(newBody)
	return b.Bytes(), res, nil
}

// mayHoldImage reports whether cleanEntity may change an entity with header h.
func mayHoldImage(h textproto.Header) bool {
	mt, _, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil && mt == "" {
		return false
	}
	return strings.HasPrefix(mt, "multipart/") || mt == "message/rfc822" || mt == "message/global" ||
		strings.HasPrefix(mt, "image/") || mt == "application/octet-stream"
}

// splitMessage reads the header of a message or part and returns the rest as body.
// The header ends where mailmsg.SplitHeader ends it (a line that is no header field
// starts the body), as it does for the copies that go out: an image that a reader
// will see is cleaned even when the header above it is broken.
func splitMessage(raw []byte) (textproto.Header, []byte, error) {
	block, body := mailmsg.SplitHeader(raw)
	h, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(append(block[:len(block):len(block)], "\r\n\r\n"...))))
	if err != nil {
		return h, nil, fmt.Errorf("read header: %w", err)
	}
	return h, body, nil
}

// cleanEntity cleans one entity (a message or a part). changed reports whether the
// body (and possibly its Content-Transfer-Encoding in the returned header) changed.
func cleanEntity(h textproto.Header, body []byte, depth int, res *Result) (textproto.Header, []byte, bool) {
	if depth > maxDepth {
		return h, body, false
	}
	mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil && mt == "" {
		return h, body, false
	}
	cte := strings.ToLower(strings.TrimSpace(h.Get("Content-Transfer-Encoding")))
	switch {
	case strings.HasPrefix(mt, "multipart/"):
		nb, changed := cleanMultipart(body, params["boundary"], depth, res)
		return h, nb, changed
	case mt == "message/rfc822" || mt == "message/global":
		if cte == "base64" || cte == "quoted-printable" {
			return h, body, false // not allowed for message/rfc822; too rare to follow
		}
		inner, nb, err := splitMessage(body)
		if err != nil {
			return h, body, false
		}
		innerH, innerBody, changed := cleanEntity(inner, nb, depth+1, res)
		if !changed {
			return h, body, false
		}
		var b bytes.Buffer
		if err := textproto.WriteHeader(&b, innerH); err != nil {
			return h, body, false
		}
		b.Write(innerBody)
		return h, b.Bytes(), true
	case strings.HasPrefix(mt, "image/") || mt == "application/octet-stream":
		if !looksLikeImage(body, cte) {
			return h, body, false // a PDF sent as octet-stream, say: not decoded at all
		}
		// A photo cut short still decodes up to the cut, so that what a reader
		// sees of it loses its metadata too.
		data, err := mailmsg.DecodeTransfer(body, cte, mailmsg.StrictCut)
		if err != nil || Detect(data) == "" {
			return h, body, false
		}
		clean, changed, err := Strip(data)
		if err != nil {
			res.Unreadable = append(res.Unreadable, partName(h, params, mt))
			return h, body, false
		}
		if !changed {
			return h, body, false
		}
		res.Cleaned++
		if cte != "base64" {
			h = h.Copy()
			h.Set("Content-Transfer-Encoding", "base64")
		}
		return h, encodeBase64(clean), true
	}
	return h, body, false
}

// cleanMultipart cleans the parts of a multipart body. A body that cannot be split
// (a broken boundary, a missing close delimiter) is left as it is. Only the parts
// that may hold an image are read into memory; the others are read again, in a second
// pass, only when the body has to be rebuilt.
func cleanMultipart(body []byte, boundary string, depth int, res *Result) ([]byte, bool) {
	if boundary == "" {
		return body, false
	}
	var parts []mailmsg.Part // a nil Body: not read, unchanged
	var sub Result
	changed := false
	mr := textproto.NewMultipartReader(bytes.NewReader(body), boundary)
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return body, false
		}
		if !mayHoldImage(p.Header) {
			if _, err := io.Copy(io.Discard, p); err != nil {
				return body, false
			}
			parts = append(parts, mailmsg.Part{Header: p.Header})
			continue
		}
		b, err := io.ReadAll(p)
		if err != nil {
			return body, false
		}
		h, nb, c := cleanEntity(p.Header, b, depth+1, &sub)
		if !c {
			nb = nil
		}
		parts = append(parts, mailmsg.Part{Header: h, Body: nb})
		changed = changed || c
	}
	// What the parts found counts only when they were read through to the end.
	res.Cleaned += sub.Cleaned
	res.Unreadable = append(res.Unreadable, sub.Unreadable...)
	if !changed {
		return body, false
	}
	mr = textproto.NewMultipartReader(bytes.NewReader(body), boundary)
	for i := range parts {
		p, err := mr.NextPart()
		if err != nil {
			return body, false
		}
		if parts[i].Body != nil {
			continue
		}
		if parts[i].Body, err = io.ReadAll(p); err != nil {
			return body, false
		}
	}
	out, err := mailmsg.JoinMultipart(boundary, parts, len(body))
	if err != nil {
		return body, false
	}
	return out, true
}

// looksLikeImage decodes only the start of a body (a few lines of base64 or
// quoted-printable hold the 12 bytes Detect needs) to see whether it starts like a
// JPEG, PNG or WebP file.
func looksLikeImage(body []byte, cte string) bool {
	const peek = 256
	head, _ := mailmsg.DecodeTransfer(body[:min(len(body), peek)], cte, mailmsg.Lenient)
	return Detect(head) != ""
}

// encodeBase64 writes b in base64 lines of 76 characters (RFC 2045 6.8).
func encodeBase64(b []byte) []byte {
	const lineIn = 57 // bytes that make 76 characters
	n := base64.StdEncoding.EncodedLen(len(b))
	out := make([]byte, 0, n+(n/76+1)*2)
	for len(b) > 0 {
		k := min(len(b), lineIn)
		out = base64.StdEncoding.AppendEncode(out, b[:k])
		out = append(out, '\r', '\n')
		b = b[k:]
	}
	return out
}

// partName is how an image is named in Result.Unreadable.
func partName(h textproto.Header, params map[string]string, mt string) string {
	if _, dp, err := mime.ParseMediaType(h.Get("Content-Disposition")); err == nil && dp["filename"] != "" {
		return dp["filename"]
	}
	if params["name"] != "" {
		return params["name"]
	}
	return mt
}
