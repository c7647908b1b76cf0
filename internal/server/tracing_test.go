package server

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/runnel-io/runnel/internal/config"
	"github.com/runnel-io/runnel/internal/otlptest"
	"github.com/runnel-io/runnel/internal/telemetry"
	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/registry"
	plugintelemetry "github.com/runnel-io/runnel/plugins/telemetry"
	"github.com/runnel-io/runnel/plugins/telemetry/otlpexporter"
	"github.com/runnel-io/runnel/sdk/client"
	"github.com/runnel-io/runnel/sdk/wire"
)

// With tracing off the hooks on the request path allocate nothing.
func TestTracingOffAllocatesNothing(t *testing.T) {
	s := &Server{}
	ctx := context.Background()
	tg := target{streamID: 1, topicID: 2, partitionsCount: 1}
	allocs := testing.AllocsPerRun(100, func() {
		s.annotatePartition(ctx, tg, 0)
		if _, _, ok := startChild(ctx, "x"); ok {
			t.Fatal("child of a context without a span")
		}
		markFsync(ctx)
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per request with tracing off", allocs)
	}
}

func TestCommandName(t *testing.T) {
	if got := commandName(wire.SendMessagesRequest{}); got != "SendMessages" {
		t.Fatalf("got %q", got)
	}
	if got := commandName(nil); got != "Unknown" {
		t.Fatalf("got %q", got)
	}
}

// BenchmarkTracing sends batches with tracing off and on (sampling 1.0:
// every request's spans exported over OTLP/gRPC to an in-process receiver,
// whose decoding shares the CPUs; and sampling 0.01) in the same run;
// compare the throughputs. fsync=never keeps the disk out so
// the request path's own cost shows.
func BenchmarkTracing(b *testing.B) {
	rcv := otlptest.Start(b)
	for _, shape := range []struct{ batch, size int }{{1000, 1024}, {1, 100}} {
		msgs := make([]wire.Message, shape.batch)
		for i := range msgs {
			msgs[i] = wire.Message{Payload: []byte(strings.Repeat("w", shape.size))}
		}
		for _, ratio := range []float64{0, 1, 0.01} {
			name := fmt.Sprintf("send/batch=%d/size=%d/sampling=%v", shape.batch, shape.size, ratio)
			if ratio == 0 {
				name = fmt.Sprintf("send/batch=%d/size=%d/tracing=off", shape.batch, shape.size)
			}
			b.Run(name, func(b *testing.B) {
				c := setupTraced(b, rcv, ratio)
				b.SetBytes(int64(shape.batch * shape.size))
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					if err := c.SendMessages(context.Background(), wire.NumericID(0), wire.NumericID(0), wire.ToPartition(0), msgs); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// setupTraced starts a server tracing with ratio, or not tracing for 0.
func setupTraced(b *testing.B, rcv *otlptest.Receiver, ratio float64) *client.Client {
	var setup func(*Server)
	if ratio > 0 {
		// Everything on: traces at ratio, metrics pushed and on a
		// Prometheus page, as a production node would run.
		sig := config.Signal{Transport: config.TransportGRPC, Endpoint: rcv.Addr(), ExportInterval: time.Second}
		cfg := config.Telemetry{Enabled: true, ServiceName: "bench", Traces: config.Traces{Signal: sig, SamplingRatio: ratio},
			Metrics: sig, Logs: config.Signal{Transport: config.TransportNone}}
		reg := &registry.Registry{}
		if err := reg.AddSet(registry.SourceBuiltin, registry.Set{Name: "bench",
			Telemetry: []component.Factory[plugintelemetry.Exporter]{otlpexporter.GRPCFactory()}}); err != nil {
			b.Fatal(err)
		}
		tel, err := telemetry.New(context.Background(), cfg, telemetry.Options{Version: "bench", Registry: reg,
			Logger: slog.New(slog.DiscardHandler), Prometheus: true})
		if err != nil {
			b.Fatal(err)
		}
		if err := tel.Start(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
		setup = func(s *Server) {
			s.SetTracer(tel.Tracer())
			if err := s.SetMeter(tel.Meter()); err != nil {
				b.Fatal(err)
			}
		}
	}
	addr := startInProcessWith(b, setup, "RUNNEL_SYSTEM_PARTITION_FSYNC=never")
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
