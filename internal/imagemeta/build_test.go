package imagemeta

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"
)

// The test images carry a real Exif block with a GPS position (50° 56' 12.34" N,
// 6° 57' 30" E), built as a camera writes it: a TIFF structure whose IFD0 points at a
// GPS IFD with latitude and longitude as rationals.

// gpsRationals is the latitude and longitude data, the bytes a leak would show.
func gpsRationals() []byte {
	var b []byte
	for _, r := range [][2]uint32{{50, 1}, {56, 1}, {1234, 100}, {6, 1}, {57, 1}, {3000, 100}} {
		b = binary.LittleEndian.AppendUint32(b, r[0])
		b = binary.LittleEndian.AppendUint32(b, r[1])
	}
	return b
}

// exifTIFF is a little-endian TIFF block: IFD0 with one GPSInfo entry, the GPS IFD
// with four entries, then the rationals.
func exifTIFF() []byte {
	le := binary.LittleEndian
	var b []byte
	b = append(b, 'I', 'I', 0x2A, 0x00)
	b = le.AppendUint32(b, 8)
	entry := func(tag, typ uint16, count, value uint32) {
		b = le.AppendUint16(b, tag)
		b = le.AppendUint16(b, typ)
		b = le.AppendUint32(b, count)
		b = le.AppendUint32(b, value)
	}
	// IFD0 at 8: one entry, then the next-IFD offset.
	b = le.AppendUint16(b, 1)
	entry(0x8825, 4, 1, 26) // GPSInfo → GPS IFD at 26
	b = le.AppendUint32(b, 0)
	// GPS IFD at 26: four entries (54 bytes), data from 80.
	b = le.AppendUint16(b, 4)
	entry(0x0001, 2, 2, uint32('N'))
	entry(0x0002, 5, 3, 80)
	entry(0x0003, 2, 2, uint32('E'))
	entry(0x0004, 5, 3, 104)
	b = le.AppendUint32(b, 0)
	return append(b, gpsRationals()...)
}

const xmpPacket = `<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">` +
	`<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="50,56.2057N" exif:GPSLongitude="6,57.5E"/>` +
	`</rdf:RDF></x:xmpmeta>`

func jpegSegment(marker byte, data []byte) []byte {
	n := len(data) + 2
	return append([]byte{0xFF, marker, byte(n >> 8), byte(n)}, data...)
}

func testImage() image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 16, 12))
	for y := 0; y < 12; y++ {
		for x := 0; x < 16; x++ {
			img.Set(x, y, color.RGBA{uint8(x * 16), uint8(y * 20), 128, 255})
		}
	}
	return img
}

var iccSegment = jpegSegment(0xE2, append([]byte("ICC_PROFILE\x00\x01\x01"), bytes.Repeat([]byte{0x42}, 40)...))
var adobeSegment = jpegSegment(0xEE, []byte("Adobe\x00\x64\x00\x00\x00\x00\x01"))

// gpsJPEG returns a JPEG as a phone writes it (Exif with GPS, XMP, IPTC, a comment,
// an ICC profile, Adobe's segment, and an extra picture after EOI), and the same
// image as it must come out.
func gpsJPEG(t testing.TB) (withMeta, clean []byte) {
	t.Helper()
	var enc bytes.Buffer
	if err := jpeg.Encode(&enc, testImage(), &jpeg.Options{Quality: 80}); err != nil {
		t.Fatal(err)
	}
	plain := enc.Bytes()
	keep := append(append([]byte{}, iccSegment...), adobeSegment...)
	meta := [][]byte{
		jpegSegment(0xE1, append([]byte("Exif\x00\x00"), exifTIFF()...)),
		jpegSegment(0xE1, append([]byte("http://ns.adobe.com/xap/1.0/\x00"), xmpPacket...)),
		jpegSegment(0xED, []byte("Photoshop 3.0\x008BIM\x04\x04\x00\x00\x00\x00\x00\x0c\x1c\x02\x5a\x00\x07Koeln!!")),
		jpegSegment(0xFE, []byte("taken at home")),
		jpegSegment(0xE2, []byte("MPF\x00II*\x00")),
	}
	withMeta = append(withMeta, plain[:2]...)
	withMeta = append(withMeta, meta[0]...)
	withMeta = append(withMeta, keep[:len(iccSegment)]...)
	withMeta = append(withMeta, meta[1]...)
	withMeta = append(withMeta, meta[2]...)
	withMeta = append(withMeta, keep[len(iccSegment):]...)
	withMeta = append(withMeta, meta[3]...)
	withMeta = append(withMeta, meta[4]...)
	withMeta = append(withMeta, plain[2:]...)
	// A second picture after EOI, with its own Exif, as the multi-picture format does.
	withMeta = append(withMeta, 0xFF, 0xD8)
	withMeta = append(withMeta, meta[0]...)
	withMeta = append(withMeta, 0xFF, 0xD9)

	clean = append(clean, plain[:2]...)
	clean = append(clean, keep...)
	clean = append(clean, plain[2:]...)
	return withMeta, clean
}

func pngChunk(typ string, data []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	b = append(b, typ...)
	b = append(b, data...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(append([]byte(typ), data...)))
}

// gpsPNG returns a PNG with eXIf, tEXt, zTXt and iTXt chunks (and data after IEND),
// and the same image as it must come out.
func gpsPNG(t testing.TB) (withMeta, clean []byte) {
	t.Helper()
	var enc bytes.Buffer
	if err := png.Encode(&enc, testImage()); err != nil {
		t.Fatal(err)
	}
	plain := enc.Bytes()
	ihdrEnd := 8 + 8 + 13 + 4
	gama := pngChunk("gAMA", []byte{0, 0, 0xB1, 0x8F})
	withMeta = append(withMeta, plain[:ihdrEnd]...)
	withMeta = append(withMeta, pngChunk("eXIf", exifTIFF())...)
	withMeta = append(withMeta, gama...)
	withMeta = append(withMeta, pngChunk("tEXt", []byte("Comment\x00GPS 50.9368 6.9583"))...)
	withMeta = append(withMeta, pngChunk("zTXt", []byte("Raw profile type exif\x00\x00x\x9c\x03\x00\x00\x00\x00\x01"))...)
	withMeta = append(withMeta, pngChunk("iTXt", append([]byte("XML:com.adobe.xmp\x00\x00\x00\x00\x00"), xmpPacket...))...)
	withMeta = append(withMeta, plain[ihdrEnd:]...)
	withMeta = append(withMeta, "Exif\x00\x00"...)
	withMeta = append(withMeta, exifTIFF()...)

	clean = append(clean, plain[:ihdrEnd]...)
	clean = append(clean, gama...)
	clean = append(clean, plain[ihdrEnd:]...)
	return withMeta, clean
}

func riffChunk(typ string, data []byte) []byte {
	b := append([]byte(typ), binary.LittleEndian.AppendUint32(nil, uint32(len(data)))...)
	b = append(b, data...)
	if len(data)%2 == 1 {
		b = append(b, 0)
	}
	return b
}

func riff(chunks ...[]byte) []byte {
	body := []byte("WEBP")
	for _, c := range chunks {
		body = append(body, c...)
	}
	return append(append([]byte("RIFF"), binary.LittleEndian.AppendUint32(nil, uint32(len(body)))...), body...)
}

// vp8lPayload stands for the image data: the stripper never looks into it, so its
// bytes only have to come out unchanged (odd length, to test the padding).
var vp8lPayload = append([]byte{0x2F, 0x0F, 0xC0, 0x02, 0x00}, bytes.Repeat([]byte{0x55}, 20)...)

// gpsWebP returns an extended WebP (VP8X with the ICC, Exif and XMP flags) with ICCP,
// VP8L, EXIF and XMP chunks, and the same image as it must come out.
func gpsWebP() (withMeta, clean []byte) {
	vp8x := func(flags byte) []byte {
		return riffChunk("VP8X", []byte{flags, 0, 0, 0, 15, 0, 0, 11, 0, 0})
	}
	icc := riffChunk("ICCP", bytes.Repeat([]byte{0x42}, 12))
	img := riffChunk("VP8L", vp8lPayload)
	withMeta = riff(vp8x(0x20|vp8xExif|vp8xXMP), icc, img,
		riffChunk("EXIF", exifTIFF()), riffChunk("XMP ", []byte(xmpPacket)))
	clean = riff(vp8x(0x20), icc, img)
	return withMeta, clean
}
