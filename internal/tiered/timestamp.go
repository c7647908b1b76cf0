package tiered

import (
	"context"
	"encoding/binary"
	"fmt"
	"sort"

	"github.com/runnel-io/runnel/plugins/archiver"
	"github.com/runnel-io/runnel/plugins/storage"
	"github.com/runnel-io/runnel/sdk/wire"
)

// held is one archived segment and who holds it.
type held struct {
	Segment
	holders []string
}

// segmentsBelow lists the archived segments of key that start below
// before, oldest first, with their holders in config order.
func (c *Catalog) segmentsBelow(key storage.PartitionKey, before uint64) []held {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var out []held
	for _, e := range c.parts[key] {
		if e.ID.BaseOffset >= before {
			break
		}
		if e.Count() == 0 {
			continue
		}
		h := held{Segment: e.Segment}
		for _, name := range c.targets {
			if _, ok := e.held[name]; ok {
				h.holders = append(h.holders, name)
			}
		}
		out = append(out, h)
	}
	return out
}

// OffsetAtTimestamp returns the first archived offset of key below before
// whose message is stamped at or after timestampMicros; false when every
// archived message below before is older (or nothing is archived). Stamps
// never go down within a partition, so it binary searches the segments by
// their last index entry, then the chosen segment's index, each probe a
// 16-byte read through the block cache: O(log segments + log messages)
// small ranged GETs when cold, none when warm.
func (r *Reader) OffsetAtTimestamp(ctx context.Context, key storage.PartitionKey, timestampMicros, before uint64) (uint64, bool, error) {
	segs := r.cat.segmentsBelow(key, before)
	var ferr error
	stamp := func(h held, rel uint32) uint64 {
		if ferr != nil {
			return 0
		}
		ts, err := r.indexStamp(ctx, h, rel)
		if err != nil {
			ferr = err
		}
		return ts
	}
	i := sort.Search(len(segs), func(i int) bool {
		return ferr != nil || stamp(segs[i], uint32(segs[i].Count()-1)) >= timestampMicros
	})
	if ferr != nil || i == len(segs) {
		return 0, false, wrapStampErr(key, ferr)
	}
	h := segs[i]
	j := sort.Search(int(h.Count()), func(j int) bool {
		return ferr != nil || stamp(h, uint32(j)) >= timestampMicros
	})
	if ferr != nil {
		return 0, false, wrapStampErr(key, ferr)
	}
	offset := h.ID.BaseOffset + uint64(j)
	return offset, offset < before, nil
}

func wrapStampErr(key storage.PartitionKey, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("tiered: find timestamp in the archive of %s: %w", key, err)
}

// indexStamp reads the timestamp of index entry rel of an archived
// segment, checking that the entry is the one asked for.
func (r *Reader) indexStamp(ctx context.Context, h held, rel uint32) (uint64, error) {
	obj := object{archiver.SegmentKey(h.ID, storage.FileIndex), h.IndexBytes, h.holders}
	var e [wire.IndexEntrySize]byte
	if err := r.readAt(ctx, obj, e[:], int64(rel)*wire.IndexEntrySize); err != nil {
		return 0, err
	}
	if got := binary.LittleEndian.Uint32(e[:]); got != rel {
		return 0, &CorruptionError{Key: obj.key, Offset: h.ID.BaseOffset + uint64(rel),
			Reason: fmt.Sprintf("index entry %d holds relative offset %d", rel, got)}
	}
	return binary.LittleEndian.Uint64(e[8:]), nil
}
