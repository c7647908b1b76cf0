package jaegertest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

const (
	// tracesPerQueryMax bounds one /api/traces answer.
	tracesPerQueryMax = 100
	pollEvery         = 50 * time.Millisecond
)

// Span is one span as Jaeger stored it, flattened for assertions. IDs are
// lower-case hex at full width (32 digits for traces, 16 for spans), as
// go.opentelemetry.io/otel/trace prints them; Jaeger drops the leading
// zero half of a trace id, so it is padded back here.
type Span struct {
	TraceID      string
	SpanID       string
	ParentSpanID string // "" for a root span
	Name         string // Jaeger's operation name
	Service      string // the exporter's service.name
	// Kind is the OTLP span kind as Jaeger names it: "server", "client",
	// "producer", "consumer", or "" for internal spans.
	Kind string
	// Tags are the span's attributes (and Jaeger's own, such as span.kind
	// and otel.scope.name) rendered as text: "true", "101", "orders".
	Tags     map[string]string
	Start    time.Time
	Duration time.Duration
}

// The subset of Jaeger's UI JSON model (internal/uimodel) read here.
type (
	envelope[T any] struct {
		Data   T `json:"data"`
		Errors []struct {
			Code int    `json:"code"`
			Msg  string `json:"msg"`
		} `json:"errors"`
	}
	uiTrace struct {
		TraceID   string               `json:"traceID"`
		Spans     []uiSpan             `json:"spans"`
		Processes map[string]uiProcess `json:"processes"`
	}
	uiSpan struct {
		TraceID       string        `json:"traceID"`
		SpanID        string        `json:"spanID"`
		OperationName string        `json:"operationName"`
		References    []uiReference `json:"references"`
		StartTime     int64         `json:"startTime"` // µs since the epoch
		Duration      int64         `json:"duration"`  // µs
		Tags          []uiKeyValue  `json:"tags"`
		ProcessID     string        `json:"processID"`
	}
	uiReference struct {
		RefType string `json:"refType"`
		TraceID string `json:"traceID"`
		SpanID  string `json:"spanID"`
	}
	uiProcess struct {
		ServiceName string `json:"serviceName"`
	}
	uiKeyValue struct {
		Key   string          `json:"key"`
		Value json.RawMessage `json:"value"`
	}
)

// Services lists the service names Jaeger has spans from.
func (j *Jaeger) Services(ctx context.Context) ([]string, error) {
	var out []string
	err := j.get(ctx, "/api/services", &out)
	return out, err
}

// Traces returns every span of the (up to 100) most recent traces that hold
// a span of service, including those traces' spans from other services.
func (j *Jaeger) Traces(ctx context.Context, service string) ([]Span, error) {
	q := url.Values{"service": {service}, "limit": {fmt.Sprint(tracesPerQueryMax)}}
	var traces []uiTrace
	if err := j.get(ctx, "/api/traces?"+q.Encode(), &traces); err != nil {
		return nil, err
	}
	var out []Span
	for _, tr := range traces {
		for _, sp := range tr.Spans {
			out = append(out, flatten(sp, tr.Processes))
		}
	}
	return out, nil
}

// WaitForTraces polls Traces(ctx, service) until done accepts the spans
// or ctx ends; it returns the last spans read and, on timeout, the error.
// Jaeger stores spans a little after the exporter returns, so tests poll.
func (j *Jaeger) WaitForTraces(ctx context.Context, service string, done func([]Span) bool) ([]Span, error) {
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	var spans []Span
	var lastErr error
	for {
		got, err := j.Traces(ctx, service)
		if err == nil {
			spans = got
			if done(spans) {
				return spans, nil
			}
		}
		lastErr = err
		select {
		case <-ctx.Done():
			if lastErr == nil {
				lastErr = ctx.Err()
			}
			return spans, fmt.Errorf("jaegertest: traces of %q: %w", service, lastErr)
		case <-tick.C:
		}
	}
}

func flatten(sp uiSpan, processes map[string]uiProcess) Span {
	out := Span{
		TraceID:  traceIDHex(sp.TraceID),
		SpanID:   sp.SpanID,
		Name:     sp.OperationName,
		Service:  processes[sp.ProcessID].ServiceName,
		Tags:     make(map[string]string, len(sp.Tags)),
		Start:    time.UnixMicro(sp.StartTime),
		Duration: time.Duration(sp.Duration) * time.Microsecond,
	}
	for _, ref := range sp.References {
		// A span's parent is its CHILD_OF reference in its own trace;
		// links to other traces are references too.
		if ref.RefType == "CHILD_OF" && traceIDHex(ref.TraceID) == out.TraceID {
			out.ParentSpanID = ref.SpanID
			break
		}
	}
	for _, kv := range sp.Tags {
		out.Tags[kv.Key] = valueText(kv.Value)
	}
	out.Kind = out.Tags["span.kind"]
	return out
}

// traceIDHex pads Jaeger's trace id (16 digits when the high half is 0).
func traceIDHex(id string) string {
	if len(id) < 32 {
		return strings.Repeat("0", 32-len(id)) + id
	}
	return id
}

// valueText renders a tag value as text: strings unquoted, numbers and
// booleans as JSON writes them (so integers keep every digit).
func valueText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

// get fetches a query API path and decodes the data of Jaeger's envelope.
func (j *Jaeger) get(ctx context.Context, path string, data any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, j.QueryURL()+path, nil)
	if err != nil {
		return fmt.Errorf("jaegertest: %w", err)
	}
	resp, err := j.http.Do(req)
	if err != nil {
		return fmt.Errorf("jaegertest: GET %s: %w", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, responseBytesMax))
	if err != nil {
		return fmt.Errorf("jaegertest: GET %s: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("jaegertest: GET %s: %s: %.512s", path, resp.Status, body)
	}
	env := envelope[json.RawMessage]{}
	if err := json.Unmarshal(body, &env); err != nil {
		return fmt.Errorf("jaegertest: GET %s: not Jaeger's JSON: %w", path, err)
	}
	if len(env.Errors) > 0 {
		return fmt.Errorf("jaegertest: GET %s: %d: %s", path, env.Errors[0].Code, env.Errors[0].Msg)
	}
	if len(env.Data) == 0 || string(env.Data) == "null" {
		return nil
	}
	if err := json.Unmarshal(env.Data, data); err != nil {
		return fmt.Errorf("jaegertest: GET %s: data: %w", path, err)
	}
	return nil
}
