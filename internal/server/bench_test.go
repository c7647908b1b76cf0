package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/runnel-io/runnel/internal/config"
	"github.com/runnel-io/runnel/plugins/builtin"
	"github.com/runnel-io/runnel/plugins/registry"
	"github.com/runnel-io/runnel/sdk/client"
	"github.com/runnel-io/runnel/sdk/wire"
)

// startInProcess runs a server in this process (so a CPU profile of the
// benchmark covers client and server) and returns its TCP address.
func startInProcess(b testing.TB, env ...string) string {
	b.Helper()
	return startInProcessWith(b, nil, env...)
}

// startInProcessWith is startInProcess with setup run on the server
// before it starts (e.g. SetTracer).
func startInProcessWith(b testing.TB, setup func(*Server), env ...string) string {
	b.Helper()
	env = append([]string{"RUNNEL_SYSTEM_PATH=" + b.TempDir(), "RUNNEL_TCP_ADDRESS=127.0.0.1:0",
		"RUNNEL_ROOT_USERNAME=bench", "RUNNEL_ROOT_PASSWORD=bench"}, env...)
	logs := &addrCapture{found: make(chan string, 1)}
	srv := newInProcess(b, env, logs)
	if setup != nil {
		setup(srv)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	b.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			b.Error(err)
		}
	})
	select {
	case addr := <-logs.found:
		return addr
	case err := <-done:
		b.Fatalf("server stopped: %v", err)
	case <-time.After(30 * time.Second):
		b.Fatal("server did not start")
	}
	return ""
}

// newInProcess builds a server from the embedded defaults and env with
// the built-in plugins, logging to logs.
func newInProcess(tb testing.TB, env []string, logs io.Writer) *Server {
	tb.Helper()
	cfg, err := config.Load(nil, env)
	if err != nil {
		tb.Fatal(err)
	}
	var reg registry.Registry
	if err := reg.AddSet(registry.SourceBuiltin, builtin.Set("test")); err != nil {
		tb.Fatal(err)
	}
	srv, err := New(context.Background(), cfg, slog.New(slog.NewTextHandler(logs, nil)), &reg)
	if err != nil {
		tb.Fatal(err)
	}
	return srv
}

var listeningLine = regexp.MustCompile(`msg=listening transport=tcp address=(\S+)`)

// addrCapture is the benchmark server's log sink: it finds the bound address.
type addrCapture struct{ found chan string }

func (a *addrCapture) Write(p []byte) (int, error) {
	if m := listeningLine.FindSubmatch(p); m != nil {
		select {
		case a.found <- string(m[1]):
		default:
		}
	}
	return len(p), nil
}

var _ io.Writer = (*addrCapture)(nil)

// BenchmarkWirePath sends and polls 1 KiB messages in batches of 1,000
// through Runnel's client over loopback; compare with core/partition's
// BenchmarkLog to see what the protocol path costs.
func BenchmarkWirePath(b *testing.B) {
	const batch, size = 1000, 1024
	msgs := make([]wire.Message, batch)
	for i := range msgs {
		msgs[i] = wire.Message{Payload: []byte(strings.Repeat("w", size))}
	}
	setup := func(b *testing.B, fsync string) *client.Client {
		addr := startInProcess(b, "RUNNEL_SYSTEM_PARTITION_FSYNC="+fsync)
		ctx := context.Background()
		c, err := client.Open(ctx, fmt.Sprintf("runnel://bench:bench@%s", addr))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = c.Close() })
		if _, err := c.CreateStream(ctx, "s"); err != nil {
			b.Fatal(err)
		}
		if _, err := c.CreateTopic(ctx, wire.CreateTopicRequest{StreamID: wire.NumericID(0), Name: "t", PartitionsCount: 1, CompressionAlgorithm: 1}); err != nil {
			b.Fatal(err)
		}
		return c
	}
	b.Run("raw-loopback-baseline", func(b *testing.B) { benchRawLoopback(b, batch*size) })
	for _, fsync := range []string{"never", "always"} {
		b.Run("send/fsync="+fsync, func(b *testing.B) {
			c := setup(b, fsync)
			b.SetBytes(batch * size)
			b.ResetTimer()
			for range b.N {
				if err := c.SendMessages(context.Background(), wire.NumericID(0), wire.NumericID(0), wire.ToPartition(0), msgs); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("poll", func(b *testing.B) {
		c := setup(b, "never")
		ctx := context.Background()
		const batches = 64
		for range batches {
			if err := c.SendMessages(ctx, wire.NumericID(0), wire.NumericID(0), wire.ToPartition(0), msgs); err != nil {
				b.Fatal(err)
			}
		}
		b.SetBytes(batch * size)
		b.ResetTimer()
		for i := range b.N {
			polled, err := c.PollMessages(ctx, wire.PollMessagesRequest{Consumer: wire.SingleConsumer(wire.NumericID(1)),
				StreamID: wire.NumericID(0), TopicID: wire.NumericID(0), PartitionID: wire.Partition(0),
				Strategy: wire.PollOffset(uint64(i%batches) * batch), Count: batch})
			if err != nil || polled.Count != batch {
				b.Fatalf("poll: %v (%d messages)", err, polled.Count)
			}
		}
	})
}

// benchRawLoopback is the floor for the send path: the same bytes written
// over a loopback TCP connection to a peer that reads them and answers 8
// bytes, with no protocol, no log and no disk.
func benchRawLoopback(b *testing.B, n int) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		buf, ack := make([]byte, n), make([]byte, 8)
		for {
			if _, err := io.ReadFull(conn, buf); err != nil {
				return
			}
			if _, err := conn.Write(ack); err != nil {
				return
			}
		}
	}()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	payload, ack := make([]byte, n), make([]byte, 8)
	b.SetBytes(int64(n))
	b.ResetTimer()
	for range b.N {
		if _, err := conn.Write(payload); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(conn, ack); err != nil {
			b.Fatal(err)
		}
	}
}
