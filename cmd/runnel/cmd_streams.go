package main

import (
	"fmt"
	"io"

	"github.com/runnel-io/runnel/sdk/client"
	"github.com/runnel-io/runnel/sdk/wire"
	"github.com/spf13/cobra"
)

func (a *app) streamCommand() *cobra.Command {
	create := leaf("create NAME", "Create a stream", 1, func(cmd *cobra.Command, args []string) error {
		return a.withClient(cmd.Context(), func(c *client.Client) error {
			s, err := c.CreateStream(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return a.done(fmt.Sprintf("created stream %d %q", s.ID, s.Name), map[string]any{"id": s.ID, "name": s.Name})
		})
	})
	get := leaf("get STREAM", "Show a stream and its topics", 1, func(cmd *cobra.Command, args []string) error {
		ids, err := parseIDs(args...)
		if err != nil {
			return err
		}
		return a.withClient(cmd.Context(), func(c *client.Client) error {
			s, err := c.GetStream(cmd.Context(), ids[0])
			if err != nil {
				return err
			}
			return a.show(s, func(w io.Writer) error {
				if err := printFields(w, streamFields(s.StreamHeader)); err != nil {
					return err
				}
				fmt.Fprintln(w)
				return printTopics(w, s.Topics)
			})
		})
	})
	list := leaf("list", "List streams", 0, func(cmd *cobra.Command, _ []string) error {
		return a.withClient(cmd.Context(), func(c *client.Client) error {
			ss, err := c.GetStreams(cmd.Context())
			if err != nil {
				return err
			}
			return a.show(ss, func(w io.Writer) error {
				rows := make([][]string, len(ss))
				for i, s := range ss {
					rows[i] = []string{u32(s.ID), s.Name, u32(s.TopicsCount), u64(s.MessagesCount),
						bytesText(s.SizeBytes), micros(s.CreatedAtMicros)}
				}
				return printTable(w, []string{"ID", "NAME", "TOPICS", "MESSAGES", "SIZE", "CREATED"}, rows)
			})
		})
	})
	update := leaf("update STREAM NAME", "Rename a stream", 2, func(cmd *cobra.Command, args []string) error {
		ids, err := parseIDs(args[0])
		if err != nil {
			return err
		}
		return a.withClient(cmd.Context(), func(c *client.Client) error {
			if err := c.UpdateStream(cmd.Context(), ids[0], args[1]); err != nil {
				return err
			}
			return a.done(fmt.Sprintf("renamed stream %s to %q", args[0], args[1]), nil)
		})
	})
	del := a.streamAction("delete", "Delete a stream and everything in it", "deleted",
		func(c *client.Client, cmd *cobra.Command, id wire.Identifier) error {
			return c.DeleteStream(cmd.Context(), id)
		})
	purge := a.streamAction("purge", "Delete every message of a stream, keeping its topics", "purged",
		func(c *client.Client, cmd *cobra.Command, id wire.Identifier) error {
			return c.PurgeStream(cmd.Context(), id)
		})
	return group("stream", "Manage streams", []string{"s"}, create, get, list, update, del, purge)
}

func (a *app) streamAction(verb, short, past string, fn func(*client.Client, *cobra.Command, wire.Identifier) error) *cobra.Command {
	return leaf(verb+" STREAM", short, 1, func(cmd *cobra.Command, args []string) error {
		ids, err := parseIDs(args...)
		if err != nil {
			return err
		}
		return a.withClient(cmd.Context(), func(c *client.Client) error {
			if err := fn(c, cmd, ids[0]); err != nil {
				return err
			}
			return a.done(fmt.Sprintf("%s stream %s", past, args[0]), nil)
		})
	})
}

func streamFields(s wire.StreamHeader) [][2]string {
	return [][2]string{{"Id", u32(s.ID)}, {"Name", s.Name}, {"Topics", u32(s.TopicsCount)},
		{"Messages", u64(s.MessagesCount)}, {"Size", bytesText(s.SizeBytes)}, {"Created", micros(s.CreatedAtMicros)}}
}

func printTopics(w io.Writer, ts []wire.TopicHeader) error {
	rows := make([][]string, len(ts))
	for i, t := range ts {
		rows[i] = []string{u32(t.ID), t.Name, u32(t.PartitionsCount), u64(t.MessagesCount), bytesText(t.SizeBytes),
			expiryText(t.MessageExpiry), topicSizeText(t.MaxTopicSize), micros(t.CreatedAtMicros)}
	}
	return printTable(w, []string{"ID", "NAME", "PARTITIONS", "MESSAGES", "SIZE", "EXPIRY", "MAX SIZE", "CREATED"}, rows)
}

// topicSettings are the flags shared by topic create and update.
type topicSettings struct {
	compression, expiry, maxSize string
	replication                  uint8
}

func (t *topicSettings) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&t.compression, "compression", "none", "compression algorithm: none or gzip")
	cmd.Flags().StringVar(&t.expiry, "message-expiry", "default", "message expiry: default, never or a duration like 72h")
	cmd.Flags().StringVar(&t.maxSize, "max-size", "default", "topic size limit: default, unlimited or bytes like 10GiB")
	cmd.Flags().Uint8Var(&t.replication, "replication-factor", 1, "replication factor")
}

func parseCompression(s string) (uint8, error) {
	switch s {
	case "none":
		return wire.CompressionNone, nil
	case "gzip":
		return wire.CompressionGzip, nil
	}
	return 0, usagef("compression %q: want none or gzip", s)
}

func (a *app) topicCommand() *cobra.Command {
	var createSettings topicSettings
	var partitions uint32
	create := leaf("create STREAM NAME", "Create a topic", 2, func(cmd *cobra.Command, args []string) error {
		ids, err := parseIDs(args[0])
		if err != nil {
			return err
		}
		q := wire.CreateTopicRequest{StreamID: ids[0], PartitionsCount: partitions, Name: args[1],
			ReplicationFactor: createSettings.replication}
		if q.CompressionAlgorithm, err = parseCompression(createSettings.compression); err != nil {
			return err
		}
		if q.MessageExpiry, err = parseExpiry(createSettings.expiry); err != nil {
			return err
		}
		if q.MaxTopicSize, err = parseTopicSize(createSettings.maxSize); err != nil {
			return err
		}
		return a.withClient(cmd.Context(), func(c *client.Client) error {
			t, err := c.CreateTopic(cmd.Context(), q)
			if err != nil {
				return err
			}
			return a.done(fmt.Sprintf("created topic %d %q with %d partition(s) in stream %s", t.ID, t.Name,
				len(t.Partitions), args[0]), map[string]any{"id": t.ID, "name": t.Name, "partitions": len(t.Partitions)})
		})
	})
	createSettings.register(create)
	create.Flags().Uint32VarP(&partitions, "partitions", "n", 1, "number of partitions")

	get := leaf("get STREAM TOPIC", "Show a topic and its partitions", 2, func(cmd *cobra.Command, args []string) error {
		ids, err := parseIDs(args...)
		if err != nil {
			return err
		}
		return a.withClient(cmd.Context(), func(c *client.Client) error {
			t, err := c.GetTopic(cmd.Context(), ids[0], ids[1])
			if err != nil {
				return err
			}
			return a.show(t, func(w io.Writer) error { return printTopicDetails(w, t) })
		})
	})
	list := leaf("list STREAM", "List a stream's topics", 1, func(cmd *cobra.Command, args []string) error {
		ids, err := parseIDs(args...)
		if err != nil {
			return err
		}
		return a.withClient(cmd.Context(), func(c *client.Client) error {
			// GetTopics answers an empty list for a missing stream; GetStream
			// tells the user the stream does not exist.
			s, err := c.GetStream(cmd.Context(), ids[0])
			if err != nil {
				return err
			}
			return a.show(s.Topics, func(w io.Writer) error { return printTopics(w, s.Topics) })
		})
	})
	del := a.topicAction("delete", "Delete a topic and its data", "deleted",
		func(c *client.Client, cmd *cobra.Command, s, t wire.Identifier) error {
			return c.DeleteTopic(cmd.Context(), s, t)
		})
	purge := a.topicAction("purge", "Delete every message of a topic", "purged",
		func(c *client.Client, cmd *cobra.Command, s, t wire.Identifier) error {
			return c.PurgeTopic(cmd.Context(), s, t)
		})
	return group("topic", "Manage topics", []string{"t"}, create, get, list, a.topicUpdateCommand(), del, purge)
}

func printTopicDetails(w io.Writer, t wire.TopicDetails) error {
	comp := "none"
	if t.CompressionAlgorithm == wire.CompressionGzip {
		comp = "gzip"
	}
	if err := printFields(w, [][2]string{{"Id", u32(t.ID)}, {"Name", t.Name}, {"Partitions", u32(t.PartitionsCount)},
		{"Messages", u64(t.MessagesCount)}, {"Size", bytesText(t.SizeBytes)}, {"Message expiry", expiryText(t.MessageExpiry)},
		{"Max size", topicSizeText(t.MaxTopicSize)}, {"Compression", comp},
		{"Replication factor", fmt.Sprint(t.ReplicationFactor)}, {"Created", micros(t.CreatedAtMicros)}}); err != nil {
		return err
	}
	fmt.Fprintln(w)
	rows := make([][]string, len(t.Partitions))
	for i, p := range t.Partitions {
		rows[i] = []string{u32(p.ID), u32(p.SegmentsCount), u64(p.CurrentOffset), u64(p.MessagesCount),
			bytesText(p.SizeBytes), micros(p.CreatedAtMicros)}
	}
	return printTable(w, []string{"PARTITION", "SEGMENTS", "CURRENT OFFSET", "MESSAGES", "SIZE", "CREATED"}, rows)
}

func (a *app) topicUpdateCommand() *cobra.Command {
	var s topicSettings
	var name string
	cmd := leaf("update STREAM TOPIC", "Change a topic's name or settings (unset flags keep their value)", 2,
		func(cmd *cobra.Command, args []string) error {
			ids, err := parseIDs(args...)
			if err != nil {
				return err
			}
			return a.withClient(cmd.Context(), func(c *client.Client) error {
				t, err := c.GetTopic(cmd.Context(), ids[0], ids[1])
				if err != nil {
					return err
				}
				q := wire.UpdateTopicRequest{StreamID: ids[0], TopicID: ids[1], Name: t.Name,
					CompressionAlgorithm: t.CompressionAlgorithm, MessageExpiry: t.MessageExpiry,
					MaxTopicSize: t.MaxTopicSize, ReplicationFactor: t.ReplicationFactor}
				if err := s.apply(cmd, &q, name); err != nil {
					return err
				}
				if err := c.UpdateTopic(cmd.Context(), q); err != nil {
					return err
				}
				return a.done(fmt.Sprintf("updated topic %s in stream %s", args[1], args[0]), nil)
			})
		})
	s.register(cmd)
	cmd.Flags().StringVar(&name, "name", "", "new topic name")
	return cmd
}

// apply overwrites the fields of q whose flags the user set.
func (t *topicSettings) apply(cmd *cobra.Command, q *wire.UpdateTopicRequest, name string) error {
	var err error
	f := cmd.Flags()
	if f.Changed("name") {
		q.Name = name
	}
	if f.Changed("compression") {
		if q.CompressionAlgorithm, err = parseCompression(t.compression); err != nil {
			return err
		}
	}
	if f.Changed("message-expiry") {
		if q.MessageExpiry, err = parseExpiry(t.expiry); err != nil {
			return err
		}
	}
	if f.Changed("max-size") {
		if q.MaxTopicSize, err = parseTopicSize(t.maxSize); err != nil {
			return err
		}
	}
	if f.Changed("replication-factor") {
		q.ReplicationFactor = t.replication
	}
	return nil
}

func (a *app) topicAction(verb, short, past string, fn func(*client.Client, *cobra.Command, wire.Identifier, wire.Identifier) error) *cobra.Command {
	return leaf(verb+" STREAM TOPIC", short, 2, func(cmd *cobra.Command, args []string) error {
		ids, err := parseIDs(args...)
		if err != nil {
			return err
		}
		return a.withClient(cmd.Context(), func(c *client.Client) error {
			if err := fn(c, cmd, ids[0], ids[1]); err != nil {
				return err
			}
			return a.done(fmt.Sprintf("%s topic %s in stream %s", past, args[1], args[0]), nil)
		})
	})
}

func (a *app) partitionCommand() *cobra.Command {
	mk := func(verb, short string, fn func(*client.Client, *cobra.Command, wire.Identifier, wire.Identifier, uint32) error) *cobra.Command {
		return leaf(verb+" STREAM TOPIC COUNT", short, 3, func(cmd *cobra.Command, args []string) error {
			ids, err := parseIDs(args[:2]...)
			if err != nil {
				return err
			}
			n, err := parseU32("count", args[2])
			if err != nil {
				return err
			}
			return a.withClient(cmd.Context(), func(c *client.Client) error {
				if err := fn(c, cmd, ids[0], ids[1], n); err != nil {
					return err
				}
				return a.done(fmt.Sprintf("%sd %d partition(s) of topic %s in stream %s", verb, n, args[1], args[0]), nil)
			})
		})
	}
	create := mk("create", "Add partitions at the end of a topic",
		func(c *client.Client, cmd *cobra.Command, s, t wire.Identifier, n uint32) error {
			return c.CreatePartitions(cmd.Context(), s, t, n)
		})
	del := mk("delete", "Remove the last partitions of a topic and their data",
		func(c *client.Client, cmd *cobra.Command, s, t wire.Identifier, n uint32) error {
			return c.DeletePartitions(cmd.Context(), s, t, n)
		})
	return group("partition", "Manage partitions", []string{"p"}, create, del, a.partitionTiersCommand())
}

func (a *app) segmentCommand() *cobra.Command {
	del := leaf("delete STREAM TOPIC PARTITION COUNT", "Delete the oldest sealed segments of a partition", 4,
		func(cmd *cobra.Command, args []string) error {
			ids, err := parseIDs(args[:2]...)
			if err != nil {
				return err
			}
			pid, err := parseU32("partition", args[2])
			if err != nil {
				return err
			}
			n, err := parseU32("count", args[3])
			if err != nil {
				return err
			}
			return a.withClient(cmd.Context(), func(c *client.Client) error {
				if err := c.DeleteSegments(cmd.Context(), ids[0], ids[1], pid, n); err != nil {
					return err
				}
				return a.done(fmt.Sprintf("deleted up to %d segment(s) of partition %d", n, pid), nil)
			})
		})
	return group("segment", "Manage segments", []string{"seg"}, del)
}
