package server

import (
	"context"
	"sync"

	"github.com/runnel-io/runnel/core/metadata"
	"github.com/runnel-io/runnel/sdk/wire"
)

// pendingOffsetsMax bounds the auto-committed offsets waiting for the
// replica; a poll that would add one more waits for the committer.
const pendingOffsetsMax = 1 << 16

// consumerOffsetKey names one stored consumer offset.
type consumerOffsetKey struct {
	stream, topic uint32
	metadata.OffsetKey
}

// offsetCommitter stores the offsets polls with auto-commit move (VSR
// mode) without making the poll wait for the replica, as mode none's
// SubmitNoWait does: a poll records its offset here and answers; one
// goroutine submits the newest offset of each consumer, so a busy consumer
// costs one op per round, not one per poll. Until an offset is applied,
// the stored offset a poll reads is the pending one (read-your-writes on
// this node). A crash loses pending offsets: the consumer is redelivered
// what it last polled, never skips (at-least-once, as in Iggy).
type offsetCommitter struct {
	mu      sync.Mutex
	pending map[consumerOffsetKey]uint64
	kick    chan struct{} // buffered 1: a round is wanted
	room    *sync.Cond    // signalled when a round took the pending set
}

func newOffsetCommitter() *offsetCommitter {
	oc := &offsetCommitter{pending: make(map[consumerOffsetKey]uint64), kick: make(chan struct{}, 1)}
	oc.room = sync.NewCond(&oc.mu)
	return oc
}

// put records offset as k's newest.
func (oc *offsetCommitter) put(k consumerOffsetKey, offset uint64) {
	oc.mu.Lock()
	for len(oc.pending) >= pendingOffsetsMax {
		oc.room.Wait()
	}
	oc.pending[k] = offset
	oc.mu.Unlock()
	select {
	case oc.kick <- struct{}{}:
	default:
	}
}

// get returns k's pending offset, if any.
func (oc *offsetCommitter) get(k consumerOffsetKey) (uint64, bool) {
	oc.mu.Lock()
	defer oc.mu.Unlock()
	off, ok := oc.pending[k]
	return off, ok
}

// drop forgets k's pending offset: an explicit store or delete supersedes it.
func (oc *offsetCommitter) drop(k consumerOffsetKey) {
	oc.mu.Lock()
	delete(oc.pending, k)
	oc.mu.Unlock()
}

// run submits pending offsets until ctx ends. An entry leaves the pending
// set only once its op was applied (or refused), unless a newer poll
// replaced it meanwhile.
func (oc *offsetCommitter) run(ctx context.Context, submit func(context.Context, metadata.Op) (metadata.Result, error), onError func(error)) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-oc.kick:
		}
		oc.mu.Lock()
		round := make(map[consumerOffsetKey]uint64, len(oc.pending))
		for k, off := range oc.pending {
			round[k] = off
		}
		oc.mu.Unlock()
		for k, off := range round {
			_, err := submit(ctx, metadata.StoreConsumerOffset{Stream: wire.NumericID(k.stream), Topic: wire.NumericID(k.topic),
				PartitionID: k.PartitionID, Kind: k.Kind, ConsumerID: k.ConsumerID, Offset: off})
			if err != nil && !isWireError(err) && ctx.Err() == nil {
				onError(err)
			}
			oc.mu.Lock()
			if cur, ok := oc.pending[k]; ok && cur == off {
				delete(oc.pending, k)
			}
			oc.room.Broadcast()
			oc.mu.Unlock()
		}
	}
}
