package storagetest

import (
	"bytes"
	"context"
	"errors"
	"os"
	"testing"

	"github.com/runnel-io/runnel/core/partition"
	"github.com/runnel-io/runnel/plugins/storage"
	"github.com/runnel-io/runnel/sdk/wire"
)

// smallSegments rotates every few KiB so tests see many segments.
var smallSegments = partition.Config{SegmentBytesMax: 8 << 10, SealedSegmentsOpenMax: 3}

func runLog(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	t.Run("roundtrip", func(t *testing.T) {
		h := newLogHarness(t, newStore, smallSegments)
		if !h.log.Empty() || h.log.NextOffset() != 0 {
			t.Fatalf("new log: first %d next %d", h.log.FirstOffset(), h.log.NextOffset())
		}
		var off uint64
		for i := range 40 {
			res := h.append(1+i%7, 300, uint64(1000+i))
			if res.FirstOffset != off {
				t.Fatalf("batch %d at offset %d, want %d", i, res.FirstOffset, off)
			}
			off = res.LastOffset + 1
		}
		h.check()
		st := h.log.Stats()
		if st.SegmentsCount < 5 || st.MessagesCount != off || st.NextOffset != off || st.LastOffset != off-1 {
			t.Fatalf("stats %+v after %d messages", st, off)
		}
		var size int64
		for _, id := range h.segments() {
			size += int64(len(readFile(t, h.path(id, storage.FileLog))))
			if idx := readFile(t, h.path(id, storage.FileIndex)); len(idx)%wire.IndexEntrySize != 0 {
				t.Fatalf("index %s holds %d bytes", id, len(idx))
			}
		}
		if uint64(size) != st.SizeBytes {
			t.Fatalf("stats size %d, files hold %d", st.SizeBytes, size)
		}
		h.sync()
		h.reopenClean()
		h.append(3, 100, 5000)
		h.check()
	})
	t.Run("segment-limit", func(t *testing.T) {
		h := newLogHarness(t, newStore, partition.Config{SegmentBytesMax: 4096})
		for range 30 {
			h.append(2, 500, 1)
		}
		big := h.append(1, 9000, 1) // alone larger than a segment
		h.append(1, 10, 1)
		for _, id := range h.segments() {
			n := len(readFile(t, h.path(id, storage.FileLog)))
			if n > 4096 && id.BaseOffset != big.FirstOffset {
				t.Fatalf("segment %s holds %d bytes, over the limit", id, n)
			}
		}
		for _, id := range h.segments()[1:] {
			// No batch is split: every segment starts a batch.
			if id.BaseOffset%2 != 0 && id.BaseOffset < big.FirstOffset {
				t.Fatalf("segment starts mid-batch at %d", id.BaseOffset)
			}
		}
		h.check()
	})
	t.Run("read-limits", func(t *testing.T) {
		h := newLogHarness(t, newStore, smallSegments)
		for range 20 {
			h.append(5, 200, 7)
		}
		next := h.log.NextOffset()
		one := len(h.want[10])
		b, n, err := h.log.Read(ctx, 10, 100, 1, nil)
		if err != nil || n != 1 || len(b) != one {
			t.Fatalf("tiny byte budget: n=%d len=%d err=%v", n, len(b), err)
		}
		budget := uint64(len(h.want[10]) + len(h.want[11]) + len(h.want[12]))
		if _, n, _ := h.log.Read(ctx, 10, 100, budget, nil); n != 3 {
			t.Fatalf("budget of 3 messages read %d", n)
		}
		if _, n, _ := h.log.Read(ctx, 10, 100, budget-1, nil); n != 2 {
			t.Fatalf("budget just under 3 messages read %d", n)
		}
		if _, n, _ := h.log.Read(ctx, 3, 0, 1<<30, nil); n != 0 {
			t.Fatalf("count 0 read %d", n)
		}
		if b, n, err := h.log.Read(ctx, next, 10, 1<<30, nil); n != 0 || len(b) != 0 || err != nil {
			t.Fatalf("read at next offset: n=%d err=%v", n, err)
		}
		prefix := []byte("keep")
		b, n, err = h.log.Read(ctx, 0, uint32(next), 1<<30, prefix)
		if err != nil || uint64(n) != next || !bytes.HasPrefix(b, prefix) {
			t.Fatalf("read into dst: n=%d err=%v", n, err)
		}
		if _, err := h.log.DeleteOldestSegments(ctx, 2); err != nil {
			t.Fatal(err)
		}
		first := h.log.FirstOffset()
		b, n, err = h.log.Read(ctx, 0, 1, 0, nil)
		if err != nil || n != 1 || !bytes.Equal(b, h.want[first]) {
			t.Fatalf("read below the first offset: n=%d err=%v, want message %d", n, err, first)
		}
	})
	t.Run("timestamps", func(t *testing.T) {
		h := newLogHarness(t, newStore, smallSegments)
		if _, ok, err := h.log.OffsetAtTimestamp(ctx, 0); ok || err != nil {
			t.Fatalf("empty log found a timestamp: %v", err)
		}
		stamps := map[uint64]uint64{}
		ts := uint64(1_000_000)
		for i := range 60 {
			ts += uint64(i%4) * 10 // equal stamps happen
			res := h.append(3, 200, ts)
			for off := res.FirstOffset; off <= res.LastOffset; off++ {
				stamps[off] = res.TimestampMicros
			}
		}
		// A clock going back never makes a stamp go down.
		res := h.append(2, 50, 5)
		if res.TimestampMicros != ts {
			t.Fatalf("stamp %d after %d", res.TimestampMicros, ts)
		}
		stamps[res.FirstOffset], stamps[res.LastOffset] = ts, ts
		h.sync()
		h.reopen() // lazy segments, and the last stamp survives
		if h.log.Stats().LastTimestampMicros != ts {
			t.Fatalf("last stamp %d after reopen, want %d", h.log.Stats().LastTimestampMicros, ts)
		}
		if res := h.append(1, 50, 7); res.TimestampMicros != ts {
			t.Fatalf("stamp after reopen %d, want %d", res.TimestampMicros, ts)
		} else {
			stamps[res.FirstOffset] = ts
		}
		for q := uint64(999_990); q <= ts+1; q += 5 {
			want, wantOK := uint64(0), false
			for off := uint64(0); off < h.log.NextOffset(); off++ {
				if stamps[off] >= q {
					want, wantOK = off, true
					break
				}
			}
			got, ok, err := h.log.OffsetAtTimestamp(ctx, q)
			if err != nil || ok != wantOK || got != want {
				t.Fatalf("timestamp %d: got %d %v %v, want %d %v", q, got, ok, err, want, wantOK)
			}
		}
		for off := uint64(0); off < h.log.NextOffset(); off += 17 {
			b, _, err := h.log.Read(ctx, off, 1, 0, nil)
			if err != nil || wire.DecodeMessageHeader(b).Timestamp != stamps[off] {
				t.Fatalf("message %d stamped %d, want %d", off, wire.DecodeMessageHeader(b).Timestamp, stamps[off])
			}
		}
	})
	t.Run("lazy-segments", func(t *testing.T) {
		cfg := partition.Config{SegmentBytesMax: 1024, SealedSegmentsOpenMax: 4}
		h := newLogHarness(t, newStore, cfg)
		for range 300 {
			h.append(1, 600, 1)
		}
		h.sync()
		ids := h.segments()
		if len(ids) < 150 {
			t.Fatalf("%d segments", len(ids))
		}
		// Damage in a sealed segment proves Open does not read them.
		victim := ids[5]
		flipByte(t, h.path(victim, storage.FileLog), 100)
		if err := os.Remove(h.path(ids[7], storage.FileIndex)); err != nil {
			t.Fatal(err)
		}
		h.reopen()
		if st := h.log.Stats(); st.OpenSegmentsCount != 1 || st.SegmentsCount != len(ids) {
			t.Fatalf("after open: %+v", st)
		}
		if _, _, err := h.log.Read(ctx, 0, 1, 0, nil); err != nil {
			t.Fatal(err)
		}
		if st := h.log.Stats(); st.OpenSegmentsCount != 2 {
			t.Fatalf("after reading one sealed segment %d segments open", st.OpenSegmentsCount)
		}
		_, _, err := h.log.Read(ctx, victim.BaseOffset, 1, 0, nil)
		var ce *partition.CorruptionError
		if !errors.As(err, &ce) || ce.Path != h.path(victim, storage.FileLog) || ce.Offset != victim.BaseOffset {
			t.Fatalf("read of a damaged sealed segment: %v", err)
		}
		h.forget(0)
		// The missing sealed index is rebuilt on first read.
		for off := ids[7].BaseOffset; off < ids[9].BaseOffset; off++ {
			if _, n, err := h.log.Read(ctx, off, 1, 0, nil); err != nil || n != 1 {
				t.Fatalf("read %d: %v", off, err)
			}
		}
		if len(readFile(t, h.path(ids[7], storage.FileIndex))) == 0 {
			t.Fatal("sealed index not rebuilt")
		}
		for off := ids[6].BaseOffset; off < h.log.NextOffset(); off++ {
			if _, _, err := h.log.Read(ctx, off, 1, 0, nil); err != nil {
				t.Fatalf("read %d: %v", off, err)
			}
		}
		if st := h.log.Stats(); st.OpenSegmentsCount > cfg.SealedSegmentsOpenMax+1 {
			t.Fatalf("%d segments open, limit %d sealed", st.OpenSegmentsCount, cfg.SealedSegmentsOpenMax)
		}
	})
	t.Run("retention", func(t *testing.T) {
		h := newLogHarness(t, newStore, partition.Config{SegmentBytesMax: 2048})
		for i := range 20 {
			h.append(2, 400, uint64(100*(i+1)))
		}
		before := h.log.Stats()
		if before.SegmentsCount < 5 {
			t.Fatalf("%d segments", before.SegmentsCount)
		}
		if n, err := h.log.ApplyRetention(ctx, 1_000_000, 0, 0); n != 0 || err != nil {
			t.Fatalf("no limits removed %d: %v", n, err)
		}
		// Time: sealed segments whose newest message is at least 1000 µs
		// older than now go, oldest first.
		now := uint64(1600)
		ids := h.segments()
		expected := 0
		for i := 0; i+1 < len(ids); i++ {
			last := h.want[ids[i+1].BaseOffset-1]
			if wire.DecodeMessageHeader(last).Timestamp+1000 > now {
				break
			}
			expected++
		}
		n, err := h.log.ApplyRetention(ctx, now, 1000, 0)
		if err != nil || n != expected || n == 0 {
			t.Fatalf("time retention removed %d: %v, want %d", n, err, expected)
		}
		first := h.log.FirstOffset()
		if first != ids[n].BaseOffset || h.segments()[0] != ids[n] {
			t.Fatalf("first offset %d, segments %v", first, h.segments())
		}
		b, _, _ := h.log.Read(ctx, first, 1, 0, nil)
		prev, _, _ := h.log.Read(ctx, first-1, 1, 0, nil) // clamps to first
		if !bytes.Equal(prev, b) {
			t.Fatal("read below the first offset did not clamp")
		}
		// Size: trim to 3 KiB keeps the newest segments, never the active one.
		if _, err := h.log.ApplyRetention(ctx, now, 0, 3072); err != nil {
			t.Fatal(err)
		}
		st := h.log.Stats()
		if st.SizeBytes > 3072 && st.SegmentsCount > 1 {
			t.Fatalf("size retention left %+v", st)
		}
		if _, err := h.log.ApplyRetention(ctx, 1<<60, 1, 1); err != nil {
			t.Fatal(err)
		}
		if st := h.log.Stats(); st.SegmentsCount != 1 || st.NextOffset != before.NextOffset || st.MessagesCount == 0 {
			t.Fatalf("retention touched the active segment: %+v", st)
		}
		h.check()
		h.reopenClean()
	})
	t.Run("delete-segments", func(t *testing.T) {
		h := newLogHarness(t, newStore, partition.Config{SegmentBytesMax: 2048})
		for range 12 {
			h.append(2, 400, 1)
		}
		ids := h.segments()
		if n, err := h.log.DeleteOldestSegments(ctx, 2); n != 2 || err != nil {
			t.Fatalf("deleted %d: %v", n, err)
		}
		if h.log.FirstOffset() != ids[2].BaseOffset {
			t.Fatalf("first offset %d, want %d", h.log.FirstOffset(), ids[2].BaseOffset)
		}
		h.check()
		next := h.log.NextOffset()
		n, err := h.log.DeleteOldestSegments(ctx, 1000)
		if err != nil || n != len(ids)-2 {
			t.Fatalf("deleting all: %d %v, want %d", n, err, len(ids)-2)
		}
		if !h.log.Empty() || h.log.FirstOffset() != next || h.log.NextOffset() != next {
			t.Fatalf("after deleting all: first %d next %d, want %d", h.log.FirstOffset(), h.log.NextOffset(), next)
		}
		if ids := h.segments(); len(ids) != 1 || ids[0].BaseOffset != next {
			t.Fatalf("segments %v", ids)
		}
		h.reopenClean()
		if h.log.NextOffset() != next {
			t.Fatalf("offsets restarted at %d after reopen", h.log.NextOffset())
		}
		if res := h.append(1, 10, 1); res.FirstOffset != next {
			t.Fatalf("append at %d, want %d", res.FirstOffset, next)
		}
		h.check()
		if n, err := h.log.DeleteOldestSegments(ctx, 0); n != 0 || err != nil {
			t.Fatalf("deleting 0: %d %v", n, err)
		}
	})
	t.Run("purge", func(t *testing.T) {
		h := newLogHarness(t, newStore, partition.Config{SegmentBytesMax: 2048})
		for range 10 {
			h.append(2, 400, 9)
		}
		if err := h.log.Purge(ctx); err != nil {
			t.Fatal(err)
		}
		h.forget(0)
		if st := h.log.Stats(); st.NextOffset != 0 || st.MessagesCount != 0 || st.SegmentsCount != 1 || st.SizeBytes != 0 {
			t.Fatalf("after purge %+v", st)
		}
		h.reopenClean()
		if res := h.append(2, 10, 1); res.FirstOffset != 0 {
			t.Fatalf("append after purge at %d", res.FirstOffset)
		}
		h.check()
	})
	t.Run("bad-batch", func(t *testing.T) {
		h := newLogHarness(t, newStore, partition.Config{})
		h.append(1, 10, 1)
		good := h.batch(2, 10)
		for name, c := range map[string]struct {
			frames []byte
			count  uint32
		}{
			"count too high":  {good, 3},
			"count too low":   {good, 1},
			"zero count":      {good, 0},
			"cut frame":       {good[:len(good)-1], 2},
			"short header":    {good[:30], 1},
			"trailing bytes":  {append(append([]byte{}, good...), 1, 2, 3), 2},
			"oversized field": {oversized(), 1},
		} {
			if _, err := h.log.Append(ctx, c.frames, c.count, 1); err == nil {
				t.Fatalf("%s: accepted", name)
			}
		}
		if h.log.NextOffset() != 1 || h.log.Stats().SizeBytes != uint64(len(h.want[0])) {
			t.Fatalf("a rejected batch was written: %+v", h.log.Stats())
		}
		h.check()
	})
	t.Run("closed", func(t *testing.T) {
		h := newLogHarness(t, newStore, partition.Config{})
		h.append(1, 10, 1)
		if err := h.log.Close(); err != nil {
			t.Fatal(err)
		}
		if err := h.log.Close(); err != nil {
			t.Fatalf("second close: %v", err)
		}
		if _, err := h.log.Append(ctx, h.batch(1, 1), 1, 1); !errors.Is(err, partition.ErrClosed) {
			t.Fatalf("append after close: %v", err)
		}
		if _, _, err := h.log.Read(ctx, 0, 1, 0, nil); !errors.Is(err, partition.ErrClosed) {
			t.Fatalf("read after close: %v", err)
		}
		if err := h.log.Sync(ctx); !errors.Is(err, partition.ErrClosed) {
			t.Fatalf("sync after close: %v", err)
		}
	})
}

// oversized is a frame whose header declares a payload over the limit.
func oversized() []byte {
	b := Frame(1, nil, nil)
	wire.EncodeMessageHeader(b, wire.MessageHeader{PayloadLength: wire.MessagePayloadBytesMax + 1})
	return append(b, make([]byte, 128)...)
}
