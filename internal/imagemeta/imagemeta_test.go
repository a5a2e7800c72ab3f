package imagemeta

import (
	"bytes"
	"errors"
	"flag"
	"image"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

func TestStrip(t *testing.T) {
	jpg, jpgClean := gpsJPEG(t)
	pngMeta, pngClean := gpsPNG(t)
	webp, webpClean := gpsWebP()
	var plainJPEG, plainPNG bytes.Buffer
	jpeg.Encode(&plainJPEG, testImage(), nil)
	png.Encode(&plainPNG, testImage())
	tests := []struct {
		name    string
		in      []byte
		want    []byte // nil: the input unchanged
		changed bool
	}{
		{"jpeg with gps", jpg, jpgClean, true},
		{"png with gps", pngMeta, pngClean, true},
		{"webp with gps", webp, webpClean, true},
		{"plain jpeg", plainJPEG.Bytes(), nil, false},
		{"plain png", plainPNG.Bytes(), nil, false},
		{"webp without metadata", webpClean, nil, false},
		{"jpeg padded after EOI", append(plainJPEG.Bytes()[:plainJPEG.Len():plainJPEG.Len()], 0, 0, 0), nil, false},
		{"jpeg with data after EOI", append(plainJPEG.Bytes()[:plainJPEG.Len():plainJPEG.Len()], "Exif"...), plainJPEG.Bytes(), true},
		{"jpeg cut off in the scan", plainJPEG.Bytes()[:plainJPEG.Len()-40], nil, false},
		{"progressive jpeg, APP1 between scans", progressiveJPEG(true), progressiveJPEG(false), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, changed, err := Strip(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.want
			if want == nil {
				want = tt.in
			}
			if changed != tt.changed || !bytes.Equal(out, want) {
				t.Fatalf("changed = %v (want %v), out:\n%q\nwant:\n%q", changed, tt.changed, out, want)
			}
			for _, leak := range [][]byte{gpsRationals(), []byte("Exif"), []byte("GPSLatitude"), []byte("GPS 50.9"), []byte("Koeln")} {
				if bytes.Contains(out, leak) {
					t.Errorf("output still has %q", leak)
				}
			}
			// Idempotent: a clean image stays as it is.
			again, changed, err := Strip(out)
			if err != nil || changed || !bytes.Equal(again, out) {
				t.Errorf("second Strip: changed %v, err %v", changed, err)
			}
		})
	}
}

// TestStripKeepsPicture decodes the images before and after: same size, same pixels.
func TestStripKeepsPicture(t *testing.T) {
	jpg, _ := gpsJPEG(t)
	pngMeta, _ := gpsPNG(t)
	for name, in := range map[string][]byte{"jpeg": jpg, "png": pngMeta} {
		t.Run(name, func(t *testing.T) {
			before, _, err := image.Decode(bytes.NewReader(in))
			if err != nil {
				t.Fatalf("the test image does not decode: %v", err)
			}
			out, _, err := Strip(in)
			if err != nil {
				t.Fatal(err)
			}
			after, _, err := image.Decode(bytes.NewReader(out))
			if err != nil {
				t.Fatalf("stripped image does not decode: %v", err)
			}
			if before.Bounds() != after.Bounds() {
				t.Fatalf("bounds %v, want %v", after.Bounds(), before.Bounds())
			}
			b := before.Bounds()
			for y := b.Min.Y; y < b.Max.Y; y++ {
				for x := b.Min.X; x < b.Max.X; x++ {
					if before.At(x, y) != after.At(x, y) {
						t.Fatalf("pixel %d,%d differs", x, y)
					}
				}
			}
		})
	}
}

func TestStripWebPHeader(t *testing.T) {
	in, _ := gpsWebP()
	out, _, err := Strip(in)
	if err != nil {
		t.Fatal(err)
	}
	if got := int(out[4]) | int(out[5])<<8 | int(out[6])<<16 | int(out[7])<<24; got != len(out)-8 {
		t.Errorf("RIFF size %d, want %d", got, len(out)-8)
	}
	if flags := out[20]; flags != 0x20 {
		t.Errorf("VP8X flags %#x, want ICC only (0x20)", flags)
	}
	if !bytes.Contains(out, vp8lPayload) || !bytes.Contains(out, []byte("ICCP")) {
		t.Error("image data or ICC profile lost")
	}
}

func TestStripErrors(t *testing.T) {
	jpg, _ := gpsJPEG(t)
	pngMeta, _ := gpsPNG(t)
	webp, _ := gpsWebP()
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrUnknownFormat},
		{"gif", []byte("GIF89a\x01\x00\x01\x00"), ErrUnknownFormat},
		{"text", []byte("hello"), ErrUnknownFormat},
		{"jpeg cut off in a segment", jpg[:30], ErrMalformed},
		{"jpeg segment longer than the file", []byte{0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF, 0x00}, ErrMalformed},
		{"jpeg without markers", []byte{0xFF, 0xD8, 0xFF, 0x00, 0x12}, ErrMalformed},
		{"jpeg, only SOI", []byte{0xFF, 0xD8, 0xFF}, ErrMalformed},
		{"png cut off", pngMeta[:60], ErrMalformed},
		{"png without IEND", pngMeta[:len(pngMeta)-12-len(exifTIFF())-6], ErrMalformed},
		{"png with a huge chunk", append(append([]byte{}, pngSignature...), 0xFF, 0xFF, 0xFF, 0xFF, 'I', 'H', 'D', 'R', 0, 0, 0, 0), ErrMalformed},
		{"png with a bad chunk type", append(append([]byte{}, pngSignature...), 0, 0, 0, 0, '1', '2', '3', '4', 0, 0, 0, 0), ErrMalformed},
		{"webp RIFF size too big", append([]byte("RIFF\xff\xff\x00\x00WEBP"), webp[12:]...), ErrMalformed},
		{"webp chunk too long", []byte("RIFF\x10\x00\x00\x00WEBPEXIF\xff\x00\x00\x00"), ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, changed, err := Strip(tt.in)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if changed || !bytes.Equal(out, tt.in) {
				t.Error("input changed on error")
			}
		})
	}
}

// progressiveJPEG is a hand-made progressive JPEG skeleton: two scans with stuffed
// bytes and restart markers in their data, a DHT and (if meta) an Exif segment between
// them, and data after EOI. Strip only walks the structure, so the scan data need not
// decode.
func progressiveJPEG(meta bool) []byte {
	b := []byte{0xFF, 0xD8}
	b = append(b, jpegSegment(0xC2, []byte{8, 0, 12, 0, 16, 1, 1, 0x11, 0})...)
	b = append(b, jpegSegment(0xDA, []byte{1, 1, 0, 0, 0, 0})...)
	b = append(b, 0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56, 0xFF, 0xFF, 0x00)
	if meta {
		b = append(b, jpegSegment(0xE1, append([]byte("Exif\x00\x00"), exifTIFF()...))...)
	}
	b = append(b, jpegSegment(0xC4, []byte{0x00, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00})...)
	b = append(b, jpegSegment(0xDA, []byte{1, 1, 0, 1, 5, 0})...)
	b = append(b, 0x78, 0xFF, 0x00, 0x9A)
	b = append(b, 0xFF, 0xD9)
	if meta {
		b = append(b, "Exif\x00\x00"...)
	}
	return b
}

func FuzzStrip(f *testing.F) {
	jpg, _ := gpsJPEG(f)
	pngMeta, _ := gpsPNG(f)
	webp, _ := gpsWebP()
	for _, seed := range [][]byte{jpg, pngMeta, webp, progressiveJPEG(true), []byte("GIF89a")} {
		f.Add(seed)
	}
	files, _ := filepath.Glob("testdata/*.*")
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		keep := append([]byte(nil), in...)
		out, changed, err := Strip(in)
		if !bytes.Equal(in, keep) {
			t.Fatal("Strip changed its input")
		}
		if err != nil || !changed {
			if !bytes.Equal(out, in) {
				t.Fatal("output differs although nothing was removed")
			}
			return
		}
		if len(out) >= len(in) {
			t.Fatalf("output %d bytes, input %d", len(out), len(in))
		}
		again, changed, err := Strip(out)
		if err != nil || changed || !bytes.Equal(again, out) {
			t.Fatalf("not idempotent: changed %v, err %v", changed, err)
		}
		// What decoded before decodes after, at the same size.
		if cfg, _, err := image.DecodeConfig(bytes.NewReader(in)); err == nil {
			cfg2, _, err := image.DecodeConfig(bytes.NewReader(out))
			if err != nil || cfg2.Width != cfg.Width || cfg2.Height != cfg.Height {
				t.Fatalf("decodes before (%dx%d) but not after: %v", cfg.Width, cfg.Height, err)
			}
		}
	})
}

var update = flag.Bool("update", false, "rewrite the images in testdata/")

// TestTestdataImages checks the small images kept in testdata/ (the fuzz seeds and
// samples for trying by hand): each carries the GPS block, and Strip removes it.
func TestTestdataImages(t *testing.T) {
	jpg, _ := gpsJPEG(t)
	pngMeta, _ := gpsPNG(t)
	webp, _ := gpsWebP()
	files := map[string][]byte{"gps.jpg": jpg, "gps.png": pngMeta, "gps.webp": webp}
	for name, b := range files {
		path := filepath.Join("testdata", name)
		if *update {
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		in, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -update once)", err)
		}
		if !bytes.Contains(in, gpsRationals()) {
			t.Errorf("%s has no GPS block", name)
		}
		out, changed, err := Strip(in)
		if err != nil || !changed || bytes.Contains(out, gpsRationals()) {
			t.Errorf("%s: changed %v, err %v", name, changed, err)
		}
	}
}
