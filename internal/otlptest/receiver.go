package otlptest

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	collogs "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	colmetrics "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
)

// spansMax bounds what a receiver keeps; tests send a handful.
const spansMax = 1_000_000

// Span is one received span with the service.name of its resource.
type Span struct {
	Service      string
	Name         string
	TraceID      string // hex
	SpanID       string // hex
	ParentSpanID string // hex, "" for a root span
	Kind         tracepb.Span_SpanKind
	Attributes   map[string]string // values in their text form
}

// Receiver is an in-process OTLP receiver (gRPC and HTTP) of traces,
// metrics and logs.
type Receiver struct {
	coltrace.UnimplementedTraceServiceServer

	addr, httpAddr string
	srv            *grpc.Server

	mu     sync.Mutex
	spans  []Span
	points []Point
	logs   []LogRecord
}

var _ coltrace.TraceServiceServer = (*Receiver)(nil)

// Start listens on 127.0.0.1 (OTLP/gRPC and OTLP/HTTP on two ports) and
// stops when the test ends.
func Start(tb testing.TB) *Receiver {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	httpLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	r := &Receiver{addr: ln.Addr().String(), httpAddr: httpLn.Addr().String(), srv: grpc.NewServer()}
	coltrace.RegisterTraceServiceServer(r.srv, r)
	colmetrics.RegisterMetricsServiceServer(r.srv, metricsService{r: r})
	collogs.RegisterLogsServiceServer(r.srv, logsService{r: r})
	go func() { _ = r.srv.Serve(ln) }()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/traces", serveProto(func(in *coltrace.ExportTraceServiceRequest) (proto.Message, error) {
		return r.Export(context.Background(), in)
	}))
	mux.HandleFunc("POST /v1/metrics", serveProto(func(in *colmetrics.ExportMetricsServiceRequest) (proto.Message, error) {
		return metricsService{r: r}.Export(context.Background(), in)
	}))
	mux.HandleFunc("POST /v1/logs", serveProto(func(in *collogs.ExportLogsServiceRequest) (proto.Message, error) {
		return logsService{r: r}.Export(context.Background(), in)
	}))
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = hs.Serve(httpLn) }()
	tb.Cleanup(func() {
		r.srv.Stop()
		_ = hs.Close()
	})
	return r
}

// Addr is the OTLP/gRPC host:port to export to.
func (r *Receiver) Addr() string { return r.addr }

// HTTPAddr is the OTLP/HTTP host:port (POST /v1/traces, /v1/metrics,
// /v1/logs; protobuf).
func (r *Receiver) HTTPAddr() string { return r.httpAddr }

// requestBytesMax bounds one OTLP/HTTP request body.
const requestBytesMax = 64 << 20

// serveProto answers OTLP/HTTP: a protobuf request body in, the service's
// protobuf response out.
func serveProto[Req any, PReq interface {
	*Req
	proto.Message
}](export func(PReq) (proto.Message, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		body, err := io.ReadAll(io.LimitReader(req.Body, requestBytesMax))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		in := PReq(new(Req))
		if err := proto.Unmarshal(body, in); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		resp, _ := export(in)
		out, err := proto.Marshal(resp)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/x-protobuf")
		_, _ = w.Write(out)
	}
}

// Export implements the OTLP trace service.
func (r *Receiver) Export(_ context.Context, req *coltrace.ExportTraceServiceRequest) (*coltrace.ExportTraceServiceResponse, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rs := range req.GetResourceSpans() {
		service := ""
		for _, kv := range rs.GetResource().GetAttributes() {
			if kv.GetKey() == "service.name" {
				service = kv.GetValue().GetStringValue()
			}
		}
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				if len(r.spans) < spansMax {
					r.spans = append(r.spans, convert(service, s))
				}
			}
		}
	}
	return &coltrace.ExportTraceServiceResponse{}, nil
}

func convert(service string, s *tracepb.Span) Span {
	out := Span{
		Service: service, Name: s.GetName(), Kind: s.GetKind(),
		TraceID: hex.EncodeToString(s.GetTraceId()), SpanID: hex.EncodeToString(s.GetSpanId()),
		Attributes: map[string]string{},
	}
	if p := s.GetParentSpanId(); len(p) > 0 {
		out.ParentSpanID = hex.EncodeToString(p)
	}
	for _, kv := range s.GetAttributes() {
		out.Attributes[kv.GetKey()] = valueText(kv.GetValue())
	}
	return out
}

func valueText(v *commonpb.AnyValue) string {
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		return x.StringValue
	case *commonpb.AnyValue_IntValue:
		return fmt.Sprint(x.IntValue)
	case *commonpb.AnyValue_BoolValue:
		return fmt.Sprint(x.BoolValue)
	case *commonpb.AnyValue_DoubleValue:
		return fmt.Sprint(x.DoubleValue)
	}
	return v.String()
}

// Spans returns a copy of everything received so far.
func (r *Receiver) Spans() []Span {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Span(nil), r.spans...)
}

// WaitFor polls the received spans until done accepts them or the timeout
// passes; it returns the last spans seen and whether done accepted them.
func (r *Receiver) WaitFor(ctx context.Context, timeout time.Duration, done func([]Span) bool) ([]Span, bool) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		spans := r.Spans()
		if done(spans) {
			return spans, true
		}
		select {
		case <-ctx.Done():
			return spans, false
		case <-tick.C:
		}
	}
}
