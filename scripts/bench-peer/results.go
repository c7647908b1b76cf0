package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/runnel-io/runnel/internal/benchrun"
)

type results struct {
	GeneratedAt time.Time        `json:"generated_at"`
	Machine     benchrun.Machine `json:"machine"`
	GoVersion   string           `json:"go_version"`
	NATS        string           `json:"nats_versions"`
	Notes       []string         `json:"notes"`
	Rows        []row            `json:"rows"`
}

func notes() []string {
	return []string{
		"Messages are 1 KiB (1024 B payload), sent in batches of 1,000 and read 1,000 per poll; MB = 10^6 bytes.",
		"Runnel: bin/runnel-bench, pinned scenarios, all producers on one stream with one partition (one log, like one JetStream stream); each run starts its own runnel-server on a fresh data directory. Low-level SDK (sdk/client), one request in flight per connection.",
		"NATS: `nats bench js pub async --batch=1000` (1,000 publishes in flight, then wait for their acks) and `nats bench js consume --batch=1000` (durable pull consumer with explicit acks), file storage, R1.",
		"no fsync: Runnel system.partition.fsync=never, NATS default (sync_interval 2 min). fsync per batch: Runnel fsync=always (fsync before the ack, shared by concurrent producers), NATS sync_interval: always.",
		"p99 is per batch: Runnel send request to ack (publish) or poll request to response (consume); NATS publish latency per batch of 1,000 as printed by nats bench; nats bench prints none for consume.",
		"Client and server share the same 2 cores.",
	}
}

func writeResults(o options, rows []row, stdout io.Writer) error {
	res := results{GeneratedAt: time.Now().UTC(), Machine: benchrun.ReadMachine(), GoVersion: runtime.Version(),
		NATS: fmt.Sprintf("nats-server %s, natscli %s", o.natsServerVersion, o.natsCLIVersion), Notes: notes(),
		Rows: rows}
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(o.out, "peer.json"), append(b, '\n'), 0o644); err != nil {
		return err
	}
	md := markdown(res)
	if err := os.WriteFile(filepath.Join(o.out, "peer.md"), []byte(md), 0o644); err != nil {
		return err
	}
	_, err = io.WriteString(stdout, md)
	return err
}

func markdown(res results) string {
	var b strings.Builder
	m := res.Machine
	fmt.Fprintf(&b, "## Runnel vs NATS JetStream\n\n")
	fmt.Fprintf(&b, "%s; %s, %d cores, %.1f GiB, kernel %s; %s; %s.\n\n", res.GeneratedAt.Format("2006-01-02"),
		m.CPUModel, m.Cores, float64(m.MemoryBytes)/(1<<30), m.Kernel, res.GoVersion, res.NATS)
	b.WriteString("| durability | shape | messages | Runnel MB/s | NATS MB/s | ratio | Runnel p99 µs | NATS p99 µs | p99 ratio |\n")
	b.WriteString("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	for _, r := range res.Rows {
		if r.NATS.Error != "" {
			fmt.Fprintf(&b, "| %s | %s | %d | %.1f | failed | – | %s | – | – |\n", r.Durability, r.Shape, r.Messages,
				r.Runnel.MBPerSecond, micros(r.Runnel.P99Micros))
			continue
		}
		fmt.Fprintf(&b, "| %s | %s | %d | %.1f | %.1f | %.2f× | %s | %s | %s |\n", r.Durability, r.Shape, r.Messages,
			r.Runnel.MBPerSecond, r.NATS.MBPerSecond, r.RatioMB, micros(r.Runnel.P99Micros), micros(r.NATS.P99Micros),
			ratio(r.RatioP99))
	}
	if len(res.Rows) > 0 && len(res.Rows[0].Runnel.Samples) > 1 {
		fmt.Fprintf(&b, "\nMedian of %d rounds per shape (Runnel and NATS alternating); every round's MB/s is in peer.json.\n",
			len(res.Rows[0].Runnel.Samples))
	}
	b.WriteString("\nratio = Runnel MB/s ÷ NATS MB/s; p99 ratio = NATS p99 ÷ Runnel p99 (above 1: Runnel's p99 is lower).\n\n")
	for _, n := range res.Notes {
		fmt.Fprintf(&b, "- %s\n", n)
	}
	b.WriteString("\nCommands:\n\n```\n")
	for _, r := range res.Rows {
		fmt.Fprintf(&b, "%s\n%s\n", r.Runnel.Command, r.NATS.Command)
	}
	b.WriteString("```\n")
	return b.String()
}

func micros(v *int64) string {
	if v == nil {
		return "–"
	}
	return fmt.Sprintf("%d", *v)
}

func ratio(v float64) string {
	if v == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f×", v)
}
