package producer

import (
	"time"

	"github.com/runnel-io/runnel/sdk/wire"
)

// batchPreallocMessagesMax caps the capacity a new batch starts with, so a
// huge BatchMessagesMax does not allocate for messages that never come.
const batchPreallocMessagesMax = 4096

// batch is messages bound for one route.
type batch struct {
	route Route
	msgs  []wire.Message
	orig  []Message // what the caller sent, for BatchError
	bytes int
	timer *time.Timer // linger
	done  chan struct{}
	err   error
}

// accumulator keeps one open batch per route and seals it when it is full.
// Not safe for concurrent use; the Producer guards it.
type accumulator struct {
	messagesMax, bytesMax int
	open                  map[Route]*batch
	// keepOriginals keeps each batch's caller messages for BatchError;
	// SendSync returns errors to its caller and needs none.
	keepOriginals bool
}

func newAccumulator(messagesMax, bytesMax int, keepOriginals bool) accumulator {
	return accumulator{messagesMax: messagesMax, bytesMax: bytesMax, open: map[Route]*batch{}, keepOriginals: keepOriginals}
}

// add puts m (size encoded bytes) in route's open batch. It appends the
// batches that became ready to sealed and returns the batch it opened, if
// any, so the caller can start its linger timer.
func (a *accumulator) add(r Route, m wire.Message, orig Message, size int, sealed []*batch) ([]*batch, *batch) {
	b := a.open[r]
	if b != nil && b.bytes+size > a.bytesMax {
		delete(a.open, r) // m does not fit: send what is there first
		sealed = append(sealed, b)
		b = nil
	}
	var opened *batch
	if b == nil {
		// Sized for a full batch up front: growing by doubling copies every
		// message several times on the way to a thousand.
		n := min(a.messagesMax, batchPreallocMessagesMax)
		b = &batch{route: r, done: make(chan struct{}), msgs: make([]wire.Message, 0, n)}
		if a.keepOriginals {
			b.orig = make([]Message, 0, n)
		}
		a.open[r] = b
		opened = b
	}
	b.msgs = append(b.msgs, m)
	if a.keepOriginals {
		b.orig = append(b.orig, orig)
	}
	b.bytes += size
	if len(b.msgs) >= a.messagesMax || b.bytes >= a.bytesMax {
		delete(a.open, r)
		sealed = append(sealed, b)
	}
	return sealed, opened
}

// seal closes b if it is still open (its linger expired).
func (a *accumulator) seal(b *batch) bool {
	if a.open[b.route] != b {
		return false
	}
	delete(a.open, b.route)
	return true
}

// drain seals every open batch.
func (a *accumulator) drain(sealed []*batch) []*batch {
	for r, b := range a.open {
		delete(a.open, r)
		sealed = append(sealed, b)
	}
	return sealed
}
