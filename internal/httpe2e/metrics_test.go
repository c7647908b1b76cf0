package httpe2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/runnel-io/runnel/internal/config"
	"github.com/runnel-io/runnel/internal/testserver"
)

// TestPrometheusPageOnTheHTTPTransport: the real server serves /metrics on
// its HTTP port without a token, in a form Prometheus' own parser reads,
// with the traffic of a send and a poll made over HTTP.
func TestPrometheusPageOnTheHTTPTransport(t *testing.T) {
	s := startServer(t)
	a := newAPI(t, s)
	a.login()
	a.must(http.MethodPost, "/streams", map[string]any{"name": "metered"}, http.StatusCreated, nil)
	a.must(http.MethodPost, "/streams/metered/topics", map[string]any{"name": "t", "partitions_count": 1}, http.StatusCreated, nil)
	a.must(http.MethodPost, topicPath("metered", "t")+"/messages", sendBody(0, []string{"0", "0"}, [][]byte{[]byte("a"), []byte("b")}), http.StatusCreated, nil)

	resp, err := http.Get(s.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %s", resp.Status)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("the page does not parse: %v", err)
	}
	found := false
	for _, m := range families["runnel_partition_appended_messages_total"].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "stream" && l.GetValue() == "metered" && m.GetCounter().GetValue() == 2 {
				found = true
			}
		}
	}
	if !found {
		t.Fatalf("no appended count of 2 for stream metered: %v", families["runnel_partition_appended_messages_total"])
	}
	// Appends are fsynced per request in mode none, by the journal in vsr.
	durability := "runnel_partition_fsync_duration_seconds"
	if testserver.ClusterMode() == config.ClusterVSR {
		durability = "runnel_replica_journal_fsyncs_total"
	}
	for _, name := range []string{"runnel_connections", durability, "runnel_partition_segments", "target_info"} {
		if families[name] == nil {
			var names []string
			for n := range families {
				names = append(names, n)
			}
			t.Errorf("no %s on the page (have %s)", name, strings.Join(names, ", "))
		}
	}
}
