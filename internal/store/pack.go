package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"slices"

	"github.com/klauspost/compress/zstd"
)

// The archive keeps every post twice: its bytes as received (message_raw) and its
// text (messages.body_text, for pages, feeds, digests and snippets). Both are kept
// zstd-compressed; mail text shrinks to about 40 %, base64 attachments less.
//
// A packed post is packMagic, the length of the header's frame (uvarint), the header
// (with the blank line after it) as one zstd frame and the body as another, so that
// a reader of headers (an IMAP client listing a folder) inflates only those. A stored
// post without the magic is its bytes as they are: rows from before compression, and
// posts that do not shrink. No post is stored plain if it starts with the magic or
// with plainMagic. (A row from before compression that starts with either, which only
// a mail beginning with a NUL byte could, would be misread.)
//
// Packed text is a zstd frame stored as a BLOB; plain text stays TEXT, so the two
// cannot be mistaken for each other.
var packMagic = []byte("\x00ZS")

// plainMagic marks a post stored as it is after it, for the one kind that can be
// neither packed nor stored plain: a post over maxPacked that starts like a packed
// one.
var plainMagic = []byte("\x00ZP")

const (
	// maxPacked is the largest post or text that is compressed; larger ones (beyond
	// what an mbox import takes) are stored as they are. Inflating is bounded by it,
	// so that a damaged value cannot claim the memory it says it needs.
	maxPacked = 64 << 20
	// packTextMin is the shortest text worth compressing: below it, a frame's overhead
	// eats the gain.
	packTextMin = 64
)

// errBadPacked means a stored value starts like a packed one and is not.
var errBadPacked = errors.New("damaged compressed value")

// packer compresses and inflates stored posts. All of it is safe for concurrent use;
// each call runs on its own goroutine. It is used through EncodeAll and DecodeAll
// only, which start no goroutines, so it is never closed: a reader still inflating
// when the database closes finishes unharmed.
type packer struct {
	// live packs posts as they arrive, rewritten ones and imports: the fastest level,
	// which keeps listd serve's memory small. (zstd's default level stored imported
	// posts 4 % smaller for half again the time, the largest part of an import's
	// CPU; its better level saved 3 % more for a third more time again.)
	live *zstd.Encoder
	dec  *zstd.Decoder
	seed maphash.Seed // of sum
}

func newPacker() (*packer, error) {
	live, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest))
	if err != nil {
		return nil, fmt.Errorf("compressor: %w", err)
	}
	dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(0), zstd.WithDecoderMaxMemory(maxPacked),
		zstd.WithDecoderMaxWindow(64<<20))
	if err != nil {
		return nil, fmt.Errorf("decompressor: %w", err)
	}
	return &packer{live: live, dec: dec, seed: maphash.MakeSeed()}, nil
}

// sum is a hash of b, to tell whether bytes packed earlier have changed since.
func (p *packer) sum(b []byte) uint64 { return maphash.Bytes(p.seed, b) }

// headerLen returns the length of raw's header with the blank line after it, or
// len(raw) when raw has no body.
func headerLen(raw []byte) int {
	for i := 0; i < len(raw); {
		j := bytes.IndexByte(raw[i:], '\n')
		if j < 0 {
			return len(raw)
		}
		line := raw[i : i+j]
		i += j + 1
		if len(line) == 0 || (len(line) == 1 && line[0] == '\r') {
			return i
		}
	}
	return len(raw)
}

// packRaw returns raw as it is stored, compressed with enc (p.live).
func (p *packer) packRaw(enc *zstd.Encoder, raw []byte) []byte {
	ambiguous := bytes.HasPrefix(raw, packMagic) || bytes.HasPrefix(raw, plainMagic)
	if len(raw) > maxPacked {
		if ambiguous {
			return append(slices.Clip(plainMagic), raw...)
		}
		return raw
	}
	h := headerLen(raw)
	// Room for the worst case at once: attachments hardly compress, and growing the
	// buffer by appending would allocate three times a large mail's size.
	out := make([]byte, 0, len(packMagic)+binary.MaxVarintLen64+enc.MaxEncodedSize(h)+enc.MaxEncodedSize(len(raw)-h))
	out = append(out, packMagic...)
	frame := enc.EncodeAll(raw[:h], nil)
	out = binary.AppendUvarint(out, uint64(len(frame)))
	out = append(out, frame...)
	if h < len(raw) {
		out = enc.EncodeAll(raw[h:], out)
	}
	if len(out) >= len(raw) && !ambiguous {
		return raw
	}
	return out
}

// splitPacked returns the header and body frames of a packed value.
func splitPacked(stored []byte) (header, body []byte, err error) {
	rest := stored[len(packMagic):]
	n, k := binary.Uvarint(rest)
	if k <= 0 || n > uint64(len(rest)-k) {
		return nil, nil, errBadPacked
	}
	return rest[k : k+int(n)], rest[k+int(n):], nil
}

// unpackRaw returns the bytes of a stored post.
func (p *packer) unpackRaw(stored []byte) ([]byte, error) {
	if bytes.HasPrefix(stored, plainMagic) {
		return stored[len(plainMagic):], nil
	}
	if !bytes.HasPrefix(stored, packMagic) {
		return stored, nil
	}
	hf, bf, err := splitPacked(stored)
	if err != nil {
		return nil, err
	}
	out, err := p.dec.DecodeAll(hf, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: header: %w", errBadPacked, err)
	}
	if len(bf) > 0 {
		if out, err = p.dec.DecodeAll(bf, out); err != nil {
			return nil, fmt.Errorf("%w: body: %w", errBadPacked, err)
		}
	}
	return out, nil
}

// unpackHeader returns what a prefix of a stored post (its first bytes, of a value
// size bytes long) gives: the post's header, or for a plain post its first bytes.
// whole reports whether that is the entire post. A packed post whose header frame
// does not end within the prefix gives nothing: the caller reads the whole post.
func (p *packer) unpackHeader(prefix []byte, size int) (b []byte, whole bool, err error) {
	if len(prefix) < len(packMagic) && len(prefix) < size && (bytes.HasPrefix(packMagic, prefix) || bytes.HasPrefix(plainMagic, prefix)) {
		return nil, false, nil // too short to tell
	}
	if bytes.HasPrefix(prefix, plainMagic) {
		return prefix[len(plainMagic):], len(prefix) >= size, nil
	}
	if !bytes.HasPrefix(prefix, packMagic) {
		return prefix, len(prefix) >= size, nil
	}
	rest := prefix[len(packMagic):]
	n, k := binary.Uvarint(rest)
	if k == 0 || (k > 0 && n > uint64(len(rest)-k)) {
		return nil, false, nil // cut within the frame: not enough to go on
	}
	if k < 0 {
		return nil, false, errBadPacked
	}
	out, err := p.dec.DecodeAll(rest[k:k+int(n)], nil)
	if err != nil {
		return nil, false, fmt.Errorf("%w: header: %w", errBadPacked, err)
	}
	return out, len(packMagic)+k+int(n) == size, nil
}

// packText returns text as body_text stores it: a string, or a []byte compressed with
// enc.
func (p *packer) packText(enc *zstd.Encoder, text string) any {
	if len(text) < packTextMin || len(text) > maxPacked {
		return text
	}
	frame := enc.EncodeAll([]byte(text), nil)
	if len(frame) >= len(text) {
		return text
	}
	return frame
}

// unpackText returns the text a body_text value holds: a string as it is, or the
// inflated bytes of a compressed one.
func (p *packer) unpackText(v any) (string, error) {
	switch v := v.(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	case []byte:
		b, err := p.dec.DecodeAll(v, nil)
		if err != nil {
			return "", fmt.Errorf("%w: text: %w", errBadPacked, err)
		}
		return string(b), nil
	}
	return "", fmt.Errorf("text of type %T", v)
}

// textScanner scans a body_text column into a string.
type textScanner struct {
	p    *packer
	text *string
}

func (t textScanner) Scan(v any) error {
	s, err := t.p.unpackText(v)
	if err != nil {
		return err
	}
	*t.text = s
	return nil
}
