package vsr

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Operation says what a prepare does. Values below OperationUserMin belong to
// the protocol; the state machine owns the rest. The OperationData bit marks
// a data op (message payload): it is disseminated along the ring.
type Operation uint8

// Protocol operations and flags.
const (
	OperationRoot     Operation = 0 // op 0, the hash-chain anchor
	OperationRegister Operation = 1 // registers a client session
	OperationUserMin  Operation = 16
	OperationData     Operation = 0x80
)

// IsData reports whether o is replicated along the ring.
func (o Operation) IsData() bool { return o&OperationData != 0 }

// HeaderSize is the encoded size of a prepare header in bytes.
const HeaderSize = 128

// Header is the immutable header of a prepare. It is stamped once, by the
// primary of View, and never changed: retransmissions and repairs carry the
// same bytes.
type Header struct {
	Checksum     Checksum // over bytes 16..HeaderSize of the encoding
	Parent       Checksum // Checksum of op-1: the hash chain
	BodyChecksum Checksum
	Cluster      uint64
	View         uint64 // view in which the op was prepared
	Op           uint64
	Commit       uint64 // the primary's commit number when preparing
	Timestamp    uint64 // primary clock, strictly increasing
	Client       uint64
	Session      uint64
	Request      uint64
	BodySize     uint32
	Operation    Operation
}

// Prepare is a header and its body. Treat both as immutable once built.
type Prepare struct {
	Header
	Body []byte
}

func (h *Header) encode(b []byte) {
	_ = b[HeaderSize-1]
	clear(b[:HeaderSize])
	putChecksum(b[0:], h.Checksum)
	putChecksum(b[16:], h.Parent)
	putChecksum(b[32:], h.BodyChecksum)
	le := binary.LittleEndian
	le.PutUint64(b[48:], h.Cluster)
	le.PutUint64(b[56:], h.View)
	le.PutUint64(b[64:], h.Op)
	le.PutUint64(b[72:], h.Commit)
	le.PutUint64(b[80:], h.Timestamp)
	le.PutUint64(b[88:], h.Client)
	le.PutUint64(b[96:], h.Session)
	le.PutUint64(b[104:], h.Request)
	le.PutUint32(b[112:], h.BodySize)
	b[116] = byte(h.Operation)
}

func decodeHeader(b []byte) Header {
	le := binary.LittleEndian
	return Header{
		Checksum:     getChecksum(b[0:]),
		Parent:       getChecksum(b[16:]),
		BodyChecksum: getChecksum(b[32:]),
		Cluster:      le.Uint64(b[48:]),
		View:         le.Uint64(b[56:]),
		Op:           le.Uint64(b[64:]),
		Commit:       le.Uint64(b[72:]),
		Timestamp:    le.Uint64(b[80:]),
		Client:       le.Uint64(b[88:]),
		Session:      le.Uint64(b[96:]),
		Request:      le.Uint64(b[104:]),
		BodySize:     le.Uint32(b[112:]),
		Operation:    Operation(b[116]),
	}
}

// seal computes the body checksum and then the header checksum.
func (p *Prepare) seal() {
	p.BodySize = uint32(len(p.Body))
	p.BodyChecksum = checksumOf(p.Body)
	var b [HeaderSize]byte
	p.Header.encode(b[:])
	p.Checksum = checksumOf(b[16:])
}

// valid reports whether the header checksum matches its fields.
func (h *Header) valid() bool {
	var b [HeaderSize]byte
	h.encode(b[:])
	return checksumOf(b[16:]) == h.Checksum
}

// Valid reports whether both checksums of p verify.
func (p *Prepare) Valid() bool {
	return p.Header.valid() && int(p.BodySize) == len(p.Body) && checksumOf(p.Body) == p.BodyChecksum
}

// Encode returns the on-disk form of p: header then body. Its first
// HeaderSize bytes are the redundant header record.
func (p *Prepare) Encode() []byte {
	b := make([]byte, HeaderSize+len(p.Body))
	p.Header.encode(b)
	copy(b[HeaderSize:], p.Body)
	return b
}

var errCorrupt = errors.New("vsr: corrupt record")

// DecodePrepare parses and verifies an encoded prepare.
func DecodePrepare(b []byte) (*Prepare, error) {
	if len(b) < HeaderSize {
		return nil, fmt.Errorf("%w: %d bytes", errCorrupt, len(b))
	}
	p := &Prepare{Header: decodeHeader(b)}
	if !reservedZero(b) || !p.Header.valid() || int(p.BodySize) != len(b)-HeaderSize {
		return nil, errCorrupt
	}
	p.Body = b[HeaderSize:]
	if checksumOf(p.Body) != p.BodyChecksum {
		return nil, errCorrupt
	}
	return p, nil
}

// PrepareSize verifies the header at the start of an encoded prepare (its
// checksum, reserved bytes and body limit) and returns the prepare's op
// and encoded size (HeaderSize + body). A host reading a journal slot
// calls it on the slot's first HeaderSize bytes to learn how many bytes
// to read, and whether the record is above its checkpoint, without
// trusting unverified fields. ok is false for a header that does not
// verify: the record is unreadable (the body is not checked here;
// DecodePrepare does that).
func PrepareSize(header []byte) (op uint64, size int, ok bool) {
	h, ok := decodeHeaderRecord(header)
	if !ok || h.BodySize > PrepareBodySizeMax {
		return 0, 0, false
	}
	return h.Op, HeaderSize + int(h.BodySize), true
}

// decodeHeaderRecord parses and verifies a redundant header record.
func decodeHeaderRecord(b []byte) (Header, bool) {
	if len(b) < HeaderSize {
		return Header{}, false
	}
	h := decodeHeader(b)
	return h, reservedZero(b) && h.valid()
}

// headerReservedFrom is where the reserved (must be zero) header bytes
// start: a flip there would otherwise pass, as decoding ignores them.
const headerReservedFrom = 117

func reservedZero(b []byte) bool {
	for _, c := range b[headerReservedFrom:HeaderSize] {
		if c != 0 {
			return false
		}
	}
	return true
}

// rootPrepare is op 0 of every log of a cluster: the anchor of the chain.
func rootPrepare(cluster uint64) *Prepare {
	p := &Prepare{Header: Header{Cluster: cluster, Operation: OperationRoot}}
	p.seal()
	return p
}
