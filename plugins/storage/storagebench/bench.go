package storagebench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/runnel-io/runnel/core/partition"
	"github.com/runnel-io/runnel/plugins/storage"
	"github.com/runnel-io/runnel/sdk/wire"
)

const (
	// FrameBytes and BatchFrames shape one batch: 1,000 frames of 1 KiB.
	FrameBytes  = 1024
	BatchFrames = 1000
	BatchBytes  = FrameBytes * BatchFrames

	// RawName is the row of the plain os.File baseline.
	RawName = "raw os.File"
)

var benchKey = storage.PartitionKey{Stream: 1, Topic: 1, Partition: 1}

// Backend is one storage backend under test.
type Backend struct {
	Name string
	// New builds a Store (not started) whose data lives in dir.
	New func(dir string) (storage.Store, error)
}

// Options size one run.
type Options struct {
	Dir         string // scratch directory; emptied between measurements
	AppendBytes int64  // written (and read back) without fsync, per round
	SyncBytes   int64  // written with an fsync after every batch, per round
	Rounds      int    // the table shows the median of the rounds
}

// Result is one row of the table: medians over the rounds.
type Result struct {
	Name       string
	AppendMBps float64       // append without fsync
	SyncMBps   float64       // append + fsync per batch
	ReadMBps   float64       // sequential read of what was appended
	RereadMBps float64       // the same read again (mappings, caches warm)
	AppendP99  time.Duration // one Append call (no fsync)
	SyncP99    time.Duration // one Append + Sync
}

// sample is one round's measurement of one row.
type sample struct {
	append, sync, read, reread float64
	appendP99, syncP99         time.Duration
}

// Run measures the raw baseline and every backend, Rounds times each,
// interleaved (round 1 of all, then round 2, ...) so the machine's
// writeback swings hit every row alike. The raw row comes first.
func Run(ctx context.Context, backends []Backend, opts Options) ([]Result, error) {
	if opts.Rounds < 1 || opts.AppendBytes < BatchBytes || opts.SyncBytes < BatchBytes {
		return nil, fmt.Errorf("storagebench: options %+v: want a round and a batch of each", opts)
	}
	samples := make([][]sample, len(backends)+1)
	batch := Batch()
	for range opts.Rounds {
		for i := range samples {
			dir, err := os.MkdirTemp(opts.Dir, "round-")
			if err != nil {
				return nil, fmt.Errorf("storagebench: %w", err)
			}
			var s sample
			if i == 0 {
				s, err = measureRaw(dir, batch, opts)
			} else {
				s, err = measureBackend(ctx, backends[i-1], dir, batch, opts)
			}
			if rerr := os.RemoveAll(dir); err == nil {
				err = rerr
			}
			if err != nil {
				name := RawName
				if i > 0 {
					name = backends[i-1].Name
				}
				return nil, fmt.Errorf("storagebench: %s: %w", name, err)
			}
			samples[i] = append(samples[i], s)
		}
	}
	results := make([]Result, len(samples))
	for i, ss := range samples {
		results[i] = median(ss)
		results[i].Name = RawName
		if i > 0 {
			results[i].Name = backends[i-1].Name
		}
	}
	return results, nil
}

// Batch returns one batch of unstamped frames (the log stamps them).
func Batch() []byte {
	b := make([]byte, 0, BatchBytes)
	payload := make([]byte, FrameBytes-wire.MessageHeaderSize)
	for i := range payload {
		payload[i] = byte(i * 31)
	}
	frame := make([]byte, FrameBytes)
	for i := range BatchFrames {
		wire.EncodeMessageHeader(frame, wire.MessageHeader{IDLow: uint64(i + 1), PayloadLength: uint32(len(payload))})
		copy(frame[wire.MessageHeaderSize:], payload)
		b = append(b, frame...)
	}
	return b
}

func measureBackend(ctx context.Context, be Backend, dir string, batch []byte, opts Options) (sample, error) {
	var s sample
	err := withLog(ctx, be, filepath.Join(dir, "nosync"), func(l *partition.Log) error {
		var err error
		if s.append, s.appendP99, err = timeBatches(opts.AppendBytes, func(i int) error {
			_, err := l.Append(ctx, batch, BatchFrames, uint64(i))
			return err
		}); err != nil {
			return err
		}
		if s.read, err = readLog(ctx, l); err != nil {
			return err
		}
		s.reread, err = readLog(ctx, l)
		return err
	})
	if err != nil {
		return s, err
	}
	err = withLog(ctx, be, filepath.Join(dir, "sync"), func(l *partition.Log) error {
		var err error
		s.sync, s.syncP99, err = timeBatches(opts.SyncBytes, func(i int) error {
			if _, err := l.Append(ctx, batch, BatchFrames, uint64(i)); err != nil {
				return err
			}
			return l.Sync(ctx)
		})
		return err
	})
	return s, err
}

// withLog starts a store in dir, opens the log, runs f, and closes both.
func withLog(ctx context.Context, be Backend, dir string, f func(*partition.Log) error) error {
	store, err := be.New(dir)
	if err != nil {
		return err
	}
	if err := store.Start(ctx); err != nil {
		return err
	}
	l, err := partition.Open(ctx, store, benchKey, partition.Config{})
	if err != nil {
		return errors.Join(err, store.Close(ctx))
	}
	err = f(l)
	return errors.Join(err, l.Close(), store.Close(ctx))
}

// readLog reads the whole log from offset 0 in batch-sized reads.
func readLog(ctx context.Context, l *partition.Log) (float64, error) {
	buf := make([]byte, 0, BatchBytes)
	var total int64
	start := time.Now()
	for off := l.FirstOffset(); off < l.NextOffset(); {
		frames, n, err := l.Read(ctx, off, BatchFrames, BatchBytes, buf[:0])
		if err != nil {
			return 0, err
		}
		if n == 0 {
			return 0, fmt.Errorf("read nothing at offset %d", off)
		}
		off += uint64(n)
		total += int64(len(frames))
	}
	return mbps(total, time.Since(start)), nil
}

// measureRaw is the baseline: the same batches with plain os.File calls.
func measureRaw(dir string, batch []byte, opts Options) (sample, error) {
	var s sample
	f, err := os.Create(filepath.Join(dir, "raw"))
	if err != nil {
		return s, err
	}
	defer f.Close()
	if s.append, s.appendP99, err = timeBatches(opts.AppendBytes, func(int) error {
		_, err := f.Write(batch)
		return err
	}); err != nil {
		return s, err
	}
	size := opts.AppendBytes / BatchBytes * BatchBytes
	if s.read, err = readRaw(f, size); err != nil {
		return s, err
	}
	if s.reread, err = readRaw(f, size); err != nil {
		return s, err
	}
	g, err := os.Create(filepath.Join(dir, "raw-sync"))
	if err != nil {
		return s, err
	}
	defer g.Close()
	s.sync, s.syncP99, err = timeBatches(opts.SyncBytes, func(int) error {
		if _, err := g.Write(batch); err != nil {
			return err
		}
		return g.Sync()
	})
	return s, err
}

func readRaw(f *os.File, size int64) (float64, error) {
	buf := make([]byte, BatchBytes)
	start := time.Now()
	for pos := int64(0); pos < size; pos += BatchBytes {
		if n, err := f.ReadAt(buf, pos); n != len(buf) && !(errors.Is(err, io.EOF) && pos+int64(n) == size) {
			return 0, fmt.Errorf("raw read at %d: %d bytes, %v", pos, n, err)
		}
	}
	return mbps(size, time.Since(start)), nil
}

// timeBatches calls op once per batch of bytes and returns the MB/s of the
// whole and the p99 of one call.
func timeBatches(bytes int64, op func(i int) error) (float64, time.Duration, error) {
	n := int(bytes / BatchBytes)
	lat := make([]time.Duration, n)
	start := time.Now()
	for i := range n {
		t := time.Now()
		if err := op(i); err != nil {
			return 0, 0, err
		}
		lat[i] = time.Since(t)
	}
	elapsed := time.Since(start)
	slices.Sort(lat)
	return mbps(int64(n)*BatchBytes, elapsed), lat[min(n-1, n*99/100)], nil
}

func mbps(bytes int64, d time.Duration) float64 {
	return float64(bytes) / 1e6 / d.Seconds()
}

func median(ss []sample) Result {
	pick := func(f func(sample) float64) float64 {
		v := make([]float64, len(ss))
		for i, s := range ss {
			v[i] = f(s)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	return Result{
		AppendMBps: pick(func(s sample) float64 { return s.append }),
		SyncMBps:   pick(func(s sample) float64 { return s.sync }),
		ReadMBps:   pick(func(s sample) float64 { return s.read }),
		RereadMBps: pick(func(s sample) float64 { return s.reread }),
		AppendP99:  time.Duration(pick(func(s sample) float64 { return float64(s.appendP99) })),
		SyncP99:    time.Duration(pick(func(s sample) float64 { return float64(s.syncP99) })),
	}
}

// Table formats results as a Markdown table; throughput cells of backends
// also show the share of the raw baseline (the first row).
func Table(results []Result) string {
	var b strings.Builder
	b.WriteString("| backend | append MB/s (no fsync) | append MB/s (fsync per batch) | sequential read MB/s | re-read MB/s | p99 append | p99 append+fsync |\n")
	b.WriteString("| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	if len(results) == 0 {
		return b.String()
	}
	raw := results[0]
	cell := func(v, base float64, isRaw bool) string {
		if isRaw || base == 0 {
			return fmt.Sprintf("%.0f", v)
		}
		return fmt.Sprintf("%.0f (%.0f%%)", v, 100*v/base)
	}
	for i, r := range results {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", r.Name,
			cell(r.AppendMBps, raw.AppendMBps, i == 0), cell(r.SyncMBps, raw.SyncMBps, i == 0),
			cell(r.ReadMBps, raw.ReadMBps, i == 0), cell(r.RereadMBps, raw.RereadMBps, i == 0),
			ms(r.AppendP99), ms(r.SyncP99))
	}
	return b.String()
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }
