//go:build !linux

package pluginrpc

import "errors"

var errNoShm = errors.New("pluginrpc: storage plugins need Linux (memfd shared memory)")

// NewRegion is Linux-only.
func NewRegion(slots, slotBytes int) (*Region, error) { return nil, errNoShm }

// Close does nothing here.
func (r *Region) Close() error { return nil }

func mapShared(int, int64) ([]byte, func() error, error) { return nil, nil, errNoShm }

// DupFD is Linux-only.
func DupFD(int) (int, error) { return 0, errNoShm }
