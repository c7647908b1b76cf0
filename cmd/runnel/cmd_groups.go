package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/runnel-io/runnel/sdk/client"
	"github.com/runnel-io/runnel/sdk/wire"
	"github.com/spf13/cobra"
)

func (a *app) consumerGroupCommand() *cobra.Command {
	create := leaf("create STREAM TOPIC NAME", "Create a consumer group", 3, func(cmd *cobra.Command, args []string) error {
		ids, err := parseIDs(args[:2]...)
		if err != nil {
			return err
		}
		return a.withClient(cmd.Context(), func(c *client.Client) error {
			g, err := c.CreateConsumerGroup(cmd.Context(), ids[0], ids[1], args[2])
			if err != nil {
				return err
			}
			return a.done(fmt.Sprintf("created consumer group %d %q", g.ID, g.Name), map[string]any{"id": g.ID, "name": g.Name})
		})
	})
	get := leaf("get STREAM TOPIC GROUP", "Show a consumer group and its members", 3, func(cmd *cobra.Command, args []string) error {
		ids, err := parseIDs(args...)
		if err != nil {
			return err
		}
		return a.withClient(cmd.Context(), func(c *client.Client) error {
			g, err := c.GetConsumerGroup(cmd.Context(), ids[0], ids[1], ids[2])
			if err != nil {
				return err
			}
			return a.show(g, func(w io.Writer) error {
				if err := printFields(w, [][2]string{{"Id", u32(g.ID)}, {"Name", g.Name},
					{"Partitions", u32(g.PartitionsCount)}, {"Members", u32(g.MembersCount)}}); err != nil {
					return err
				}
				fmt.Fprintln(w)
				rows := make([][]string, len(g.Members))
				for i, m := range g.Members {
					ps := make([]string, len(m.Partitions))
					for j, p := range m.Partitions {
						ps[j] = u32(p)
					}
					rows[i] = []string{u32(m.ID), strings.Join(ps, ",")}
				}
				return printTable(w, []string{"MEMBER", "PARTITIONS"}, rows)
			})
		})
	})
	list := leaf("list STREAM TOPIC", "List a topic's consumer groups", 2, func(cmd *cobra.Command, args []string) error {
		ids, err := parseIDs(args...)
		if err != nil {
			return err
		}
		return a.withClient(cmd.Context(), func(c *client.Client) error {
			// GetConsumerGroups answers an empty list for a missing topic.
			if _, err := c.GetTopic(cmd.Context(), ids[0], ids[1]); err != nil {
				return err
			}
			gs, err := c.GetConsumerGroups(cmd.Context(), ids[0], ids[1])
			if err != nil {
				return err
			}
			return a.show(gs, func(w io.Writer) error {
				rows := make([][]string, len(gs))
				for i, g := range gs {
					rows[i] = []string{u32(g.ID), g.Name, u32(g.PartitionsCount), u32(g.MembersCount)}
				}
				return printTable(w, []string{"ID", "NAME", "PARTITIONS", "MEMBERS"}, rows)
			})
		})
	})
	del := leaf("delete STREAM TOPIC GROUP", "Delete a consumer group and its offsets", 3, func(cmd *cobra.Command, args []string) error {
		ids, err := parseIDs(args...)
		if err != nil {
			return err
		}
		return a.withClient(cmd.Context(), func(c *client.Client) error {
			if err := c.DeleteConsumerGroup(cmd.Context(), ids[0], ids[1], ids[2]); err != nil {
				return err
			}
			return a.done(fmt.Sprintf("deleted consumer group %s", args[2]), nil)
		})
	})
	return group("consumer-group", "Manage consumer groups", []string{"cg"}, create, get, list, del)
}

// offsetTarget is the parsed CONSUMER STREAM TOPIC PARTITION arguments.
type offsetTarget struct {
	consumer      wire.Consumer
	stream, topic wire.Identifier
	partition     wire.OptionalPartitionID
}

func parseOffsetTarget(kind string, args []string) (offsetTarget, error) {
	ids, err := parseIDs(args[:3]...)
	if err != nil {
		return offsetTarget{}, err
	}
	pid, err := parseU32("partition", args[3])
	if err != nil {
		return offsetTarget{}, err
	}
	t := offsetTarget{stream: ids[1], topic: ids[2], partition: wire.Partition(pid)}
	switch kind {
	case "consumer":
		t.consumer = wire.SingleConsumer(ids[0])
	case "consumer-group", "group":
		t.consumer = wire.GroupConsumer(ids[0])
	default:
		return offsetTarget{}, usagef("--kind %q: want consumer or consumer-group", kind)
	}
	return t, nil
}

func (a *app) consumerOffsetCommand() *cobra.Command {
	var kind string
	withTarget := func(nargs int, use, short string, fn func(*cobra.Command, *client.Client, offsetTarget, []string) error) *cobra.Command {
		cmd := leaf(use, short, nargs, func(cmd *cobra.Command, args []string) error {
			t, err := parseOffsetTarget(kind, args)
			if err != nil {
				return err
			}
			return a.withClient(cmd.Context(), func(c *client.Client) error {
				if t.consumer.Kind == wire.ConsumerGroup {
					// Group offsets belong to members: join for this connection.
					if err := c.JoinConsumerGroup(cmd.Context(), t.stream, t.topic, t.consumer.ID); err != nil {
						return err
					}
				}
				return fn(cmd, c, t, args)
			})
		})
		cmd.Flags().StringVar(&kind, "kind", "consumer", "consumer kind: consumer or consumer-group")
		return cmd
	}
	get := withTarget(4, "get CONSUMER STREAM TOPIC PARTITION", "Show a consumer's stored offset",
		func(cmd *cobra.Command, c *client.Client, t offsetTarget, _ []string) error {
			o, err := c.GetConsumerOffset(cmd.Context(), t.consumer, t.stream, t.topic, t.partition)
			if err != nil {
				return err
			}
			return a.show(o, func(w io.Writer) error {
				return printFields(w, [][2]string{{"Partition", u32(o.PartitionID)},
					{"Current offset", u64(o.CurrentOffset)}, {"Stored offset", u64(o.StoredOffset)}})
			})
		})
	set := withTarget(5, "set CONSUMER STREAM TOPIC PARTITION OFFSET", "Store a consumer's offset",
		func(cmd *cobra.Command, c *client.Client, t offsetTarget, args []string) error {
			off, err := parseU64("offset", args[4])
			if err != nil {
				return err
			}
			if err := c.StoreConsumerOffset(cmd.Context(), t.consumer, t.stream, t.topic, t.partition, off); err != nil {
				return err
			}
			return a.done(fmt.Sprintf("stored offset %d for consumer %s", off, args[0]), map[string]any{"offset": off})
		})
	del := withTarget(4, "delete CONSUMER STREAM TOPIC PARTITION", "Delete a consumer's stored offset",
		func(cmd *cobra.Command, c *client.Client, t offsetTarget, args []string) error {
			if err := c.DeleteConsumerOffset(cmd.Context(), t.consumer, t.stream, t.topic, t.partition); err != nil {
				return err
			}
			return a.done(fmt.Sprintf("deleted offset of consumer %s", args[0]), nil)
		})
	return group("consumer-offset", "Read and store consumer offsets", []string{"co"}, get, set, del)
}
