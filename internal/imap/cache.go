package imap

import (
	"bytes"
	"container/list"
	"strings"
	"sync"

	"listd/internal/store"
)

// headerCache keeps the archive headers served lately, so that a mail program that
// asks for every header again (a new device, a rebuilt index) costs no rewriting.
// It is bounded by bytes and forgets the least recently used first. An entry holds
// for the list settings and the author it was built with: a post whose author was
// erased, or a list whose name, title or anonymity changed, misses.
type headerCache struct {
	mu    sync.Mutex
	max   int
	used  int
	lru   *list.List // of *cachedHeader, most recent first
	items map[int64]*list.Element
}

type cachedHeader struct {
	id     int64
	key    string
	header []byte
	size   int64 // of the whole copy; -1 when not known
}

func newHeaderCache(max int) *headerCache {
	return &headerCache{max: max, lru: list.New(), items: map[int64]*list.Element{}}
}

// entryKey is what a cached header depends on besides the post's bytes.
func entryKey(listKey string, e *store.Envelope) string {
	return listKey + "\x00" + e.FromName + "\x00" + e.FromAddr
}

func (c *headerCache) get(id int64, listKey string, e *store.Envelope) ([]byte, int64, bool) {
	if c == nil || c.max <= 0 {
		return nil, 0, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[id]
	if !ok {
		return nil, 0, false
	}
	h := el.Value.(*cachedHeader)
	if h.key != entryKey(listKey, e) {
		return nil, 0, false
	}
	c.lru.MoveToFront(el)
	return h.header, h.size, true
}

func (c *headerCache) put(id int64, listKey string, e *store.Envelope, header []byte, size int64) {
	if c == nil || c.max <= 0 {
		return
	}
	// A copy: header may be the start of a whole message, which must not stay in
	// memory with it.
	h := &cachedHeader{id: id, key: entryKey(listKey, e), header: bytes.Clone(header), size: size}
	cost := len(h.header) + len(h.key) + 64
	if cost > c.max/16 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[id]; ok {
		old := el.Value.(*cachedHeader)
		if size < 0 && old.size >= 0 && old.key == h.key {
			return // keep the entry that knows the size
		}
		c.used -= len(old.header) + len(old.key) + 64
		el.Value = h
		c.lru.MoveToFront(el)
	} else {
		c.items[id] = c.lru.PushFront(h)
	}
	c.used += cost
	for c.used > c.max {
		el := c.lru.Back()
		old := el.Value.(*cachedHeader)
		c.lru.Remove(el)
		delete(c.items, old.id)
		c.used -= len(old.header) + len(old.key) + 64
	}
}

// cacheKey names the settings of the selected list that its archive copies depend
// on.
func (s *session) cacheKey() string {
	l := s.composeList("")
	anon := "0"
	if l.Anonymous {
		anon = "1"
	}
	// An anonymous list's copies carry its own Message-IDs.
	if s.sel.mb.list.Anonymous {
		anon += "ids"
	}
	return strings.Join([]string{l.Name, l.Title, l.Domain, l.BaseURL, l.Language, anon}, "\x00")
}
