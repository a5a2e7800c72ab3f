package imagemeta

import (
	"bytes"
	"testing"
)

func TestContentType(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"jpeg", progressiveJPEG(true), "image/jpeg"},
		{"png", append([]byte(nil), pngSignature...), "image/png"},
		{"gif", []byte("GIF89a\x01\x00\x01\x00"), "image/gif"},
		{"webp", []byte("RIFF\x00\x00\x00\x00WEBPVP8 "), "image/webp"},
		{"pdf", []byte("%PDF-1.7\n"), "application/pdf"},
		{"html", []byte("<!DOCTYPE html><script>x</script>"), "text/html"},
		{"svg", []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>`), "text/xml"},
		{"text", []byte("Hallo"), "text/plain"},
		{"binary", bytes.Repeat([]byte{0, 1, 2, 3}, 8), "application/octet-stream"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ContentType(tt.data); got != tt.want {
				t.Errorf("ContentType = %q, want %q", got, tt.want)
			}
		})
	}
}
