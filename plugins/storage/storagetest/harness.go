package storagetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/runnel-io/runnel/core/partition"
	"github.com/runnel-io/runnel/plugins/storage"
	"github.com/runnel-io/runnel/sdk/wire"
)

// Frame returns an unstamped message frame with the given id, payload and
// user headers, as a client sends it.
func Frame(id uint64, payload, headers []byte) []byte {
	b := make([]byte, wire.MessageHeaderSize+len(payload)+len(headers))
	wire.EncodeMessageHeader(b, wire.MessageHeader{
		IDLow: id, PayloadLength: uint32(len(payload)), UserHeadersLength: uint32(len(headers)),
	})
	copy(b[wire.MessageHeaderSize:], payload)
	copy(b[wire.MessageHeaderSize+len(payload):], headers)
	return b
}

// logHarness drives one partition log over a backend and remembers every
// message it appended, as stamped, so reads can be checked byte for byte.
type logHarness struct {
	t        *testing.T
	newStore NewStore
	dir      string
	cfg      partition.Config
	store    storage.Store
	log      *partition.Log
	rng      *rand.Rand
	want     map[uint64][]byte // offset -> frame as stamped
	ids      uint64
	dead     []storage.Store // stores of killed incarnations, closed at the end
}

func newLogHarness(t *testing.T, newStore NewStore, cfg partition.Config) *logHarness {
	t.Helper()
	h := &logHarness{
		t: t, newStore: newStore, dir: t.TempDir(), cfg: cfg,
		rng:  rand.New(rand.NewPCG(uint64(len(t.Name())), 42)),
		want: make(map[uint64][]byte),
	}
	h.store = h.startStore()
	h.log = h.mustOpen()
	t.Cleanup(func() {
		if h.log != nil {
			_ = h.log.Close()
		}
		for _, s := range append(h.dead, h.store) {
			_ = s.Close(context.Background())
		}
	})
	return h
}

func (h *logHarness) startStore() storage.Store {
	h.t.Helper()
	s := h.newStore(h.t, h.dir)
	if err := s.Start(context.Background()); err != nil {
		h.t.Fatalf("start store: %v", err)
	}
	return s
}

func (h *logHarness) open() (*partition.Log, error) {
	return partition.Open(context.Background(), h.store, testKey, h.cfg)
}

func (h *logHarness) mustOpen() *partition.Log {
	h.t.Helper()
	l, err := h.open()
	if err != nil {
		h.t.Fatalf("open log: %v", err)
	}
	return l
}

// batch makes n frames with payloads of about payloadBytes (varied) and
// some user headers.
func (h *logHarness) batch(n, payloadBytes int) []byte {
	var b []byte
	for range n {
		h.ids++
		size := payloadBytes/2 + h.rng.IntN(payloadBytes+1)
		payload := make([]byte, max(size, 1))
		for i := range payload {
			payload[i] = byte(h.rng.Uint32())
		}
		var headers []byte
		if h.ids%3 == 0 {
			headers = []byte(fmt.Sprintf("hdr-%d", h.ids))
		}
		b = append(b, Frame(h.ids, payload, headers)...)
	}
	return b
}

// append appends n messages stamped timestampMicros and records them.
func (h *logHarness) append(n, payloadBytes int, timestampMicros uint64) partition.AppendResult {
	h.t.Helper()
	frames := h.batch(n, payloadBytes)
	res, err := h.log.Append(context.Background(), frames, uint32(n), timestampMicros)
	if err != nil {
		h.t.Fatalf("append: %v", err)
	}
	if res.LastOffset-res.FirstOffset+1 != uint64(n) {
		h.t.Fatalf("append result %+v for %d messages", res, n)
	}
	for off, p := res.FirstOffset, 0; off <= res.LastOffset; off++ {
		size := int(wire.DecodeMessageHeader(frames[p:]).Size())
		h.want[off] = frames[p : p+size]
		p += size
	}
	return res
}

func (h *logHarness) sync() {
	h.t.Helper()
	if err := h.log.Sync(context.Background()); err != nil {
		h.t.Fatalf("sync: %v", err)
	}
}

// crash is a kill: the log and its store are abandoned as they are, with
// no Close (so no index entries still buffered reach the files) and no
// Sync, and a new store is started on the same directory. The bytes
// already appended reached the OS, as after a real kill; files can then be
// damaged with os to play power loss.
func (h *logHarness) crash() {
	h.t.Helper()
	h.log = nil
	h.dead = append(h.dead, h.store)
	h.store = h.startStore()
}

// shutdown closes the log cleanly (no sync) and crashes: every appended
// byte and index entry reached the OS.
func (h *logHarness) shutdown() {
	h.t.Helper()
	if err := h.log.Close(); err != nil {
		h.t.Fatalf("close log: %v", err)
	}
	h.crash()
}

// reopen crashes and opens the log again, failing the test on error.
func (h *logHarness) reopen() {
	h.t.Helper()
	h.crash()
	h.log = h.mustOpen()
}

// forget drops the expectations for offsets >= from: messages recovery may
// legitimately cut.
func (h *logHarness) forget(from uint64) {
	for off := range h.want {
		if off >= from {
			delete(h.want, off)
		}
	}
}

// check reads the whole log, in one call and message by message, and
// compares with what was appended.
func (h *logHarness) check() {
	h.t.Helper()
	ctx := context.Background()
	first, next := h.log.FirstOffset(), h.log.NextOffset()
	for off := range h.want {
		if off < first {
			delete(h.want, off)
		}
	}
	if uint64(len(h.want)) != next-first {
		h.t.Fatalf("log holds [%d, %d), expected %d messages", first, next, len(h.want))
	}
	all, count, err := h.log.Read(ctx, first, uint32(next-first)+1, 1<<40, nil)
	if err != nil {
		h.t.Fatalf("read all: %v", err)
	}
	if uint64(count) != next-first {
		h.t.Fatalf("read %d messages, want %d", count, next-first)
	}
	p := 0
	for off := first; off < next; off++ {
		want := h.want[off]
		if p+len(want) > len(all) || !bytes.Equal(all[p:p+len(want)], want) {
			h.t.Fatalf("message %d differs", off)
		}
		p += len(want)
		one, n, err := h.log.Read(ctx, off, 1, 0, nil)
		if err != nil || n != 1 || !bytes.Equal(one, want) {
			h.t.Fatalf("read message %d alone: n=%d err=%v", off, n, err)
		}
	}
	if p != len(all) {
		h.t.Fatalf("read %d bytes, want %d", len(all), p)
	}
}

// segments lists the partition's segments.
func (h *logHarness) segments() []storage.SegmentID {
	h.t.Helper()
	ids, err := h.store.Segments(context.Background(), testKey)
	if err != nil {
		h.t.Fatal(err)
	}
	return ids
}

func (h *logHarness) activeID() storage.SegmentID {
	ids := h.segments()
	return ids[len(ids)-1]
}

func (h *logHarness) path(id storage.SegmentID, kind storage.FileKind) string {
	return h.store.Path(id, kind)
}

// position finds where message off starts in segment id's log.
func (h *logHarness) position(id storage.SegmentID, off uint64) int64 {
	h.t.Helper()
	b := readFile(h.t, h.path(id, storage.FileLog))
	i := bytes.Index(b, h.want[off])
	if i < 0 {
		h.t.Fatalf("message %d not in %s", off, h.path(id, storage.FileLog))
	}
	return int64(i)
}

// expectCorruption opens the log and requires a CorruptionError for path
// at the given position and offset.
func (h *logHarness) expectCorruption(path string, position int64, offset uint64) *partition.CorruptionError {
	h.t.Helper()
	l, err := h.open()
	if err == nil {
		_ = l.Close()
		h.t.Fatal("open succeeded over corruption in the middle")
	}
	var ce *partition.CorruptionError
	if !errors.As(err, &ce) {
		h.t.Fatalf("open: %v, want a CorruptionError", err)
	}
	if ce.Path != path || ce.Position != position || ce.Offset != offset {
		h.t.Fatalf("corruption reported at %s byte %d offset %d, want %s byte %d offset %d (%v)",
			ce.Path, ce.Position, ce.Offset, path, position, offset, err)
	}
	return ce
}

// reopenClean reopens and requires that recovery finds nothing to change:
// the second Open after a repair is a no-op.
func (h *logHarness) reopenClean() {
	h.t.Helper()
	before := h.log.Stats()
	h.shutdown()
	h.log = h.mustOpen()
	if r := h.log.Recovery(); r.Changed() {
		h.t.Fatalf("second open changed files again: %+v", r)
	}
	after := h.log.Stats()
	if before.NextOffset != after.NextOffset || before.FirstOffset != after.FirstOffset ||
		before.SizeBytes != after.SizeBytes || before.SegmentsCount != after.SegmentsCount {
		h.t.Fatalf("state changed across reopen: %+v then %+v", before, after)
	}
	h.check()
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o640); err != nil {
		t.Fatal(err)
	}
}

func truncateFile(t *testing.T, path string, size int64) {
	t.Helper()
	if err := os.Truncate(path, size); err != nil {
		t.Fatal(err)
	}
}

func appendFile(t *testing.T, path string, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// flipByte xors one byte of a file.
func flipByte(t *testing.T, path string, at int64) {
	t.Helper()
	b := readFile(t, path)
	b[at] ^= 0x5a
	writeFile(t, path, b)
}
