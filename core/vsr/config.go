package vsr

import "fmt"

// Limits.
const (
	replicaCountMax  = 16
	suffixHeadersMax = 16 // headers carried in DoViewChange / StartView
	repairBatchMax   = 16 // prepares per repair answer
	resendWindowMax  = 16 // prepares per replica per prepare timeout
)

// Config is one replica's static configuration. Timeouts are in ticks.
type Config struct {
	Cluster      uint64
	ReplicaCount int
	Replica      int // this replica's index, 0..ReplicaCount-1

	PipelineMax     int // uncommitted prepares in flight at the primary
	RequestQueueMax int // requests waiting behind a full pipeline
	ClientsMax      int // client table entries

	HeartbeatTicks      int // primary → backups commit heartbeat
	PrimaryTimeoutTicks int // backup without news from the primary → view change
	ViewChangeTicks     int // a view change that does not finish → next view
	ResendTicks         int // SVC/DVC and RequestStartView resend
	PrepareTimeoutTicks int // primary resends unacked prepares directly
	RepairTicks         int // missing journal entries re-requested
	RecoveryAttempts    int // RequestStartView rounds before joining a view change

	// JournalSlots is the journal ring: op x lives in slot x mod
	// JournalSlots and overwrites op x-JournalSlots, which must be covered
	// by a durable checkpoint first. CheckpointInterval: a checkpoint is
	// taken whenever the executed op is a multiple of it; it must leave two
	// pipelines of slack (CheckpointInterval + 2·PipelineMax ≤ JournalSlots).
	JournalSlots       int
	CheckpointInterval int
	SyncChunkBytes     int // checkpoint bytes per SyncCheckpoint message

	Seed uint64 // timeout jitter

	// DataStar sends data prepares (message batches) from the primary to
	// every backup, as control prepares are, instead of along the ring
	// (each backup relaying to the next). For measuring the two.
	DataStar bool
}

// WithDefaults fills unset fields with defaults (1 tick ≈ 10 ms).
func (c Config) WithDefaults() Config {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.PipelineMax, 8)
	def(&c.RequestQueueMax, 64)
	def(&c.ClientsMax, 64)
	def(&c.HeartbeatTicks, 10)
	def(&c.PrimaryTimeoutTicks, 60)
	def(&c.ViewChangeTicks, 80)
	def(&c.ResendTicks, 10)
	def(&c.PrepareTimeoutTicks, 15)
	def(&c.RepairTicks, 5)
	def(&c.RecoveryAttempts, 3)
	def(&c.JournalSlots, 1024)
	def(&c.CheckpointInterval, c.JournalSlots-2*c.PipelineMax)
	def(&c.SyncChunkBytes, 64<<10)
	return c
}

// Validate checks the configuration.
func (c Config) Validate() error {
	if c.ReplicaCount < 1 || c.ReplicaCount > replicaCountMax {
		return fmt.Errorf("vsr: replica count %d outside 1..%d", c.ReplicaCount, replicaCountMax)
	}
	if c.Replica < 0 || c.Replica >= c.ReplicaCount {
		return fmt.Errorf("vsr: replica %d outside 0..%d", c.Replica, c.ReplicaCount-1)
	}
	if c.PipelineMax < 1 || c.ClientsMax < 1 || c.RequestQueueMax < 1 {
		return fmt.Errorf("vsr: pipeline, clients and request queue must be positive")
	}
	if c.CheckpointInterval < 1 || c.CheckpointInterval+2*c.PipelineMax > c.JournalSlots {
		return fmt.Errorf("vsr: checkpoint interval %d + 2×pipeline %d exceeds %d journal slots",
			c.CheckpointInterval, c.PipelineMax, c.JournalSlots)
	}
	if c.SyncChunkBytes < 1 || c.SyncChunkBytes > PrepareBodySizeMax {
		return fmt.Errorf("vsr: sync chunk of %d bytes outside 1..%d", c.SyncChunkBytes, PrepareBodySizeMax)
	}
	q := QuorumsFor(c.ReplicaCount)
	if q.Replication+q.ViewChange <= c.ReplicaCount || q.Nack+q.Replication <= c.ReplicaCount {
		return fmt.Errorf("vsr: quorums %+v do not intersect for %d replicas", q, c.ReplicaCount)
	}
	return nil
}

// Quorums are the flexible quorum sizes of a cluster.
type Quorums struct {
	Replication int // acks needed to commit
	ViewChange  int // DoViewChange messages needed to start a view
	Nack        int // replicas that must deny an op before it is truncated
}

// QuorumsFor returns TigerBeetle's quorum table: replication is a majority
// capped at 3, view change and nack quorums make every pair intersect.
func QuorumsFor(n int) Quorums {
	r := min((n+1)/2, 3)
	if n == 2 {
		r = 2
	}
	v := n - r + 1
	if n == 2 {
		v = 2
	}
	return Quorums{Replication: r, ViewChange: v, Nack: n - r + 1}
}

// PrimaryOf returns the primary replica of view v in a cluster of n.
func PrimaryOf(v uint64, n int) int { return int(v % uint64(n)) }
