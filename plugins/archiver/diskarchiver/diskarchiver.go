package diskarchiver

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/runnel-io/runnel/plugins/archiver"
	"github.com/runnel-io/runnel/plugins/component"
)

const (
	dirMode  fs.FileMode = 0o750
	fileMode fs.FileMode = 0o640
	// keyLockStripes serialise writers of the same key, so an object and
	// its digest file always come from the same Put.
	keyLockStripes = 64
)

var _ archiver.Archiver = (*Archiver)(nil)

// Factory registers the disk archiver.
func Factory() component.Factory[archiver.Archiver] {
	return component.Factory[archiver.Archiver]{
		Info: component.Info{Kind: component.KindArchiver, Name: Name, Stability: component.StabilityBeta, Sample: SampleTOML},
		New: func(_ context.Context, env component.Env, raw map[string]any) (archiver.Archiver, error) {
			cfg, err := DecodeConfig(raw)
			if err != nil {
				return nil, err
			}
			a, err := New(env, cfg)
			if err != nil {
				return nil, err
			}
			return a, nil
		},
	}
}

// Archiver is the disk archiver. Call New, then Start.
type Archiver struct {
	root string
	seed maphash.Seed

	mu      sync.RWMutex
	started bool
	closed  bool

	keyLocks [keyLockStripes]sync.Mutex
}

// New checks cfg; it does no I/O.
func New(env component.Env, cfg Config) (*Archiver, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("diskarchiver: config: %w", err)
	}
	root := cfg.Path
	if root == "" {
		root = env.DataDir
	}
	if root == "" {
		return nil, errors.New("diskarchiver: config: path: empty, and the host gave no data directory")
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("diskarchiver: config: path: %w", err)
	}
	return &Archiver{root: abs, seed: maphash.MakeSeed()}, nil
}

// Start creates the directories and clears uploads a crash left behind.
func (a *Archiver) Start(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("diskarchiver: start: %w", err)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return fmt.Errorf("diskarchiver: start: %w", archiver.ErrClosed)
	}
	if err := os.RemoveAll(a.tmpDir()); err != nil {
		return fmt.Errorf("diskarchiver: start: %w", err)
	}
	for _, d := range []string{a.tmpDir(), filepath.Join(a.root, "objects"), filepath.Join(a.root, "digests")} {
		if err := os.MkdirAll(d, dirMode); err != nil {
			return fmt.Errorf("diskarchiver: start: %w", err)
		}
	}
	a.started = true
	return nil
}

// Close ends the archiver; later calls fail with ErrClosed. Idempotent.
func (a *Archiver) Close(context.Context) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.closed = true
	return nil
}

func (a *Archiver) tmpDir() string { return filepath.Join(a.root, "tmp") }

func (a *Archiver) objectPath(key archiver.Key) string {
	return filepath.Join(a.root, "objects", filepath.FromSlash(string(key)))
}

func (a *Archiver) digestPath(key archiver.Key) string {
	return filepath.Join(a.root, "digests", filepath.FromSlash(string(key)))
}

// begin checks the archiver's state, ctx and key for one call.
func (a *Archiver) begin(ctx context.Context, key archiver.Key) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	a.mu.RLock()
	usable := a.started && !a.closed
	a.mu.RUnlock()
	if !usable {
		return archiver.ErrClosed
	}
	return key.Check()
}

func (a *Archiver) keyLock(key archiver.Key) *sync.Mutex {
	return &a.keyLocks[maphash.String(a.seed, string(key))%keyLockStripes]
}

// Put copies r into a temporary file while hashing it, fsyncs it, renames
// it over the object, then writes the digest file the same way.
func (a *Archiver) Put(ctx context.Context, key archiver.Key, r io.Reader, sizeBytes int64) (archiver.ObjectInfo, error) {
	if err := a.begin(ctx, key); err != nil {
		return archiver.ObjectInfo{}, fmt.Errorf("diskarchiver: put %s: %w", key, err)
	}
	if sizeBytes < 0 {
		return archiver.ObjectInfo{}, fmt.Errorf("diskarchiver: put %s: negative size %d", key, sizeBytes)
	}
	tmp, sum, err := archiver.CopyToTempFile(ctx, a.tmpDir(), "put-*", r, sizeBytes)
	if err != nil {
		return archiver.ObjectInfo{}, fmt.Errorf("diskarchiver: put %s: %w", key, err)
	}
	defer os.Remove(tmp) // gone after a successful rename
	info := archiver.ObjectInfo{Key: key, SizeBytes: sizeBytes, SHA256: sum}
	mu := a.keyLock(key)
	mu.Lock()
	defer mu.Unlock()
	if err := archiver.RenameDurable(tmp, a.objectPath(key), dirMode); err != nil {
		return archiver.ObjectInfo{}, fmt.Errorf("diskarchiver: put %s: %w", key, err)
	}
	if err := a.writeDigest(info); err != nil {
		return archiver.ObjectInfo{}, fmt.Errorf("diskarchiver: put %s: %w", key, err)
	}
	return info, nil
}

func (a *Archiver) writeDigest(info archiver.ObjectInfo) error {
	f, err := os.CreateTemp(a.tmpDir(), "digest-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	_, err = fmt.Fprintf(f, "%s %d\n", info.SHA256, info.SizeBytes)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return archiver.RenameDurable(f.Name(), a.digestPath(info.Key), dirMode)
}

// Get opens the object and returns the requested range of it.
func (a *Archiver) Get(ctx context.Context, key archiver.Key, position, lengthBytes int64) (io.ReadCloser, error) {
	if err := a.begin(ctx, key); err != nil {
		return nil, fmt.Errorf("diskarchiver: get %s: %w", key, err)
	}
	if position < 0 {
		return nil, fmt.Errorf("diskarchiver: get %s: negative position %d", key, position)
	}
	f, err := os.Open(a.objectPath(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("diskarchiver: get %s: %w", key, archiver.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("diskarchiver: get %s: %w", key, err)
	}
	if lengthBytes < 0 {
		lengthBytes = 1<<63 - 1 - position
	}
	return struct {
		io.Reader
		io.Closer
	}{io.NewSectionReader(f, position, lengthBytes), f}, nil
}

// Stat reads the digest file, recomputing it if it does not match the
// object's size (a crash between the two renames).
func (a *Archiver) Stat(ctx context.Context, key archiver.Key) (archiver.ObjectInfo, error) {
	if err := a.begin(ctx, key); err != nil {
		return archiver.ObjectInfo{}, fmt.Errorf("diskarchiver: stat %s: %w", key, err)
	}
	info, err := a.stat(key)
	if err != nil {
		return archiver.ObjectInfo{}, fmt.Errorf("diskarchiver: stat %s: %w", key, err)
	}
	return info, nil
}

func (a *Archiver) stat(key archiver.Key) (archiver.ObjectInfo, error) {
	mu := a.keyLock(key)
	mu.Lock()
	defer mu.Unlock()
	st, err := os.Stat(a.objectPath(key))
	if errors.Is(err, fs.ErrNotExist) {
		return archiver.ObjectInfo{}, archiver.ErrNotFound
	}
	if err != nil {
		return archiver.ObjectInfo{}, err
	}
	info := archiver.ObjectInfo{Key: key}
	if b, err := os.ReadFile(a.digestPath(key)); err == nil {
		if _, err := fmt.Sscanf(string(b), "%s %d", &info.SHA256, &info.SizeBytes); err == nil && info.SizeBytes == st.Size() {
			return info, nil
		}
	}
	return a.rehash(key)
}

// rehash recomputes and rewrites the digest of key. The caller holds its lock.
func (a *Archiver) rehash(key archiver.Key) (archiver.ObjectInfo, error) {
	f, err := os.Open(a.objectPath(key))
	if err != nil {
		return archiver.ObjectInfo{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return archiver.ObjectInfo{}, err
	}
	info := archiver.ObjectInfo{Key: key, SizeBytes: n, SHA256: hex.EncodeToString(h.Sum(nil))}
	return info, a.writeDigest(info)
}

// List walks the objects directory and describes every object under prefix.
func (a *Archiver) List(ctx context.Context, prefix archiver.Key) ([]archiver.ObjectInfo, error) {
	if err := a.begin(ctx, "x"); err != nil {
		return nil, fmt.Errorf("diskarchiver: list %q: %w", prefix, err)
	}
	objects := filepath.Join(a.root, "objects")
	var keys []archiver.Key
	err := filepath.WalkDir(objects, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(objects, path)
		if err != nil {
			return err
		}
		if key := archiver.Key(filepath.ToSlash(rel)); strings.HasPrefix(string(key), string(prefix)) {
			keys = append(keys, key)
		}
		return ctx.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("diskarchiver: list %q: %w", prefix, err)
	}
	slices.Sort(keys)
	infos := make([]archiver.ObjectInfo, 0, len(keys))
	for _, key := range keys {
		info, err := a.stat(key)
		if errors.Is(err, archiver.ErrNotFound) {
			continue // deleted during the walk
		}
		if err != nil {
			return nil, fmt.Errorf("diskarchiver: list %q: %w", prefix, err)
		}
		infos = append(infos, info)
	}
	return infos, nil
}

// Delete removes the object, then its digest.
func (a *Archiver) Delete(ctx context.Context, key archiver.Key) error {
	if err := a.begin(ctx, key); err != nil {
		return fmt.Errorf("diskarchiver: delete %s: %w", key, err)
	}
	mu := a.keyLock(key)
	mu.Lock()
	defer mu.Unlock()
	for _, p := range []string{a.objectPath(key), a.digestPath(key)} {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("diskarchiver: delete %s: %w", key, err)
		}
	}
	return nil
}
