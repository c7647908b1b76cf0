package server

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/runnel-io/runnel/core/partition"
	"github.com/runnel-io/runnel/core/vsr"
	"github.com/runnel-io/runnel/plugins/storage"
	"github.com/runnel-io/runnel/sdk/wire"
)

// DeleteSegments through the replica: the receiving node turns "the n
// oldest segments" into an offset, the end of the n-th oldest of its own
// segments, and every replica removes the oldest segments that end at or
// before it. Segment boundaries are the same on every replica (rotation
// depends only on the appended batches), and a segment local retention
// already removed is simply not there: every replica ends with the same
// first offset.
const (
	deleteSegmentsBodyBytes = 20
	deleteSegmentsOK        = 0
	deleteSegmentsNoLog     = 1
)

func encodeDeleteSegments(key storage.PartitionKey, below uint64) []byte {
	le := binary.LittleEndian
	b := le.AppendUint32(le.AppendUint32(le.AppendUint32(nil, key.Stream), key.Topic), key.Partition)
	return le.AppendUint64(b, below)
}

func (s *Server) deleteSegmentsReplicated(ctx context.Context, key storage.PartitionKey, count uint32) error {
	s.topology.RLock()
	pl := s.parts.get(key)
	var below uint64
	if pl != nil {
		_ = pl.with(func(l *partition.Log) error {
			segs := l.Segments()
			if n := min(int(count), len(segs)); n > 0 {
				below = segs[n-1].NextOffset
			}
			return nil
		})
	}
	s.topology.RUnlock()
	if pl == nil {
		return wire.ErrPartitionNotFound.Detail("partition %d", key.Partition)
	}
	if count == 0 {
		return nil
	}
	reply, err := s.submitReplicated(ctx, vsr.OperationDeleteSegments, encodeDeleteSegments(key, below))
	if err != nil {
		return err
	}
	if len(reply) != 1 || reply[0] != deleteSegmentsOK {
		return wire.ErrPartitionNotFound.Detail("partition %d was deleted", key.Partition)
	}
	return nil
}

// applyDeleteSegments removes the oldest segments of a partition that end
// at or before the op's offset.
func (s *Server) applyDeleteSegments(op uint64, body []byte) []byte {
	if len(body) != deleteSegmentsBodyBytes {
		return []byte{deleteSegmentsNoLog}
	}
	le := binary.LittleEndian
	key := storage.PartitionKey{Stream: le.Uint32(body), Topic: le.Uint32(body[4:]), Partition: le.Uint32(body[8:])}
	below := le.Uint64(body[12:])
	pl := s.parts.get(key)
	if pl == nil {
		return []byte{deleteSegmentsNoLog}
	}
	err := pl.with(func(l *partition.Log) error {
		k := 0
		for _, seg := range l.Segments() {
			if seg.NextOffset > below {
				break
			}
			k++
		}
		_, err := l.DeleteOldestSegments(s.applyCtx, k)
		return err
	})
	if err != nil {
		s.failApply(op, fmt.Errorf("delete segments of %s below offset %d: %w", key, below, err))
	}
	return []byte{deleteSegmentsOK}
}
