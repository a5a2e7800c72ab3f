// Package imagemeta removes metadata (Exif with its GPS position, XMP, IPTC, text
// chunks) from JPEG, PNG and WebP images at the byte level, without decoding or
// re-encoding them, so the pictures lose nothing; and it does so for the images
// attached to a mail (see CleanMessage).
package imagemeta

import (
	"bytes"
	"errors"
	"fmt"
)

// Errors of Strip.
var (
	// ErrUnknownFormat means the bytes are not a JPEG, PNG or WebP image.
	ErrUnknownFormat = errors.New("imagemeta: not a JPEG, PNG or WebP image")
	// ErrMalformed means the image's structure could not be followed, so its
	// metadata could not be found.
	ErrMalformed = errors.New("imagemeta: malformed image")
)

// Format names an image format Strip understands.
type Format string

// The formats Strip understands.
const (
	JPEG Format = "jpeg"
	PNG  Format = "png"
	WebP Format = "webp"
)

var pngSignature = []byte("\x89PNG\r\n\x1a\n")

// Detect returns the image's format from its first bytes, or "".
func Detect(img []byte) Format {
	switch {
	case len(img) >= 3 && img[0] == 0xFF && img[1] == 0xD8 && img[2] == 0xFF:
		return JPEG
	case bytes.HasPrefix(img, pngSignature):
		return PNG
	case len(img) >= 12 && string(img[:4]) == "RIFF" && string(img[8:12]) == "WEBP":
		return WebP
	}
	return ""
}

// Strip returns img without its metadata. changed reports whether anything was
// removed; when it is false, out is img itself. The image data, and what is needed
// to show it right (JFIF, the ICC colour profile, Adobe's colour transform, PNG's
// colour chunks), stay as they are.
func Strip(img []byte) (out []byte, changed bool, err error) {
	switch Detect(img) {
	case JPEG:
		return stripJPEG(img)
	case PNG:
		return stripPNG(img)
	case WebP:
		return stripWebP(img)
	}
	return img, false, ErrUnknownFormat
}

func malformed(format Format, what string, at int) error {
	return fmt.Errorf("%w: %s: %s at byte %d", ErrMalformed, format, what, at)
}

// cut is a span of the input to leave out.
type cut struct{ start, end int }

// without returns b without the spans in cuts (in order, not overlapping), and
// without anything from end on.
func without(b []byte, cuts []cut, end int) []byte {
	out := make([]byte, 0, end)
	prev := 0
	for _, c := range cuts {
		out = append(out, b[prev:c.start]...)
		prev = c.end
	}
	return append(out, b[prev:end]...)
}

// isPadding reports whether trailing bytes are only filler (zeros or 0xFF), which
// some writers leave after an image and which carries nothing.
func isPadding(b []byte) bool {
	for _, c := range b {
		if c != 0 && c != 0xFF {
			return false
		}
	}
	return true
}
