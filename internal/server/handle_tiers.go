package server

import (
	"cmp"
	"errors"
	"fmt"
	"slices"

	"github.com/runnel-io/runnel/core/metadata"
	"github.com/runnel-io/runnel/internal/tiered"
	"github.com/runnel-io/runnel/plugins/storage"
	"github.com/runnel-io/runnel/sdk/wire"
)

// getPartitionTiers answers GetPartitionTiers (a Runnel extension): per
// partition, which offsets each storage tier holds. Read permission on the
// topic is enough, as for GetTopic. Topology is held so no partition goes
// away between the metadata check and the read of its log.
func (c *session) getPartitionTiers(userID uint32, q wire.GetPartitionTiersRequest) ([]byte, error) {
	s := c.srv
	s.topology.RLock()
	defer s.topology.RUnlock()
	t, err := c.viewTarget(userID, metadata.ActionReadTopic, q.StreamID, q.TopicID)
	if err != nil {
		return nil, err
	}
	from, to := uint32(0), t.partitionsCount
	if q.PartitionID.Set {
		if q.PartitionID.ID >= t.partitionsCount {
			return nil, wire.ErrPartitionNotFound.Detail("partition %d of %d", q.PartitionID.ID, t.partitionsCount)
		}
		from, to = q.PartitionID.ID, q.PartitionID.ID+1
	}
	tiers := s.enabledTiers()
	out := make([]wire.PartitionTiers, 0, to-from)
	for id := from; id < to; id++ {
		v, err := s.PartitionTiers(t.key(id))
		if errors.Is(err, storage.ErrNotFound) {
			return nil, wire.ErrPartitionNotFound.Detail("partition %d has no open log", id)
		}
		if err != nil {
			return nil, fmt.Errorf("server: tiers of partition %s: %w", t.key(id), err)
		}
		out = append(out, partitionTiersOf(id, tiers, v))
	}
	return wire.AppendPartitionTiers(c.scratch[:0], out), nil
}

// enabledTiers says which optional tiers the configuration turns on.
func (s *Server) enabledTiers() uint8 {
	var tiers uint8
	if s.cfg.System.Tiering.MemoryCacheSize > 0 {
		tiers |= wire.TierMemory
	}
	if len(s.archivers) > 0 {
		tiers |= wire.TierArchive
	}
	return tiers
}

// partitionTiersOf converts a tier view to its wire form, which the
// client decodes strictly: empty ranges become 0..0 and archive runs are
// sorted, non-empty and disjoint (overlaps, which only a purge followed by
// new archiving could leave, are merged).
func partitionTiersOf(id uint32, tiers uint8, v tiered.View) wire.PartitionTiers {
	pt := wire.PartitionTiers{PartitionID: id, Tiers: tiers, NextOffset: v.NextOffset,
		Memory: tierRange(v.L1), Local: tierRange(v.L2)}
	runs := slices.SortedFunc(slices.Values(v.L3), func(a, b tiered.Range) int { return cmp.Compare(a.First, b.First) })
	for _, r := range runs {
		if r.Empty() {
			continue
		}
		n := len(pt.Archive)
		if n > 0 && r.First < pt.Archive[n-1].Next {
			pt.Archive[n-1].Next = max(pt.Archive[n-1].Next, r.Next)
			continue
		}
		pt.Archive = append(pt.Archive, wire.TierRange{First: r.First, Next: r.Next})
	}
	return pt
}

func tierRange(r tiered.Range) wire.TierRange {
	if r.Empty() {
		return wire.TierRange{}
	}
	return wire.TierRange{First: r.First, Next: r.Next}
}
