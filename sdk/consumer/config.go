package consumer

import (
	"cmp"
	"errors"
	"fmt"
	"time"

	"github.com/runnel-io/runnel/sdk/wire"
)

// AutoCommitMode is when the consumer stores offsets by itself.
type AutoCommitMode uint8

const (
	// CommitAfterPoll has the server store the offset as part of each poll
	// (atomically, so a group never hands a polled message to two
	// members). Messages fetched but not yet delivered when the consumer
	// is closed are lost. The default.
	CommitAfterPoll AutoCommitMode = iota
	// CommitDisabled stores offsets only on Commit.
	CommitDisabled
	// CommitInterval stores the delivered offsets when Interval has passed
	// since the last commit, checked at each message and poll.
	CommitInterval
	// CommitAfterMessage stores each message's offset after it was
	// delivered (for the iterator: after the loop body ran).
	CommitAfterMessage
	// CommitEveryN stores the offsets after every Messages delivered
	// messages.
	CommitEveryN
)

func (m AutoCommitMode) String() string {
	switch m {
	case CommitAfterPoll:
		return "after-poll"
	case CommitDisabled:
		return "disabled"
	case CommitInterval:
		return "interval"
	case CommitAfterMessage:
		return "after-message"
	case CommitEveryN:
		return "every-n"
	}
	return fmt.Sprintf("AutoCommitMode(%d)", uint8(m))
}

// AutoCommit is an auto-commit mode with its parameter.
type AutoCommit struct {
	Mode     AutoCommitMode
	Interval time.Duration // CommitInterval
	Messages uint32        // CommitEveryN
}

// AutoCommitAfterPoll: the server commits as part of each poll.
func AutoCommitAfterPoll() AutoCommit { return AutoCommit{Mode: CommitAfterPoll} }

// AutoCommitDisabled: only Commit stores offsets.
func AutoCommitDisabled() AutoCommit { return AutoCommit{Mode: CommitDisabled} }

// AutoCommitInterval commits at most every d.
func AutoCommitInterval(d time.Duration) AutoCommit {
	return AutoCommit{Mode: CommitInterval, Interval: d}
}

// AutoCommitAfterMessage commits after each delivered message.
func AutoCommitAfterMessage() AutoCommit { return AutoCommit{Mode: CommitAfterMessage} }

// AutoCommitEvery commits after every n delivered messages.
func AutoCommitEvery(n uint32) AutoCommit { return AutoCommit{Mode: CommitEveryN, Messages: n} }

// Defaults and limits.
const (
	BatchMessagesMaxDefault = 100
	BatchMessagesLimit      = 100_000
	PollIntervalDefault     = 100 * time.Millisecond
	RequestTimeoutDefault   = 10 * time.Second
	RetriesMaxDefault       = 10
	RetryBackoffDefault     = 100 * time.Millisecond
	RetryBackoffMax         = 2 * time.Second
)

// Config configures a Consumer. Zero fields take the defaults above.
type Config struct {
	Stream, Topic wire.Identifier
	// Name is the consumer group's name when Group is set, otherwise the
	// single consumer's name, under which its offsets are stored.
	Name  string
	Group bool
	// NoCreateGroup makes New fail when the group does not exist.
	NoCreateGroup bool
	// Partition pins a single consumer to one partition; unset, it reads
	// every partition in turn. Groups let the server choose.
	Partition wire.OptionalPartitionID
	// Strategy is where a partition the consumer has not read yet starts:
	// wire.PollNext (the default: after the stored offset), PollFirst,
	// PollLast, PollOffset or PollTimestamp. After that it reads on from
	// where it stopped. Groups always use PollNext.
	Strategy wire.PollingStrategy
	// BatchMessagesMax is the count asked for per poll.
	BatchMessagesMax uint32
	// PollInterval is the wait after a poll that found nothing.
	PollInterval time.Duration
	AutoCommit   AutoCommit
	// RequestTimeout bounds one request.
	RequestTimeout time.Duration
	// RetriesMax bounds the retries of a request after connection errors
	// (negative: none), with a backoff from RetryBackoff doubling to 2 s.
	RetriesMax   int
	RetryBackoff time.Duration
}

// ErrClosed: the Consumer was closed.
var ErrClosed = errors.New("consumer: closed")

func (c Config) withDefaults() Config {
	if c.Strategy.Kind == 0 {
		c.Strategy = wire.PollNext()
	}
	c.BatchMessagesMax = cmp.Or(c.BatchMessagesMax, BatchMessagesMaxDefault)
	c.PollInterval = cmp.Or(c.PollInterval, PollIntervalDefault)
	c.RequestTimeout = cmp.Or(c.RequestTimeout, RequestTimeoutDefault)
	c.RetriesMax = cmp.Or(c.RetriesMax, RetriesMaxDefault)
	c.RetryBackoff = cmp.Or(c.RetryBackoff, RetryBackoffDefault)
	return c
}

// Validate reports a configuration New would reject (after defaults).
func (c Config) Validate() error {
	c = c.withDefaults()
	if err := c.Stream.Validate(); err != nil {
		return fmt.Errorf("consumer: stream: %w", err)
	}
	if err := c.Topic.Validate(); err != nil {
		return fmt.Errorf("consumer: topic: %w", err)
	}
	if len(c.Name) == 0 || len(c.Name) > 255 {
		return fmt.Errorf("consumer: name of %d bytes, want 1..255", len(c.Name))
	}
	if c.Group && c.Partition.Set {
		return errors.New("consumer: a group consumer cannot pin a partition")
	}
	if c.Group && c.Strategy.Kind != wire.PollingNext {
		return errors.New("consumer: a group consumer polls with PollNext")
	}
	if c.Strategy.Kind < wire.PollingOffset || c.Strategy.Kind > wire.PollingNext {
		return fmt.Errorf("consumer: polling strategy kind %d", c.Strategy.Kind)
	}
	if c.BatchMessagesMax > BatchMessagesLimit {
		return fmt.Errorf("consumer: BatchMessagesMax is %d, want 1..%d", c.BatchMessagesMax, BatchMessagesLimit)
	}
	if c.PollInterval < 0 || c.RequestTimeout < 0 || c.RetryBackoff < 0 {
		return errors.New("consumer: negative duration")
	}
	switch c.AutoCommit.Mode {
	case CommitAfterPoll, CommitDisabled, CommitAfterMessage:
	case CommitInterval:
		if c.AutoCommit.Interval <= 0 {
			return errors.New("consumer: CommitInterval needs an Interval")
		}
	case CommitEveryN:
		if c.AutoCommit.Messages == 0 {
			return errors.New("consumer: CommitEveryN needs Messages")
		}
	default:
		return fmt.Errorf("consumer: unknown auto-commit mode %d", c.AutoCommit.Mode)
	}
	return nil
}
