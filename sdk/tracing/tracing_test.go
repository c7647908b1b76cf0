package tracing_test

import (
	"context"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/runnel-io/runnel/sdk/consumer"
	"github.com/runnel-io/runnel/sdk/tracing"
	"github.com/runnel-io/runnel/sdk/wire"
)

func TestHeadersCarryTheSpanContext(t *testing.T) {
	tp := sdktrace.NewTracerProvider()
	defer func() { _ = tp.Shutdown(context.Background()) }()
	ctx, span := tp.Tracer("t").Start(context.Background(), "producer")
	defer span.End()
	want := span.SpanContext()

	if hs := tracing.Headers(context.Background()); hs != nil {
		t.Fatalf("headers without a span: %+v", hs)
	}
	hs := tracing.Headers(ctx)
	if len(hs) == 0 || string(hs[0].Key.Data) != tracing.HeaderTraceparent || hs[0].Value.Kind != wire.HeaderString {
		t.Fatalf("headers: %+v", hs)
	}
	if err := wire.ValidateHeaderEntries(hs); err != nil {
		t.Fatal(err)
	}
	check := func(name string, got context.Context) {
		t.Helper()
		sc := trace.SpanContextFromContext(got)
		if !sc.IsRemote() || sc.TraceID() != want.TraceID() || sc.SpanID() != want.SpanID() || !sc.IsSampled() {
			t.Fatalf("%s: extracted %+v, want %+v", name, sc, want)
		}
	}
	check("headers", tracing.ContextFromHeaders(context.Background(), hs))

	// Through the wire: a SendMessages frame and a polled message.
	other := wire.HeaderEntry{Key: wire.StringHeader("other"), Value: wire.Uint32Header(7)}
	m := wire.Message{Payload: []byte("hello"), Headers: append([]wire.HeaderEntry{other}, hs...)}
	payload := wire.AppendSendMessages(nil, wire.NumericID(0), wire.NumericID(0), wire.Balanced(), []wire.Message{m})
	q, err := wire.DecodeSendMessages(payload)
	if err != nil {
		t.Fatal(err)
	}
	check("frame", tracing.ContextFromFrame(context.Background(), q.Frame(0)))
	check("message", tracing.ContextFromMessage(context.Background(), consumer.Message{RawHeaders: wire.AppendUserHeaders(nil, m.Headers)}))

	// Nothing to extract: the context comes back unchanged.
	plain := wire.AppendSendMessages(nil, wire.NumericID(0), wire.NumericID(0), wire.Balanced(), []wire.Message{{Payload: []byte("x")}})
	q, err = wire.DecodeSendMessages(plain)
	if err != nil {
		t.Fatal(err)
	}
	if sc := trace.SpanContextFromContext(tracing.ContextFromFrame(context.Background(), q.Frame(0))); sc.IsValid() {
		t.Fatalf("span context from a frame without headers: %+v", sc)
	}
	bad := []wire.HeaderEntry{{Key: wire.StringHeader(tracing.HeaderTraceparent), Value: wire.StringHeader("garbage")}}
	if sc := trace.SpanContextFromContext(tracing.ContextFromHeaders(context.Background(), bad)); sc.IsValid() {
		t.Fatalf("span context from a malformed traceparent: %+v", sc)
	}
}
