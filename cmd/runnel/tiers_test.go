package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/runnel-io/runnel/internal/testserver"
	"github.com/runnel-io/runnel/sdk/client"
	"github.com/runnel-io/runnel/sdk/wire"
)

// tiersRow is one element of `partition tiers -o json`.
type tiersRow struct {
	PartitionID uint32      `json:"partition_id"`
	NextOffset  uint64      `json:"next_offset"`
	Memory      *tiersSpan  `json:"memory"`
	Local       *tiersSpan  `json:"local"`
	Archive     []tiersSpan `json:"archive"`
	MemoryOn    bool        `json:"memory_enabled"`
	ArchiveOn   bool        `json:"archive_enabled"`
}

type tiersSpan struct {
	First    uint64 `json:"first"`
	Last     uint64 `json:"last"`
	Messages uint64 `json:"messages"`
}

func decodeTiers(t *testing.T, out string) []tiersRow {
	t.Helper()
	var rows []tiersRow
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("partition tiers -o json: %v\n%s", err, out)
	}
	return rows
}

// tableRows splits a printed table into its cells (tabwriter puts two or
// more spaces between them), header first.
func tableRows(out string) [][]string {
	var rows [][]string
	for _, line := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		var cells []string
		for _, c := range strings.Split(line, "  ") {
			if c = strings.TrimSpace(c); c != "" {
				cells = append(cells, c)
			}
		}
		rows = append(rows, cells)
	}
	return rows
}

// TestPartitionTiersLocal: without an archive or a memory cache the table
// shows each partition's local range, "-" for an empty one and "off" for
// the tiers the server does not run; JSON says the same; errors and
// permissions are those of GetTopic.
func TestPartitionTiersLocal(t *testing.T) {
	s := startServer(t)
	c := newCLI(t, s).asRoot()
	setupTopic(t, c)
	c.ok("topic", "create", "orders", "two", "--partitions", "2")
	c.ok("message", "send", "orders", "two", "--partition", "0", "a", "b", "c")

	rows := tableRows(c.ok("partition", "tiers", "orders", "two"))
	want := [][]string{
		{"PARTITION", "MEMORY", "LOCAL", "ARCHIVE", "NEXT OFFSET"},
		{"0", "off", "0..2", "off", "3"},
		{"1", "off", "-", "off", "0"},
	}
	if !equalRows(rows, want) {
		t.Errorf("table:\n got %q\nwant %q", rows, want)
	}

	js := decodeTiers(t, c.ok("p", "tiers", "orders", "two", "--partition", "0", "-o", "json"))
	if len(js) != 1 || js[0].PartitionID != 0 || js[0].NextOffset != 3 || js[0].Local == nil ||
		*js[0].Local != (tiersSpan{First: 0, Last: 2, Messages: 3}) || js[0].Memory != nil ||
		js[0].Archive == nil || len(js[0].Archive) != 0 || js[0].MemoryOn || js[0].ArchiveOn {
		t.Errorf("json for partition 0: %+v", js)
	}
	if js := decodeTiers(t, c.ok("p", "tiers", "orders", "two", "-P", "1", "-o", "json")); len(js) != 1 ||
		js[0].PartitionID != 1 || js[0].Local != nil {
		t.Errorf("json for partition 1: %+v", js)
	}

	c.fails(exitServer, []string{"PartitionNotFound"}, "partition", "tiers", "orders", "two", "--partition", "2")
	c.fails(exitServer, []string{"TopicIdNotFound"}, "partition", "tiers", "orders", "nope")
	c.fails(exitServer, []string{"StreamIdNotFound"}, "partition", "tiers", "nope", "two")
	c.fails(exitUsage, []string{"raw"}, "partition", "tiers", "orders", "two", "-o", "raw")

	c.ok("user", "create", "bob", "secret1")
	bob := newCLI(t, s)
	bob.env = []string{"RUNNEL_CLI_USERNAME=bob", "RUNNEL_CLI_PASSWORD=secret1"}
	bob.fails(exitServer, []string{"Unauthorized"}, "partition", "tiers", "orders", "two")
	c.ok("user", "permissions", "bob", "--global", "read_topics")
	bob.ok("partition", "tiers", "orders", "two")
}

func equalRows(got, want [][]string) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if strings.Join(got[i], "|") != strings.Join(want[i], "|") {
			return false
		}
	}
	return true
}

// TestPartitionTiersArchive: with a disk archiver, 1 MiB segments and only
// the active segment kept locally, sealed segments move to the archive and
// the CLI shows them there: one archive run from offset 0 that the local
// range continues without a gap, and the memory cache holding the newest
// offsets.
func TestPartitionTiersArchive(t *testing.T) {
	archiveDir := t.TempDir()
	cfgFile := filepath.Join(t.TempDir(), "runnel.toml")
	cfg := "[[archivers]]\nname = \"cold\"\ntype = \"disk\"\n[archivers.config]\npath = \"" + archiveDir + "\"\n"
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	s := testserver.StartArgs(t, bins.server, []string{"--config", cfgFile},
		"RUNNEL_SYSTEM_SEGMENT_SIZE=1MiB", "RUNNEL_SYSTEM_ARCHIVE_INTERVAL=50ms", "RUNNEL_SYSTEM_PARTITION_FSYNC=never",
		"RUNNEL_SYSTEM_TIERING_LOCAL_ACTIVE_ONLY=true", "RUNNEL_SYSTEM_TIERING_MEMORY_CACHE_SIZE=256KiB")
	c := newCLI(t, s).asRoot()
	setupTopic(t, c)

	// 800 messages of 4 KB: about 3.2 MB, so at least two sealed segments.
	const messages = 800
	line := strings.Repeat("x", 4000) + "\n"
	file := filepath.Join(t.TempDir(), "in.txt")
	if err := os.WriteFile(file, []byte(strings.Repeat(line, messages)), 0o600); err != nil {
		t.Fatal(err)
	}
	c.ok("message", "send", "orders", "events", "--file", file, "--partition", "0")

	ctx := context.Background()
	cl, err := client.Open(ctx, s.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	testserver.Eventually(t, "sealed segments archived and removed locally", func() bool {
		ps, err := cl.GetPartitionTiers(ctx, wire.NamedID("orders"), wire.NamedID("events"), wire.Partition(0))
		if err != nil {
			t.Fatal(err)
		}
		return len(ps) == 1 && len(ps[0].Archive) > 0 && ps[0].Local.First > 0 && ps[0].Local.First == ps[0].Archive[0].Next
	})

	js := decodeTiers(t, c.ok("partition", "tiers", "orders", "events", "-o", "json"))
	if len(js) != 1 {
		t.Fatalf("json: %+v", js)
	}
	p := js[0]
	if !p.MemoryOn || !p.ArchiveOn || p.NextOffset != messages || len(p.Archive) != 1 || p.Archive[0].First != 0 ||
		p.Local == nil || p.Local.First != p.Archive[0].Last+1 || p.Local.Last != messages-1 {
		t.Fatalf("json: %+v", p)
	}
	if p.Memory == nil || p.Memory.Last != messages-1 || p.Memory.First < p.Local.First {
		t.Errorf("memory tier %+v, local %+v", p.Memory, p.Local)
	}

	rows := tableRows(c.ok("partition", "tiers", "orders", "events"))
	want := []string{"0", u64(p.Memory.First) + ".." + u64(messages-1), u64(p.Local.First) + ".." + u64(messages-1),
		"0.." + u64(p.Archive[0].Last), u64(messages)}
	if len(rows) != 2 || strings.Join(rows[1], "|") != strings.Join(want, "|") {
		t.Errorf("table %q, want row %q", rows, want)
	}
}
