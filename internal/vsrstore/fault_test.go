package vsrstore

import (
	"bytes"
	"errors"
	"testing"

	"github.com/runnel-io/runnel/core/vsr"
)

// crashedWithCheckpoint runs one replica past a checkpoint and crashes it.
func crashedWithCheckpoint(t *testing.T) (*cluster, []acked) {
	t.Helper()
	c := newTestCluster(t, []string{t.TempDir()})
	want := runAppends(c, 1, 1, 70, 100)
	if c.nodes[0].r.CheckpointOp() == 0 {
		t.Fatal("setup: no checkpoint")
	}
	c.crash(0)
	return c, want
}

func (c *cluster) path(i int) string { return c.nodes[i].dir + "/" + fileName }

func (c *cluster) layout() layout { return layoutOf(c.sc.withDefaults()) }

// TestSuperblockCopyCorrupt: one damaged copy is outvoted, rewritten by
// Open, and the replica restarts with everything.
func TestSuperblockCopyCorrupt(t *testing.T) {
	for copyIdx := range vsr.SuperblockCopies {
		c, want := crashedWithCheckpoint(t)
		lay := c.layout()
		flipByte(t, c.path(0), lay.superblockOffset(copyIdx)+superblockFrameBytes+40)
		c.start(0)
		if got := c.nodes[0].rec.SuperblockRepairs; got != 1 {
			t.Fatalf("copy %d damaged: %d repairs, want 1", copyIdx, got)
		}
		good := (copyIdx + 1) % vsr.SuperblockCopies
		area := func(i int) []byte { return readRange(t, c.path(0), lay.superblockOffset(i), superblockCopyBytes) }
		if !bytes.Equal(area(copyIdx)[:2300], area(good)[:2300]) {
			t.Fatalf("copy %d not repaired", copyIdx)
		}
		c.settle(2000, "normal", c.normal)
		checkAcked(t, c.nodes[0].sm, want)
		c.crash(0)
	}
}

// TestSuperblockQuorumLost: with three of four copies damaged no version
// has a quorum and the replica must not start (it could forget a view it
// voted in).
func TestSuperblockQuorumLost(t *testing.T) {
	c, _ := crashedWithCheckpoint(t)
	lay := c.layout()
	for i := range 3 {
		flipByte(t, c.path(0), lay.superblockOffset(i)+superblockFrameBytes+17)
	}
	if _, _, err := Open(c.ctx, c.nodes[0].dir, c.sc); !errors.Is(err, vsr.ErrSuperblockQuorum) {
		t.Fatalf("open with one readable copy: %v", err)
	}
}

// TestCheckpointCorrupt: a damaged checkpoint is a clear error at Open; a
// damaged byte in the other (unreferenced) slot is not.
func TestCheckpointCorrupt(t *testing.T) {
	c, want := crashedWithCheckpoint(t)
	st, rec, err := Open(c.ctx, c.nodes[0].dir, c.sc)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	sb := rec.Superblock
	lay := c.layout()
	other := lay.checkpointOffset(1 - sb.CheckpointSlot)
	flipByte(t, c.path(0), other+int64(sb.CheckpointSize)/2)
	c.start(0)
	c.settle(2000, "normal", c.normal)
	checkAcked(t, c.nodes[0].sm, want)
	c.crash(0)

	flipByte(t, c.path(0), lay.checkpointOffset(sb.CheckpointSlot)+int64(sb.CheckpointSize)/2)
	_, _, err = Open(c.ctx, c.nodes[0].dir, c.sc)
	if !errors.Is(err, ErrCheckpointCorrupt) {
		t.Fatalf("open with a corrupt checkpoint: %v", err)
	}
	t.Log(err)
}

// pendingWrite submits one more append and returns the Ready that would
// persist it, without persisting it: the test then plays the crash.
func pendingWrite(t *testing.T, c *cluster, client, session, req uint64) vsr.JournalWrite {
	t.Helper()
	n := c.nodes[0]
	n.r.Step(appendReq(client, session, req, 0, payload(client, req, 3000)))
	rd := n.r.Ready()
	if len(rd.Writes) != 1 {
		t.Fatalf("ready with %d writes", len(rd.Writes))
	}
	return rd.Writes[0]
}

// TestTornTail: a crash in the middle of the last prepare (torn: a prefix
// landed, or a prefix and garbage) or before its header: the op was never
// acknowledged. Torn, it is dropped and its op number reused; whole but
// headerless, it is kept. Either way the replica of one goes on: a torn
// tail is never mistaken for a faulty (possibly acknowledged) slot, which
// a cluster of one could not repair.
func TestTornTail(t *testing.T) {
	cases := []struct {
		name string
		tear func(w vsr.JournalWrite) []byte
		kept bool
	}{
		{"prefix", func(w vsr.JournalWrite) []byte { return w.Prepare[:len(w.Prepare)/2] }, false},
		{"garbage", func(w vsr.JournalWrite) []byte {
			b := bytes.Clone(w.Prepare)
			for i := len(b) / 3; i < len(b); i++ {
				b[i] ^= 0xa5
			}
			return b
		}, false},
		{"header-only-sector", func(w vsr.JournalWrite) []byte { return w.Prepare[:vsr.HeaderSize] }, false},
		{"no-redundant-header", func(w vsr.JournalWrite) []byte { return w.Prepare }, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newTestCluster(t, []string{t.TempDir()})
			want := runAppends(c, 1, 1, 20, 100)
			session := c.register(1)
			w := pendingWrite(t, c, 1, session, 21)
			writeRange(t, c.path(0), c.layout().prepareOffset(w.Slot), tc.tear(w))
			c.crash(0)
			c.start(0)
			n := c.nodes[0]
			if rep := n.r.RestartReport(); rep.Faulty != 0 || (rep.Torn == 1) == tc.kept {
				t.Fatalf("restart report %+v: want no faulty op and torn=%v", rep, !tc.kept)
			}
			c.settle(2000, "normal after a torn tail", c.normal)
			if got, keep := n.r.CommitMin() == w.Op, tc.kept; got != keep {
				t.Fatalf("op %d kept=%v (commit %d, head %d), want kept=%v", w.Op, got, n.r.CommitMin(), n.r.Head(), keep)
			}
			checkAcked(t, n.sm, want)
			// And it keeps accepting requests.
			res := c.append(1, session, 22, 1, payload(1, 22, 10))
			if res.Code != vsr.CodeOK {
				t.Fatalf("append after restart: %+v", res)
			}
		})
	}
}

// TestCorruptSlotSingleReplica: rot in an acknowledged op's prepare (its
// redundant header intact) makes the slot faulty — the op may have been
// acknowledged, so a replica of one must neither drop it nor reuse its op
// number: it stops short of it (no peer to repair from).
func TestCorruptSlotSingleReplica(t *testing.T) {
	c := newTestCluster(t, []string{t.TempDir()})
	want := runAppends(c, 1, 1, 60, 100)
	n := c.nodes[0]
	ckpt, head := n.r.CheckpointOp(), n.r.Head()
	if head <= ckpt+2 {
		t.Fatalf("setup: head %d checkpoint %d", head, ckpt)
	}
	victim := head - 1
	c.crash(0)
	slot := victim % c.layout().slots
	flipByte(t, c.path(0), c.layout().prepareOffset(slot)+vsr.HeaderSize+5)
	c.start(0)
	n = c.nodes[0]
	if rep := n.r.RestartReport(); rep.Faulty != 1 || rep.Torn != 0 {
		t.Fatalf("restart report %+v: want exactly the faulty op %d", rep, victim)
	}
	for range 500 {
		n.r.Tick()
		c.flush(0)
	}
	if n.r.CommitMin() >= victim {
		t.Fatalf("executed past faulty op %d (commit %d)", victim, n.r.CommitMin())
	}
	if op, _, ok := n.r.FirstMissing(); !ok || op != victim {
		t.Fatalf("first missing op %d %v, want the faulty op %d", op, ok, victim)
	}
	checkAcked(t, n.sm, want[:len(want)-3])
}

// TestCorruptSlotRepairedFromPeers: in a cluster of three, rot in one
// replica's journal slot is detected at restart as faulty, repaired from
// the peers, and rewritten on disk: the slot reads back intact.
func TestCorruptSlotRepairedFromPeers(t *testing.T) {
	c := newTestCluster(t, []string{t.TempDir(), t.TempDir(), t.TempDir()})
	want := runAppends(c, 1, 1, 30, 300)
	backup := 1
	if c.primary().r.Index() == backup {
		backup = 2
	}
	b := c.nodes[backup]
	head := b.r.Head()
	c.crash(backup)
	lay := c.layout()
	var slots []uint64
	for op := head - 4; op <= head-2; op++ {
		slots = append(slots, op%lay.slots)
		flipByte(t, c.path(backup), lay.prepareOffset(op%lay.slots)+vsr.HeaderSize+17)
	}
	c.start(backup)
	b = c.nodes[backup]
	if op, _, ok := b.r.FirstMissing(); !ok || op > head-4 {
		t.Fatalf("restart missed the corrupt ops: first missing %d %v", op, ok)
	}
	c.settle(3000, "corrupt ops repaired", func() bool {
		_, _, missing := b.r.FirstMissing()
		return c.normal() && !missing && b.r.CommitMin() >= head
	})
	// On disk: the repaired slots hold the primary's bytes again.
	p := c.primary()
	for _, slot := range slots {
		size := int(lay.prepareSlotBytes)
		got := readRange(t, c.path(backup), lay.prepareOffset(slot), size)
		ref := readRange(t, c.path(p.r.Index()), lay.prepareOffset(slot), size)
		if _, err := vsr.DecodePrepare(got[:len(trimPrepare(t, ref))]); err != nil || !bytes.Equal(got, ref) {
			t.Fatalf("slot %d not repaired on disk: %v", slot, err)
		}
	}
	checkAcked(t, b.sm, want)
	if b.sm.Digest() != p.sm.Digest() {
		t.Fatal("repaired replica's state differs from the primary's")
	}
}

// trimPrepare cuts a prepare slot's bytes to the prepare's length.
func trimPrepare(t *testing.T, slot []byte) []byte {
	t.Helper()
	_, size, ok := vsr.PrepareSize(slot)
	if !ok {
		t.Fatal("prepare header does not verify")
	}
	return slot[:size]
}

// TestSuperblockTornWrite plays a crash during each copy of a superblock
// write (copies land one at a time, the one in flight torn): Open must
// find the old version while fewer than two new copies are durable, the
// new one afterwards, and leave all four copies agreeing.
func TestSuperblockTornWrite(t *testing.T) {
	c, _ := crashedWithCheckpoint(t)
	st, rec, err := Open(c.ctx, c.nodes[0].dir, c.sc)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	old := rec.Superblock
	next := old
	next.Seq, next.View = old.Seq+1, old.View+1
	data := next.Encode()
	lay := c.layout()
	dir, areaBytes := c.nodes[0].dir, vsr.SuperblockCopies*superblockCopyBytes
	original := readRange(t, c.path(0), lay.superblockAt, areaBytes)
	for torn := range vsr.SuperblockCopies {
		writeRange(t, c.path(0), lay.superblockAt, original)
		for i := range torn {
			writeRange(t, dir+"/"+fileName, lay.superblockOffset(i), appendSuperblockFrame(nil, data))
		}
		// Torn: the first sectors landed, the rest is garbage (a clean
		// prefix alone would complete the copy: only its head differs).
		tornCopy := appendSuperblockFrame(nil, data)
		for i := len(tornCopy) / 2; i < len(tornCopy); i++ {
			tornCopy[i] ^= 0x3c
		}
		writeRange(t, dir+"/"+fileName, lay.superblockOffset(torn), tornCopy)
		st, rec, err := Open(c.ctx, dir, c.sc)
		if err != nil {
			t.Fatalf("torn copy %d: %v", torn, err)
		}
		want := old.Seq
		if torn >= vsr.SuperblockQuorum {
			want = next.Seq
		}
		if rec.Superblock.Seq != want {
			t.Fatalf("torn copy %d: opened seq %d, want %d", torn, rec.Superblock.Seq, want)
		}
		st.Close()
		if _, rec, err = Open(c.ctx, dir, c.sc); err != nil || rec.SuperblockRepairs != 0 {
			t.Fatalf("torn copy %d: second open repaired %d copies (%v)", torn, rec.SuperblockRepairs, err)
		}
	}
}
