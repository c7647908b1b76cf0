package e2e

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/runnel-io/runnel/internal/config"
	"github.com/runnel-io/runnel/internal/otlptest"
	"github.com/runnel-io/runnel/internal/testserver"
	"github.com/runnel-io/runnel/sdk/client"
	"github.com/runnel-io/runnel/sdk/consumer"
	"github.com/runnel-io/runnel/sdk/producer"
	"github.com/runnel-io/runnel/sdk/tracing"
	"github.com/runnel-io/runnel/sdk/wire"
)

// produceAndConsumeTraced sends one message inside a producer span of the
// tracer tracerFor("test-producer") gives, through the SDK producer with
// sdk/tracing.Headers, polls it back and ends a consumer span of
// tracerFor("test-consumer") continued from the message's headers. It
// returns the trace and the producer span ids.
func produceAndConsumeTraced(ctx context.Context, t *testing.T, c *client.Client, streamName string, tracerFor func(service string) trace.Tracer) (traceID, producerSpanID string) {
	t.Helper()
	stream, topic := wire.NamedID(streamName), wire.NamedID("orders")
	_, err := c.CreateStream(ctx, streamName)
	mustNoErr(t, "create stream", err)
	_, err = c.CreateTopic(ctx, wire.CreateTopicRequest{StreamID: stream, Name: "orders", PartitionsCount: 1, CompressionAlgorithm: 1})
	mustNoErr(t, "create topic", err)

	prodCtx, prodSpan := tracerFor("test-producer").Start(ctx, "produce order", trace.WithSpanKind(trace.SpanKindProducer))
	p, err := producer.New(ctx, c, producer.Config{Stream: stream, Topic: topic, Headers: tracing.Headers})
	mustNoErr(t, "producer", err)
	mustNoErr(t, "send", p.SendSync(prodCtx, producer.Message{Payload: []byte("order-1")}))
	mustNoErr(t, "producer close", p.Close(ctx))
	prodSpan.End()

	k, err := consumer.New(ctx, c, consumer.Config{Stream: stream, Topic: topic, Name: streamName, Strategy: wire.PollFirst()})
	mustNoErr(t, "consumer", err)
	defer func() { _ = k.Close(context.Background()) }()
	var msgs []consumer.Message
	for len(msgs) == 0 && ctx.Err() == nil {
		msgs, err = k.Poll(ctx)
		mustNoErr(t, "poll", err)
	}
	if len(msgs) != 1 || string(msgs[0].Payload) != "order-1" {
		t.Fatalf("polled %+v", msgs)
	}
	_, consSpan := tracerFor("test-consumer").Start(tracing.ContextFromMessage(ctx, msgs[0]), "process order",
		trace.WithSpanKind(trace.SpanKindConsumer))
	consSpan.End()
	return prodSpan.SpanContext().TraceID().String(), prodSpan.SpanContext().SpanID().String()
}

// testTracer exports the test's own spans, as service, over OTLP/gRPC to
// endpoint (the in-process receiver, or Jaeger).
func testTracer(t *testing.T, endpoint, service string) trace.Tracer {
	t.Helper()
	exp, err := otlptracegrpc.New(context.Background(), otlptracegrpc.WithEndpoint(endpoint), otlptracegrpc.WithInsecure())
	mustNoErr(t, "exporter", err)
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp),
		sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", service))))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return tp.Tracer("e2e")
}

// One message produced inside a span, appended by a server with tracing
// on, and consumed: the receiver gets one trace with the producer's span,
// the server's SendMessages span (its child, plus the append under it) and
// the consumer's span (a child of the producer's, from the message's
// headers).
func TestTraceFromProducerThroughServerToConsumer(t *testing.T) {
	rcv := otlptest.Start(t)
	s := startServer(t, "RUNNEL_TELEMETRY_ENABLED=true", "RUNNEL_TELEMETRY_TRACES_ENDPOINT="+rcv.Addr(),
		"RUNNEL_TELEMETRY_TRACES_EXPORT_INTERVAL=20ms", "RUNNEL_TELEMETRY_SERVICE_NAME=runnel",
		"RUNNEL_TELEMETRY_METRICS_ENDPOINT="+rcv.Addr(), "RUNNEL_TELEMETRY_METRICS_EXPORT_INTERVAL=50ms",
		"RUNNEL_TELEMETRY_LOGS_TRANSPORT=http", "RUNNEL_TELEMETRY_LOGS_ENDPOINT="+rcv.HTTPAddr(),
		"RUNNEL_TELEMETRY_LOGS_EXPORT_INTERVAL=50ms")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	traceID, producerSpanID := produceAndConsumeTraced(ctx, t, runnelClient(t, s), "traced",
		func(service string) trace.Tracer { return testTracer(t, rcv.Addr(), service) })

	byService := func(spans []otlptest.Span, service, name string) (otlptest.Span, bool) {
		for _, sp := range spans {
			if sp.TraceID == traceID && sp.Service == service && sp.Name == name {
				return sp, true
			}
		}
		return otlptest.Span{}, false
	}
	// In VSR mode the append and its fsync run on the replica's loop, not
	// in the request: the request's child span is the wait for the commit.
	vsrMode := testserver.ClusterMode() == config.ClusterVSR
	spans, ok := rcv.WaitFor(ctx, 20*time.Second, func(spans []otlptest.Span) bool {
		_, a := byService(spans, "test-producer", "produce order")
		_, b := byService(spans, "runnel", "runnel.SendMessages")
		_, c := byService(spans, "test-consumer", "process order")
		if vsrMode {
			_, d := byService(spans, "runnel", "runnel.replica.commit")
			return a && b && c && d
		}
		_, d := byService(spans, "runnel", "runnel.partition.append")
		_, e := byService(spans, "runnel", "runnel.partition.fsync")
		return a && b && c && d && e
	})
	if !ok {
		t.Fatalf("trace %s incomplete at the receiver; got %+v\nserver output:\n%s", traceID, spans, s.Output())
	}
	send, _ := byService(spans, "runnel", "runnel.SendMessages")
	if send.ParentSpanID != producerSpanID || send.Kind != 2 /* SERVER */ {
		t.Fatalf("server span %+v is not a server child of the producer span %s", send, producerSpanID)
	}
	for k, want := range map[string]string{"runnel.command": "SendMessages", "runnel.command.code": "101",
		"runnel.stream": "traced", "runnel.topic": "orders", "runnel.partition.id": "0",
		"runnel.messages.count": "1", "runnel.status_code": "0", "error": "false"} {
		if got := send.Attributes[k]; got != want {
			t.Errorf("server span attribute %s = %q, want %q (all: %v)", k, got, want, send.Attributes)
		}
	}
	if vsrMode {
		commit, _ := byService(spans, "runnel", "runnel.replica.commit")
		if commit.ParentSpanID != send.SpanID || commit.Attributes["runnel.replica.op"] == "" {
			t.Fatalf("commit span %+v: want a child of the SendMessages span %s naming its op", commit, send.SpanID)
		}
	} else {
		appendSpan, _ := byService(spans, "runnel", "runnel.partition.append")
		if appendSpan.ParentSpanID != send.SpanID {
			t.Fatalf("append span %+v is not a child of the SendMessages span %s", appendSpan, send.SpanID)
		}
		fsync, _ := byService(spans, "runnel", "runnel.partition.fsync")
		if fsync.ParentSpanID != appendSpan.SpanID || fsync.Attributes["runnel.fsync.performed"] != "true" {
			t.Fatalf("fsync span %+v: want a child of the append span %s that ran the fsync (fsync=always)", fsync, appendSpan.SpanID)
		}
	}
	cons, _ := byService(spans, "test-consumer", "process order")
	if cons.ParentSpanID != producerSpanID {
		t.Fatalf("consumer span %+v is not a child of the producer span %s", cons, producerSpanID)
	}
	// The trace carries nothing else from the producer side: one trace id
	// for all of it is what the lookups above by traceID checked.

	// The same server pushed its metrics (over gRPC) and its log lines
	// (over OTLP/HTTP) to the receiver.
	ok = rcv.Eventually(ctx, 20*time.Second, func() bool {
		return metricAtLeast(rcv.Points(), "runnel.partition.appended.messages", "traced", 1) &&
			metricAtLeast(rcv.Points(), "runnel.partition.read.messages", "traced", 1) &&
			(vsrMode || metricAtLeast(rcv.Points(), "runnel.partition.fsync.duration", "", 1)) &&
			hasLogLine(rcv.Logs(), "started")
	})
	if !ok {
		t.Fatalf("metrics or logs missing at the receiver:\npoints %+v\nlogs %+v", rcv.Points(), rcv.Logs())
	}
}

// metricAtLeast finds a point of metric (of stream, when not empty) from
// the server with a value of at least min.
func metricAtLeast(points []otlptest.Point, metric, stream string, min float64) bool {
	for _, p := range points {
		if p.Service == "runnel" && p.Metric == metric && (stream == "" || p.Attributes["stream"] == stream) && p.Value >= min {
			return true
		}
	}
	return false
}

func hasLogLine(logs []otlptest.LogRecord, body string) bool {
	for _, l := range logs {
		if l.Service == "runnel" && l.Body == body && l.Severity == "INFO" {
			return true
		}
	}
	return false
}
