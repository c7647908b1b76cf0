// Package vsr is Runnel's Viewstamped Replication core: a single-threaded,
// deterministic replica state machine with no I/O of its own.
//
// The shape follows etcd-raft's RawNode. The host feeds inputs — Step (a
// message from a replica or a client), Tick (one logical clock tick) — and
// after every input collects a Ready: a superblock to persist, journal writes
// to persist, messages that may leave before those writes are durable
// (prepare relays) and messages that may leave only after. The host persists,
// sends, then calls Advance, which is the I/O completion: the replica learns
// that the writes are durable (and may now acknowledge them). Committed ops
// are executed synchronously through the StateMachine given at construction,
// because replies and the client table need their results.
//
// Protocol: VSR revisited with TigerBeetle's changes (persistent view state,
// no diskless recovery). The primary of view v is replica v mod n. Prepares
// are immutable, checksummed (XXH3-128) and hash-chained through the parent
// checksum; a header's checksum is its identity, so any replica can repair
// any op from any peer without trusting it. Backups acknowledge cumulatively
// (PrepareOk for op k means "every op up to k of this view's log is durable
// here"), the primary commits an op once a replication quorum has acked it
// and commits in op order, and backups learn commits from later prepares and
// commit heartbeats. A view change collects DoViewChange messages from a
// view-change quorum; the log with the highest log_view (ties: highest op)
// wins. Each DoViewChange also describes the sender's journal slots, and an
// uncommitted op is cut only when a nack quorum proves it cannot have
// committed: a replica denies an op only if its slot holds nothing durable,
// or a different readable prepare (protocol-aware recovery: an unreadable
// slot never counts as a denial). If an op above the canonical head may
// have been acked and nobody can produce it, the view change waits.
//
// Storage faults: each journal write is the prepare followed by its
// redundant header, so a restart tells a torn write (header never written:
// never acked) from a corrupt one (header intact: may have been acked, must
// be repaired, and the header still bridges the hash chain). The superblock
// (view, log_view, head, an executed anchor op, suffix headers) is written
// as SuperblockCopies copies and read with a quorum (OpenSuperblock, which
// also returns the repair writes).
//
// Data ops (Operation with the OperationData bit) travel along a ring:
// primary → next → next, each relay forwarding as soon as it accepts the
// prepare, acks going straight to the primary; the primary's prepare timeout
// resends directly to every replica that has not acked. Control ops go star.
//
// Client sessions are registered through the log (the session number is the
// op of the register), the client table is updated only when an op executes,
// and execution itself deduplicates (client, request) so a request retried
// into a second prepare still runs at most once.
//
// Wire format (codec.go): every message is one frame — a 64-byte header
// (XXH3-128 header and body checksums, cluster id, size, WireVersion,
// command, sender, view, flags) and a body with the command's fields in a
// fixed order. EncodeMessage/AppendMessage are deterministic and canonical;
// FrameSize validates a header so a stream reader knows the frame length;
// DecodeMessage rejects every malformed input with an error wrapping
// ErrMessage (fuzzed by FuzzDecode). Limits: PrepareBodySizeMax per body,
// MessageSizeMax per frame; resends and repairs pack prepares by bytes.
//
// Journal and checkpoints: the journal is a ring of JournalSlots slots
// (slot = op mod JournalSlots); restart records are per slot and each
// record's op is checked against its slot (misdirected writes count for
// nothing). Every CheckpointInterval executed ops the replica snapshots
// the client table, the latest executed timestamp and the StateMachine
// (Snapshot/Restore, deterministic bytes) into Ready.Checkpoint, written
// by the host to the checkpoint slot the durable checkpoint does not use,
// before the superblock that references it (op, prepare checksum, data
// checksum, size, slot). An op is written only if its slot's previous op
// is covered by the durable checkpoint (a primary queues requests, a
// backup drops prepares until then; CheckpointInterval + 2·PipelineMax ≤
// JournalSlots). Restart restores the checkpoint, then replays the
// journal suffix it can verify; Replica.RestartReport counts what it
// found (kept, faulty, torn, stale, misdirected records). In-memory log
// entries below both the checkpoint and the journal window are dropped.
// Hosts need no knowledge of the encodings: SuperblockSizeMax sizes a
// superblock copy, PrepareSize reads how long a journal record is (after
// verifying its header) and Superblock.VerifyCheckpoint checks checkpoint
// bytes against the superblock.
//
// State transfer (sync.go): a replica asked for an op its journal no
// longer holds answers with the first chunk of its durable checkpoint if
// that is ahead of the asker; the asker pulls the rest with
// RequestSyncCheckpoint (SyncChunkBytes per chunk), verifies the
// checksum, installs it (Ready.Synced), keeps its log above it if it
// agrees (otherwise, or if the sender's view is newer, it drops the log
// and recovers via RequestStartView), and catches up by repair. Not during
// a view change; a primary only installs checkpoints of ops it knows are
// committed. A new primary more than a checkpoint interval behind the
// commit number forfeits the view (TigerBeetle's rule) and catches up as
// a backup.
//
// Lost disks (recovering.go): a replica whose disk was lost restarts with
// NewRecovering (or a superblock from RecoveringSuperblock): durably
// recovering, it takes part in no quorum (no DoViewChange, no PrepareOk,
// never a primary, never a view change of its own) until it has heard
// the view of every peer, installed a view at least as new from its
// primary, and holds every op up to that StartView's head; see
// NewRecovering for what that guarantees.
//
// Not implemented: storage faults of checkpoints themselves (a corrupt
// checkpoint makes Restart fail instead of syncing it from a peer);
// restart loads no journal records at or below the checkpoint, so a
// restarted replica cannot serve repairs of those ops (peers sync
// instead); TigerBeetle's "checkpoint durable on a quorum" rule for
// overwriting slots (here only local durability; lagging peers use state
// transfer); journal writes allocate per op (Prepare.Encode); no epochs, no
// reconfiguration, one VSR group; no pipelined/async I/O completions (the
// host persists a whole Ready, then calls Advance).
//
// Determinism: no goroutines, no clock, no I/O, no global randomness, no map
// iteration; a test parses this package and fails on forbidden imports or go
// statements.
package vsr
