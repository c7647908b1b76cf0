package tiered

import (
	"container/list"
	"sync"

	"github.com/runnel-io/runnel/plugins/archiver"
)

// freeBlocksMax bounds the block buffers kept for reuse: enough for the
// blocks evicted while one read-ahead window arrives, without holding
// memory beyond the cache's budget for long.
const freeBlocksMax = 16

// blockKey names one aligned block of an archived object.
type blockKey struct {
	key   archiver.Key
	block int64
}

// blockCache keeps recently fetched blocks of archived objects, least
// recently used dropped first once their bytes pass bytesMax, and tracks
// fetches in flight so two readers of a block share one GET. Dropped
// blocks are reused for later fetches (a sequential scan would otherwise
// allocate, zero and page in a fresh buffer per block); a block handed to
// a reader is pinned until released, so it is never reused under a copy.
// Safe for concurrent use.
type blockCache struct {
	bytesMax   int64
	blockBytes int64

	mu       sync.Mutex
	bytes    int64
	lru      *list.List // of *cachedBlock, most recent at the front
	blocks   map[blockKey]*list.Element
	inflight map[blockKey]chan struct{}
	free     [][]byte // buffers of blockBytes capacity, unused
	hits     uint64
	misses   uint64
}

type cachedBlock struct {
	k       blockKey
	b       []byte
	pins    int
	dropped bool // out of the cache; reuse once unpinned
}

func newBlockCache(bytesMax, blockBytes int64) *blockCache {
	return &blockCache{bytesMax: bytesMax, blockBytes: blockBytes, lru: list.New(),
		blocks: map[blockKey]*list.Element{}, inflight: map[blockKey]chan struct{}{}}
}

// get returns the cached block, pinned (release it after use), or the
// channel of its fetch in flight (closed when it ends), or neither.
func (c *blockCache) get(k blockKey) (*cachedBlock, <-chan struct{}) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.blocks[k]; ok {
		c.lru.MoveToFront(el)
		c.hits++
		cb := el.Value.(*cachedBlock)
		cb.pins++
		return cb, nil
	}
	c.misses++
	return nil, c.inflight[k]
}

// release unpins a block returned by get.
func (c *blockCache) release(cb *cachedBlock) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cb.pins--
	if cb.pins == 0 && cb.dropped {
		c.recycle(cb.b)
	}
}

// alloc returns a buffer of n bytes, reused when one is free. Its
// contents are garbage: the caller overwrites all of it.
func (c *blockCache) alloc(n int64) []byte {
	if n == c.blockBytes {
		c.mu.Lock()
		if k := len(c.free); k > 0 {
			b := c.free[k-1]
			c.free[k-1] = nil
			c.free = c.free[:k-1]
			c.mu.Unlock()
			return b[:n]
		}
		c.mu.Unlock()
	}
	return make([]byte, n)
}

// giveBack returns a buffer from alloc that was never handed to finish.
func (c *blockCache) giveBack(b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.recycle(b)
}

// recycle keeps b for reuse if it is a whole block. Called under mu.
func (c *blockCache) recycle(b []byte) {
	if int64(cap(b)) == c.blockBytes && len(c.free) < freeBlocksMax {
		c.free = append(c.free, b[:cap(b)])
	}
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
// claimed from first on and wakes their waiters. The cache owns the
// blocks from here on: the caller must be done with them.
func (c *blockCache) finish(key archiver.Key, first, end int64, blocks [][]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for b := first; b < end; b++ {
		k := blockKey{key, b}
		if i := b - first; int(i) < len(blocks) {
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
		c.recycle(b)
		return
	}
	if el, ok := c.blocks[k]; ok {
		c.drop(el)
	}
	c.blocks[k] = c.lru.PushFront(&cachedBlock{k: k, b: b})
	c.bytes += int64(len(b))
	for c.bytes > c.bytesMax {
		c.drop(c.lru.Back())
	}
}

// drop takes a block out of the cache; its buffer is reused once no
// reader holds it.
func (c *blockCache) drop(el *list.Element) {
	cb := c.lru.Remove(el).(*cachedBlock)
	delete(c.blocks, cb.k)
	c.bytes -= int64(len(cb.b))
	cb.dropped = true
	if cb.pins == 0 {
		c.recycle(cb.b)
	}
}

// reset drops every cached and free block, so that a closed reader holds
// no memory even while something still refers to it. Blocks pinned by
// readers stay theirs.
func (c *blockCache) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for el := c.lru.Front(); el != nil; el = el.Next() {
		el.Value.(*cachedBlock).dropped = true
	}
	c.lru.Init()
	clear(c.blocks)
	c.bytes = 0
	c.free = nil
	c.bytesMax = 0 // nothing fetched later is kept either
}

// stats returns the cached bytes, hits and misses.
func (c *blockCache) stats() (int64, uint64, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bytes, c.hits, c.misses
}
