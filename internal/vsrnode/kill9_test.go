package vsrnode

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"

	"github.com/runnel-io/runnel/core/vsr"
	"github.com/runnel-io/runnel/internal/testchild"
)

// The kill -9 test re-executes this test binary as a child that runs a
// node on a directory with several submitters, printing one line per
// acknowledged append. The parent kills it with SIGKILL mid-stream, reopens
// the directory and checks that every acknowledged append is there exactly
// once, at the offset its reply gave.
const (
	envKill9Dir         = "VSRNODE_TEST_KILL9_DIR"
	envKill9Incarnation = "VSRNODE_TEST_KILL9_INCARNATION"
	kill9Workers        = 6
	kill9Parts          = 3
	kill9OpsMax         = 20000 // the child stops by itself if nobody kills it
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(envKill9Dir); dir != "" {
		os.Exit(kill9Child(dir, os.Getenv(envKill9Incarnation)))
	}
	os.Exit(m.Run())
}

// kill9BodySize varies prepare sizes (100 B .. ~24 KiB) so kills land in
// writes of every length.
func kill9BodySize(worker, seq uint64) int { return 100 + int((worker*131+seq*977)%24000) }

func kill9Child(dir, incarnation string) int {
	inc, err := strconv.ParseUint(incarnation, 10, 32)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n, err := Open(ctx, testConfig(dir), vsr.NewMemoryMachine(), Hooks{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	runErr := make(chan error, 1)
	go func() { runErr <- n.Run(ctx) }()
	if err := n.WaitServing(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	var mu sync.Mutex
	out := bufio.NewWriterSize(os.Stdout, 256)
	failed := make(chan error, kill9Workers)
	var wg sync.WaitGroup
	for w := range uint64(kill9Workers) {
		wg.Go(func() {
			for seq := range uint64(kill9OpsMax / kill9Workers) {
				part := uint32((w + seq) % kill9Parts)
				rep, err := n.Submit(ctx, vsr.OperationAppend,
					appendBody(part, payload(uint32(inc), uint32(w), seq, kill9BodySize(w, seq))))
				if err != nil {
					failed <- err
					return
				}
				res, err := vsr.DecodeAppendResult(rep.Body)
				if err != nil || res.Code != vsr.CodeOK {
					failed <- fmt.Errorf("append reply %+v %v", res, err)
					return
				}
				// One write per line: a line the parent reads whole was
				// printed after the reply, so after its Persist.
				mu.Lock()
				fmt.Fprintf(out, "ack %d %d %d %d %d %d\n", inc, w, seq, part, res.FirstOffset, rep.Op)
				err = out.Flush()
				mu.Unlock()
				if err != nil {
					failed <- err
					return
				}
			}
		})
	}
	wg.Wait()
	cancel()
	select {
	case err := <-failed:
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	default:
	}
	if err := <-runErr; err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	return 0
}

type kill9Ack struct {
	inc, worker, seq uint64
	part             uint32
	offset, op       uint64
}

func (a kill9Ack) key() [16]byte {
	var k [16]byte
	binary.LittleEndian.PutUint32(k[:], uint32(a.inc))
	binary.LittleEndian.PutUint32(k[4:], uint32(a.worker))
	binary.LittleEndian.PutUint64(k[8:], a.seq)
	return k
}

// runKill9Round starts a child on dir and kills it after killAfter acks.
func runKill9Round(t *testing.T, dir string, inc, killAfter int) []kill9Ack {
	t.Helper()
	var acks []kill9Ack
	stderr := testchild.Run(t, []string{envKill9Dir + "=" + dir, envKill9Incarnation + "=" + strconv.Itoa(inc)},
		func(c *testchild.Child, line string) {
			var a kill9Ack
			if _, err := fmt.Sscanf(line, "ack %d %d %d %d %d %d", &a.inc, &a.worker, &a.seq, &a.part, &a.offset, &a.op); err != nil {
				return
			}
			acks = append(acks, a)
			if len(acks) == killAfter {
				c.Kill()
			}
		})
	if len(acks) < killAfter {
		t.Fatalf("child ended after %d acks: %s", len(acks), stderr)
	}
	return acks
}

func TestKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns child processes")
	}
	dir := t.TempDir()
	var acked []kill9Ack
	for inc, killAfter := range []int{37, 250, 1, 500, 120} {
		acked = append(acked, runKill9Round(t, dir, inc, killAfter)...)
		checkAcked(t, dir, acked)
	}
}

// checkAcked reopens dir and checks that every acknowledged append is
// present exactly once, at its acknowledged offset, and no append twice.
func checkAcked(t *testing.T, dir string, acked []kill9Ack) {
	t.Helper()
	sm := vsr.NewMemoryMachine()
	n := startNode(t, testConfig(dir), sm, Hooks{})
	waitServing(t, n.Node)
	if err := n.stop(); err != nil {
		t.Fatal(err)
	}
	type place struct {
		part   uint32
		offset uint64
	}
	seen := make(map[[16]byte]place)
	for part := range uint32(kill9Parts) {
		for off, b := range sm.Batches(vsr.PartitionRef{Partition: part}) {
			k := [16]byte(b[:16])
			if p, dup := seen[k]; dup {
				t.Fatalf("append %x twice: partition %d offsets %d and %d", k, part, p.offset, off)
			}
			seen[k] = place{part, uint64(off)}
		}
	}
	for _, a := range acked {
		p, ok := seen[a.key()]
		if !ok {
			t.Fatalf("acknowledged append %+v lost (%d acks, %d appends durable)", a, len(acked), len(seen))
		}
		if p.part != a.part || p.offset != a.offset {
			t.Fatalf("acknowledged append %+v found at partition %d offset %d", a, p.part, p.offset)
		}
	}
	t.Logf("%d acks, %d appends durable, restart %+v", len(acked), len(seen), n.RestartReport())
}
