//go:build jaeger

package e2e

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/runnel-io/runnel/internal/jaegertest"
)

// The same producer → server → consumer trace as
// TestTraceFromProducerThroughServerToConsumer, but received by a real
// Jaeger and read back through its query API: the server's OTLP exporter
// and the SDK's propagation work against a production receiver, not only
// against the in-process sink. Jaeger takes no metrics or logs, so the
// server sends traces only. Build tag jaeger: `make test-jaeger` builds
// Jaeger first, which is too slow for `make test`.
func TestTraceInJaegerFromProducerThroughServerToConsumer(t *testing.T) {
	j := jaegertest.Start(t)
	s := startServer(t, "RUNNEL_TELEMETRY_ENABLED=true", "RUNNEL_TELEMETRY_SERVICE_NAME=runnel",
		"RUNNEL_TELEMETRY_TRACES_TRANSPORT=grpc", "RUNNEL_TELEMETRY_TRACES_ENDPOINT="+j.OTLPGRPCAddr(),
		"RUNNEL_TELEMETRY_TRACES_EXPORT_INTERVAL=20ms",
		"RUNNEL_TELEMETRY_METRICS_TRANSPORT=none", "RUNNEL_TELEMETRY_LOGS_TRANSPORT=none")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	traceID, producerSpanID := produceAndConsumeTraced(ctx, t, runnelClient(t, s), "jaeger",
		func(service string) trace.Tracer { return testTracer(t, j.OTLPGRPCAddr(), service) })

	find := func(spans []jaegertest.Span, service, name string) (jaegertest.Span, bool) {
		for _, sp := range spans {
			if sp.TraceID == traceID && sp.Service == service && sp.Name == name {
				return sp, true
			}
		}
		return jaegertest.Span{}, false
	}
	spans, err := j.WaitForTraces(ctx, "test-producer", func(spans []jaegertest.Span) bool {
		_, a := find(spans, "test-producer", "produce order")
		_, b := find(spans, "runnel", "runnel.SendMessages")
		_, c := find(spans, "runnel", "runnel.partition.append")
		_, d := find(spans, "test-consumer", "process order")
		return a && b && c && d
	})
	if err != nil {
		t.Fatalf("trace %s incomplete in Jaeger: %v; got %+v\nserver output:\n%s", traceID, err, spans, s.Output())
	}
	prod, _ := find(spans, "test-producer", "produce order")
	if prod.SpanID != producerSpanID || prod.ParentSpanID != "" || prod.Kind != "producer" {
		t.Fatalf("producer span %+v: want the root producer span %s", prod, producerSpanID)
	}
	send, _ := find(spans, "runnel", "runnel.SendMessages")
	if send.ParentSpanID != producerSpanID || send.Kind != "server" {
		t.Fatalf("server span %+v is not a server child of the producer span %s", send, producerSpanID)
	}
	for k, want := range map[string]string{"runnel.command": "SendMessages", "runnel.command.code": "101",
		"runnel.stream": "jaeger", "runnel.topic": "orders", "runnel.messages.count": "1", "runnel.status_code": "0"} {
		if got := send.Tags[k]; got != want {
			t.Errorf("server span tag %s = %q, want %q (all: %v)", k, got, want, send.Tags)
		}
	}
	appendSpan, _ := find(spans, "runnel", "runnel.partition.append")
	if appendSpan.ParentSpanID != send.SpanID {
		t.Fatalf("append span %+v is not a child of the SendMessages span %s", appendSpan, send.SpanID)
	}
	cons, _ := find(spans, "test-consumer", "process order")
	if cons.ParentSpanID != producerSpanID || cons.Kind != "consumer" {
		t.Fatalf("consumer span %+v is not a consumer child of the producer span %s", cons, producerSpanID)
	}
}
