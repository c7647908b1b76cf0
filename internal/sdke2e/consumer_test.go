package sdke2e

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/runnel-io/runnel/internal/testserver"
	"github.com/runnel-io/runnel/sdk/client"
	"github.com/runnel-io/runnel/sdk/consumer"
	"github.com/runnel-io/runnel/sdk/producer"
	"github.com/runnel-io/runnel/sdk/wire"
)

// member is one group consumer ranging over Messages in a goroutine.
type member struct {
	cancel context.CancelFunc
	done   chan error
}

func startMember(t *testing.T, s *server, stream, topic wire.Identifier, id int, record func(id int, payload string)) *member {
	c := connect(t, s)
	k, err := consumer.New(context.Background(), c, consumer.Config{Stream: stream, Topic: topic, Name: "g", Group: true,
		BatchMessagesMax: 20, PollInterval: 5 * time.Millisecond, AutoCommit: consumer.AutoCommitAfterPoll()})
	if err != nil {
		t.Fatalf("member %d: %v", id, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	m := &member{cancel: cancel, done: make(chan error, 1)}
	go func() {
		var firstErr error
		for msg, err := range k.Messages(ctx) {
			if err != nil {
				firstErr = err
				continue
			}
			record(id, string(msg.Payload))
		}
		if err := k.Close(context.Background()); err != nil && firstErr == nil {
			firstErr = err
		}
		m.done <- firstErr
	}()
	return m
}

func (m *member) stop(t *testing.T) {
	m.cancel()
	if err := <-m.done; err != nil {
		t.Errorf("member: %v", err)
	}
}

func TestConsumerGroupChurnLosesNothing(t *testing.T) {
	s := startServer(t)
	c := connect(t, s)
	stream, topic := createTopic(t, c, 4)
	ctx := context.Background()

	var mu sync.Mutex
	seen := map[string][]int{} // payload -> members that got it
	record := func(id int, pl string) { mu.Lock(); seen[pl] = append(seen[pl], id); mu.Unlock() }
	received := func() int { mu.Lock(); defer mu.Unlock(); return len(seen) }

	p, err := producer.New(ctx, c, producer.Config{Stream: stream, Topic: topic, Linger: time.Millisecond, BatchMessagesMax: 10})
	if err != nil {
		t.Fatal(err)
	}
	const total = 6000
	sent := make(chan error, 1)
	go func() {
		for i := range total {
			if err := p.Send(ctx, producer.Message{Payload: fmt.Appendf(nil, "g-%06d", i)}); err != nil {
				sent <- err
				return
			}
			if i%500 == 499 {
				time.Sleep(5 * time.Millisecond) // pace the producer so churn overlaps it
			}
		}
		sent <- p.Close(ctx)
	}()

	members := map[int]*member{}
	nextID := 0
	add := func() { members[nextID] = startMember(t, s, stream, topic, nextID, record); nextID++ }
	for range 3 {
		add()
	}
	// Members come and go while messages flow: each round stops the oldest
	// and starts a new one once more messages arrived.
	for round := range 6 {
		target := (round + 1) * total / 8
		testserver.Eventually(t, fmt.Sprintf("%d messages", target), func() bool { return received() >= target })
		oldest := nextID
		for id := range members {
			oldest = min(oldest, id)
		}
		members[oldest].stop(t)
		delete(members, oldest)
		add()
	}
	if err := <-sent; err != nil {
		t.Fatalf("producer: %v", err)
	}
	testserver.Eventually(t, "every message", func() bool { return received() >= total })
	for _, m := range members {
		m.stop(t)
	}
	mu.Lock()
	defer mu.Unlock()
	dups := 0
	for pl, ids := range seen {
		if len(ids) > 1 {
			dups++
			t.Errorf("%s delivered to members %v", pl, ids)
		}
	}
	if len(seen) != total || dups != 0 {
		t.Fatalf("%d distinct of %d messages, %d delivered twice", len(seen), total, dups)
	}
}

func TestSingleConsumerCommitModes(t *testing.T) {
	s := startServer(t)
	c := connect(t, s)
	stream, topic := createTopic(t, c, 2)
	ctx := context.Background()
	p, err := producer.New(ctx, c, producer.Config{Stream: stream, Topic: topic})
	if err != nil {
		t.Fatal(err)
	}
	var msgs []producer.Message
	for i := range 100 {
		msgs = append(msgs, producer.Message{Payload: fmt.Appendf(nil, "c-%03d", i)})
	}
	if err := p.SendSync(ctx, msgs...); err != nil {
		t.Fatal(err)
	}
	modes := []consumer.AutoCommit{consumer.AutoCommitAfterMessage(), consumer.AutoCommitEvery(7),
		consumer.AutoCommitInterval(time.Millisecond), consumer.AutoCommitAfterPoll()}
	for _, ac := range modes {
		t.Run(ac.Mode.String(), func(t *testing.T) {
			name := "single-" + ac.Mode.String()
			// Read 30, close (which commits what is owed), then a new
			// consumer with the same name continues after them.
			got := consumeN(t, c, stream, topic, name, ac, 30)
			got = append(got, consumeN(t, c, stream, topic, name, ac, 70)...)
			want := make([]string, 100)
			for i := range want {
				want[i] = fmt.Sprintf("c-%03d", i)
			}
			sameSet(t, got, want)
		})
	}
}

// consumeN reads n messages with a fresh single consumer, then closes it.
func consumeN(t *testing.T, c *client.Client, stream, topic wire.Identifier, name string, ac consumer.AutoCommit, n int) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	k, err := consumer.New(ctx, c, consumer.Config{Stream: stream, Topic: topic, Name: name,
		BatchMessagesMax: 10, PollInterval: time.Millisecond, AutoCommit: ac})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for msg, err := range k.Messages(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(msg.Payload))
		if len(got) == n {
			break
		}
	}
	if err := k.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("read %d of %d", len(got), n)
	}
	return got
}
