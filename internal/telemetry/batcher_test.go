package telemetry

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// memExporter keeps the names of what it exports; while gate is open
// (non-nil and not closed) ExportSpans waits on it.
type memExporter struct {
	mu       sync.Mutex
	names    []string
	calls    int
	shutdown bool
	entered  chan struct{} // receives once per ExportSpans call, if non-nil
	gate     chan struct{}
}

func (e *memExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	if e.entered != nil {
		e.entered <- struct{}{}
	}
	if e.gate != nil {
		<-e.gate
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.calls++
	for _, s := range spans {
		e.names = append(e.names, s.Name())
	}
	return nil
}

func (e *memExporter) Shutdown(context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.shutdown = true
	return nil
}

func (e *memExporter) exported() (int, int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.names), e.calls
}

// endSpans ends n sampled spans through a provider whose processor is b.
func endSpans(tp *sdktrace.TracerProvider, n int) {
	for range n {
		_, span := tp.Tracer("test").Start(context.Background(), "s")
		span.End()
	}
}

func waitExported(t *testing.T, e *memExporter, want int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if got, _ := e.exported(); got == want {
			return
		} else if time.Now().After(deadline) {
			t.Fatalf("exported %d spans, want %d", got, want)
		}
		time.Sleep(time.Millisecond)
	}
}

// A full batch is exported without waiting for the interval, in one call.
func TestBatcherExportsAFullBatchAtOnce(t *testing.T) {
	exp := &memExporter{}
	b := newSpanBatcher(exp, time.Hour, 4*exportBatchSpansMax)
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(b))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	endSpans(tp, exportBatchSpansMax)
	waitExported(t, exp, exportBatchSpansMax)
	if _, calls := exp.exported(); calls != 1 {
		t.Fatalf("%d export calls for one batch", calls)
	}
}

// Spans are exported every interval, and ForceFlush exports them now.
func TestBatcherExportsOnTheIntervalAndOnFlush(t *testing.T) {
	exp := &memExporter{}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(newSpanBatcher(exp, 5*time.Millisecond, 100)))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	endSpans(tp, 3)
	waitExported(t, exp, 3)

	exp2 := &memExporter{}
	tp2 := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(newSpanBatcher(exp2, time.Hour, 100)))
	defer func() { _ = tp2.Shutdown(context.Background()) }()
	endSpans(tp2, 3)
	if err := tp2.ForceFlush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, _ := exp2.exported(); got != 3 {
		t.Fatalf("flush exported %d spans, want 3", got)
	}
}

// Past queueMax spans waiting, new ones are dropped (and reported), not
// waited for: a stuck exporter never holds a request up.
func TestBatcherDropsPastTheQueueBound(t *testing.T) {
	const queueMax = 8
	exp := &memExporter{entered: make(chan struct{}, 4), gate: make(chan struct{})}
	b := newSpanBatcher(exp, time.Hour, queueMax)
	reported := make(chan error, 4)
	b.report = func(err error) { reported <- err } // before any span: the loop is idle
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(b))
	endSpans(tp, queueMax) // a full batch: the loop takes it and blocks in the exporter
	select {
	case <-exp.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("a full queue did not start an export")
	}
	endSpans(tp, queueMax+3) // fills the queue again; 3 are dropped
	close(exp.gate)
	// The loop's next export (the queue is full again) or the flush,
	// whichever runs first, reports the drops.
	err := tp.ForceFlush(context.Background())
	if err == nil {
		select {
		case err = <-reported:
		case <-time.After(10 * time.Second):
		}
	}
	if err == nil || !strings.Contains(err.Error(), "3 spans dropped") {
		t.Fatalf("error %v, want the 3 dropped spans reported", err)
	}
	if got, _ := exp.exported(); got != 2*queueMax {
		t.Fatalf("exported %d spans, want %d", got, 2*queueMax)
	}
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// Shutdown exports what is queued, shuts the exporter down and drops spans
// that end later.
func TestBatcherShutdownFlushes(t *testing.T) {
	exp := &memExporter{}
	b := newSpanBatcher(exp, time.Hour, 100)
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(b))
	endSpans(tp, 5)
	if err := b.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, _ := exp.exported(); got != 5 || !exp.shutdown {
		t.Fatalf("exported %d spans (want 5), exporter shut down %v", got, exp.shutdown)
	}
	endSpans(tp, 2)
	if err := b.ForceFlush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, _ := exp.exported(); got != 5 {
		t.Fatalf("spans ended after shutdown were exported: %d", got)
	}
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}
