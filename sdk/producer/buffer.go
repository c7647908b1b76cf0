package producer

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// buffer counts accepted, unacknowledged messages and makes Send wait,
// time out or fail when they reach the limits.
type buffer struct {
	messagesMax, bytesMax int

	mu       sync.Mutex
	messages int
	bytes    int
	freed    chan struct{} // closed and replaced whenever space is released
}

func newBuffer(messagesMax, bytesMax int) *buffer {
	return &buffer{messagesMax: messagesMax, bytesMax: bytesMax, freed: make(chan struct{})}
}

// fits lets a message bigger than bytesMax in when the buffer is empty, so
// it can be sent at all. The caller holds mu.
func (b *buffer) fits(size int) bool {
	return b.messages < b.messagesMax && (b.bytes+size <= b.bytesMax || b.messages == 0)
}

// acquire reserves room for one message of size bytes.
func (b *buffer) acquire(ctx context.Context, size int, mode Backpressure, timeout time.Duration) error {
	var expired <-chan time.Time
	for {
		b.mu.Lock()
		if b.fits(size) {
			b.messages++
			b.bytes += size
			b.mu.Unlock()
			return nil
		}
		freed := b.freed
		b.mu.Unlock()
		if mode == FailFast {
			return ErrBufferFull
		}
		if mode == BlockWithTimeout && expired == nil {
			t := time.NewTimer(timeout)
			defer t.Stop()
			expired = t.C
		}
		select {
		case <-freed:
		case <-expired:
			return fmt.Errorf("%w after %v", ErrBufferFull, timeout)
		case <-ctx.Done():
			return fmt.Errorf("producer: waiting for buffer space: %w", ctx.Err())
		}
	}
}

// release returns the room of n messages totalling size bytes.
func (b *buffer) release(n, size int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.messages -= n
	b.bytes -= size
	close(b.freed)
	b.freed = make(chan struct{})
}

// used is the buffered messages and bytes.
func (b *buffer) used() (messages, bytes int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.messages, b.bytes
}
