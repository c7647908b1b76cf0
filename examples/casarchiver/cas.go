package casarchiver

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/runnel-io/runnel/plugins/archiver"
	"github.com/runnel-io/runnel/plugins/component"
)

const (
	dirMode fs.FileMode = 0o750
	// indexLineBytesMax bounds one index line: digest, size, key.
	indexLineBytesMax = 64 + 1 + 20 + 1 + 1024 + 1
)

var _ archiver.Archiver = (*Archiver)(nil)

// entry is what the index holds for one key.
type entry struct {
	sha256    string
	sizeBytes int64
}

// Archiver is the content-addressed archiver. Call New, then Start.
type Archiver struct {
	root           string
	objectBytesMax int64
	logger         interface{ Info(string, ...any) }

	// mu guards the index and the blob files: a blob is placed, found
	// or removed only with mu held, so Delete never removes a blob that
	// a concurrent Put is about to point a key at.
	mu      sync.RWMutex
	index   map[archiver.Key]entry
	started bool
	closed  bool
}

// New checks cfg; it does no I/O.
func New(env component.Env, cfg Config) (*Archiver, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("cas: config: %w", err)
	}
	root := cfg.Path
	if root == "" {
		root = env.DataDir
	}
	if root == "" {
		return nil, errors.New("cas: config: path: empty, and the host gave no data directory")
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("cas: config: path: %w", err)
	}
	a := &Archiver{root: abs, objectBytesMax: cfg.objectBytesMax(), logger: discard{}}
	if env.Logger != nil {
		a.logger = env.Logger
	}
	return a, nil
}

type discard struct{}

func (discard) Info(string, ...any) {}

func (a *Archiver) tmpDir() string    { return filepath.Join(a.root, "tmp") }
func (a *Archiver) indexPath() string { return filepath.Join(a.root, "index") }
func (a *Archiver) blobPath(sum string) string {
	return filepath.Join(a.root, "blobs", sum[:2], sum[2:])
}

// Start makes the directories, loads the index, clears uploads a crash
// left behind and sweeps blobs no key refers to.
func (a *Archiver) Start(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("cas: start: %w", err)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return fmt.Errorf("cas: start: %w", archiver.ErrClosed)
	}
	if err := os.RemoveAll(a.tmpDir()); err != nil {
		return fmt.Errorf("cas: start: %w", err)
	}
	for _, d := range []string{a.tmpDir(), filepath.Join(a.root, "blobs")} {
		if err := os.MkdirAll(d, dirMode); err != nil {
			return fmt.Errorf("cas: start: %w", err)
		}
	}
	index, err := a.loadIndex()
	if err != nil {
		return fmt.Errorf("cas: start: %w", err)
	}
	a.index = index
	swept, err := a.sweep()
	if err != nil {
		return fmt.Errorf("cas: start: sweep: %w", err)
	}
	a.logger.Info("cas store open", "root", a.root, "keys", len(index), "blobs_swept", swept)
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

// Put hashes r into a temporary file, then, holding mu, moves it to its
// blob path (or drops it: the content is already there) and rewrites the
// index with key pointing at it.
func (a *Archiver) Put(ctx context.Context, key archiver.Key, r io.Reader, sizeBytes int64) (archiver.ObjectInfo, error) {
	if err := a.begin(ctx, key); err != nil {
		return archiver.ObjectInfo{}, fmt.Errorf("cas: put %s: %w", key, err)
	}
	if sizeBytes < 0 || sizeBytes > a.objectBytesMax {
		return archiver.ObjectInfo{}, fmt.Errorf("cas: put %s: size %d outside [0, %d]", key, sizeBytes, a.objectBytesMax)
	}
	tmp, sum, err := archiver.CopyToTempFile(ctx, a.tmpDir(), "put-*", r, sizeBytes)
	if err != nil {
		return archiver.ObjectInfo{}, fmt.Errorf("cas: put %s: %w", key, err)
	}
	defer os.Remove(tmp) // gone after a successful rename
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return archiver.ObjectInfo{}, fmt.Errorf("cas: put %s: %w", key, archiver.ErrClosed)
	}
	if err := a.placeBlob(tmp, sum); err != nil {
		return archiver.ObjectInfo{}, fmt.Errorf("cas: put %s: %w", key, err)
	}
	old, had := a.index[key]
	a.index[key] = entry{sha256: sum, sizeBytes: sizeBytes}
	if err := a.writeIndex(); err != nil {
		if had {
			a.index[key] = old
		} else {
			delete(a.index, key)
		}
		return archiver.ObjectInfo{}, fmt.Errorf("cas: put %s: %w", key, err)
	}
	if had && old.sha256 != sum {
		a.dropIfUnreferenced(old.sha256)
	}
	return archiver.ObjectInfo{Key: key, SizeBytes: sizeBytes, SHA256: sum}, nil
}

// placeBlob makes tmp the blob for sum unless that blob exists. mu held.
func (a *Archiver) placeBlob(tmp, sum string) error {
	to := a.blobPath(sum)
	if _, err := os.Stat(to); err == nil {
		return nil // same content, same name: nothing to store
	}
	return archiver.RenameDurable(tmp, to, dirMode)
}

// dropIfUnreferenced removes the blob sum when no key points at it. A
// failure only leaves garbage for the next Start's sweep. mu held.
func (a *Archiver) dropIfUnreferenced(sum string) {
	for _, e := range a.index {
		if e.sha256 == sum {
			return
		}
	}
	_ = os.Remove(a.blobPath(sum))
}

// writeIndex replaces the index file with the in-memory index. mu held.
func (a *Archiver) writeIndex() error {
	f, err := os.CreateTemp(a.tmpDir(), "index-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	w := bufio.NewWriter(f)
	for _, k := range slices.Sorted(maps.Keys(a.index)) {
		e := a.index[k]
		fmt.Fprintf(w, "%s %d %s\n", e.sha256, e.sizeBytes, k)
	}
	err = w.Flush()
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return archiver.RenameDurable(f.Name(), a.indexPath(), dirMode)
}

// loadIndex reads the index file; a missing file is an empty index.
func (a *Archiver) loadIndex() (map[archiver.Key]entry, error) {
	index := make(map[archiver.Key]entry)
	f, err := os.Open(a.indexPath())
	if errors.Is(err, fs.ErrNotExist) {
		return index, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 4096), indexLineBytesMax)
	for line := 1; sc.Scan(); line++ {
		k, e, err := parseIndexLine(sc.Text())
		if err != nil {
			return nil, fmt.Errorf("index line %d: %w", line, err)
		}
		index[k] = e
	}
	return index, sc.Err()
}

func parseIndexLine(s string) (archiver.Key, entry, error) {
	fields := strings.SplitN(s, " ", 3)
	if len(fields) != 3 || len(fields[0]) != sha256.Size*2 {
		return "", entry{}, fmt.Errorf("malformed %q", s)
	}
	if _, err := hex.DecodeString(fields[0]); err != nil {
		return "", entry{}, fmt.Errorf("digest: %w", err)
	}
	size, err := strconv.ParseInt(fields[1], 10, 64)
	if err != nil || size < 0 {
		return "", entry{}, fmt.Errorf("size %q", fields[1])
	}
	k := archiver.Key(fields[2])
	if err := k.Check(); err != nil {
		return "", entry{}, err
	}
	return k, entry{sha256: fields[0], sizeBytes: size}, nil
}

// sweep removes blobs the index does not refer to. mu held.
func (a *Archiver) sweep() (int, error) {
	live := make(map[string]bool, len(a.index))
	for _, e := range a.index {
		live[e.sha256] = true
	}
	swept := 0
	blobs := filepath.Join(a.root, "blobs")
	err := filepath.WalkDir(blobs, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(blobs, path)
		if !live[strings.ReplaceAll(filepath.ToSlash(rel), "/", "")] {
			swept++
			return os.Remove(path)
		}
		return nil
	})
	return swept, err
}

// lookup returns key's entry, or ErrNotFound.
func (a *Archiver) lookup(key archiver.Key) (entry, error) {
	e, ok := a.index[key]
	if !ok {
		return entry{}, archiver.ErrNotFound
	}
	return e, nil
}

// Get opens key's blob and returns the requested range of it.
func (a *Archiver) Get(ctx context.Context, key archiver.Key, position, lengthBytes int64) (io.ReadCloser, error) {
	if err := a.begin(ctx, key); err != nil {
		return nil, fmt.Errorf("cas: get %s: %w", key, err)
	}
	if position < 0 {
		return nil, fmt.Errorf("cas: get %s: negative position %d", key, position)
	}
	a.mu.RLock()
	defer a.mu.RUnlock() // held across Open so Delete cannot remove the blob first
	e, err := a.lookup(key)
	if err != nil {
		return nil, fmt.Errorf("cas: get %s: %w", key, err)
	}
	f, err := os.Open(a.blobPath(e.sha256))
	if err != nil {
		return nil, fmt.Errorf("cas: get %s: %w", key, err)
	}
	if lengthBytes < 0 || lengthBytes > e.sizeBytes {
		lengthBytes = e.sizeBytes
	}
	return struct {
		io.Reader
		io.Closer
	}{io.NewSectionReader(f, position, lengthBytes), f}, nil
}

// Stat describes key's object from the index.
func (a *Archiver) Stat(ctx context.Context, key archiver.Key) (archiver.ObjectInfo, error) {
	if err := a.begin(ctx, key); err != nil {
		return archiver.ObjectInfo{}, fmt.Errorf("cas: stat %s: %w", key, err)
	}
	a.mu.RLock()
	defer a.mu.RUnlock()
	e, err := a.lookup(key)
	if err != nil {
		return archiver.ObjectInfo{}, fmt.Errorf("cas: stat %s: %w", key, err)
	}
	return archiver.ObjectInfo{Key: key, SizeBytes: e.sizeBytes, SHA256: e.sha256}, nil
}

// List describes the objects whose keys start with prefix, sorted.
func (a *Archiver) List(ctx context.Context, prefix archiver.Key) ([]archiver.ObjectInfo, error) {
	if err := a.begin(ctx, "x"); err != nil {
		return nil, fmt.Errorf("cas: list %s: %w", prefix, err)
	}
	a.mu.RLock()
	defer a.mu.RUnlock()
	var out []archiver.ObjectInfo
	for k, e := range a.index {
		if strings.HasPrefix(string(k), string(prefix)) {
			out = append(out, archiver.ObjectInfo{Key: k, SizeBytes: e.sizeBytes, SHA256: e.sha256})
		}
	}
	slices.SortFunc(out, func(x, y archiver.ObjectInfo) int { return strings.Compare(string(x.Key), string(y.Key)) })
	return out, nil
}

// Delete drops key from the index and its blob if no other key shares it.
func (a *Archiver) Delete(ctx context.Context, key archiver.Key) error {
	if err := a.begin(ctx, key); err != nil {
		return fmt.Errorf("cas: delete %s: %w", key, err)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	e, ok := a.index[key]
	if !ok {
		return nil
	}
	delete(a.index, key)
	if err := a.writeIndex(); err != nil {
		a.index[key] = e
		return fmt.Errorf("cas: delete %s: %w", key, err)
	}
	a.dropIfUnreferenced(e.sha256)
	return nil
}
