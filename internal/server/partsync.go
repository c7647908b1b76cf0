package server

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/runnel-io/runnel/core/partition"
	"github.com/runnel-io/runnel/plugins/storage"
	"github.com/runnel-io/runnel/sdk/wire"
)

// Partition sync: a replica that installed a peer's checkpoint (state
// transfer: it fell behind the peers' journals) fetches the partition
// messages the checkpoint covers and it lacks from a peer, over the
// replica bus as host frames. Messages are appended again in the batches
// they were written in (one op's messages share its timestamp, and op
// timestamps strictly increase), so the copy holds the same offsets,
// timestamps and segment boundaries as the peer's.
//
// Frames: a fetch is type u8, id u64, stream, topic, partition u32, from
// u64, to u64 (exclusive); a chunk is type u8, id u64, status u8, then
// the frames of the messages from `from` on (at most partSyncChunkBytes,
// always at least one message when the peer holds any).
const (
	frameFetch byte = 1
	frameChunk byte = 2

	chunkOK       byte = 0
	chunkNoLog    byte = 1 // the peer has no such partition
	chunkNotHeld  byte = 2 // the peer's log starts after `from` (retention)
	chunkReadFail byte = 3

	fetchBytes         = 1 + 8 + 12 + 16
	chunkHeaderBytes   = 1 + 8 + 1
	partSyncChunkBytes = 1 << 20
	// partSyncWait bounds the wait for one chunk before the next peer is
	// tried.
	partSyncWait = 10 * time.Second
	// partSyncServesMax bounds fetches served at once; more are dropped
	// and the fetcher retries elsewhere.
	partSyncServesMax = 4
)

// partSync is both sides of partition sync on one node.
type partSync struct {
	s       *Server
	mu      sync.Mutex
	nextID  uint64
	waiting map[uint64]chan []byte
	serves  chan struct{} // semaphore
}

func newPartSync(s *Server) *partSync {
	return &partSync{s: s, waiting: make(map[uint64]chan []byte), serves: make(chan struct{}, partSyncServesMax)}
}

// onFrame is the node's Hooks.OnHostFrame: it runs on the bus reader.
func (ps *partSync) onFrame(from int, body []byte) {
	if len(body) == 0 {
		return
	}
	switch body[0] {
	case frameFetch:
		if len(body) != fetchBytes {
			return
		}
		select {
		case ps.serves <- struct{}{}:
			req := append([]byte(nil), body...) // the bus may reuse body
			go func() {
				defer func() { <-ps.serves }()
				ps.serve(from, req)
			}()
		default: // busy: the fetcher times out and tries another peer
		}
	case frameChunk:
		if len(body) < chunkHeaderBytes {
			return
		}
		id := binary.LittleEndian.Uint64(body[1:])
		ps.mu.Lock()
		ch := ps.waiting[id]
		delete(ps.waiting, id)
		ps.mu.Unlock()
		if ch != nil {
			ch <- append([]byte(nil), body...) // buffered 1
		}
	}
}

// serve answers one fetch from this node's log.
func (ps *partSync) serve(to int, req []byte) {
	le := binary.LittleEndian
	id := le.Uint64(req[1:])
	key := storage.PartitionKey{Stream: le.Uint32(req[9:]), Topic: le.Uint32(req[13:]), Partition: le.Uint32(req[17:])}
	from, until := le.Uint64(req[21:]), le.Uint64(req[29:])
	resp := append([]byte{frameChunk}, le.AppendUint64(nil, id)...)
	status := chunkOK
	ctx, cancel := context.WithTimeout(ps.s.applyCtx, partSyncWait)
	defer cancel()
	pl := ps.s.parts.get(key)
	if pl == nil {
		status = chunkNoLog
	}
	var frames []byte
	if status == chunkOK {
		err := pl.with(func(l *partition.Log) error {
			// Below the first offset (retention removed it) the read starts
			// at the first one: the fetcher sees where the peer's log begins.
			if until <= l.FirstOffset() {
				status = chunkNotHeld
				return nil
			}
			count := uint32(min(until-max(from, l.FirstOffset()), 1<<20))
			var err error
			frames, _, err = l.Read(ctx, from, count, partSyncChunkBytes, nil)
			return err
		})
		if err != nil {
			ps.s.log.Warn("partition sync: read for a peer", "partition", key.String(), "from", from, "error", err)
			status = chunkReadFail
		}
	}
	resp = append(append(resp, status), frames...)
	if err := ps.s.node.SendHost(ctx, to, resp); err != nil {
		ps.s.log.Warn("partition sync: answer a peer", "replica", to, "error", err)
	}
}

// fill fetches key's messages from the log's next offset up to until
// from the peers, in order, and appends them.
func (ps *partSync) fill(ctx context.Context, pl *partitionLog, until uint64) error {
	st := ps.s.node.State()
	peers := make([]int, 0, ps.s.cfg.Cluster.ReplicaCount())
	if st.Primary != st.Replica {
		peers = append(peers, st.Primary)
	}
	for i := range ps.s.cfg.Cluster.ReplicaCount() {
		if i != st.Replica && i != st.Primary {
			peers = append(peers, i)
		}
	}
	var errs []error
	for _, peer := range peers {
		err := ps.fillFrom(ctx, peer, pl, until)
		if err == nil {
			return nil
		}
		errs = append(errs, fmt.Errorf("replica %d: %w", peer, err))
	}
	return fmt.Errorf("server: partition sync of %s up to offset %d: %w", pl.key, until, errors.Join(errs...))
}

func (ps *partSync) fillFrom(ctx context.Context, peer int, pl *partitionLog, until uint64) error {
	if err := ps.checkPrefix(ctx, peer, pl); err != nil {
		return err
	}
	for {
		have := pl.stats().NextOffset
		if have >= until {
			return nil
		}
		chunk, err := ps.fetch(ctx, peer, pl.key, have, until)
		if err != nil {
			return err
		}
		if chunk[0] != chunkOK {
			return fmt.Errorf("fetch from offset %d refused (status %d)", have, chunk[0])
		}
		frames := chunk[1:]
		if len(frames) < wire.MessageHeaderSize {
			return fmt.Errorf("the peer holds nothing from offset %d", have)
		}
		if first := wire.DecodeMessageHeader(frames).Offset; first != have {
			// The peer's log starts later (its retention removed the
			// rest): an empty log here starts where the peer's does.
			if pl.stats().MessagesCount > 0 {
				return fmt.Errorf("the peer's log starts at offset %d, after this log's end %d", first, have)
			}
			if err := ps.s.restartLogAt(ctx, pl.key, first); err != nil {
				return err
			}
			key := pl.key
			if pl = ps.s.parts.get(key); pl == nil {
				return fmt.Errorf("partition %s vanished", key)
			}
			have = first
		}
		if err := appendAsWritten(ctx, pl, frames, have, until); err != nil {
			return err
		}
	}
}

// errOtherIncarnation: this node's log of a partition is not a prefix of
// the peer's (the partition was deleted and created again meanwhile).
var errOtherIncarnation = errors.New("the local log is not a prefix of the peer's")

// checkPrefix compares this log's last message with the peer's message at
// that offset.
func (ps *partSync) checkPrefix(ctx context.Context, peer int, pl *partitionLog) error {
	st := pl.stats()
	if st.MessagesCount == 0 {
		return nil
	}
	last := st.NextOffset - 1
	local, err := pl.checksumAt(ctx, last)
	if err != nil {
		return err
	}
	chunk, err := ps.fetch(ctx, peer, pl.key, last, last+1)
	if err != nil {
		return err
	}
	if chunk[0] != chunkOK || len(chunk[1:]) < wire.MessageHeaderSize {
		return fmt.Errorf("%w: the peer does not hold offset %d", errOtherIncarnation, last)
	}
	if h := wire.DecodeMessageHeader(chunk[1:]); h.Offset != last || h.Checksum != local {
		return fmt.Errorf("%w: offset %d differs", errOtherIncarnation, last)
	}
	return nil
}

// fetch sends one fetch to peer and waits for its chunk (status first).
func (ps *partSync) fetch(ctx context.Context, peer int, key storage.PartitionKey, from, until uint64) ([]byte, error) {
	ch := make(chan []byte, 1)
	ps.mu.Lock()
	ps.nextID++
	id := ps.nextID
	ps.waiting[id] = ch
	ps.mu.Unlock()
	defer func() {
		ps.mu.Lock()
		delete(ps.waiting, id)
		ps.mu.Unlock()
	}()
	le := binary.LittleEndian
	req := append([]byte{frameFetch}, le.AppendUint64(nil, id)...)
	for _, v := range []uint32{key.Stream, key.Topic, key.Partition} {
		req = le.AppendUint32(req, v)
	}
	req = le.AppendUint64(le.AppendUint64(req, from), until)
	ctx, cancel := context.WithTimeout(ctx, partSyncWait)
	defer cancel()
	if err := ps.s.node.SendHost(ctx, peer, req); err != nil {
		return nil, err
	}
	select {
	case chunk := <-ch:
		return chunk[chunkHeaderBytes-1:], nil
	case <-ctx.Done():
		return nil, fmt.Errorf("no answer: %w", ctx.Err())
	}
}

// appendAsWritten appends fetched frames, which must start at offset
// from, stopping before until, one batch per run of equal timestamps.
func appendAsWritten(ctx context.Context, pl *partitionLog, frames []byte, from, until uint64) error {
	var start, p uint64
	var count uint32
	var ts uint64
	next := from
	flush := func() error {
		if count == 0 {
			return nil
		}
		if _, err := pl.append(ctx, frames[start:p], count, ts); err != nil {
			return err
		}
		start, count = p, 0
		return nil
	}
	for p < uint64(len(frames)) && next < until {
		if uint64(len(frames))-p < wire.MessageHeaderSize {
			return fmt.Errorf("fetched frames end inside a header at byte %d", p)
		}
		h := wire.DecodeMessageHeader(frames[p:])
		if h.Offset != next || h.Size() > uint64(len(frames))-p {
			return fmt.Errorf("fetched message at byte %d has offset %d (want %d) or overruns the chunk", p, h.Offset, next)
		}
		if count > 0 && h.Timestamp != ts {
			if err := flush(); err != nil {
				return err
			}
		}
		ts = h.Timestamp
		p += h.Size()
		count++
		next++
	}
	return flush()
}

// checksumAt is the checksum of the message at offset.
func (pl *partitionLog) checksumAt(ctx context.Context, offset uint64) (uint64, error) {
	var sum uint64
	err := pl.with(func(l *partition.Log) error {
		frames, n, err := l.Read(ctx, offset, 1, 1, nil)
		if err != nil {
			return err
		}
		if n == 0 || len(frames) < wire.MessageHeaderSize {
			return fmt.Errorf("partition %s holds no message at offset %d", pl.key, offset)
		}
		if h := wire.DecodeMessageHeader(frames); h.Offset != offset {
			return fmt.Errorf("partition %s: offset %d read as %d", pl.key, offset, h.Offset)
		}
		sum = wire.DecodeMessageHeader(frames).Checksum
		return nil
	})
	return sum, err
}

// restartLogAt replaces key's log by an empty one whose next offset is
// next.
func (s *Server) restartLogAt(ctx context.Context, key storage.PartitionKey, next uint64) error {
	if err := s.parts.remove(ctx, key); err != nil {
		return err
	}
	if err := createEmptySegment(ctx, s.store, storage.SegmentID{PartitionKey: key, BaseOffset: next}); err != nil {
		return fmt.Errorf("server: partition %s: %w", key, err)
	}
	if _, err := s.parts.open(ctx, key, false); err != nil {
		return fmt.Errorf("server: %w", err)
	}
	return nil
}
