package vsr

// StateMachine is the replicated application. Apply runs for every
// committed op, in op order, exactly once per (client, request) on every
// replica, and must be deterministic: the same ops give the same results
// byte for byte. Offsets and other positions are assigned here, at apply
// time, never at prepare time, so a view change cannot reuse one.
// timestampMicros is the primary's timestamp of the op (never a local
// clock). The returned result becomes the client's reply.
//
// Snapshot returns the whole state as deterministic bytes (the same state
// gives the same bytes on every replica); Restore replaces the state with
// a snapshot's. They back checkpoints and state transfer.
type StateMachine interface {
	Apply(op, timestampMicros uint64, operation Operation, body []byte) []byte
	Snapshot() []byte
	Restore(snapshot []byte) error
}

// Clock gives the primary wall-clock time for prepare timestamps. It is
// only read by the primary; timestamps are made strictly increasing anyway.
type Clock interface {
	RealtimeMicros() uint64
}
