package benchrun

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Scenario is one benchmark shape, named as iggy-bench names it.
type Scenario string

// The scenarios.
const (
	PinnedProducer                   Scenario = "pinned-producer"
	PinnedConsumer                   Scenario = "pinned-consumer"
	PinnedProducerAndConsumer        Scenario = "pinned-producer-and-consumer"
	BalancedProducer                 Scenario = "balanced-producer"
	BalancedConsumerGroup            Scenario = "balanced-consumer-group"
	BalancedProducerAndConsumerGroup Scenario = "balanced-producer-and-consumer-group"
	EndToEndProducingConsumer        Scenario = "end-to-end-producing-consumer"
)

// Scenarios lists every scenario in documentation order.
func Scenarios() []Scenario {
	return []Scenario{PinnedProducer, PinnedConsumer, PinnedProducerAndConsumer, BalancedProducer,
		BalancedConsumerGroup, BalancedProducerAndConsumerGroup, EndToEndProducingConsumer}
}

func (s Scenario) pinned() bool {
	return s == PinnedProducer || s == PinnedConsumer || s == PinnedProducerAndConsumer || s == EndToEndProducingConsumer
}

// hasProducers: the scenario measures producers (others pre-fill unmeasured).
func (s Scenario) hasProducers() bool {
	return s != PinnedConsumer && s != BalancedConsumerGroup
}

// hasConsumers: the scenario runs separate consumer actors.
func (s Scenario) hasConsumers() bool {
	return s == PinnedConsumer || s == PinnedProducerAndConsumer || s == BalancedConsumerGroup ||
		s == BalancedProducerAndConsumerGroup
}

func (s Scenario) group() bool {
	return s == BalancedConsumerGroup || s == BalancedProducerAndConsumerGroup
}

// concurrent: producing and consuming overlap, so end-to-end latency means
// something.
func (s Scenario) concurrent() bool {
	return s == PinnedProducerAndConsumer || s == BalancedProducerAndConsumerGroup || s == EndToEndProducingConsumer
}

// Limits keep one run within what a 2-core machine and a default server
// accept.
const (
	actorsMax           = 1024
	streamsMax          = 1024
	partitionsMax       = 1024
	messagesPerBatchMax = 100_000
	messageSizeBytesMax = 10 << 20
	batchBytesMax       = 60 << 20 // under the server's default 64 MiB frame limit
)

// Config is one benchmark run. Zero values mean the documented defaults
// (see WithDefaults).
type Config struct {
	Scenario  Scenario `json:"scenario"`
	Address   string   `json:"address"`
	Transport string   `json:"transport"`
	Username  string   `json:"username"`
	Password  string   `json:"-"`

	MessageSizeMinBytes int    `json:"message_size_min_bytes"`
	MessageSizeMaxBytes int    `json:"message_size_max_bytes"`
	MessagesPerBatch    int    `json:"messages_per_batch"`
	MessageBatches      int    `json:"message_batches"` // per producing actor
	TotalBytes          uint64 `json:"total_bytes"`     // overrides MessageBatches when set

	Producers  int `json:"producers"`
	Consumers  int `json:"consumers"`
	Streams    int `json:"streams"`
	Partitions int `json:"partitions"`

	RateLimitBytesPerSecond uint64        `json:"rate_limit_bytes_per_second"` // 0: unlimited, else over all producers
	Warmup                  time.Duration `json:"-"`
	WarmupSeconds           float64       `json:"warmup_seconds"`
	HighLevel               bool          `json:"high_level"`
	Keep                    bool          `json:"keep"`
	Timeout                 time.Duration `json:"-"`
	Fsync                   string        `json:"fsync"` // as the server was started, or "server-managed"
	Seed                    uint64        `json:"seed"`
	BucketWidth             time.Duration `json:"-"`
	BucketMillis            int64         `json:"bucket_ms"`
}

// Defaults.
const (
	AddressDefault          = "127.0.0.1:8090"
	UsernameDefault         = "runnel"
	MessageSizeDefault      = 1000
	MessagesPerBatchDefault = 1000
	MessageBatchesDefault   = 1000
	TimeoutDefault          = 30 * time.Minute
	BucketWidthDefault      = 100 * time.Millisecond
	FsyncServerManaged      = "server-managed"
)

// WithDefaults fills zero fields and derived ones.
func (c Config) WithDefaults() Config {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	if c.Address == "" {
		c.Address = AddressDefault
	}
	if c.Transport == "" {
		c.Transport = "tcp"
	}
	if c.Username == "" {
		c.Username = UsernameDefault
	}
	def(&c.MessageSizeMinBytes, MessageSizeDefault)
	def(&c.MessageSizeMaxBytes, c.MessageSizeMinBytes)
	def(&c.MessagesPerBatch, MessagesPerBatchDefault)
	def(&c.MessageBatches, MessageBatchesDefault)
	def(&c.Producers, 1)
	def(&c.Consumers, 1)
	switch c.Scenario {
	case PinnedProducer, PinnedProducerAndConsumer, EndToEndProducingConsumer:
		def(&c.Streams, c.Producers)
	case PinnedConsumer:
		def(&c.Streams, c.Consumers)
	}
	def(&c.Streams, 1)
	if c.Scenario.group() {
		def(&c.Partitions, c.Consumers)
	}
	if c.Scenario == BalancedProducer {
		def(&c.Partitions, c.Producers)
	}
	def(&c.Partitions, 1)
	if c.Timeout == 0 {
		c.Timeout = TimeoutDefault
	}
	if c.Fsync == "" {
		c.Fsync = FsyncServerManaged
	}
	if c.BucketWidth == 0 {
		c.BucketWidth = BucketWidthDefault
	}
	c.BucketMillis = c.BucketWidth.Milliseconds()
	c.WarmupSeconds = c.Warmup.Seconds()
	if c.TotalBytes > 0 {
		c.MessageBatches = c.batchesForTotal()
	}
	return c
}

// batchesForTotal spreads TotalBytes of payload over the producing actors.
func (c Config) batchesForTotal() int {
	actors := uint64(max(c.producingActors(), 1))
	perBatch := uint64(c.MessagesPerBatch) * uint64(c.MessageSizeMinBytes+c.MessageSizeMaxBytes) / 2
	batches := (c.TotalBytes + actors*perBatch - 1) / (actors * perBatch)
	return int(max(batches, 1))
}

// producingActors is how many actors write the measured data: producers,
// or for consumer-only scenarios the pre-fill writers (one per target).
func (c Config) producingActors() int {
	switch c.Scenario {
	case PinnedConsumer:
		return c.Consumers
	case BalancedConsumerGroup:
		return c.Streams
	}
	return c.Producers
}

// Validate reports a configuration Run would reject.
func (c Config) Validate() error {
	known := false
	for _, s := range Scenarios() {
		known = known || s == c.Scenario
	}
	if !known {
		return fmt.Errorf("benchrun: unknown scenario %q", c.Scenario)
	}
	if c.Transport != "tcp" {
		return fmt.Errorf("benchrun: transport %s not available yet (only tcp)", c.Transport)
	}
	checks := []struct {
		name      string
		v, lo, hi int
	}{
		{"message size", c.MessageSizeMinBytes, 1, messageSizeBytesMax},
		{"message size max", c.MessageSizeMaxBytes, c.MessageSizeMinBytes, messageSizeBytesMax},
		{"messages per batch", c.MessagesPerBatch, 1, messagesPerBatchMax},
		{"message batches", c.MessageBatches, 1, 1 << 40},
		{"producers", c.Producers, 1, actorsMax},
		{"consumers", c.Consumers, 1, actorsMax},
		{"streams", c.Streams, 1, streamsMax},
		{"partitions", c.Partitions, 1, partitionsMax},
	}
	for _, k := range checks {
		if k.v < k.lo || k.v > k.hi {
			return fmt.Errorf("benchrun: %s is %d, want %d..%d", k.name, k.v, k.lo, k.hi)
		}
	}
	if c.MessagesPerBatch*(c.MessageSizeMaxBytes+64) > batchBytesMax {
		return fmt.Errorf("benchrun: a batch of %d messages of up to %d bytes exceeds %d bytes",
			c.MessagesPerBatch, c.MessageSizeMaxBytes, batchBytesMax)
	}
	if c.Scenario == PinnedProducerAndConsumer && c.Producers != c.Consumers {
		return fmt.Errorf("benchrun: %s pairs producers with consumers: want --producers == --consumers, got %d and %d",
			c.Scenario, c.Producers, c.Consumers)
	}
	if c.Password == "" {
		return errors.New("benchrun: no password (use --password or RUNNEL_ROOT_PASSWORD)")
	}
	return nil
}

// ParseBytes parses a byte count with an optional unit: 1024, 64KB, 1KiB,
// 200MB, 1.5GiB. KB/MB/GB/TB are powers of 1000, KiB/MiB/GiB/TiB of 1024;
// K/M/G/T alone are powers of 1024 as in iggy-bench.
func ParseBytes(s string) (uint64, error) {
	t := strings.TrimSpace(s)
	i := len(t)
	for i > 0 && (t[i-1] < '0' || t[i-1] > '9') && t[i-1] != '.' {
		i--
	}
	num, unit := strings.TrimSpace(t[:i]), strings.ToUpper(strings.TrimSpace(t[i:]))
	mult, ok := byteUnit(unit)
	if !ok {
		return 0, fmt.Errorf("benchrun: byte size %q: unknown unit %q", s, t[i:])
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("benchrun: byte size %q: not a non-negative number", s)
	}
	return uint64(v * float64(mult)), nil
}

func byteUnit(upper string) (uint64, bool) {
	switch upper {
	case "", "B":
		return 1, true
	case "KB":
		return 1e3, true
	case "MB":
		return 1e6, true
	case "GB":
		return 1e9, true
	case "TB":
		return 1e12, true
	case "K", "KIB":
		return 1 << 10, true
	case "M", "MIB":
		return 1 << 20, true
	case "G", "GIB":
		return 1 << 30, true
	case "T", "TIB":
		return 1 << 40, true
	}
	return 0, false
}

// ParseSizeRange parses a message size: "1024", "1KiB" or "MIN..MAX".
func ParseSizeRange(s string) (minBytes, maxBytes int, err error) {
	lo, hi, isRange := strings.Cut(s, "..")
	a, err := ParseBytes(lo)
	if err != nil {
		return 0, 0, err
	}
	b := a
	if isRange {
		if b, err = ParseBytes(hi); err != nil {
			return 0, 0, err
		}
	}
	if a == 0 || b < a || b > messageSizeBytesMax {
		return 0, 0, fmt.Errorf("benchrun: message size %q: want 1..%d bytes, MIN <= MAX", s, messageSizeBytesMax)
	}
	return int(a), int(b), nil
}
