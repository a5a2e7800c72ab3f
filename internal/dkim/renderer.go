package dkim

import (
	"context"
	"io"
	"log/slog"
	"sync"

	"listd/internal/delivery"
	"listd/internal/store"
)

// sharedCacheSize bounds the signatures of shared copies kept for reuse. The
// deliverer renders a batch of up to 256 rows at a time, so a batch's shared mails
// all fit; an entry is a few hundred bytes.
const sharedCacheSize = 512

// Renderer signs the copies another Renderer makes. Signing happens when a copy is
// first written (or sized), in the delivery worker that sends it, so that the
// signatures of a fan-out are made in parallel rather than one after another while
// the queue is prepared. A Shared copy is signed once for all of its rows.
type Renderer struct {
	next   delivery.Renderer
	signer *Signer
	log    *slog.Logger

	mu     sync.Mutex
	clock  uint64
	shared map[sharedKey]*signature
}

// sharedKey is what makes rows' Shared copies byte-identical (delivery's grouping).
type sharedKey struct {
	messageID, mailID, digestID int64
	from                        string
}

// NewRenderer returns a Renderer that signs next's copies with signer.
func NewRenderer(next delivery.Renderer, signer *Signer, logger *slog.Logger) *Renderer {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Renderer{next: next, signer: signer, log: logger, shared: make(map[sharedKey]*signature)}
}

// Render returns next's copy for d with a DKIM-Signature in front of it. The copy
// keeps the original's semantics: written any number of times, concurrently when
// Shared, with a Size method when the original has one.
func (r *Renderer) Render(ctx context.Context, d *store.Delivery) (delivery.Copy, error) {
	cp, err := r.next.Render(ctx, d)
	if err != nil || cp.Message == nil {
		return cp, err
	}
	var sig *signature
	if cp.Shared {
		sig = r.sharedSignature(sharedKey{d.MessageID, d.MailID, d.DigestID, cp.From}, d.ID)
	} else {
		sig = &signature{r: r, delivery: d.ID}
	}
	sc := &signedCopy{msg: cp.Message, sig: sig}
	if sz, ok := cp.Message.(sizer); ok {
		cp.Message = sizedCopy{signedCopy: sc, size: sz}
	} else {
		cp.Message = sc
	}
	return cp, nil
}

// sharedSignature returns the signature slot for the rows that share key, the same
// one for each until it is evicted.
func (r *Renderer) sharedSignature(k sharedKey, row int64) *signature {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.clock++
	if s := r.shared[k]; s != nil {
		s.used = r.clock
		return s
	}
	if len(r.shared) >= sharedCacheSize {
		var oldest sharedKey
		least := ^uint64(0)
		for k, s := range r.shared {
			if s.used < least {
				oldest, least = k, s.used
			}
		}
		delete(r.shared, oldest)
	}
	s := &signature{r: r, key: &k, delivery: row, used: r.clock}
	r.shared[k] = s
	return s
}

// forget drops a shared signature that failed, so that a retry signs again.
func (r *Renderer) forget(s *signature) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.shared[*s.key] == s {
		delete(r.shared, *s.key)
	}
}

// signature is the DKIM-Signature field of one copy, or of all the byte-identical
// copies of a shared key, made once by whichever writes first.
type signature struct {
	r        *Renderer
	key      *sharedKey // nil for a copy of its own
	delivery int64      // the (first) row, for the log
	used     uint64     // guarded by r.mu

	once  sync.Once
	field []byte
	err   error
}

// get signs msg unless that has been done for this slot. For a shared slot every
// caller's msg has the same bytes, so it does not matter whose is signed.
func (s *signature) get(msg io.WriterTo) ([]byte, error) {
	s.once.Do(func() {
		s.field, s.err = s.r.signer.Signature(msg)
		if s.err != nil {
			s.r.log.Warn("dkim signing failed", "delivery", s.delivery, "shared", s.key != nil, "err", s.err)
			if s.key != nil {
				s.r.forget(s)
			}
		}
	})
	return s.field, s.err
}

type sizer interface{ Size() int64 }

// signedCopy is a copy with its signature in front.
type signedCopy struct {
	msg io.WriterTo
	sig *signature
}

func (c *signedCopy) WriteTo(w io.Writer) (int64, error) {
	field, err := c.sig.get(c.msg)
	if err != nil {
		return 0, err
	}
	n, err := w.Write(field)
	if err != nil {
		return int64(n), err
	}
	m, err := c.msg.WriteTo(w)
	return int64(n) + m, err
}

// sizedCopy is a signedCopy whose original declares its size.
type sizedCopy struct {
	*signedCopy
	size sizer
}

// Size signs the copy if that has not been done, to know the signature's length.
// If signing fails, WriteTo will fail too; the original's size is as good as any.
func (c sizedCopy) Size() int64 {
	field, err := c.sig.get(c.msg)
	if err != nil {
		return c.size.Size()
	}
	return int64(len(field)) + c.size.Size()
}
