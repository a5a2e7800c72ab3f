package imagemeta

import "encoding/binary"

// dropPNGChunk names the chunks that carry metadata: Exif (eXIf) and text (tEXt,
// zTXt, iTXt; XMP and "Raw profile type exif" live in these). Whole chunks go, so
// the CRCs of the others stay valid.
func dropPNGChunk(typ string) bool {
	switch typ {
	case "eXIf", "tEXt", "zTXt", "iTXt":
		return true
	}
	return false
}

// stripPNG walks the chunks up to IEND; anything after IEND goes too.
func stripPNG(b []byte) ([]byte, bool, error) {
	var cuts []cut
	pos := len(pngSignature)
	for {
		if pos+12 > len(b) {
			return b, false, malformed(PNG, "cut off before IEND", pos)
		}
		n := binary.BigEndian.Uint32(b[pos:])
		typ := b[pos+4 : pos+8]
		for _, c := range typ {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
				return b, false, malformed(PNG, "bad chunk type", pos+4)
			}
		}
		if n > 1<<31-1 || uint64(pos)+12+uint64(n) > uint64(len(b)) {
			return b, false, malformed(PNG, "chunk longer than the file", pos)
		}
		start := pos
		pos += 12 + int(n)
		if dropPNGChunk(string(typ)) {
			cuts = append(cuts, cut{start, pos})
		}
		if string(typ) == "IEND" {
			break
		}
	}
	trailer := pos < len(b) && !isPadding(b[pos:])
	if len(cuts) == 0 && !trailer {
		return b, false, nil
	}
	return without(b, cuts, pos), true, nil
}
