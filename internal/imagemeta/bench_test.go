package imagemeta

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"testing"
)

// bigPhoto is a phone-sized JPEG (4000×3000, noisy so it does not compress away)
// with the Exif block of the tests in front.
func bigPhoto(b *testing.B) []byte {
	b.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 4000, 3000))
	r := rand.New(rand.NewPCG(1, 2))
	for i := range img.Pix {
		img.Pix[i] = uint8(r.IntN(256))
	}
	img.Set(0, 0, color.White)
	var enc bytes.Buffer
	if err := jpeg.Encode(&enc, img, &jpeg.Options{Quality: 85}); err != nil {
		b.Fatal(err)
	}
	plain := enc.Bytes()
	out := append([]byte{}, plain[:2]...)
	out = append(out, jpegSegment(0xE1, append([]byte("Exif\x00\x00"), exifTIFF()...))...)
	return append(out, plain[2:]...)
}

func BenchmarkStripJPEG(b *testing.B) {
	photo := bigPhoto(b)
	b.SetBytes(int64(len(photo)))
	b.ReportAllocs()
	for b.Loop() {
		if _, changed, err := Strip(photo); err != nil || !changed {
			b.Fatal(changed, err)
		}
	}
}

func BenchmarkCleanMessagePhoto(b *testing.B) {
	raw := []byte(mixed(textPart, imagePart("image/jpeg", "IMG_0001.jpg", bigPhoto(b))))
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, res, err := CleanMessage(raw); err != nil || res.Cleaned != 1 {
			b.Fatal(res, err)
		}
	}
}

// BenchmarkCleanMessageText is what every post without images pays.
func BenchmarkCleanMessageText(b *testing.B) {
	raw := []byte(mixed(textPart, textPart))
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, res, err := CleanMessage(raw); err != nil || res.Cleaned != 0 {
			b.Fatal(res, err)
		}
	}
}
