package benchrun

import (
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Latency histogram range: 1 µs to 10 minutes at 3 significant digits.
const (
	latencyMicrosMin = 1
	latencyMicrosMax = int64(10 * time.Minute / time.Microsecond)
	latencySigFigs   = 3
	// bucketsMax bounds one actor's timeline (30 min at 100 ms is 18,000).
	bucketsMax = 1 << 20
)

func newLatencyHistogram() *hdrhistogram.Histogram {
	return hdrhistogram.New(latencyMicrosMin, latencyMicrosMax, latencySigFigs)
}

// recordMicros records d, clamped into the histogram's range: a slower
// request is still counted (as the maximum) rather than dropped.
func recordMicros(h *hdrhistogram.Histogram, d time.Duration) {
	us := min(max(d.Microseconds(), latencyMicrosMin), latencyMicrosMax)
	_ = h.RecordValue(us) // in range by construction
}

// bucket is the traffic of one time slot of the timeline.
type bucket struct {
	Messages uint64
	Bytes    uint64
}

// actorStats is what one actor measured. Only its own goroutine writes it.
type actorStats struct {
	role      string
	id        int
	stream    string
	partition int // -1: balanced or chosen by the server

	messages, bytes, batches uint64
	emptyPolls               uint64
	start, end               time.Time

	send, poll, endToEnd *hdrhistogram.Histogram

	runStart    time.Time
	bucketWidth time.Duration
	timeline    []bucket
}

func newActorStats(role string, id int, runStart time.Time, width time.Duration) *actorStats {
	return &actorStats{role: role, id: id, partition: -1, send: newLatencyHistogram(),
		poll: newLatencyHistogram(), endToEnd: newLatencyHistogram(), runStart: runStart, bucketWidth: width}
}

// account adds one batch finished at now to the totals and the timeline.
func (a *actorStats) account(now time.Time, messages, bytes uint64) {
	a.messages += messages
	a.bytes += bytes
	a.batches++
	a.end = now
	i := int(now.Sub(a.runStart) / a.bucketWidth)
	if i < 0 || i >= bucketsMax {
		return
	}
	for len(a.timeline) <= i {
		a.timeline = append(a.timeline, bucket{})
	}
	a.timeline[i].Messages += messages
	a.timeline[i].Bytes += bytes
}
