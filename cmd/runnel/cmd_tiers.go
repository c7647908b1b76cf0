package main

import (
	"io"
	"strings"

	"github.com/runnel-io/runnel/sdk/client"
	"github.com/runnel-io/runnel/sdk/wire"
	"github.com/spf13/cobra"
)

// partitionTiersCommand is `partition tiers STREAM TOPIC [--partition N]`:
// which offsets of each partition are in memory, on local disk and in the
// archive (Runnel servers only).
func (a *app) partitionTiersCommand() *cobra.Command {
	var partition uint32
	cmd := leaf("tiers STREAM TOPIC", "Show which offsets of each partition are in memory, on local disk and archived", 2,
		func(cmd *cobra.Command, args []string) error {
			ids, err := parseIDs(args...)
			if err != nil {
				return err
			}
			var p wire.OptionalPartitionID
			if cmd.Flags().Changed("partition") {
				p = wire.Partition(partition)
			}
			return a.withClient(cmd.Context(), func(c *client.Client) error {
				ps, err := c.GetPartitionTiers(cmd.Context(), ids[0], ids[1], p)
				if err != nil {
					return err
				}
				return a.show(tiersJSON(ps), func(w io.Writer) error { return printTiers(w, ps) })
			})
		})
	cmd.Long = `Show, per partition, which offsets each storage tier holds: memory (recent
batches cached by the server), local (segments on the server's disk) and
archive (runs of offsets copied to the archivers). Ranges are inclusive,
first..last; "-" is an empty tier, "off" a tier the server does not run.
A message can be in several tiers at once. Runnel servers only: an Iggy
server answers InvalidCommand.`
	cmd.Flags().Uint32VarP(&partition, "partition", "P", 0, "only this partition id")
	return cmd
}

// tierSpan is one range in JSON: inclusive, with its message count.
type tierSpan struct {
	First    uint64
	Last     uint64
	Messages uint64
}

// partitionTiersJSON is one element of `partition tiers -o json`. Memory
// and Local are null when empty; Archive is always a list.
type partitionTiersJSON struct {
	PartitionID    uint32
	NextOffset     uint64
	Memory         *tierSpan
	Local          *tierSpan
	Archive        []tierSpan
	MemoryEnabled  bool
	ArchiveEnabled bool
}

func spanOf(r wire.TierRange) *tierSpan {
	if r.Empty() {
		return nil
	}
	return &tierSpan{First: r.First, Last: r.Last(), Messages: r.Next - r.First}
}

func tiersJSON(ps []wire.PartitionTiers) []partitionTiersJSON {
	out := make([]partitionTiersJSON, len(ps))
	for i, p := range ps {
		out[i] = partitionTiersJSON{PartitionID: p.PartitionID, NextOffset: p.NextOffset,
			Memory: spanOf(p.Memory), Local: spanOf(p.Local), Archive: []tierSpan{},
			MemoryEnabled: p.Tiers&wire.TierMemory != 0, ArchiveEnabled: p.Tiers&wire.TierArchive != 0}
		for _, r := range p.Archive {
			out[i].Archive = append(out[i].Archive, *spanOf(r))
		}
	}
	return out
}

func printTiers(w io.Writer, ps []wire.PartitionTiers) error {
	rows := make([][]string, len(ps))
	for i, p := range ps {
		memory, archive := "off", "off"
		if p.Tiers&wire.TierMemory != 0 {
			memory = rangeText(p.Memory)
		}
		if p.Tiers&wire.TierArchive != 0 {
			runs := make([]string, len(p.Archive))
			for j, r := range p.Archive {
				runs[j] = rangeText(r)
			}
			archive = strings.Join(runs, ", ")
			if archive == "" {
				archive = "-"
			}
		}
		rows[i] = []string{u32(p.PartitionID), memory, rangeText(p.Local), archive, u64(p.NextOffset)}
	}
	return printTable(w, []string{"PARTITION", "MEMORY", "LOCAL", "ARCHIVE", "NEXT OFFSET"}, rows)
}

// rangeText shows a range as inclusive first..last, "-" when empty.
func rangeText(r wire.TierRange) string {
	if r.Empty() {
		return "-"
	}
	return u64(r.First) + ".." + u64(r.Last())
}
