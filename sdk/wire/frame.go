package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Frame sizes and limits (reference §1).
const (
	// RequestHeaderSize: length u32 (covers code + payload), code u32.
	RequestHeaderSize = 8
	// ResponseHeaderSize: status u32, length u32 (payload only).
	ResponseHeaderSize = 8
	// ControlPayloadBytesMax caps every request payload except SendMessages.
	ControlPayloadBytesMax = 10 * 1024 * 1024
)

// ErrFrameTooShort: a request header declared length < 4.
var ErrFrameTooShort = errors.New("wire: request length shorter than its code")

// FrameTooLargeError: a request payload exceeds the limit for its command.
type FrameTooLargeError struct {
	Code         uint32
	PayloadBytes uint32
	LimitBytes   uint32
}

func (e *FrameTooLargeError) Error() string {
	return fmt.Sprintf("wire: command %d payload of %d bytes exceeds the %d-byte limit", e.Code, e.PayloadBytes, e.LimitBytes)
}

// RequestHeader is the decoded 8-byte request header.
type RequestHeader struct {
	Code         uint32
	PayloadBytes uint32
}

// DecodeRequestHeader parses the 8-byte request header. It returns
// ErrFrameTooShort (with no payload to drain) when length < 4.
func DecodeRequestHeader(b []byte) (RequestHeader, error) {
	_ = b[RequestHeaderSize-1]
	length := binary.LittleEndian.Uint32(b[0:])
	code := binary.LittleEndian.Uint32(b[4:])
	if length < 4 {
		return RequestHeader{Code: code}, ErrFrameTooShort
	}
	return RequestHeader{Code: code, PayloadBytes: length - 4}, nil
}

// EncodeRequestHeader writes the 8-byte request header for a payload of n bytes.
func EncodeRequestHeader(b []byte, code uint32, n int) {
	binary.LittleEndian.PutUint32(b[0:], uint32(n)+4)
	binary.LittleEndian.PutUint32(b[4:], code)
}

// EncodeResponseHeader writes the 8-byte response header.
func EncodeResponseHeader(b []byte, status uint32, n int) {
	binary.LittleEndian.PutUint32(b[0:], status)
	binary.LittleEndian.PutUint32(b[4:], uint32(n))
}

// DecodeResponseHeader parses the 8-byte response header.
func DecodeResponseHeader(b []byte) (status uint32, payloadBytes uint32) {
	_ = b[ResponseHeaderSize-1]
	return binary.LittleEndian.Uint32(b[0:]), binary.LittleEndian.Uint32(b[4:])
}

// PayloadLimitBytes is the largest request payload accepted for a command:
// SendMessages is bounded by sendBytesMax, everything else by
// ControlPayloadBytesMax.
func PayloadLimitBytes(code uint32, sendBytesMax uint32) uint32 {
	if code == CodeSendMessages {
		return sendBytesMax
	}
	return ControlPayloadBytesMax
}

// ReadRequest reads one request frame from r. buf is reused when large
// enough; the returned payload aliases it. On *FrameTooLargeError the payload
// was not read and the stream is out of sync: the caller answers and closes.
func ReadRequest(r io.Reader, buf []byte, sendBytesMax uint32) (RequestHeader, []byte, error) {
	var hdr [RequestHeaderSize]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return RequestHeader{}, buf, err
	}
	h, err := DecodeRequestHeader(hdr[:])
	if err != nil {
		return h, buf, err
	}
	if limit := PayloadLimitBytes(h.Code, sendBytesMax); h.PayloadBytes > limit {
		return h, buf, &FrameTooLargeError{Code: h.Code, PayloadBytes: h.PayloadBytes, LimitBytes: limit}
	}
	payload, err := readPayload(r, buf[:0], int(h.PayloadBytes))
	if err != nil {
		return h, payload, err
	}
	return h, payload, nil
}

// readGrowBytesMax is how far ReadRequest grows its buffer ahead of the
// bytes actually received: a peer that declares a 64 MiB frame and sends 8
// bytes costs at most this much memory, not 64 MiB.
const readGrowBytesMax = 1 << 20

// readPayload reads exactly n bytes into buf (appending), growing it in
// steps of at most readGrowBytesMax as data arrives.
func readPayload(r io.Reader, buf []byte, n int) ([]byte, error) {
	if cap(buf) >= n {
		buf = buf[:n]
		if _, err := io.ReadFull(r, buf); err != nil {
			return buf, unexpectedEOF(err)
		}
		return buf, nil
	}
	for len(buf) < n {
		step := min(n-len(buf), readGrowBytesMax)
		if cap(buf)-len(buf) < step {
			grown := make([]byte, len(buf), min(n, max(2*cap(buf), len(buf)+step)))
			copy(grown, buf)
			buf = grown
		}
		at := len(buf)
		buf = buf[:at+step]
		if _, err := io.ReadFull(r, buf[at:]); err != nil {
			return buf[:at], unexpectedEOF(err)
		}
	}
	return buf, nil
}

func unexpectedEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// AppendRequest appends a whole request frame (header and payload) for q.
func AppendRequest(b []byte, q Request) []byte {
	at := len(b)
	b = append(b, make([]byte, RequestHeaderSize)...)
	b = q.AppendTo(b)
	EncodeRequestHeader(b[at:], q.Code(), len(b)-at-RequestHeaderSize)
	return b
}

// StartResponse appends room for a success header; the payload follows and
// FinishResponse(b, start) fills the header in, where start was len(b)
// before this call. Appenders can thus write straight into the frame.
func StartResponse(b []byte) []byte { return append(b, make([]byte, ResponseHeaderSize)...) }

// FinishResponse writes the success header of the frame starting at start.
func FinishResponse(b []byte, start int) {
	EncodeResponseHeader(b[start:], 0, len(b)-start-ResponseHeaderSize)
}

// AppendErrorResponse appends an error frame for err: its status code
// (StatusCode) and no payload, as the Go SDK requires.
func AppendErrorResponse(b []byte, err error) []byte {
	at := len(b)
	b = append(b, make([]byte, ResponseHeaderSize)...)
	EncodeResponseHeader(b[at:], StatusCode(err), 0)
	return b
}

// ResponseTooLargeError: a response payload exceeds the reader's limit. The
// payload was not read, so the connection is out of sync.
type ResponseTooLargeError struct {
	PayloadBytes uint32
	LimitBytes   uint32
}

func (e *ResponseTooLargeError) Error() string {
	return fmt.Sprintf("wire: response payload of %d bytes exceeds the %d-byte limit", e.PayloadBytes, e.LimitBytes)
}

// ReadResponse reads one response frame. A non-zero status comes back as
// its *Error (ErrorFromCode); a stray payload on an error frame is drained
// so the stream stays in sync. The success payload is freshly allocated, so
// decoded values may alias it safely.
func ReadResponse(r io.Reader, payloadBytesMax uint32) ([]byte, error) {
	var hdr [ResponseHeaderSize]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	status, n := DecodeResponseHeader(hdr[:])
	if n > payloadBytesMax {
		return nil, &ResponseTooLargeError{PayloadBytes: n, LimitBytes: payloadBytesMax}
	}
	payload := make([]byte, n)
	if _, err := io.ReadFull(r, payload); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	if status != 0 {
		return nil, ErrorFromCode(status)
	}
	return payload, nil
}
