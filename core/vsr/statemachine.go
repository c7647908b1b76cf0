package vsr

// StateMachine is the replicated application. Apply runs for every
// committed op, in op order, exactly once per (client, request) on every
// replica, and must be deterministic: the same ops give the same results
// byte for byte. Offsets and other positions are assigned here, at apply
// time, never at prepare time, so a view change cannot reuse one.
// timestampMicros is the primary's timestamp of the op (never a local
// clock). The returned result becomes the client's reply.
type StateMachine interface {
	Apply(op, timestampMicros uint64, operation Operation, body []byte) []byte
}

// Clock gives the primary wall-clock time for prepare timestamps. It is
// only read by the primary; timestamps are made strictly increasing anyway.
type Clock interface {
	RealtimeMicros() uint64
}
