package tlscert

import (
	"bytes"
	"crypto/tls"
	"os"
	"path/filepath"
	"testing"

	"listd/internal/testcert"
)

// handshake connects to l and returns the certificate the server presented.
func handshake(t *testing.T, addr string) []byte {
	t.Helper()
	c, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	return c.ConnectionState().PeerCertificates[0].Raw
}

func TestReload(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	write := func(cert, key []byte) {
		t.Helper()
		if err := os.WriteFile(certFile, cert, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(keyFile, key, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	a, aCert, aKey := testcert.New(t)
	b, bCert, bKey := testcert.New(t)
	write(aCert, aKey)
	h, err := Load(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if h.Expires().IsZero() {
		t.Error("no expiry")
	}
	l, err := tls.Listen("tcp", "127.0.0.1:0", h.Config())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.Read(make([]byte, 1))
			}()
		}
	}()
	addr := l.Addr().String()
	if !bytes.Equal(handshake(t, addr), a.Certificate[0]) {
		t.Fatal("first handshake: not the loaded certificate")
	}

	// A connection open across the reload keeps working.
	open, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer open.Close()

	write(bCert, bKey)
	if err := h.Reload(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(handshake(t, addr), b.Certificate[0]) {
		t.Error("after reload: still the old certificate")
	}
	if _, err := open.Write([]byte("y")); err != nil {
		t.Errorf("connection open across the reload: %v", err)
	}

	// A broken pair (b's certificate, a's key) keeps b.
	write(bCert, aKey)
	if err := h.Reload(); err == nil {
		t.Error("mismatched key: no error")
	}
	if !bytes.Equal(handshake(t, addr), b.Certificate[0]) {
		t.Error("a failed reload replaced the certificate")
	}
	if _, err := Load(filepath.Join(dir, "missing.pem"), keyFile); err == nil {
		t.Error("missing file: no error")
	}
}
