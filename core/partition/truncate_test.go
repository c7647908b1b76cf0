package partition_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/runnel-io/runnel/core/partition"
	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/storage"
	"github.com/runnel-io/runnel/plugins/storage/mmapstore"
	"github.com/runnel-io/runnel/plugins/storage/storagetest"
)

// backend makes a started store over dir.
type backend struct {
	name  string
	start func(t testing.TB, dir string) storage.Store
}

func startMmapStore(t testing.TB, dir string) storage.Store {
	t.Helper()
	s, err := mmapstore.New(component.Env{DataDir: dir}, mmapstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	return s
}

var backends = []backend{{"file", startFileStore}, {"mmap", startMmapStore}}

// truncConfig: about four 100-byte messages per segment, one sealed
// segment open at a time, so truncation meets closed sealed segments.
var truncConfig = partition.Config{SegmentBytesMax: 400, SealedSegmentsOpenMax: 1}

// modelLog is a Log beside what it must hold: every kept frame and stamp
// by offset, and the newest stamp Append must continue from.
type modelLog struct {
	t      testing.TB
	store  storage.Store
	cfg    partition.Config
	l      *partition.Log
	frames map[uint64][]byte
	stamps map[uint64]uint64
	first  uint64
	next   uint64
	lastTS uint64
	seq    uint64
}

func newModelLog(t testing.TB, store storage.Store, cfg partition.Config) *modelLog {
	t.Helper()
	m := &modelLog{t: t, store: store, cfg: cfg, frames: map[uint64][]byte{}, stamps: map[uint64]uint64{}}
	m.open()
	t.Cleanup(func() { _ = m.l.Close() })
	return m
}

func (m *modelLog) open() {
	m.t.Helper()
	l, err := partition.Open(context.Background(), m.store, fuzzKey, m.cfg)
	if err != nil {
		m.t.Fatalf("open: %v", err)
	}
	m.l = l
}

// append adds n messages of payloadBytes each (frames of 64+payloadBytes).
func (m *modelLog) append(n, payloadBytes int, ts uint64) partition.AppendResult {
	m.t.Helper()
	var batch []byte
	var sizes []int
	for range n {
		m.seq++
		f := storagetest.Frame(m.seq, bytes.Repeat([]byte{byte(m.seq)}, payloadBytes), nil)
		batch = append(batch, f...)
		sizes = append(sizes, len(f))
	}
	res, err := m.l.Append(context.Background(), batch, uint32(n), ts)
	if err != nil {
		m.t.Fatalf("append: %v", err)
	}
	wantTS := max(ts, m.lastTS)
	if res.FirstOffset != m.next || res.TimestampMicros != wantTS {
		m.t.Fatalf("append at %d stamped %d, want %d stamped %d", res.FirstOffset, res.TimestampMicros, m.next, wantTS)
	}
	for _, size := range sizes {
		m.frames[m.next], m.stamps[m.next] = batch[:size:size], wantTS
		batch = batch[size:]
		m.next++
	}
	m.lastTS = wantTS
	return res
}

// truncate calls TruncateTo and applies the same cut to the model.
func (m *modelLog) truncate(next uint64) {
	m.t.Helper()
	if err := m.l.TruncateTo(context.Background(), next); err != nil {
		m.t.Fatalf("truncate to %d: %v", next, err)
	}
	m.cut(next)
}

func (m *modelLog) cut(next uint64) {
	if next >= m.next {
		return
	}
	for off := next; off < m.next; off++ {
		delete(m.frames, off)
		delete(m.stamps, off)
	}
	if next < m.first {
		clear(m.frames)
		clear(m.stamps)
		m.first = next
	}
	m.next = next
	m.lastTS = m.newestStamp()
}

// newestStamp is the stamp Open restores: the last kept message's, or 0.
func (m *modelLog) newestStamp() uint64 {
	if m.next == m.first {
		return 0
	}
	return m.stamps[m.next-1]
}

// dropOldest removes the model's messages below the log's new first offset.
func (m *modelLog) dropOldest() {
	for off := m.first; off < m.l.FirstOffset(); off++ {
		delete(m.frames, off)
		delete(m.stamps, off)
	}
	m.first = m.l.FirstOffset()
}

func (m *modelLog) reopen() {
	m.t.Helper()
	if err := m.l.Close(); err != nil {
		m.t.Fatalf("close: %v", err)
	}
	m.open()
	m.lastTS = m.newestStamp()
}

// check compares the log with the model: invariants, offsets, stamp, and
// every message read back.
func (m *modelLog) check() {
	m.t.Helper()
	if err := partition.CheckInvariants(m.l); err != nil {
		m.t.Fatalf("invariants: %v", err)
	}
	st := m.l.Stats()
	if st.FirstOffset != m.first || st.NextOffset != m.next || st.LastTimestampMicros != m.lastTS {
		m.t.Fatalf("log holds [%d, %d) last stamp %d; want [%d, %d) stamp %d",
			st.FirstOffset, st.NextOffset, st.LastTimestampMicros, m.first, m.next, m.lastTS)
	}
	m.checkContents(m.l, m.first, m.next)
}

// checkContents reads [from, to) of l and compares it with the model.
func (m *modelLog) checkContents(l *partition.Log, from, to uint64) {
	m.t.Helper()
	got, n, err := l.Read(context.Background(), from, uint32(to-from)+1, 1<<30, nil)
	if err != nil || uint64(n) != to-from {
		m.t.Fatalf("read [%d, %d): %d messages, %v", from, to, n, err)
	}
	for off := from; off < to; off++ {
		w := m.frames[off]
		if !bytes.HasPrefix(got, w) {
			m.t.Fatalf("message %d differs", off)
		}
		got = got[len(w):]
	}
}

// checkReopen closes the log, opens it again, and checks that Open found
// nothing to fix and sees what the model holds, with the same stats.
func (m *modelLog) checkReopen() {
	m.t.Helper()
	before, segs := m.l.Stats(), m.l.Segments()
	m.reopen()
	if r := m.l.Recovery(); r.Changed() {
		m.t.Fatalf("reopen changed files: %+v", r)
	}
	after := m.l.Stats()
	before.OpenSegmentsCount, after.OpenSegmentsCount = 0, 0
	if before != after {
		m.t.Fatalf("stats before reopen %+v, after %+v", before, after)
	}
	if got := m.l.Segments(); fmt.Sprint(got) != fmt.Sprint(segs) {
		m.t.Fatalf("segments before reopen %v, after %v", segs, got)
	}
	m.check()
}

// fill appends messages of 100 bytes (36-byte payloads) until NextOffset is
// n, in batches of up to 3, stamps 1000+offset.
func (m *modelLog) fill(n uint64) {
	m.t.Helper()
	for m.next < n {
		k := min(3, n-m.next)
		m.append(int(k), 36, 1000+m.next)
	}
}

func forBackends(t *testing.T, f func(t *testing.T, b backend)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { f(t, b) })
	}
}

func TestTruncateToPastEnd(t *testing.T) {
	forBackends(t, func(t *testing.T, b backend) {
		dir := t.TempDir()
		m := newModelLog(t, b.start(t, dir), truncConfig)
		m.fill(10)
		if err := m.l.Sync(context.Background()); err != nil {
			t.Fatal(err)
		}
		before := m.l.Segments()
		for _, next := range []uint64{10, 11, 1 << 40} {
			m.truncate(next)
			if fmt.Sprint(m.l.Segments()) != fmt.Sprint(before) {
				t.Fatalf("truncate to %d changed segments: %v", next, m.l.Segments())
			}
		}
		m.check()
		m.append(1, 10, 1)
		m.checkReopen()
	})
}

func TestTruncateToActive(t *testing.T) {
	forBackends(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		m := newModelLog(t, b.start(t, t.TempDir()), partition.Config{})
		m.fill(20)
		if err := m.l.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		m.fill(30) // index entries 20..29 still buffered
		m.truncate(25)
		m.check()
		m.truncate(12) // into the written index
		m.check()
		// Stamps continue from message 11's, not from the removed ones.
		m.append(2, 50, 1)
		m.check()
		m.checkReopen()
		m.append(1, 5, 2000)
		m.checkReopen()
	})
}

func TestTruncateToSealed(t *testing.T) {
	forBackends(t, func(t *testing.T, b backend) {
		m := newModelLog(t, b.start(t, t.TempDir()), truncConfig)
		m.fill(40)
		if n := len(m.l.Segments()); n < 8 {
			t.Fatalf("%d segments", n)
		}
		segs := m.l.Segments()
		mid := segs[3].ID.BaseOffset + 2 // inside a closed sealed segment
		m.truncate(mid)
		m.check()
		if got := m.l.Segments(); len(got) != 4 || got[3].Sealed || got[3].NextOffset != mid {
			t.Fatalf("segments after truncate to %d: %+v", mid, got)
		}
		m.fill(mid + 20) // rotates again
		m.check()
		m.checkReopen()
		// Once more into what is now a sealed segment, then reopen first.
		segs = m.l.Segments()
		m.truncate(segs[len(segs)-3].ID.BaseOffset + 1)
		m.checkReopen()
		m.fill(m.next + 7)
		m.checkReopen()
	})
}

func TestTruncateToSegmentBase(t *testing.T) {
	forBackends(t, func(t *testing.T, b backend) {
		m := newModelLog(t, b.start(t, t.TempDir()), truncConfig)
		m.fill(30)
		segs := m.l.Segments()
		base := segs[2].ID.BaseOffset
		m.truncate(base)
		m.check()
		got := m.l.Segments()
		if len(got) != 3 || got[2].ID.BaseOffset != base || got[2].NextOffset != base || got[2].SizeBytes != 0 || got[2].Sealed {
			t.Fatalf("segments after truncate to base %d: %+v", base, got)
		}
		m.checkReopen() // an empty active segment takes the stamp from the one before
		m.append(1, 20, 0)
		m.checkReopen()
		// The active segment's own base.
		m.fill(m.next + 5)
		base = m.l.Segments()[len(m.l.Segments())-1].ID.BaseOffset
		m.truncate(base)
		m.checkReopen()
	})
}

func TestTruncateToZero(t *testing.T) {
	forBackends(t, func(t *testing.T, b backend) {
		m := newModelLog(t, b.start(t, t.TempDir()), truncConfig)
		m.fill(25)
		m.truncate(0)
		m.check()
		if got := m.l.Segments(); len(got) != 1 || got[0].ID.BaseOffset != 0 || got[0].SizeBytes != 0 || !m.l.Empty() {
			t.Fatalf("segments after truncate to 0: %+v", got)
		}
		m.checkReopen()
		m.append(2, 10, 5) // stamps start over: nothing older is kept
		m.fill(12)
		m.checkReopen()
	})
}

func TestTruncateToRetained(t *testing.T) {
	forBackends(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		m := newModelLog(t, b.start(t, t.TempDir()), truncConfig)
		m.fill(30)
		if n, err := m.l.DeleteOldestSegments(ctx, 3); n != 3 || err != nil {
			t.Fatalf("delete: %d %v", n, err)
		}
		m.dropOldest()
		first := m.first
		m.check()
		// Exactly the first offset kept: the first segment stays, emptied.
		m.truncate(first + 9) // fewer than NextOffset, to have more segments to drop
		m.truncate(first)
		m.check()
		if got := m.l.Segments(); len(got) != 1 || got[0].ID.BaseOffset != first {
			t.Fatalf("segments after truncate to the first offset %d: %+v", first, got)
		}
		m.checkReopen()
		m.fill(first + 14)
		if _, err := m.l.DeleteOldestSegments(ctx, 2); err != nil {
			t.Fatal(err)
		}
		m.dropOldest()
		// Below the first offset: retention removed the segment holding it.
		target := m.first - 3
		m.truncate(target)
		m.check()
		if got := m.l.Segments(); len(got) != 1 || got[0].ID.BaseOffset != target || got[0].SizeBytes != 0 {
			t.Fatalf("segments after truncate to %d below the first offset: %+v", target, got)
		}
		m.checkReopen()
		m.fill(target + 9)
		m.checkReopen()
	})
}

func TestTruncateToAfterDeletingEverything(t *testing.T) {
	ctx := context.Background()
	m := newModelLog(t, startFileStore(t, t.TempDir()), truncConfig)
	m.fill(10)
	if _, err := m.l.DeleteOldestSegments(ctx, 100); err != nil {
		t.Fatal(err)
	}
	m.dropOldest() // an empty log at 10 whose in-memory stamp is kept
	m.truncate(4)
	m.check()
	m.checkReopen()
	m.fill(6)
	m.checkReopen()
}

// TestTruncateToCorruptCut: a damaged message just before the cut is
// refused before anything changes, and the log keeps working.
func TestTruncateToCorruptCut(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	store := startFileStore(t, dir)
	m := newModelLog(t, store, truncConfig)
	m.fill(30)
	if err := m.l.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	seg := m.l.Segments()[2]
	path := store.Path(seg.ID, storage.FileLog)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	damaged := seg.NextOffset - 2 // 100-byte messages: its last byte is 101 from the end
	b[len(b)-101] ^= 0x10
	if err := os.WriteFile(path, b, 0o640); err != nil {
		t.Fatal(err)
	}
	m.truncate(seg.NextOffset) // the next segment's base: nothing before it is read
	err = m.l.TruncateTo(ctx, damaged+1)
	var ce *partition.CorruptionError
	if !errors.As(err, &ce) || ce.Path != path || ce.Offset != damaged {
		t.Fatalf("truncate right after a damaged message: %v", err)
	}
	// Nothing changed (reading past the damage fails, as it should).
	if err := partition.CheckInvariants(m.l); err != nil || m.l.NextOffset() != seg.NextOffset {
		t.Fatalf("refused truncate left [%d, %d): %v", m.l.FirstOffset(), m.l.NextOffset(), err)
	}
	m.truncate(damaged) // cuts the damaged message off
	m.check()
	m.append(1, 10, 1)
	m.checkReopen()
}
