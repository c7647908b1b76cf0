package metastore

import (
	"fmt"

	"github.com/runnel-io/runnel/core/metadata"
)

// NewJournaled returns a Store whose durability lives elsewhere: a
// replicated journal orders and persists the ops, and applies each one
// here once it has committed. Submit and SubmitNoWait apply at once and
// write nothing; Snapshot and Restore carry the state in and out of the
// journal's checkpoints. It has no directory, no files and no writer.
func NewJournaled(cfg Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	s := &Store{cfg: cfg, journaled: true, state: metadata.NewState(cfg.State),
		closing: make(chan struct{}), stopped: make(chan struct{})}
	close(s.stopped)
	return s, nil
}

// Restore replaces a journaled store's state with a snapshot (bytes
// Snapshot returned), checked whole first.
func (s *Store) Restore(file []byte) error {
	if !s.journaled {
		return fmt.Errorf("metastore: restore: only a journaled store restores in place")
	}
	state, seq, err := decodeSnapshotFile("checkpoint", file, s.cfg.State)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state, s.seq = state, seq
	return nil
}
