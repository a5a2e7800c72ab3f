// Package tlscert owns the certificates listd's servers present: a Holder loads a
// certificate and key from PEM files and loads them again on Reload, so that a renewed
// certificate is presented from the next handshake on while open connections carry on.
package tlscert

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"sync/atomic"
	"time"
)

// Holder is one certificate, replaceable while servers use it.
type Holder struct {
	certFile, keyFile string
	cur               atomic.Pointer[tls.Certificate]
}

// Load reads the certificate and its key (PEM files) into a new Holder.
func Load(certFile, keyFile string) (*Holder, error) {
	h := &Holder{certFile: certFile, keyFile: keyFile}
	if err := h.Reload(); err != nil {
		return nil, err
	}
	return h, nil
}

// Reload reads the files again. When they can't be read or don't match, the
// certificate in use stays and the error says why.
func (h *Holder) Reload() error {
	c, err := tls.LoadX509KeyPair(h.certFile, h.keyFile)
	if err != nil {
		return fmt.Errorf("certificate %s: %w", h.certFile, err)
	}
	if c.Leaf == nil && len(c.Certificate) > 0 {
		if c.Leaf, err = x509.ParseCertificate(c.Certificate[0]); err != nil {
			return fmt.Errorf("certificate %s: %w", h.certFile, err)
		}
	}
	h.cur.Store(&c)
	return nil
}

// Expires is when the certificate in use stops being valid.
func (h *Holder) Expires() time.Time {
	if c := h.cur.Load(); c != nil && c.Leaf != nil {
		return c.Leaf.NotAfter
	}
	return time.Time{}
}

// File is the certificate's file name, for log lines.
func (h *Holder) File() string { return h.certFile }

// Same reports whether h reads certFile and keyFile.
func (h *Holder) Same(certFile, keyFile string) bool {
	return h.certFile == certFile && h.keyFile == keyFile
}

// GetCertificate is tls.Config's GetCertificate: the certificate loaded last.
func (h *Holder) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return h.cur.Load(), nil
}

// Config is a server configuration that presents the holder's current certificate.
func (h *Holder) Config() *tls.Config {
	return &tls.Config{GetCertificate: h.GetCertificate, MinVersion: tls.VersionTLS12}
}
