package vsrstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/runnel-io/runnel/core/vsr"
	"github.com/runnel-io/runnel/plugins/storage/dirstore"
)

// Store is the durable storage of one replica: one preallocated file in a
// directory. It is not safe for concurrent use (the host drives one
// replica from one goroutine).
type Store struct {
	f       *os.File
	path    string
	cfg     Config
	lay     layout
	cluster uint64
	replica int
	stats   Stats

	// err is sticky: after a failed write or fdatasync the file's contents
	// are unknown (the page cache may have dropped the dirty pages: the
	// "fsyncgate" lesson), so the store refuses everything else. The host
	// must drop the replica and Open again, which re-reads what is durable.
	err error

	pad   []byte   // zeros that fill a redundant header's block
	iov   [][]byte // scratch for pwritev, reused
	frame []byte   // scratch for one framed superblock copy
}

// Stats counts what the store did (tests and benchmarks).
type Stats struct {
	Persists     uint64
	Syncs        uint64 // fdatasync calls
	WriteCalls   uint64 // pwrite/pwritev calls issued by the store
	BytesWritten uint64
}

// iovScratchMax bounds the reused iovec slice; a larger batch allocates
// once and the slice is dropped after use.
const iovScratchMax = 1024

// Recovered is a replica's durable state as read by Open: what
// vsr.Restart needs. Superblock is the version OpenSuperblock chose (its
// repair writes are already done); Checkpoint the bytes it references
// (nil when Superblock.CheckpointOp is 0; Open verified their checksum);
// Records one record per journal slot (nil fields: never written).
type Recovered struct {
	Superblock        vsr.Superblock
	SuperblockRepairs int // superblock copies Open rewrote
	Checkpoint        []byte
	Records           []vsr.JournalRecord
}

// Fresh reports whether nothing but the formatted empty state is durable:
// the replica starts with vsr.New rather than vsr.Restart.
func (rec *Recovered) Fresh() bool {
	if rec.Superblock.Seq != 0 || rec.Superblock.CheckpointOp != 0 {
		return false
	}
	for _, r := range rec.Records {
		if r.Prepare != nil || r.Header != nil {
			return false
		}
	}
	return true
}

// Start builds the replica from rec: vsr.New when Fresh, else vsr.Restart
// (which restores the checkpoint into sm and replays the journal).
func (rec *Recovered) Start(cfg vsr.Config, sm vsr.StateMachine, clock vsr.Clock) (*vsr.Replica, error) {
	if sb := rec.Superblock; cfg.Cluster != sb.Cluster || cfg.Replica != int(sb.Replica) {
		return nil, fmt.Errorf("vsrstore: store of cluster %d replica %d started as cluster %d replica %d",
			sb.Cluster, sb.Replica, cfg.Cluster, cfg.Replica)
	}
	if rec.Fresh() {
		r, err := vsr.New(cfg, sm, clock)
		if err != nil {
			return nil, fmt.Errorf("vsrstore: new replica: %w", err)
		}
		return r, nil
	}
	r, err := vsr.Restart(cfg, sm, clock, rec.Superblock, rec.Checkpoint, rec.Records)
	if err != nil {
		return nil, fmt.Errorf("vsrstore: restart replica (checkpoint op %d): %w", rec.Superblock.CheckpointOp, err)
	}
	return r, nil
}

// Format creates a fresh replica's file in dir (created if missing):
// preallocated, every superblock copy holding the empty version of
// (cluster, replica), the journal and checkpoint slots zero. The format
// header is written last, so an interrupted Format leaves a file Open
// refuses (ErrNotFormatted) and Format may simply run again. Formatting a
// directory that already holds a replica fails with ErrFormatted.
func Format(ctx context.Context, dir string, cfg Config, replica int, cluster uint64) error {
	if err := format(ctx, dir, cfg, replica, cluster, false); err != nil {
		return fmt.Errorf("vsrstore: format %s: %w", dir, err)
	}
	return nil
}

// FormatRecovering formats, like Format, the replacement file of a replica
// whose file was lost: every superblock copy holds vsr.RecoveringSuperblock,
// so Recovered.Start restarts the replica recovering (it takes part in no
// quorum until it caught up; see vsr.NewRecovering). The flag is durable
// before the format header, so no crash leaves a file that reads as fresh.
func FormatRecovering(ctx context.Context, dir string, cfg Config, replica int, cluster uint64) error {
	if err := format(ctx, dir, cfg, replica, cluster, true); err != nil {
		return fmt.Errorf("vsrstore: format %s recovering: %w", dir, err)
	}
	return nil
}

func format(ctx context.Context, dir string, cfg Config, replica int, cluster uint64, recovering bool) error {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return err
	}
	if replica < 0 {
		return fmt.Errorf("negative replica index %d", replica)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	path := filepath.Join(dir, fileName)
	if _, err := readFormatHeader(path); err == nil {
		return ErrFormatted
	} else if !errors.Is(err, ErrNotFormatted) {
		return err
	}
	// Truncate: a file left by an interrupted Format may hold old bytes.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	lay := layoutOf(cfg)
	if err := preallocate(f, lay.sizeBytes); err != nil {
		return fmt.Errorf("preallocate %d bytes: %w", lay.sizeBytes, err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	_, writes, err := vsr.OpenSuperblock(make([][]byte, vsr.SuperblockCopies), cluster, replica)
	if err != nil {
		return err
	}
	for _, w := range writes {
		if recovering {
			sb := vsr.RecoveringSuperblock(cluster, replica)
			w.Data = sb.Encode()
		}
		if _, err := f.WriteAt(appendSuperblockFrame(nil, w.Data), lay.superblockOffset(w.Index)); err != nil {
			return err
		}
	}
	// Barrier: the superblock copies must be durable before the header
	// that declares the file formatted.
	if err := dirstore.DataSync(f); err != nil {
		return err
	}
	hdr := formatHeader{cluster: cluster, replica: uint32(replica), cfg: cfg}
	if _, err := f.WriteAt(hdr.encode(), 0); err != nil {
		return err
	}
	// The header itself, and the file's size and extents (fsync, not
	// fdatasync: the metadata must be durable too).
	if err := f.Sync(); err != nil {
		return err
	}
	return dirstore.SyncDir(dir) // the file's directory entry
}


func readFormatHeader(path string) (formatHeader, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return formatHeader{}, ErrNotFormatted
	}
	if err != nil {
		return formatHeader{}, err
	}
	defer f.Close()
	b := make([]byte, formatFieldsEnd)
	if _, err := f.ReadAt(b, 0); err != nil && !errors.Is(err, io.EOF) {
		return formatHeader{}, err
	}
	return decodeFormatHeader(b)
}

// Open opens the replica in dir, formatted with cfg, and reads its durable
// state: the superblock copies through vsr.OpenSuperblock (performing the
// repair writes it returns, one at a time, each durable before the next),
// the checkpoint the chosen superblock references, and every journal slot.
// The returned Recovered feeds vsr.Restart (see Recovered.Start).
func Open(ctx context.Context, dir string, cfg Config) (*Store, *Recovered, error) {
	s, rec, err := open(ctx, dir, cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("vsrstore: open %s: %w", dir, err)
	}
	return s, rec, nil
}

func open(ctx context.Context, dir string, cfg Config) (*Store, *Recovered, error) {
	cfg = cfg.withDefaults()
	path := filepath.Join(dir, fileName)
	hdr, err := readFormatHeader(path)
	if err != nil {
		return nil, nil, err
	}
	if hdr.cfg != cfg {
		return nil, nil, fmt.Errorf("%w: formatted %+v, opened with %+v", ErrLayout, hdr.cfg, cfg)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, nil, err
	}
	s := &Store{f: f, path: path, cfg: cfg, lay: layoutOf(cfg), cluster: hdr.cluster, replica: int(hdr.replica),
		pad: make([]byte, headerSlotBytes-vsr.HeaderSize), frame: make([]byte, 0, superblockCopyBytes)}
	if st, err := f.Stat(); err != nil || st.Size() < s.lay.sizeBytes {
		f.Close()
		return nil, nil, fmt.Errorf("%w: file shorter than its layout (%v)", ErrLayout, err)
	}
	rec, err := s.recover(ctx)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return s, rec, nil
}

// Close closes the file. Everything Persist returned from is durable.
func (s *Store) Close() error {
	if err := s.f.Close(); err != nil {
		return fmt.Errorf("vsrstore: close: %w", err)
	}
	return nil
}

// Replica and Cluster are the identity the store was formatted with.
func (s *Store) Replica() int     { return s.replica }
func (s *Store) Cluster() uint64  { return s.cluster }
func (s *Store) Stats() Stats     { return s.stats }
func (s *Store) Path() string     { return s.path }
func (s *Store) Config() Config   { return s.cfg }
func (s *Store) SizeBytes() int64 { return s.lay.sizeBytes }
