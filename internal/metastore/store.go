package metastore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/runnel-io/runnel/core/metadata"
	"github.com/runnel-io/runnel/plugins/storage/dirstore"
)

// File names inside the store directory.
const (
	logFileName      = "ops.log"
	snapshotFileName = "snapshot"
	snapshotTmpName  = "snapshot.tmp"
	lockFileName     = "LOCK"
)

// pendingOpsMax bounds the ops queued for one write: SubmitNoWait callers
// wait for the writer once the queue holds this many.
const pendingOpsMax = 1 << 16

// ErrClosed is returned by Submit after Close.
var ErrClosed = errors.New("metastore: closed")

// Store is the durable metadata state of one node. It is safe for
// concurrent use.
type Store struct {
	dir string
	cfg Config

	mu      sync.RWMutex // guards state, seq, pending, err
	state   *metadata.State
	seq     uint64 // sequence number of the last applied op
	pending *batch
	err     error // sticky: set by Close, a write failure or a test crash

	// journaled: another log (a replicated journal) makes ops durable;
	// enqueue only applies them (NewJournaled).
	journaled bool

	kick      chan struct{} // wakes the writer; buffered 1
	closing   chan struct{}
	stopped   chan struct{}
	closeOnce sync.Once
	filesOnce sync.Once
	fileErr   error

	// Owned by the writer goroutine after Open.
	log              *os.File
	lock             *os.File
	logBytes         uint64
	opsSinceSnapshot uint64
	buf              []byte
	hook             func(step string) error

	stats struct {
		records, fsyncs, opsLogged, opsCoalesced, snapshots atomic.Uint64
	}
}

// batch is the ops queued while the writer was busy; they share one fsync.
type batch struct {
	entries []pendingOp
	done    chan struct{}
	err     error
}

type pendingOp struct {
	seq   uint64
	op    metadata.Op
	bytes []byte
}

func newBatch() *batch { return &batch{done: make(chan struct{})} }

// Open loads dir (created if missing): the snapshot, then every logged op
// after it. A torn last log record is truncated away; corruption anywhere
// else is an error naming the file and byte offset.
func Open(ctx context.Context, dir string, cfg Config) (*Store, error) {
	return open(ctx, dir, cfg, nil)
}

// open is Open with a test hook, called before each flush ("flush", result
// ignored) and after each snapshot step, where an error acts like a crash.
func open(ctx context.Context, dir string, cfg Config, hook func(step string) error) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("metastore: create %s: %w", dir, err)
	}
	lock, err := lockDir(filepath.Join(dir, lockFileName))
	if err != nil {
		return nil, fmt.Errorf("metastore: %w", err)
	}
	s := &Store{dir: dir, cfg: cfg, lock: lock, hook: hook, pending: newBatch(),
		kick: make(chan struct{}, 1), closing: make(chan struct{}), stopped: make(chan struct{})}
	if err := s.load(ctx); err != nil {
		s.closeFiles()
		return nil, err
	}
	go s.run()
	return s, nil
}

// load replays the snapshot and the log into s.state and leaves s.log open
// for appending.
func (s *Store) load(ctx context.Context) error {
	// A leftover temp snapshot is from a crash before its rename: the
	// snapshot it would have replaced, plus the log, are still complete.
	if err := os.Remove(filepath.Join(s.dir, snapshotTmpName)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("metastore: remove stale temp snapshot: %w", err)
	}
	state, snapSeq, err := loadSnapshotFile(filepath.Join(s.dir, snapshotFileName), s.cfg.State)
	if err != nil {
		return err
	}
	s.state, s.seq = state, snapSeq
	path := filepath.Join(s.dir, logFileName)
	s.log, err = os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("metastore: open log: %w", err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("metastore: read log: %w", err)
	}
	good, err := s.replay(ctx, path, data, snapSeq)
	if err != nil {
		return err
	}
	if good < len(data) {
		if err := s.log.Truncate(int64(good)); err != nil {
			return fmt.Errorf("metastore: truncate torn tail of %s at byte %d: %w", path, good, err)
		}
		if err := s.log.Sync(); err != nil {
			return fmt.Errorf("metastore: sync %s: %w", path, err)
		}
	}
	s.logBytes = uint64(good)
	if err := dirstore.SyncDir(s.dir); err != nil {
		return fmt.Errorf("metastore: sync %s: %w", s.dir, err)
	}
	return nil
}

// replay applies every intact record of data and returns the length of the
// intact prefix. Entries at or below snapSeq are already in the snapshot.
func (s *Store) replay(ctx context.Context, path string, data []byte, snapSeq uint64) (int, error) {
	bodyMax := s.cfg.RecordBytesMax - recordHeaderBytes
	lastSeq := uint64(0) // log order is checked from the log's own first entry
	off := 0
	for off < len(data) {
		if off&0xFFFF == 0 && ctx.Err() != nil {
			return 0, fmt.Errorf("metastore: replay: %w", ctx.Err())
		}
		n, err := checkRecord(data[off:], bodyMax)
		if err != nil {
			if at := findValidRecord(data, off+1, lastSeq, bodyMax); at >= 0 {
				return 0, fmt.Errorf("metastore: %s: bad record at byte %d followed by a valid record at byte %d: "+
					"the log is corrupt, not torn; refusing to open", path, off, at)
			}
			return off, nil // torn tail
		}
		entries, err := parseBody(data[off:off+n], lastSeq)
		if err != nil {
			return 0, fmt.Errorf("metastore: %s: record at byte %d: %w", path, off, err)
		}
		for _, e := range entries {
			lastSeq = e.seq
			if e.seq <= snapSeq {
				continue
			}
			if err := s.applyLogged(e); err != nil {
				return 0, fmt.Errorf("metastore: %s: record at byte %d, op %d: %w", path, off, e.seq, err)
			}
		}
		s.opsSinceSnapshot += uint64(len(entries))
		off += n
	}
	return off, nil
}

func (s *Store) applyLogged(e entry) error {
	op, err := metadata.DecodeOp(e.op)
	if err != nil {
		return err
	}
	if _, err := s.state.Apply(op); err != nil {
		// It applied when it was logged; failing now means the log and
		// snapshot disagree, and continuing would serve a wrong state.
		return fmt.Errorf("replaying %s: %w", metadata.OpName(op), err)
	}
	s.seq = e.seq
	return nil
}

// Submit applies op and returns once it is durable. A rejected op (a wire
// status error from metadata.Apply, like wire.ErrStreamNameExists) is
// returned as is, and nothing is written.
//
// If the context ends, or the log cannot be written, after the op was
// applied, Submit returns an error but the op stays applied and may already
// be durable: the outcome is unknown, as with any lost reply. A write
// failure also fails every later Submit; the store must be reopened.
func (s *Store) Submit(ctx context.Context, op metadata.Op) (metadata.Result, error) {
	if err := ctx.Err(); err != nil {
		return metadata.Result{}, fmt.Errorf("metastore: submit: %w", err)
	}
	res, bt, _, err := s.enqueue(op)
	if err != nil || bt == nil {
		return res, err
	}
	select {
	case <-bt.done:
		if bt.err != nil {
			return metadata.Result{}, fmt.Errorf("metastore: %s applied but not durable: %w", metadata.OpName(op), bt.err)
		}
		return res, nil
	case <-ctx.Done():
		return metadata.Result{}, fmt.Errorf("metastore: %s applied, durability unknown: %w", metadata.OpName(op), ctx.Err())
	}
}

// SubmitNoWait applies op and queues it for the log without waiting for
// the fsync. It suits ops whose loss in a crash is tolerable, such as the
// consumer offsets a poll with auto-commit stores (Iggy never fsyncs those);
// repeated stores of one key that land in the same batch are coalesced. A
// later Submit's success implies this op is durable too (the log is in
// order). Rejections are returned as by Submit.
func (s *Store) SubmitNoWait(op metadata.Op) (metadata.Result, error) {
	res, bt, full, err := s.enqueue(op)
	if full {
		<-bt.done // backpressure: the queue is full, wait for it to drain
	}
	return res, err
}

// enqueue applies op and appends it to the pending batch, in one critical
// section, so log order is apply order. full reports that the batch reached
// pendingOpsMax.
func (s *Store) enqueue(op metadata.Op) (res metadata.Result, bt *batch, full bool, err error) {
	b := metadata.AppendOp(nil, op)
	if len(b)+recordOverhead > int(s.cfg.RecordBytesMax) {
		return metadata.Result{}, nil, false, fmt.Errorf("metastore: %s op of %d bytes exceeds the record limit of %d",
			metadata.OpName(op), len(b), s.cfg.RecordBytesMax)
	}
	s.mu.Lock()
	if s.err != nil {
		err = s.err
		s.mu.Unlock()
		return metadata.Result{}, nil, false, err
	}
	res, err = s.state.Apply(op)
	if err != nil {
		s.mu.Unlock()
		return metadata.Result{}, nil, false, err
	}
	s.seq++
	if s.journaled {
		s.mu.Unlock()
		return res, nil, false, nil
	}
	bt = s.pending
	bt.entries = append(bt.entries, pendingOp{seq: s.seq, op: op, bytes: b})
	full = len(bt.entries) >= pendingOpsMax
	s.mu.Unlock()
	select {
	case s.kick <- struct{}{}:
	default: // the writer is already awake and will pick this batch up
	}
	return res, bt, full, nil
}

// View runs fn with the current state under a read lock. fn must not keep
// references past its return, nor modify anything.
func (s *Store) View(fn func(*metadata.State)) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	fn(s.state)
}

// Empty reports whether there are no users yet: a first boot, where the
// server submits CreateUser for the root user (which then gets id 0).
func (s *Store) Empty() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.state.UsersCount() == 0
}

// Stats are counters for tests and metrics.
type Stats struct {
	Seq          uint64 // sequence number of the last applied op
	Records      uint64 // log records written since Open
	Fsyncs       uint64 // log fsyncs since Open
	OpsLogged    uint64 // ops written since Open
	OpsCoalesced uint64 // offset stores dropped as superseded within a batch
	Snapshots    uint64 // snapshots written since Open
}

// Stats returns the current counters.
func (s *Store) Stats() Stats {
	s.mu.RLock()
	seq := s.seq
	s.mu.RUnlock()
	return Stats{Seq: seq, Records: s.stats.records.Load(), Fsyncs: s.stats.fsyncs.Load(),
		OpsLogged: s.stats.opsLogged.Load(), OpsCoalesced: s.stats.opsCoalesced.Load(),
		Snapshots: s.stats.snapshots.Load()}
}

// Close waits for queued ops to become durable, then releases the files.
// It is idempotent. Submit returns ErrClosed afterwards.
func (s *Store) Close(ctx context.Context) error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		if s.err == nil {
			s.err = ErrClosed
		}
		s.mu.Unlock()
		close(s.closing)
	})
	select {
	case <-s.stopped:
	case <-ctx.Done():
		return fmt.Errorf("metastore: close: %w", ctx.Err())
	}
	s.filesOnce.Do(func() { s.fileErr = s.closeFiles() })
	return s.fileErr
}

func (s *Store) closeFiles() error {
	var errs []error
	if s.log != nil {
		errs = append(errs, s.log.Close())
		s.log = nil
	}
	if s.lock != nil {
		errs = append(errs, s.lock.Close())
		s.lock = nil
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("metastore: close: %w", err)
	}
	return nil
}
