package replicabus

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/zeebo/xxh3"
)

// Frame layout: see doc.go.
const (
	frameHeaderBytes = 48
	frameSummedBytes = 32 // header bytes covered by the checksum, before it
	frameVersion     = 1
	frameKindMessage = 1
	frameKindPing    = 2
	frameMagic       = "RNBF"
)

// frameHeader is a decoded frame header.
type frameHeader struct {
	kind      byte
	cluster   ClusterID
	sender    uint16
	receiver  uint16
	bodyBytes uint32
	checksum  [16]byte
}

// frameRules is what a reader expects of every frame on one connection.
type frameRules struct {
	cluster      ClusterID
	sender       uint16 // the authenticated peer
	receiver     uint16 // this replica
	bodyBytesMax int
}

// putFrameHeader writes the header of a frame carrying body into dst,
// computing the checksum with h.
func putFrameHeader(dst *[frameHeaderBytes]byte, h *xxh3.Hasher128, kind byte, cluster ClusterID, from, to uint16, body []byte) {
	copy(dst[0:4], frameMagic)
	dst[4] = frameVersion
	dst[5] = kind
	dst[6], dst[7] = 0, 0
	copy(dst[8:24], cluster[:])
	binary.LittleEndian.PutUint16(dst[24:26], from)
	binary.LittleEndian.PutUint16(dst[26:28], to)
	binary.LittleEndian.PutUint32(dst[28:32], uint32(len(body)))
	sum := frameChecksum(h, dst[:frameSummedBytes], body)
	copy(dst[32:48], sum[:])
}

func frameChecksum(h *xxh3.Hasher128, head, body []byte) [16]byte {
	h.Reset()
	_, _ = h.Write(head) // hash writes never fail
	_, _ = h.Write(body)
	return h.Sum128().Bytes()
}

// decodeFrameHeader validates everything knowable before reading the body.
func decodeFrameHeader(b *[frameHeaderBytes]byte, r frameRules) (frameHeader, error) {
	var f frameHeader
	if string(b[0:4]) != frameMagic {
		return f, fmt.Errorf("%w: magic %x", ErrBadFrame, b[0:4])
	}
	if b[4] != frameVersion {
		return f, fmt.Errorf("%w: version %d (want %d)", ErrBadFrame, b[4], frameVersion)
	}
	f.kind = b[5]
	if f.kind != frameKindMessage && f.kind != frameKindPing {
		return f, fmt.Errorf("%w: kind %d", ErrBadFrame, f.kind)
	}
	if b[6] != 0 || b[7] != 0 {
		return f, fmt.Errorf("%w: reserved bytes not zero", ErrBadFrame)
	}
	copy(f.cluster[:], b[8:24])
	f.sender = binary.LittleEndian.Uint16(b[24:26])
	f.receiver = binary.LittleEndian.Uint16(b[26:28])
	f.bodyBytes = binary.LittleEndian.Uint32(b[28:32])
	copy(f.checksum[:], b[32:48])
	switch {
	case f.cluster != r.cluster:
		return f, fmt.Errorf("%w: cluster id %s (want %s)", ErrBadFrame, f.cluster, r.cluster)
	case f.sender != r.sender:
		return f, fmt.Errorf("%w: sender %d on the connection of replica %d", ErrBadFrame, f.sender, r.sender)
	case f.receiver != r.receiver:
		return f, fmt.Errorf("%w: receiver %d (this is replica %d)", ErrBadFrame, f.receiver, r.receiver)
	case uint64(f.bodyBytes) > uint64(r.bodyBytesMax):
		return f, fmt.Errorf("%w: body of %d bytes exceeds %d", ErrBadFrame, f.bodyBytes, r.bodyBytesMax)
	case f.kind == frameKindPing && f.bodyBytes != 0:
		return f, fmt.Errorf("%w: ping with a %d-byte body", ErrBadFrame, f.bodyBytes)
	}
	return f, nil
}

// readFrame reads one frame. The body is freshly allocated (the receiver
// owns it) and only after the header validated, so a hostile length costs
// at most bodyBytesMax. hdr and h are the caller's scratch.
func readFrame(rd io.Reader, hdr *[frameHeaderBytes]byte, h *xxh3.Hasher128, r frameRules) (byte, []byte, error) {
	if _, err := io.ReadFull(rd, hdr[:]); err != nil {
		return 0, nil, err
	}
	f, err := decodeFrameHeader(hdr, r)
	if err != nil {
		return 0, nil, err
	}
	var body []byte
	if f.bodyBytes > 0 {
		body = make([]byte, f.bodyBytes)
		if _, err := io.ReadFull(rd, body); err != nil {
			return 0, nil, err
		}
	}
	if frameChecksum(h, hdr[:frameSummedBytes], body) != f.checksum {
		return 0, nil, fmt.Errorf("%w: checksum mismatch (kind %d, %d-byte body)", ErrBadFrame, f.kind, f.bodyBytes)
	}
	return f.kind, body, nil
}
