package httpe2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/runnel-io/runnel/sdk/client"
	"github.com/runnel-io/runnel/sdk/wire"
)

const (
	benchBatch        = 10
	benchPayloadBytes = 100
)

// BenchmarkSendPollHTTPvsTCP runs the same shape, send a batch of 10
// messages of 100 B then poll them back, over TCP (sdk/client) and over
// HTTP (net/http, JSON), interleaved on one server so both see the same
// conditions, and reports each cost and the HTTP/TCP ratio.
func BenchmarkSendPollHTTPvsTCP(b *testing.B) {
	s := startServer(b)
	ctx := context.Background()
	tc, err := client.Open(ctx, s.URL())
	if err != nil {
		b.Fatal(err)
	}
	defer tc.Close()
	a := newAPI(b, s)
	a.hc.Transport = &http.Transport{MaxIdleConnsPerHost: 4}
	a.login()
	a.must("POST", "/streams", map[string]any{"name": "bench"}, http.StatusCreated, nil)
	a.must("POST", "/streams/bench/topics", map[string]any{"name": "tcp", "partitions_count": 1}, http.StatusCreated, nil)
	a.must("POST", "/streams/bench/topics", map[string]any{"name": "http", "partitions_count": 1}, http.StatusCreated, nil)

	payload := bytes.Repeat([]byte{0xab}, benchPayloadBytes)
	msgs := make([]wire.Message, benchBatch)
	for i := range msgs {
		msgs[i] = wire.Message{Payload: payload}
	}
	ids, payloads := make([]string, benchBatch), make([][]byte, benchBatch)
	for i := range ids {
		ids[i], payloads[i] = "0", payload
	}
	body, err := json.Marshal(sendBody(0, ids, payloads))
	if err != nil {
		b.Fatal(err)
	}
	stream, tcpTopic := wire.NamedID("bench"), wire.NamedID("tcp")
	var tcpTime, httpTime time.Duration
	b.ResetTimer()
	for i := range b.N {
		offset := uint64(i * benchBatch)
		start := time.Now()
		if err := tc.SendMessages(ctx, stream, tcpTopic, wire.ToPartition(0), msgs); err != nil {
			b.Fatal(err)
		}
		p, err := tc.PollMessages(ctx, wire.PollMessagesRequest{Consumer: wire.SingleConsumer(wire.NumericID(1)), StreamID: stream,
			TopicID: tcpTopic, PartitionID: wire.Partition(0), Strategy: wire.PollOffset(offset), Count: benchBatch})
		if err != nil || len(p.Messages) != benchBatch {
			b.Fatalf("tcp poll: %d messages, %v", len(p.Messages), err)
		}
		tcpTime += time.Since(start)

		start = time.Now()
		if r := a.raw("POST", "/streams/bench/topics/http/messages", "application/json", body); r.status != http.StatusCreated {
			b.Fatalf("http send: %d %s", r.status, r.body)
		}
		r := a.raw("GET", fmt.Sprintf("/streams/bench/topics/http/messages?partition_id=0&value=%d&count=%d", offset, benchBatch), "", nil)
		var got polled
		if err := json.Unmarshal(r.body, &got); err != nil || len(got.Messages) != benchBatch {
			b.Fatalf("http poll: %d %v", r.status, err)
		}
		httpTime += time.Since(start)
	}
	b.StopTimer()
	b.ReportMetric(float64(tcpTime.Nanoseconds())/float64(b.N), "tcp-ns/op")
	b.ReportMetric(float64(httpTime.Nanoseconds())/float64(b.N), "http-ns/op")
	b.ReportMetric(float64(httpTime)/float64(tcpTime), "http/tcp")
}
