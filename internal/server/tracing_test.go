package server

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

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

// countingTracer counts the spans started and answers Sample with sampled.
type countingTracer struct {
	trace.Tracer
	sampled bool
	started atomic.Int64
}

func (c *countingTracer) Start(ctx context.Context, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	c.started.Add(1)
	return c.Tracer.Start(ctx, name, opts...)
}

func (c *countingTracer) Sample(ctx context.Context) (context.Context, bool) { return ctx, c.sampled }

// A request that the tracer's sampling leaves out gets no span at all; one
// it keeps gets its span started as before.
func TestUnsampledRequestsStartNoSpan(t *testing.T) {
	for _, sampled := range []bool{false, true} {
		tr := &countingTracer{Tracer: tracenoop.NewTracerProvider().Tracer("test"), sampled: sampled}
		addr := startInProcessWith(t, func(s *Server) { s.SetTracer(tr) })
		ctx := context.Background()
		c, err := client.Open(ctx, fmt.Sprintf("runnel://bench:bench@%s", addr))
		if err != nil {
			t.Fatal(err)
		}
		must(t, func() error { _, err := c.CreateStream(ctx, "s"); return err })
		must(t, func() error { return c.Ping(ctx) })
		_ = c.Close()
		if n := tr.started.Load(); sampled != (n > 0) {
			t.Fatalf("sampled=%v: %d spans started", sampled, n)
		}
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
// whose decoding shares the CPUs; and sampling 0.01, the default) in the
// same run; compare the throughputs. fsync=never keeps the disk out so
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
				var setup func(*Server)
				if ratio > 0 {
					setup = telemetryParts{traces: true, metrics: true, prometheus: true}.setup(b, rcv, ratio)
				}
				benchSends(b, setupClient(b, setup), msgs)
			})
		}
	}
}

// BenchmarkTelemetryParts splits the cost of telemetry on small unbatched
// requests (a ping-pong, where latency rather than CPU counts) into its
// parts, all at sampling 0.01, in the same run as tracing=off. Besides
// ns/op it reports the process's CPU time and voluntary context switches
// per request: a part that wakes a parked thread per request shows there.
// sdk-batcher is the SDK's own batch span processor in place of the
// telemetry package's, which wakes its goroutine once per sampled span.
func BenchmarkTelemetryParts(b *testing.B) {
	rcv := otlptest.Start(b)
	msgs := []wire.Message{{Payload: []byte(strings.Repeat("w", 100))}}
	for _, part := range []struct {
		name  string
		parts telemetryParts
	}{
		{"off", telemetryParts{}},
		{"traces", telemetryParts{traces: true}},
		{"traces/sdk-batcher", telemetryParts{traces: true, sdkBatcher: true}},
		{"metrics-otlp", telemetryParts{metrics: true}},
		{"metrics-prometheus", telemetryParts{prometheus: true}},
		{"all", telemetryParts{traces: true, metrics: true, prometheus: true}},
	} {
		b.Run(part.name, func(b *testing.B) {
			var setup func(*Server)
			if part.parts != (telemetryParts{}) {
				setup = part.parts.setup(b, rcv, 0.01)
			}
			benchSends(b, setupClient(b, setup), msgs)
		})
	}
}

// telemetryParts says which signals a benchmark's server runs.
type telemetryParts struct {
	traces     bool // spans at the ratio, pushed over OTLP/gRPC
	metrics    bool // metrics pushed over OTLP/gRPC
	prometheus bool // metrics on a Prometheus reader
	sdkBatcher bool // traces through the SDK's batch span processor
}

// setup builds the telemetry the parts name, as a production node would
// run it, and returns what hands it to the server.
func (p telemetryParts) setup(b *testing.B, rcv *otlptest.Receiver, ratio float64) func(*Server) {
	none := config.Signal{Transport: config.TransportNone}
	sig := config.Signal{Transport: config.TransportGRPC, Endpoint: rcv.Addr(), ExportInterval: time.Second}
	cfg := config.Telemetry{Enabled: true, ServiceName: "bench", Traces: config.Traces{Signal: none, SamplingRatio: ratio},
		Metrics: none, Logs: none}
	if p.traces {
		cfg.Traces.Signal = sig
	}
	if p.metrics {
		cfg.Metrics = sig
	}
	reg := &registry.Registry{}
	if err := reg.AddSet(registry.SourceBuiltin, registry.Set{Name: "bench",
		Telemetry: []component.Factory[plugintelemetry.Exporter]{otlpexporter.GRPCFactory()}}); err != nil {
		b.Fatal(err)
	}
	tel, err := telemetry.New(context.Background(), cfg, telemetry.Options{Version: "bench", Registry: reg,
		Logger: slog.New(slog.DiscardHandler), Prometheus: p.prometheus})
	if err != nil {
		b.Fatal(err)
	}
	if err := tel.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	var tracer trace.Tracer
	if p.sdkBatcher {
		tracer = sdkBatcherTracer(b, rcv, ratio)
	} else if tel.Tracing() {
		tracer = tel.Tracer()
	}
	return func(s *Server) {
		if tracer != nil {
			s.SetTracer(tracer)
		}
		if tel.Metering() {
			if err := s.SetMeter(tel.Meter()); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// sdkBatcherTracer is a tracer configured as the telemetry package did
// before it had its own span processor: the SDK's batch span processor, and
// a span started (sampled or not) for every request.
func sdkBatcherTracer(b *testing.B, rcv *otlptest.Receiver, ratio float64) trace.Tracer {
	exp, err := otlptracegrpc.New(context.Background(), otlptracegrpc.WithEndpoint(rcv.Addr()), otlptracegrpc.WithInsecure())
	if err != nil {
		b.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(ratio))),
		sdktrace.WithBatcher(exp, sdktrace.WithBatchTimeout(time.Second), sdktrace.WithMaxQueueSize(8192)))
	b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return tp.Tracer(telemetry.InstrumentationName)
}

// setupClient starts a server (setup run on it first, if any) and returns a
// client logged in with a stream and a one-partition topic ready.
func setupClient(b *testing.B, setup func(*Server)) *client.Client {
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

// benchSends sends msgs b.N times, reporting bytes, allocations, and the
// process's CPU time and voluntary context switches per send.
func benchSends(b *testing.B, c *client.Client, msgs []wire.Message) {
	var size int
	for _, m := range msgs {
		size += len(m.Payload)
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	var before, after syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &before)
	b.ResetTimer()
	for range b.N {
		if err := c.SendMessages(context.Background(), wire.NumericID(0), wire.NumericID(0), wire.ToPartition(0), msgs); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &after)
	cpu := after.Utime.Nano() - before.Utime.Nano() + after.Stime.Nano() - before.Stime.Nano()
	b.ReportMetric(float64(cpu)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(after.Nvcsw-before.Nvcsw)/float64(b.N), "vcsw/op")
}
