// Package metadata is the replicated metadata state machine: streams,
// topics, partitions (their count and creation times), consumer groups,
// users, personal access tokens and stored consumer offsets.
//
// It is pure. Nothing here does I/O, reads the clock or draws random
// numbers: every mutating command is an [Op] value that carries all it needs
// (creation times, password and token hashes, absolute expiry times), and
// [State.Apply] is a deterministic function of the state and the op. That
// lets the same ops be written to a local log (internal/metastore) today and
// carried as VSR prepares later, with every replica reaching the same state.
//
// Apply validates before it mutates, so a failing op leaves the state
// untouched. Errors are wire status sentinels (wire.ErrStreamIDNotFound,
// ...), usually wrapped with Detail, so errors.Is gives the status code the
// server must answer with.
//
// IDs follow the Rust server (reference §2.13): streams, topics (per
// stream), consumer groups (per topic) and users live in slabs that hand out
// 0, 1, 2, ... and reuse the most recently freed id first; partitions are
// dense 0..n-1.
//
// Consumer-group membership belongs to connections and is not persisted; it
// lives in [Membership], which the server keeps beside the State.
//
// Concurrency: State and Membership are not safe for concurrent use; the
// owner (internal/metastore for State) serialises access. Values returned by
// accessors point into the state and must be treated as read-only.
package metadata
