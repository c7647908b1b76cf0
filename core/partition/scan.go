package partition

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/runnel-io/runnel/plugins/storage"
	"github.com/runnel-io/runnel/sdk/wire"
)

const (
	// scanChunkBytes is how much of a file a scan reads per call.
	scanChunkBytes = 1 << 20
	// rebuildEntriesMax bounds the index entries written per append when
	// an index is rebuilt (64 KiB).
	rebuildEntriesMax = 4096
	// ctxCheckFrames: a scan polls its context once per this many frames.
	ctxCheckFrames = 1024
)

// chunkReader reads a file forward through a reused buffer, so a scan
// costs one ReadAt per chunk, not one per frame.
type chunkReader struct {
	f    storage.File
	size uint64
	buf  []byte
	at   uint64 // file position of buf[0]
}

// window returns the n bytes at pos; pos+n must not pass size. The slice
// is valid until the next call.
func (r *chunkReader) window(ctx context.Context, pos, n uint64) ([]byte, error) {
	if pos >= r.at && pos+n <= r.at+uint64(len(r.buf)) {
		return r.buf[pos-r.at : pos-r.at+n], nil
	}
	want := min(max(n, scanChunkBytes), r.size-pos)
	if uint64(cap(r.buf)) < want {
		r.buf = make([]byte, want)
	}
	r.buf = r.buf[:want]
	got, err := r.f.ReadAt(ctx, r.buf, int64(pos))
	if err != nil && !(errors.Is(err, io.EOF) && uint64(got) == want) {
		r.buf = r.buf[:0]
		return nil, err
	}
	r.at = pos
	return r.buf[:n], nil
}

// scan verifies one segment's log against its index.
type scan struct {
	seg     *segment
	logPath string
	log     chunkReader
	index   chunkReader
}

func newScan(l *Log, seg *segment) *scan {
	return &scan{
		seg:     seg,
		logPath: l.store.Path(seg.id, storage.FileLog),
		log:     chunkReader{f: seg.log, size: uint64(seg.log.Size())},
		index:   chunkReader{f: seg.index, size: uint64(seg.index.Size())},
	}
}

// verified is what a verification pass found.
type verified struct {
	count uint32 // messages [0, count) are valid (those before the start were trusted)
	end   uint64 // log position after message count-1
	bad   string // why no valid message count starts at end; "" if the log ends there

	// Index entries [0, indexGood) match the log, from the start on;
	// message indexGood starts at indexGoodPosition.
	indexGood         uint32
	indexGoodPosition uint64
	verifiedCount     uint32 // messages checked by this pass
}

// verify checks the log from message startRel at startPosition to its end:
// each frame's lengths, offset and checksum, and, for the first entries
// messages, the index entry. It stops at the first invalid frame.
func (sc *scan) verify(ctx context.Context, startRel uint32, startPosition uint64, entries uint32) (verified, error) {
	entries = uint32(min(uint64(entries), sc.index.size/entrySize))
	res := verified{count: startRel, end: startPosition, indexGood: entries}
	for {
		if res.verifiedCount%ctxCheckFrames == 0 {
			if err := ctx.Err(); err != nil {
				return res, err
			}
		}
		if res.end == sc.log.size {
			break
		}
		if res.count == math.MaxUint32 {
			res.bad = "segment holds too many messages"
			break
		}
		h, reason, err := sc.frameAt(ctx, res.end, sc.seg.base()+uint64(res.count))
		if err != nil {
			return res, err
		}
		if reason != "" {
			res.bad = reason
			break
		}
		if res.count == res.indexGood {
			res.indexGoodPosition = res.end
		}
		if res.count < res.indexGood {
			ok, err := sc.entryMatches(ctx, res.count, res.end, h.Timestamp)
			if err != nil {
				return res, err
			}
			if !ok {
				res.indexGood, res.indexGoodPosition = res.count, res.end
			}
		}
		res.count++
		res.verifiedCount++
		res.end += h.Size()
	}
	if res.indexGood >= res.count {
		res.indexGood, res.indexGoodPosition = res.count, res.end
	}
	return res, nil
}

// frameAt checks the frame at pos. A non-empty reason says why it is not
// the valid message with the wanted offset.
func (sc *scan) frameAt(ctx context.Context, pos, offset uint64) (wire.MessageHeader, string, error) {
	if sc.log.size-pos < wire.MessageHeaderSize {
		return wire.MessageHeader{}, fmt.Sprintf("partial header (%d bytes)", sc.log.size-pos), nil
	}
	b, err := sc.log.window(ctx, pos, wire.MessageHeaderSize)
	if err != nil {
		return wire.MessageHeader{}, "", err
	}
	h := wire.DecodeMessageHeader(b)
	if h.PayloadLength > wire.MessagePayloadBytesMax || h.UserHeadersLength > wire.MessageUserHeadersBytesMax {
		return h, fmt.Sprintf("impossible lengths (payload %d, headers %d)", h.PayloadLength, h.UserHeadersLength), nil
	}
	if h.Size() > sc.log.size-pos {
		return h, fmt.Sprintf("declared length %d passes the end of the log", h.Size()), nil
	}
	if h.Offset != offset {
		return h, fmt.Sprintf("offset %d where %d belongs", h.Offset, offset), nil
	}
	frame, err := sc.log.window(ctx, pos, h.Size())
	if err != nil {
		return h, "", err
	}
	if wire.MessageChecksum(frame) != h.Checksum {
		return h, "checksum mismatch", nil
	}
	return h, "", nil
}

func (sc *scan) entryMatches(ctx context.Context, rel uint32, pos, timestamp uint64) (bool, error) {
	b, err := sc.index.window(ctx, uint64(rel)*entrySize, entrySize)
	if err != nil {
		return false, err
	}
	e := getEntry(b)
	return e.rel == rel && uint64(e.position) == pos && e.timestamp == timestamp, nil
}

// rebuildIndex appends entries for messages [fromRel, toRel), the first at
// fromPosition, to the index. The messages were verified by verify; only
// their headers are read again.
func (sc *scan) rebuildIndex(ctx context.Context, fromRel uint32, fromPosition uint64, toRel uint32) error {
	buf := make([]byte, 0, min(uint64(toRel-fromRel), rebuildEntriesMax)*entrySize)
	pos := fromPosition
	for rel := fromRel; rel < toRel; rel++ {
		b, err := sc.log.window(ctx, pos, wire.MessageHeaderSize)
		if err != nil {
			return err
		}
		h := wire.DecodeMessageHeader(b)
		buf = buf[:len(buf)+entrySize]
		putEntry(buf[len(buf)-entrySize:], entry{rel: rel, position: uint32(pos), timestamp: h.Timestamp})
		pos += h.Size()
		if len(buf) == cap(buf) || rel+1 == toRel {
			if _, err := sc.seg.index.Append(ctx, [][]byte{buf}); err != nil {
				return err
			}
			buf = buf[:0]
		}
	}
	return nil
}

// findFollower looks for a valid message with an offset of at least
// minOffset starting anywhere in [from, end of log): proof that a bad frame
// before it is damage in the middle, not a torn tail. It tries every byte
// position, so it finds a follower even when the damaged frame's length
// field is what broke. A candidate whose checksum field is zero is skipped
// (a real one is a 2^-64 chance) so that long zero-filled tails, which power
// loss leaves behind, scan at memory speed.
func (sc *scan) findFollower(ctx context.Context, from, minOffset uint64) (pos, offset uint64, found bool, err error) {
	r := chunkReader{f: sc.seg.log, size: sc.log.size}
	size := sc.log.size
	offsetSpan := (size-min(from, size))/wire.MessageHeaderSize + 1 // more messages cannot fit
	for p := from; p+wire.MessageHeaderSize <= size; {
		if err := ctx.Err(); err != nil {
			return 0, 0, false, err
		}
		w, err := r.window(ctx, p, min(scanChunkBytes, size-p))
		if err != nil {
			return 0, 0, false, err
		}
		last := len(w) - wire.MessageHeaderSize // last candidate inside w
		for q := 0; q <= last; q++ {
			o := binary.LittleEndian.Uint64(w[q+24:])
			if o-minOffset >= offsetSpan || binary.LittleEndian.Uint64(w[q:]) == 0 {
				continue
			}
			ok, err := sc.validAt(ctx, w, q, p+uint64(q), o)
			if err != nil {
				return 0, 0, false, err
			}
			if ok {
				return p + uint64(q), o, true, nil
			}
		}
		p += uint64(last + 1)
	}
	return 0, 0, false, nil
}

// validAt reports whether the frame at w[q:] (file position pos) is whole
// and its checksum holds, reading past w when the frame does.
func (sc *scan) validAt(ctx context.Context, w []byte, q int, pos, offset uint64) (bool, error) {
	h := wire.DecodeMessageHeader(w[q:])
	if h.Offset != offset || h.PayloadLength > wire.MessagePayloadBytesMax ||
		h.UserHeadersLength > wire.MessageUserHeadersBytesMax || h.Size() > sc.log.size-pos {
		return false, nil
	}
	if uint64(q)+h.Size() <= uint64(len(w)) {
		return wire.MessageChecksum(w[q:uint64(q)+h.Size()]) == h.Checksum, nil
	}
	frame := make([]byte, h.Size())
	if _, err := sc.seg.log.ReadAt(ctx, frame, int64(pos)); err != nil {
		return false, err
	}
	return wire.MessageChecksum(frame) == h.Checksum, nil
}
