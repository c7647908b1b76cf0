//go:build jaeger

package jaegertest

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// Tests against the real binary carry the build tag jaeger (`make
// test-jaeger`), because building Jaeger is too slow for `make test`.

func tracerProvider(t *testing.T, exp sdktrace.SpanExporter, service string) *sdktrace.TracerProvider {
	t.Helper()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp),
		sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", service))))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return tp
}

// A parent span sent over OTLP/gRPC and its child sent over OTLP/HTTP, by
// two services, come back from the query API as one trace with the
// parent link, kinds, services and attributes intact.
func TestJaegerStoresSpansFromBothReceivers(t *testing.T) {
	j := Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	grpcExp, err := otlptracegrpc.New(ctx, otlptracegrpc.WithEndpoint(j.OTLPGRPCAddr()), otlptracegrpc.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	httpExp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpoint(j.OTLPHTTPAddr()), otlptracehttp.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	pctx, parent := tracerProvider(t, grpcExp, "svc-a").Tracer("t").Start(ctx, "parent op", trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.Int64("big", 1<<60), attribute.Bool("flag", true), attribute.String("s", "x")))
	_, child := tracerProvider(t, httpExp, "svc-b").Tracer("t").Start(pctx, "child op", trace.WithSpanKind(trace.SpanKindServer))
	child.End()
	parent.End()
	traceID := parent.SpanContext().TraceID().String()

	find := func(spans []Span, name string) (Span, bool) {
		for _, sp := range spans {
			if sp.TraceID == traceID && sp.Name == name {
				return sp, true
			}
		}
		return Span{}, false
	}
	spans, err := j.WaitForTraces(ctx, "svc-a", func(spans []Span) bool {
		_, a := find(spans, "parent op")
		_, b := find(spans, "child op")
		return a && b
	})
	if err != nil {
		t.Fatalf("%v; spans %+v", err, spans)
	}
	p, _ := find(spans, "parent op")
	c, _ := find(spans, "child op")
	if p.SpanID != parent.SpanContext().SpanID().String() || p.ParentSpanID != "" || p.Service != "svc-a" || p.Kind != "client" {
		t.Errorf("parent span %+v", p)
	}
	if c.SpanID != child.SpanContext().SpanID().String() || c.ParentSpanID != p.SpanID || c.Service != "svc-b" || c.Kind != "server" {
		t.Errorf("child span %+v, want a server child of %s from svc-b", c, p.SpanID)
	}
	for k, want := range map[string]string{"big": "1152921504606846976", "flag": "true", "s": "x"} {
		if p.Tags[k] != want {
			t.Errorf("tag %s = %q, want %q (all %v)", k, p.Tags[k], want, p.Tags)
		}
	}
	services, err := j.Services(ctx)
	if err != nil || !strings.Contains(strings.Join(services, ","), "svc-b") {
		t.Errorf("services %v, %v", services, err)
	}
}
