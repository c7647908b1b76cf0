package telemetry

import (
	"context"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

func tracerAt(t *testing.T, ratio float64) *Tracer {
	t.Helper()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.ParentBased(headSampler{ratio: sdktrace.TraceIDRatioBased(ratio)})))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return newTracer(tp.Tracer("test"), ratio)
}

// Sample's draw for roots keeps the configured share, and a root it keeps
// is recorded by Start without a second draw (which would square the ratio).
func TestSampleDrawsRootsAtTheRatio(t *testing.T) {
	const draws = 20000
	for _, ratio := range []float64{0, 0.01, 0.5, 1} {
		tr := tracerAt(t, ratio)
		kept := 0
		for range draws {
			ctx, ok := tr.Sample(context.Background())
			if !ok {
				continue
			}
			kept++
			_, span := tr.Start(ctx, "root")
			if !span.IsRecording() || !span.SpanContext().IsSampled() {
				t.Fatalf("ratio %v: a root Sample kept is not recorded", ratio)
			}
			span.End()
		}
		// Binomial: 6 standard deviations (at most 0.021 of the draws).
		if got := float64(kept) / draws; got < ratio-0.021 || got > ratio+0.021 {
			t.Errorf("ratio %v: kept %v of the roots", ratio, got)
		}
	}
}

// With a parent, Sample follows the parent's flag, whatever the ratio, as
// the parent-based sampler does.
func TestSampleFollowsTheParent(t *testing.T) {
	for _, ratio := range []float64{0, 1} {
		tr := tracerAt(t, ratio)
		for _, sampled := range []bool{false, true} {
			sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{1}, SpanID: trace.SpanID{2}, Remote: true})
			if sampled {
				sc = sc.WithTraceFlags(trace.FlagsSampled)
			}
			ctx, ok := tr.Sample(trace.ContextWithRemoteSpanContext(context.Background(), sc))
			if ok != sampled {
				t.Fatalf("ratio %v, parent sampled %v: Sample said %v", ratio, sampled, ok)
			}
			_, span := tr.Start(ctx, "child")
			if span.IsRecording() != sampled {
				t.Fatalf("ratio %v, parent sampled %v: Start disagrees with Sample", ratio, sampled)
			}
			span.End()
		}
	}
}

// Roots started without asking Sample (archive uploads) still get the
// ratio, drawn from their trace id.
func TestRootsWithoutSampleGetTheRatio(t *testing.T) {
	for _, ratio := range []float64{0, 1} {
		_, span := tracerAt(t, ratio).Start(context.Background(), "archive")
		if span.IsRecording() != (ratio == 1) {
			t.Fatalf("ratio %v: recording %v", ratio, span.IsRecording())
		}
		span.End()
	}
}
