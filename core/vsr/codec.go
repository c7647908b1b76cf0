package vsr

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Wire format of replica and client messages (one frame per message):
//
//	0   checksum       u128  XXH3-128 of frame bytes 16..FrameHeaderSize
//	16  body checksum  u128  XXH3-128 of the body
//	32  cluster        u64   binds the frame to one cluster
//	40  size           u32   whole frame, header included
//	44  version        u16   WireVersion
//	46  command        u8
//	47  replica        u8    sender
//	48  view           u64
//	56  flags          u8    bit 0: ring relay
//	57  operation      u8
//	58  reply status   u8
//	59  reserved       must be zero
//
// The body holds the command's scalar fields in a fixed order (see
// commandFields), then its variable sections, each prefixed by a u32
// count: prepares (encoded as on disk), headers, journal slots, bytes.
// Encoding is deterministic and canonical: a frame that decodes re-encodes
// to the same bytes.
const (
	FrameHeaderSize = 64
	WireVersion     = 1

	// PrepareBodySizeMax bounds one request or prepare body (one batch)
	// as the codec accepts it. The journal's slot size is the limit a
	// host really applies (at most this).
	PrepareBodySizeMax = 8 << 20
	// preparesBytesMax bounds the prepares packed into one message; one
	// prepare always fits.
	preparesBytesMax = 2 << 20
	// MessageSizeMax bounds a whole frame.
	MessageSizeMax = FrameHeaderSize + preparesBytesMax + PrepareBodySizeMax + 64<<10

	messagePreparesMax = 64
	messageHeadersMax  = 64
	slotInfoSize       = 1 + 8 + 16
)

// ErrMessage is wrapped by every decoding failure.
var ErrMessage = errors.New("vsr: bad message")

// Scalar body fields, in encoding order.
const (
	fOp = 1 << iota
	fCommit
	fChecksum
	fLogView
	fAnchor
	fDiskTop
	fNonce
	fClient
	fSession
	fRequest
	fOffset
	fSize
	fSyncChecksum
)

// Variable body sections, in encoding order.
const (
	vPrepares = 1 << iota
	vHeaders
	vSlots
	vBody
)

// fieldsOf returns a command's scalar fields and sections.
func fieldsOf(c Command) (scalars, sections uint16, ok bool) {
	switch c {
	case CmdRequest:
		return fClient | fSession | fRequest, vBody, true
	case CmdReply:
		return fOp | fCommit | fClient | fSession | fRequest, vBody, true
	case CmdPrepare:
		return fCommit, vPrepares, true
	case CmdPrepareOk, CmdCommit:
		return fOp | fChecksum | fCommit, 0, true
	case CmdStartViewChange:
		return 0, 0, true
	case CmdDoViewChange:
		return fOp | fCommit | fChecksum | fLogView | fAnchor | fDiskTop, vHeaders | vSlots, true
	case CmdStartView:
		return fOp | fCommit | fChecksum | fLogView | fAnchor, vHeaders, true
	case CmdRequestStartView, CmdViewReport:
		return fNonce, 0, true
	case CmdRequestPrepare:
		return fOp | fCommit | fChecksum, 0, true
	case CmdRepair:
		return 0, vPrepares | vHeaders, true
	case CmdRequestSyncCheckpoint:
		return fOp | fCommit | fOffset | fSyncChecksum, 0, true
	case CmdSyncCheckpoint:
		return fOp | fChecksum | fOffset | fSize | fSyncChecksum, vBody, true
	}
	return 0, 0, false
}

// scalarsSize is the encoded size of a set of scalar fields.
func scalarsSize(s uint16) int {
	n := 0
	for bit := uint16(1); bit <= fSyncChecksum; bit <<= 1 {
		switch {
		case s&bit == 0:
		case bit == fChecksum || bit == fSyncChecksum:
			n += 16
		case bit == fAnchor:
			n += 8 + 16
		default:
			n += 8
		}
	}
	return n
}

// EncodedSize returns the frame size of m, or an error if m breaks a limit.
func EncodedSize(m *Message) (int, error) {
	scalars, sections, ok := fieldsOf(m.Command)
	if !ok {
		return 0, fmt.Errorf("%w: command %d", ErrMessage, m.Command)
	}
	if m.Replica < 0 || m.Replica > 0xff {
		return 0, fmt.Errorf("%w: replica %d", ErrMessage, m.Replica)
	}
	n := FrameHeaderSize + scalarsSize(scalars)
	if sections&vPrepares != 0 {
		if len(m.Prepares) > messagePreparesMax {
			return 0, fmt.Errorf("%w: %d prepares", ErrMessage, len(m.Prepares))
		}
		n += 4
		for _, p := range m.Prepares {
			if len(p.Body) > PrepareBodySizeMax || int(p.BodySize) != len(p.Body) {
				return 0, fmt.Errorf("%w: prepare body of %d bytes", ErrMessage, len(p.Body))
			}
			n += HeaderSize + len(p.Body)
		}
	}
	if sections&vHeaders != 0 {
		if len(m.Headers) > messageHeadersMax {
			return 0, fmt.Errorf("%w: %d headers", ErrMessage, len(m.Headers))
		}
		n += 4 + len(m.Headers)*HeaderSize
	}
	if sections&vSlots != 0 {
		if len(m.Slots) > dvcSlotsMax {
			return 0, fmt.Errorf("%w: %d slots", ErrMessage, len(m.Slots))
		}
		n += 4 + len(m.Slots)*slotInfoSize
	}
	if sections&vBody != 0 {
		if len(m.Body) > PrepareBodySizeMax {
			return 0, fmt.Errorf("%w: body of %d bytes", ErrMessage, len(m.Body))
		}
		n += 4 + len(m.Body)
	}
	if n > MessageSizeMax {
		return 0, fmt.Errorf("%w: %d bytes", ErrMessage, n)
	}
	return n, nil
}

// EncodeMessage returns m as one frame for cluster.
func EncodeMessage(m *Message, cluster uint64) ([]byte, error) {
	return AppendMessage(nil, m, cluster)
}

// AppendMessage appends m's frame to dst (one allocation at most).
func AppendMessage(dst []byte, m *Message, cluster uint64) ([]byte, error) {
	size, err := EncodedSize(m)
	if err != nil {
		return dst, err
	}
	start := len(dst)
	if cap(dst)-start < size {
		grown := make([]byte, start, start+size)
		copy(grown, dst)
		dst = grown
	}
	dst = dst[:start+size]
	b := dst[start:]
	clear(b[:FrameHeaderSize])
	le := binary.LittleEndian
	le.PutUint64(b[32:], cluster)
	le.PutUint32(b[40:], uint32(size))
	le.PutUint16(b[44:], WireVersion)
	b[46] = byte(m.Command)
	b[47] = byte(m.Replica)
	le.PutUint64(b[48:], m.View)
	if m.Ring {
		b[56] = 1
	}
	b[57] = byte(m.Operation)
	b[58] = byte(m.Status)
	encodeBody(b[FrameHeaderSize:], m)
	putChecksum(b[16:], checksumOf(b[FrameHeaderSize:]))
	putChecksum(b[0:], checksumOf(b[16:FrameHeaderSize]))
	return dst, nil
}

type writer struct {
	b   []byte
	off int
}

func (w *writer) u64(v uint64) { binary.LittleEndian.PutUint64(w.b[w.off:], v); w.off += 8 }
func (w *writer) u32(v uint32) { binary.LittleEndian.PutUint32(w.b[w.off:], v); w.off += 4 }
func (w *writer) sum(c Checksum) {
	putChecksum(w.b[w.off:], c)
	w.off += 16
}
func (w *writer) bytes(p []byte) { w.off += copy(w.b[w.off:], p) }

func encodeBody(b []byte, m *Message) {
	scalars, sections, _ := fieldsOf(m.Command)
	w := &writer{b: b}
	for bit := uint16(1); bit <= fSyncChecksum; bit <<= 1 {
		if scalars&bit == 0 {
			continue
		}
		switch bit {
		case fOp:
			w.u64(m.Op)
		case fCommit:
			w.u64(m.Commit)
		case fChecksum:
			w.sum(m.Checksum)
		case fLogView:
			w.u64(m.LogView)
		case fAnchor:
			w.u64(m.Anchor)
			w.sum(m.AnchorID)
		case fDiskTop:
			w.u64(m.DiskTop)
		case fNonce:
			w.u64(m.Nonce)
		case fClient:
			w.u64(m.Client)
		case fSession:
			w.u64(m.Session)
		case fRequest:
			w.u64(m.Request)
		case fOffset:
			w.u64(m.Offset)
		case fSize:
			w.u64(m.Size)
		case fSyncChecksum:
			w.sum(m.SyncChecksum)
		}
	}
	if sections&vPrepares != 0 {
		w.u32(uint32(len(m.Prepares)))
		for _, p := range m.Prepares {
			p.Header.encode(w.b[w.off:])
			w.off += HeaderSize
			w.bytes(p.Body)
		}
	}
	if sections&vHeaders != 0 {
		w.u32(uint32(len(m.Headers)))
		for i := range m.Headers {
			m.Headers[i].encode(w.b[w.off:])
			w.off += HeaderSize
		}
	}
	if sections&vSlots != 0 {
		w.u32(uint32(len(m.Slots)))
		for _, s := range m.Slots {
			var flags byte
			if s.Written {
				flags |= 1
			}
			if s.Faulty {
				flags |= 2
			}
			w.b[w.off] = flags
			w.off++
			w.u64(s.View)
			w.sum(s.Checksum)
		}
	}
	if sections&vBody != 0 {
		w.u32(uint32(len(m.Body)))
		w.bytes(m.Body)
	}
}

// FrameSize verifies a frame header (the first FrameHeaderSize bytes) and
// returns the size of the whole frame, so a stream reader knows how much
// more to read before DecodeMessage.
func FrameSize(header []byte, cluster uint64) (int, error) {
	if len(header) < FrameHeaderSize {
		return 0, fmt.Errorf("%w: header of %d bytes", ErrMessage, len(header))
	}
	h := header[:FrameHeaderSize]
	if getChecksum(h) != checksumOf(h[16:]) {
		return 0, fmt.Errorf("%w: header checksum", ErrMessage)
	}
	le := binary.LittleEndian
	if v := le.Uint16(h[44:]); v != WireVersion {
		return 0, fmt.Errorf("%w: version %d", ErrMessage, v)
	}
	if c := le.Uint64(h[32:]); c != cluster {
		return 0, fmt.Errorf("%w: cluster %d, want %d", ErrMessage, c, cluster)
	}
	size := int(le.Uint32(h[40:]))
	if size < FrameHeaderSize || size > MessageSizeMax {
		return 0, fmt.Errorf("%w: frame of %d bytes", ErrMessage, size)
	}
	if h[56]&^1 != 0 {
		return 0, fmt.Errorf("%w: flags %#x", ErrMessage, h[56])
	}
	for _, c := range h[59:] {
		if c != 0 {
			return 0, fmt.Errorf("%w: reserved header bytes", ErrMessage)
		}
	}
	return size, nil
}

// DecodeMessage verifies and parses one frame of cluster. Every malformed
// input is an error, never a panic. The message's prepare bodies and Body
// alias b: the caller must not modify b afterwards.
func DecodeMessage(b []byte, cluster uint64) (*Message, error) {
	size, err := FrameSize(b, cluster)
	if err != nil {
		return nil, err
	}
	if size != len(b) {
		return nil, fmt.Errorf("%w: frame says %d bytes, got %d", ErrMessage, size, len(b))
	}
	if getChecksum(b[16:]) != checksumOf(b[FrameHeaderSize:]) {
		return nil, fmt.Errorf("%w: body checksum", ErrMessage)
	}
	le := binary.LittleEndian
	m := &Message{Command: Command(b[46]), Replica: int(b[47]), View: le.Uint64(b[48:]),
		Ring: b[56] == 1, Operation: Operation(b[57]), Status: ReplyStatus(b[58])}
	if _, _, ok := fieldsOf(m.Command); !ok {
		return nil, fmt.Errorf("%w: command %d", ErrMessage, m.Command)
	}
	if err := decodeBody(b[FrameHeaderSize:], m); err != nil {
		return nil, err
	}
	return m, nil
}

type reader struct {
	b   []byte
	off int
	err error
}

func (r *reader) take(n int) []byte {
	if r.err != nil || n < 0 || n > len(r.b)-r.off {
		if r.err == nil {
			r.err = fmt.Errorf("%w: truncated body", ErrMessage)
		}
		return nil
	}
	s := r.b[r.off : r.off+n : r.off+n]
	r.off += n
	return s
}

func (r *reader) u64() uint64 {
	if s := r.take(8); s != nil {
		return binary.LittleEndian.Uint64(s)
	}
	return 0
}

func (r *reader) u32() uint32 {
	if s := r.take(4); s != nil {
		return binary.LittleEndian.Uint32(s)
	}
	return 0
}

func (r *reader) sum() Checksum {
	if s := r.take(16); s != nil {
		return getChecksum(s)
	}
	return Checksum{}
}

// count reads a section count and checks it against its limit and the
// bytes left (each item at least itemMin bytes).
func (r *reader) count(limit, itemMin int) int {
	n := int(r.u32())
	if r.err == nil && (n > limit || n*itemMin > len(r.b)-r.off) {
		r.err = fmt.Errorf("%w: section of %d items", ErrMessage, n)
	}
	if r.err != nil {
		return 0
	}
	return n
}

func decodeBody(b []byte, m *Message) error {
	scalars, sections, _ := fieldsOf(m.Command)
	r := &reader{b: b}
	for bit := uint16(1); bit <= fSyncChecksum; bit <<= 1 {
		if scalars&bit == 0 {
			continue
		}
		switch bit {
		case fOp:
			m.Op = r.u64()
		case fCommit:
			m.Commit = r.u64()
		case fChecksum:
			m.Checksum = r.sum()
		case fLogView:
			m.LogView = r.u64()
		case fAnchor:
			m.Anchor = r.u64()
			m.AnchorID = r.sum()
		case fDiskTop:
			m.DiskTop = r.u64()
		case fNonce:
			m.Nonce = r.u64()
		case fClient:
			m.Client = r.u64()
		case fSession:
			m.Session = r.u64()
		case fRequest:
			m.Request = r.u64()
		case fOffset:
			m.Offset = r.u64()
		case fSize:
			m.Size = r.u64()
		case fSyncChecksum:
			m.SyncChecksum = r.sum()
		}
	}
	if sections&vPrepares != 0 {
		m.Prepares = decodePrepares(r)
	}
	if sections&vHeaders != 0 {
		m.Headers = decodeHeaders(r)
	}
	if sections&vSlots != 0 {
		m.Slots = decodeSlots(r)
	}
	if sections&vBody != 0 {
		n := r.count(PrepareBodySizeMax, 1)
		if body := r.take(n); n > 0 {
			m.Body = body
		}
	}
	if r.err == nil && r.off != len(b) {
		r.err = fmt.Errorf("%w: %d trailing bytes", ErrMessage, len(b)-r.off)
	}
	return r.err
}

func decodePrepares(r *reader) []*Prepare {
	n := r.count(messagePreparesMax, HeaderSize)
	if n == 0 {
		return nil
	}
	ps := make([]*Prepare, 0, n)
	for range n {
		hb := r.take(HeaderSize)
		if hb == nil {
			return nil
		}
		if !reservedZero(hb) {
			r.err = fmt.Errorf("%w: reserved prepare header bytes", ErrMessage)
			return nil
		}
		p := &Prepare{Header: decodeHeader(hb)}
		if p.BodySize > PrepareBodySizeMax {
			r.err = fmt.Errorf("%w: prepare body of %d bytes", ErrMessage, p.BodySize)
			return nil
		}
		p.Body = r.take(int(p.BodySize))
		if r.err != nil {
			return nil
		}
		ps = append(ps, p)
	}
	return ps
}

func decodeHeaders(r *reader) []Header {
	n := r.count(messageHeadersMax, HeaderSize)
	if n == 0 {
		return nil
	}
	hs := make([]Header, 0, n)
	for range n {
		hb := r.take(HeaderSize)
		if hb == nil {
			return nil
		}
		if !reservedZero(hb) {
			r.err = fmt.Errorf("%w: reserved header bytes", ErrMessage)
			return nil
		}
		hs = append(hs, decodeHeader(hb))
	}
	return hs
}

func decodeSlots(r *reader) []SlotInfo {
	n := r.count(dvcSlotsMax, slotInfoSize)
	if n == 0 {
		return nil
	}
	ss := make([]SlotInfo, 0, n)
	for range n {
		sb := r.take(slotInfoSize)
		if sb == nil {
			return nil
		}
		if sb[0]&^3 != 0 {
			r.err = fmt.Errorf("%w: slot flags %#x", ErrMessage, sb[0])
			return nil
		}
		ss = append(ss, SlotInfo{Written: sb[0]&1 != 0, Faulty: sb[0]&2 != 0,
			View: binary.LittleEndian.Uint64(sb[1:]), Checksum: getChecksum(sb[9:])})
	}
	return ss
}
