package tracing

import (
	"context"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/runnel-io/runnel/sdk/consumer"
	"github.com/runnel-io/runnel/sdk/wire"
)

// W3C trace-context header names, carried as string user headers.
const (
	HeaderTraceparent = "traceparent"
	HeaderTracestate  = "tracestate"
)

// Headers returns the user headers that carry ctx's span context
// ("traceparent", and "tracestate" when set), or nil when ctx holds no
// valid span context. It fits producer.Config.Headers:
//
//	producer.Config{..., Headers: tracing.Headers}
func Headers(ctx context.Context) []wire.HeaderEntry {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return nil
	}
	var c headerCarrier
	propagation.TraceContext{}.Inject(ctx, &c)
	return c.entries
}

// ContextFromHeaders returns ctx with the remote span context the headers
// carry, or ctx itself when they carry none (or a malformed one).
func ContextFromHeaders(ctx context.Context, hs []wire.HeaderEntry) context.Context {
	c := headerCarrier{entries: hs}
	if _, ok := c.lookup(HeaderTraceparent); !ok {
		return ctx
	}
	return propagation.TraceContext{}.Extract(ctx, &c)
}

// ContextFromMessage is ContextFromHeaders for a polled message: start the
// consumer's span from the returned context to join the producer's trace.
// Undecodable headers are ignored.
func ContextFromMessage(ctx context.Context, m consumer.Message) context.Context {
	if len(m.RawHeaders) == 0 {
		return ctx
	}
	hs, err := m.Headers()
	if err != nil {
		return ctx
	}
	return ContextFromHeaders(ctx, hs)
}

// ContextFromFrame is ContextFromHeaders for a raw message frame (64-byte
// header, payload, user headers) as SendMessages carries it.
func ContextFromFrame(ctx context.Context, frame []byte) context.Context {
	if len(frame) < wire.MessageHeaderSize {
		return ctx
	}
	h := wire.DecodeMessageHeader(frame)
	if h.UserHeadersLength == 0 || h.Size() > uint64(len(frame)) {
		return ctx
	}
	start := uint64(wire.MessageHeaderSize) + uint64(h.PayloadLength)
	hs, err := wire.DecodeUserHeaders(frame[start : start+uint64(h.UserHeadersLength)])
	if err != nil {
		return ctx
	}
	return ContextFromHeaders(ctx, hs)
}

// headerCarrier adapts user headers to propagation.TextMapCarrier: only
// string (or raw) values under string keys count.
type headerCarrier struct {
	entries []wire.HeaderEntry
}

var _ propagation.TextMapCarrier = (*headerCarrier)(nil)

func (c *headerCarrier) lookup(key string) (string, bool) {
	for _, h := range c.entries {
		if h.Key.Kind != wire.HeaderString || string(h.Key.Data) != key {
			continue
		}
		if v, err := h.Value.AsString(); err == nil {
			return v, true
		}
	}
	return "", false
}

func (c *headerCarrier) Get(key string) string {
	v, _ := c.lookup(key)
	return v
}

func (c *headerCarrier) Set(key, value string) {
	c.entries = append(c.entries, wire.HeaderEntry{Key: wire.StringHeader(key), Value: wire.StringHeader(value)})
}

func (c *headerCarrier) Keys() []string {
	keys := make([]string, 0, len(c.entries))
	for _, h := range c.entries {
		if h.Key.Kind == wire.HeaderString {
			keys = append(keys, string(h.Key.Data))
		}
	}
	return keys
}
