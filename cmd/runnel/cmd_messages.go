package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/runnel-io/runnel/sdk/client"
	"github.com/runnel-io/runnel/sdk/wire"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// Batching and polling limits.
const (
	sendBatchCountMax     = 1000    // messages per SendMessages request
	sendBatchBytesMax     = 1 << 20 // payload bytes per SendMessages request
	lineBytesMax          = wire.MessagePayloadBytesMax + 1
	pollBatchCountMax     = 1000 // messages per PollMessages request
	pollProgressCountMin  = 1000 // --count above which a poll shows a progress bar
	followIntervalDefault = 200 * time.Millisecond
)

func (a *app) messageCommand() *cobra.Command {
	return group("message", "Send, poll and flush messages", []string{"m"},
		a.sendCommand(), a.pollCommand(), a.flushCommand())
}

// progressBar returns a bar on stderr when stderr is a terminal, else nil.
func (a *app) progressBar(total int64, desc string, bytes bool) *progressbar.ProgressBar {
	f, ok := a.stderr.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return progressbar.NewOptions64(total, progressbar.OptionSetWriter(f), progressbar.OptionSetDescription(desc),
		progressbar.OptionShowBytes(bytes), progressbar.OptionShowCount(), progressbar.OptionClearOnFinish(),
		progressbar.OptionThrottle(100*time.Millisecond))
}

type sendFlags struct {
	key       string
	partition uint32
	headers   []string
	file      string
}

func (a *app) sendCommand() *cobra.Command {
	var f sendFlags
	cmd := leaf("send STREAM TOPIC [MESSAGE...]", "Send messages from arguments, stdin or a file", -1,
		func(cmd *cobra.Command, args []string) error {
			if len(args) < 2 {
				return usagef("want STREAM TOPIC [MESSAGE...]")
			}
			return a.send(cmd, f, args)
		})
	cmd.Long = `Send messages to a topic. Messages come from the arguments, else from --file,
else from stdin, one message per line (empty lines are skipped). Lines are
sent in batches of up to 1000 messages or 1 MiB.

Without --key or --partition the server balances batches over partitions.
Headers: --header key:type:value, type one of string, bool, int8, int16,
int32, int64, int128, uint8, uint16, uint32, uint64, uint128, float32,
float64 or raw (value in base64).`
	cmd.Flags().StringVarP(&f.key, "key", "k", "", "partition by this message key")
	cmd.Flags().Uint32VarP(&f.partition, "partition", "P", 0, "send to this partition id")
	cmd.Flags().StringArrayVarP(&f.headers, "header", "H", nil, "user header key:type:value (repeatable)")
	cmd.Flags().StringVarP(&f.file, "file", "f", "", "read messages from this file, one per line (- for stdin)")
	cmd.MarkFlagsMutuallyExclusive("key", "partition")
	return cmd
}

func (a *app) send(cmd *cobra.Command, f sendFlags, args []string) error {
	ids, err := parseIDs(args[:2]...)
	if err != nil {
		return err
	}
	p := wire.Balanced()
	switch {
	case cmd.Flags().Changed("key"):
		if len(f.key) == 0 || len(f.key) > wire.PartitioningKeyBytesMax {
			return usagef("--key must be 1..%d bytes", wire.PartitioningKeyBytesMax)
		}
		p = wire.ByKey([]byte(f.key))
	case cmd.Flags().Changed("partition"):
		p = wire.ToPartition(f.partition)
	}
	headers := make([]wire.HeaderEntry, 0, len(f.headers))
	for _, spec := range f.headers {
		h, err := parseHeader(spec)
		if err != nil {
			return err
		}
		headers = append(headers, h)
	}
	if err := wire.ValidateHeaderEntries(headers); err != nil {
		return usagef("headers: %v", err)
	}
	if len(args) > 2 && f.file != "" {
		return usagef("give messages as arguments or with --file, not both")
	}
	src, size, closeSrc, err := a.messageSource(f.file, len(args) > 2)
	if err != nil {
		return err
	}
	defer closeSrc()
	var bar *progressbar.ProgressBar
	if size > 0 {
		bar = a.progressBar(size, "sending", true)
	}
	return a.withClient(cmd.Context(), func(c *client.Client) error {
		s := sender{ctx: cmd.Context(), c: c, stream: ids[0], topic: ids[1], p: p, headers: headers, bar: bar}
		if len(args) > 2 {
			for _, m := range args[2:] {
				if err := s.add([]byte(m)); err != nil {
					return err
				}
			}
		} else if err := s.addLines(src); err != nil {
			return err
		}
		if err := s.flush(); err != nil {
			return err
		}
		if bar != nil {
			_ = bar.Finish()
		}
		return a.done(fmt.Sprintf("sent %d message(s) to stream %s topic %s", s.sent, args[0], args[1]),
			map[string]any{"count": s.sent})
	})
}

// messageSource opens the input: nothing for argument messages, the file,
// or stdin. size is the file size for a progress bar (0 when unknown).
func (a *app) messageSource(path string, fromArgs bool) (io.Reader, int64, func(), error) {
	if fromArgs {
		return nil, 0, func() {}, nil
	}
	if path == "" || path == "-" {
		return a.stdin, 0, func() {}, nil
	}
	fh, err := os.Open(path)
	if err != nil {
		return nil, 0, nil, usagef("open --file: %v", err)
	}
	var size int64
	if st, err := fh.Stat(); err == nil && st.Mode().IsRegular() {
		size = st.Size()
	}
	return fh, size, func() { fh.Close() }, nil
}

// sender accumulates messages into batches.
type sender struct {
	ctx           context.Context
	c             *client.Client
	stream, topic wire.Identifier
	p             wire.Partitioning
	headers       []wire.HeaderEntry
	bar           *progressbar.ProgressBar

	batch      []wire.Message
	batchBytes int
	sent       int
}

func (s *sender) add(payload []byte) error {
	if len(payload) > wire.MessagePayloadBytesMax {
		return usagef("message of %d bytes is larger than the %d-byte limit", len(payload), wire.MessagePayloadBytesMax)
	}
	s.batch = append(s.batch, wire.Message{Payload: payload, Headers: s.headers})
	s.batchBytes += len(payload)
	if len(s.batch) >= sendBatchCountMax || s.batchBytes >= sendBatchBytesMax {
		return s.flush()
	}
	return nil
}

func (s *sender) addLines(r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), lineBytesMax)
	for sc.Scan() {
		line := sc.Bytes()
		if s.bar != nil {
			_ = s.bar.Add(len(line) + 1)
		}
		line = []byte(strings.TrimSuffix(string(line), "\r"))
		if len(line) == 0 {
			continue
		}
		if err := s.add(line); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return usagef("read input: %v", err)
	}
	return nil
}

func (s *sender) flush() error {
	if len(s.batch) == 0 {
		return nil
	}
	if err := s.c.SendMessages(s.ctx, s.stream, s.topic, s.p, s.batch); err != nil {
		return err
	}
	s.sent += len(s.batch)
	s.batch, s.batchBytes = nil, 0
	return nil
}

type pollFlags struct {
	partition          uint32
	offset             uint64
	timestamp          string
	first, last, next  bool
	count              uint32
	consumer, group    string
	autoCommit, follow bool
	interval           time.Duration
}

func (a *app) pollCommand() *cobra.Command {
	var f pollFlags
	cmd := leaf("poll STREAM TOPIC", "Read messages from a partition (or a consumer group)", 2,
		func(cmd *cobra.Command, args []string) error { return a.poll(cmd, f, args) })
	cmd.Long = `Read messages. Where to start: --offset N, --timestamp T (RFC 3339 or
microseconds since the epoch), --first (default), --last (the last --count
messages) or --next (after the consumer's stored offset). --count is the number
to read (default 10). --follow keeps polling for new messages until interrupted
(exit code 0); --count then only sizes --last.

Without --group the partition is --partition (default 0) and the consumer is
--consumer (default 1). With --group the CLI joins the consumer group and the
server picks the partition round-robin unless --partition is given; such polls
start at --next by default and always auto-commit, since only the stored
offsets tell where each partition continues.

Output (--output): table/text (OFFSET, TIMESTAMP, HEADERS, PAYLOAD, tab
separated), json (one object per line) or raw (payloads only, newline after
each).`
	fl := cmd.Flags()
	fl.Uint32VarP(&f.partition, "partition", "P", 0, "partition id")
	fl.Uint64Var(&f.offset, "offset", 0, "start at this offset")
	fl.StringVar(&f.timestamp, "timestamp", "", "start at the first message at or after this time")
	fl.BoolVar(&f.first, "first", false, "start at the first message")
	fl.BoolVar(&f.last, "last", false, "start at the last --count messages")
	fl.BoolVar(&f.next, "next", false, "start after the consumer's stored offset")
	fl.Uint32VarP(&f.count, "count", "c", 10, "number of messages to read")
	fl.StringVar(&f.consumer, "consumer", "1", "consumer id (number or name)")
	fl.StringVarP(&f.group, "group", "g", "", "poll as a member of this consumer group")
	fl.BoolVar(&f.autoCommit, "auto-commit", false, "store the consumer offset after each poll")
	fl.BoolVarP(&f.follow, "follow", "F", false, "keep polling for new messages until interrupted")
	fl.DurationVar(&f.interval, "interval", followIntervalDefault, "wait between empty polls with --follow")
	cmd.MarkFlagsMutuallyExclusive("offset", "timestamp", "first", "last", "next")
	cmd.MarkFlagsMutuallyExclusive("consumer", "group")
	return cmd
}

func (f pollFlags) strategy(cmd *cobra.Command) (wire.PollingStrategy, error) {
	fl := cmd.Flags()
	switch {
	case fl.Changed("offset"):
		return wire.PollOffset(f.offset), nil
	case fl.Changed("timestamp"):
		us, err := parseTimestamp(f.timestamp)
		return wire.PollTimestamp(us), err
	case f.last:
		return wire.PollLast(), nil
	case f.next, f.group != "" && !fl.Changed("partition"):
		return wire.PollNext(), nil
	}
	return wire.PollFirst(), nil
}

func parseTimestamp(s string) (uint64, error) {
	if us, err := parseU64("timestamp", s); err == nil {
		return us, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || t.Before(time.Unix(0, 0)) {
		return 0, usagef("timestamp %q: want RFC 3339 or microseconds since the epoch", s)
	}
	return uint64(t.UnixMicro()), nil
}

func (a *app) poll(cmd *cobra.Command, f pollFlags, args []string) error {
	ids, err := parseIDs(args...)
	if err != nil {
		return err
	}
	strategy, err := f.strategy(cmd)
	if err != nil {
		return err
	}
	if f.count == 0 {
		return usagef("--count must be at least 1")
	}
	if f.interval <= 0 {
		return usagef("--interval must be positive")
	}
	q := wire.PollMessagesRequest{StreamID: ids[0], TopicID: ids[1], Strategy: strategy, AutoCommit: f.autoCommit,
		PartitionID: wire.Partition(f.partition)}
	var groupID wire.Identifier
	if f.group != "" {
		if groupID, err = parseID(f.group); err != nil {
			return err
		}
		q.Consumer = wire.GroupConsumer(groupID)
		if !cmd.Flags().Changed("partition") {
			// The server picks partitions round-robin; only stored
			// offsets say where each one continues.
			q.PartitionID, q.AutoCommit = wire.OptionalPartitionID{}, true
		}
	} else {
		cid, err := parseID(f.consumer)
		if err != nil {
			return err
		}
		q.Consumer = wire.SingleConsumer(cid)
	}
	p := poller{a: a, q: q, remaining: f.count, limited: !f.follow, follow: f.follow, interval: f.interval,
		out: bufio.NewWriter(a.stdout), firstCount: min(f.count, pollBatchCountMax)}
	if !f.follow && f.count > pollProgressCountMin {
		p.bar = a.progressBar(int64(f.count), "polling", false)
	}
	return a.withClient(cmd.Context(), func(c *client.Client) error {
		if f.group != "" {
			if err := c.JoinConsumerGroup(cmd.Context(), ids[0], ids[1], groupID); err != nil {
				return err
			}
			g, err := c.GetConsumerGroup(cmd.Context(), ids[0], ids[1], groupID)
			if err != nil {
				return err
			}
			p.emptyPollsMax = max(g.PartitionsCount, 1)
		}
		return p.run(cmd.Context(), c)
	})
}

// poller runs the poll loop.
type poller struct {
	a         *app
	q         wire.PollMessagesRequest
	remaining uint32
	limited   bool // stop after remaining messages
	follow    bool
	interval  time.Duration
	out       *bufio.Writer
	bar       *progressbar.ProgressBar

	firstCount    uint32 // with --follow --last: how many old messages to show
	emptyPolls    uint32 // consecutive polls that returned nothing
	emptyPollsMax uint32 // group polls: the group's partition count
}

func (p *poller) run(ctx context.Context, c *client.Client) error {
	defer p.out.Flush()
	for {
		p.q.Count = pollBatchCountMax
		if p.limited {
			p.q.Count = min(p.remaining, pollBatchCountMax)
		} else if p.q.Strategy.Kind == wire.PollingLast {
			p.q.Count = p.firstCount // "the last N", then follow
		}
		res, err := c.PollMessages(ctx, p.q)
		if err != nil {
			if p.follow && ctx.Err() != nil {
				return nil // interrupted tail: a normal end
			}
			return err
		}
		if err := p.print(res); err != nil {
			return err
		}
		n := uint32(len(res.Messages))
		if n > 0 {
			p.advance(res)
		}
		if p.limited {
			p.remaining -= min(n, p.remaining)
			if p.remaining == 0 {
				break
			}
		}
		if n == 0 {
			p.emptyPolls++
		} else {
			p.emptyPolls = 0
		}
		// A group poll without a partition moves round-robin over the
		// member's partitions: one short answer says little about the rest.
		exhausted := n < p.q.Count && (p.q.PartitionID.Set || p.emptyPolls >= p.emptyPollsMax)
		if exhausted {
			if !p.follow {
				break
			}
			if !wait(ctx, p.interval) {
				return nil
			}
		}
	}
	if p.bar != nil {
		_ = p.bar.Finish()
	}
	return nil
}

// advance moves the strategy past the last message read: by offset when the
// partition is fixed, else by the group's stored offset.
func (p *poller) advance(res wire.PolledMessages) {
	last := res.Messages[len(res.Messages)-1].Header.Offset
	if p.q.PartitionID.Set {
		p.q.Strategy = wire.PollOffset(last + 1)
		return
	}
	p.q.Strategy, p.q.AutoCommit = wire.PollNext(), true
}

// wait sleeps d; false when ctx ended first.
func wait(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func (p *poller) print(res wire.PolledMessages) error {
	for _, m := range res.Messages {
		if err := p.printOne(res.PartitionID, m); err != nil {
			return &localError{fmt.Errorf("write output: %w", err)}
		}
	}
	if p.bar != nil {
		_ = p.bar.Add(len(res.Messages))
	}
	if err := p.out.Flush(); err != nil {
		return &localError{fmt.Errorf("write output: %w", err)}
	}
	return nil
}

// jsonMessage is one line of `message poll --output json`.
type jsonMessage struct {
	PartitionID           uint32                `json:"partition_id"`
	Offset                uint64                `json:"offset"`
	ID                    string                `json:"id"`
	TimestampMicros       uint64                `json:"timestamp_micros"`
	OriginTimestampMicros uint64                `json:"origin_timestamp_micros"`
	Headers               map[string]jsonHeader `json:"headers,omitempty"`
	Payload               *string               `json:"payload,omitempty"`
	PayloadBase64         string                `json:"payload_base64,omitempty"`
}

type jsonHeader struct {
	Type  string `json:"type"`
	Value any    `json:"value"`
}

func (p *poller) printOne(partitionID uint32, m wire.PolledMessage) error {
	switch p.a.g.output {
	case "raw":
		if _, err := p.out.Write(m.Payload); err != nil {
			return err
		}
		return p.out.WriteByte('\n')
	case "json":
		id := m.Header.ID()
		jm := jsonMessage{PartitionID: partitionID, Offset: m.Header.Offset, ID: int128Text(id[:], false),
			TimestampMicros: m.Header.Timestamp, OriginTimestampMicros: m.Header.OriginTimestamp,
			Headers: messageHeaders(m)}
		if utf8.Valid(m.Payload) {
			s := string(m.Payload)
			jm.Payload = &s
		} else {
			jm.PayloadBase64 = base64.StdEncoding.EncodeToString(m.Payload)
		}
		b, err := json.Marshal(jm)
		if err != nil {
			return err
		}
		_, err = p.out.Write(append(b, '\n'))
		return err
	}
	_, err := fmt.Fprintf(p.out, "%d\t%s\t%s%s\n", m.Header.Offset,
		time.UnixMicro(int64(m.Header.Timestamp)).UTC().Format(time.RFC3339Nano), headersText(m), payloadText(m.Payload))
	return err
}

func messageHeaders(m wire.PolledMessage) map[string]jsonHeader {
	hs, err := m.Headers()
	if err != nil || len(hs) == 0 {
		return nil
	}
	out := make(map[string]jsonHeader, len(hs))
	for _, h := range hs {
		out[fmt.Sprint(headerValueText(h.Key))] = jsonHeader{Type: headerKindName(h.Value.Kind), Value: headerValueText(h.Value)}
	}
	return out
}

// headersText is "{k=v, k2=v2}\t" or "" without headers.
func headersText(m wire.PolledMessage) string {
	hs := messageHeaders(m)
	if len(hs) == 0 {
		return ""
	}
	keys := make([]string, 0, len(hs))
	for k := range hs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%v", k, hs[k].Value)
	}
	return "{" + strings.Join(parts, ", ") + "}\t"
}

// payloadText shows UTF-8 payloads as they are and others as base64.
func payloadText(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return "base64:" + base64.StdEncoding.EncodeToString(b)
}

func (a *app) flushCommand() *cobra.Command {
	var fsync bool
	cmd := leaf("flush STREAM TOPIC PARTITION", "Write a partition's buffered messages to disk", 3,
		func(cmd *cobra.Command, args []string) error {
			ids, err := parseIDs(args[:2]...)
			if err != nil {
				return err
			}
			pid, err := parseU32("partition", args[2])
			if err != nil {
				return err
			}
			return a.withClient(cmd.Context(), func(c *client.Client) error {
				if err := c.FlushUnsavedBuffer(cmd.Context(), ids[0], ids[1], pid, fsync); err != nil {
					return err
				}
				return a.done(fmt.Sprintf("flushed partition %d", pid), nil)
			})
		})
	cmd.Flags().BoolVar(&fsync, "fsync", false, "also fsync the partition's files")
	return cmd
}
