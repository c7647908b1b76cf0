package server

import (
	"context"
	"reflect"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/runnel-io/runnel/core/partition"
	"github.com/runnel-io/runnel/internal/telemetry"
	"github.com/runnel-io/runnel/plugins/archiver"
	"github.com/runnel-io/runnel/plugins/transport"
	"github.com/runnel-io/runnel/sdk/tracing"
	"github.com/runnel-io/runnel/sdk/wire"
)

// Span attribute keys of the server's spans.
const (
	attrCommand     = "runnel.command"
	attrCommandCode = "runnel.command.code"
	attrStream      = "runnel.stream"
	attrTopic       = "runnel.topic"
	attrStreamID    = "runnel.stream.id"
	attrTopicID     = "runnel.topic.id"
	attrPartition   = "runnel.partition.id"
	attrMessages    = "runnel.messages.count"
	attrBytesIn     = "runnel.request.bytes"
	attrBytesOut    = "runnel.response.bytes"
	attrStatus      = "runnel.status_code"
	attrError       = "error"
	attrFsyncDone   = "runnel.fsync.performed"
	attrReplicaOp   = "runnel.replica.op"
	attrArchiver    = "runnel.archiver"
	attrObjectKey   = "runnel.archive.key"
)

// SetTracer makes the server record one span per request with t (and
// child spans for appends and fsyncs). Call it before Run; without it the
// request path skips tracing altogether.
func (s *Server) SetTracer(t trace.Tracer) {
	s.tracer = t
	s.spanOpts = []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindServer)}
}

// handleTraced is handle inside a server span. A SendMessages batch whose
// first message carries a W3C "traceparent" user header continues that
// trace, so the append shows up under the producer's span. A request that
// sampling leaves out gets no span at all (see sample).
func (c *session) handleTraced(ctx context.Context, req transport.Request) ([]byte, error) {
	userID, r, err := c.decode(req)
	parent := ctx
	if q, ok := r.(wire.SendMessagesRequest); ok && q.Count > 0 {
		parent = tracing.ContextFromFrame(ctx, q.Frame(0))
	}
	parent, sampled := c.srv.sample(parent)
	if !sampled {
		if err != nil {
			return nil, err
		}
		return c.dispatch(ctx, userID, r)
	}
	// The real name is set only on recorded spans: building it costs an
	// allocation that unsampled requests need not pay.
	ctx, span := c.srv.tracer.Start(parent, "runnel.request", c.srv.spanOpts...)
	defer span.End()
	var payload []byte
	if err == nil {
		payload, err = c.dispatch(ctx, userID, r)
	}
	if !span.IsRecording() {
		return payload, err
	}
	name := commandName(r)
	span.SetName("runnel." + name)
	span.SetAttributes(
		attribute.String(attrCommand, name),
		attribute.Int64(attrCommandCode, int64(req.Code)),
		attribute.Int(attrBytesIn, len(req.Payload)),
		attribute.Int(attrBytesOut, len(payload)),
		attribute.Int64(attrStatus, int64(wire.StatusCode(err))),
		attribute.Bool(attrError, err != nil))
	requestAttributes(span, r)
	if err != nil {
		span.SetStatus(codes.Error, err.Error())
	}
	return payload, err
}

// headSampler is what the telemetry package's tracer adds to trace.Tracer.
type headSampler interface {
	Sample(ctx context.Context) (context.Context, bool)
}

// sample tells whether a request span started from parent would record,
// and the context to start it from. Unsampled requests are the common case
// (sampling_ratio defaults to 0.01): skipping their span saves drawing IDs,
// the sampler and two allocations per request, for a span that would
// record nothing. Tracers that cannot tell ahead get a span every time.
func (s *Server) sample(parent context.Context) (context.Context, bool) {
	if h, ok := s.tracer.(headSampler); ok {
		return h.Sample(parent)
	}
	return parent, true
}

// commandName is the request type's name without "Request", e.g.
// "SendMessages"; "Unknown" when the request did not decode.
func commandName(r wire.Request) string {
	if r == nil {
		return "Unknown"
	}
	return strings.TrimSuffix(reflect.TypeOf(r).Name(), "Request")
}

// requestAttributes adds what the data-path requests name.
func requestAttributes(span trace.Span, r wire.Request) {
	switch q := r.(type) {
	case wire.SendMessagesRequest:
		span.SetAttributes(attribute.String(attrStream, identifierText(q.StreamID)),
			attribute.String(attrTopic, identifierText(q.TopicID)),
			attribute.Int64(attrMessages, int64(q.Count)))
	case wire.PollMessagesRequest:
		span.SetAttributes(attribute.String(attrStream, identifierText(q.StreamID)),
			attribute.String(attrTopic, identifierText(q.TopicID)))
	}
}

// identifierText is the name, or the number, the client used.
func identifierText(id wire.Identifier) string {
	if id.Kind == wire.IdentifierString {
		return id.Name
	}
	return id.String()
}

// annotatePartition records the resolved partition on the request's span.
// It costs one nil check when tracing is off.
func (s *Server) annotatePartition(ctx context.Context, t target, partitionID uint32) {
	if s.tracer == nil {
		return
	}
	if span := trace.SpanFromContext(ctx); span.IsRecording() {
		span.SetAttributes(attribute.Int64(attrStreamID, int64(t.streamID)),
			attribute.Int64(attrTopicID, int64(t.topicID)),
			attribute.Int64(attrPartition, int64(partitionID)))
	}
}

// startChild starts a child of the recording span in ctx; ok is false (and
// nothing is allocated) when ctx holds none.
func startChild(ctx context.Context, name string) (context.Context, trace.Span, bool) {
	parent := trace.SpanFromContext(ctx)
	if !parent.IsRecording() {
		return ctx, nil, false
	}
	ctx, span := parent.TracerProvider().Tracer(telemetry.InstrumentationName).Start(ctx, name, trace.WithSpanKind(trace.SpanKindInternal))
	return ctx, span, true
}

// appendTraced is pl.append inside a "runnel.partition.append" child span
// when the request is traced.
func (s *Server) appendTraced(ctx context.Context, pl *partitionLog, frames []byte, count uint32, timestampMicros uint64) (partition.AppendResult, error) {
	if s.tracer == nil {
		return pl.append(ctx, frames, count, timestampMicros)
	}
	ctx, span, ok := startChild(ctx, "runnel.partition.append")
	if !ok {
		return pl.append(ctx, frames, count, timestampMicros)
	}
	defer span.End()
	span.SetAttributes(attribute.Int64(attrMessages, int64(count)), attribute.Int(attrBytesIn, len(frames)))
	res, err := pl.append(ctx, frames, count, timestampMicros)
	endWithError(span, err)
	return res, err
}

// syncUpToTraced is pl.syncUpTo inside a "runnel.partition.fsync" child
// span when the request is traced: the span covers the wait for a group
// commit; runnel.fsync.performed says whether this request ran the fsync.
func (pl *partitionLog) syncUpToTraced(ctx context.Context, seq uint64) error {
	ctx, span, ok := startChild(ctx, "runnel.partition.fsync")
	if !ok {
		return pl.syncUpTo(ctx, seq)
	}
	defer span.End()
	span.SetAttributes(attribute.Bool(attrFsyncDone, false))
	err := pl.syncUpTo(ctx, seq)
	endWithError(span, err)
	return err
}

// startArchiveSpan starts the root span of one upload by the archiving
// loop; without a tracer it returns a span that records nothing.
func (s *Server) startArchiveSpan(ctx context.Context, archiverName string, key archiver.Key, sizeBytes int64) (context.Context, trace.Span) {
	if s.tracer == nil {
		return ctx, trace.SpanFromContext(context.Background())
	}
	return s.tracer.Start(ctx, "runnel.archive.put", trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(
		attribute.String(attrArchiver, archiverName), attribute.String(attrObjectKey, string(key)),
		attribute.Int64(attrBytesIn, sizeBytes)))
}

// markFsync notes on a traced fsync span that this request ran the fsync
// (rather than being covered by another request's).
func markFsync(ctx context.Context) {
	if span := trace.SpanFromContext(ctx); span.IsRecording() {
		span.SetAttributes(attribute.Bool(attrFsyncDone, true))
	}
}

func endWithError(span trace.Span, err error) {
	if err != nil {
		span.SetAttributes(attribute.Bool(attrError, true))
		span.SetStatus(codes.Error, err.Error())
	}
}
