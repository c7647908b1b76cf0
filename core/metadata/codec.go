package metadata

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/runnel-io/runnel/sdk/wire"
)

// The binary forms of ops and snapshots are canonical: each value has
// exactly one encoding, and decoders reject anything else (non-0/1 bools,
// unsorted maps, unknown bits, trailing bytes). Decoding then re-encoding
// gives back the same bytes, which the fuzz tests check.

// ErrCorrupt is wrapped by every decode failure.
var ErrCorrupt = errors.New("metadata: corrupt encoding")

// Bits of the global permissions in wire order (§2.7).
const (
	globalBitsCount = 10
	streamBitsCount = 6
	topicBitsCount  = 4
	// stringBytesMax bounds any decoded string: names are ≤ 255 bytes and
	// hashes ≤ hashBytesMax.
	stringBytesMax = hashBytesMax
)

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, args...))
	}
	d.b = nil
}

func (d *decoder) take(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > len(d.b) {
		d.fail("need %d bytes, have %d", n, len(d.b))
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) u8() uint8 {
	if v := d.take(1); v != nil {
		return v[0]
	}
	return 0
}

func (d *decoder) u16() uint16 {
	if v := d.take(2); v != nil {
		return binary.LittleEndian.Uint16(v)
	}
	return 0
}

func (d *decoder) u32() uint32 {
	if v := d.take(4); v != nil {
		return binary.LittleEndian.Uint32(v)
	}
	return 0
}

func (d *decoder) u64() uint64 {
	if v := d.take(8); v != nil {
		return binary.LittleEndian.Uint64(v)
	}
	return 0
}

func (d *decoder) boolean() bool {
	switch v := d.u8(); v {
	case 0:
		return false
	case 1:
		return true
	default:
		d.fail("bool byte %d", v)
		return false
	}
}

func (d *decoder) str() string {
	n := d.u32()
	if n > stringBytesMax {
		d.fail("string of %d bytes, at most %d", n, stringBytesMax)
		return ""
	}
	return string(d.take(int(n)))
}

// count reads a u32 element count and checks that that many elements of at
// least entryBytesMin each can fit in what is left, so a corrupt count
// cannot make the decoder allocate without bound.
func (d *decoder) count(entryBytesMin int) int {
	n := d.u32()
	if uint64(n)*uint64(entryBytesMin) > uint64(len(d.b)) {
		d.fail("count %d does not fit in %d bytes", n, len(d.b))
		return 0
	}
	return int(n)
}

func (d *decoder) identifier() wire.Identifier {
	switch kind := d.u8(); kind {
	case wire.IdentifierNumeric:
		return wire.NumericID(d.u32())
	case wire.IdentifierString:
		n := d.u8()
		if n == 0 {
			d.fail("empty string identifier")
		}
		return wire.NamedID(string(d.take(int(n))))
	default:
		d.fail("identifier kind %d", kind)
		return wire.Identifier{}
	}
}

// end fails unless every byte was consumed.
func (d *decoder) end() error {
	if d.err == nil && len(d.b) != 0 {
		d.fail("%d trailing bytes", len(d.b))
	}
	return d.err
}

func appendU16(b []byte, v uint16) []byte { return binary.LittleEndian.AppendUint16(b, v) }
func appendU32(b []byte, v uint32) []byte { return binary.LittleEndian.AppendUint32(b, v) }
func appendU64(b []byte, v uint64) []byte { return binary.LittleEndian.AppendUint64(b, v) }

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

func appendStr(b []byte, s string) []byte {
	return append(appendU32(b, uint32(len(s))), s...)
}

// appendIdentifier writes kind, then a u32 or a u8-length name. Only valid
// identifiers round-trip; Apply rejects the others before they are logged.
func appendIdentifier(b []byte, id wire.Identifier) []byte {
	b = append(b, id.Kind)
	if id.Kind == wire.IdentifierNumeric {
		return appendU32(b, id.Numeric)
	}
	return append(append(b, uint8(len(id.Name))), id.Name...)
}

func packBits(bits ...bool) uint16 {
	var v uint16
	for i, on := range bits {
		if on {
			v |= 1 << i
		}
	}
	return v
}

func bit(v uint16, i int) bool { return v&(1<<i) != 0 }

func appendPermissions(b []byte, p *wire.Permissions) []byte {
	if p == nil {
		return append(b, 0)
	}
	g := p.Global
	b = append(b, 1)
	b = appendU16(b, packBits(g.ManageServers, g.ReadServers, g.ManageUsers, g.ReadUsers, g.ManageStreams,
		g.ReadStreams, g.ManageTopics, g.ReadTopics, g.PollMessages, g.SendMessages))
	streamIDs := sortedKeys(p.Streams)
	b = appendU32(b, uint32(len(streamIDs)))
	for _, id := range streamIDs {
		s := p.Streams[id]
		b = appendU32(b, id)
		b = append(b, uint8(packBits(s.ManageStream, s.ReadStream, s.ManageTopics, s.ReadTopics,
			s.PollMessages, s.SendMessages)))
		topicIDs := sortedKeys(s.Topics)
		b = appendU32(b, uint32(len(topicIDs)))
		for _, tid := range topicIDs {
			t := s.Topics[tid]
			b = appendU32(b, tid)
			b = append(b, uint8(packBits(t.ManageTopic, t.ReadTopic, t.PollMessages, t.SendMessages)))
		}
	}
	return b
}

func sortedKeys[V any](m map[uint32]V) []uint32 {
	keys := make([]uint32, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, cmp.Compare)
	return keys
}

func (d *decoder) permissions() *wire.Permissions {
	if !d.boolean() {
		return nil
	}
	gb := d.u16()
	if gb>>globalBitsCount != 0 {
		d.fail("unknown global permission bits %#x", gb)
	}
	p := &wire.Permissions{Global: wire.GlobalPermissions{
		ManageServers: bit(gb, 0), ReadServers: bit(gb, 1), ManageUsers: bit(gb, 2), ReadUsers: bit(gb, 3),
		ManageStreams: bit(gb, 4), ReadStreams: bit(gb, 5), ManageTopics: bit(gb, 6), ReadTopics: bit(gb, 7),
		PollMessages: bit(gb, 8), SendMessages: bit(gb, 9),
	}}
	n := d.count(9)
	prev := int64(-1)
	for range n {
		id := d.u32()
		if int64(id) <= prev {
			d.fail("stream permissions not in ascending id order")
		}
		prev = int64(id)
		if p.Streams == nil {
			p.Streams = make(map[uint32]wire.StreamPermissions, n)
		}
		p.Streams[id] = d.streamPermissions()
	}
	return p
}

func (d *decoder) streamPermissions() wire.StreamPermissions {
	sb := uint16(d.u8())
	if sb>>streamBitsCount != 0 {
		d.fail("unknown stream permission bits %#x", sb)
	}
	s := wire.StreamPermissions{ManageStream: bit(sb, 0), ReadStream: bit(sb, 1), ManageTopics: bit(sb, 2),
		ReadTopics: bit(sb, 3), PollMessages: bit(sb, 4), SendMessages: bit(sb, 5)}
	n := d.count(5)
	prev := int64(-1)
	for range n {
		id := d.u32()
		if int64(id) <= prev {
			d.fail("topic permissions not in ascending id order")
		}
		prev = int64(id)
		tb := uint16(d.u8())
		if tb>>topicBitsCount != 0 {
			d.fail("unknown topic permission bits %#x", tb)
		}
		if s.Topics == nil {
			s.Topics = make(map[uint32]wire.TopicPermissions, n)
		}
		s.Topics[id] = wire.TopicPermissions{ManageTopic: bit(tb, 0), ReadTopic: bit(tb, 1),
			PollMessages: bit(tb, 2), SendMessages: bit(tb, 3)}
	}
	return s
}
