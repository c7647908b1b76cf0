package wire

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

func TestReadRequestGrowsWithArrivingBytes(t *testing.T) {
	// A frame that declares 64 MiB but delivers 10 bytes must not make the
	// reader allocate 64 MiB.
	hdr := make([]byte, RequestHeaderSize)
	EncodeRequestHeader(hdr, CodeSendMessages, 64<<20)
	r := io.MultiReader(bytes.NewReader(hdr), bytes.NewReader(make([]byte, 10)))
	_, buf, err := ReadRequest(r, nil, 64<<20)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("got %v, want unexpected EOF", err)
	}
	if cap(buf) > 2*readGrowBytesMax {
		t.Fatalf("reader holds %d bytes for 10 received", cap(buf))
	}
}

func TestReadRequestRoundTripLargeAndReused(t *testing.T) {
	payload := bytes.Repeat([]byte("0123456789"), 300_000) // 3 MB: several growth steps
	frame := make([]byte, RequestHeaderSize, RequestHeaderSize+len(payload))
	EncodeRequestHeader(frame, CodeSendMessages, len(payload))
	frame = append(frame, payload...)
	h, got, err := ReadRequest(bytes.NewReader(frame), nil, 64<<20)
	if err != nil || h.Code != CodeSendMessages || !bytes.Equal(got, payload) {
		t.Fatalf("round trip: %v code %d equal %v", err, h.Code, bytes.Equal(got, payload))
	}
	// A second, smaller frame reuses the buffer.
	small := make([]byte, RequestHeaderSize)
	EncodeRequestHeader(small, CodePing, 0)
	_, again, err := ReadRequest(bytes.NewReader(small), got, 64<<20)
	if err != nil || len(again) != 0 || cap(again) != cap(got) {
		t.Fatalf("reuse: %v len %d cap %d", err, len(again), cap(again))
	}
}
