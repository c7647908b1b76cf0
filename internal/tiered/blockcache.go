package tiered

import (
	"container/list"
	"sync"

	"github.com/runnel-io/runnel/plugins/archiver"
)

// blockKey names one aligned block of an archived object.
type blockKey struct {
	key   archiver.Key
	block int64
}

// blockCache keeps recently fetched blocks of archived objects, least
// recently used dropped first once their bytes pass bytesMax, and tracks
// fetches in flight so two readers of a block share one GET. Safe for
// concurrent use.
type blockCache struct {
	bytesMax int64

	mu       sync.Mutex
	bytes    int64
	lru      *list.List // of *cachedBlock, most recent at the front
	blocks   map[blockKey]*list.Element
	inflight map[blockKey]chan struct{}
	hits     uint64
	misses   uint64
}

type cachedBlock struct {
	k blockKey
	b []byte
}

func newBlockCache(bytesMax int64) *blockCache {
	return &blockCache{bytesMax: bytesMax, lru: list.New(), blocks: map[blockKey]*list.Element{}, inflight: map[blockKey]chan struct{}{}}
}

// get returns the cached block, or the channel of its fetch in flight
// (closed when it ends), or neither.
func (c *blockCache) get(k blockKey) ([]byte, <-chan struct{}) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.blocks[k]; ok {
		c.lru.MoveToFront(el)
		c.hits++
		return el.Value.(*cachedBlock).b, nil
	}
	c.misses++
	return nil, c.inflight[k]
}

// present reports whether a block is cached or being fetched.
func (c *blockCache) present(k blockKey) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, cached := c.blocks[k]
	_, inflight := c.inflight[k]
	return cached || inflight
}

// claim marks blocks [from, to) of key as being fetched by the caller, up
// to the first one cached or already in flight, and returns the end of the
// claimed run (from if none could be claimed).
func (c *blockCache) claim(key archiver.Key, from, to int64) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	end := from
	for ; end < to; end++ {
		k := blockKey{key, end}
		if _, ok := c.blocks[k]; ok {
			break
		}
		if _, ok := c.inflight[k]; ok {
			break
		}
		c.inflight[k] = make(chan struct{})
	}
	return end
}

// finish stores the fetched blocks (nil for a failed fetch) of a run
// claimed from first on and wakes their waiters.
func (c *blockCache) finish(key archiver.Key, first, end int64, blocks [][]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for b := first; b < end; b++ {
		k := blockKey{key, b}
		if i := b - first; int(i) < len(blocks) && c.bytesMax > 0 {
			c.put(k, blocks[i])
		}
		if ch, ok := c.inflight[k]; ok {
			close(ch)
			delete(c.inflight, k)
		}
	}
}

func (c *blockCache) put(k blockKey, b []byte) {
	if int64(len(b)) > c.bytesMax {
		return
	}
	if el, ok := c.blocks[k]; ok {
		c.bytes -= int64(len(el.Value.(*cachedBlock).b))
		c.lru.Remove(el)
	}
	c.blocks[k] = c.lru.PushFront(&cachedBlock{k, b})
	c.bytes += int64(len(b))
	for c.bytes > c.bytesMax {
		old := c.lru.Remove(c.lru.Back()).(*cachedBlock)
		delete(c.blocks, old.k)
		c.bytes -= int64(len(old.b))
	}
}

// stats returns the cached bytes, hits and misses.
func (c *blockCache) stats() (int64, uint64, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bytes, c.hits, c.misses
}
