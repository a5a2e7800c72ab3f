package store

import (
	"bytes"
	"context"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

func newTestPacker(t testing.TB) *packer {
	t.Helper()
	p, err := newPacker()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func noise(n int) []byte {
	b := make([]byte, n)
	rand.NewChaCha8([32]byte{7}).Read(b)
	return b
}

// samplePosts are posts of the shapes the archive stores.
func samplePosts() map[string][]byte {
	text := strings.Repeat("Wir suchen einen Kitaplatz in der Nähe, hat jemand Erfahrung mit dem Amt? ", 40)
	return map[string][]byte{
		"empty":           nil,
		"crlf":            []byte("From: a@example.org\r\nSubject: Kita\r\n\r\n" + text + "\r\n"),
		"lf":              []byte("From: a@example.org\nSubject: Kita\n\n" + text + "\n"),
		"header only":     []byte("From: a@example.org\r\nSubject: nur Kopf\r\n"),
		"empty body":      []byte("From: a@example.org\r\nSubject: leer\r\n\r\n"),
		"tiny":            []byte("x"),
		"no header":       []byte("\r\n" + text),
		"starts as magic": append(slices.Clone(packMagic), "Subject: x\r\n\r\nbody\r\n"...),
		"incompressible":  append([]byte("Subject: Foto\r\n\r\n"), noise(20000)...),
		"big":             []byte("Subject: lang\r\n\r\n" + strings.Repeat(text, 500)),
	}
}

// TestPackRaw: every post comes back byte for byte; text shrinks, noise is kept as
// it is, and nothing that starts like a packed post is stored plain.
func TestPackRaw(t *testing.T) {
	p := newTestPacker(t)
	for name, raw := range samplePosts() {
		t.Run(name, func(t *testing.T) {
			stored := p.packRaw(p.live, raw)
			got, err := p.unpackRaw(stored)
			if err != nil || !bytes.Equal(got, raw) {
				t.Fatalf("round trip: %v, %d bytes back of %d", err, len(got), len(raw))
			}
			switch {
			case name == "crlf" || name == "big":
				if len(stored) >= len(raw)/2 {
					t.Errorf("stored %d bytes of %d", len(stored), len(raw))
				}
			case name == "incompressible" || name == "tiny":
				if !bytes.Equal(stored, raw) {
					t.Errorf("stored packed though it does not shrink")
				}
			case name == "starts as magic":
				if bytes.Equal(stored, raw) {
					t.Errorf("stored plain though it starts with the magic")
				}
			}
		})
	}
}

// TestUnpackHeader reads every prefix of every stored post: what comes back is the
// post's header (and for a plain post its first bytes), or nothing, and "whole" only
// when it is the entire post.
func TestUnpackHeader(t *testing.T) {
	p := newTestPacker(t)
	for name, raw := range samplePosts() {
		stored := p.packRaw(p.live, raw)
		h := headerLen(raw)
		for n := 0; n <= len(stored); n += 1 + n/8 {
			got, whole, err := p.unpackHeader(stored[:n], len(stored))
			if err != nil {
				t.Fatalf("%s, prefix %d: %v", name, n, err)
			}
			switch {
			case whole && !bytes.Equal(got, raw):
				t.Fatalf("%s, prefix %d: whole, but %d bytes of %d", name, n, len(got), len(raw))
			case !bytes.HasPrefix(raw, got):
				t.Fatalf("%s, prefix %d: %q is not the post's start", name, n, got)
			case bytes.HasPrefix(stored, packMagic) && len(got) > 0 && len(got) != h:
				t.Fatalf("%s, prefix %d: %d bytes, header is %d", name, n, len(got), h)
			}
		}
		if got, whole, err := p.unpackHeader(stored, len(stored)); err != nil || (bytes.HasPrefix(stored, packMagic) && !bytes.Equal(got, raw[:h])) {
			t.Errorf("%s: whole value gives %d bytes (whole %v), %v", name, len(got), whole, err)
		}
	}
}

// TestPackText: text comes back as it was; short text stays a string.
func TestPackText(t *testing.T) {
	p := newTestPacker(t)
	for _, text := range []string{"", "kurz", strings.Repeat("Unterhaltsvorschuss beantragen. ", 100), "Grüße\x00mit NUL " + strings.Repeat("ß", 200)} {
		v := p.packText(p.live, text)
		if _, isString := v.(string); isString != (len(text) < packTextMin) {
			t.Errorf("%.20q: stored as %T", text, v)
		}
		got, err := p.unpackText(v)
		if err != nil || got != text {
			t.Errorf("%.20q: got %.20q, %v", text, got, err)
		}
	}
	if _, err := p.unpackText([]byte("not zstd")); err == nil {
		t.Error("a damaged value read without an error")
	}
}

// TestPackedStore: posts go in compressed and come out as they were through every
// reader: messages, raw bytes, ranges with and without a limit, search snippets.
func TestPackedStore(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	l := seed(t, db, 0)
	text := strings.Repeat("Der Unterhaltsvorschuss wurde bewilligt, nach langem Warten auf das Jugendamt. ", 30)
	raw := []byte("From: Anna <anna@example.org>\r\nSubject: Bewilligt\r\nMessage-ID: <p1@example.org>\r\n\r\n" + text + "\r\n")
	a, err := db.AcceptPost(ctx, &Post{ListID: l.ID, MessageID: "<p1@example.org>", Subject: "Bewilligt", FromName: "Anna",
		Date: time.Now(), Text: text, Raw: raw})
	if err != nil {
		t.Fatal(err)
	}
	var storedRaw []byte
	var storedText any
	if err := db.db.QueryRow(`SELECT r.raw, m.body_text FROM message_raw r JOIN messages m ON m.id = r.message_id WHERE m.id = ?`, a.ID).Scan(&storedRaw, &storedText); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(storedRaw, packMagic) || len(storedRaw) >= len(raw)/2 {
		t.Errorf("raw stored as %d bytes of %d", len(storedRaw), len(raw))
	}
	if b, ok := storedText.([]byte); !ok || len(b) >= len(text)/2 {
		t.Errorf("text stored as %T", storedText)
	}
	m, err := db.Message(ctx, l.ID, a.ID)
	if err != nil || m.Text != text || m.Size != len(raw) {
		t.Fatalf("message: %v", err)
	}
	if got, err := db.Raw(ctx, a.ID); err != nil || !bytes.Equal(got, raw) {
		t.Fatalf("raw: %v", err)
	}
	for _, limit := range []int{0, 64, 4096} {
		ps, err := db.RawPostRange(ctx, l.ID, a.ID, a.ID, limit)
		if err != nil || len(ps) != 1 {
			t.Fatalf("range, limit %d: %v", limit, err)
		}
		switch {
		case limit == 0 && (ps[0].Prefix || !bytes.Equal(ps[0].Raw, raw)):
			t.Errorf("range: %d bytes, prefix %v", len(ps[0].Raw), ps[0].Prefix)
		case limit > 0 && (!ps[0].Prefix || !bytes.HasPrefix(raw, ps[0].Raw)):
			t.Errorf("range, limit %d: %q, prefix %v", limit, ps[0].Raw, ps[0].Prefix)
		case limit == 4096 && len(ps[0].Raw) != headerLen(raw):
			t.Errorf("range, limit %d: %d bytes, not the header", limit, len(ps[0].Raw))
		}
	}
	if ps, err := db.RawPosts(ctx, l.ID, []int64{a.ID}); err != nil || len(ps) != 1 || !bytes.Equal(ps[0].Raw, raw) {
		t.Errorf("raw posts: %v", err)
	}
	hits, err := db.Search(ctx, l.ID, "jugendamt", 10)
	if err != nil || len(hits) != 1 || !strings.Contains(hits[0].Snippet, "Jugendamt") {
		t.Errorf("search: %+v %v", hits, err)
	}
}

// TestPackedTextMigration: an archive from before compression keeps its text as it
// was, is searchable after the index is rebuilt contentless, and withdrawn posts are
// left out of it.
func TestPackedTextMigration(t *testing.T) {
	ctx := context.Background()
	db := openFrom(t, 16,
		`INSERT INTO lists (id, name, created_at) VALUES (1, 'kita', 0)`,
		`INSERT INTO messages (id, list_id, message_id, thread_id, subject, from_name, date, received_at, body_text)
			VALUES (1, 1, 'a@host', 1, 'Kitaplatz', 'Anna', 0, 0, 'Wer kennt die Kita am Park?'),
			       (2, 1, 'b@host', 1, 'Re: Kitaplatz', 'Bea', 0, 0, 'Die Kita am Park ist gut.')`,
		`INSERT INTO message_raw (message_id, raw) VALUES (1, 'Subject: Kitaplatz' || char(13, 10, 13, 10) || 'Wer kennt die Kita am Park?'),
			(2, 'Subject: Re: Kitaplatz' || char(13, 10, 13, 10) || 'withdrawn')`,
		`UPDATE messages SET withdrawn_at = 1, body_text = '', from_name = '' WHERE id = 2`,
	)
	if m, err := db.Message(ctx, 1, 1); err != nil || m.Text != "Wer kennt die Kita am Park?" {
		t.Fatalf("old text: %+v %v", m, err)
	}
	if r, err := db.Raw(ctx, 1); err != nil || !bytes.HasSuffix(r, []byte("am Park?")) {
		t.Fatalf("old raw: %q %v", r, err)
	}
	hits, err := db.Search(ctx, 1, "kita park", 10)
	if err != nil || len(hits) != 1 || hits[0].ID != 1 {
		t.Fatalf("search after the migration: %+v %v", hits, err)
	}
	if hits, _ := db.Search(ctx, 1, "kitaplatz", 10); len(hits) != 1 {
		t.Errorf("withdrawn post found by its subject: %+v", hits)
	}
	// Deleting an old post takes its words out of the new index.
	if _, err := db.db.Exec(`DELETE FROM messages WHERE id = 1`); err != nil {
		t.Fatal(err)
	}
	if hits, _ := db.Search(ctx, 1, "park", 10); len(hits) != 0 {
		t.Errorf("deleted post still found: %+v", hits)
	}
}

// FuzzUnpack: no stored value, however damaged, panics a reader, and any post packs
// and comes back as it was.
func FuzzUnpack(f *testing.F) {
	p := newTestPacker(f)
	for _, raw := range samplePosts() {
		if len(raw) < 4096 {
			f.Add(raw)
			f.Add(p.packRaw(p.live, raw))
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p.unpackRaw(b)
		for _, n := range []int{0, min(1, len(b)), len(b) / 2, len(b)} {
			p.unpackHeader(b[:n], len(b))
		}
		p.unpackText(b)
		got, err := p.unpackRaw(p.packRaw(p.live, b))
		if err != nil || !bytes.Equal(got, b) {
			t.Fatalf("round trip: %v", err)
		}
	})
}

// TestOldDatabaseVacuum: a database made before incremental vacuuming gets it when
// opened, so that freed pages can be given back.
func TestOldDatabaseVacuum(t *testing.T) {
	db := openFrom(t, 16, `INSERT INTO lists (id, name, created_at) VALUES (1, 'kita', 0)`)
	var mode int
	if err := db.db.QueryRow(`PRAGMA auto_vacuum`).Scan(&mode); err != nil || mode != 2 {
		t.Fatalf("auto_vacuum = %d, %v", mode, err)
	}
}

// TestPackEdges: bytes changed in place after PackPost are packed again, and a post
// too big to pack that starts like a packed one comes back as it was.
func TestPackEdges(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	l := seed(t, db, 0)
	p := &Post{ListID: l.ID, MessageID: "<e1@x>", Date: time.Now(), Raw: []byte("Subject: eins\r\n\r\n" + strings.Repeat("Text eins. ", 200))}
	db.PackPost(p)
	copy(p.Raw[9:13], "zwei")
	a, err := db.AcceptPost(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := db.Raw(ctx, a.ID); !bytes.Equal(got, p.Raw) {
		t.Errorf("stored the bytes from before the change: %.20q", got)
	}

	pk := newTestPacker(t)
	big := append(slices.Clone(packMagic), make([]byte, maxPacked)...)
	stored := pk.packRaw(pk.live, big)
	if got, err := pk.unpackRaw(stored); err != nil || !bytes.Equal(got, big) {
		t.Errorf("oversize post starting with the magic: %v", err)
	}
	if got, whole, err := pk.unpackHeader(stored[:4096], len(stored)); err != nil || whole || !bytes.HasPrefix(big, got) {
		t.Errorf("its prefix: %d bytes, whole %v, %v", len(got), whole, err)
	}
}
