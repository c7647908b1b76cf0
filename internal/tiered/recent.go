package tiered

import (
	"container/list"
	"slices"
	"sync"

	"github.com/runnel-io/runnel/plugins/storage"
	"github.com/runnel-io/runnel/sdk/wire"
)

// Recent is L1: a copy of the newest batches of every partition, oldest
// batches (of any partition) dropped first once their bytes pass the
// budget. Each partition's cached batches are a contiguous run of offsets
// ending at the newest appended message; a batch that does not continue
// the run (after a purge, or a restart of numbering) starts a new one.
// Safe for concurrent use.
type Recent struct {
	bytesMax int64

	mu    sync.Mutex
	bytes int64
	order *list.List // of *recentBatch, oldest first, all partitions
	parts map[storage.PartitionKey]*recentPart
}

type recentPart struct {
	batches []*recentBatch // ascending offsets, contiguous
	next    uint64         // one past the newest cached message
}

type recentBatch struct {
	key    storage.PartitionKey
	first  uint64
	count  uint32
	frames []byte
	el     *list.Element
}

// NewRecent makes an L1 cache of bytesMax bytes; bytesMax 0 returns nil
// (off), and every method of a nil *Recent is a no-op that finds nothing.
func NewRecent(bytesMax int64) *Recent {
	if bytesMax <= 0 {
		return nil
	}
	return &Recent{bytesMax: bytesMax, order: list.New(), parts: map[storage.PartitionKey]*recentPart{}}
}

// Put caches a copy of count stamped frames appended to key at offset
// first.
func (c *Recent) Put(key storage.PartitionKey, first uint64, count uint32, frames []byte) {
	if c == nil || count == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.parts[key]
	// A gap, or a batch larger than the whole budget, ends the run.
	if p != nil && (p.next != first || int64(len(frames)) > c.bytesMax) {
		c.dropPart(key, p)
		p = nil
	}
	if int64(len(frames)) > c.bytesMax {
		return
	}
	if p == nil {
		p = &recentPart{}
		c.parts[key] = p
	}
	b := &recentBatch{key: key, first: first, count: count, frames: slices.Clone(frames)}
	b.el = c.order.PushBack(b)
	p.batches = append(p.batches, b)
	p.next = first + uint64(count)
	c.bytes += int64(len(frames))
	for c.bytes > c.bytesMax {
		c.evictOldest()
	}
}

func (c *Recent) evictOldest() {
	b := c.order.Remove(c.order.Front()).(*recentBatch)
	c.bytes -= int64(len(b.frames))
	p := c.parts[b.key]
	p.batches[0] = nil
	p.batches = p.batches[1:]
	if len(p.batches) == 0 {
		delete(c.parts, b.key)
	}
}

func (c *Recent) dropPart(key storage.PartitionKey, p *recentPart) {
	for _, b := range p.batches {
		c.order.Remove(b.el)
		c.bytes -= int64(len(b.frames))
	}
	delete(c.parts, key)
}

// Forget drops every cached batch of key.
func (c *Recent) Forget(key storage.PartitionKey) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if p := c.parts[key]; p != nil {
		c.dropPart(key, p)
	}
}

// Range is the cached offsets of key; empty when next does not match the
// log's next offset (the cache then describes another incarnation of the
// partition and is not used).
func (c *Recent) Range(key storage.PartitionKey, logNext uint64) Range {
	if c == nil {
		return Range{}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.parts[key]
	if p == nil || p.next != logNext {
		return Range{}
	}
	return Range{p.batches[0].first, p.next}
}

// Read appends to dst up to countMax messages of key from offset on, at
// most bytesMax bytes but always the first message, as the log's Read.
// ok is false (and nothing is read) unless offset lies in the cached run
// and the run ends at logNext, the log's next offset.
func (c *Recent) Read(key storage.PartitionKey, offset, logNext uint64, countMax uint32, bytesMax uint64, dst []byte) ([]byte, uint32, bool) {
	if c == nil || countMax == 0 {
		return dst, 0, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.parts[key]
	if p == nil || p.next != logNext || offset < p.batches[0].first || offset >= p.next {
		return dst, 0, false
	}
	i, _ := slices.BinarySearchFunc(p.batches, offset, func(b *recentBatch, off uint64) int {
		switch {
		case b.first+uint64(b.count) <= off:
			return -1
		case b.first > off:
			return 1
		}
		return 0
	})
	var count uint32
	var bytes uint64
	for ; i < len(p.batches) && count < countMax; i++ {
		b := p.batches[i]
		var pos uint64
		for rel := uint64(0); rel < uint64(b.count) && count < countMax; rel++ {
			size := wire.DecodeMessageHeader(b.frames[pos:]).Size()
			if b.first+rel >= offset {
				if count > 0 && bytes+size > bytesMax {
					return dst, count, true
				}
				dst = append(dst, b.frames[pos:pos+size]...)
				count++
				bytes += size
			}
			pos += size
		}
	}
	return dst, count, true
}

// Bytes is what the cache holds now.
func (c *Recent) Bytes() int64 {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bytes
}
