package client

import (
	"context"
	"errors"

	"github.com/runnel-io/runnel/sdk/wire"
)

// Retryable reports whether err is a connection problem that the same
// request may get past after the client reconnects (I/O and dial errors,
// timeouts, a dropped session), rather than the server's answer to the
// request. Requests sent again this way may have been applied already.
func Retryable(err error) bool {
	if err == nil || errors.Is(err, ErrClosed) || errors.Is(err, context.Canceled) {
		return false
	}
	var status *wire.Error
	if errors.As(err, &status) {
		switch status.Code {
		case wire.ErrNotConnected.Code, wire.ErrDisconnected.Code, wire.ErrStaleClient.Code,
			wire.ErrClientNotFound.Code, wire.ErrClientShutdown.Code, wire.ErrUnauthenticated.Code:
			return true
		}
		return false
	}
	var tooLarge *wire.ResponseTooLargeError
	return !errors.As(err, &tooLarge)
}
