package transporttest

import (
	"encoding/binary"
	"io"

	"github.com/runnel-io/runnel/sdk/wire"
)

// Unit opens the carrier of one request frame on a medium that does not
// carry a single byte stream: a QUIC stream, a WebSocket message. The
// returned writer receives the frame's bytes, possibly in several writes;
// Close ends the unit.
type Unit func() (io.WriteCloser, error)

// Splitter turns the byte stream the suite writes (request frames back to
// back, or garbage) into one unit per request frame, cut by each header's
// length field exactly as a TCP server would read it: a length below 4
// makes an 8-byte frame. Bytes go out as they arrive, so a unit whose frame
// never completes (a huge declared length, a truncated frame) is still
// started and the server sees its header. A Dial for such a medium writes
// through a Splitter.
type Splitter struct {
	open      Unit
	hdr       []byte         // header bytes of the next frame, < 8
	cur       io.WriteCloser // unit of the frame being written
	remaining uint64         // payload bytes the current frame still needs
	writeErr  error          // the current unit refused bytes: skip the rest of its frame
}

// NewSplitter writes through open.
func NewSplitter(open Unit) *Splitter { return &Splitter{open: open} }

// Write splits p into frames. Errors opening a unit are returned; a unit
// that refuses bytes (the server stopped reading it) swallows the rest of
// its frame, as a socket would after the server answered and moved on.
func (s *Splitter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		if s.cur == nil {
			take := min(wire.RequestHeaderSize-len(s.hdr), len(p))
			s.hdr, p = append(s.hdr, p[:take]...), p[take:]
			if len(s.hdr) < wire.RequestHeaderSize {
				break
			}
			if err := s.begin(); err != nil {
				return n - len(p), err
			}
			continue
		}
		take := min(uint64(len(p)), s.remaining)
		if s.writeErr == nil {
			_, s.writeErr = s.cur.Write(p[:take])
		}
		p, s.remaining = p[take:], s.remaining-take
		if s.remaining == 0 {
			s.end()
		}
	}
	if f, ok := s.cur.(Flusher); ok && s.writeErr == nil {
		s.writeErr = f.Flush()
	}
	return n, nil
}

// Flusher is implemented by units that hold bytes back (a WebSocket
// message is sent whole): the Splitter flushes a unit whose frame is still
// incomplete at the end of each Write, so the server sees what the suite
// wrote, as it would on a socket.
type Flusher interface {
	Flush() error
}

// begin opens a unit for the header in s.hdr.
func (s *Splitter) begin() error {
	unit, err := s.open()
	if err != nil {
		s.hdr = s.hdr[:0]
		return err
	}
	s.cur, s.writeErr = unit, nil
	_, s.writeErr = unit.Write(s.hdr)
	length := binary.LittleEndian.Uint32(s.hdr)
	s.hdr = s.hdr[:0]
	s.remaining = 0
	if length >= 4 {
		s.remaining = uint64(length) - 4
	}
	if s.remaining == 0 {
		s.end()
	}
	return nil
}

func (s *Splitter) end() {
	s.cur.Close()
	s.cur = nil
}
