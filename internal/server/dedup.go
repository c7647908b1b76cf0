package server

import (
	"encoding/binary"
	"time"

	"github.com/runnel-io/runnel/sdk/wire"
)

// dedupWindow remembers the ids of a partition's recent messages so a
// producer that retries a batch does not store it twice (Iggy's optional
// message deduplication). It is bounded by entriesMax and by age, and lives
// in memory only: after a restart the window starts empty, as in Iggy.
type dedupWindow struct {
	entriesMax int
	ttl        time.Duration
	seen       map[[16]byte]time.Time
	order      [][16]byte // insertion order, oldest first, for eviction
	head       int
}

func newDedupWindow(entriesMax int, ttl time.Duration) *dedupWindow {
	return &dedupWindow{entriesMax: entriesMax, ttl: ttl, seen: make(map[[16]byte]time.Time)}
}

// filter drops messages whose id was seen within the window and records the
// rest. It returns the frames to append (frames itself when nothing was
// dropped) and their count.
func (d *dedupWindow) filter(frames []byte, count uint32, now time.Time) ([]byte, uint32) {
	d.evict(now)
	var kept []byte
	keptCount, pos := uint32(0), 0
	for range count {
		h := wire.DecodeMessageHeader(frames[pos:])
		end := pos + int(h.Size())
		var id [16]byte
		binary.LittleEndian.PutUint64(id[:8], h.IDLow)
		binary.LittleEndian.PutUint64(id[8:], h.IDHigh)
		if _, dup := d.seen[id]; dup {
			if kept == nil {
				kept = append(make([]byte, 0, len(frames)), frames[:pos]...)
			}
		} else {
			d.remember(id, now)
			keptCount++
			if kept != nil {
				kept = append(kept, frames[pos:end]...)
			}
		}
		pos = end
	}
	if kept == nil {
		return frames, count
	}
	return kept, keptCount
}

func (d *dedupWindow) remember(id [16]byte, now time.Time) {
	if len(d.seen) >= d.entriesMax {
		d.dropOldest()
	}
	d.seen[id] = now
	d.order = append(d.order, id)
}

func (d *dedupWindow) dropOldest() {
	delete(d.seen, d.order[d.head])
	d.head++
	// Compact once half the slice is dead, keeping eviction amortised O(1).
	if d.head > len(d.order)/2 {
		d.order = append(d.order[:0], d.order[d.head:]...)
		d.head = 0
	}
}

func (d *dedupWindow) evict(now time.Time) {
	for d.head < len(d.order) {
		at, ok := d.seen[d.order[d.head]]
		if ok && now.Sub(at) < d.ttl {
			return
		}
		d.dropOldest()
	}
}
