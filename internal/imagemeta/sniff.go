package imagemeta

import (
	"net/http"
	"strings"
)

// ContentType is the media type the bytes are, without parameters, sniffed as a
// browser sniffs them (the WHATWG algorithm of http.DetectContentType):
// "image/jpeg", "image/png", "application/pdf", ..., and "application/octet-stream"
// when nothing matches. It is listd's one sniffing of content: the type a web post's
// attachment is sent as, and whether an archived attachment is the image or PDF its
// type says.
func ContentType(b []byte) string {
	t, _, _ := strings.Cut(http.DetectContentType(b), ";")
	return t
}
