package imagemeta

import "encoding/binary"

// VP8X flags (the WebP container specification): the bits that announce Exif and
// XMP chunks are cleared with the chunks.
const (
	vp8xExif = 0x08
	vp8xXMP  = 0x04
)

// stripWebP drops the EXIF and XMP chunks of a RIFF WebP file, clears their flags in
// VP8X and writes the new RIFF size. Data after the RIFF chunk goes too.
func stripWebP(b []byte) ([]byte, bool, error) {
	size := binary.LittleEndian.Uint32(b[4:8])
	if size < 4 || uint64(size)+8 > uint64(len(b)) {
		return b, false, malformed(WebP, "RIFF size larger than the file", 4)
	}
	end := 8 + int(size)
	var cuts []cut
	vp8x := -1
	pos := 12
	for pos < end {
		if pos+8 > end {
			return b, false, malformed(WebP, "cut off in a chunk header", pos)
		}
		typ := string(b[pos : pos+4])
		n := binary.LittleEndian.Uint32(b[pos+4:])
		if uint64(pos)+8+uint64(n) > uint64(end) {
			return b, false, malformed(WebP, "chunk longer than the file", pos)
		}
		start := pos
		pos += 8 + int(n)
		if n%2 == 1 && pos < end {
			pos++ // chunks are padded to an even size
		}
		switch typ {
		case "EXIF", "XMP ":
			cuts = append(cuts, cut{start, pos})
		case "VP8X":
			if n >= 1 {
				vp8x = start + 8
			}
		}
	}
	trailer := end < len(b) && !isPadding(b[end:])
	if len(cuts) == 0 && !trailer {
		return b, false, nil
	}
	out := without(b, cuts, end)
	binary.LittleEndian.PutUint32(out[4:8], uint32(len(out)-8))
	if vp8x >= 0 {
		at := vp8x
		for _, c := range cuts {
			if c.end <= vp8x {
				at -= c.end - c.start
			}
		}
		out[at] &^= vp8xExif | vp8xXMP
	}
	return out, true, nil
}
