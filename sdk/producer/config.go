package producer

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/runnel-io/runnel/sdk/wire"
)

// Backpressure is what Send does when the buffer is full.
type Backpressure uint8

const (
	// Block waits for space until the context ends.
	Block Backpressure = iota
	// BlockWithTimeout waits up to Config.BackpressureTimeout, then fails
	// with ErrBufferFull.
	BlockWithTimeout
	// FailFast fails at once with ErrBufferFull.
	FailFast
)

func (b Backpressure) String() string {
	switch b {
	case Block:
		return "block"
	case BlockWithTimeout:
		return "block-with-timeout"
	case FailFast:
		return "fail-fast"
	}
	return fmt.Sprintf("Backpressure(%d)", uint8(b))
}

// Defaults and limits. The defaults favour throughput with a short linger;
// the limits keep one batch within what a server accepts by default and one
// producer's memory bounded.
const (
	BatchMessagesMaxDefault    = 1000
	BatchMessagesLimit         = 100_000
	BatchBytesMaxDefault       = 1 << 20
	BatchBytesLimit            = 16 << 20
	LingerDefault              = 5 * time.Millisecond
	BufferMessagesMaxDefault   = 100_000
	BufferMessagesLimit        = 10_000_000
	BufferBytesMaxDefault      = 64 << 20
	InFlightBatchesMaxDefault  = 1
	InFlightBatchesLimit       = 64
	BackpressureTimeoutDefault = 5 * time.Second
	RetriesMaxDefault          = 10
	RetryBackoffDefault        = 100 * time.Millisecond
	RetryBackoffMaxDefault     = 5 * time.Second
	SendTimeoutDefault         = 30 * time.Second
)

// Config configures a Producer. Zero fields take the defaults above.
type Config struct {
	Stream, Topic wire.Identifier
	// Partitioner routes each message; nil is Balanced().
	Partitioner Partitioner

	// A batch is sent when it holds BatchMessagesMax messages or
	// BatchBytesMax bytes (encoded frames), or Linger after its first message.
	BatchMessagesMax int
	BatchBytesMax    int
	Linger           time.Duration

	// The buffer holds messages Send accepted until they are acknowledged.
	// A single message larger than BufferBytesMax is accepted alone.
	BufferMessagesMax int
	BufferBytesMax    int
	// InFlightBatchesMax bounds batches being sent at once. With more than
	// one, batches on the same partition may be stored out of order.
	InFlightBatchesMax  int
	Backpressure        Backpressure
	BackpressureTimeout time.Duration

	// RetriesMax bounds the resends of a batch after connection errors
	// (negative: none). The backoff starts at RetryBackoff and doubles up
	// to RetryBackoffMax.
	RetriesMax      int
	RetryBackoff    time.Duration
	RetryBackoffMax time.Duration
	// SendTimeout bounds one send attempt.
	SendTimeout time.Duration

	// Headers, when set, is called with the ctx of every Send and SendSync;
	// the entries it returns are added to the user headers of each message
	// sent with that ctx (the message's own headers come first). It is the
	// hook for trace-context propagation, e.g. W3C "traceparent" from the
	// caller's span, without this module depending on a tracing library.
	Headers func(ctx context.Context) []wire.HeaderEntry

	// OnError receives every background batch that failed for good. It is
	// called from a sender goroutine before the Flush or Close waiting for
	// the batch returns; it must not call Flush or Close.
	OnError func(*BatchError)
}

// BatchError is a background batch that could not be sent.
type BatchError struct {
	Route    Route
	Messages []Message
	Err      error
}

func (e *BatchError) Error() string {
	return fmt.Sprintf("producer: batch of %d messages: %v", len(e.Messages), e.Err)
}

func (e *BatchError) Unwrap() error { return e.Err }

// Errors of the producer itself.
var (
	ErrClosed     = errors.New("producer: closed")
	ErrBufferFull = errors.New("producer: buffer full")
)

func (c Config) withDefaults() Config {
	if c.Partitioner == nil {
		c.Partitioner = Balanced()
	}
	c.BatchMessagesMax = cmp.Or(c.BatchMessagesMax, BatchMessagesMaxDefault)
	c.BatchBytesMax = cmp.Or(c.BatchBytesMax, BatchBytesMaxDefault)
	c.Linger = cmp.Or(c.Linger, LingerDefault)
	c.BufferMessagesMax = cmp.Or(c.BufferMessagesMax, BufferMessagesMaxDefault)
	c.BufferBytesMax = cmp.Or(c.BufferBytesMax, BufferBytesMaxDefault)
	c.InFlightBatchesMax = cmp.Or(c.InFlightBatchesMax, InFlightBatchesMaxDefault)
	c.BackpressureTimeout = cmp.Or(c.BackpressureTimeout, BackpressureTimeoutDefault)
	c.RetriesMax = cmp.Or(c.RetriesMax, RetriesMaxDefault)
	c.RetryBackoff = cmp.Or(c.RetryBackoff, RetryBackoffDefault)
	c.RetryBackoffMax = cmp.Or(c.RetryBackoffMax, RetryBackoffMaxDefault)
	c.SendTimeout = cmp.Or(c.SendTimeout, SendTimeoutDefault)
	return c
}

// Validate reports a configuration New would reject (after defaults).
func (c Config) Validate() error {
	c = c.withDefaults()
	if err := c.Stream.Validate(); err != nil {
		return fmt.Errorf("producer: stream: %w", err)
	}
	if err := c.Topic.Validate(); err != nil {
		return fmt.Errorf("producer: topic: %w", err)
	}
	checks := []struct {
		name      string
		v, lo, hi int64
	}{
		{"BatchMessagesMax", int64(c.BatchMessagesMax), 1, BatchMessagesLimit},
		{"BatchBytesMax", int64(c.BatchBytesMax), wire.MessageHeaderSize + 1, BatchBytesLimit},
		{"BufferMessagesMax", int64(c.BufferMessagesMax), int64(c.BatchMessagesMax), BufferMessagesLimit},
		{"BufferBytesMax", int64(c.BufferBytesMax), int64(c.BatchBytesMax), 1 << 40},
		{"InFlightBatchesMax", int64(c.InFlightBatchesMax), 1, InFlightBatchesLimit},
		{"Linger", int64(c.Linger), 1, int64(time.Minute)},
		{"BackpressureTimeout", int64(c.BackpressureTimeout), 1, int64(time.Hour)},
		{"RetryBackoff", int64(c.RetryBackoff), 1, int64(time.Minute)},
		{"RetryBackoffMax", int64(c.RetryBackoffMax), int64(c.RetryBackoff), int64(time.Hour)},
		{"SendTimeout", int64(c.SendTimeout), 1, int64(time.Hour)},
	}
	for _, k := range checks {
		if k.v < k.lo || k.v > k.hi {
			return fmt.Errorf("producer: %s is %d, want %d..%d", k.name, k.v, k.lo, k.hi)
		}
	}
	if c.Backpressure > FailFast {
		return fmt.Errorf("producer: unknown backpressure %d", c.Backpressure)
	}
	return nil
}
