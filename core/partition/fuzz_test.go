package partition_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/runnel-io/runnel/core/partition"
	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/storage"
	"github.com/runnel-io/runnel/plugins/storage/filestore"
	"github.com/runnel-io/runnel/plugins/storage/storagetest"
	"github.com/runnel-io/runnel/sdk/wire"
)

var fuzzKey = storage.PartitionKey{Stream: 7, Topic: 8, Partition: 9}

// fuzzConfig makes a few sealed segments; the active one stays far inside
// the verification window, so Open checks all of it.
var fuzzConfig = partition.Config{SegmentBytesMax: 2048}

// original is a valid log built once: every file's bytes by path relative
// to the data dir, and the frames as stamped.
type original struct {
	files         map[string][]byte
	frames        [][]byte // by offset
	activeLog     string   // relative paths of the active segment's files
	activeIndex   string
	activeBase    uint64
	activeStarts  []int // position of each active message in the active log
	activeLogSize int
}

func startFileStore(t testing.TB, dir string) storage.Store {
	t.Helper()
	s, err := filestore.New(component.Env{DataDir: dir}, filestore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	return s
}

func buildOriginal(t testing.TB) original {
	ctx := context.Background()
	dir := t.TempDir()
	store := startFileStore(t, dir)
	l, err := partition.Open(ctx, store, fuzzKey, fuzzConfig)
	if err != nil {
		t.Fatal(err)
	}
	o := original{files: map[string][]byte{}}
	for i := range 12 {
		var batch []byte
		n := 1 + i%3
		for j := range n {
			payload := bytes.Repeat([]byte{byte(i + 1), byte(j + 7)}, 40+17*((i+j)%5))
			var headers []byte
			if j == 1 {
				headers = []byte("trace")
			}
			batch = append(batch, storagetest.Frame(uint64(i*10+j+1), payload, headers)...)
		}
		res, err := l.Append(ctx, batch, uint32(n), uint64(1000+i))
		if err != nil {
			t.Fatal(err)
		}
		for p := 0; p < len(batch); {
			size := int(wire.DecodeMessageHeader(batch[p:]).Size())
			o.frames = append(o.frames, batch[p:p+size])
			p += size
		}
		_ = res
	}
	if err := l.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	ids, err := store.Segments(ctx, fuzzKey)
	if err != nil || len(ids) < 3 {
		t.Fatalf("segments %v %v", ids, err)
	}
	for _, id := range ids {
		for _, kind := range []storage.FileKind{storage.FileLog, storage.FileIndex} {
			path := store.Path(id, kind)
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			rel, _ := filepath.Rel(dir, path)
			o.files[rel] = b
		}
	}
	active := ids[len(ids)-1]
	o.activeBase = active.BaseOffset
	o.activeLog, _ = filepath.Rel(dir, store.Path(active, storage.FileLog))
	o.activeIndex, _ = filepath.Rel(dir, store.Path(active, storage.FileIndex))
	p := 0
	for off := o.activeBase; off < uint64(len(o.frames)); off++ {
		o.activeStarts = append(o.activeStarts, p)
		p += len(o.frames[off])
	}
	o.activeLogSize = p
	if p != len(o.files[o.activeLog]) || len(o.activeStarts) < 3 {
		t.Fatalf("active segment holds %d bytes, %d messages", p, len(o.activeStarts))
	}
	return o
}

// damage describes what the fuzzer does to the active segment: flip one
// byte, cut the log, append zeros then garbage; cut the index and append
// garbage.
type damage struct {
	flipAt     uint32
	flipMask   byte
	logCut     uint32
	zeros      uint16
	logGarbage []byte
	indexCut   uint32
	idxGarbage []byte
}

const garbageBytesMax = 4096

func (d damage) apply(o original) (log, index []byte) {
	log = bytes.Clone(o.files[o.activeLog])
	if d.flipMask != 0 {
		log[d.flipAt%uint32(len(log))] ^= d.flipMask
	}
	log = log[:d.logCut%uint32(len(log)+1)]
	log = append(log, make([]byte, int(d.zeros)%garbageBytesMax)...)
	log = append(log, d.logGarbage[:min(len(d.logGarbage), garbageBytesMax)]...)
	index = bytes.Clone(o.files[o.activeIndex])
	index = index[:int(d.indexCut%uint32(len(index)+1))]
	index = append(index, d.idxGarbage[:min(len(d.idxGarbage), garbageBytesMax)]...)
	return log, index
}

// expectation compares the damaged log with the original: a message is
// intact if its bytes are all still there, unchanged. It returns the first
// damaged message and whether an intact one follows it.
func (o original) expectation(log []byte) (firstDamaged int, intactFollows bool) {
	firstDamaged = len(o.activeStarts)
	for k, start := range o.activeStarts {
		frame := o.frames[o.activeBase+uint64(k)]
		damaged := start+len(frame) > len(log) || !bytes.Equal(log[start:start+len(frame)], frame)
		if damaged && firstDamaged == len(o.activeStarts) {
			firstDamaged = k
		}
		if !damaged && k > firstDamaged {
			intactFollows = true
		}
	}
	return firstDamaged, intactFollows
}

// validFrameAfter is the test's own brute-force search for a valid frame
// with offset >= minOffset starting in log[from:].
func validFrameAfter(log []byte, from int, minOffset uint64) bool {
	for p := from; p+wire.MessageHeaderSize <= len(log); p++ {
		h := wire.DecodeMessageHeader(log[p:])
		if h.Offset < minOffset || h.Size() > uint64(len(log)-p) {
			continue
		}
		if wire.MessageChecksum(log[p:p+int(h.Size())]) == h.Checksum {
			return true
		}
	}
	return false
}

func FuzzRecovery(f *testing.F) {
	o := buildOriginal(f)
	logLen, idxLen := uint32(len(o.files[o.activeLog])), uint32(len(o.files[o.activeIndex]))
	second := uint32(o.activeStarts[1])
	last := uint32(o.activeStarts[len(o.activeStarts)-1])
	header := storagetest.Frame(99, []byte("x"), nil)
	// flipAt, flipMask, logCut, zeros, logGarbage, indexCut, idxGarbage
	f.Add(uint32(0), byte(0), logLen, uint16(0), []byte{}, idxLen, []byte{})                   // intact
	f.Add(uint32(0), byte(0), logLen, uint16(0), header[:30], idxLen, []byte{})                // partial header
	f.Add(uint32(0), byte(0), logLen-7, uint16(0), []byte{}, idxLen, []byte{})                 // length past end
	f.Add(last+70, byte(0x40), logLen, uint16(0), []byte{}, idxLen, []byte{})                  // bad last checksum
	f.Add(uint32(0), byte(0), logLen, uint16(3000), []byte{}, idxLen, make([]byte, 64))        // zero tail
	f.Add(second+3, byte(1), logLen, uint16(0), []byte{}, idxLen, []byte{})                    // middle damage
	f.Add(second+52, byte(0x80), logLen, uint16(0), []byte{}, idxLen, []byte{})                // length field
	f.Add(uint32(0), byte(0), logLen, uint16(0), []byte{}, uint32(0), []byte{})                // no index
	f.Add(uint32(0), byte(0), logLen, uint16(0), []byte{}, idxLen/2+5, []byte{1, 2, 3})        // short index
	f.Add(uint32(0), byte(0), second+10, uint16(100), []byte("junk"), idxLen, []byte{9, 9, 9}) // torn with junk
	f.Add(uint32(0), byte(0), last, uint16(0), header, idxLen, header[:16])                    // frame-like junk
	f.Fuzz(func(t *testing.T, flipAt uint32, flipMask byte, logCut uint32, zeros uint16, logGarbage []byte, indexCut uint32, idxGarbage []byte) {
		d := damage{flipAt: flipAt, flipMask: flipMask, logCut: logCut, zeros: zeros,
			logGarbage: logGarbage, indexCut: indexCut, idxGarbage: idxGarbage}
		checkRecovery(t, o, d)
	})
}

func checkRecovery(t *testing.T, o original, d damage) {
	ctx := context.Background()
	dir := t.TempDir()
	log, index := d.apply(o)
	for rel, b := range o.files {
		switch rel {
		case o.activeLog:
			b = log
		case o.activeIndex:
			b = index
		}
		writeFile(t, filepath.Join(dir, rel), b)
	}
	firstDamaged, intactFollows := o.expectation(log)
	store := startFileStore(t, dir)
	l, err := partition.Open(ctx, store, fuzzKey, fuzzConfig)
	var ce *partition.CorruptionError
	switch {
	case err != nil && !errors.As(err, &ce):
		t.Fatalf("open failed without a CorruptionError: %v", err)
	case err != nil && !intactFollows:
		start := o.activeStarts[min(firstDamaged, len(o.activeStarts)-1)]
		if !validFrameAfter(log, start+1, o.activeBase+uint64(firstDamaged)) {
			t.Fatalf("open refused a torn tail (first damaged %d): %v", firstDamaged, err)
		}
		return
	case err != nil:
		if ce.Offset != o.activeBase+uint64(firstDamaged) || ce.Position != int64(o.activeStarts[firstDamaged]) ||
			ce.Path != filepath.Join(dir, o.activeLog) {
			t.Fatalf("corruption reported at %s byte %d offset %d, want byte %d offset %d",
				ce.Path, ce.Position, ce.Offset, o.activeStarts[firstDamaged], o.activeBase+uint64(firstDamaged))
		}
		return
	case intactFollows:
		_ = l.Close()
		t.Fatalf("open accepted damage at message %d with intact messages after it", o.activeBase+uint64(firstDamaged))
	}
	defer l.Close()
	next := o.activeBase + uint64(firstDamaged)
	checkLog(t, l, o.frames[:next])
	batch := storagetest.Frame(1234, []byte("after recovery"), nil)
	res, err := l.Append(ctx, batch, 1, 1)
	if err != nil || res.FirstOffset != next {
		t.Fatalf("append after recovery: %+v %v, want offset %d", res, err, next)
	}
	want := append(o.frames[:next:next], batch)
	if err := l.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	_ = l.Close()
	l2, err := partition.Open(ctx, store, fuzzKey, fuzzConfig)
	if err != nil {
		t.Fatalf("second open: %v", err)
	}
	defer l2.Close()
	if r := l2.Recovery(); r.Changed() {
		t.Fatalf("second open changed files: %+v", r)
	}
	checkLog(t, l2, want)
	checkTruncateRecovered(t, store, l2, want, uint64(d.logCut)%uint64(len(want)+2))
}

// checkTruncateRecovered cuts a recovered log back to cut, as a replica
// does before replaying its journal, and checks it and a reopen of it.
func checkTruncateRecovered(t *testing.T, store storage.Store, l *partition.Log, want [][]byte, cut uint64) {
	ctx := context.Background()
	if err := l.TruncateTo(ctx, cut); err != nil {
		t.Fatalf("truncate to %d: %v", cut, err)
	}
	want = want[:min(cut, uint64(len(want)))]
	checkLog(t, l, want)
	if err := partition.CheckInvariants(l); err != nil {
		t.Fatalf("truncate to %d: %v", cut, err)
	}
	_ = l.Close()
	l2, err := partition.Open(ctx, store, fuzzKey, fuzzConfig)
	if err != nil {
		t.Fatalf("open after truncate to %d: %v", cut, err)
	}
	defer l2.Close()
	if r := l2.Recovery(); r.Changed() {
		t.Fatalf("open after truncate to %d changed files: %+v", cut, r)
	}
	checkLog(t, l2, want)
}

// checkLog reads every message and compares with want (by offset).
func checkLog(t *testing.T, l *partition.Log, want [][]byte) {
	t.Helper()
	if l.FirstOffset() != 0 || l.NextOffset() != uint64(len(want)) {
		t.Fatalf("log holds [%d, %d), want [0, %d)", l.FirstOffset(), l.NextOffset(), len(want))
	}
	got, n, err := l.Read(context.Background(), 0, uint32(len(want)+1), 1<<30, nil)
	if err != nil || int(n) != len(want) {
		t.Fatalf("read: %d messages, %v; want %d", n, err, len(want))
	}
	for off, w := range want {
		if !bytes.HasPrefix(got, w) {
			t.Fatalf("message %d differs", off)
		}
		got = got[len(w):]
	}
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o640); err != nil {
		t.Fatal(err)
	}
}

// TestRecoveryCases runs the damage cases the fuzz seeds name, as a plain
// test, plus a sweep of every cut position of the active log.
func TestRecoveryCases(t *testing.T) {
	o := buildOriginal(t)
	logLen, idxLen := uint32(len(o.files[o.activeLog])), uint32(len(o.files[o.activeIndex]))
	for cut := uint32(0); cut <= logLen; cut += 11 {
		checkRecovery(t, o, damage{logCut: cut, indexCut: idxLen})
	}
	for at := uint32(0); at < logLen; at += 17 {
		checkRecovery(t, o, damage{flipAt: at, flipMask: 0x21, logCut: logLen, indexCut: idxLen})
	}
	for cut := uint32(0); cut <= idxLen; cut += 5 {
		garbage := binary.LittleEndian.AppendUint64(nil, uint64(cut)*0x9e3779b97f4a7c15)
		checkRecovery(t, o, damage{logCut: logLen, indexCut: cut, idxGarbage: garbage})
	}
}
