package replicabus

import "sync/atomic"

// Stats is a point-in-time snapshot of a bus's counters.
type Stats struct {
	Replica int
	// HandshakeFailures counts inbound and outbound handshakes that did not
	// complete, strangers included (they have no peer slot).
	HandshakeFailures uint64
	// Peers is indexed by replica id; this replica's own entry is zero.
	Peers []PeerStats
}

// PeerStats counts one peer's traffic. Frames and bytes are message frames
// only (pings excluded); bytes are on-the-wire bytes, header included.
type PeerStats struct {
	Replica   int
	Addr      string
	Connected bool

	FramesSent     uint64
	BytesSent      uint64
	FramesReceived uint64
	BytesReceived  uint64

	// DroppedFrames / DroppedBytes: evicted from a full queue (oldest first).
	DroppedFrames uint64
	DroppedBytes  uint64
	// LostFrames: taken from the queue for a write that failed.
	LostFrames uint64

	// Connects counts authenticated connections; Reconnects those after the first.
	Connects   uint64
	Reconnects uint64
	// BadFrames counts connections closed for an invalid frame.
	BadFrames uint64

	QueuedFrames int
	QueuedBytes  int
}

type peerCounters struct {
	framesSent, bytesSent         atomic.Uint64
	framesReceived, bytesReceived atomic.Uint64
	droppedFrames, droppedBytes   atomic.Uint64
	lostFrames                    atomic.Uint64
	connects, badFrames           atomic.Uint64
}

// Stats returns a snapshot of the counters. Safe at any time, also after Close.
func (b *Bus) Stats() Stats {
	s := Stats{Replica: b.cfg.Replica, HandshakeFailures: b.handshakeFailures.Load(),
		Peers: make([]PeerStats, len(b.peers))}
	for i, p := range b.peers {
		if p == nil {
			continue
		}
		c := &p.counters
		ps := PeerStats{Replica: i, Addr: p.addr, Connected: p.connected(),
			FramesSent: c.framesSent.Load(), BytesSent: c.bytesSent.Load(),
			FramesReceived: c.framesReceived.Load(), BytesReceived: c.bytesReceived.Load(),
			DroppedFrames: c.droppedFrames.Load(), DroppedBytes: c.droppedBytes.Load(),
			LostFrames: c.lostFrames.Load(), Connects: c.connects.Load(), BadFrames: c.badFrames.Load()}
		if ps.Connects > 0 {
			ps.Reconnects = ps.Connects - 1
		}
		ps.QueuedFrames, ps.QueuedBytes = p.q.len()
		s.Peers[i] = ps
	}
	return s
}
