package sdke2e

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/runnel-io/runnel/internal/testserver"
	"github.com/runnel-io/runnel/sdk/producer"
	"github.com/runnel-io/runnel/sdk/wire"
)

func payloads(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%06d", prefix, i)
	}
	return out
}

func sameSet(t *testing.T, got, want []string) {
	t.Helper()
	g, w := slices.Clone(got), slices.Clone(want)
	slices.Sort(g)
	slices.Sort(w)
	if !slices.Equal(g, w) {
		t.Fatalf("got %d messages, want %d (first got %v)", len(g), len(w), g[:min(3, len(g))])
	}
}

func TestProducerBatchingFlushClose(t *testing.T) {
	s := startServer(t)
	c := connect(t, s)
	stream, topic := createTopic(t, c, 3)
	ctx := context.Background()
	var mu sync.Mutex
	var failures []error
	p, err := producer.New(ctx, c, producer.Config{
		Stream: stream, Topic: topic, Partitioner: producer.KeyHash(),
		BatchMessagesMax: 50, BatchBytesMax: 4 << 10, Linger: time.Minute, // only size limits and Flush send
		BufferMessagesMax: 200, InFlightBatchesMax: 2,
		OnError: func(e *producer.BatchError) { mu.Lock(); failures = append(failures, e); mu.Unlock() },
	})
	if err != nil {
		t.Fatal(err)
	}
	want := payloads("m", 2000)
	for i, pl := range want {
		m := producer.Message{Key: fmt.Appendf(nil, "k%d", i%7), Payload: []byte(pl)}.WithHeader("i", wire.Uint32Header(uint32(i)))
		if err := p.Send(ctx, m); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	if err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if n, _ := p.Buffered(); n != 0 {
		t.Fatalf("%d messages buffered after Flush", n)
	}
	sameSet(t, readAll(t, c, stream, topic), want)

	// Linger alone sends a lone message; SendSync acknowledges.
	p2, err := producer.New(ctx, c, producer.Config{Stream: stream, Topic: topic, Linger: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := p2.Send(ctx, producer.Message{Payload: []byte("lingered")}); err != nil {
		t.Fatal(err)
	}
	testserver.Eventually(t, "the lingered message", func() bool { return slices.Contains(readAll(t, c, stream, topic), "lingered") })
	if err := p2.SendSync(ctx, producer.Message{Payload: []byte("sync")}); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(readAll(t, c, stream, topic), "sync") {
		t.Fatal("SendSync returned before the message was stored")
	}
	// Close sends what is buffered; Send after Close fails.
	for _, pl := range payloads("close", 300) {
		if err := p.Send(ctx, producer.Message{Key: []byte("x"), Payload: []byte(pl)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := p.Send(ctx, producer.Message{Payload: []byte("late")}); !errors.Is(err, producer.ErrClosed) {
		t.Fatalf("send after close: %v", err)
	}
	_ = p2.Close(ctx)
	all := readAll(t, c, stream, topic)
	sameSet(t, all, append(append(want, "lingered", "sync"), payloads("close", 300)...))
	if len(failures) != 0 {
		t.Fatalf("batch failures: %v", failures)
	}
	// KeyHash put each key on the partition the server would choose.
	res, err := c.PollMessages(ctx, wire.PollMessagesRequest{Consumer: wire.SingleConsumer(wire.NumericID(9)),
		StreamID: stream, TopicID: topic, PartitionID: wire.Partition(producer.KeyPartition([]byte("x"), 3)),
		Strategy: wire.PollFirst(), Count: 100_000})
	if err != nil {
		t.Fatal(err)
	}
	keyed := 0
	for _, m := range res.Messages {
		if len(m.Payload) > 5 && string(m.Payload[:5]) == "close" {
			keyed++
		}
	}
	if keyed != 300 {
		t.Fatalf("%d of 300 key-x messages on partition XXH32(x)%%3", keyed)
	}
}

func TestProducerBackpressureFailFast(t *testing.T) {
	s := startServer(t)
	c := connect(t, s)
	stream, topic := createTopic(t, c, 1)
	ctx := context.Background()
	p, err := producer.New(ctx, c, producer.Config{Stream: stream, Topic: topic,
		BatchMessagesMax: 10, BufferMessagesMax: 10, Linger: time.Minute, Backpressure: producer.FailFast})
	if err != nil {
		t.Fatal(err)
	}
	accepted := 0
	var full error
	for i := range 1000 {
		err := p.Send(ctx, producer.Message{Payload: fmt.Appendf(nil, "bp-%06d", i)})
		if err != nil {
			full = err
			break
		}
		accepted++
	}
	if !errors.Is(full, producer.ErrBufferFull) {
		t.Fatalf("FailFast never reported a full buffer (accepted %d): %v", accepted, full)
	}
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, c, stream, topic); len(got) != accepted {
		t.Fatalf("%d stored, %d accepted", len(got), accepted)
	}
}

func TestProducerSurvivesServerRestart(t *testing.T) {
	s := startServer(t)
	c := connect(t, s)
	stream, topic := createTopic(t, c, 2)
	ctx := context.Background()
	p, err := producer.New(ctx, c, producer.Config{Stream: stream, Topic: topic,
		BatchMessagesMax: 20, Linger: time.Millisecond, RetriesMax: 30, RetryBackoffMax: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var acked []string
	var mu sync.Mutex
	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				done <- nil
				return
			default:
			}
			batch := []producer.Message{}
			names := []string{}
			for j := range 5 {
				pl := fmt.Sprintf("r-%06d-%d", i, j)
				names = append(names, pl)
				batch = append(batch, producer.Message{Payload: []byte(pl)})
			}
			if err := p.SendSync(ctx, batch...); err != nil {
				done <- err
				return
			}
			mu.Lock()
			acked = append(acked, names...)
			mu.Unlock()
		}
	}()
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(acked) }
	testserver.Eventually(t, "messages before the restart", func() bool { return count() >= 200 })
	s.Restart()
	before := count()
	testserver.Eventually(t, "messages after the restart", func() bool { return count() >= before+200 })
	close(stop)
	if err := <-done; err != nil {
		t.Fatalf("producer stopped: %v", err)
	}
	_ = p.Close(ctx)
	stored := map[string]bool{}
	for _, pl := range readAll(t, connect(t, s), stream, topic) {
		stored[pl] = true
	}
	for _, pl := range acked {
		if !stored[pl] {
			t.Fatalf("acknowledged message %s missing after the restart", pl)
		}
	}
	t.Logf("%d acknowledged messages, all present; %d stored", len(acked), len(stored))
}
