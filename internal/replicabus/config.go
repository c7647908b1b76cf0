package replicabus

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"time"
)

// Limits with no configuration knob.
const (
	// ReplicasMax bounds the roster; ids travel as u16 but VSR clusters
	// are 1, 3 or 5 replicas, so a large roster is a configuration error.
	ReplicasMax = 16
	// KeyBytesMin keeps the pre-shared key out of brute-force range.
	KeyBytesMin = 16
	// KeyBytesMax bounds what we hash per handshake.
	KeyBytesMax = 1024
	// frameBodyBytesLimit caps FrameBodyBytesMax (what a peer can make us
	// allocate per frame).
	frameBodyBytesLimit = 64 << 20
	// queueFramesLimit and queueBytesLimit cap the per-peer queue knobs.
	queueFramesLimit = 1 << 20
	queueBytesLimit  = 4 << 30
	// inboxFramesLimit caps InboxFramesMax.
	inboxFramesLimit = 1 << 20
	// writeBatchFramesMax and writeBatchBytesMax bound one writev.
	writeBatchFramesMax = 256
	writeBatchBytesMax  = 8 << 20
	// readBufferBytes is the per-connection read buffer.
	readBufferBytes = 256 << 10
	// handshakesMax bounds connections in the handshake at once, so a
	// flood of strangers cannot exhaust goroutines or descriptors.
	handshakesMax = 64
)

// Defaults for zero Config fields.
const (
	queueFramesDefault      = 4096
	queueBytesDefault       = 64 << 20
	frameBodyBytesDefault   = 4 << 20 // core/vsr.MessageSizeMax is ~3.1 MiB
	inboxFramesDefault      = 1024
	backoffMinDefault       = 20 * time.Millisecond
	backoffMaxDefault       = 2 * time.Second
	dialTimeoutDefault      = 2 * time.Second
	handshakeTimeoutDefault = 2 * time.Second
	pingIntervalDefault     = 500 * time.Millisecond
	idleTimeoutDefault      = 3 * time.Second
	writeTimeoutDefault     = 5 * time.Second
)

// ClusterID identifies a cluster (128 bits). Replicas of different
// clusters refuse each other in the handshake and every frame carries it.
type ClusterID [16]byte

// ClusterIDFromUint64 widens a 64-bit cluster id (core/vsr's Config.Cluster)
// little-endian into the low 8 bytes.
func ClusterIDFromUint64(v uint64) ClusterID {
	var c ClusterID
	binary.LittleEndian.PutUint64(c[:8], v)
	return c
}

func (c ClusterID) String() string { return hex.EncodeToString(c[:]) }

// Config configures a Bus. Zero-valued limits and durations take the
// defaults above.
type Config struct {
	Cluster ClusterID
	// Replica is this replica's id: its index in Roster.
	Replica int
	// Roster is every replica's host:port, indexed by replica id.
	Roster []string
	// Key is the pre-shared key, identical on every replica.
	Key []byte
	// Listener, if set, is used instead of listening on Roster[Replica]
	// (tests listen on port 0 first). The bus owns and closes it.
	Listener net.Listener
	// Logger receives connection events and refusals; nil discards.
	Logger *slog.Logger

	QueueFramesMax    int // per-peer send queue, frames
	QueueBytesMax     int // per-peer send queue, body bytes
	FrameBodyBytesMax int // largest body sent or accepted
	InboxFramesMax    int // received messages buffered for the consumer

	BackoffMin       time.Duration // first reconnect wait
	BackoffMax       time.Duration // reconnect wait cap
	DialTimeout      time.Duration
	HandshakeTimeout time.Duration
	PingInterval     time.Duration // idle writer sends a ping this often
	IdleTimeout      time.Duration // silent reader closes after this
	WriteTimeout     time.Duration // blocked write closes after this
}

func (c Config) withDefaults() Config {
	setInt(&c.QueueFramesMax, queueFramesDefault)
	setInt(&c.QueueBytesMax, queueBytesDefault)
	setInt(&c.FrameBodyBytesMax, frameBodyBytesDefault)
	setInt(&c.InboxFramesMax, inboxFramesDefault)
	setDur(&c.BackoffMin, backoffMinDefault)
	setDur(&c.BackoffMax, backoffMaxDefault)
	setDur(&c.DialTimeout, dialTimeoutDefault)
	setDur(&c.HandshakeTimeout, handshakeTimeoutDefault)
	setDur(&c.PingInterval, pingIntervalDefault)
	setDur(&c.IdleTimeout, idleTimeoutDefault)
	setDur(&c.WriteTimeout, writeTimeoutDefault)
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

func setInt(v *int, d int) {
	if *v == 0 {
		*v = d
	}
}

func setDur(v *time.Duration, d time.Duration) {
	if *v == 0 {
		*v = d
	}
}

// Validate reports the first invalid field (after defaults).
func (c Config) Validate() error {
	c = c.withDefaults()
	if err := c.validateRoster(); err != nil {
		return err
	}
	if len(c.Key) < KeyBytesMin || len(c.Key) > KeyBytesMax {
		return fmt.Errorf("replicabus: key of %d bytes outside %d..%d", len(c.Key), KeyBytesMin, KeyBytesMax)
	}
	checks := []struct {
		name      string
		v, lo, hi int
	}{
		{"frame_body_bytes_max", c.FrameBodyBytesMax, 1, frameBodyBytesLimit},
		{"queue_frames_max", c.QueueFramesMax, 1, queueFramesLimit},
		{"queue_bytes_max", c.QueueBytesMax, c.FrameBodyBytesMax, queueBytesLimit},
		{"inbox_frames_max", c.InboxFramesMax, 1, inboxFramesLimit},
	}
	for _, k := range checks {
		if k.v < k.lo || k.v > k.hi {
			return fmt.Errorf("replicabus: %s %d outside %d..%d", k.name, k.v, k.lo, k.hi)
		}
	}
	return c.validateDurations()
}

func (c Config) validateRoster() error {
	if len(c.Roster) < 1 || len(c.Roster) > ReplicasMax {
		return fmt.Errorf("replicabus: roster of %d replicas outside 1..%d", len(c.Roster), ReplicasMax)
	}
	if c.Replica < 0 || c.Replica >= len(c.Roster) {
		return fmt.Errorf("replicabus: replica %d outside roster 0..%d", c.Replica, len(c.Roster)-1)
	}
	seen := make(map[string]int, len(c.Roster))
	for i, a := range c.Roster {
		if _, _, err := net.SplitHostPort(a); err != nil {
			return fmt.Errorf("replicabus: roster[%d] %q: %w", i, a, err)
		}
		if j, dup := seen[a]; dup {
			return fmt.Errorf("replicabus: roster[%d] and roster[%d] are both %q", j, i, a)
		}
		seen[a] = i
	}
	return nil
}

func (c Config) validateDurations() error {
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"backoff_min", c.BackoffMin}, {"backoff_max", c.BackoffMax}, {"dial_timeout", c.DialTimeout},
		{"handshake_timeout", c.HandshakeTimeout}, {"ping_interval", c.PingInterval},
		{"idle_timeout", c.IdleTimeout}, {"write_timeout", c.WriteTimeout},
	} {
		if d.v < 0 {
			return fmt.Errorf("replicabus: %s %v is negative", d.name, d.v)
		}
	}
	if c.BackoffMax < c.BackoffMin {
		return fmt.Errorf("replicabus: backoff_max %v below backoff_min %v", c.BackoffMax, c.BackoffMin)
	}
	// A reader must hear at least one ping before it gives up.
	if c.IdleTimeout <= 2*c.PingInterval {
		return fmt.Errorf("replicabus: idle_timeout %v must exceed twice ping_interval %v", c.IdleTimeout, c.PingInterval)
	}
	return nil
}
