package mailview

import (
	"mime"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"listd/internal/imagemeta"
	"listd/internal/mailmsg"
)

// maxNameLen caps a file name in bytes; file systems stop at 255.
const maxNameLen = 200

// normType folds the aliases of the inert types into their standard names.
func normType(ct string) string {
	ct = strings.ToLower(strings.TrimSpace(ct))
	switch ct {
	case "image/jpg", "image/pjpeg":
		return "image/jpeg"
	case "image/x-png":
		return "image/png"
	}
	return ct
}

// inertImage reports the image types a browser only ever shows as pixels.
func inertImage(ct string) bool {
	switch ct {
	case "image/png", "image/jpeg", "image/gif", "image/webp":
		return true
	}
	return false
}

// safeHeaders gives the Content-Type and Content-Disposition for serving an
// attachment. Only inert types keep their type: PNG, JPEG, GIF and WebP images and
// PDF (each only when the bytes are one: nothing else may hide behind the type) and
// plain text; everything else, HTML and SVG above all, is application/octet-stream.
// Only the images may be shown inline.
func safeHeaders(name, declared, charsetLabel string, data []byte) (contentType, disposition string) {
	ct := normType(declared)
	switch {
	case inertImage(ct):
		if imagemeta.ContentType(data) != ct {
			ct = "application/octet-stream"
		}
	case ct == "application/pdf":
		if imagemeta.ContentType(data) != ct {
			ct = "application/octet-stream"
		}
	case ct == "text/plain":
		ct = mime.FormatMediaType("text/plain", map[string]string{"charset": textCharset(charsetLabel, data)})
	default:
		ct = "application/octet-stream"
	}
	kind := "attachment"
	if inertImage(ct) {
		kind = "inline"
	}
	disposition = mime.FormatMediaType(kind, map[string]string{"filename": name})
	if disposition == "" {
		disposition = kind
	}
	return ct, disposition
}

// textCharset names the charset of a text attachment as served: the declared one if
// it is known, else UTF-8 when the bytes are valid UTF-8, else windows-1252.
func textCharset(label string, data []byte) string {
	if name := mailmsg.CharsetName(mailmsg.CleanCharset(label)); name != "" {
		return name
	}
	if utf8.Valid(data) {
		return "utf-8"
	}
	return "windows-1252"
}

// safeName makes a file name from a (decoded) attachment name: cleanName's rules,
// and "attachment-N" when nothing is left.
func safeName(name string, index int, ct string) string {
	if name = cleanName(name); name == "" {
		name = "attachment-" + strconv.Itoa(index+1) + extension(ct)
	}
	return name
}

// PublicFileName is the name an attachment goes by wherever others see it: on the
// archive pages, in downloads, and in the copies of an anonymous list's posts. It is
// the cleaned name (see cleanName) with every mail address in it masked (see Mask);
// "" when nothing is left, and the caller names the file by its place instead.
// The extension stays, so the file still opens with the right program.
func PublicFileName(name string) string {
	name = cleanName(name)
	stem, ext := name, ""
	if i := strings.LastIndexByte(name, '.'); i > 0 && len(name)-i <= 6 && isAlnumASCII(name[i+1:]) {
		stem, ext = name[:i], name[i:]
	}
	if masked := Mask(stem); masked != stem {
		return masked + ext
	}
	return Mask(name)
}

func isAlnumASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return s != ""
}

// cleanName makes a file name from a (decoded) attachment name: the last path
// element only, no control or format characters (a right-to-left override can
// disguise "exe.pdf"), none of the characters Windows refuses, no leading dots, a
// bounded length; "" when nothing is left.
func cleanName(name string) string {
	name = fixUTF8([]byte(name))
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == utf8.RuneError:
			return -1
		case strings.ContainsRune(`<>:"|?*`, r):
			return '_'
		case unicode.IsSpace(r):
			return ' '
		}
		return r
	}, name)
	name = strings.Trim(name, ". ")
	if len(name) > maxNameLen {
		ext := ""
		if i := strings.LastIndexByte(name, '.'); i >= 0 && len(name)-i <= 10 {
			ext = name[i:]
		}
		name = strings.TrimRight(clipBytes(name, maxNameLen-len(ext)), ". ") + ext
	}
	return name
}

// clipBytes cuts s to at most n bytes at a rune boundary.
func clipBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// extension is the file extension for an unnamed attachment of a known type.
func extension(ct string) string {
	switch normType(ct) {
	case "image/png":
		return ".png"
	case "image/jpeg":
		return ".jpg"
	case "image/gif":
		return ".gif"
	case "image/webp":
		return ".webp"
	case "application/pdf":
		return ".pdf"
	case "text/plain":
		return ".txt"
	case "message/rfc822":
		return ".eml"
	}
	return ""
}
