package otlptest

import (
	"context"
	"encoding/hex"
	"time"

	collogs "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	colmetrics "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
)

// Point is one received metric data point (sums and gauges; a histogram
// point carries its count as Value).
type Point struct {
	Service    string
	Metric     string
	Attributes map[string]string
	Value      float64
}

// LogRecord is one received log record.
type LogRecord struct {
	Service    string
	Severity   string
	Body       string
	TraceID    string // hex, "" when the record was not in a span
	Attributes map[string]string
}

// metricsService and logsService are separate types because every OTLP
// service's method is called Export.
type metricsService struct {
	colmetrics.UnimplementedMetricsServiceServer
	r *Receiver
}

type logsService struct {
	collogs.UnimplementedLogsServiceServer
	r *Receiver
}

func serviceName(res *resourcepb.Resource) string {
	for _, kv := range res.GetAttributes() {
		if kv.GetKey() == "service.name" {
			return kv.GetValue().GetStringValue()
		}
	}
	return ""
}

func attributeMap(kvs []*commonpb.KeyValue) map[string]string {
	out := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		out[kv.GetKey()] = valueText(kv.GetValue())
	}
	return out
}

// Export implements the OTLP metrics service.
func (s metricsService) Export(_ context.Context, req *colmetrics.ExportMetricsServiceRequest) (*colmetrics.ExportMetricsServiceResponse, error) {
	s.r.mu.Lock()
	defer s.r.mu.Unlock()
	for _, rm := range req.GetResourceMetrics() {
		service := serviceName(rm.GetResource())
		for _, sm := range rm.GetScopeMetrics() {
			for _, m := range sm.GetMetrics() {
				for _, p := range metricPoints(m) {
					if len(s.r.points) < spansMax {
						p.Service = service
						s.r.points = append(s.r.points, p)
					}
				}
			}
		}
	}
	return &colmetrics.ExportMetricsServiceResponse{}, nil
}

func metricPoints(m *metricspb.Metric) []Point {
	var out []Point
	number := func(dps []*metricspb.NumberDataPoint) {
		for _, dp := range dps {
			v := dp.GetAsDouble()
			if _, ok := dp.GetValue().(*metricspb.NumberDataPoint_AsInt); ok {
				v = float64(dp.GetAsInt())
			}
			out = append(out, Point{Metric: m.GetName(), Attributes: attributeMap(dp.GetAttributes()), Value: v})
		}
	}
	switch d := m.GetData().(type) {
	case *metricspb.Metric_Sum:
		number(d.Sum.GetDataPoints())
	case *metricspb.Metric_Gauge:
		number(d.Gauge.GetDataPoints())
	case *metricspb.Metric_Histogram:
		for _, dp := range d.Histogram.GetDataPoints() {
			out = append(out, Point{Metric: m.GetName(), Attributes: attributeMap(dp.GetAttributes()), Value: float64(dp.GetCount())})
		}
	}
	return out
}

// Export implements the OTLP logs service.
func (s logsService) Export(_ context.Context, req *collogs.ExportLogsServiceRequest) (*collogs.ExportLogsServiceResponse, error) {
	s.r.mu.Lock()
	defer s.r.mu.Unlock()
	for _, rl := range req.GetResourceLogs() {
		service := serviceName(rl.GetResource())
		for _, sl := range rl.GetScopeLogs() {
			for _, lr := range sl.GetLogRecords() {
				if len(s.r.logs) >= spansMax {
					continue
				}
				rec := LogRecord{Service: service, Severity: lr.GetSeverityText(), Body: valueText(lr.GetBody()), Attributes: attributeMap(lr.GetAttributes())}
				if id := lr.GetTraceId(); len(id) > 0 {
					rec.TraceID = hex.EncodeToString(id)
				}
				s.r.logs = append(s.r.logs, rec)
			}
		}
	}
	return &collogs.ExportLogsServiceResponse{}, nil
}

// Points returns a copy of every metric point received so far.
func (r *Receiver) Points() []Point {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Point(nil), r.points...)
}

// Logs returns a copy of every log record received so far.
func (r *Receiver) Logs() []LogRecord {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]LogRecord(nil), r.logs...)
}

// Eventually polls until done reports true or the timeout passes, and
// says whether it did. done reads the receiver (Points, Logs, Spans).
func (r *Receiver) Eventually(ctx context.Context, timeout time.Duration, done func() bool) bool {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !done() {
		select {
		case <-ctx.Done():
			return false
		case <-tick.C:
		}
	}
	return true
}
