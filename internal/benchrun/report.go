package benchrun

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// ReportVersion changes when a key of report.json changes meaning.
const ReportVersion = 1

// Report is report.json. The keys are documented in docs/bench.md.
type Report struct {
	Tool      string    `json:"tool"`
	Version   int       `json:"report_version"`
	Scenario  Scenario  `json:"scenario"`
	StartedAt time.Time `json:"started_at"`
	Machine   Machine   `json:"machine"`
	GoVersion string    `json:"go_version"`
	GitCommit string    `json:"git_commit"`
	Config    Config    `json:"config"`
	Results   Results   `json:"results"`
	RunID     string    `json:"run_id"`
	SDK       string    `json:"sdk"`
}

// Machine describes where the benchmark ran.
type Machine struct {
	CPUModel    string `json:"cpu_model"`
	Cores       int    `json:"cores"`
	MemoryBytes uint64 `json:"memory_bytes"`
	Kernel      string `json:"kernel"`
	OS          string `json:"os"`
	Arch        string `json:"arch"`
}

// Results are the measurements.
type Results struct {
	// Total is the headline throughput: all payload bytes moved by the
	// measured actors (sent plus received) over the run's wall time.
	Total Throughput `json:"total"`
	// LatencyKind names the headline latency: "send", "poll" or
	// "end_to_end"; Latency holds its percentiles (µs).
	LatencyKind string   `json:"latency_kind"`
	Latency     *Latency `json:"latency"`
	// MessagesExpected is what the run writes (pre-filled ones included),
	// MessagesSent what measured producers sent; ReceivedExpected is what
	// consumers must read, MessagesReceived what they read.
	MessagesExpected uint64     `json:"messages_expected"`
	MessagesSent     uint64     `json:"messages_sent"`
	ReceivedExpected uint64     `json:"messages_received_expected"`
	MessagesReceived uint64     `json:"messages_received"`
	Producers        *Group     `json:"producers,omitempty"`
	Consumers        *Group     `json:"consumers,omitempty"`
	EndToEnd         *Latency   `json:"end_to_end,omitempty"`
	Actors           []Actor    `json:"actors"`
	Timeline         []TimeSlot `json:"timeline"`
}

// Throughput is an amount of payload over a duration.
type Throughput struct {
	Messages        uint64  `json:"messages"`
	Bytes           uint64  `json:"bytes"`
	DurationSeconds float64 `json:"duration_s"`
	MBPerSecond     float64 `json:"mb_per_s"` // 10^6 bytes per second
	MiBPerSecond    float64 `json:"mib_per_s"`
	MsgPerSecond    float64 `json:"msg_per_s"`
}

// Latency is a histogram summary in microseconds.
type Latency struct {
	Count  int64   `json:"count"`
	Min    int64   `json:"min"`
	Mean   float64 `json:"mean"`
	P50    int64   `json:"p50"`
	P90    int64   `json:"p90"`
	P95    int64   `json:"p95"`
	P99    int64   `json:"p99"`
	P999   int64   `json:"p99_9"`
	P9999  int64   `json:"p99_99"`
	Max    int64   `json:"max"`
	Points []Point `json:"distribution,omitempty"`
}

// Point is one step of a latency distribution: Percentile of the samples
// took at most Micros.
type Point struct {
	Percentile float64 `json:"percentile"`
	Micros     int64   `json:"us"`
}

// Group is the merged result of one role.
type Group struct {
	Throughput
	Actors  int      `json:"actors"`
	Batches uint64   `json:"batches"`
	Send    *Latency `json:"send_latency,omitempty"`
	Poll    *Latency `json:"poll_latency,omitempty"`
}

// Actor is one actor's result.
type Actor struct {
	Role      string `json:"role"`
	ID        int    `json:"id"`
	Stream    string `json:"stream"`
	Partition int    `json:"partition"` // -1: balanced or chosen by the server
	Throughput
	Batches    uint64   `json:"batches"`
	EmptyPolls uint64   `json:"empty_polls"`
	Send       *Latency `json:"send_latency,omitempty"`
	Poll       *Latency `json:"poll_latency,omitempty"`
	EndToEnd   *Latency `json:"end_to_end_latency,omitempty"`
}

// TimeSlot is the traffic of one bucket of the timeline.
type TimeSlot struct {
	StartSeconds     float64 `json:"t_s"`
	ProducedMessages uint64  `json:"produced_messages"`
	ProducedBytes    uint64  `json:"produced_bytes"`
	ConsumedMessages uint64  `json:"consumed_messages"`
	ConsumedBytes    uint64  `json:"consumed_bytes"`
}

func buildReport(cfg Config, r *runner, actors []*actor, start, end time.Time) *Report {
	rep := &Report{Tool: "runnel-bench", Version: ReportVersion, Scenario: cfg.Scenario, StartedAt: start.UTC(),
		Machine: ReadMachine(), GoVersion: runtime.Version(), GitCommit: GitCommit(), Config: cfg, RunID: r.runID,
		SDK: "low-level (sdk/client)"}
	if cfg.HighLevel {
		rep.SDK = "high-level (sdk/producer, sdk/consumer)"
	}
	res := &rep.Results
	res.MessagesExpected = uint64(cfg.MessageBatches) * uint64(cfg.MessagesPerBatch) * uint64(cfg.producingActors())
	res.ReceivedExpected = r.receivedExpected()
	send, poll, e2e := newLatencyHistogram(), newLatencyHistogram(), newLatencyHistogram()
	var prod, cons []*actorStats
	for _, a := range actors {
		s := a.stats
		send.Merge(s.send)
		poll.Merge(s.poll)
		e2e.Merge(s.endToEnd)
		res.Actors = append(res.Actors, actorResult(s))
		if a.plan.role == roleConsumer {
			cons = append(cons, s)
			res.MessagesReceived += s.messages
		} else {
			prod = append(prod, s)
			res.MessagesSent += s.messages
			if a.plan.role == roleProducingConsumer {
				res.MessagesReceived += s.messages
			}
		}
	}
	res.Producers = groupResult(prod, start, false)
	res.Consumers = groupResult(cons, start, true)
	var all uint64
	var msgs uint64
	for _, a := range actors {
		all += a.stats.bytes
		msgs += a.stats.messages
	}
	res.Total = throughput(msgs, all, end.Sub(start))
	if e2e.TotalCount() > 0 {
		res.EndToEnd = summarize(e2e, true)
	}
	switch {
	case cfg.Scenario.concurrent():
		res.LatencyKind, res.Latency = "end_to_end", res.EndToEnd
	case cfg.Scenario.hasProducers():
		res.LatencyKind, res.Latency = "send", summarize(send, true)
	default:
		res.LatencyKind, res.Latency = "poll", summarize(poll, true)
	}
	res.Timeline = timeline(actors, cfg.BucketWidth)
	return rep
}

// receivedExpected is what the consumers must read: each pinned
// consumer its partition, each group its stream, the producing consumer
// its own messages.
func (r *runner) receivedExpected() uint64 {
	var n uint64
	seen := map[string]bool{}
	for _, p := range r.actors {
		switch {
		case p.role == roleProducingConsumer:
			n += uint64(p.batches) * uint64(r.cfg.MessagesPerBatch)
		case p.role != roleConsumer:
		case p.quota.shared == nil:
			n += p.quota.expected
		case !seen[p.t.streamName]:
			seen[p.t.streamName] = true
			n += p.quota.expected
		}
	}
	return n
}

func throughput(msgs, bytes uint64, d time.Duration) Throughput {
	t := Throughput{Messages: msgs, Bytes: bytes, DurationSeconds: d.Seconds()}
	if s := d.Seconds(); s > 0 {
		t.MBPerSecond = float64(bytes) / 1e6 / s
		t.MiBPerSecond = float64(bytes) / (1 << 20) / s
		t.MsgPerSecond = float64(msgs) / s
	}
	return t
}

func actorResult(s *actorStats) Actor {
	a := Actor{Role: s.role, ID: s.id, Stream: s.stream, Partition: s.partition,
		Throughput: throughput(s.messages, s.bytes, s.end.Sub(s.start)), Batches: s.batches, EmptyPolls: s.emptyPolls}
	a.Send = summarize(s.send, false)
	a.Poll = summarize(s.poll, false)
	a.EndToEnd = summarize(s.endToEnd, false)
	return a
}

// groupResult merges one role's actors; its duration runs from the common
// start to the last actor's end.
func groupResult(ss []*actorStats, start time.Time, consumers bool) *Group {
	if len(ss) == 0 {
		return nil
	}
	send, poll := newLatencyHistogram(), newLatencyHistogram()
	g := &Group{Actors: len(ss)}
	var end time.Time
	for _, s := range ss {
		g.Messages += s.messages
		g.Bytes += s.bytes
		g.Batches += s.batches
		send.Merge(s.send)
		poll.Merge(s.poll)
		if s.end.After(end) {
			end = s.end
		}
	}
	g.Throughput = throughput(g.Messages, g.Bytes, end.Sub(start))
	g.Send = summarize(send, true)
	g.Poll = summarize(poll, true)
	if consumers {
		g.Send = nil
	}
	return g
}

// summarize turns h into percentiles, with the distribution curve when
// withPoints; nil when h is empty.
func summarize(h *hdrhistogram.Histogram, withPoints bool) *Latency {
	if h.TotalCount() == 0 {
		return nil
	}
	l := &Latency{Count: h.TotalCount(), Min: h.Min(), Mean: h.Mean(), P50: h.ValueAtQuantile(50),
		P90: h.ValueAtQuantile(90), P95: h.ValueAtQuantile(95), P99: h.ValueAtQuantile(99),
		P999: h.ValueAtQuantile(99.9), P9999: h.ValueAtQuantile(99.99), Max: h.Max()}
	if withPoints {
		for _, b := range h.CumulativeDistributionWithTicks(5) {
			l.Points = append(l.Points, Point{Percentile: b.Quantile, Micros: b.ValueAt})
		}
	}
	return l
}

func timeline(actors []*actor, width time.Duration) []TimeSlot {
	var slots []TimeSlot
	grow := func(n int) {
		for len(slots) < n {
			slots = append(slots, TimeSlot{StartSeconds: (time.Duration(len(slots)) * width).Seconds()})
		}
	}
	for _, a := range actors {
		grow(len(a.stats.timeline))
		for i, b := range a.stats.timeline {
			if a.plan.role == roleConsumer {
				slots[i].ConsumedMessages += b.Messages
				slots[i].ConsumedBytes += b.Bytes
			} else {
				slots[i].ProducedMessages += b.Messages
				slots[i].ProducedBytes += b.Bytes
			}
		}
	}
	return slots
}

// WriteReports writes rep to dir/report.json and dir/report.html,
// creating dir.
func WriteReports(dir string, rep *Report) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("benchrun: output directory: %w", err)
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return fmt.Errorf("benchrun: encode report: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "report.json"), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("benchrun: write report: %w", err)
	}
	cfg, err := json.MarshalIndent(rep.Config, "", "  ")
	if err != nil {
		return fmt.Errorf("benchrun: encode config: %w", err)
	}
	return WriteHTML(dir, rep, string(cfg))
}

// ReadMachine describes this machine from /proc (empty fields elsewhere).
func ReadMachine() Machine {
	m := Machine{Cores: runtime.NumCPU(), OS: runtime.GOOS, Arch: runtime.GOARCH}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		m.CPUModel = procField(string(b), "model name")
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb uint64
		if _, err := fmt.Sscan(strings.TrimSuffix(procField(string(b), "MemTotal"), " kB"), &kb); err == nil {
			m.MemoryBytes = kb << 10
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	return m
}

// procField returns the value of the first "key : value" line of a /proc file.
func procField(text, key string) string {
	for line := range strings.Lines(text) {
		k, v, ok := strings.Cut(line, ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// GitCommit is the VCS revision the binary was built from, or "unknown"
// (e.g. built with -buildvcs=false or by go run).
func GitCommit() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	rev, dirty := "", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "unknown"
	}
	if dirty {
		rev += "-dirty"
	}
	return rev
}
