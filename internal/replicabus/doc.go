// Package replicabus is the replica-to-replica message bus of a Runnel
// cluster: one authenticated TCP connection per pair of replicas, framed
// and checksummed messages, bounded per-peer send queues, reconnect with
// backoff. It carries opaque byte slices (core/vsr's encoded messages);
// it neither interprets nor orders them beyond TCP's per-connection FIFO.
//
// # Use
//
//	bus, err := replicabus.New(replicabus.Config{
//		Cluster: replicabus.ClusterIDFromUint64(7),
//		Replica: 1,
//		Roster:  []string{"10.0.0.1:7000", "10.0.0.2:7000", "10.0.0.3:7000"},
//		Key:     psk, // ≥ 16 bytes, identical on every replica
//	})
//	if err := bus.Start(ctx); err != nil { ... }
//	defer bus.Close()
//	bus.Send(2, frame)                  // never blocks; may drop (see below)
//	m, err := bus.Receive(ctx)          // or select on bus.Inbox()
//
// # Connections
//
// Replica ids are roster indexes. The lower id dials, the higher id
// accepts: replica i dials every j > i and accepts from every j < i. So
// two replicas never race to open crossing connections, and "who owns the
// connection" needs no tie-break. A dialer reconnects forever with capped
// exponential backoff and jitter (BackoffMin doubling to BackoffMax, each
// wait drawn uniformly from [d/2, d)). An acceptor that authenticates a new
// connection from a peer that already has one closes the old one: the
// peer only dials when it believes it has no connection (it restarted, or
// saw the old one die first), so the newest connection is the live one.
// A hello from a replica id outside the roster, from a higher id, or
// addressed to another replica id is refused.
//
// Liveness: a writer idle for PingInterval sends a ping frame; a reader
// that receives nothing (not even a ping) for IdleTimeout (at least ¾ of
// it: the deadline is moved lazily) closes the
// connection, which catches black holes that TCP alone would report only
// after minutes. A write blocked for WriteTimeout closes it too.
//
// # Handshake (before any frame, each record 96 bytes, little endian)
//
//	0  magic "RNBH"   4  version u8 (1)   5  step u8   6  status u8   7  zero
//	8  cluster id [16]   24 from replica u16   26 to replica u16   28 zero u32
//	32 nonce [32]        64 mac [32]
//
//	dialer  → acceptor  step 1 hello:     nonce_d
//	acceptor → dialer   step 2 challenge: nonce_a, mac_a (or a refusal status)
//	dialer  → acceptor  step 3 proof:     mac_d (status 5 if mac_a did not verify)
//	acceptor → dialer   step 4 welcome:   status 0, or the refusal status
//
// mac_x = HMAC-SHA256(key, label_x ‖ cluster ‖ dialer u16 ‖ acceptor u16 ‖
// nonce_d ‖ nonce_a), label_x = "runnel/replicabus/v1/acceptor" or
// ".../dialer". Nonces are 32 bytes from crypto/rand, so each side proves it
// knows the key for this connection without sending it; the distinct labels
// stop a reflected proof. Statuses: 0 ok, 1 bad version, 2 wrong cluster,
// 3 unknown replica, 4 wrong direction, 5 wrong key. Both ends log the
// precise reason (ErrWrongCluster, ErrWrongKey, ...). The handshake
// authenticates the peer only: frames are neither encrypted nor MACed, so an
// on-path attacker can still read or forge traffic (use a private network,
// or TLS later).
//
// # Frames (after the handshake, header 48 bytes, little endian)
//
//	0  magic "RNBF"   4  version u8 (1)   5  kind u8 (1 message, 2 ping)   6  zero u16
//	8  cluster id [16]   24 sender u16   26 receiver u16   28 body bytes u32
//	32 checksum [16]: XXH3-128 over header bytes 0..31 followed by the body
//	48 body
//
// The reader checks magic, version, kind, zero fields, cluster id, sender
// (must be the authenticated peer), receiver (must be this replica) and
// body length (≤ FrameBodyBytesMax) before allocating the body, then the
// checksum. Any failure closes the connection with a logged reason
// (wrapping ErrBadFrame); the frame is never delivered.
//
// # Queues and drops
//
// Each peer has one send queue, bounded by QueueFramesMax and
// QueueBytesMax, which outlives connections (messages queued while a peer
// is down go out after the reconnect). Send never blocks: when the queue is
// full it drops the oldest queued messages until the new one fits. VSR
// tolerates loss and resends on timeouts, and the newest message carries
// the newest state (view, commit number, latest prepare), while old ones
// are the most likely to be obsolete already; refusing new messages would
// keep the stale ones and starve the fresh. SendWait is the blocking
// alternative (waits for room, ctx-bounded) for bulk transfers and
// benchmarks. Frames taken from the queue for a write that fails are lost
// and counted. Close drains nothing.
//
// The writer takes up to writeBatchFramesMax frames / writeBatchBytesMax
// bytes at a time and writes them with one writev (net.Buffers), so bodies
// are never copied on the send path. A body handed to Send must not be
// modified afterwards. A received Message's Body is owned by the receiver.
//
// The inbox is a bounded channel (InboxFramesMax). A full inbox blocks the
// connection readers, which pushes back through TCP to the senders' queues,
// where the drop policy applies.
//
// Counters (frames and bytes each way, drops, connects, reconnects, bad
// frames per peer; handshake failures per bus) come as a Stats snapshot.
package replicabus
