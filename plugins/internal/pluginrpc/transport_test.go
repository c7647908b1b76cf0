package pluginrpc

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"testing"

	"google.golang.org/protobuf/types/known/wrapperspb"
)

// pipeStream is a msgStream whose messages go to a slice.
type pipeStream struct {
	msgs [][]byte
}

func (p *pipeStream) SendMsg(m any) error {
	p.msgs = append(p.msgs, bytes.Clone(m.(*wrapperspb.BytesValue).GetValue()))
	return nil
}

func (p *pipeStream) RecvMsg(m any) error {
	if len(p.msgs) == 0 {
		return io.EOF
	}
	m.(*wrapperspb.BytesValue).Value, p.msgs = p.msgs[0], p.msgs[1:]
	return nil
}

// TestFramesSplitAndJoin: frames of every awkward size (empty, filling a
// message exactly, one byte over, several messages) come back whole, in
// messages no larger than ChunkBytesMax.
func TestFramesSplitAndJoin(t *testing.T) {
	var w frameWriter
	for _, n := range []int{0, 1, ChunkBytesMax - requestHeaderBytes, ChunkBytesMax - requestHeaderBytes + 1, 3*ChunkBytesMax + 5} {
		body := make([]byte, n)
		for i := range body {
			body[i] = byte(i * 31)
		}
		p := &pipeStream{}
		// The payload given as uneven chunks, one empty.
		chunks := [][]byte{body[:n/3], nil, body[n/3:]}
		if err := w.write(p, requestHeader(7, n), chunks); err != nil {
			t.Fatal(err)
		}
		for _, m := range p.msgs {
			if len(m) > ChunkBytesMax {
				t.Fatalf("%d bytes: a %d-byte message", n, len(m))
			}
		}
		header, payload, err := readFrame(p, requestHeaderBytes, 4)
		if err != nil {
			t.Fatalf("%d bytes: %v", n, err)
		}
		if code := binary.LittleEndian.Uint32(header); code != 7 || !bytes.Equal(bytes.Join(payload, nil), body) {
			t.Fatalf("%d bytes: code %d, payload differs", n, code)
		}
		if len(p.msgs) != 0 {
			t.Fatalf("%d bytes: %d messages left over", n, len(p.msgs))
		}
	}
}

func TestFramesRejectGarbage(t *testing.T) {
	short := &pipeStream{msgs: [][]byte{{1, 2, 3}}}
	if _, _, err := readFrame(short, requestHeaderBytes, 4); !errors.Is(err, errBadFrame) {
		t.Errorf("short header: %v", err)
	}
	long := &pipeStream{msgs: [][]byte{append(requestHeader(1, 2), 1, 2, 3)}}
	if _, _, err := readFrame(long, requestHeaderBytes, 4); !errors.Is(err, errBadFrame) {
		t.Errorf("payload past the length: %v", err)
	}
	cut := &pipeStream{msgs: [][]byte{append(requestHeader(1, 10), 1, 2)}}
	if _, _, err := readFrame(cut, requestHeaderBytes, 4); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("cut frame: %v", err)
	}
}

func TestForceContext(t *testing.T) {
	ctx := newForceContext()
	ctx.force("")
	if ctx.Err() != nil {
		t.Fatal("done without a reason")
	}
	ctx.force(forceDeadline)
	ctx.force(forceCanceled) // the first reason stays
	<-ctx.Done()
	if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatalf("Err = %v", ctx.Err())
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if forceReason(cancelled) != forceCanceled || forceReason(context.Background()) != "" {
		t.Fatal("forceReason")
	}
}
