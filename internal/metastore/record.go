package metastore

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/zeebo/xxh3"
)

const (
	recordVersion     = 1
	recordHeaderBytes = 4 + 8 // body length, checksum
	bodyHeaderBytes   = 1 + 4 // version, entry count
	entryHeaderBytes  = 8 + 4 // sequence number, op length
	recordOverhead    = recordHeaderBytes + bodyHeaderBytes + entryHeaderBytes
	seqLookaheadMax   = uint64(1) << 40 // a plausible next record is within this many seqs
)

// entry is one op in the log.
type entry struct {
	seq uint64
	op  []byte
}

// recordChecksum covers the length field too, so a flipped length is caught
// even when it happens to frame a plausible body.
func recordChecksum(record []byte) uint64 {
	h := xxh3.New()
	_, _ = h.Write(record[:4])
	_, _ = h.Write(record[recordHeaderBytes:])
	return h.Sum64()
}

// appendRecord appends one record holding entries.
func appendRecord(b []byte, entries []entry) []byte {
	start := len(b)
	b = append(b, make([]byte, recordHeaderBytes)...)
	b = append(b, recordVersion)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(entries)))
	for _, e := range entries {
		b = binary.LittleEndian.AppendUint64(b, e.seq)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(e.op)))
		b = append(b, e.op...)
	}
	rec := b[start:]
	binary.LittleEndian.PutUint32(rec, uint32(len(rec)-recordHeaderBytes))
	binary.LittleEndian.PutUint64(rec[4:], recordChecksum(rec))
	return b
}

// errTorn marks a record that is short or fails its checksum: torn if it is
// the last thing in the file, corruption otherwise.
var errTorn = errors.New("metastore: torn or corrupt record")

// checkRecord reports the length of the intact record at the start of b,
// or errTorn.
func checkRecord(b []byte, bodyBytesMax uint32) (int, error) {
	if len(b) < recordHeaderBytes {
		return 0, errTorn
	}
	n := binary.LittleEndian.Uint32(b)
	if n < bodyHeaderBytes || n > bodyBytesMax || uint64(len(b)-recordHeaderBytes) < uint64(n) {
		return 0, errTorn
	}
	rec := b[:recordHeaderBytes+int(n)]
	if binary.LittleEndian.Uint64(b[4:]) != recordChecksum(rec) {
		return 0, errTorn
	}
	return len(rec), nil
}

// parseBody splits an intact record into entries, checking that sequence
// numbers keep increasing after lastSeq. A record that passed its checksum
// but fails here was written wrong, which no crash explains.
func parseBody(rec []byte, lastSeq uint64) ([]entry, error) {
	body := rec[recordHeaderBytes:]
	if body[0] != recordVersion {
		return nil, fmt.Errorf("record version %d, want %d", body[0], recordVersion)
	}
	count := binary.LittleEndian.Uint32(body[1:])
	rest := body[bodyHeaderBytes:]
	if count == 0 || uint64(count)*entryHeaderBytes > uint64(len(rest)) {
		return nil, fmt.Errorf("record claims %d entries in %d bytes", count, len(rest))
	}
	entries := make([]entry, 0, count)
	for range count {
		if len(rest) < entryHeaderBytes {
			return nil, fmt.Errorf("entry header cut short")
		}
		seq := binary.LittleEndian.Uint64(rest)
		n := binary.LittleEndian.Uint32(rest[8:])
		rest = rest[entryHeaderBytes:]
		if uint64(n) > uint64(len(rest)) {
			return nil, fmt.Errorf("entry of %d bytes overruns the record", n)
		}
		if seq <= lastSeq {
			return nil, fmt.Errorf("sequence number %d does not follow %d", seq, lastSeq)
		}
		lastSeq = seq
		entries = append(entries, entry{seq: seq, op: rest[:n]})
		rest = rest[n:]
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%d bytes after the last entry", len(rest))
	}
	return entries, nil
}

// findValidRecord looks for any intact record starting after a bad one, at
// any byte offset from `from`. Finding one proves the bad record is not a
// torn tail. Cheap filters (body version, first sequence number) run before
// the checksum, so a garbage tail costs little.
func findValidRecord(data []byte, from int, lastSeq uint64, bodyBytesMax uint32) int {
	for off := from; off+recordHeaderBytes+bodyHeaderBytes+entryHeaderBytes <= len(data); off++ {
		b := data[off:]
		body := b[recordHeaderBytes:]
		if body[0] != recordVersion || binary.LittleEndian.Uint32(body[1:]) == 0 {
			continue
		}
		seq := binary.LittleEndian.Uint64(body[bodyHeaderBytes:])
		if seq <= lastSeq || seq-lastSeq > seqLookaheadMax {
			continue
		}
		if _, err := checkRecord(b, bodyBytesMax); err == nil {
			return off
		}
	}
	return -1
}
