package clustertest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/runnel-io/runnel/internal/testserver"
	"github.com/runnel-io/runnel/sdk/client"
	"github.com/runnel-io/runnel/sdk/wire"
)

const (
	benchBatchesPerProd   = 100
	benchMessagesPerBatch = 100
	benchPayloadBytes     = 1024
)

// BenchmarkClusterVsSingle runs the same load, concurrent producers
// (sdk/client; CLUSTER_BENCH_PRODUCERS, default 4) each sending benchBatchesPerProd batches of
// benchMessagesPerBatch × 1 KiB to its own partition, against a
// three-replica cluster and against a single node (cluster.mode = vsr, no
// replicas), both with the default fsync policy, and reports MB/s and p99
// send latency of each and the cluster/single throughput ratio.
//
//	go test -run '^$' -bench ClusterVsSingle -benchtime 1x ./internal/clustertest
func BenchmarkClusterVsSingle(b *testing.B) {
	producers := 4
	if v := os.Getenv("CLUSTER_BENCH_PRODUCERS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("CLUSTER_BENCH_PRODUCERS=%q: want a positive count", v)
		}
		producers = n
	}
	single := testserver.Start(b, serverBinary, "RUNNEL_CLUSTER_MODE=vsr")
	c := newCluster(b)
	singleAddr, clusterAddr := single.Addr, c.tcpAddr[(c.primary()+1)%replicaCount] // via a follower: redirected
	prepareBench(b, singleAddr, producers)
	prepareBench(b, clusterAddr, producers)
	b.ResetTimer()
	var singleRes, clusterRes benchResult
	for range b.N {
		singleRes.add(runBenchLoad(b, singleAddr, producers))
		clusterRes.add(runBenchLoad(b, clusterAddr, producers))
	}
	b.ReportMetric(singleRes.mbps(), "single_MB/s")
	b.ReportMetric(clusterRes.mbps(), "cluster_MB/s")
	b.ReportMetric(clusterRes.mbps()/singleRes.mbps(), "cluster/single")
	b.ReportMetric(singleRes.p99().Seconds()*1e3, "single_p99_ms")
	b.ReportMetric(clusterRes.p99().Seconds()*1e3, "cluster_p99_ms")
}

type benchResult struct {
	bytes     int64
	elapsed   time.Duration
	latencies []time.Duration
}

func (r *benchResult) add(o benchResult) {
	r.bytes += o.bytes
	r.elapsed += o.elapsed
	r.latencies = append(r.latencies, o.latencies...)
}

func (r *benchResult) mbps() float64 { return float64(r.bytes) / 1e6 / r.elapsed.Seconds() }

func (r *benchResult) p99() time.Duration {
	s := slices.Clone(r.latencies)
	slices.Sort(s)
	return s[len(s)*99/100]
}

func benchURL(addr string) string {
	return fmt.Sprintf("runnel://%s:%s@%s", testserver.RootUser, testserver.RootPassword, addr)
}

// prepareBench creates stream "bench", topic "t" with one partition per
// producer.
func prepareBench(b *testing.B, addr string, producers int) {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	cli, err := client.Open(ctx, benchURL(addr))
	mustNoErr(b, "open", err)
	defer cli.Close()
	_, err = cli.CreateStream(ctx, "bench")
	mustNoErr(b, "create stream", err)
	_, err = cli.CreateTopic(ctx, wire.CreateTopicRequest{StreamID: wire.NamedID("bench"), Name: "t", PartitionsCount: uint32(producers)})
	mustNoErr(b, "create topic", err)
}

// runBenchLoad runs the producers against addr (following the leader).
func runBenchLoad(b *testing.B, addr string, producers int) benchResult {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	msgs := make([]wire.Message, benchMessagesPerBatch)
	for i := range msgs {
		msgs[i] = wire.Message{Payload: bytes.Repeat([]byte{'p'}, benchPayloadBytes)}
	}
	clients := make([]*client.Client, producers)
	for i := range clients {
		cli, err := client.Open(ctx, benchURL(addr))
		mustNoErr(b, "open", err)
		defer cli.Close()
		clients[i] = cli
	}
	lat := make([][]time.Duration, producers)
	errs := make([]error, producers)
	var wg sync.WaitGroup
	start := time.Now()
	for i, cli := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range benchBatchesPerProd {
				t0 := time.Now()
				if err := cli.SendMessages(ctx, wire.NamedID("bench"), wire.NamedID("t"), wire.ToPartition(uint32(i)), msgs); err != nil {
					errs[i] = err
					return
				}
				lat[i] = append(lat[i], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	res := benchResult{elapsed: time.Since(start)}
	for i := range errs {
		mustNoErr(b, "send", errs[i])
		res.latencies = append(res.latencies, lat[i]...)
	}
	res.bytes = int64(producers * benchBatchesPerProd * benchMessagesPerBatch * benchPayloadBytes)
	return res
}
