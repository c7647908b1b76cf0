package connset

import (
	"log/slog"
	"time"
)

// Accept-error backoff, as net/http: transient errors (EMFILE) are retried
// with a doubling delay instead of spinning or giving up.
const (
	acceptBackoffMin = 5 * time.Millisecond
	acceptBackoffMax = time.Second
)

// Acceptor describes a listener to AcceptLoop; T is what it yields.
type Acceptor[T any] struct {
	// Name prefixes the retry log line ("tcptransport").
	Name string
	Log  *slog.Logger // nil discards
	// Accept waits for the next connection.
	Accept func() (T, error)
	// Closed reports whether an Accept error means the listener was closed,
	// which ends the loop.
	Closed func(error) bool
	// Done ends the loop instead of another retry once it is closed.
	Done <-chan struct{}
}

// AcceptLoop hands every accepted connection to admit until the listener
// is closed, retrying other Accept errors with backoff.
func AcceptLoop[T any](a Acceptor[T], admit func(T)) {
	if a.Log == nil {
		a.Log = slog.New(slog.DiscardHandler)
	}
	var delay time.Duration
	for {
		c, err := a.Accept()
		if err == nil {
			delay = 0
			admit(c)
			continue
		}
		if a.Closed(err) {
			return
		}
		select {
		case <-a.Done:
			return
		default:
		}
		delay = min(max(2*delay, acceptBackoffMin), acceptBackoffMax)
		a.Log.Warn(a.Name+": accept failed, retrying", "err", err, "retry_in", delay)
		timer := time.NewTimer(delay)
		select {
		case <-timer.C:
		case <-a.Done:
			timer.Stop()
			return
		}
	}
}
