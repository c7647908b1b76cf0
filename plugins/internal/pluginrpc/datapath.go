package pluginrpc

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
)

// The data path: Append and ReadAt do not go through gRPC. Their requests
// and completions are fixed-size packets on a SOCK_SEQPACKET socket pair
// whose other end the child inherits (exec.Cmd.ExtraFiles, like the
// region), and their bytes stay in the shared Region. The socket is
// private to the two processes, so it needs no TLS, and one packet per
// request and per completion costs far less than a gRPC call (HTTP/2
// framing, TLS, three goroutine hand-offs per side). Requests carry ids;
// completions may come back in any order.

const (
	opAppend uint8 = 1
	opRead   uint8 = 2
	// opStop ends a file's append worker (plugin side only).
	opStop uint8 = 3
	opSync uint8 = 4

	statusOK    uint8 = 0
	statusEOF   uint8 = 1
	statusError uint8 = 2

	// dataReqBytes: id, op, file, offset, length, position.
	dataReqBytes = 8 + 1 + 8 + 8 + 8 + 8
	// dataRepHeadBytes: id, status, value, name length, message length.
	dataRepHeadBytes = 8 + 1 + 8 + 2 + 2
	// dataRepBytesMax bounds a completion (an error's text is cut).
	dataRepBytesMax = 4096
)

type dataReq struct {
	id       uint64
	op       uint8
	file     uint64
	offset   int64 // in the region
	length   int64
	position int64 // in the file (reads)
}

func (r dataReq) encode(b []byte) []byte {
	b = binary.LittleEndian.AppendUint64(b, r.id)
	b = append(b, r.op)
	b = binary.LittleEndian.AppendUint64(b, r.file)
	b = binary.LittleEndian.AppendUint64(b, uint64(r.offset))
	b = binary.LittleEndian.AppendUint64(b, uint64(r.length))
	return binary.LittleEndian.AppendUint64(b, uint64(r.position))
}

func decodeReq(b []byte) (dataReq, error) {
	if len(b) != dataReqBytes {
		return dataReq{}, fmt.Errorf("pluginrpc: data request of %d bytes", len(b))
	}
	le := binary.LittleEndian
	return dataReq{
		id: le.Uint64(b), op: b[8], file: le.Uint64(b[9:]),
		offset: int64(le.Uint64(b[17:])), length: int64(le.Uint64(b[25:])), position: int64(le.Uint64(b[33:])),
	}, nil
}

// dataRep is a completion: value is the position (append) or the count
// (read); err is set when status is statusError.
type dataRep struct {
	id     uint64
	status uint8
	value  int64
	err    error
}

func (r dataRep) encode(b []byte) []byte {
	var name, msg string
	if r.status == statusError {
		name, msg = errorName(r.err), r.err.Error()
	}
	room := dataRepBytesMax - dataRepHeadBytes - len(name)
	msg = msg[:min(len(msg), max(room, 0))]
	le := binary.LittleEndian
	b = le.AppendUint64(b, r.id)
	b = append(b, r.status)
	b = le.AppendUint64(b, uint64(r.value))
	b = le.AppendUint16(b, uint16(len(name)))
	b = le.AppendUint16(b, uint16(len(msg)))
	b = append(b, name...)
	return append(b, msg...)
}

func decodeRep(b []byte) (dataRep, error) {
	if len(b) < dataRepHeadBytes {
		return dataRep{}, fmt.Errorf("pluginrpc: data completion of %d bytes", len(b))
	}
	le := binary.LittleEndian
	r := dataRep{id: le.Uint64(b), status: b[8], value: int64(le.Uint64(b[9:]))}
	nameLen, msgLen := int(le.Uint16(b[17:])), int(le.Uint16(b[19:]))
	if len(b) != dataRepHeadBytes+nameLen+msgLen {
		return dataRep{}, fmt.Errorf("pluginrpc: data completion of %d bytes, header says %d", len(b), dataRepHeadBytes+nameLen+msgLen)
	}
	if r.status == statusError {
		name := string(b[dataRepHeadBytes : dataRepHeadBytes+nameLen])
		r.err = errorFromName(name, string(b[dataRepHeadBytes+nameLen:]))
	}
	return r, nil
}

// errorName names err's sentinel on the wire ("" for none).
func errorName(err error) string {
	switch {
	case errors.Is(err, context.Canceled):
		return "context.canceled"
	case errors.Is(err, context.DeadlineExceeded):
		return "context.deadline_exceeded"
	}
	for _, s := range sentinels() {
		if errors.Is(err, s.err) {
			return s.name
		}
	}
	return ""
}

// errorFromName rebuilds an error that unwraps to the named sentinel.
func errorFromName(name, msg string) error {
	switch name {
	case "context.canceled":
		return &remoteError{msg: msg, base: context.Canceled}
	case "context.deadline_exceeded":
		return &remoteError{msg: msg, base: context.DeadlineExceeded}
	}
	for _, s := range sentinels() {
		if s.name == name {
			return &remoteError{msg: msg, base: s.err}
		}
	}
	return errors.New(msg)
}
