package storagetest

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"os"
	"testing"

	"github.com/runnel-io/runnel/core/partition"
	"github.com/runnel-io/runnel/plugins/storage"
	"github.com/runnel-io/runnel/sdk/wire"
)

// crashConfig gives a few sealed segments and an active one of a few dozen
// messages, all inside the default verification window.
var crashConfig = partition.Config{SegmentBytesMax: 16 << 10}

// crashed builds a log with sealed segments and a busy active segment,
// syncs, appends one more unsynced batch, and crashes.
func crashed(t *testing.T, newStore NewStore, cfg partition.Config) *logHarness {
	t.Helper()
	h := newLogHarness(t, newStore, cfg)
	for i := range 30 {
		h.append(4, 300, uint64(10+i))
	}
	h.sync()
	h.append(3, 300, 99)
	h.shutdown()
	if len(h.segments()) < 3 {
		t.Fatalf("setup made %d segments", len(h.segments()))
	}
	return h
}

// recovered reopens after damage and checks the survivors, that appends
// continue at next, and that a second open is clean.
func (h *logHarness) recovered(next uint64) partition.Recovery {
	h.t.Helper()
	h.log = h.mustOpen()
	r := h.log.Recovery()
	if h.log.NextOffset() != next {
		h.t.Fatalf("next offset %d after recovery, want %d (%+v)", h.log.NextOffset(), next, r)
	}
	h.forget(next)
	h.check()
	if res := h.append(2, 100, 1); res.FirstOffset != next {
		h.t.Fatalf("append after recovery at %d, want %d", res.FirstOffset, next)
	}
	h.reopenClean()
	return r
}

func runCrash(t *testing.T, newStore NewStore) {
	t.Run("clean", func(t *testing.T) {
		h := crashed(t, newStore, crashConfig)
		next := uint64(len(h.want))
		if r := h.recovered(next); r.Changed() || !r.FullScan || r.VerifiedMessages == 0 {
			t.Fatalf("clean log: %+v", r)
		}
	})
	t.Run("killed-with-buffered-index", func(t *testing.T) {
		// Index entries still buffered in the process die with it; the log
		// has the frames, so recovery rebuilds the entries.
		h := newLogHarness(t, newStore, crashConfig)
		for i := range 5 {
			h.append(2, 100, uint64(i))
		}
		h.sync()
		for i := range 4 {
			h.append(3, 100, uint64(10+i))
		}
		h.check() // reads see buffered entries
		h.crash()
		if r := h.recovered(22); r.IndexEntriesRebuilt != 12 || r.LogBytesTruncated != 0 {
			t.Fatalf("recovery %+v", r)
		}
	})
	t.Run("torn-partial-header", func(t *testing.T) {
		h := crashed(t, newStore, crashConfig)
		next := uint64(len(h.want))
		appendFile(t, h.path(h.activeID(), storage.FileLog), Frame(1, []byte("lost"), nil)[:30])
		if r := h.recovered(next); r.LogBytesTruncated != 30 || r.TailReason == "" {
			t.Fatalf("recovery %+v", r)
		}
	})
	t.Run("torn-length-past-end", func(t *testing.T) {
		h := crashed(t, newStore, crashConfig)
		last := uint64(len(h.want)) - 1
		id := h.activeID()
		pos := h.position(id, last)
		truncateFile(t, h.path(id, storage.FileLog), pos+wire.MessageHeaderSize+10)
		r := h.recovered(last)
		if r.LogBytesTruncated != wire.MessageHeaderSize+10 || r.IndexEntriesDropped != 1 {
			t.Fatalf("recovery %+v", r)
		}
	})
	t.Run("bad-checksum-last", func(t *testing.T) {
		h := crashed(t, newStore, crashConfig)
		last := uint64(len(h.want)) - 1
		id := h.activeID()
		size := uint64(len(h.want[last]))
		flipByte(t, h.path(id, storage.FileLog), h.position(id, last)+wire.MessageHeaderSize+3)
		if r := h.recovered(last); r.LogBytesTruncated != size || r.IndexEntriesDropped != 1 {
			t.Fatalf("recovery %+v", r)
		}
	})
	t.Run("stale-frame-at-tail", func(t *testing.T) {
		// A whole, checksummed frame with the wrong offset (old bytes of a
		// reused file) is not a message of this log.
		h := crashed(t, newStore, crashConfig)
		next := uint64(len(h.want))
		stale := h.want[next-5]
		appendFile(t, h.path(h.activeID(), storage.FileLog), stale)
		if r := h.recovered(next); r.LogBytesTruncated != uint64(len(stale)) {
			t.Fatalf("recovery %+v", r)
		}
	})
	t.Run("zero-filled-tail", func(t *testing.T) {
		h := crashed(t, newStore, crashConfig)
		next := uint64(len(h.want))
		id := h.activeID()
		appendFile(t, h.path(id, storage.FileLog), make([]byte, 256<<10))
		appendFile(t, h.path(id, storage.FileIndex), make([]byte, 4096))
		if r := h.recovered(next); r.LogBytesTruncated != 256<<10 || r.IndexEntriesDropped != 256 {
			t.Fatalf("recovery %+v", r)
		}
	})
	t.Run("zeroed-last-messages", func(t *testing.T) {
		// Power loss kept the size but not the data of the last pages.
		h := crashed(t, newStore, crashConfig)
		cut := uint64(len(h.want)) - 2
		id := h.activeID()
		path := h.path(id, storage.FileLog)
		b := readFile(t, path)
		clear(b[h.position(id, cut):])
		writeFile(t, path, b)
		h.recovered(cut)
	})
	t.Run("missing-index", func(t *testing.T) {
		h := crashed(t, newStore, crashConfig)
		id := h.activeID()
		want := readFile(t, h.path(id, storage.FileIndex))
		if err := os.Remove(h.path(id, storage.FileIndex)); err != nil {
			t.Fatal(err)
		}
		r := h.recovered(uint64(len(h.want)))
		if r.IndexEntriesRebuilt != uint32(len(want)/wire.IndexEntrySize) {
			t.Fatalf("recovery %+v", r)
		}
		if got := readFile(t, h.path(id, storage.FileIndex)); !bytes.Equal(got[:len(want)], want) {
			t.Fatal("rebuilt index differs from the original")
		}
	})
	t.Run("short-index", func(t *testing.T) {
		h := crashed(t, newStore, crashConfig)
		id := h.activeID()
		path := h.path(id, storage.FileIndex)
		want := readFile(t, path)
		truncateFile(t, path, 3*wire.IndexEntrySize+7) // a torn entry too
		r := h.recovered(uint64(len(h.want)))
		if r.IndexEntriesDropped != 1 || r.IndexEntriesRebuilt != uint32(len(want)/wire.IndexEntrySize-3) {
			t.Fatalf("recovery %+v", r)
		}
		if got := readFile(t, path); !bytes.Equal(got[:len(want)], want) {
			t.Fatal("rebuilt index differs from the original")
		}
	})
	t.Run("long-index", func(t *testing.T) {
		h := crashed(t, newStore, crashConfig)
		id := h.activeID()
		path := h.path(id, storage.FileIndex)
		want := readFile(t, path)
		n := uint32(len(want) / wire.IndexEntrySize)
		extra := make([]byte, 5*wire.IndexEntrySize)
		for i := range uint32(5) { // plausible entries past the log
			binary.LittleEndian.PutUint32(extra[i*16:], n+i)
			binary.LittleEndian.PutUint32(extra[i*16+4:], uint32(len(readFile(t, h.path(id, storage.FileLog))))+i*100)
		}
		appendFile(t, path, extra)
		if r := h.recovered(uint64(len(h.want))); r.IndexEntriesDropped != 5 || r.IndexEntriesRebuilt != 0 {
			t.Fatalf("recovery %+v", r)
		}
		if got := readFile(t, path); !bytes.Equal(got[:len(want)], want) {
			t.Fatal("index differs from the original")
		}
	})
	t.Run("wrong-index-entry", func(t *testing.T) {
		h := crashed(t, newStore, crashConfig)
		id := h.activeID()
		path := h.path(id, storage.FileIndex)
		want := readFile(t, path)
		flipByte(t, path, 5*wire.IndexEntrySize+4) // position of entry 5
		n := uint32(len(want) / wire.IndexEntrySize)
		if r := h.recovered(uint64(len(h.want))); r.IndexEntriesRebuilt != n-5 {
			t.Fatalf("recovery %+v", r)
		}
		if got := readFile(t, path); !bytes.Equal(got[:len(want)], want) {
			t.Fatal("rebuilt index differs from the original")
		}
	})
	t.Run("unindexed-tail", func(t *testing.T) {
		// Killed between the log write and the index write.
		h := crashed(t, newStore, crashConfig)
		id := h.activeID()
		path := h.path(id, storage.FileIndex)
		want := readFile(t, path)
		truncateFile(t, path, int64(len(want)-3*wire.IndexEntrySize))
		if r := h.recovered(uint64(len(h.want))); r.IndexEntriesRebuilt != 3 || r.LogBytesTruncated != 0 {
			t.Fatalf("recovery %+v", r)
		}
		if got := readFile(t, path); !bytes.Equal(got[:len(want)], want) {
			t.Fatal("rebuilt index differs from the original")
		}
	})
	runMiddleCorruption(t, newStore)
	runRotationCrash(t, newStore)
	runWindow(t, newStore)
	runSealedDamage(t, newStore)
}

// runMiddleCorruption damages a message that has valid messages after it:
// Open must refuse, name the place, and leave the log untouched.
func runMiddleCorruption(t *testing.T, newStore NewStore) {
	for name, damage := range map[string]func(b []byte, pos int){
		"payload-byte": func(b []byte, pos int) { b[pos+wire.MessageHeaderSize+5] ^= 1 },
		"length-field": func(b []byte, pos int) { binary.LittleEndian.PutUint32(b[pos+52:], 1<<20) },
		"huge-length":  func(b []byte, pos int) { binary.LittleEndian.PutUint32(b[pos+52:], 0xffff_ffff) },
		"offset-field": func(b []byte, pos int) { b[pos+24] ^= 0x10 },
		"zeroed-range": func(b []byte, pos int) { clear(b[pos+10 : pos+120]) },
	} {
		t.Run("middle-"+name, func(t *testing.T) {
			h := crashed(t, newStore, crashConfig)
			id := h.activeID()
			victim := id.BaseOffset + 3
			if uint64(len(h.want)) < victim+3 {
				t.Fatal("active segment too small for the test")
			}
			path := h.path(id, storage.FileLog)
			pos := h.position(id, victim)
			b := readFile(t, path)
			damage(b, int(pos))
			writeFile(t, path, b)
			ce := h.expectCorruption(path, pos, victim)
			if ce.Reason == "" {
				t.Fatal("no reason given")
			}
			if !bytes.Equal(readFile(t, path), b) {
				t.Fatal("a refused open changed the log")
			}
		})
	}
	t.Run("middle-of-window-start", func(t *testing.T) {
		// The first message of the active segment, damaged, with the whole
		// rest intact.
		h := crashed(t, newStore, crashConfig)
		id := h.activeID()
		path := h.path(id, storage.FileLog)
		flipByte(t, path, 40)
		h.expectCorruption(path, 0, id.BaseOffset)
	})
}

func runRotationCrash(t *testing.T, newStore NewStore) {
	t.Run("rotation-empty-active", func(t *testing.T) {
		// Crash right after rotation made the new segment's log.
		h := crashed(t, newStore, crashConfig)
		next := uint64(len(h.want))
		fresh := storage.SegmentID{PartitionKey: testKey, BaseOffset: next}
		writeFile(t, h.path(fresh, storage.FileLog), nil)
		h.log = h.mustOpen()
		if h.log.NextOffset() != next || h.activeID() != fresh {
			t.Fatalf("next %d, active %s", h.log.NextOffset(), h.activeID())
		}
		if res := h.append(1, 10, 0); res.TimestampMicros != 99 {
			t.Fatalf("stamp went down to %d across an empty active segment", res.TimestampMicros)
		}
		h.check()
		h.reopenClean()
	})
	t.Run("rotation-lost-new-segment", func(t *testing.T) {
		// The newest segment vanished: the one before becomes active again.
		h := crashed(t, newStore, crashConfig)
		ids := h.segments()
		last := ids[len(ids)-1]
		for _, kind := range []storage.FileKind{storage.FileIndex, storage.FileLog} {
			if err := os.Remove(h.path(last, kind)); err != nil {
				t.Fatal(err)
			}
		}
		h.recovered(last.BaseOffset)
	})
	t.Run("rotation-torn-new-segment", func(t *testing.T) {
		h := crashed(t, newStore, crashConfig)
		h.log = h.mustOpen()
		start := uint64(len(h.want))
		for h.activeID().BaseOffset < start {
			h.append(4, 300, 50) // until a rotation makes a new active segment
		}
		h.append(2, 300, 50)
		next := uint64(len(h.want))
		h.shutdown()
		id := h.activeID()
		truncateFile(t, h.path(id, storage.FileLog), h.position(id, next-1)+5)
		truncateFile(t, h.path(id, storage.FileIndex), 0)
		h.recovered(next - 1)
	})
}

// runWindow checks the bounded verification: damage before the window is
// not read at Open but is caught by Read; the window itself is verified.
func runWindow(t *testing.T, newStore NewStore) {
	cfg := partition.Config{SegmentBytesMax: 1 << 20, RecoveryVerifyTailBytes: 4096}
	setup := func(t *testing.T) *logHarness {
		h := newLogHarness(t, newStore, cfg)
		for range 40 {
			h.append(5, 300, 1)
		}
		h.sync()
		h.shutdown()
		return h
	}
	t.Run("window-old-damage-caught-on-read", func(t *testing.T) {
		h := setup(t)
		id := h.activeID()
		path := h.path(id, storage.FileLog)
		pos := h.position(id, 10)
		flipByte(t, path, pos+wire.MessageHeaderSize+1)
		h.log = h.mustOpen()
		r := h.log.Recovery()
		if r.FullScan || r.VerifiedMessages == 0 || r.VerifiedMessages > 40 || r.Changed() {
			t.Fatalf("recovery %+v, want a window of a few messages", r)
		}
		ctx := context.Background()
		_, _, err := h.log.Read(ctx, 10, 5, 1<<20, nil)
		var ce *partition.CorruptionError
		if !errors.As(err, &ce) || ce.Path != path || ce.Position != pos || ce.Offset != 10 {
			t.Fatalf("read of damaged message: %v", err)
		}
		b, n, err := h.log.Read(ctx, 5, 100, 1<<20, nil)
		if err != nil || n != 5 || !bytes.Equal(b[:len(h.want[5])], h.want[5]) {
			t.Fatalf("read before the damage: n=%d err=%v, want the 5 good messages", n, err)
		}
		if _, n, err := h.log.Read(ctx, 11, 1000, 1<<20, nil); err != nil || n != 189 {
			t.Fatalf("read after the damage: n=%d err=%v", n, err)
		}
	})
	t.Run("window-damage-refused", func(t *testing.T) {
		h := setup(t)
		id := h.activeID()
		path := h.path(id, storage.FileLog)
		pos := h.position(id, 195)
		flipByte(t, path, pos+wire.MessageHeaderSize+1)
		h.expectCorruption(path, pos, 195)
	})
	t.Run("window-shifted-index-full-scan", func(t *testing.T) {
		// Entries that name the right message at the wrong position: the
		// entry the window starts from is wrong, so nothing is trusted.
		h := setup(t)
		id := h.activeID()
		path := h.path(id, storage.FileIndex)
		want := readFile(t, path)
		b := bytes.Clone(want)
		for i := 100; i < len(b)/wire.IndexEntrySize; i++ {
			pos := b[i*wire.IndexEntrySize+4:]
			binary.LittleEndian.PutUint32(pos, binary.LittleEndian.Uint32(pos)+1)
		}
		writeFile(t, path, b)
		r := h.recovered(200)
		if !r.FullScan || r.IndexEntriesRebuilt != 100 {
			t.Fatalf("recovery %+v", r)
		}
		if got := readFile(t, path); !bytes.Equal(got[:len(want)], want) {
			t.Fatal("rebuilt index differs from the original")
		}
	})
	t.Run("window-bad-index-full-scan", func(t *testing.T) {
		h := setup(t)
		id := h.activeID()
		path := h.path(id, storage.FileIndex)
		want := readFile(t, path)
		b := bytes.Clone(want)
		for i := range b {
			b[i] = byte(i * 7)
		}
		writeFile(t, path, b)
		r := h.recovered(200)
		if !r.FullScan || r.IndexEntriesRebuilt != 200 {
			t.Fatalf("recovery %+v", r)
		}
		if got := readFile(t, path); !bytes.Equal(got[:len(want)], want) {
			t.Fatal("rebuilt index differs from the original")
		}
	})
}

// runSealedDamage checks sealed segments: their index is checked and
// rebuilt on first use, their log verified on read.
func runSealedDamage(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	t.Run("sealed-index-damage", func(t *testing.T) {
		h := crashed(t, newStore, crashConfig)
		ids := h.segments()
		wantA := readFile(t, h.path(ids[0], storage.FileIndex))
		wantB := readFile(t, h.path(ids[1], storage.FileIndex))
		truncateFile(t, h.path(ids[0], storage.FileIndex), int64(len(wantA)-wire.IndexEntrySize))
		flipByte(t, h.path(ids[1], storage.FileIndex), int64(len(wantB)-wire.IndexEntrySize))
		h.log = h.mustOpen()
		h.check()
		if !bytes.Equal(readFile(t, h.path(ids[0], storage.FileIndex)), wantA) ||
			!bytes.Equal(readFile(t, h.path(ids[1], storage.FileIndex)), wantB) {
			t.Fatal("sealed indexes not rebuilt to the original")
		}
	})
	t.Run("sealed-short-log", func(t *testing.T) {
		h := crashed(t, newStore, crashConfig)
		ids := h.segments()
		path := h.path(ids[0], storage.FileLog)
		size := int64(len(readFile(t, path)))
		truncateFile(t, path, size-10)
		if err := os.Remove(h.path(ids[0], storage.FileIndex)); err != nil {
			t.Fatal(err)
		}
		h.log = h.mustOpen()
		_, _, err := h.log.Read(ctx, 0, 1, 0, nil)
		var ce *partition.CorruptionError
		if !errors.As(err, &ce) || ce.Path != path {
			t.Fatalf("read of a short sealed segment: %v", err)
		}
		if _, n, err := h.log.Read(ctx, ids[1].BaseOffset, 1, 0, nil); err != nil || n != 1 {
			t.Fatalf("read of the next segment: %v", err)
		}
	})
}
