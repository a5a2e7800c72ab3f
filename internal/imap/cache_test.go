package imap

import (
	"bytes"
	"fmt"
	"testing"

	"listd/internal/store"
)

func TestHeaderCache(t *testing.T) {
	c := newHeaderCache(16 * 1024)
	anna := &store.Envelope{FromName: "Sonne", FromAddr: "anna@example.net"}
	whole := []byte("Subject: x\r\n\r\n" + string(bytes.Repeat([]byte("body"), 1000)))
	c.put(1, "kita", anna, whole[:14], int64(len(whole)))
	whole[0] = 'X' // the cache keeps a copy of its own
	tests := []struct {
		name     string
		id       int64
		listKey  string
		env      *store.Envelope
		wantHit  bool
		wantSize int64
	}{
		{"hit", 1, "kita", anna, true, int64(len(whole))},
		{"other list settings", 1, "kita-renamed", anna, false, 0},
		{"author erased", 1, "kita", &store.Envelope{}, false, 0},
		{"other post", 2, "kita", anna, false, 0},
	}
	for _, tt := range tests {
		hdr, size, ok := c.get(tt.id, tt.listKey, tt.env)
		if ok != tt.wantHit || size != tt.wantSize || (ok && string(hdr) != "Subject: x\r\n\r\n") {
			t.Errorf("%s: %q, %d, %v", tt.name, hdr, size, ok)
		}
	}
	// A header without its size does not replace one with it.
	c.put(1, "kita", anna, []byte("Subject: x\r\n\r\n"), -1)
	if _, size, _ := c.get(1, "kita", anna); size != int64(len(whole)) {
		t.Errorf("size after a prefix put: %d", size)
	}
	// The bound holds: old entries go first.
	for i := int64(2); i < 200; i++ {
		c.put(i, "kita", anna, []byte(fmt.Sprintf("Subject: %d\r\n\r\n", i)), 10)
	}
	if c.used > c.max {
		t.Errorf("cache holds %d bytes, bound %d", c.used, c.max)
	}
	if _, _, ok := c.get(1, "kita", anna); ok {
		t.Error("the oldest entry is still there")
	}
	if _, _, ok := c.get(199, "kita", anna); !ok {
		t.Error("the newest entry is gone")
	}
	// Off.
	var off *headerCache
	off.put(1, "kita", anna, []byte("x"), 1)
	if _, _, ok := off.get(1, "kita", anna); ok {
		t.Error("a nil cache answered")
	}
}
