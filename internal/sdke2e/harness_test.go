package sdke2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/runnel-io/runnel/internal/testserver"
	"github.com/runnel-io/runnel/sdk/client"
	"github.com/runnel-io/runnel/sdk/wire"
)

// serverBinary is built once per test process by TestMain.
var serverBinary string

func TestMain(m *testing.M) {
	testserver.Main(m, map[string]*string{"cmd/runnel-server": &serverBinary})
}

type server = testserver.Server

const (
	rootUser     = testserver.RootUser
	rootPassword = testserver.RootPassword
)

// startServer runs runnel-server on a fresh data directory and a free port.
func startServer(t testing.TB, extraEnv ...string) *server {
	t.Helper()
	return testserver.Start(t, serverBinary, extraEnv...)
}

// connect opens a logged-in low-level client.
func connect(t testing.TB, s *server, opts ...client.Option) *client.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.Open(ctx, fmt.Sprintf("runnel://%s:%s@%s", rootUser, rootPassword, s.Addr), opts...)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// createTopic makes stream "s" with topic "t" of n partitions.
func createTopic(t testing.TB, c *client.Client, n uint32) (stream, topic wire.Identifier) {
	t.Helper()
	ctx := context.Background()
	if _, err := c.CreateStream(ctx, "s"); err != nil {
		t.Fatalf("create stream: %v", err)
	}
	if _, err := c.CreateTopic(ctx, wire.CreateTopicRequest{StreamID: wire.NamedID("s"), PartitionsCount: n, Name: "t"}); err != nil {
		t.Fatalf("create topic: %v", err)
	}
	return wire.NamedID("s"), wire.NamedID("t")
}

// readAll polls every partition from the first offset with the raw client
// and returns the payloads in partition, offset order.
func readAll(t testing.TB, c *client.Client, stream, topic wire.Identifier) []string {
	t.Helper()
	ctx := context.Background()
	td, err := c.GetTopic(ctx, stream, topic)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for p := range td.PartitionsCount {
		next := uint64(0)
		for {
			res, err := c.PollMessages(ctx, wire.PollMessagesRequest{
				Consumer: wire.SingleConsumer(wire.NamedID("checker")), StreamID: stream, TopicID: topic,
				PartitionID: wire.Partition(p), Strategy: wire.PollOffset(next), Count: 10_000,
			})
			if err != nil {
				t.Fatalf("poll partition %d: %v", p, err)
			}
			if len(res.Messages) == 0 {
				break
			}
			for _, m := range res.Messages {
				out = append(out, string(m.Payload))
			}
			next = res.Messages[len(res.Messages)-1].Header.Offset + 1
		}
	}
	return out
}
