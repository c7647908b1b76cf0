package telemetry_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/runnel-io/runnel/internal/config"
	"github.com/runnel-io/runnel/internal/otlptest"
	"github.com/runnel-io/runnel/internal/telemetry"
	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/registry"
	plugin "github.com/runnel-io/runnel/plugins/telemetry"
	"github.com/runnel-io/runnel/plugins/telemetry/otlpexporter"
	"github.com/runnel-io/runnel/plugins/telemetry/stdoutexporter"
)

func testRegistry(t *testing.T) *registry.Registry {
	t.Helper()
	reg := &registry.Registry{}
	set := registry.Set{Name: "test", Telemetry: []component.Factory[plugin.Exporter]{
		otlpexporter.GRPCFactory(), otlpexporter.HTTPFactory(), stdoutexporter.Factory()}}
	if err := reg.AddSet(registry.SourceBuiltin, set); err != nil {
		t.Fatal(err)
	}
	return reg
}

func allSignals(transport, endpoint string) config.Telemetry {
	sig := config.Signal{Transport: transport, Endpoint: endpoint, ExportInterval: 10 * time.Millisecond}
	return config.Telemetry{Enabled: true, ServiceName: "svc-" + transport,
		Traces: config.Traces{Signal: sig, SamplingRatio: 1}, Metrics: sig, Logs: sig}
}

func start(t *testing.T, cfg config.Telemetry, prometheus bool) *telemetry.Telemetry {
	t.Helper()
	ctx := context.Background()
	tel, err := telemetry.New(ctx, cfg, telemetry.Options{Version: "test", Registry: testRegistry(t),
		Logger: slog.New(slog.DiscardHandler), Prometheus: prometheus})
	if err != nil {
		t.Fatal(err)
	}
	if err := tel.Start(ctx); err != nil {
		t.Fatal(err)
	}
	return tel
}

// TestExportsEverySignalOverGRPCAndHTTP sends a span, a counter and a log
// record through each OTLP protocol to a real receiver and finds them.
func TestExportsEverySignalOverGRPCAndHTTP(t *testing.T) {
	rcv := otlptest.Start(t)
	for transport, endpoint := range map[string]string{config.TransportGRPC: rcv.Addr(), config.TransportHTTP: rcv.HTTPAddr()} {
		t.Run(transport, func(t *testing.T) {
			ctx := context.Background()
			tel := start(t, allSignals(transport, endpoint), false)
			if !tel.Tracing() || !tel.Metering() || tel.LogHandler() == nil {
				t.Fatal("enabled config left a signal off")
			}
			ctx, span := tel.Tracer().Start(ctx, "span-via-"+transport)
			counter, err := tel.Meter().Int64Counter("test.count." + transport)
			if err != nil {
				t.Fatal(err)
			}
			counter.Add(ctx, 3)
			slog.New(tel.LogHandler()).InfoContext(ctx, "log-via-"+transport, "k", "v")
			span.End()
			if err := tel.Shutdown(ctx); err != nil {
				t.Fatal(err)
			}
			service := "svc-" + transport
			ok := rcv.Eventually(ctx, 10*time.Second, func() bool {
				return hasSpan(rcv.Spans(), "span-via-"+transport, service) &&
					hasPoint(rcv.Points(), "test.count."+transport, service, 3) &&
					hasLog(rcv.Logs(), "log-via-"+transport, service)
			})
			if !ok {
				t.Fatalf("not everything arrived: spans %+v\npoints %+v\nlogs %+v", rcv.Spans(), rcv.Points(), rcv.Logs())
			}
		})
	}
}

func hasSpan(spans []otlptest.Span, name, service string) bool {
	for _, s := range spans {
		if s.Name == name && s.Service == service {
			return true
		}
	}
	return false
}

func hasPoint(points []otlptest.Point, name, service string, value float64) bool {
	for _, p := range points {
		if p.Metric == name && p.Service == service && p.Value == value {
			return true
		}
	}
	return false
}

func hasLog(logs []otlptest.LogRecord, body, service string) bool {
	for _, l := range logs {
		// The record was written inside a span: it carries the trace id.
		if l.Body == body && l.Service == service && l.TraceID != "" && l.Attributes["k"] == "v" {
			return true
		}
	}
	return false
}

func TestDisabledIsNoop(t *testing.T) {
	tel := start(t, config.Telemetry{}, false)
	if tel.Tracing() || tel.Metering() || tel.LogHandler() != nil || tel.PrometheusHandler() != nil {
		t.Fatal("disabled config turned something on")
	}
	if _, span := tel.Tracer().Start(context.Background(), "x"); span.IsRecording() {
		t.Fatal("no-op tracer records")
	}
	if err := tel.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestStdoutToFile: the stdout exporter appends JSON to the configured file.
func TestStdoutToFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "telemetry.json")
	cfg := allSignals(config.TransportStdout, "")
	cfg.Traces.Path, cfg.Metrics.Path, cfg.Logs.Path = path, path, path
	tel := start(t, cfg, false)
	ctx, span := tel.Tracer().Start(context.Background(), "stdout-span")
	slog.New(tel.LogHandler()).InfoContext(ctx, "stdout-log")
	span.End()
	if err := tel.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"Name":"stdout-span"`, "stdout-log"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("file lacks %s:\n%s", want, b)
		}
	}
}

func TestUnknownExporterNamesTheKey(t *testing.T) {
	cfg := allSignals("pigeon", "")
	cfg.Traces.Transport = config.TransportNone
	_, err := telemetry.New(context.Background(), cfg, telemetry.Options{Registry: testRegistry(t), Logger: slog.New(slog.DiscardHandler)})
	if err == nil || !strings.Contains(err.Error(), "telemetry.metrics.transport") || !strings.Contains(err.Error(), `"pigeon"`) {
		t.Fatalf("error %v", err)
	}
}

// TestPrometheusPage serves what the meter records in the text format.
func TestPrometheusPage(t *testing.T) {
	tel := start(t, config.Telemetry{}, true)
	defer func() { _ = tel.Shutdown(context.Background()) }()
	c, err := tel.Meter().Int64Counter("runnel.test.things")
	if err != nil {
		t.Fatal(err)
	}
	c.Add(context.Background(), 5)
	rec := httptest.NewRecorder()
	tel.PrometheusHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if !strings.Contains(rec.Body.String(), "runnel_test_things_total 5") {
		t.Fatalf("page lacks the counter:\n%s", rec.Body)
	}
}
