package vsr_test

import (
	"testing"

	"github.com/runnel-io/runnel/core/vsr"
)

// smallJournal wraps after 16 ops and checkpoints every 8.
func smallJournal(n int) vsr.Config {
	return vsr.Config{Cluster: 1, ReplicaCount: n, PipelineMax: 4, JournalSlots: 16, CheckpointInterval: 8}
}

// A single replica wraps its journal several times; a restart restores the
// checkpoint and replays only the journal suffix.
func TestJournalWrapAndRestartFromCheckpoint(t *testing.T) {
	c := newClusterConfig(t, smallJournal(1))
	s := c.register(0, 9)
	for i := range uint64(50) {
		if off := c.appendOK(0, 9, s, i+1); off != i {
			t.Fatalf("append %d at offset %d", i+1, off)
		}
	}
	n := c.nodes[0]
	if len(n.journal) > 16 {
		t.Fatalf("journal holds %d slots, want at most 16", len(n.journal))
	}
	if ck := n.r.CheckpointOp(); ck != 48 {
		t.Fatalf("checkpoint at op %d, want 48", ck)
	}
	digest := n.sm.Digest()
	c.crash(0)
	c.restart(0)
	if got := c.nodes[0].r.CommitMin(); got != 51 {
		t.Fatalf("restart executed up to op %d, want 51 (checkpoint 48 + replay of 49..51)", got)
	}
	if rep := c.nodes[0].r.RestartReport(); rep.CheckpointOp != 48 || rep.Kept != 3 || rep.Head != 51 {
		t.Fatalf("restart report %+v, want checkpoint 48, head 51, 3 ops kept", rep)
	}
	if c.nodes[0].sm.Digest() != digest {
		t.Fatal("state after restart differs")
	}
	c.tickUntil(100, "back to normal", func() bool { return c.nodes[0].r.Status() == vsr.StatusNormal })
	if off := c.appendOK(0, 9, s, 51); off != 50 {
		t.Fatalf("offset after restart %d, want 50", off)
	}
	// The client table came back from the checkpoint: a retry of an old
	// request is not executed again.
	c.send(0, appendRequest(9, s, 51, 0, 51))
	if c.nodes[0].sm.Applied() != 51 {
		t.Fatalf("applied %d after a retry, want 51", c.nodes[0].sm.Applied())
	}
}

// A replica cut off while the others wrap their journals cannot be
// repaired from any journal: it installs a checkpoint by state transfer,
// in chunks, then catches up by repair.
func TestStateTransferToLaggingReplica(t *testing.T) {
	cfg := smallJournal(3)
	cfg.SyncChunkBytes = 64 // several chunks per checkpoint
	c := newClusterConfig(t, cfg)
	s := c.register(0, 7)
	c.tick(5)
	c.isolate(2, true)
	for i := range uint64(60) {
		c.appendOK(0, 7, s, i+1)
	}
	if h := c.nodes[2].r.Head(); h > 2 {
		t.Fatalf("isolated replica got ops: head %d", h)
	}
	c.isolate(2, false)
	c.tickUntil(2000, "lagging replica catches up", c.converged)
	if len(c.synced) == 0 {
		t.Fatal("caught up without state transfer, but the ops it lacked were overwritten everywhere")
	}
	if a := c.nodes[2].sm.Applied(); a != 60 {
		t.Fatalf("lagging replica's state holds %d appends, want 60", a)
	}
	if off := c.appendOK(0, 7, s, 61); off != 60 {
		t.Fatalf("offset %d, want 60", off)
	}
	c.tickUntil(200, "converged again", c.converged)
}

func TestConfigRejectsJournalWithoutSlack(t *testing.T) {
	cfg := vsr.Config{ReplicaCount: 3, PipelineMax: 8, JournalSlots: 16, CheckpointInterval: 8}
	if err := cfg.WithDefaults().Validate(); err == nil {
		t.Fatal("interval 8 + 2×pipeline 8 > 16 slots accepted")
	}
}

// Restart reports what it found: kept, faulty, torn, stale and
// misdirected records of a wrapped journal.
func TestRestartReport(t *testing.T) {
	c := newClusterConfig(t, smallJournal(1))
	s := c.register(0, 9)
	for i := range uint64(50) {
		c.appendOK(0, 9, s, i+1)
	}
	if got := c.nodes[0].r.RestartReport(); got != (vsr.RestartReport{}) {
		t.Fatalf("report of a new replica: %+v", got)
	}
	c.crash(0)
	j := c.nodes[0].journal // ops 36..51 in slots 4..15, 0..3; checkpoint at 48
	if len(j) != 16 {
		t.Fatalf("journal holds %d slots, want 16", len(j))
	}
	faulty := j[51%16]
	faulty.Prepare = append([]byte(nil), faulty.Prepare...)
	faulty.Prepare[vsr.HeaderSize] ^= 1 // body unreadable, redundant header intact
	j[51%16] = faulty
	torn := j[50%16]
	torn.Prepare = append([]byte(nil), torn.Prepare...)
	torn.Prepare[0] ^= 1 // header checksum of the prepare fails
	torn.Header = nil    // the redundant header never landed
	j[50%16] = torn
	misdirected := j[5]
	misdirected.Slot = 6 // slot 5's record read back from slot 6
	j[6] = misdirected
	c.restart(0)
	want := vsr.RestartReport{CheckpointOp: 48, Head: 51, Kept: 1, Faulty: 1, Torn: 1,
		Stale: 12, Misdirected: 1}
	if got := c.nodes[0].r.RestartReport(); got != want {
		t.Fatalf("report %+v, want %+v", got, want)
	}
}
