package producer

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/runnel-io/runnel/sdk/wire"
)

func TestKeyHashMatchesServerRouting(t *testing.T) {
	// The server routes wire.ByKey to XXH32(key, 0) mod partitions; the
	// producer must pick the same partition for every key.
	for n := uint32(1); n <= 16; n++ {
		for i := range 200 {
			key := []byte(fmt.Sprintf("customer-%d", i))
			m := Message{Key: key}
			r, err := KeyHash().Route(&m, n)
			if err != nil {
				t.Fatal(err)
			}
			want := wire.ByKey(key).KeyHash() % n
			if r.Balanced || r.Partition != want {
				t.Fatalf("key %q, %d partitions: route %+v, server picks %d", key, n, r, want)
			}
		}
	}
	// Known vector: XXH32("abc", 0) = 0x32D153FF.
	if got := KeyPartition([]byte("abc"), 1<<31); got != 0x32D153FF%(1<<31) {
		t.Fatalf("KeyPartition(abc) = %#x", got)
	}
}

func TestPartitioners(t *testing.T) {
	m := Message{Payload: []byte("x")}
	if r, _ := KeyHash().Route(&m, 3); !r.Balanced {
		t.Fatalf("no key: %+v, want balanced", r)
	}
	if _, err := KeyHash().Route(&Message{Key: make([]byte, 256)}, 3); !errors.Is(err, wire.ErrInvalidKeyValueLength) {
		t.Fatalf("256-byte key: %v", err)
	}
	if r, err := ToPartition(2).Route(&m, 3); err != nil || r != (Route{Partition: 2}) {
		t.Fatalf("ToPartition(2): %+v %v", r, err)
	}
	if _, err := ToPartition(3).Route(&m, 3); !errors.Is(err, wire.ErrPartitionNotFound) {
		t.Fatalf("ToPartition(3) of 3: %v", err)
	}
	if r, _ := Balanced().Route(&m, 3); r.partitioning().Kind != wire.PartitioningBalanced {
		t.Fatalf("balanced: %+v", r)
	}
}

func msgOf(n int) (wire.Message, int) {
	m := wire.Message{Payload: make([]byte, n)}
	return m, m.Size()
}

func TestAccumulatorSealsByCount(t *testing.T) {
	a := newAccumulator(3, 1<<20, true)
	r := Route{Partition: 1}
	var sealed []*batch
	var opened int
	for range 7 {
		m, size := msgOf(10)
		var o *batch
		sealed, o = a.add(r, m, Message{}, size, sealed)
		if o != nil {
			opened++
		}
	}
	if len(sealed) != 2 || len(sealed[0].msgs) != 3 || len(sealed[1].msgs) != 3 || opened != 3 {
		t.Fatalf("sealed %d batches, opened %d", len(sealed), opened)
	}
	rest := a.drain(nil)
	if len(rest) != 1 || len(rest[0].msgs) != 1 || len(a.open) != 0 {
		t.Fatalf("drain: %d batches", len(rest))
	}
}

func TestAccumulatorSealsByBytes(t *testing.T) {
	_, size := msgOf(100) // 164 bytes encoded
	a := newAccumulator(1000, 2*size+10, true)
	r := Route{Balanced: true}
	var sealed []*batch
	for range 5 {
		m, s := msgOf(100)
		sealed, _ = a.add(r, m, Message{}, s, sealed)
	}
	// Each batch holds 2 messages: the third does not fit and starts a new one.
	if len(sealed) != 2 {
		t.Fatalf("sealed %d batches, want 2", len(sealed))
	}
	for _, b := range sealed {
		if len(b.msgs) != 2 || b.bytes != 2*size {
			t.Fatalf("batch of %d messages, %d bytes", len(b.msgs), b.bytes)
		}
	}
	// A message larger than the limit goes alone.
	big, bigSize := msgOf(4 * size)
	sealed, _ = a.add(r, big, Message{}, bigSize, nil)
	if len(sealed) != 2 || len(sealed[0].msgs) != 1 || len(sealed[1].msgs) != 1 || sealed[1].bytes != bigSize {
		t.Fatalf("big message: %d batches", len(sealed))
	}
}

func TestAccumulatorRoutesSeparately(t *testing.T) {
	a := newAccumulator(2, 1<<20, true)
	m, size := msgOf(1)
	var sealed []*batch
	sealed, _ = a.add(Route{Partition: 0}, m, Message{}, size, sealed)
	sealed, _ = a.add(Route{Partition: 1}, m, Message{}, size, sealed)
	if len(sealed) != 0 || len(a.open) != 2 {
		t.Fatalf("sealed %d, open %d", len(sealed), len(a.open))
	}
	b := a.open[Route{Partition: 0}]
	if !a.seal(b) || a.seal(b) {
		t.Fatal("seal must succeed once")
	}
}

func TestBufferFailFast(t *testing.T) {
	b := newBuffer(2, 1000)
	ctx := context.Background()
	for range 2 {
		if err := b.acquire(ctx, 10, FailFast, 0); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.acquire(ctx, 10, FailFast, 0); !errors.Is(err, ErrBufferFull) {
		t.Fatalf("third message: %v, want ErrBufferFull", err)
	}
	b.release(1, 10)
	if err := b.acquire(ctx, 10, FailFast, 0); err != nil {
		t.Fatalf("after release: %v", err)
	}
}

func TestBufferBytesLimitAdmitsOneHugeMessage(t *testing.T) {
	b := newBuffer(10, 100)
	ctx := context.Background()
	if err := b.acquire(ctx, 500, FailFast, 0); err != nil {
		t.Fatalf("huge message into an empty buffer: %v", err)
	}
	if err := b.acquire(ctx, 1, FailFast, 0); !errors.Is(err, ErrBufferFull) {
		t.Fatalf("after a huge message: %v", err)
	}
	if m, by := b.used(); m != 1 || by != 500 {
		t.Fatalf("used %d messages %d bytes", m, by)
	}
}

func TestBufferBlockWaitsForRelease(t *testing.T) {
	b := newBuffer(1, 1000)
	ctx := context.Background()
	if err := b.acquire(ctx, 10, Block, 0); err != nil {
		t.Fatal(err)
	}
	got := make(chan error, 1)
	go func() { got <- b.acquire(ctx, 10, Block, 0) }()
	select {
	case err := <-got:
		t.Fatalf("acquire returned %v while the buffer was full", err)
	case <-time.After(20 * time.Millisecond): // it should still be waiting
	}
	b.release(1, 10)
	if err := <-got; err != nil {
		t.Fatalf("after release: %v", err)
	}
}

func TestBufferBlockHonoursContext(t *testing.T) {
	b := newBuffer(1, 1000)
	if err := b.acquire(context.Background(), 10, Block, 0); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := b.acquire(ctx, 10, Block, 0); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}

func TestBufferBlockWithTimeout(t *testing.T) {
	b := newBuffer(1, 1000)
	ctx := context.Background()
	if err := b.acquire(ctx, 10, BlockWithTimeout, time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if err := b.acquire(ctx, 10, BlockWithTimeout, time.Millisecond); !errors.Is(err, ErrBufferFull) {
		t.Fatalf("full buffer: %v, want ErrBufferFull", err)
	}
}

func TestConfigValidate(t *testing.T) {
	ok := Config{Stream: wire.NamedID("s"), Topic: wire.NumericID(1)}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := []Config{
		{Topic: wire.NumericID(1)},
		{Stream: wire.NamedID("s"), Topic: wire.NumericID(1), BatchMessagesMax: BatchMessagesLimit + 1},
		{Stream: wire.NamedID("s"), Topic: wire.NumericID(1), BatchBytesMax: 10},
		{Stream: wire.NamedID("s"), Topic: wire.NumericID(1), BatchMessagesMax: 500, BufferMessagesMax: 100},
		{Stream: wire.NamedID("s"), Topic: wire.NumericID(1), InFlightBatchesMax: InFlightBatchesLimit + 1},
		{Stream: wire.NamedID("s"), Topic: wire.NumericID(1), Backpressure: 9},
		{Stream: wire.NamedID("s"), Topic: wire.NumericID(1), Linger: -time.Second},
	}
	for i, c := range bad {
		if err := c.Validate(); err == nil {
			t.Errorf("config %d: no error", i)
		}
	}
}

func TestMessageHeaders(t *testing.T) {
	m := Message{Payload: []byte("x")}.WithHeader("n", wire.Uint32Header(7)).WithHeader("s", wire.StringHeader("v"))
	if len(m.Headers) != 2 || string(m.Headers[0].Key.Data) != "n" {
		t.Fatalf("headers %+v", m.Headers)
	}
	if err := m.wire(1).Validate(); err != nil {
		t.Fatal(err)
	}
}

type ctxKey struct{}

func TestHeadersHookAddsToEveryMessage(t *testing.T) {
	cfg := Config{Headers: func(ctx context.Context) []wire.HeaderEntry {
		v, _ := ctx.Value(ctxKey{}).(string)
		if v == "" {
			return nil
		}
		return []wire.HeaderEntry{Header("traceparent", wire.StringHeader(v))}
	}}.withDefaults()
	p := &Producer{cfg: cfg, partitionsCount: 1}
	own := []wire.HeaderEntry{Header("own", wire.Uint32Header(1))}
	m := Message{Payload: []byte("x"), Headers: own[:1:1]}

	wm, _, err := p.prepare(context.WithValue(context.Background(), ctxKey{}, "00-abc"), &m, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(wm.Headers) != 2 || string(wm.Headers[0].Key.Data) != "own" ||
		string(wm.Headers[1].Key.Data) != "traceparent" || string(wm.Headers[1].Value.Data) != "00-abc" {
		t.Fatalf("headers: %+v", wm.Headers)
	}
	if len(m.Headers) != 1 {
		t.Fatalf("caller's message changed: %+v", m.Headers)
	}
	if wm.Size() != wire.MessageHeaderSize+1+wire.UserHeadersSize(wm.Headers) {
		t.Fatalf("size %d does not count the added headers", wm.Size())
	}

	wm, _, err = p.prepare(context.Background(), &m, 0)
	if err != nil || len(wm.Headers) != 1 {
		t.Fatalf("hook returning nothing: %v %+v", err, wm.Headers)
	}

	// Added headers are validated like the message's own.
	cfg.Headers = func(context.Context) []wire.HeaderEntry {
		return []wire.HeaderEntry{Header("bad", wire.HeaderValue{Kind: 99, Data: []byte{1}})}
	}
	p.cfg = cfg
	if _, _, err := p.prepare(context.Background(), &m, 0); err == nil {
		t.Fatal("invalid hook header accepted")
	}
}
