package metastore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/runnel-io/runnel/core/metadata"
	"github.com/runnel-io/runnel/sdk/wire"
)

func testConfig() Config {
	cfg := DefaultConfig()
	cfg.State.SegmentSizeBytes = 1 << 20
	return cfg
}

func openT(t testing.TB, dir string, cfg Config) *Store {
	t.Helper()
	s, err := Open(context.Background(), dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	return s
}

func submit(t testing.TB, s *Store, op metadata.Op) metadata.Result {
	t.Helper()
	res, err := s.Submit(context.Background(), op)
	if err != nil {
		t.Fatalf("%s: %v", metadata.OpName(op), err)
	}
	return res
}

func closeT(t testing.TB, s *Store) {
	t.Helper()
	if err := s.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func snapshotOf(s *Store) []byte {
	var b []byte
	s.View(func(st *metadata.State) { b = st.AppendSnapshot(nil) })
	return b
}

// workload returns n ops that all apply in order to an empty state.
func workload(n int) []metadata.Op {
	id := wire.NumericID
	ops := []metadata.Op{
		metadata.CreateUser{Username: "root", PasswordHash: "h", Status: metadata.UserActive,
			Permissions: wire.AllPermissions(), CreatedAtMicros: 1},
		metadata.CreateStream{Name: "s0", CreatedAtMicros: 2},
		metadata.CreateTopic{Stream: id(0), Name: "t0", PartitionsCount: 8, Compression: 1, CreatedAtMicros: 3},
		metadata.CreateConsumerGroup{Stream: id(0), Topic: id(0), Name: "g0"},
	}
	for i := 0; len(ops) < n; i++ {
		switch i % 10 {
		case 0:
			ops = append(ops, metadata.CreateStream{Name: fmt.Sprintf("stream-%d", i), CreatedAtMicros: uint64(i)})
		case 1:
			ops = append(ops, metadata.CreatePAT{UserID: 0, Name: fmt.Sprintf("pat-%d", i), TokenHash: fmt.Sprintf("hash-%d", i),
				ExpiryAtMicros: uint64(i)})
		case 2:
			ops = append(ops, metadata.DeleteExpiredPATs{NowMicros: uint64(i)})
		default:
			ops = append(ops, metadata.StoreConsumerOffset{Stream: id(0), Topic: id(0), PartitionID: uint32(i % 8),
				Kind: metadata.ConsumerKind(1 + i%2), ConsumerID: 0, Offset: uint64(i)})
		}
	}
	return ops[:n]
}

// reference applies ops to a fresh state and returns its snapshot bytes.
func reference(t testing.TB, cfg Config, ops []metadata.Op) []byte {
	t.Helper()
	st := metadata.NewState(cfg.State)
	for _, op := range ops {
		if _, err := st.Apply(op); err != nil {
			t.Fatalf("reference %s: %v", metadata.OpName(op), err)
		}
	}
	return st.AppendSnapshot(nil)
}

func TestRoundTripAcrossReopen(t *testing.T) {
	dir, cfg := t.TempDir(), testConfig()
	s := openT(t, dir, cfg)
	if !s.Empty() {
		t.Fatal("fresh store not empty")
	}
	ops := workload(300)
	for _, op := range ops {
		submit(t, s, op)
	}
	if s.Empty() {
		t.Fatal("store with a user is empty")
	}
	want := snapshotOf(s)
	if !bytes.Equal(want, reference(t, cfg, ops)) {
		t.Fatal("store state differs from applying the ops directly")
	}
	closeT(t, s)
	if _, err := s.Submit(context.Background(), ops[0]); !errors.Is(err, ErrClosed) {
		t.Fatalf("submit after close: %v", err)
	}

	s = openT(t, dir, cfg)
	if got := snapshotOf(s); !bytes.Equal(got, want) {
		t.Fatal("reopened state differs")
	}
	if st := s.Stats(); st.Seq != uint64(len(ops)) {
		t.Fatalf("seq after reopen %d, want %d", st.Seq, len(ops))
	}
	// Ids handed out after a reopen continue where they left off.
	res := submit(t, s, metadata.CreateStream{Name: "after-reopen"})
	if res.StreamID != 30+1 {
		t.Fatalf("stream id after reopen %d", res.StreamID)
	}
}

func TestRejectedOpWritesNothing(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, dir, testConfig())
	submit(t, s, metadata.CreateStream{Name: "a"})
	size := fileSize(t, filepath.Join(dir, logFileName))
	_, err := s.Submit(context.Background(), metadata.CreateStream{Name: "a"})
	if !errors.Is(err, wire.ErrStreamNameExists) {
		t.Fatalf("duplicate stream: %v", err)
	}
	if fileSize(t, filepath.Join(dir, logFileName)) != size {
		t.Fatal("a rejected op was logged")
	}
	if st := s.Stats(); st.Seq != 1 || st.OpsLogged != 1 {
		t.Fatalf("stats after a rejected op: %+v", st)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Submit(ctx, metadata.CreateStream{Name: "b"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled submit: %v", err)
	}
}

func fileSize(t testing.TB, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// writeLog submits ops one at a time (one record each) and returns the
// log's size after each op.
func writeLog(t *testing.T, dir string, cfg Config, ops []metadata.Op) []int64 {
	t.Helper()
	s := openT(t, dir, cfg)
	var sizes []int64
	for _, op := range ops {
		submit(t, s, op)
		sizes = append(sizes, fileSize(t, filepath.Join(dir, logFileName)))
	}
	closeT(t, s)
	return sizes
}

func TestTornTailIsTruncated(t *testing.T) {
	cfg := testConfig()
	ops := workload(20)
	mutations := map[string]func(b []byte, lastStart int) []byte{
		"cut one byte":       func(b []byte, _ int) []byte { return b[:len(b)-1] },
		"cut to header":      func(b []byte, last int) []byte { return b[:last+recordHeaderBytes] },
		"cut inside header":  func(b []byte, last int) []byte { return b[:last+3] },
		"flip a byte":        func(b []byte, _ int) []byte { b[len(b)-2] ^= 0x40; return b },
		"zero the record":    func(b []byte, last int) []byte { clear(b[last:]); return b },
		"bad length":         func(b []byte, last int) []byte { b[last+1] = 0x7F; return b },
		"zero tail appended": func(b []byte, _ int) []byte { return append(b, make([]byte, 4096)...) },
		"garbage appended":   func(b []byte, _ int) []byte { return append(b, 0xDE, 0xAD, 0xBE) },
	}
	for name, mutate := range mutations {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			sizes := writeLog(t, dir, cfg, ops)
			path := filepath.Join(dir, logFileName)
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			lastStart := int(sizes[len(sizes)-2])
			mutated := mutate(b, lastStart)
			if err := os.WriteFile(path, mutated, 0o644); err != nil {
				t.Fatal(err)
			}
			kept := ops
			wantSize := sizes[len(sizes)-1]
			if len(mutated) <= len(b) { // the last record itself was damaged
				kept, wantSize = ops[:len(ops)-1], sizes[len(sizes)-2]
			}
			s := openT(t, dir, cfg)
			if !bytes.Equal(snapshotOf(s), reference(t, cfg, kept)) {
				t.Fatal("state after truncation differs from the intact ops")
			}
			if got := fileSize(t, path); got != wantSize {
				t.Fatalf("log is %d bytes after open, want %d", got, wantSize)
			}
			// The store keeps working after the truncation.
			submit(t, s, metadata.CreateStream{Name: "after"})
			closeT(t, s)
			s = openT(t, dir, cfg)
			want := reference(t, cfg, append(append([]metadata.Op{}, kept...), metadata.CreateStream{Name: "after"}))
			if !bytes.Equal(snapshotOf(s), want) {
				t.Fatal("state after appending to a truncated log differs")
			}
		})
	}
}

func TestMidLogCorruptionRefused(t *testing.T) {
	cfg := testConfig()
	ops := workload(10)
	for _, victim := range []int{0, 4, 8} { // damage record `victim`, leaving valid ones after it
		t.Run(fmt.Sprint(victim), func(t *testing.T) {
			dir := t.TempDir()
			sizes := writeLog(t, dir, cfg, ops)
			path := filepath.Join(dir, logFileName)
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			start := int64(0)
			if victim > 0 {
				start = sizes[victim-1]
			}
			b[start+recordHeaderBytes+2] ^= 0xFF
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err = Open(context.Background(), dir, cfg)
			if err == nil {
				t.Fatal("opened a log with a corrupt record in the middle")
			}
			wantAt := fmt.Sprintf("byte %d ", start)
			if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), wantAt) {
				t.Fatalf("error %q does not name %s and %q", err, path, wantAt)
			}
			if got := int64(len(b)); fileSize(t, path) != got {
				t.Fatal("a refused open modified the log")
			}
		})
	}
}

func TestChecksumValidButMalformedRecordRefused(t *testing.T) {
	dir, cfg := t.TempDir(), testConfig()
	writeLog(t, dir, cfg, workload(2))
	// A record with valid framing whose sequence number goes backwards.
	bad := appendRecord(nil, []entry{{seq: 1, op: metadata.AppendOp(nil, metadata.CreateStream{Name: "x"})}})
	f, err := os.OpenFile(filepath.Join(dir, logFileName), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(bad); err != nil {
		t.Fatal(err)
	}
	_ = f.Close()
	if _, err := Open(context.Background(), dir, cfg); err == nil || !strings.Contains(err.Error(), "sequence") {
		t.Fatalf("open with a backwards sequence number: %v", err)
	}
}

func TestSnapshotAndReopen(t *testing.T) {
	dir, cfg := t.TempDir(), testConfig()
	cfg.SnapshotAfterOps = 25
	s := openT(t, dir, cfg)
	ops := workload(110)
	for _, op := range ops {
		submit(t, s, op)
	}
	st := s.Stats()
	if st.Snapshots != 4 {
		t.Fatalf("snapshots %d, want 4", st.Snapshots)
	}
	want := snapshotOf(s)
	closeT(t, s)
	if size := fileSize(t, filepath.Join(dir, logFileName)); size > 10*200 {
		t.Fatalf("log not truncated by the snapshots: %d bytes", size)
	}
	s = openT(t, dir, cfg)
	if !bytes.Equal(snapshotOf(s), want) {
		t.Fatal("state from snapshot + log differs")
	}
	if s.Stats().Seq != uint64(len(ops)) {
		t.Fatalf("seq %d", s.Stats().Seq)
	}

	// Size-triggered snapshots too.
	dir2 := t.TempDir()
	cfg.SnapshotAfterOps, cfg.SnapshotAfterLogBytes = 1<<40, 2000
	s2 := openT(t, dir2, cfg)
	for _, op := range ops {
		submit(t, s2, op)
	}
	if s2.Stats().Snapshots == 0 {
		t.Fatal("no snapshot after the log grew past its byte limit")
	}
}

func TestCorruptSnapshotRefused(t *testing.T) {
	dir, cfg := t.TempDir(), testConfig()
	cfg.SnapshotAfterOps = 5
	writeLog(t, dir, cfg, workload(6))
	path := filepath.Join(dir, snapshotFileName)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 1
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(context.Background(), dir, cfg); err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Fatalf("open with a corrupt snapshot: %v", err)
	}
}

var errCrash = errors.New("simulated crash")

// TestSnapshotCrashPoints stops the store right after each step of writing
// a snapshot, as a crash would, and checks that reopening gives exactly the
// acknowledged ops.
func TestSnapshotCrashPoints(t *testing.T) {
	steps := []string{"write-temp", "rename", "sync-dir", "truncate-log", "sync-log"}
	for _, step := range steps {
		t.Run(step, func(t *testing.T) {
			dir, cfg := t.TempDir(), testConfig()
			cfg.SnapshotAfterOps = 7
			crashes := 0
			hook := func(name string) error {
				// Let one snapshot succeed first, so the crash also has an
				// older snapshot to fall back on.
				if name == step && crashes == 0 && len(mustRead(t, filepath.Join(dir, snapshotFileName))) > 0 {
					crashes++
					return errCrash
				}
				return nil
			}
			s, err := open(context.Background(), dir, cfg, hook)
			if err != nil {
				t.Fatal(err)
			}
			// The op whose Submit fails may still be in the snapshot: it can
			// be applied just before the snapshot is taken. Its outcome is
			// unknown, like any op whose reply was lost.
			var acked []metadata.Op
			var unknown metadata.Op
			for _, op := range workload(40) {
				if _, err := s.Submit(context.Background(), op); err != nil {
					if !errors.Is(err, errCrash) {
						t.Fatalf("submit after crash: %v", err)
					}
					unknown = op
					break
				}
				acked = append(acked, op)
			}
			if crashes != 1 {
				t.Fatalf("crash at %s never happened", step)
			}
			_ = s.Close(context.Background())
			// A crash while writing the temp file can leave a partial one.
			if step == "write-temp" {
				if err := os.WriteFile(filepath.Join(dir, snapshotTmpName), []byte("RNMS partial"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			s = openT(t, dir, cfg)
			got := snapshotOf(s)
			withUnknown := append(append([]metadata.Op{}, acked...), unknown)
			if !bytes.Equal(got, reference(t, cfg, acked)) && !bytes.Equal(got, reference(t, cfg, withUnknown)) {
				t.Fatalf("state after a crash at %s differs from the %d acknowledged ops", step, len(acked))
			}
			if _, err := os.Stat(filepath.Join(dir, snapshotTmpName)); !errors.Is(err, os.ErrNotExist) {
				t.Fatal("temp snapshot left behind")
			}
			submit(t, s, metadata.CreateStream{Name: "after-crash"})
		})
	}
}

func mustRead(t *testing.T, path string) []byte {
	b, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return b
}

func TestConcurrentSubmits(t *testing.T) {
	dir, cfg := t.TempDir(), testConfig()
	cfg.SnapshotAfterOps = 500
	s := openT(t, dir, cfg)
	submit(t, s, metadata.CreateStream{Name: "s"})
	submit(t, s, metadata.CreateTopic{Stream: wire.NumericID(0), Name: "t", PartitionsCount: 4, Compression: 1})
	const workers, perWorker = 16, 150
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				var op metadata.Op = metadata.StoreConsumerOffset{Stream: wire.NumericID(0), Topic: wire.NumericID(0),
					PartitionID: uint32(i % 4), Kind: metadata.ConsumerSingle, ConsumerID: uint32(w), Offset: uint64(i)}
				if i%50 == 0 {
					op = metadata.CreateStream{Name: fmt.Sprintf("w%d-%d", w, i)}
				}
				if _, err := s.Submit(context.Background(), op); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	st := s.Stats()
	t.Logf("%d ops: %d fsyncs, %d coalesced, %d snapshots", st.Seq, st.Fsyncs, st.OpsCoalesced, st.Snapshots)
	want := snapshotOf(s)
	s.View(func(state *metadata.State) {
		for w := range uint32(workers) {
			for p := range uint32(4) {
				key := metadata.OffsetKey{PartitionID: p, Kind: metadata.ConsumerSingle, ConsumerID: w}
				// Each worker's last store to partition p is the highest i ≡ p mod 4.
				if v, ok := state.ConsumerOffset(0, 0, key); !ok || v%4 != uint64(p) || v < perWorker-4 {
					t.Fatalf("worker %d partition %d offset %d %v", w, p, v, ok)
				}
			}
		}
	})
	closeT(t, s)
	s = openT(t, dir, cfg)
	if !bytes.Equal(snapshotOf(s), want) {
		t.Fatal("state after reopen differs")
	}
}

func TestCoalesce(t *testing.T) {
	store := func(p uint32, off uint64) metadata.Op {
		return metadata.StoreConsumerOffset{Stream: wire.NumericID(0), Topic: wire.NumericID(0), PartitionID: p,
			Kind: metadata.ConsumerSingle, ConsumerID: 1, Offset: off}
	}
	del := metadata.DeleteConsumerOffset{Stream: wire.NumericID(0), Topic: wire.NumericID(0), Kind: 1, ConsumerID: 1}
	ops := []metadata.Op{store(0, 1), store(1, 1), store(0, 2), del, store(0, 3), store(0, 4), store(1, 2)}
	var pending []pendingOp
	for i, op := range ops {
		pending = append(pending, pendingOp{seq: uint64(i + 1), op: op, bytes: metadata.AppendOp(nil, op)})
	}
	var seqs []uint64
	for _, e := range coalesce(pending) {
		seqs = append(seqs, e.seq)
	}
	// 1 is superseded by 3 (only stores between) and 5 by 6. 2 and 3 stay:
	// the delete after them may depend on what they stored.
	want := []uint64{2, 3, 4, 6, 7}
	if fmt.Sprint(seqs) != fmt.Sprint(want) {
		t.Fatalf("kept %v, want %v", seqs, want)
	}
}

func TestDirectoryIsLocked(t *testing.T) {
	dir := t.TempDir()
	openT(t, dir, testConfig())
	if s, err := Open(context.Background(), dir, testConfig()); err == nil {
		_ = s.Close(context.Background())
		t.Fatal("opened a directory another store holds")
	}
}

func TestConfigValidate(t *testing.T) {
	cfg := testConfig()
	cfg.RecordBytesMax = 10
	if _, err := Open(context.Background(), t.TempDir(), cfg); err == nil {
		t.Fatal("tiny record limit accepted")
	}
	s := openT(t, t.TempDir(), Config{State: metadata.DefaultConfig(), RecordBytesMax: recordBytesMin})
	big := metadata.CreateUser{Username: "big", PasswordHash: "h", Status: 1, Permissions: &wire.Permissions{
		Streams: map[uint32]wire.StreamPermissions{}}}
	for i := range uint32(200) {
		big.Permissions.Streams[i] = wire.StreamPermissions{}
	}
	if _, err := s.Submit(context.Background(), big); err == nil || !strings.Contains(err.Error(), "record limit") {
		t.Fatalf("oversized op: %v", err)
	}
}

func TestSubmitNoWaitCoalesces(t *testing.T) {
	dir, cfg := t.TempDir(), testConfig()
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	hook := func(step string) error {
		if step == "flush" {
			once.Do(func() { close(entered); <-release })
		}
		return nil
	}
	s, err := open(context.Background(), dir, cfg, hook)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	id := wire.NumericID
	for _, op := range []metadata.Op{metadata.CreateStream{Name: "s"},
		metadata.CreateTopic{Stream: id(0), Name: "t", PartitionsCount: 2, Compression: 1}} {
		if _, err := s.SubmitNoWait(op); err != nil {
			t.Fatal(err)
		}
	}
	<-entered // the writer is held before taking the batch
	store := func(p uint32, off uint64) metadata.Op {
		return metadata.StoreConsumerOffset{Stream: id(0), Topic: id(0), PartitionID: p, Kind: metadata.ConsumerSingle,
			ConsumerID: 9, Offset: off}
	}
	for i := range uint64(100) {
		if _, err := s.SubmitNoWait(store(uint32(i%2), i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.SubmitNoWait(store(5, 0)); !errors.Is(err, wire.ErrPartitionNotFound) {
		t.Fatalf("rejected no-wait op: %v", err)
	}
	close(release)
	submit(t, s, metadata.CreateStream{Name: "sync"}) // durable, and so is everything before it
	if st := s.Stats(); st.OpsCoalesced != 98 || st.OpsLogged != 5 {
		t.Fatalf("stats %+v, want 98 coalesced and 5 logged", st)
	}
	want := snapshotOf(s)
	closeT(t, s)
	s = openT(t, dir, cfg)
	if !bytes.Equal(snapshotOf(s), want) {
		t.Fatal("state after reopen differs")
	}
	if v, _ := s.Stats(), 0; v.Seq != 103 {
		t.Fatalf("seq after reopen %d, want 103 (gaps from coalescing keep numbering)", v.Seq)
	}
}

func TestWriteFailureBreaksStore(t *testing.T) {
	dir, cfg := t.TempDir(), testConfig()
	s := openT(t, dir, cfg)
	submit(t, s, metadata.CreateStream{Name: "durable"})
	_ = s.log.Close() // the next write fails, as on a dead disk
	if _, err := s.Submit(context.Background(), metadata.CreateStream{Name: "lost"}); err == nil ||
		!strings.Contains(err.Error(), "not durable") {
		t.Fatalf("submit with a failing log: %v", err)
	}
	if _, err := s.Submit(context.Background(), metadata.CreateStream{Name: "refused"}); err == nil ||
		!strings.Contains(err.Error(), "reopen required") {
		t.Fatalf("submit on a broken store: %v", err)
	}
	_ = s.Close(context.Background())
	s = openT(t, dir, cfg)
	if !bytes.Equal(snapshotOf(s), reference(t, cfg, []metadata.Op{metadata.CreateStream{Name: "durable"}})) {
		t.Fatal("reopened state is not exactly the durable op")
	}
}

func TestZeroConfigUsesDefaults(t *testing.T) {
	s := openT(t, t.TempDir(), Config{})
	var cfg metadata.Config
	s.View(func(st *metadata.State) { cfg = st.Config() })
	if cfg != metadata.DefaultConfig() {
		t.Fatalf("state config %+v", cfg)
	}
}
