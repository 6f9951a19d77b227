package store

import (
	"container/list"
	"sync"

	"github.com/warden-ops/warden/internal/segment"
)

// blockCache keeps the most recently read blocks with their columns
// decompressed, up to a memory budget, so that a lookup in a block read
// moments ago (the session block a run of traces keeps joining against,
// the hour an inquiry is about) selects its records without decompressing
// anything again. Sealed blocks never change, so entries are
// never stale; expired ones age out.
type blockCache struct {
	mu    sync.Mutex
	limit int64
	size  int64
	lru   *list.List // of *cached, most recent first
	byKey map[int64]*list.Element
}

type cached struct {
	key  int64 // the block's log index
	b    *segment.Decoded
	size int64
}

func newBlockCache(limit int64) *blockCache {
	return &blockCache{limit: limit, lru: list.New(), byKey: map[int64]*list.Element{}}
}

func (c *blockCache) get(key int64) *segment.Decoded {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.byKey[key]
	if e == nil {
		return nil
	}
	c.lru.MoveToFront(e)
	return e.Value.(*cached).b
}

func (c *blockCache) put(key int64, b *segment.Decoded) {
	if c == nil {
		return
	}
	size := b.Size()
	if size > c.limit/4 {
		return // one block must not flush the cache
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.byKey[key]; ok {
		return
	}
	c.byKey[key] = c.lru.PushFront(&cached{key: key, b: b, size: size})
	c.size += size
	c.evict()
}

// resize counts a block's size again after a selection decoded more of
// its columns.
func (c *blockCache) resize(key int64, b *segment.Decoded) {
	if c == nil {
		return
	}
	size := b.Size()
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.byKey[key]
	if e == nil {
		return
	}
	v := e.Value.(*cached)
	c.size += size - v.size
	v.size = size
	c.evict()
}

// evict drops the least recently used blocks until the cache is within
// its limit.
func (c *blockCache) evict() {
	for c.size > c.limit {
		e := c.lru.Back()
		v := e.Value.(*cached)
		c.lru.Remove(e)
		delete(c.byKey, v.key)
		c.size -= v.size
	}
}
