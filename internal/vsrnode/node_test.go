package vsrnode

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/runnel-io/runnel/core/vsr"
	"github.com/runnel-io/runnel/internal/vsrstore"
)

func TestOpenFormatsAndServes(t *testing.T) {
	dir := t.TempDir()
	n := startNode(t, testConfig(dir), vsr.NewMemoryMachine(), Hooks{})
	waitServing(t, n.Node)
	st := n.State()
	if !st.Serving || st.Status != vsr.StatusNormal || st.Primary != 0 || st.Replica != 0 {
		t.Fatalf("state %+v", st)
	}
	rep, res := submitAppend(t, n.Node, 0, payload(1, 2, 3, 100))
	if res.FirstOffset != 0 || res.Count != 1 || rep.Op == 0 {
		t.Fatalf("reply %+v result %+v", rep, res)
	}
	if got := n.State(); got.CommitMin < rep.Op {
		t.Fatalf("state %+v after op %d", got, rep.Op)
	}
}

// TestConcurrentSubmit: many submitters, every reply's offset distinct and
// contiguous per partition, and group commit (fewer persists than requests).
func TestConcurrentSubmit(t *testing.T) {
	const workers, each, parts = 8, 200, 3
	sm := vsr.NewMemoryMachine()
	n := startNode(t, testConfig(t.TempDir()), sm, Hooks{})
	waitServing(t, n.Node)
	var mu sync.Mutex
	offsets := make(map[uint32][]uint64)
	ops := make(map[uint64]bool)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				part := uint32((w + i) % parts)
				rep, res := submitAppend(t, n.Node, part, payload(uint32(w), 0, uint64(i), 64))
				mu.Lock()
				offsets[part] = append(offsets[part], res.FirstOffset)
				if ops[rep.Op] {
					t.Errorf("op %d replied twice", rep.Op)
				}
				ops[rep.Op] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	total := 0
	for part, offs := range offsets {
		slices.Sort(offs)
		for i, o := range offs {
			if o != uint64(i) {
				t.Fatalf("partition %d: offsets %v... not contiguous at %d", part, offs[:min(len(offs), 10)], i)
			}
		}
		total += len(offs)
	}
	if total != workers*each {
		t.Fatalf("%d replies, want %d", total, workers*each)
	}
	st := n.Stats()
	t.Logf("stats %+v", st)
	if st.Persists >= st.Requests || st.Replies != st.Requests || st.Checkpoints == 0 {
		t.Fatalf("no group commit or lost replies: %+v", st)
	}
	if err := n.stop(); err != nil {
		t.Fatal(err)
	}
	if sm.Applied() != workers*each {
		t.Fatalf("machine applied %d ops, want %d", sm.Applied(), workers*each)
	}
}

// TestRestart: state survives Close and Open, across many checkpoints.
func TestRestart(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(dir)
	var digest vsr.Checksum
	var applied uint64
	for round := range 3 {
		sm := vsr.NewMemoryMachine()
		n := startNode(t, cfg, sm, Hooks{})
		waitServing(t, n.Node)
		rr := n.RestartReport()
		if round > 0 && rr.CheckpointOp == 0 {
			t.Fatalf("round %d: restart found no checkpoint: %+v", round, rr)
		}
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Go(func() {
				for i := range 40 + round*7 {
					submitAppend(t, n.Node, uint32(w), payload(uint32(round), uint32(w), uint64(i), 200))
				}
			})
		}
		wg.Wait()
		if err := n.stop(); err != nil {
			t.Fatal(err)
		}
		if round > 0 && n.Stats().Checkpoints == 0 {
			t.Fatalf("round %d: no checkpoint", round)
		}
		digest, applied = sm.Digest(), sm.Applied()

		sm2 := vsr.NewMemoryMachine()
		n2 := startNode(t, cfg, sm2, Hooks{})
		waitServing(t, n2.Node)
		if err := n2.stop(); err != nil {
			t.Fatal(err)
		}
		if sm2.Digest() != digest || sm2.Applied() != applied {
			t.Fatalf("round %d: after restart %d ops digest %x, before %d ops digest %x",
				round, sm2.Applied(), sm2.Digest(), applied, digest)
		}
	}
}

// TestBeforeCheckpoint: the hook runs for each checkpoint, with its op,
// before the superblock referencing it is durable.
func TestBeforeCheckpoint(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(dir)
	var got []uint64
	hook := func(ctx context.Context, op uint64) error {
		st, rec, err := vsrstore.Open(ctx, dir, cfg.withDefaults().storeConfig())
		if err != nil {
			return err
		}
		defer st.Close()
		if durable := rec.Superblock.CheckpointOp; durable >= op {
			return fmt.Errorf("checkpoint %d already durable at hook of op %d", durable, op)
		}
		got = append(got, op)
		return nil
	}
	n := startNode(t, cfg, vsr.NewMemoryMachine(), Hooks{BeforeCheckpoint: hook})
	waitServing(t, n.Node)
	for i := range 3*testCheckpointInterval + 5 {
		submitAppend(t, n.Node, 0, payload(0, 0, uint64(i), 50))
	}
	if err := n.stop(); err != nil {
		t.Fatal(err)
	}
	if len(got) < 3 || uint64(len(got)) != n.Stats().Checkpoints {
		t.Fatalf("hook ops %v, %d checkpoints", got, n.Stats().Checkpoints)
	}
	for i, op := range got {
		if op != uint64(i+1)*testCheckpointInterval {
			t.Fatalf("hook ops %v", got)
		}
	}
}

func TestBeforeCheckpointErrorStopsRun(t *testing.T) {
	boom := errors.New("boom")
	n := startNode(t, testConfig(t.TempDir()), vsr.NewMemoryMachine(), Hooks{
		BeforeCheckpoint: func(context.Context, uint64) error { return boom }})
	waitServing(t, n.Node)
	var closed atomic.Int64
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				_, err := n.Submit(context.Background(), vsr.OperationAppend, appendBody(0, payload(0, uint32(w), uint64(i), 50)))
				if errors.Is(err, ErrClosed) {
					closed.Add(1)
					return
				}
				if err != nil {
					t.Errorf("submit: %v", err)
					return
				}
			}
		})
	}
	err := <-n.done
	n.done <- err // for stop
	if !errors.Is(err, boom) {
		t.Fatalf("Run returned %v, want %v", err, boom)
	}
	wg.Wait()
	if closed.Load() != 4 {
		t.Fatalf("%d submitters saw ErrClosed", closed.Load())
	}
	if _, err := n.Submit(context.Background(), vsr.OperationAppend, appendBody(0, nil)); !errors.Is(err, ErrClosed) {
		t.Fatalf("submit after Run: %v", err)
	}
}

// TestTimeout: a request whose Apply stalls times out, its session is
// discarded, and the late reply does not reach the next request.
func TestTimeout(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.SessionsMax = 1
	cfg.RequestTimeout = 50 * time.Millisecond
	sm := newGateMachine()
	n := startNode(t, cfg, sm, Hooks{})
	waitServing(t, n.Node)
	if _, res := submitAppend(t, n.Node, 0, payload(0, 0, 0, 10)); res.FirstOffset != 0 {
		t.Fatalf("first append at %d", res.FirstOffset)
	}
	sm.block(true)
	_, err := n.Submit(context.Background(), vsr.OperationAppend, appendBody(0, payload(0, 0, 1, 10)))
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("submit with a stalled machine: %v", err)
	}
	<-sm.entered
	sm.block(false)
	close(sm.gate) // the stalled op executes at offset 1; its reply is late
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		rep, err := n.Submit(ctx, vsr.OperationAppend, appendBody(0, payload(0, 0, 2, 10)))
		if errors.Is(err, ErrTimeout) {
			continue // the loop may still be catching up on a slow machine
		}
		if err != nil {
			t.Fatal(err)
		}
		res, _ := vsr.DecodeAppendResult(rep.Body)
		if res.FirstOffset != 2 {
			t.Fatalf("append after a timeout got offset %d (the late reply?), want 2", res.FirstOffset)
		}
		break
	}
	if st := n.Stats(); st.Timeouts == 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestSubmitCallerContext(t *testing.T) {
	cfg := testConfig(t.TempDir())
	sm := newGateMachine()
	n := startNode(t, cfg, sm, Hooks{})
	waitServing(t, n.Node)
	sm.block(true)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := n.Submit(ctx, vsr.OperationAppend, appendBody(0, payload(0, 0, 0, 10)))
		errc <- err
	}()
	<-sm.entered
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled submit: %v", err)
	}
	sm.block(false)
	close(sm.gate)
	if st := n.Stats(); st.Timeouts != 0 {
		t.Fatalf("a cancellation counted as timeout: %+v", st)
	}
}

// TestPendingSubmitGetsErrClosed: a request queued when the loop ends.
func TestPendingSubmitGetsErrClosed(t *testing.T) {
	n, err := Open(context.Background(), testConfig(t.TempDir()), vsr.NewMemoryMachine(), Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		_, err := n.Submit(context.Background(), vsr.OperationAppend, appendBody(0, nil))
		errc <- err
	}()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := n.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; !errors.Is(err, ErrClosed) {
		t.Fatalf("pending submit: %v", err)
	}
	if err := n.WaitServing(context.Background()); err != nil && !errors.Is(err, ErrClosed) {
		t.Fatal(err)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestSubmitRejects(t *testing.T) {
	n := startNode(t, testConfig(t.TempDir()), vsr.NewMemoryMachine(), Hooks{})
	if _, err := n.Submit(context.Background(), vsr.OperationRegister, nil); err == nil {
		t.Fatal("register accepted")
	}
	if _, err := n.Submit(context.Background(), vsr.OperationAppend, make([]byte, 32<<10)); !errors.Is(err, ErrBodyTooLarge) {
		t.Fatalf("oversized body: %v", err)
	}
}

func TestOpenRefusesOtherLayout(t *testing.T) {
	dir := t.TempDir()
	n, err := Open(context.Background(), testConfig(dir), vsr.NewMemoryMachine(), Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(dir)
	cfg.JournalSlots = 128
	if _, err := Open(context.Background(), cfg, vsr.NewMemoryMachine(), Hooks{}); !errors.Is(err, vsrstore.ErrLayout) {
		t.Fatalf("open with another layout: %v", err)
	}
}

// TestEvictedSessionRegistersAgain: a reply with ReplyEvicted makes the
// session register again and resend; the caller sees one execution.
func TestEvictedSessionRegistersAgain(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.SessionsMax = 1
	sm := vsr.NewMemoryMachine()
	n := startNode(t, cfg, sm, Hooks{})
	waitServing(t, n.Node)
	submitAppend(t, n.Node, 0, payload(0, 0, 0, 10))
	s := <-n.pool
	s.number += 1000 // a session the replica does not know: as if evicted
	n.pool <- s
	_, res := submitAppend(t, n.Node, 0, payload(0, 0, 1, 10))
	if res.FirstOffset != 1 {
		t.Fatalf("append after eviction at offset %d", res.FirstOffset)
	}
	if st := n.Stats(); st.Evictions != 1 {
		t.Fatalf("stats %+v", st)
	}
	if err := n.stop(); err != nil {
		t.Fatal(err)
	}
	if sm.Applied() != 2 {
		t.Fatalf("%d ops applied, want 2", sm.Applied())
	}
}

// TestResend: a request the replica dropped (here: never stepped) is
// stepped again by the loop and answered.
func TestResend(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.ResendInterval = cfg.withDefaults().TickInterval
	n, err := Open(context.Background(), cfg, vsr.NewMemoryMachine(), Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	c := &call{msg: &vsr.Message{Command: vsr.CmdRequest, Client: 99, Operation: vsr.OperationRegister},
		done: make(chan *vsr.Message, 1)}
	n.pending[99] = c // before Run: the loop owns pending from then on
	rn := run(t, n)
	rep := <-c.done
	if rep.Status != vsr.ReplyOK || len(rep.Body) != 8 {
		t.Fatalf("reply %+v", rep)
	}
	if st := rn.Stats(); st.Resends == 0 {
		t.Fatalf("stats %+v", st)
	}
}
