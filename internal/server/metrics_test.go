package server

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/runnel-io/runnel/internal/config"
	"github.com/runnel-io/runnel/internal/telemetry"
	"github.com/runnel-io/runnel/plugins/registry"
	"github.com/runnel-io/runnel/sdk/client"
	"github.com/runnel-io/runnel/sdk/wire"
)

// TestMetricsPageShowsLagMovingAsTheGroupCatchesUp reads the Prometheus
// page the server hands to HTTP transports, parsed with Prometheus' own
// text parser, while a consumer group consumes.
func TestMetricsPageShowsLagMovingAsTheGroupCatchesUp(t *testing.T) {
	tel, err := telemetry.New(context.Background(), config.Telemetry{ServiceName: "runnel"},
		telemetry.Options{Version: "test", Registry: &registry.Registry{}, Logger: slog.New(slog.DiscardHandler), Prometheus: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := tel.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	var srv *Server
	addr := startInProcessWith(t, func(s *Server) {
		srv = s
		if err := s.SetMeter(tel.Meter()); err != nil {
			t.Fatal(err)
		}
		s.SetPrometheus("/metrics", tel.PrometheusHandler())
	})
	ctx := context.Background()
	c, err := client.Open(ctx, fmt.Sprintf("runnel://bench:bench@%s", addr))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	stream, topic, group := wire.NamedID("m"), wire.NamedID("t"), wire.NamedID("g")
	must(t, func() error { _, err := c.CreateStream(ctx, "m"); return err })
	must(t, func() error {
		_, err := c.CreateTopic(ctx, wire.CreateTopicRequest{StreamID: stream, Name: "t", PartitionsCount: 1, CompressionAlgorithm: 1})
		return err
	})
	must(t, func() error { _, err := c.CreateConsumerGroup(ctx, stream, topic, "g"); return err })
	must(t, func() error { return c.JoinConsumerGroup(ctx, stream, topic, group) })
	msgs := make([]wire.Message, 10)
	for i := range msgs {
		msgs[i] = wire.Message{Payload: []byte("payload")}
	}
	must(t, func() error { return c.SendMessages(ctx, stream, topic, wire.ToPartition(0), msgs) })

	labels := map[string]string{"stream": "m", "topic": "t", "partition": "0", "group": "g"}
	page := scrape(t, srv)
	if got := value(t, page, "runnel_consumer_group_lag", labels); got != 10 {
		t.Fatalf("lag before consuming: %v, want 10", got)
	}
	if got := value(t, page, "runnel_partition_appended_messages_total", map[string]string{"stream": "m", "partition": "0"}); got != 10 {
		t.Fatalf("appended: %v, want 10", got)
	}
	poll := func(n uint32) {
		t.Helper()
		_, err := c.PollMessages(ctx, wire.PollMessagesRequest{Consumer: wire.GroupConsumer(group), StreamID: stream, TopicID: topic,
			PartitionID: wire.Partition(0), Strategy: wire.PollNext(), Count: n, AutoCommit: true})
		if err != nil {
			t.Fatal(err)
		}
	}
	poll(4)
	if got := value(t, scrape(t, srv), "runnel_consumer_group_lag", labels); got != 6 {
		t.Fatalf("lag after 4 of 10: %v, want 6", got)
	}
	poll(100)
	page = scrape(t, srv)
	if got := value(t, page, "runnel_consumer_group_lag", labels); got != 0 {
		t.Fatalf("lag after all: %v, want 0", got)
	}
	if got := value(t, page, "runnel_partition_read_messages_total", map[string]string{"stream": "m"}); got != 10 {
		t.Fatalf("read: %v, want 10", got)
	}
	if got := value(t, page, "runnel_connections", map[string]string{"transport": "tcp"}); got != 1 {
		t.Fatalf("tcp connections: %v, want 1", got)
	}
	if got := value(t, page, "runnel_partition_tier_messages", map[string]string{"stream": "m", "tier": "local"}); got != 10 {
		t.Fatalf("local tier messages: %v, want 10", got)
	}
}

func must(t *testing.T, fn func() error) {
	t.Helper()
	if err := fn(); err != nil {
		t.Fatal(err)
	}
}

func scrape(t *testing.T, srv *Server) map[string]*dto.MetricFamily {
	t.Helper()
	rec := httptest.NewRecorder()
	srv.HTTPRoutes()["/metrics"].ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(rec.Body)
	if err != nil {
		t.Fatalf("page does not parse: %v", err)
	}
	return families
}

// value finds the one sample of name whose labels include want.
func value(t *testing.T, families map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	t.Helper()
	f, ok := families[name]
	if !ok {
		t.Fatalf("no metric %s on the page", name)
	}
	for _, m := range f.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		match := true
		for k, v := range want {
			match = match && have[k] == v
		}
		if !match {
			continue
		}
		switch {
		case m.GetCounter() != nil:
			return m.GetCounter().GetValue()
		case m.GetGauge() != nil:
			return m.GetGauge().GetValue()
		}
	}
	t.Fatalf("no sample of %s with labels %v", name, want)
	return 0
}
