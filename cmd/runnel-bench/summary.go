package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/runnel-io/runnel/internal/benchrun"
)

// printSummary writes the human-readable result: totals per role and
// latency percentiles.
func printSummary(w io.Writer, rep *benchrun.Report) {
	res := rep.Results
	fmt.Fprintf(w, "%s, %s, fsync %s, %d×%d-%d B messages per batch\n", rep.Scenario, rep.SDK, rep.Config.Fsync,
		rep.Config.MessagesPerBatch, rep.Config.MessageSizeMinBytes, rep.Config.MessageSizeMaxBytes)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "what\tactors\tmessages\tMB/s\tmsg/s\tp50 µs\tp90\tp95\tp99\tp99.9\tp99.99\tmax\t")
	row := func(name string, actors int, t benchrun.Throughput, l *benchrun.Latency) {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.1f\t%.0f\t", name, actors, t.Messages, t.MBPerSecond, t.MsgPerSecond)
		if l == nil {
			fmt.Fprintln(tw, "\t\t\t\t\t\t\t")
			return
		}
		fmt.Fprintf(tw, "%d\t%d\t%d\t%d\t%d\t%d\t%d\t\n", l.P50, l.P90, l.P95, l.P99, l.P999, l.P9999, l.Max)
	}
	if g := res.Producers; g != nil {
		row("producers (send)", g.Actors, g.Throughput, g.Send)
		if g.Poll != nil {
			row("producers (poll)", g.Actors, g.Throughput, g.Poll)
		}
	}
	if g := res.Consumers; g != nil {
		row("consumers (poll)", g.Actors, g.Throughput, g.Poll)
	}
	if res.EndToEnd != nil {
		// End-to-end latency belongs to what was received.
		if g := res.Consumers; g != nil {
			row("end-to-end", g.Actors, g.Throughput, res.EndToEnd)
		} else {
			row("end-to-end", len(res.Actors), res.Total, res.EndToEnd)
		}
	}
	row("total ("+res.LatencyKind+")", len(res.Actors), res.Total, res.Latency)
	_ = tw.Flush()
	fmt.Fprintf(w, "messages: expected %d, sent %d, received %d (expected %d)\n", res.MessagesExpected,
		res.MessagesSent, res.MessagesReceived, res.ReceivedExpected)
}
