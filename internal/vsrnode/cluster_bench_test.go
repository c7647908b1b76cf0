package vsrnode

import (
	"context"
	"fmt"
	"net"
	"sync"
	"testing"

	"github.com/runnel-io/runnel/core/vsr"
)

// BenchmarkClusterSubmit: 1 KiB appends through Submit from 64 concurrent
// submitters, on one node versus three nodes over the replica bus on
// 127.0.0.1 (same machine, same disk: every replica fsyncs its own
// journal). on=primary submits on the primary only; on=all spreads the
// submitters over the three nodes (followers forward). ns/op is per
// append, all submitters together.
func BenchmarkClusterSubmit(b *testing.B) {
	const submitters = 64
	cases := []struct {
		replicas, pipeline int
		on                 string
	}{
		{1, 8, "primary"}, {3, 8, "primary"},
		{1, 32, "primary"}, {3, 32, "primary"}, {3, 32, "all"},
	}
	for _, c := range cases {
		b.Run(fmt.Sprintf("replicas=%d/pipeline=%d/on=%s", c.replicas, c.pipeline, c.on), func(b *testing.B) {
			nodes := startBenchCluster(b, c.replicas, c.pipeline)
			targets := nodes[:1]
			if c.on == "all" {
				targets = nodes
			}
			body := appendBody(0, payload(0, 0, 0, benchPayloadBytes))
			submit := func(w int) error {
				_, err := targets[w%len(targets)].Submit(context.Background(), vsr.OperationAppend, body)
				return err
			}
			var wg sync.WaitGroup
			for w := range submitters { // register every session before timing
				wg.Go(func() {
					if err := submit(w); err != nil {
						b.Error(err)
					}
				})
			}
			wg.Wait()
			before := make([]Stats, len(nodes))
			for i, nd := range nodes {
				before[i] = nd.Stats()
			}
			b.SetBytes(benchPayloadBytes)
			b.ResetTimer()
			for w := range submitters {
				wg.Go(func() {
					for i := w; i < b.N; i += submitters {
						if err := submit(w); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			b.StopTimer()
			for i, nd := range nodes[:min(len(nodes), 2)] {
				st := nd.Stats()
				b.ReportMetric(float64(st.Fsyncs-before[i].Fsyncs)/float64(b.N), fmt.Sprintf("fsyncs/op(node%d)", i))
			}
		})
	}
}

// startBenchCluster starts n serving nodes (node 0 the primary).
func startBenchCluster(b *testing.B, n, pipeline int) []*Node {
	lns := make([]net.Listener, n)
	roster := make([]string, n)
	for i := range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		lns[i], roster[i] = ln, ln.Addr().String()
	}
	nodes := make([]*Node, n)
	for i := range n {
		cfg := Config{Dir: b.TempDir(), Cluster: testCluster, PrepareSizeBytesMax: 8 << 10, SessionsMax: 64,
			PipelineMax: pipeline, Replica: i, ReplicaCount: n}
		if n > 1 {
			cfg.BusRoster, cfg.BusKey, cfg.BusListener = roster, testBusKey, lns[i]
		} else {
			lns[i].Close()
		}
		sm := vsr.NewMemoryMachine()
		sm.DiscardBatches = true
		nodes[i] = startNode(b, cfg, sm, Hooks{}).Node
	}
	for _, nd := range nodes {
		waitServing(b, nd)
	}
	return nodes
}
