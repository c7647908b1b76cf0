package metastore

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/runnel-io/runnel/plugins/storage/dirstore"
)

// ErrNotEmpty: InstallSnapshot found metadata already in the directory.
var ErrNotEmpty = errors.New("metastore: directory already holds metadata")

// Snapshot encodes the current state as a snapshot file (the format of
// <dir>/snapshot, self-checking) and returns it with the sequence number
// of the last op it contains: what a node copies to an archive so that a
// new node can start from it (InstallSnapshot). Like View, it may include
// ops applied but not yet durable.
func (s *Store) Snapshot() (seq uint64, file []byte) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.seq, encodeSnapshotFile(nil, s.seq, s.state)
}

// InstallSnapshot makes dir start from file (bytes Snapshot returned) at
// the next Open: it checks the file whole (framing, checksum, state
// invariants), then writes it as dir's snapshot durably. It refuses, with
// ErrNotEmpty, a directory that already holds a snapshot or logged ops,
// so it can never roll a node's metadata back. It returns the snapshot's
// sequence number. Call it before Open, not while a Store has dir open.
func InstallSnapshot(dir string, file []byte, cfg Config) (uint64, error) {
	cfg = cfg.withDefaults()
	_, seq, err := decodeSnapshotFile("archived snapshot", file, cfg.State)
	if err != nil {
		return 0, err
	}
	empty, err := Empty(dir)
	if err != nil {
		return 0, err
	}
	if !empty {
		return 0, fmt.Errorf("%w: %s", ErrNotEmpty, dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, fmt.Errorf("metastore: create %s: %w", dir, err)
	}
	tmp := filepath.Join(dir, snapshotTmpName)
	if err := writeFileSync(tmp, file); err != nil {
		return 0, fmt.Errorf("metastore: install snapshot: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, snapshotFileName)); err != nil {
		return 0, fmt.Errorf("metastore: install snapshot: %w", err)
	}
	if err := dirstore.SyncDir(dir); err != nil {
		return 0, fmt.Errorf("metastore: install snapshot: sync %s: %w", dir, err)
	}
	return seq, nil
}

// Empty reports whether dir holds no metadata: no snapshot and no logged
// op (a missing directory is empty).
func Empty(dir string) (bool, error) {
	if _, err := os.Stat(filepath.Join(dir, snapshotFileName)); err == nil {
		return false, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return false, fmt.Errorf("metastore: %w", err)
	}
	info, err := os.Stat(filepath.Join(dir, logFileName))
	if errors.Is(err, fs.ErrNotExist) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("metastore: %w", err)
	}
	return info.Size() == 0, nil
}
