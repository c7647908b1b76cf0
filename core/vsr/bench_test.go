package vsr_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/runnel-io/runnel/core/vsr"
)

// BenchmarkCluster measures the core alone: a cluster of 1 or 3 replicas on
// a perfect in-memory network (every replica message encoded and decoded
// with the wire codec) and disk, 8 clients, appends of 64 B to 64 KiB.
// Besides ns/op and MB/s of committed data ops it reports vs_append: the
// cluster's committed bytes/s divided by a plain in-memory append of the
// same bodies measured in the same run (the cost of the whole protocol
// relative to copying the bytes once).
func BenchmarkCluster(b *testing.B) {
	for _, n := range []int{1, 3} {
		for _, size := range []int{64, 4096, 65536} {
			b.Run(fmt.Sprintf("replicas=%d/body=%d", n, size), func(b *testing.B) { benchCluster(b, n, size) })
		}
	}
}

func benchCluster(b *testing.B, n, size int) {
	c := newClusterConfig(&testing.T{}, vsr.Config{Cluster: 1, ReplicaCount: n})
	c.discard, c.wire = true, true
	for _, nd := range c.nodes {
		nd.sm.DiscardBatches = true
	}
	const clients = 8
	sessions := make([]uint64, clients)
	for i := range clients {
		sessions[i] = c.register(0, uint64(i+1))
	}
	body := vsr.EncodeAppend(vsr.AppendOp{Count: 1, Frames: make([]byte, size)})
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	for i := 0; i < b.N; {
		for k := 0; k < clients && i < b.N; k, i = k+1, i+1 {
			c.queue = append(c.queue, tpacket{from: -1, env: vsr.Envelope{To: 0, Msg: &vsr.Message{
				Command: vsr.CmdRequest, Client: uint64(k + 1), Session: sessions[k], Request: uint64(i/clients + 1),
				Operation: vsr.OperationAppend, Body: body}}})
		}
		c.deliver()
		if i%1024 == 0 {
			c.replies = map[uint64][]*vsr.Message{}
			c.early = nil
		}
	}
	b.StopTimer()
	if got := c.nodes[0].sm.Applied(); got != uint64(b.N) {
		b.Fatalf("applied %d, want %d", got, b.N)
	}
	elapsed := b.Elapsed().Seconds()
	b.ReportMetric(float64(b.N)/elapsed, "ops/s")
	b.ReportMetric(appendBaseline(body, b.N)/elapsed, "vs_append")
	b.ReportMetric(float64(b.N*len(body))/elapsed, "committed_B/s")
}

// appendBaseline returns the seconds a plain append of n copies of body
// into a reused, already touched 4 MiB in-memory buffer takes.
func appendBaseline(body []byte, n int) float64 {
	buf := make([]byte, 4<<20)
	for i := range buf {
		buf[i] = 1 // fault the pages in before timing
	}
	buf = buf[:0]
	start := time.Now()
	for range n {
		if len(buf)+len(body) > cap(buf) {
			buf = buf[:0]
		}
		buf = append(buf, body...)
	}
	return max(time.Since(start).Seconds(), 1e-9)
}
