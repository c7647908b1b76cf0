package vsrstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"path/filepath"
	"testing"

	"github.com/zeebo/xxh3"

	"github.com/runnel-io/runnel/core/vsr"
)

// acked is an append the client saw acknowledged.
type acked struct {
	part    uint32
	offset  uint64
	payload []byte
}

// runAppends registers client and appends count payloads round-robin over
// three partitions, returning what was acknowledged.
func runAppends(c *cluster, client uint64, from, count uint64, size int) []acked {
	session := c.register(client)
	var out []acked
	for req := from; req < from+count; req++ {
		part := uint32(req % 3)
		p := payload(client, req, size+int(req%7)*100)
		res := c.append(client, session, req, part, p)
		out = append(out, acked{part: part, offset: res.FirstOffset, payload: p})
	}
	return out
}

func checkAcked(t *testing.T, sm *vsr.MemoryMachine, want []acked) {
	t.Helper()
	for _, a := range want {
		batches := sm.Batches(vsr.PartitionRef{Partition: a.part})
		if a.offset >= uint64(len(batches)) || !bytes.Equal(batches[a.offset], a.payload) {
			t.Fatalf("acknowledged append at partition %d offset %d lost (%d batches)", a.part, a.offset, len(batches))
		}
	}
}

// TestDriverSurvivesCrash is the host loop end to end: a replica on a real
// directory takes appends through several checkpoints and journal wraps,
// "crashes" (everything in memory dropped), restarts from the directory,
// and holds exactly the state it had: every committed op, the same
// state-machine bytes (checkpoint restored, journal replayed).
func TestDriverSurvivesCrash(t *testing.T) {
	c := newTestCluster(t, []string{t.TempDir()})
	want := runAppends(c, 100, 1, 150, 200)
	n := c.nodes[0]
	if n.r.CheckpointOp() == 0 || n.r.CommitMin() < 150 {
		t.Fatalf("setup: checkpoint %d commit %d", n.r.CheckpointOp(), n.r.CommitMin())
	}
	before, digest, applied := n.sm.Snapshot(), n.sm.Digest(), n.sm.Applied()
	commit := n.r.CommitMin()

	c.crash(0)
	c.start(0)
	c.settle(2000, "restarted replica normal", c.normal)
	n = c.nodes[0]
	if n.rec.Fresh() || n.rec.Checkpoint == nil {
		t.Fatalf("restart found no durable state: %+v", n.rec.Superblock)
	}
	if n.r.CommitMin() < commit {
		t.Fatalf("committed op %d, before the crash %d", n.r.CommitMin(), commit)
	}
	if n.sm.Digest() != digest || n.sm.Applied() != applied || !bytes.Equal(n.sm.Snapshot(), before) {
		t.Fatalf("state after restart differs: applied %d (want %d)", n.sm.Applied(), applied)
	}
	checkAcked(t, n.sm, want)

	// The restarted replica keeps going where it stopped.
	more := runAppends(c, 101, 1, 60, 100)
	checkAcked(t, n.sm, append(want, more...))
	if more[0].offset == 0 {
		t.Fatal("offsets restarted from zero after the crash")
	}
}

func TestFormatOpen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	_, sc := testConfig(1)
	if _, _, err := Open(ctx, dir, sc); !errors.Is(err, ErrNotFormatted) {
		t.Fatalf("open of an empty directory: %v", err)
	}
	if err := Format(ctx, dir, sc, 2, testCluster); err != nil {
		t.Fatal(err)
	}
	if err := Format(ctx, dir, sc, 2, testCluster); !errors.Is(err, ErrFormatted) {
		t.Fatalf("second format: %v", err)
	}
	other := sc
	other.JournalSlots *= 2
	if _, _, err := Open(ctx, dir, other); !errors.Is(err, ErrLayout) {
		t.Fatalf("open with another layout: %v", err)
	}
	st, rec, err := Open(ctx, dir, sc)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if !rec.Fresh() || rec.SuperblockRepairs != 0 || len(rec.Records) != sc.JournalSlots || st.Replica() != 2 ||
		st.Cluster() != testCluster || rec.Superblock.Cluster != testCluster || rec.Superblock.Replica != 2 {
		t.Fatalf("fresh store: %+v repairs %d records %d", rec.Superblock, rec.SuperblockRepairs, len(rec.Records))
	}
	want := layoutOf(sc.withDefaults()).sizeBytes
	if st.SizeBytes() != want || fileSize(t, st.Path()) != want {
		t.Fatalf("file is %d bytes, layout %d", fileSize(t, st.Path()), want)
	}
}

// A file formatted recovering starts a recovering replica, and a restart
// keeps it recovering.
func TestFormatRecovering(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	vc, sc := testConfig(3)
	vc.Replica = 1
	if err := FormatRecovering(ctx, dir, sc, 1, testCluster); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		st, rec, err := Open(ctx, dir, sc)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Fresh() || !rec.Superblock.Recovering {
			t.Fatalf("recovering format reads as %+v", rec.Superblock)
		}
		r, err := rec.Start(vc, vsr.NewMemoryMachine(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if !r.Recovering() || !r.RestartReport().Recovering {
			t.Fatal("replica does not start recovering")
		}
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestInterruptedFormat: a file without its format header (Format died
// before the last step) is not a replica; Format may run again.
func TestInterruptedFormat(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	_, sc := testConfig(1)
	if err := Format(ctx, dir, sc, 0, testCluster); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, fileName)
	flipByte(t, path, 0)
	if _, _, err := Open(ctx, dir, sc); !errors.Is(err, ErrNotFormatted) {
		t.Fatalf("open without a format header: %v", err)
	}
	if err := Format(ctx, dir, sc, 0, testCluster); err != nil {
		t.Fatalf("format again: %v", err)
	}
}

// TestPersistBarriers counts the fdatasync barriers of each stage: one
// after the checkpoint, one per superblock copy, two for the journal.
// Removing one (or merging stages) fails here.
func TestPersistBarriers(t *testing.T) {
	c := newTestCluster(t, []string{t.TempDir()})
	n := c.nodes[0]
	session := c.register(1)
	st := n.st
	var sawCkpt, sawSB, sawJournal bool
	for req := uint64(1); req <= 60; req++ {
		n.r.Step(appendReq(1, session, req, 0, payload(1, req, 64)))
		for n.r.HasReady() {
			rd := n.r.Ready()
			before := st.Stats().Syncs
			if err := st.Persist(c.ctx, rd); err != nil {
				t.Fatal(err)
			}
			want := uint64(0)
			if rd.Checkpoint != nil {
				want++
				sawCkpt = true
			}
			if rd.Superblock != nil {
				want += vsr.SuperblockCopies
				sawSB = true
			}
			if len(rd.Writes) > 0 {
				want += 2
				sawJournal = true
			}
			if got := st.Stats().Syncs - before; got != want {
				t.Fatalf("ready (ckpt %v, sb %v, %d writes): %d syncs, want %d", rd.Checkpoint != nil,
					rd.Superblock != nil, len(rd.Writes), got, want)
			}
			n.r.Advance(rd)
		}
	}
	if !sawCkpt || !sawSB || !sawJournal {
		t.Fatalf("setup: checkpoint %v superblock %v journal %v", sawCkpt, sawSB, sawJournal)
	}
}

// TestOversizedCheckpoint: a checkpoint over the slot is refused before
// anything is written, with an error naming the limit.
func TestOversizedCheckpoint(t *testing.T) {
	c := newTestCluster(t, []string{t.TempDir()})
	st := c.nodes[0].st
	big := make([]byte, st.Config().CheckpointSizeBytesMax+1)
	before := st.Stats()
	err := st.Persist(c.ctx, vsr.Ready{Checkpoint: &vsr.CheckpointWrite{Slot: 1, Op: 48, Data: big}})
	if !errors.Is(err, ErrCheckpointTooLarge) {
		t.Fatalf("oversized checkpoint: %v", err)
	}
	if st.Stats() != before {
		t.Fatal("an oversized checkpoint wrote something")
	}
	p := make([]byte, st.Config().PrepareSizeBytesMax+1)
	err = st.Persist(c.ctx, vsr.Ready{Writes: []vsr.JournalWrite{{Op: 1, Slot: 1, Prepare: p}}})
	if !errors.Is(err, ErrPrepareTooLarge) {
		t.Fatalf("oversized prepare: %v", err)
	}
	err = st.Persist(c.ctx, vsr.Ready{Writes: []vsr.JournalWrite{{Op: 1, Slot: 2, Prepare: p[:200]}}})
	if err == nil {
		t.Fatal("a prepare in the wrong slot was accepted")
	}
}

// TestOldFormatVersion: a file of another layout version is refused by
// Open with a clear error, and Format does not mistake it for an
// unformatted file and overwrite it.
func TestOldFormatVersion(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	_, sc := testConfig(1)
	if err := Format(ctx, dir, sc, 0, testCluster); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, fileName)
	hdr := readRange(t, path, 0, formatBytes)
	binary.LittleEndian.PutUint32(hdr[16:], formatVersion-1)
	binary.LittleEndian.PutUint64(hdr[8:], xxh3.Hash(hdr[16:formatFieldsEnd]))
	writeRange(t, path, 0, hdr)
	if _, _, err := Open(ctx, dir, sc); !errors.Is(err, ErrFormatVersion) {
		t.Fatalf("open of a version %d file: %v", formatVersion-1, err)
	}
	if err := Format(ctx, dir, sc, 0, testCluster); !errors.Is(err, ErrFormatVersion) {
		t.Fatalf("format over a version %d file: %v", formatVersion-1, err)
	}
	if !bytes.Equal(readRange(t, path, 0, formatBytes), hdr) {
		t.Fatal("format rewrote a file of another version")
	}
}
