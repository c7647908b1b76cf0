package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/runnel-io/runnel/sdk/wire"
	"github.com/spf13/cobra"
)

// Exit codes. Scripts rely on them, so they never change meaning.
const (
	exitOK          = 0   // success
	exitServer      = 1   // the server refused the request (or another runtime failure)
	exitUsage       = 2   // bad command line, flag, argument or input file
	exitConnection  = 3   // cannot connect, TLS failure, connection lost, timeout
	exitInterrupted = 130 // SIGINT/SIGTERM during a command other than a --follow poll
)

// usageError is a mistake on the command line; it exits with exitUsage.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// connError is a failure to reach or talk to the server.
type connError struct{ err error }

func (e *connError) Error() string { return e.err.Error() }
func (e *connError) Unwrap() error { return e.err }

// runError marks an error that came out of a command's body, as opposed to
// cobra's own parsing errors, which are all usage errors.
type runError struct{ err error }

func (e *runError) Error() string { return e.err.Error() }
func (e *runError) Unwrap() error { return e.err }

// connectionCodes are wire statuses that describe the connection, not the
// request.
func connectionCode(e *wire.Error) bool {
	switch e.Code {
	case wire.ErrNotConnected.Code, wire.ErrDisconnected.Code, wire.ErrCannotEstablishConnection.Code,
		wire.ErrStaleClient.Code, wire.ErrClientShutdown.Code:
		return true
	}
	return false
}

// describeError maps err to an exit code and one line for stderr.
func describeError(ctx context.Context, cmd *cobra.Command, err error) (int, string) {
	path := "runnel"
	if cmd != nil {
		path = cmd.CommandPath()
	}
	var usage *usageError
	var run *runError
	switch {
	case errors.As(err, &usage):
		return exitUsage, oneLine(fmt.Sprintf("%s: %s (see '%s --help')", path, usage.msg, path))
	case !errors.As(err, &run):
		// cobra's own errors: unknown flags, missing arguments.
		return exitUsage, oneLine(fmt.Sprintf("%s: %s (see '%s --help')", path, err, path))
	}
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		return exitInterrupted, path + ": interrupted"
	}
	var status *wire.Error
	var conn *connError
	switch {
	case errors.As(err, &conn):
		return exitConnection, oneLine(fmt.Sprintf("%s: connection error: %s", path, conn.err))
	case errors.As(err, &status) && connectionCode(status):
		return exitConnection, oneLine(fmt.Sprintf("%s: connection error: %s", path, wireStatusText(err, status)))
	case errors.As(err, &status):
		return exitServer, oneLine(fmt.Sprintf("%s: server error %d %s%s", path, status.Code, status.Name,
			detail(err, status)))
	case isConnectionFailure(err):
		return exitConnection, oneLine(fmt.Sprintf("%s: connection error: %s", path, run.err))
	}
	return exitServer, oneLine(fmt.Sprintf("%s: %s", path, run.err))
}

// detail is the explanation a wire.Error.Detail added, if any.
func detail(err error, status *wire.Error) string {
	text, code := err.Error(), status.Error()
	if i := strings.Index(text, code); i >= 0 {
		if rest := strings.TrimPrefix(text[i+len(code):], ": "); rest != "" {
			return ": " + rest
		}
	}
	return ""
}

func wireStatusText(err error, status *wire.Error) string {
	return fmt.Sprintf("%s (code %d)%s", status.Name, status.Code, detail(err, status))
}

// isConnectionFailure: anything that is not the server's answer is a
// transport problem (I/O error, EOF, timeout).
func isConnectionFailure(err error) bool {
	var local *localError
	if errors.As(err, &local) {
		return false
	}
	return true
}

// localError is a runtime failure on this machine (writing output, the
// profile file); it exits with exitServer.
type localError struct{ err error }

func (e *localError) Error() string { return e.err.Error() }
func (e *localError) Unwrap() error { return e.err }

func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}
