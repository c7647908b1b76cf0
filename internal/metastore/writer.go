package metastore

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/runnel-io/runnel/core/metadata"
	"github.com/runnel-io/runnel/plugins/storage/dirstore"
	"github.com/runnel-io/runnel/sdk/wire"
)

// run is the writer goroutine: every wake-up it takes the whole pending
// batch, so ops submitted during one fsync share the next one.
func (s *Store) run() {
	defer close(s.stopped)
	for {
		select {
		case <-s.kick:
		case <-s.closing:
			s.flush() // what was queued before Close
			return
		}
		if !s.flush() {
			return
		}
	}
}

// flush writes and fsyncs the pending batch, then snapshots if due. It
// returns false once the store is broken and the writer must stop.
func (s *Store) flush() bool {
	if s.hook != nil {
		_ = s.hook("flush") // lets tests hold the writer while a batch builds up
	}
	s.mu.Lock()
	bt := s.pending
	s.pending = newBatch()
	broken := s.err != nil && !errors.Is(s.err, ErrClosed)
	s.mu.Unlock()
	if len(bt.entries) == 0 {
		close(bt.done)
		return !broken
	}
	if broken {
		bt.err = s.stickyErr()
		close(bt.done)
		return false
	}
	bt.err = s.writeBatch(bt.entries)
	if bt.err != nil {
		// Break the store before waking the waiters: a caller that sees
		// this failure and submits again must meet the broken store, not
		// an op slipped into the next batch.
		s.breakStore(bt.err)
		close(bt.done)
		return false
	}
	close(bt.done)
	if s.opsSinceSnapshot >= s.cfg.SnapshotAfterOps || s.logBytes >= s.cfg.SnapshotAfterLogBytes {
		if err := s.snapshot(); err != nil {
			s.breakStore(err)
			return false
		}
	}
	return true
}

func (s *Store) stickyErr() error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.err
}

// breakStore makes every later Submit fail, and fails ops queued already.
// The in-memory state may be ahead of the disk now; only a reopen, which
// replays what is durable, makes them agree again.
func (s *Store) breakStore(err error) {
	s.mu.Lock()
	if s.err == nil || errors.Is(s.err, ErrClosed) {
		s.err = fmt.Errorf("metastore: store broken, reopen required: %w", err)
	}
	sticky := s.err
	bt := s.pending
	s.pending = newBatch()
	s.mu.Unlock()
	bt.err = sticky
	close(bt.done)
}

// writeBatch appends the batch as records of at most RecordBytesMax, each
// fsynced before the next is written, so only the last can ever be torn.
func (s *Store) writeBatch(ops []pendingOp) error {
	entries := coalesce(ops)
	s.stats.opsCoalesced.Add(uint64(len(ops) - len(entries)))
	for len(entries) > 0 {
		n, size := 0, recordHeaderBytes+bodyHeaderBytes
		for n < len(entries) && (n == 0 || size+entryHeaderBytes+len(entries[n].op) <= int(s.cfg.RecordBytesMax)) {
			size += entryHeaderBytes + len(entries[n].op)
			n++
		}
		s.buf = appendRecord(s.buf[:0], entries[:n])
		if _, err := s.log.Write(s.buf); err != nil {
			return fmt.Errorf("write %s: %w", logFileName, err)
		}
		if err := s.log.Sync(); err != nil {
			return fmt.Errorf("sync %s: %w", logFileName, err)
		}
		s.logBytes += uint64(len(s.buf))
		s.opsSinceSnapshot += uint64(n)
		s.stats.records.Add(1)
		s.stats.fsyncs.Add(1)
		s.stats.opsLogged.Add(uint64(n))
		entries = entries[n:]
	}
	if cap(s.buf) > int(s.cfg.RecordBytesMax) {
		s.buf = nil // do not pin a huge buffer after a rare huge batch
	}
	return nil
}

// offsetKey identifies the target of a StoreConsumerOffset literally (a
// name and an id for the same stream count as different, which only means
// less coalescing).
type offsetKey struct {
	stream, topic wire.Identifier
	partition     uint32
	kind          metadata.ConsumerKind
	consumer      uint32
}

// coalesce drops a StoreConsumerOffset when a later one in the same batch
// stores the same key and only other offset stores lie between them. The
// dropped store changes nothing the ops in between depend on, and the later
// one overwrites it, so replaying the shortened batch reaches the same
// state. Sequence numbers of dropped ops become gaps in the log.
func coalesce(ops []pendingOp) []entry {
	drop := make([]bool, len(ops))
	var seen map[offsetKey]struct{}
	for i := len(ops) - 1; i >= 0; i-- {
		st, ok := ops[i].op.(metadata.StoreConsumerOffset)
		if !ok {
			clear(seen) // a non-store op may depend on the stored values
			continue
		}
		k := offsetKey{st.Stream, st.Topic, st.PartitionID, st.Kind, st.ConsumerID}
		if _, later := seen[k]; later {
			drop[i] = true
			continue
		}
		if seen == nil {
			seen = map[offsetKey]struct{}{}
		}
		seen[k] = struct{}{}
	}
	entries := make([]entry, 0, len(ops))
	for i, p := range ops {
		if !drop[i] {
			entries = append(entries, entry{seq: p.seq, op: p.bytes})
		}
	}
	return entries
}

// snapshot writes the current state and starts an empty log. The state may
// include ops still queued for the log (applied after the last flush); they
// are written to the new log afterwards and skipped at replay by sequence
// number.
func (s *Store) snapshot() error {
	s.mu.RLock()
	seq := s.seq
	b := encodeSnapshotFile(nil, seq, s.state)
	s.mu.RUnlock()

	tmp := filepath.Join(s.dir, snapshotTmpName)
	steps := []struct {
		name string
		do   func() error
	}{
		{"write-temp", func() error { return writeFileSync(tmp, b) }},
		{"rename", func() error { return os.Rename(tmp, filepath.Join(s.dir, snapshotFileName)) }},
		{"sync-dir", func() error { return dirstore.SyncDir(s.dir) }},
		{"truncate-log", func() error { return s.log.Truncate(0) }},
		{"sync-log", func() error { return s.log.Sync() }},
	}
	for _, st := range steps {
		if err := st.do(); err != nil {
			return fmt.Errorf("snapshot at op %d: %s: %w", seq, st.name, err)
		}
		if s.hook != nil {
			if err := s.hook(st.name); err != nil {
				return err
			}
		}
	}
	s.logBytes, s.opsSinceSnapshot = 0, 0
	s.stats.snapshots.Add(1)
	return nil
}
