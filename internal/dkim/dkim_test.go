package dkim

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	msgauth "github.com/emersion/go-msgauth/dkim"

	"listd/internal/delivery"
	"listd/internal/store"
)

const testDomain = "lists.example.org"

// keys are made once: RSA generation takes a while.
var (
	keysOnce sync.Once
	rsaKey   crypto.Signer
	edKey    crypto.Signer
)

func testKeys(t testing.TB) map[string]crypto.Signer {
	t.Helper()
	keysOnce.Do(func() {
		var err error
		if rsaKey, err = GenerateKey(RSA); err != nil {
			panic(err)
		}
		if edKey, err = GenerateKey(Ed25519); err != nil {
			panic(err)
		}
	})
	return map[string]crypto.Signer{RSA: rsaKey, Ed25519: edKey}
}

var quotedRE = regexp.MustCompile(`"([^"]*)"`)

// lookup serves the record keygen prints, as DNS would: the name before " IN TXT",
// the quoted strings joined.
func lookup(t testing.TB, record string) func(string) ([]string, error) {
	t.Helper()
	name, _, ok := strings.Cut(record, " IN TXT (")
	if !ok {
		t.Fatalf("record %q has no IN TXT", record)
	}
	var txt strings.Builder
	for _, m := range quotedRE.FindAllStringSubmatch(record, -1) {
		txt.WriteString(m[1])
	}
	return func(domain string) ([]string, error) {
		if domain+"." != name {
			return nil, fmt.Errorf("no TXT record for %s", domain)
		}
		return []string{txt.String()}, nil
	}
}

// verify checks msg's one signature against record and returns its h= fields.
func verify(t testing.TB, msg []byte, record string) ([]string, error) {
	t.Helper()
	vs, err := msgauth.VerifyWithOptions(bytes.NewReader(msg), &msgauth.VerifyOptions{LookupTXT: lookup(t, record)})
	if err != nil {
		return nil, err
	}
	if len(vs) != 1 {
		return nil, fmt.Errorf("%d signatures, want 1", len(vs))
	}
	if vs[0].Err != nil {
		return nil, vs[0].Err
	}
	if vs[0].Domain != testDomain {
		return nil, fmt.Errorf("d=%s, want %s", vs[0].Domain, testDomain)
	}
	return vs[0].HeaderKeys, nil
}

func record(t testing.TB, selector string, key crypto.Signer) string {
	t.Helper()
	r, err := Record(selector, testDomain, key.Public())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// raw is a message as bytes that can be written again, like listd's stored mails.
type raw []byte

func (r raw) WriteTo(w io.Writer) (int64, error) {
	n, err := w.Write(r)
	return int64(n), err
}

// dribble writes its message a byte at a time, the header's end in a write of its own.
type dribble []byte

func (d dribble) WriteTo(w io.Writer) (int64, error) {
	for i := range d {
		if _, err := w.Write(d[i : i+1]); err != nil {
			return int64(i), err
		}
	}
	return int64(len(d)), nil
}

// sized is a message that also declares its size.
type sized struct{ raw }

func (s sized) Size() int64 { return int64(len(s.raw)) }

const post = "From: Anna <anna@example.net>\r\n" +
	"To: kita@lists.example.org\r\n" +
	"Subject: [kita] =?utf-8?q?Kitapl=C3=A4tze?=\r\n" +
	"Date: Wed, 25 Nov 2026 10:00:00 +0100\r\n" +
	"Message-ID: <first@example.net>\r\n" +
	"Received: from client.example.net by lists.example.org\r\n" +
	"List-Id: \"Kita und Schule\" <kita.lists.example.org>\r\n" +
	"List-Unsubscribe: <http://127.0.0.1:8080/u/abc.def>,\r\n <mailto:kita-unsubscribe@lists.example.org>\r\n" +
	"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n" +
	"List-Post: <mailto:kita@lists.example.org>\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\n" +
	"Content-Transfer-Encoding: 8bit\r\n" +
	"\r\n" +
	"Hallo zusammen,\r\nwer kennt eine Kita mit Plätzen in Köln?  \r\n\r\n\r\n"

const notice = "From: kita-owner@lists.example.org\r\nTo: new@example.net\r\nSubject: Bitte bestaetigen\r\n" +
	"Date: Wed, 25 Nov 2026 10:00:00 +0100\r\nMessage-ID: <n1@lists.example.org>\r\n\r\nBitte bestaetigen.\r\n"

func TestSignVerify(t *testing.T) {
	tests := []struct {
		name    string
		msg     string
		fields  string // h=, lower case, colon-separated
		wantErr string
	}{
		{name: "post", msg: post,
			fields: "from:from:to:subject:subject:date:message-id:list-id:list-unsubscribe:list-unsubscribe-post:list-post:content-type:mime-version"},
		{name: "notice", msg: notice, fields: "from:from:to:subject:subject:date:message-id"},
		{name: "two To fields", msg: "From: a@example.net\r\nTo: b@example.net\r\nTo: c@example.net\r\n\r\nx\r\n",
			fields: "from:from:to:to:subject"},
		{name: "no From", msg: "Subject: x\r\n\r\nbody\r\n", fields: "from:subject:subject"},
		{name: "empty body", msg: "From: a@example.net\r\n\r\n", fields: "from:from:subject"},
		{name: "no final CRLF", msg: "From: a@example.net\r\n\r\nno newline at the end", fields: "from:from:subject"},
		{name: "LF line endings", msg: "From: a@example.net\nSubject: lf\n\nbody\n", fields: "from:from:subject:subject"},
		{name: "lower-case names", msg: "from: a@example.net\r\nlist-id: <kita.lists.example.org>\r\n\r\nx\r\n",
			fields: "from:from:subject:list-id"},
		{name: "header only", msg: "From: a@example.net\r\nSubject: x\r\n", wantErr: "no empty line"},
		{name: "empty", msg: "", wantErr: "no empty line"},
		{name: "starts folded", msg: " x\r\nFrom: a@example.net\r\n\r\nx\r\n", wantErr: "folded"},
	}
	for alg, key := range testKeys(t) {
		rec := record(t, "listd", key)
		s, err := NewSigner(testDomain, "listd", key)
		if err != nil {
			t.Fatal(err)
		}
		for _, tt := range tests {
			t.Run(alg+"/"+tt.name, func(t *testing.T) {
				field, err := s.Signature(raw(tt.msg))
				if tt.wantErr != "" {
					if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
						t.Fatalf("err = %v, want %q", err, tt.wantErr)
					}
					if _, err := s.Signature(dribble(tt.msg)); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
						t.Fatalf("written a byte at a time: err = %v, want %q", err, tt.wantErr)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.HasPrefix(field, []byte("DKIM-Signature: ")) || !bytes.HasSuffix(field, []byte("\r\n")) {
					t.Fatalf("field = %q", field)
				}
				for line := range bytes.Lines(field) {
					if len(line) > 998 {
						t.Errorf("signature line of %d bytes: %q", len(line), line)
					}
				}
				h, err := verify(t, append(field, tt.msg...), rec)
				if err != nil {
					t.Fatalf("verify: %v\n%s%s", err, field, tt.msg)
				}
				if got := strings.ToLower(strings.Join(h, ":")); got != tt.fields {
					t.Errorf("h=%s, want %s", got, tt.fields)
				}
				if !bytes.Contains(field, []byte("c=relaxed/relaxed")) || !bytes.Contains(field, []byte("s=listd")) {
					t.Errorf("field = %s", field)
				}
				field, err = s.Signature(dribble(tt.msg))
				if err != nil {
					t.Fatalf("written a byte at a time: %v", err)
				}
				if _, err := verify(t, append(field, tt.msg...), rec); err != nil {
					t.Errorf("written a byte at a time: %v", err)
				}
			})
		}
	}
}

// TestTamper: what a relay may do on the way keeps the signature, what would change
// what readers see or which list it is breaks it.
func TestTamper(t *testing.T) {
	key := testKeys(t)[RSA]
	rec := record(t, "listd", key)
	s, err := NewSigner(testDomain, "listd", key)
	if err != nil {
		t.Fatal(err)
	}
	field, err := s.Signature(raw(post))
	if err != nil {
		t.Fatal(err)
	}
	signed := string(field) + post
	tests := []struct {
		name  string
		edit  func(string) string
		valid bool
	}{
		{"unchanged", func(m string) string { return m }, true},
		{"Received added on top", func(m string) string { return "Received: from lists.example.org by mx.example.com\r\n" + m }, true},
		{"header whitespace refolded", func(m string) string {
			return strings.Replace(m, "List-Post: <mailto:", "List-Post:   \r\n\t<mailto:", 1)
		}, true},
		{"trailing blank lines dropped", func(m string) string { return strings.TrimSuffix(m, "\r\n\r\n") }, true},
		{"List-Id changed", func(m string) string { return strings.Replace(m, "kita.lists.example.org", "other.example.com", 1) }, false},
		{"second From on top", func(m string) string { return "From: mallory@example.com\r\n" + m }, false},
		{"second Subject below", func(m string) string {
			return strings.Replace(m, "\r\n\r\nHallo", "\r\nSubject: click here\r\n\r\nHallo", 1)
		}, false},
		{"unsubscribe link changed", func(m string) string { return strings.Replace(m, "/u/abc.def", "/u/xyz", 1) }, false},
		{"body changed", func(m string) string { return strings.Replace(m, "Köln", "Bonn", 1) }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := verify(t, []byte(tt.edit(signed)), rec)
			if tt.valid && err != nil {
				t.Errorf("signature broken: %v", err)
			}
			if !tt.valid && err == nil {
				t.Error("signature still verifies")
			}
		})
	}
}

// countingKey counts signatures made with the key.
type countingKey struct {
	crypto.Signer
	n *atomic.Int64
}

func (k countingKey) Sign(r io.Reader, digest []byte, o crypto.SignerOpts) ([]byte, error) {
	k.n.Add(1)
	return k.Signer.Sign(r, digest, o)
}

// renderFunc is the renderer being decorated, in the shape of the list domain's:
// posts are personal copies, stored mails are Shared.
type renderFunc func(ctx context.Context, d *store.Delivery) (delivery.Copy, error)

func (f renderFunc) Render(ctx context.Context, d *store.Delivery) (delivery.Copy, error) {
	return f(ctx, d)
}

func listdLike(ctx context.Context, d *store.Delivery) (delivery.Copy, error) {
	if d.MailID != 0 {
		return delivery.Copy{From: "kita-bounces@lists.example.org", Message: sized{raw(notice)}, Shared: true}, nil
	}
	personal := strings.Replace(post, "/u/abc.def", fmt.Sprintf("/u/member%d", d.ID), 1)
	return delivery.Copy{From: fmt.Sprintf("kita-bounces+%d@lists.example.org", d.ID), Message: raw(personal)}, nil
}

// TestSharedSignedOnce: a Shared copy is signed once for all its rows, written from
// many workers at once; each personal copy gets its own signature.
func TestSharedSignedOnce(t *testing.T) {
	tests := []struct {
		name                 string
		mails, posts, shared int // rows of one stored mail, rows of one post, stored mails
		wantSigs             int64
	}{
		{name: "one mail to many", mails: 1000, shared: 1, wantSigs: 1},
		{name: "post copies", posts: 40, wantSigs: 40},
		{name: "mixed", mails: 300, posts: 10, shared: 3, wantSigs: 3 + 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := testKeys(t)[RSA]
			var n atomic.Int64
			s, err := NewSigner(testDomain, "listd", countingKey{key, &n})
			if err != nil {
				t.Fatal(err)
			}
			n.Store(0)
			r := NewRenderer(renderFunc(listdLike), s, nil)
			var rows []*store.Delivery
			id := int64(0)
			for m := range tt.shared {
				for range tt.mails / tt.shared {
					id++
					rows = append(rows, &store.Delivery{ID: id, MailID: int64(m + 1)})
				}
			}
			for range tt.posts {
				id++
				rows = append(rows, &store.Delivery{ID: id, MessageID: 9})
			}
			copies := make([]delivery.Copy, len(rows))
			for i, row := range rows {
				if copies[i], err = r.Render(t.Context(), row); err != nil {
					t.Fatal(err)
				}
			}
			out := make([][]byte, len(rows))
			var wg sync.WaitGroup
			for i, c := range copies {
				wg.Go(func() {
					var b bytes.Buffer
					if _, err := c.Message.WriteTo(&b); err != nil {
						t.Error(err)
					}
					out[i] = b.Bytes()
				})
			}
			wg.Wait()
			if got := n.Load(); got != tt.wantSigs {
				t.Errorf("%d signatures made, want %d", got, tt.wantSigs)
			}
			rec := record(t, "listd", key)
			for i, b := range out {
				if _, err := verify(t, b, rec); err != nil {
					t.Fatalf("copy %d: %v\n%s", i, err, b)
				}
			}
		})
	}
}

// failOnce fails its first write, like a stored mail that could not be read.
type failOnce struct {
	raw
	failed *atomic.Bool
}

func (f failOnce) WriteTo(w io.Writer) (int64, error) {
	if !f.failed.Swap(true) {
		return 0, errors.New("disk trouble")
	}
	return f.raw.WriteTo(w)
}

// TestCopySemantics: the signed copy can be written again with the same bytes, has
// Size exactly when the original has, and errors pass through.
func TestCopySemantics(t *testing.T) {
	key := testKeys(t)[Ed25519]
	s, err := NewSigner(testDomain, "listd", key)
	if err != nil {
		t.Fatal(err)
	}
	var failed atomic.Bool
	tests := []struct {
		name      string
		copy      delivery.Copy
		renderErr error
		wantSize  bool
		writeErr  string // of the first write; a new Render then succeeds
	}{
		{name: "sized", copy: delivery.Copy{From: "a@x", Message: sized{raw(notice)}, Shared: true}, wantSize: true},
		{name: "unsized", copy: delivery.Copy{From: "a@x", Message: raw(post)}},
		{name: "render error", renderErr: fmt.Errorf("render: %w", delivery.ErrPermanent)},
		{name: "unreadable shared mail", copy: delivery.Copy{From: "a@x", Message: failOnce{raw(notice), &failed}, Shared: true},
			writeErr: "disk trouble"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewRenderer(renderFunc(func(context.Context, *store.Delivery) (delivery.Copy, error) {
				return tt.copy, tt.renderErr
			}), s, nil)
			row := &store.Delivery{ID: 1, MailID: 5}
			c, err := r.Render(t.Context(), row)
			if tt.renderErr != nil {
				if !errors.Is(err, delivery.ErrPermanent) {
					t.Fatalf("err = %v, want the renderer's", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.writeErr != "" {
				if _, err := c.Message.WriteTo(io.Discard); err == nil || !strings.Contains(err.Error(), tt.writeErr) {
					t.Fatalf("first write: %v, want %q", err, tt.writeErr)
				}
				if c, err = r.Render(t.Context(), row); err != nil {
					t.Fatal(err)
				}
			}
			var a, b bytes.Buffer
			n, err := c.Message.WriteTo(&a)
			if err != nil || n != int64(a.Len()) {
				t.Fatalf("WriteTo = %d, %v for %d bytes", n, err, a.Len())
			}
			if _, err := c.Message.WriteTo(&b); err != nil || !bytes.Equal(a.Bytes(), b.Bytes()) {
				t.Fatalf("second write differs (%v)", err)
			}
			sz, ok := c.Message.(interface{ Size() int64 })
			if ok != tt.wantSize {
				t.Fatalf("Size method: %v, want %v", ok, tt.wantSize)
			}
			if ok && sz.Size() != int64(a.Len()) {
				t.Errorf("Size = %d, wrote %d", sz.Size(), a.Len())
			}
			if _, err := verify(t, a.Bytes(), record(t, "listd", key)); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestRecord(t *testing.T) {
	for alg, key := range testKeys(t) {
		t.Run(alg, func(t *testing.T) {
			rec := record(t, "2026a", key)
			prefix := "2026a._domainkey." + testDomain + ". IN TXT ( \"v=DKIM1; k=" + alg + "; p="
			if !strings.HasPrefix(rec, prefix) || !strings.HasSuffix(rec, "\" )") || strings.Contains(rec, "\n") {
				t.Fatalf("record = %q", rec)
			}
			var joined strings.Builder
			for _, m := range quotedRE.FindAllStringSubmatch(rec, -1) {
				if len(m[1]) > 255 {
					t.Errorf("string of %d bytes", len(m[1]))
				}
				joined.WriteString(m[1])
			}
			txt, err := TXT(key.Public())
			if err != nil || joined.String() != txt {
				t.Errorf("strings join to %q, want %q (%v)", joined.String(), txt, err)
			}
		})
	}
}

func TestKeyPath(t *testing.T) {
	tests := []struct {
		selector string
		ok       bool
	}{
		{"listd", true}, {"2026-01", true}, {"mail.listd", true},
		{"", false}, {"../x", false}, {"a/b", false}, {"Listd", false}, {"-x", false}, {"a b", false},
		{strings.Repeat("a", 64), false},
	}
	for _, tt := range tests {
		p, err := KeyPath("/var/lib/listd", tt.selector)
		if tt.ok && (err != nil || p != "/var/lib/listd/dkim/"+tt.selector+".pem") {
			t.Errorf("KeyPath(%q) = %q, %v", tt.selector, p, err)
		}
		if !tt.ok && err == nil {
			t.Errorf("KeyPath(%q) = %q, want an error", tt.selector, p)
		}
	}
}

func pemOf(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func TestParseKey(t *testing.T) {
	keys := testKeys(t)
	rsaPEM, _ := MarshalKey(keys[RSA])
	edPEM, _ := MarshalKey(keys[Ed25519])
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecDER, _ := x509.MarshalPKCS8PrivateKey(ec)
	weak, err := os.ReadFile("testdata/weak-rsa512.pem")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		in      []byte
		wantErr string
	}{
		{name: "rsa pkcs8", in: rsaPEM},
		{name: "ed25519 pkcs8", in: edPEM},
		{name: "rsa pkcs1", in: pemOf("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(keys[RSA].(*rsa.PrivateKey)))},
		{name: "empty", in: nil, wantErr: "no PEM block"},
		{name: "not PEM", in: []byte("p=MIIBIjANBgkqhkiG9w0BAQEFAAOC"), wantErr: "no PEM block"},
		{name: "public key", in: pemOf("PUBLIC KEY", []byte{1, 2}), wantErr: "not a private key"},
		{name: "broken DER", in: pemOf("PRIVATE KEY", []byte{0x30, 0x03, 1, 2, 3}), wantErr: "asn1"},
		{name: "ecdsa", in: pemOf("PRIVATE KEY", ecDER), wantErr: "unsupported key type"},
		{name: "rsa 512", in: weak, wantErr: "1024"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := ParseKey(tt.in)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if _, err := NewSigner(testDomain, "listd", k); err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

// TestWriteKey: a key is written private, read back the same, and never replaced.
func TestWriteKey(t *testing.T) {
	dir := t.TempDir()
	path, err := KeyPath(dir, "listd")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKey(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing key: %v, want ErrNotExist", err)
	}
	key := testKeys(t)[Ed25519]
	if err := WriteKey(path, key); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]os.FileMode{path: 0o600, filepath.Dir(path): 0o700} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: %v %v, want mode %v", p, fi.Mode(), err, want)
		}
	}
	before, _ := os.ReadFile(path)
	if err := WriteKey(path, testKeys(t)[RSA]); err == nil || !strings.Contains(err.Error(), path+" already exists") {
		t.Fatalf("second write: %v", err)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Fatal("the key was replaced")
	}
	got, err := LoadKey(path)
	if err != nil || !got.Public().(ed25519.PublicKey).Equal(key.Public()) {
		t.Fatalf("LoadKey: %v", err)
	}
	if err := os.WriteFile(path, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKey(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("broken key: %v, want an error naming the file", err)
	}
}

func TestGenerateKey(t *testing.T) {
	if _, err := GenerateKey("dsa"); err == nil || !strings.Contains(err.Error(), "rsa or ed25519") {
		t.Errorf("err = %v", err)
	}
	k := testKeys(t)[RSA].(*rsa.PrivateKey)
	if k.N.BitLen() != 2048 {
		t.Errorf("rsa key of %d bits", k.N.BitLen())
	}
}

func TestNewSignerChecks(t *testing.T) {
	key := testKeys(t)[Ed25519]
	for _, c := range []struct{ domain, selector string }{{"", "listd"}, {testDomain, ""}, {testDomain, "a_b"}} {
		if _, err := NewSigner(c.domain, c.selector, key); err == nil {
			t.Errorf("NewSigner(%q, %q) succeeded", c.domain, c.selector)
		}
	}
	if _, err := NewSigner(testDomain, "listd", nil); err == nil {
		t.Error("NewSigner without a key succeeded")
	}
}

// fuzzKey is fixed so that fuzzing is fast and reproducible.
var fuzzKey = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))

// FuzzSign: any bytes either sign or give an error, never a panic or a hang, and
// what signs verifies.
func FuzzSign(f *testing.F) {
	for _, s := range []string{post, notice, "From: a\r\n\r\n", "From: a\n\nb", "\r\n", " x\r\nFrom: a\r\n\r\n"} {
		f.Add([]byte(s))
	}
	s, err := NewSigner(testDomain, "fuzz", fuzzKey)
	if err != nil {
		f.Fatal(err)
	}
	rec := record(f, "fuzz", fuzzKey)
	f.Fuzz(func(t *testing.T, msg []byte) {
		field, err := s.Signature(raw(msg))
		// How the message is cut into writes must not matter.
		_, derr := s.Signature(dribble(msg))
		if (err == nil) != (derr == nil) {
			t.Fatalf("in one write: %v; a byte at a time: %v", err, derr)
		}
		if err != nil {
			return
		}
		if _, err := verify(t, append(field, msg...), rec); err != nil {
			t.Fatalf("signed but does not verify: %v\n%q", err, msg)
		}
	})
}

// FuzzParseKey: any bytes give a usable key or an error.
func FuzzParseKey(f *testing.F) {
	edPEM, _ := MarshalKey(fuzzKey)
	f.Add(edPEM)
	f.Add([]byte("-----BEGIN PRIVATE KEY-----\nMC4CAQA=\n-----END PRIVATE KEY-----\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		k, err := ParseKey(in)
		if err != nil {
			return
		}
		if _, err := NewSigner(testDomain, "fuzz", k); err != nil {
			t.Fatalf("parsed key unusable: %v", err)
		}
		if !slices.Contains([]string{"*rsa.PublicKey", "ed25519.PublicKey"}, fmt.Sprintf("%T", k.Public())) {
			t.Fatalf("key type %T", k.Public())
		}
	})
}
