package telemetry

import (
	"context"
	"math/rand/v2"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// Tracer is the SDK's tracer plus its sampling decision, offered ahead of
// Start: a request path that asks Sample first builds no span at all for
// the requests the ratio leaves out. An unsampled SDK span records
// nothing, yet Start still draws its IDs, runs the sampler and allocates
// the span and its context (about a microsecond and two allocations per
// request, most of the telemetry cost of a small unbatched request).
type Tracer struct {
	trace.Tracer
	// rootBound is the ratio scaled to 63 bits, as the SDK's
	// TraceIDRatioBased scales it: a root is sampled when a uniform 63-bit
	// draw falls below it. always is set for ratio 1.
	rootBound uint64
	always    bool
}

var _ trace.Tracer = (*Tracer)(nil)

// sampledKey marks a context whose root span Sample already drew as
// sampled; headSampler records such a root without drawing again.
type sampledKey struct{}

func newTracer(t trace.Tracer, ratio float64) *Tracer {
	return &Tracer{Tracer: t, rootBound: uint64(max(ratio, 0) * (1 << 63)), always: ratio >= 1}
}

// Sample decides now whether a span started from ctx will record. With a
// parent span in ctx it follows the parent's sampled flag, as the
// parent-based sampler will. Without one it draws the root decision at the
// configured ratio and, when the draw says yes, returns ctx marked so that
// Start records the span. When ok is false a span started from ctx would
// record nothing and the caller may skip it.
func (t *Tracer) Sample(ctx context.Context) (context.Context, bool) {
	if parent := trace.SpanContextFromContext(ctx); parent.IsValid() {
		return ctx, parent.IsSampled()
	}
	if !t.always && rand.Uint64()>>1 >= t.rootBound {
		return ctx, false
	}
	return context.WithValue(ctx, sampledKey{}, true), true
}

// headSampler is the root sampler of the tracer provider: roots that
// Tracer.Sample drew as sampled are recorded; any other root (spans started
// without asking Sample, e.g. archive uploads) gets the ratio drawn from its
// trace ID. Draws by Sample and by trace ID pick the same share of roots.
type headSampler struct {
	ratio sdktrace.Sampler
}

var _ sdktrace.Sampler = headSampler{}

func (h headSampler) ShouldSample(p sdktrace.SamplingParameters) sdktrace.SamplingResult {
	if p.ParentContext.Value(sampledKey{}) != nil {
		return sdktrace.SamplingResult{Decision: sdktrace.RecordAndSample,
			Tracestate: trace.SpanContextFromContext(p.ParentContext).TraceState()}
	}
	return h.ratio.ShouldSample(p)
}

func (h headSampler) Description() string { return "HeadSampler{" + h.ratio.Description() + "}" }
