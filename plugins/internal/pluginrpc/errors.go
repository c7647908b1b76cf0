package pluginrpc

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/runnel-io/runnel/plugins/archiver"
	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/storage"
)

// ErrUnavailable is component.ErrUnavailable: the plugin process is gone
// or cannot be reached.
var ErrUnavailable = component.ErrUnavailable

// sentinel is one error value that keeps its identity across the wire.
type sentinel struct {
	name string
	code codes.Code
	err  error
}

// sentinels lists every error with an identity on the wire. A name, once
// used, keeps its meaning for the life of a protocol version.
func sentinels() []sentinel {
	return []sentinel{
		{"archiver.not_found", codes.NotFound, archiver.ErrNotFound},
		{"archiver.bad_key", codes.InvalidArgument, archiver.ErrBadKey},
		{"archiver.size_mismatch", codes.FailedPrecondition, archiver.ErrSizeMismatch},
		{"archiver.closed", codes.FailedPrecondition, archiver.ErrClosed},
		{"storage.not_found", codes.NotFound, storage.ErrNotFound},
		{"storage.closed", codes.FailedPrecondition, storage.ErrClosed},
		{"storage.unavailable", codes.FailedPrecondition, storage.ErrUnavailable},
	}
}

// toStatus is the plugin side: err becomes a status whose message is
// err's text and whose detail names its sentinel, if any.
func toStatus(err error) error {
	if err == nil {
		return nil
	}
	switch {
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, err.Error())
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, err.Error())
	}
	for _, s := range sentinels() {
		if errors.Is(err, s.err) {
			st, derr := status.New(s.code, err.Error()).WithDetails(wrapperspb.String(s.name))
			if derr != nil {
				return status.Error(s.code, err.Error())
			}
			return st.Err()
		}
	}
	return status.Error(codes.Unknown, err.Error())
}

// remoteError is a plugin's error on the host: its text, and the sentinel
// (or context error) it unwraps to.
type remoteError struct {
	msg  string
	base error
}

func (e *remoteError) Error() string { return e.msg }
func (e *remoteError) Unwrap() error { return e.base }

// fromStatus is the host side of toStatus. Errors that are not statuses
// (the host's own) pass through unchanged.
func fromStatus(err error) error {
	if err == nil {
		return nil
	}
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	for _, d := range st.Details() {
		name, ok := d.(*wrapperspb.StringValue)
		if !ok {
			continue
		}
		for _, s := range sentinels() {
			if s.name == name.GetValue() {
				return &remoteError{msg: st.Message(), base: s.err}
			}
		}
	}
	switch st.Code() {
	case codes.Canceled:
		return &remoteError{msg: st.Message(), base: context.Canceled}
	case codes.DeadlineExceeded:
		return &remoteError{msg: st.Message(), base: context.DeadlineExceeded}
	case codes.Unavailable:
		return fmt.Errorf("%w: %s", ErrUnavailable, st.Message())
	}
	return errors.New(st.Message())
}
