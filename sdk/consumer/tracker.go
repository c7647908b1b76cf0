package consumer

import (
	"slices"
	"time"
)

// event is when auto-commit is considered.
type event uint8

const (
	eventMessage event = iota // the iterator delivered a message
	eventPoll                 // Poll returned messages
	eventIdle                 // a poll found nothing
)

// partitionOffset is an offset to store for a partition.
type partitionOffset struct {
	Partition uint32
	Offset    uint64
}

// tracker is the auto-commit bookkeeping: what was delivered and committed
// per partition and when a commit is due. Pure logic; time comes in.
type tracker struct {
	ac          AutoCommit
	delivered   map[uint32]uint64 // highest delivered offset
	committed   map[uint32]uint64 // highest committed offset
	sinceCommit uint32            // messages delivered since the last commit
	lastCommit  time.Time
}

func newTracker(ac AutoCommit, now time.Time) *tracker {
	return &tracker{ac: ac, delivered: map[uint32]uint64{}, committed: map[uint32]uint64{}, lastCommit: now}
}

func (t *tracker) deliver(partition uint32, offset uint64) {
	if cur, ok := t.delivered[partition]; !ok || offset > cur {
		t.delivered[partition] = offset
	}
	t.sinceCommit++
}

// owed lists the partitions whose delivered offset is not committed, in
// partition order.
func (t *tracker) owed() []partitionOffset {
	var out []partitionOffset
	for p, off := range t.delivered {
		if c, ok := t.committed[p]; !ok || c < off {
			out = append(out, partitionOffset{p, off})
		}
	}
	slices.SortFunc(out, func(a, b partitionOffset) int { return int(int64(a.Partition) - int64(b.Partition)) })
	return out
}

// markCommitted records a stored offset (a later lower one is ignored).
func (t *tracker) markCommitted(partition uint32, offset uint64) {
	if c, ok := t.committed[partition]; !ok || offset > c {
		t.committed[partition] = offset
	}
}

// commitDone restarts the interval and count after a commit.
func (t *tracker) commitDone(now time.Time) {
	t.sinceCommit = 0
	t.lastCommit = now
}

// due reports whether the mode wants a commit at ev.
func (t *tracker) due(ev event, now time.Time) bool {
	switch t.ac.Mode {
	case CommitAfterMessage:
		return ev != eventIdle
	case CommitEveryN:
		return t.sinceCommit >= t.ac.Messages
	case CommitInterval:
		return now.Sub(t.lastCommit) >= t.ac.Interval
	}
	return false // disabled, or the server commits after each poll
}

// owesOnClose reports whether Close commits what was delivered.
func (t *tracker) owesOnClose() bool {
	return t.ac.Mode != CommitDisabled && t.ac.Mode != CommitAfterPoll
}
