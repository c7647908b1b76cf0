package tiered

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/runnel-io/runnel/plugins/archiver"
	"github.com/runnel-io/runnel/plugins/storage"
	"github.com/runnel-io/runnel/sdk/wire"
)

// Segment is one archived segment: offsets [Base, Next).
type Segment struct {
	ID         storage.SegmentID
	Next       uint64
	LogBytes   int64
	IndexBytes int64
}

// Count is the number of messages the segment holds.
func (s Segment) Count() uint64 { return s.Next - s.ID.BaseOffset }

// Holding is what one archiver holds of a segment.
type Holding struct {
	Log, Index archiver.ObjectInfo
	// Verified is set once the digests were compared with the local files
	// (not for segments only known from a listing).
	Verified bool
}

type entry struct {
	Segment
	held map[string]Holding // by archiver name
}

// Catalog lists the archived segments of every partition. Safe for
// concurrent use.
type Catalog struct {
	targets []string // archiver names, in config order

	mu    sync.RWMutex
	parts map[storage.PartitionKey][]*entry // ascending, non-overlapping
}

// NewCatalog makes an empty catalog over the named archivers; HeldByAll
// asks every one of them.
func NewCatalog(targets []string) *Catalog {
	return &Catalog{targets: slices.Clone(targets), parts: map[storage.PartitionKey][]*entry{}}
}

// Targets are the archiver names, in config order.
func (c *Catalog) Targets() []string { return slices.Clone(c.targets) }

// ParseSegmentKey is the inverse of archiver.SegmentKey.
func ParseSegmentKey(key archiver.Key) (storage.SegmentID, storage.FileKind, error) {
	parts := strings.Split(string(key), "/")
	if len(parts) != 5 || parts[0] != "segments" {
		return storage.SegmentID{}, 0, fmt.Errorf("tiered: %q is not a segment key", key)
	}
	var nums [4]uint64
	name, ext, _ := strings.Cut(parts[4], ".")
	for i, s := range []string{parts[1], parts[2], parts[3], name} {
		bits := 32
		if i == 3 {
			bits = 64
		}
		n, err := strconv.ParseUint(s, 10, bits)
		if err != nil {
			return storage.SegmentID{}, 0, fmt.Errorf("tiered: %q is not a segment key: %w", key, err)
		}
		nums[i] = n
	}
	id := storage.SegmentID{PartitionKey: storage.PartitionKey{Stream: uint32(nums[0]), Topic: uint32(nums[1]), Partition: uint32(nums[2])}, BaseOffset: nums[3]}
	switch {
	case ext == "log":
		return id, storage.FileLog, nil
	case ext == "index":
		return id, storage.FileIndex, nil
	}
	return storage.SegmentID{}, 0, fmt.Errorf("tiered: %q is not a segment key", key)
}

// AddListing records what target's List("segments/") returned: every
// segment with both files and a whole number of index entries. Listed
// segments are readable but not Verified. It returns how many it took.
func (c *Catalog) AddListing(target string, infos []archiver.ObjectInfo) int {
	type pair struct{ log, index *archiver.ObjectInfo }
	pairs := map[storage.SegmentID]*pair{}
	for i := range infos {
		id, kind, err := ParseSegmentKey(infos[i].Key)
		if err != nil {
			continue // not ours
		}
		p := pairs[id]
		if p == nil {
			p = &pair{}
			pairs[id] = p
		}
		if kind == storage.FileLog {
			p.log = &infos[i]
		} else {
			p.index = &infos[i]
		}
	}
	added := 0
	for id, p := range pairs {
		if p.log == nil || p.index == nil || p.index.SizeBytes == 0 || p.index.SizeBytes%wire.IndexEntrySize != 0 {
			continue // an upload cut between the two files, or an empty segment
		}
		c.Record(target, id, *p.log, *p.index, false)
		added++
	}
	return added
}

// Record notes that target holds both files of segment id. A segment that
// overlaps others with other bounds (a partition purged or recreated under
// the same ids) replaces them.
func (c *Catalog) Record(target string, id storage.SegmentID, log, index archiver.ObjectInfo, verified bool) {
	seg := Segment{ID: id, Next: id.BaseOffset + uint64(index.SizeBytes)/wire.IndexEntrySize, LogBytes: log.SizeBytes, IndexBytes: index.SizeBytes}
	h := Holding{Log: log, Index: index, Verified: verified}
	c.mu.Lock()
	defer c.mu.Unlock()
	list := c.parts[id.PartitionKey]
	i := sort.Search(len(list), func(i int) bool { return list[i].ID.BaseOffset >= id.BaseOffset })
	if i < len(list) && list[i].Segment == seg {
		list[i].held[target] = h
		return
	}
	kept := list[:0:0]
	for _, e := range list {
		if e.Next <= seg.ID.BaseOffset || e.ID.BaseOffset >= seg.Next {
			kept = append(kept, e)
		}
	}
	e := &entry{Segment: seg, held: map[string]Holding{target: h}}
	i = sort.Search(len(kept), func(i int) bool { return kept[i].ID.BaseOffset >= id.BaseOffset })
	c.parts[id.PartitionKey] = slices.Insert(kept, i, e)
}

// Forget drops every segment of partition key (deleted or purged).
func (c *Catalog) Forget(key storage.PartitionKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.parts, key)
}

func (c *Catalog) lookup(id storage.SegmentID) *entry {
	list := c.parts[id.PartitionKey]
	i := sort.Search(len(list), func(i int) bool { return list[i].ID.BaseOffset >= id.BaseOffset })
	if i < len(list) && list[i].ID == id {
		return list[i]
	}
	return nil
}

// Verified reports whether target holds segment id with digests checked
// against local files of exactly these sizes.
func (c *Catalog) Verified(target string, id storage.SegmentID, logBytes, indexBytes int64) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	e := c.lookup(id)
	if e == nil {
		return false
	}
	h, ok := e.held[target]
	return ok && h.Verified && h.Log.SizeBytes == logBytes && h.Index.SizeBytes == indexBytes
}

// HeldByAll reports whether every archiver holds segment id, verified,
// with a log of logBytes and next offset next: the condition for deleting
// the local copy. With no archivers it is false.
func (c *Catalog) HeldByAll(id storage.SegmentID, next uint64, logBytes int64) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	e := c.lookup(id)
	if e == nil || len(c.targets) == 0 || e.Next != next || e.LogBytes != logBytes {
		return false
	}
	for _, name := range c.targets {
		if h, ok := e.held[name]; !ok || !h.Verified {
			return false
		}
	}
	return true
}

// ErrNotArchived: no archived segment holds the offset.
var ErrNotArchived = errors.New("tiered: offset not archived")

// Find returns the archived segment holding offset, and the archivers
// holding it in config order.
func (c *Catalog) Find(key storage.PartitionKey, offset uint64) (Segment, []string, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	list := c.parts[key]
	i := sort.Search(len(list), func(i int) bool { return list[i].ID.BaseOffset > offset }) - 1
	if i < 0 || offset >= list[i].Next {
		return Segment{}, nil, fmt.Errorf("%w: %s offset %d", ErrNotArchived, key, offset)
	}
	var holders []string
	for _, name := range c.targets {
		if _, ok := list[i].held[name]; ok {
			holders = append(holders, name)
		}
	}
	return list[i].Segment, holders, nil
}

// Range is the offsets [First, Next).
type Range struct{ First, Next uint64 }

// SegmentsCount is the number of archived segments of partition key.
func (c *Catalog) SegmentsCount(key storage.PartitionKey) int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.parts[key])
}

// Ranges are the archived offsets of partition key, contiguous runs merged.
func (c *Catalog) Ranges(key storage.PartitionKey) []Range {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var out []Range
	for _, e := range c.parts[key] {
		if n := len(out); n > 0 && out[n-1].Next == e.ID.BaseOffset {
			out[n-1].Next = e.Next
			continue
		}
		out = append(out, Range{e.ID.BaseOffset, e.Next})
	}
	return out
}

// Below sums the archived segments of key within [from, before):
// how many, and their log bytes.
func (c *Catalog) Below(key storage.PartitionKey, from, before uint64) (segments int, logBytes uint64) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	for _, e := range c.parts[key] {
		if e.ID.BaseOffset >= from && e.Next <= before {
			segments++
			logBytes += uint64(e.LogBytes)
		}
	}
	return segments, logBytes
}

// Next is one past the newest archived offset of key; ok is false when
// nothing of key is archived.
func (c *Catalog) Next(key storage.PartitionKey) (uint64, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	list := c.parts[key]
	if len(list) == 0 {
		return 0, false
	}
	return list[len(list)-1].Next, true
}

// First is the oldest archived offset of key that starts a run reaching
// up to upTo (the oldest local offset): older archived data cut off from
// the local log by a gap is not served. ok is false when none is.
func (c *Catalog) First(key storage.PartitionKey, upTo uint64) (uint64, bool) {
	ranges := c.Ranges(key)
	for i := len(ranges) - 1; i >= 0; i-- {
		if ranges[i].First < upTo && ranges[i].Next >= upTo {
			return ranges[i].First, true
		}
	}
	return 0, false
}
