package partition_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/runnel-io/runnel/core/partition"
)

// adopt makes the model hold [first, next) of what it held: the messages a
// reopened log kept after a fault.
func (m *modelLog) adopt(first, next uint64) {
	for off := range m.frames {
		if off < first || off >= next {
			delete(m.frames, off)
			delete(m.stamps, off)
		}
	}
	m.first, m.next = first, next
	m.lastTS = m.newestStamp()
}

// faultyTruncate runs TruncateTo(next) with the n-th mutating storage call
// failing, then reopens the log as a restarted server would and checks
// that Open accepts what is on disk, that no message below next was lost
// or changed, and that a second TruncateTo(next) finishes the job. It
// reports whether the fault fired (false: TruncateTo made fewer calls).
func faultyTruncate(t testing.TB, m *modelLog, fs *faultStore, next uint64, n int, after bool) bool {
	t.Helper()
	fs.arm(n, after)
	err := m.l.TruncateTo(context.Background(), next)
	fs.disarm()
	if !fs.fired {
		if err != nil {
			t.Fatalf("truncate to %d: %v", next, err)
		}
		m.cut(next)
		return false
	}
	if !errors.Is(err, errInjected) {
		t.Fatalf("truncate to %d with call %d failing (after %t): %v", next, n, after, err)
	}
	_ = m.l.Close()
	m.open()
	first, got := m.l.FirstOffset(), m.l.NextOffset()
	desc := fmt.Sprintf("truncate [%d, %d) to %d, call %d failing (after %t): reopened [%d, %d)", m.first, m.next, next, n, after, first, got)
	switch {
	case next >= m.first && (first != m.first || got < next || got > m.next):
		t.Fatalf("%s: messages below the cut lost", desc)
	case next < m.first && first == got && (got == 0 || got == next):
		// Every old segment went; the new one was made, or (got == 0) not yet.
	case next < m.first && (first < m.first || got > m.next || first > got):
		t.Fatalf("%s: not a part of the old log", desc)
	}
	if err := partitionInvariants(m); err != nil {
		t.Fatalf("%s: %v", desc, err)
	}
	if first < got && first >= m.first {
		m.checkContents(m.l, first, got)
	}
	m.adopt(first, got)
	m.truncate(next)
	m.check()
	return true
}

// TestTruncateToFaults fails each storage call of TruncateTo in turn, in
// every case, before and after the call takes effect.
func TestTruncateToFaults(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name  string
		setup func(m *modelLog) uint64 // returns the offset to truncate to
	}{
		{"active", func(m *modelLog) uint64 { m.fill(16); return 14 }},
		{"sealed", func(m *modelLog) uint64 { m.fill(16); return m.l.Segments()[3].ID.BaseOffset + 1 }},
		{"base", func(m *modelLog) uint64 { m.fill(16); return m.l.Segments()[2].ID.BaseOffset }},
		{"zero", func(m *modelLog) uint64 { m.fill(16); return 0 }},
		{"retained", func(m *modelLog) uint64 {
			m.fill(16)
			if _, err := m.l.DeleteOldestSegments(ctx, 2); err != nil {
				m.t.Fatal(err)
			}
			m.dropOldest()
			return m.first - 4
		}},
	}
	for _, c := range cases {
		for _, after := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/after=%t", c.name, after), func(t *testing.T) {
				t.Parallel() // fsync-bound
				for n := 1; ; n++ {
					fs := &faultStore{Store: startFileStore(t, t.TempDir())}
					m := newModelLog(t, fs, truncConfig)
					next := c.setup(m)
					if !faultyTruncate(t, m, fs, next, n, after) {
						if n == 1 {
							t.Fatalf("truncate to %d made no storage call", next)
						}
						break
					}
					m.fill(m.next + 4)
					m.checkReopen()
				}
			})
		}
	}
}

// FuzzTruncate runs a random mix of appends, syncs, truncations (some
// with a storage call failing, then a restart), deletion of the oldest
// segments and reopens against a model of what the log must hold. Every
// 4 bytes of ops is one operation.
func FuzzTruncate(f *testing.F) {
	f.Add([]byte{0, 3, 9, 0, 0, 2, 9, 0, 3, 128, 0, 0, 5, 0, 0, 0})
	f.Add([]byte{0, 3, 200, 0, 0, 3, 200, 0, 0, 3, 200, 0, 0, 3, 200, 0, 3, 60, 0, 0, 0, 1, 0, 0, 5, 0, 0, 0})
	f.Add([]byte{0, 3, 50, 0, 0, 3, 50, 0, 0, 3, 50, 0, 4, 1, 0, 0, 3, 0, 0, 0, 0, 2, 9, 0, 5, 0, 0, 0})
	f.Add([]byte{0, 3, 90, 0, 0, 3, 90, 0, 0, 3, 90, 0, 6, 100, 3, 0, 0, 1, 1, 0, 6, 10, 4, 1, 5, 0, 0, 0})
	f.Add([]byte{0, 3, 90, 0, 0, 3, 90, 0, 2, 0, 0, 0, 0, 3, 90, 0, 4, 2, 0, 0, 6, 20, 2, 1, 3, 255, 0, 0})
	f.Fuzz(func(t *testing.T, ops []byte) {
		runOps(t, ops)
	})
}

// opsMax bounds one fuzz input's operations, to keep each run short.
const opsMax = 64

func runOps(t *testing.T, ops []byte) {
	ctx := context.Background()
	fs := &faultStore{Store: startFileStore(t, t.TempDir())}
	m := newModelLog(t, fs, truncConfig)
	for i := 0; i+4 <= len(ops) && i < 4*opsMax; i += 4 {
		op, a, b, c := ops[i]%7, ops[i+1], ops[i+2], ops[i+3]
		// a scaled to [0, next+2]: below, inside and past the log.
		target := uint64(a) * (m.next + 3) / 256
		switch op {
		case 0, 1:
			m.append(1+int(a%3), int(b)%200, uint64(c)*10)
		case 2:
			if err := m.l.Sync(ctx); err != nil {
				t.Fatal(err)
			}
		case 3:
			cuts := target < m.next
			m.truncate(target)
			if dirty := fs.unsynced(); cuts && len(dirty) > 0 {
				t.Fatalf("op %d: truncate to %d left unsynced writes in %v", i/4, target, dirty)
			}
			if cuts && b%4 == 0 {
				m.checkReopen() // the truncated log is what Open makes of its files
			}
		case 4:
			if _, err := m.l.DeleteOldestSegments(ctx, 1+int(a%2)); err != nil {
				t.Fatal(err)
			}
			m.dropOldest()
		case 5:
			m.reopen()
		case 6:
			faultyTruncate(t, m, fs, target, 1+int(b%12), c%2 == 1)
		}
		if err := partitionInvariants(m); err != nil {
			t.Fatalf("op %d (%d): %v", i/4, op, err)
		}
		if st := m.l.Stats(); st.FirstOffset != m.first || st.NextOffset != m.next || st.LastTimestampMicros != m.lastTS {
			t.Fatalf("op %d (%d): log %+v, model [%d, %d) stamp %d", i/4, op, st, m.first, m.next, m.lastTS)
		}
	}
	// Not checkReopen: DeleteOldestSegments keeps the newest stamp in
	// memory when it empties the log, and Open cannot know it.
	m.reopen()
	m.check()
}

// TestTruncateOps runs the op mix over inputs from a fixed generator, so
// plain go test covers more than the fuzz seeds.
func TestTruncateOps(t *testing.T) {
	x := uint64(0x9e3779b97f4a7c15)
	for run := range 24 {
		ops := make([]byte, 4*48)
		for i := range ops {
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
			ops[i] = byte(x)
		}
		t.Run(fmt.Sprint(run), func(t *testing.T) { runOps(t, ops) })
	}
}

func partitionInvariants(m *modelLog) error { return partition.CheckInvariants(m.l) }
