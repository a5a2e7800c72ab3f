package dkim

import (
	"io"
	"strings"
	"testing"

	"listd/internal/store"
)

// BenchmarkSignature is the cost of one copy's signature: a 4 KiB post, as in the
// fanout benchmark.
func BenchmarkSignature(b *testing.B) {
	msg := raw(post + strings.Repeat("Eine Zeile Text mit Umlauten: äöü, ein wenig länger als sonst.\r\n", 4096/66))
	for alg, key := range testKeys(b) {
		b.Run(alg, func(b *testing.B) {
			s, err := NewSigner(testDomain, "listd", key)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(msg)))
			for b.Loop() {
				if _, err := s.Signature(msg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRenderShared is a shared copy's cost per row once it has been signed.
func BenchmarkRenderShared(b *testing.B) {
	s, err := NewSigner(testDomain, "listd", testKeys(b)[RSA])
	if err != nil {
		b.Fatal(err)
	}
	r := NewRenderer(renderFunc(listdLike), s, nil)
	row := &store.Delivery{ID: 1, MailID: 1}
	for b.Loop() {
		c, err := r.Render(b.Context(), row)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Message.WriteTo(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
