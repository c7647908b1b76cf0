package replicabus

import "errors"

// Errors. Handshake refusals are logged wrapped in one of these, on both
// ends when the refusing side could tell the other.
var (
	ErrClosed         = errors.New("replicabus: closed")
	ErrNotStarted     = errors.New("replicabus: not started")
	ErrSelf           = errors.New("replicabus: send to self")
	ErrTooLarge       = errors.New("replicabus: body too large")
	ErrUnknownReplica = errors.New("replicabus: unknown replica")
	ErrWrongDirection = errors.New("replicabus: wrong dial direction (the lower replica id dials)")
	ErrWrongCluster   = errors.New("replicabus: wrong cluster id")
	ErrWrongKey       = errors.New("replicabus: wrong pre-shared key")
	ErrBadVersion     = errors.New("replicabus: unsupported version")
	ErrBadHandshake   = errors.New("replicabus: malformed handshake")
	ErrBadFrame       = errors.New("replicabus: bad frame")
	ErrIdle           = errors.New("replicabus: peer silent past idle timeout")
)
