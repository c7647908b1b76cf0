// Package benchrun is the engine behind bin/runnel-bench: it plans a
// scenario (who produces and who consumes which stream and partition),
// creates its own streams, runs the actors over the low-level client or
// the high-level producer and consumer, records per-batch latency in HDR
// histograms and throughput in fixed time buckets, and writes the result as
// report.json and a self-contained report.html.
//
// The counts are exact by construction: every consumer knows how many
// messages its producers wrote for it, so a run that loses or duplicates a
// message ends with a mismatch instead of a plausible number.
package benchrun
