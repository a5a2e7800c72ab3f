package archive

import (
	"bytes"
	"fmt"
	"strings"

	"listd/internal/mailmsg"
)

// MaxHeaderFields bounds the header fields of a message and all its MIME parts and
// attached messages together. Every parser of a message (Parse, go-message, the
// image cleaner) allocates per field, a few hundred bytes each, so that a message of
// a few megabytes made of tiny fields would cost a hundred times its size. Real mail
// has a few dozen fields per header and a handful per part.
const MaxHeaderFields = 10000

// maxContentType bounds the bytes of a Content-Type field kept to find a boundary.
const maxContentType = 4096

// maxNesting bounds the multipart boundaries followed at once.
const maxNesting = 50

// countHeaderFields counts the header fields of raw, of its MIME parts and of the
// messages attached to it (message/rfc822), without parsing them, and fails once
// there are more than max. It follows boundaries as MIME parsers do: a line "--B" in
// the body of a multipart with boundary B starts a part's header.
func countHeaderFields(raw []byte, max int) error {
	var (
		fields     int
		inHeader   = true
		ctField    = false // the current field is the header's first Content-Type
		ctSeen     = false // the header had a Content-Type field
		encoded    = false // the current header says base64 or quoted-printable
		ct         []byte
		boundaries []string
	)
	endHeader := func() {
		defer func() { encoded, ctSeen = false, false }()
		if len(ct) == 0 {
			inHeader = false
			return
		}
		// As leniently as the parsers that read the parts later (Parse, compose):
		// a Content-Type the standard library refuses (a parameter twice, say) still
		// has a boundary for them.
		mt, params, err := mailmsg.ParseMediaType(string(ct))
		mt = strings.ToLower(mt)
		ct = ct[:0]
		switch {
		case encoded:
			inHeader = false
		case err == nil && strings.HasPrefix(mt, "multipart/") && params["boundary"] != "" && len(boundaries) < maxNesting:
			boundaries = append(boundaries, "--"+params["boundary"])
			inHeader = false
		case err == nil && (mt == "message/rfc822" || mt == "message/global"):
			inHeader = true // the attached message's header follows at once
		default:
			inHeader = false
		}
	}
	for len(raw) > 0 {
		line := raw
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			line, raw = raw[:i], raw[i+1:]
		} else {
			raw = nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if inHeader {
			switch {
			case len(line) == 0:
				endHeader()
			case line[0] == ' ' || line[0] == '\t':
				if ctField && len(ct)+len(line) <= maxContentType {
					ct = append(ct, line...)
				}
			default:
				if fields++; fields > max {
					return fmt.Errorf("more than %d header fields in the message and its parts", max)
				}
				name, value, _ := bytes.Cut(line, []byte(":"))
				name = bytes.TrimSpace(name)
				// The first Content-Type counts, as the readers' Header.Get takes it.
				ctField = !ctSeen && bytes.EqualFold(name, []byte("Content-Type"))
				if ctField {
					ctSeen = true
					ct = append(ct[:0], value[:min(len(value), maxContentType)]...)
				}
				if bytes.EqualFold(name, []byte("Content-Transfer-Encoding")) {
					v := bytes.ToLower(bytes.TrimSpace(value))
					encoded = bytes.Equal(v, []byte("base64")) || bytes.Equal(v, []byte("quoted-printable"))
				}
			}
			continue
		}
		if len(line) < 3 || line[0] != '-' || line[1] != '-' {
			continue
		}
		trimmed := bytes.TrimRight(line, " \t")
	match:
		for i := len(boundaries) - 1; i >= 0; i-- {
			b := boundaries[i]
			if !bytes.HasPrefix(trimmed, []byte(b)) {
				continue
			}
			switch rest := trimmed[len(b):]; {
			case len(rest) == 0:
				boundaries = boundaries[:i+1]
				inHeader, ctField = true, false
			case string(rest) == "--":
				boundaries = boundaries[:i]
			default:
				continue
			}
			break match
		}
	}
	return nil
}
