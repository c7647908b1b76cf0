package metastore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/runnel-io/runnel/core/metadata"
	"github.com/zeebo/xxh3"
)

const (
	snapshotMagic       = "RNMS"
	snapshotFileVersion = 1
	snapshotHeaderBytes = 4 + 1 + 8 + 8
	snapshotTrailBytes  = 8
)

// encodeSnapshotFile frames a state snapshot taken at sequence number seq.
func encodeSnapshotFile(b []byte, seq uint64, state *metadata.State) []byte {
	b = append(b, snapshotMagic...)
	b = append(b, snapshotFileVersion)
	b = binary.LittleEndian.AppendUint64(b, seq)
	lenAt := len(b)
	b = binary.LittleEndian.AppendUint64(b, 0)
	b = state.AppendSnapshot(b)
	binary.LittleEndian.PutUint64(b[lenAt:], uint64(len(b)-snapshotHeaderBytes))
	return binary.LittleEndian.AppendUint64(b, xxh3.Hash(b))
}

// loadSnapshotFile reads path. A missing file means an empty state at
// sequence 0. A present but damaged file is an error: it was fsynced and
// renamed into place, so damage is corruption, not a crash.
func loadSnapshotFile(path string, cfg metadata.Config) (*metadata.State, uint64, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return metadata.NewState(cfg), 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("metastore: read snapshot: %w", err)
	}
	return decodeSnapshotFile(path, b, cfg)
}

// decodeSnapshotFile checks and loads the bytes of a snapshot file; name
// says where they came from.
func decodeSnapshotFile(path string, b []byte, cfg metadata.Config) (*metadata.State, uint64, error) {
	if len(b) < snapshotHeaderBytes+snapshotTrailBytes || string(b[:4]) != snapshotMagic {
		return nil, 0, fmt.Errorf("metastore: %s is not a snapshot (%d bytes)", path, len(b))
	}
	if b[4] != snapshotFileVersion {
		return nil, 0, fmt.Errorf("metastore: %s has version %d, want %d", path, b[4], snapshotFileVersion)
	}
	body := b[:len(b)-snapshotTrailBytes]
	if xxh3.Hash(body) != binary.LittleEndian.Uint64(b[len(body):]) {
		return nil, 0, fmt.Errorf("metastore: %s fails its checksum", path)
	}
	seq := binary.LittleEndian.Uint64(b[5:])
	payload := body[snapshotHeaderBytes:]
	if binary.LittleEndian.Uint64(b[13:]) != uint64(len(payload)) {
		return nil, 0, fmt.Errorf("metastore: %s has a wrong payload length", path)
	}
	state, err := metadata.LoadSnapshot(payload, cfg)
	if err != nil {
		return nil, 0, fmt.Errorf("metastore: %s: %w", path, err)
	}
	return state, seq, nil
}

// writeFileSync writes b to path and fsyncs it.
func writeFileSync(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
