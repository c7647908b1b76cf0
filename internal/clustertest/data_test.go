package clustertest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/runnel-io/runnel/sdk/client"
	"github.com/runnel-io/runnel/sdk/wire"
)

var (
	streamID = wire.NamedID("ct")
	topicID  = wire.NamedID("t")
)

const (
	batchMessages = 10
	pollCountMax  = 1000
)

// createTopic makes stream "ct", topic "t" with one partition, through
// whichever node leads.
func (c *cluster) createTopic() {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	cli, err := c.openAny(ctx, 0)
	mustNoErr(c.t, "open", err)
	defer cli.Close()
	_, err = cli.CreateStream(ctx, "ct")
	mustNoErr(c.t, "create stream", err)
	_, err = cli.CreateTopic(ctx, wire.CreateTopicRequest{StreamID: streamID, Name: "t", PartitionsCount: 1})
	mustNoErr(c.t, "create topic", err)
}

// batch is numbered batch b: batchMessages messages "bNNNNNN-mMM-<pad>".
func batch(b int) []wire.Message {
	msgs := make([]wire.Message, batchMessages)
	for i := range msgs {
		msgs[i] = wire.Message{Payload: []byte(fmt.Sprintf("b%06d-m%02d-%s", b, i, strings.Repeat("x", 100)))}
	}
	return msgs
}

// producer sends numbered batches to partition 0 until stopped, opening
// a new client (trying each node) whenever a call fails. Every batch
// number is used once: a batch whose call failed is never sent again.
type producer struct {
	c        *cluster
	interval time.Duration // between sends; 0 sends flat out
	haltOnce sync.Once

	mu      sync.Mutex
	acked   []int       // batch numbers, in acknowledgement order
	ackedAt []time.Time // when each was acknowledged
	errs    int
	next    int

	stop chan struct{}
	done chan struct{}
}

func startProducer(c *cluster) *producer { return startProducerEvery(c, 0) }

// startProducerEvery sends one batch per interval at most (0: flat out).
func startProducerEvery(c *cluster, interval time.Duration) *producer {
	p := &producer{c: c, interval: interval, stop: make(chan struct{}), done: make(chan struct{})}
	go p.run()
	c.t.Cleanup(func() { p.halt() })
	return p
}

func (p *producer) run() {
	defer close(p.done)
	var cli *client.Client
	defer func() {
		if cli != nil {
			_ = cli.Close()
		}
	}()
	start := 0
	tick := time.NewTicker(max(p.interval, time.Microsecond))
	defer tick.Stop()
	for {
		select {
		case <-p.stop:
			return
		default:
		}
		if p.interval > 0 {
			select {
			case <-p.stop:
				return
			case <-tick.C:
			}
		}
		if cli == nil {
			ctx, cancel := callCtx()
			var err error
			cli, err = p.c.openAny(ctx, start)
			cancel()
			start++
			if err != nil {
				p.fail()
				time.Sleep(50 * time.Millisecond) // back off before the next round of dials
				continue
			}
		}
		p.mu.Lock()
		p.next++
		b := p.next
		p.mu.Unlock()
		ctx, cancel := callCtx()
		err := cli.SendMessages(ctx, streamID, topicID, wire.ToPartition(0), batch(b))
		cancel()
		if err != nil {
			p.fail()
			_ = cli.Close()
			cli = nil
			continue
		}
		p.mu.Lock()
		p.acked = append(p.acked, b)
		p.ackedAt = append(p.ackedAt, time.Now())
		p.mu.Unlock()
	}
}

func (p *producer) fail() {
	p.mu.Lock()
	p.errs++
	p.mu.Unlock()
}

func (p *producer) ackCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.acked)
}

// waitAcks waits for n more acknowledgements than now.
func (p *producer) waitAcks(t testing.TB, n int) {
	t.Helper()
	target := p.ackCount() + n
	eventually(t, fmt.Sprintf("%d acknowledged batches", target), func() bool { return p.ackCount() >= target })
}

// firstAckAfter is the time of the first acknowledgement after at.
func (p *producer) firstAckAfter(at time.Time) (time.Time, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, ts := range p.ackedAt {
		if ts.After(at) {
			return ts, true
		}
	}
	return time.Time{}, false
}

// halt stops the producer and returns the acknowledged batches.
// halt stops the producer (once; later calls only report) and returns
// the acknowledged batches.
func (p *producer) halt() []int {
	p.haltOnce.Do(func() { close(p.stop) })
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]int(nil), p.acked...)
}

// readAll polls partition 0 of node i (no redirect) from offset 0 to the
// end and returns the payloads.
func (c *cluster) readAll(ctx context.Context, i int) ([]string, error) {
	cli, err := c.adminClient(ctx, i)
	if err != nil {
		return nil, err
	}
	return readPartition(ctx, cli)
}

func readPartition(ctx context.Context, cli *client.Client) ([]string, error) {
	var out []string
	for {
		polled, err := cli.PollMessages(ctx, wire.PollMessagesRequest{Consumer: wire.SingleConsumer(wire.NumericID(1)),
			StreamID: streamID, TopicID: topicID, PartitionID: wire.Partition(0),
			Strategy: wire.PollOffset(uint64(len(out))), Count: pollCountMax})
		if err != nil {
			return nil, err
		}
		if len(polled.Messages) == 0 {
			return out, nil
		}
		for _, m := range polled.Messages {
			if m.Header.Offset != uint64(len(out)) {
				return nil, fmt.Errorf("offset %d where %d was expected", m.Header.Offset, len(out))
			}
			out = append(out, string(m.Payload))
		}
	}
}

// waitConverged waits until every running node returns the same
// partition content, at least minMessages long, and returns it.
func (c *cluster) waitConverged(t testing.TB, minMessages int) []string {
	t.Helper()
	var ref []string
	eventuallyWhy(t, "every node to hold the same partition", func() (bool, string) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		ref = nil
		for i := range replicaCount {
			if c.isDown(i) {
				continue
			}
			got, err := c.readAll(ctx, i)
			if err != nil {
				return false, fmt.Sprintf("node-%d: %v", i, err)
			}
			if ref == nil {
				ref = got
			} else if !equalStrings(ref, got) {
				return false, fmt.Sprintf("node-%d has %d messages, node-0 or the first running node %d", i, len(got), len(ref))
			}
		}
		return len(ref) >= minMessages, fmt.Sprintf("%d messages, want %d", len(ref), minMessages)
	})
	return ref
}

// waitCaughtUp waits until node i serves at least minMessages messages.
func (c *cluster) waitCaughtUp(t testing.TB, i, minMessages int) {
	t.Helper()
	eventuallyWhy(t, fmt.Sprintf("node-%d to catch up", i), func() (bool, string) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		got, err := c.readAll(ctx, i)
		if err != nil {
			return false, err.Error()
		}
		return len(got) >= minMessages, fmt.Sprintf("%d messages, want %d", len(got), minMessages)
	})
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// checkAcked verifies one node's partition: offsets dense (readPartition
// did), each batch whole and once, every acknowledged batch present in
// acknowledgement order (unacknowledged ones may sit between them).
func checkAcked(t testing.TB, node string, payloads []string, acked []int) {
	t.Helper()
	counts := map[string]int{}
	var order []string
	for off, p := range payloads {
		b := p[:7]
		if want := fmt.Sprintf("%s-m%02d", b, counts[b]); p[:11] != want {
			t.Fatalf("%s: offset %d holds %q, want %q (batches whole and contiguous)", node, off, p[:11], want)
		}
		if counts[b] == 0 {
			order = append(order, b)
		}
		counts[b]++
	}
	ackedSet := map[string]bool{}
	for _, b := range acked {
		ackedSet[fmt.Sprintf("b%06d", b)] = true
	}
	for b, n := range counts {
		if n > batchMessages {
			t.Errorf("%s: batch %s stored %d times over", node, b, n/batchMessages)
		}
		if ackedSet[b] && n != batchMessages {
			t.Errorf("%s: acknowledged batch %s has %d messages", node, b, n)
		}
		if !ackedSet[b] && n%batchMessages != 0 {
			t.Errorf("%s: unacknowledged batch %s stored in part (%d messages)", node, b, n)
		}
	}
	pos := 0
	for _, a := range acked {
		want := fmt.Sprintf("b%06d", a)
		for pos < len(order) && order[pos] != want {
			pos++
		}
		if pos == len(order) {
			t.Fatalf("%s: acknowledged batch %s missing or out of order (%d acknowledged, %d stored)", node, want, len(acked), len(order))
		}
		pos++
	}
}

// checkEveryNode waits for convergence and checks each node's copy.
func (c *cluster) checkEveryNode(t testing.TB, acked []int) int {
	t.Helper()
	c.waitConverged(t, len(acked)*batchMessages)
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	n := 0
	for i := range replicaCount {
		got, err := c.readAll(ctx, i)
		mustNoErr(t, fmt.Sprintf("read node-%d", i), err)
		checkAcked(t, fmt.Sprintf("node-%d", i), got, acked)
		n = len(got)
	}
	return n
}
