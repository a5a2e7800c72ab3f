package imagemeta

import "bytes"

// JPEG markers (ITU T.81, B.1.1.3).
const (
	mSOI  = 0xD8
	mEOI  = 0xD9
	mSOS  = 0xDA
	mTEM  = 0x01
	mRST0 = 0xD0
	mRST7 = 0xD7
	mAPP0 = 0xE0
	mAPP1 = 0xE1
	mAPP2 = 0xE2
	mAPPE = 0xEE
	mAPPF = 0xEF
	mCOM  = 0xFE
)

// keepJPEGSegment says which marker segments stay: everything that is not an
// application segment or a comment, and of those only JFIF/JFXX (APP0), the ICC
// profile (APP2 "ICC_PROFILE") and Adobe's colour transform (APP14 "Adobe"), which
// decoders need to show the colours right. Exif and XMP (APP1), IPTC (APP13), MPF
// (APP2, pointing at the extra images after EOI), maker and vendor segments and
// comments go.
func keepJPEGSegment(marker byte, data []byte) bool {
	switch {
	case marker == mCOM:
		return false
	case marker == mAPP0:
		return true
	case marker == mAPP2:
		return bytes.HasPrefix(data, []byte("ICC_PROFILE\x00"))
	case marker == mAPPE:
		return bytes.HasPrefix(data, []byte("Adobe"))
	case marker >= mAPP1 && marker <= mAPPF:
		return false
	}
	return true
}

// stripJPEG walks the marker segments, through the scans of a progressive image,
// up to EOI. Whatever follows EOI (multi-picture extra images with their own Exif,
// or other appended data) goes too. An image cut off inside its scan data keeps
// what there is: its metadata came before.
func stripJPEG(b []byte) ([]byte, bool, error) {
	var cuts []cut
	pos := 2 // after SOI
	end := len(b)
segments:
	for {
		// Markers may be preceded by any number of 0xFF fill bytes.
		if pos >= len(b) || b[pos] != 0xFF {
			return b, false, malformed(JPEG, "no marker", pos)
		}
		start := pos
		for pos < len(b) && b[pos] == 0xFF {
			pos++
		}
		if pos >= len(b) {
			return b, false, malformed(JPEG, "cut off", pos)
		}
		marker := b[pos]
		pos++
		switch {
		case marker == mEOI:
			end = pos
			break segments
		case marker == mSOI || marker == 0x00:
			return b, false, malformed(JPEG, "unexpected marker", start)
		case marker == mTEM || (marker >= mRST0 && marker <= mRST7):
			continue // no length, no data
		}
		if pos+2 > len(b) {
			return b, false, malformed(JPEG, "cut off in a segment length", pos)
		}
		n := int(b[pos])<<8 | int(b[pos+1])
		if n < 2 || pos+n > len(b) {
			return b, false, malformed(JPEG, "segment longer than the file", start)
		}
		data := b[pos+2 : pos+n]
		pos += n
		if !keepJPEGSegment(marker, data) {
			cuts = append(cuts, cut{start, pos})
		}
		if marker != mSOS {
			continue
		}
		// Entropy-coded data: 0xFF is followed by a stuffed 0x00, a restart marker or
		// fill bytes; anything else is the next marker.
		for {
			i := bytes.IndexByte(b[pos:], 0xFF)
			if i < 0 {
				break segments // cut off in the scan: keep it all
			}
			pos += i
			j := pos + 1
			for j < len(b) && b[j] == 0xFF {
				j++
			}
			if j >= len(b) {
				break segments
			}
			if c := b[j]; c == 0x00 || (c >= mRST0 && c <= mRST7) {
				pos = j + 1
				continue
			}
			break // pos is at the next marker
		}
	}
	trailer := end < len(b) && !isPadding(b[end:])
	if len(cuts) == 0 && !trailer {
		return b, false, nil
	}
	return without(b, cuts, end), true, nil
}
