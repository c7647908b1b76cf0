package main

import (
	"strings"
	"testing"
)

const onePublisher = `03:06:27 [1] Starting JetStream asynchronous publisher, publishing 50,000 messages

NATS JetStream asynchronous publisher stats: 64,552 msgs/sec ~ 63 MiB/sec ~ min: 8,364.64us ~ avg: 15,469.04us ~ max: 82,412.48us ~ P50: 12,992.89us ~ P90: 18,558.93us ~ P99: 82,412.48us ~ P99.9: 82,412.48us
`

const eightPublishers = `  [1] 11,638 msgs/sec ~ 11 MiB/sec ~ min: 30,470.52us ~ avg: 84,628.11us ~ max: 155,363.43us ~ P50: 88,505.32us ~ P90: 94,341.07us ~ P99: 155,363.43us ~ P99.9: 155,363.43us (10,000 msgs)
  [8] 10,739 msgs/sec ~ 10 MiB/sec ~ min: 12,686.07us ~ avg: 92,841.85us ~ max: 195,427.87us ~ P50: 94,814.14us ~ P90: 102,814.13us ~ P99: 195,427.87us ~ P99.9: 195,427.87us (10,000 msgs)

 NATS JetStream asynchronous publisher aggregated stats: 83,935 msgs/sec ~ 82 MiB/sec
 message rates min 10,623 | avg 10,929 | max 11,638 | stddev 374 msgs
 latencies per operation min 12,686.07us | avg 91,270.17us | max 201,037.38us | stddev 97,692.08us | P50 88,726.95us | P90 135,912.40us | P99 201,037.38us | P99.9: 201,037.38us
`

const consumer = `NATS JetStream durable consumer (callback) stats: 85,744 msgs/sec ~ 84 MiB/sec
`

func TestParseNATSBench(t *testing.T) {
	cases := []struct {
		name string
		out  string
		rate float64
		p99  int64 // -1: none
	}{
		{"one publisher", onePublisher, 64552, 82412},
		{"eight publishers", eightPublishers, 83935, 201037},
		{"consumer", consumer, 85744, -1},
	}
	for _, tc := range cases {
		rate, p99, err := parseNATSBench(tc.out)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if rate != tc.rate {
			t.Errorf("%s: rate %v, want %v", tc.name, rate, tc.rate)
		}
		switch {
		case tc.p99 < 0 && p99 != nil:
			t.Errorf("%s: p99 %d, want none", tc.name, *p99)
		case tc.p99 >= 0 && (p99 == nil || *p99 != tc.p99):
			t.Errorf("%s: p99 %v, want %d", tc.name, p99, tc.p99)
		}
	}
	if _, _, err := parseNATSBench("nothing useful"); err == nil {
		t.Error("parsed output without a stats line")
	}
}

func TestMarkdownTable(t *testing.T) {
	p := int64(1500)
	q := int64(3000)
	md := markdown(results{Rows: []row{{Durability: "no fsync", Shape: "publish, 1 producer", Messages: 1000,
		Runnel: side{MBPerSecond: 200, P99Micros: &p}, NATS: side{MBPerSecond: 100, P99Micros: &q}, RatioMB: 2,
		RatioP99: 2}}})
	if !strings.Contains(md, "| no fsync | publish, 1 producer | 1000 | 200.0 | 100.0 | 2.00× | 1500 | 3000 | 2.00× |") {
		t.Errorf("unexpected table:\n%s", md)
	}
}

func TestMedianKeepsMiddleRunAndSamples(t *testing.T) {
	runs := []side{{MBPerSecond: 30}, {MBPerSecond: 10}, {Error: "boom"}, {MBPerSecond: 20}}
	m, i := median(runs)
	if i != 3 || m.MBPerSecond != 20 || len(m.Samples) != 3 {
		t.Errorf("median = %+v at %d, want the 20 MB/s run (index 3) with 3 samples", m, i)
	}
	m, _ = median([]side{{Error: "a"}, {Error: "b"}})
	if m.Error != "b" {
		t.Errorf("all failed: got %+v, want the last failure", m)
	}
}
