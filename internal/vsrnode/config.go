package vsrnode

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/runnel-io/runnel/core/vsr"
	"github.com/runnel-io/runnel/internal/replicabus"
	"github.com/runnel-io/runnel/internal/vsrstore"
)

// Config configures a Node. Zero fields take defaults. JournalSlots,
// PrepareSizeBytesMax and CheckpointSizeBytesMax are fixed when Dir is
// formatted; opening it with other values fails.
type Config struct {
	Dir                    string // directory of replica.vsr (created and formatted when absent, unless RequireFormatted)
	Cluster                uint64
	Replica, ReplicaCount  int           // 0, 1 for a cluster of one
	JournalSlots           int           // vsr and vsrstore; default 256
	PrepareSizeBytesMax    int           // vsrstore slot size; default vsr.HeaderSize+vsr.PrepareBodySizeMax
	CheckpointSizeBytesMax int64         // default 64 MiB
	TickInterval           time.Duration // one vsr tick; default 10ms
	RequestTimeout         time.Duration // Submit gives up after it (outcome unknown); default 10s
	// ResendInterval: a request without a reply is stepped again after it
	// (the replica drops requests while it is not a serving primary).
	// Default 500ms.
	ResendInterval time.Duration
	// SessionsMax is the number of client sessions this node keeps, so the
	// number of requests in flight. Default 64. It may grow across
	// restarts but not shrink below a quarter of an earlier value: the
	// client table in the checkpoint is sized from it.
	SessionsMax int
	// PipelineMax is the replica's uncommitted prepares in flight (vsr
	// default 8). With one replica it bounds the ops per fdatasync.
	PipelineMax int
	Logger      *slog.Logger
	// RequireFormatted: Open does not format an empty Dir but fails with
	// ErrNotFormatted. Replicas of a cluster of several are formatted
	// explicitly (Format), once: one that lost its data and was formatted
	// again would take part in view changes with an empty journal.
	RequireFormatted bool
	// DataStar: message batches go from the primary to every backup
	// rather than along the ring (vsr.Config.DataStar).
	DataStar bool

	// The replica bus (ReplicaCount > 1 and no Hooks.Send): BusRoster is
	// every replica's bus host:port, indexed by replica (len ==
	// ReplicaCount); BusKey the pre-shared key (at least
	// replicabus.KeyBytesMin bytes, the same on every replica). The node
	// listens on BusRoster[Replica], or on BusListener if set (tests listen
	// on port 0 first; the node owns and closes it).
	BusRoster   []string
	BusKey      []byte
	BusListener net.Listener
}

// Hooks are the host's callbacks. Every hook runs on the loop (or, during
// Open, on Open's caller).
type Hooks struct {
	// BeforeCheckpoint runs before a Ready carrying a checkpoint of op is
	// persisted (the server fsyncs its partition logs there, docs §3.3).
	// An error is fatal: Run returns it.
	BeforeCheckpoint func(ctx context.Context, op uint64) error
	// Send carries an envelope to replica to (the replica bus). Nil for a
	// cluster of one, which sends none.
	//
	// With Send set the node builds no bus even with several replicas:
	// Send also carries replies to clients of other replicas (to is the
	// owning replica), and the host feeds received messages to
	// Node.Receive. For tests that wire nodes together in memory.
	Send func(to int, m *vsr.Message)
	// OnHostFrame receives a host frame a peer sent with SendHost (the
	// server's partition sync). It runs on the bus reader goroutine, not
	// the loop, so a loop blocked waiting for frames still gets them; it
	// must hand long work to another goroutine.
	OnHostFrame func(from int, body []byte)
}

// Defaults.
const (
	defaultJournalSlots           = 256
	defaultPrepareSizeBytesMax    = vsr.HeaderSize + vsr.PrepareBodySizeMax
	defaultCheckpointSizeBytesMax = 64 << 20
	defaultTickInterval           = 10 * time.Millisecond
	defaultRequestTimeout         = 10 * time.Second
	defaultResendInterval         = 500 * time.Millisecond
	defaultSessionsMax            = 64
	sessionsMaxLimit              = 1 << 12
	// clientsPerSession: the replica's client table holds 4 entries per
	// session of every node, so entries of earlier incarnations are
	// evicted long before a live session's (docs §2.6).
	clientsPerSession = 4
)

func (c Config) withDefaults() Config {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.ReplicaCount, 1)
	def(&c.JournalSlots, defaultJournalSlots)
	def(&c.PrepareSizeBytesMax, defaultPrepareSizeBytesMax)
	def(&c.SessionsMax, defaultSessionsMax)
	if c.CheckpointSizeBytesMax == 0 {
		c.CheckpointSizeBytesMax = defaultCheckpointSizeBytesMax
	}
	defDur(&c.TickInterval, defaultTickInterval)
	defDur(&c.RequestTimeout, defaultRequestTimeout)
	defDur(&c.ResendInterval, defaultResendInterval)
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

func (c Config) validate() error {
	switch {
	case c.Dir == "":
		return fmt.Errorf("no directory")
	case c.TickInterval < 0 || c.RequestTimeout < 0 || c.ResendInterval < 0:
		return fmt.Errorf("negative interval")
	case c.SessionsMax < 1 || c.SessionsMax > sessionsMaxLimit:
		return fmt.Errorf("%d sessions outside 1..%d", c.SessionsMax, sessionsMaxLimit)
	case c.PrepareSizeBytesMax <= vsr.HeaderSize:
		return fmt.Errorf("prepare size of %d bytes leaves no body", c.PrepareSizeBytesMax)
	}
	return nil
}

// validateBus checks what the bus needs (replicabus.New checks the rest).
func (c Config) validateBus() error {
	switch {
	case len(c.BusRoster) != c.ReplicaCount:
		return fmt.Errorf("bus roster of %d addresses for %d replicas", len(c.BusRoster), c.ReplicaCount)
	case len(c.BusKey) < replicabus.KeyBytesMin:
		return fmt.Errorf("bus key of %d bytes, at least %d needed", len(c.BusKey), replicabus.KeyBytesMin)
	}
	return nil
}

// vsrConfig is the replica's configuration. The request queue holds every
// session's request of every node (followers forward theirs; all nodes
// are assumed to share SessionsMax), so full pools never overflow it
// (onRequest drops what does not fit, silently). seed spreads timeout
// jitter; drawn per start so replicas restarting together do not time out
// in lockstep.
func (c Config) vsrConfig(seed uint64) vsr.Config {
	return vsr.Config{Cluster: c.Cluster, ReplicaCount: c.ReplicaCount, Replica: c.Replica,
		JournalSlots: c.JournalSlots, PipelineMax: c.PipelineMax,
		RequestQueueMax: max(c.SessionsMax*c.ReplicaCount, 64),
		ClientsMax:      max(clientsPerSession*c.SessionsMax*c.ReplicaCount, 64),
		Seed:            seed, DataStar: c.DataStar}.WithDefaults()
}

func (c Config) storeConfig() vsrstore.Config {
	return vsrstore.Config{JournalSlots: c.JournalSlots, PrepareSizeBytesMax: c.PrepareSizeBytesMax,
		CheckpointSizeBytesMax: c.CheckpointSizeBytesMax}
}

// bodySizeBytesMax is the largest request body that fits a journal slot.
func (c Config) bodySizeBytesMax() int {
	return min(c.PrepareSizeBytesMax-vsr.HeaderSize, vsr.PrepareBodySizeMax)
}

// ticks converts a duration to whole ticks (at least one).
func (c Config) ticks(d time.Duration) uint64 {
	return uint64(max(d/c.TickInterval, 1))
}
