package vsrnode

import (
	"context"
	"encoding/binary"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/runnel-io/runnel/core/vsr"
)

const testCluster = 7

// testConfig is small enough that runs wrap the 64-slot journal and
// checkpoint many times (every 48 ops).
func testConfig(dir string) Config {
	return Config{Dir: dir, Cluster: testCluster, JournalSlots: 64, PrepareSizeBytesMax: 32 << 10,
		CheckpointSizeBytesMax: 16 << 20, SessionsMax: 16}
}

const testCheckpointInterval = 64 - 2*8

// running is a node whose loop runs in a goroutine.
type running struct {
	*Node
	cancel context.CancelFunc
	done   chan error
}

func startNode(t testing.TB, cfg Config, sm vsr.StateMachine, hooks Hooks) *running {
	t.Helper()
	n, err := Open(context.Background(), cfg, sm, hooks)
	if err != nil {
		t.Fatal(err)
	}
	return run(t, n)
}

func run(t testing.TB, n *Node) *running {
	ctx, cancel := context.WithCancel(context.Background())
	rn := &running{Node: n, cancel: cancel, done: make(chan error, 1)}
	go func() { rn.done <- n.Run(ctx) }()
	t.Cleanup(func() { rn.stop() })
	return rn
}

// stop ends the loop, closes the node and returns Run's error.
func (rn *running) stop() error {
	if rn.cancel == nil {
		return nil
	}
	rn.cancel()
	rn.cancel = nil
	err := <-rn.done
	return errors.Join(err, rn.Close())
}

func waitServing(t testing.TB, n *Node) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := n.WaitServing(ctx); err != nil {
		t.Fatalf("wait serving: %v (state %+v)", err, n.State())
	}
}

// appendBody is a one-message append of payload to partition part.
func appendBody(part uint32, payload []byte) []byte {
	return vsr.EncodeAppend(vsr.AppendOp{PartitionRef: vsr.PartitionRef{Partition: part}, Count: 1, Frames: payload})
}

// payload is a recognisable body of size bytes: key in the first 16.
func payload(a, b uint32, seq uint64, size int) []byte {
	p := make([]byte, max(size, 16))
	binary.LittleEndian.PutUint32(p, a)
	binary.LittleEndian.PutUint32(p[4:], b)
	binary.LittleEndian.PutUint64(p[8:], seq)
	for i := 16; i < len(p); i++ {
		p[i] = byte(uint64(a)*31 + seq*7 + uint64(i))
	}
	return p
}

func submitAppend(t testing.TB, n *Node, part uint32, p []byte) (Reply, vsr.AppendResult) {
	t.Helper()
	rep, err := n.Submit(context.Background(), vsr.OperationAppend, appendBody(part, p))
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	res, err := vsr.DecodeAppendResult(rep.Body)
	if err != nil || res.Code != vsr.CodeOK {
		t.Fatalf("append result %+v %v", res, err)
	}
	return rep, res
}

// gateMachine is a MemoryMachine whose Apply waits for the gate while
// blocked is set (Apply runs on the loop: this stalls the loop).
type gateMachine struct {
	*vsr.MemoryMachine
	mu      sync.Mutex
	blocked bool
	gate    chan struct{}
	entered chan struct{}
}

func newGateMachine() *gateMachine {
	return &gateMachine{MemoryMachine: vsr.NewMemoryMachine(), gate: make(chan struct{}), entered: make(chan struct{}, 1)}
}

func (g *gateMachine) block(on bool) {
	g.mu.Lock()
	g.blocked = on
	g.mu.Unlock()
}

func (g *gateMachine) Apply(op, ts uint64, operation vsr.Operation, body []byte) []byte {
	g.mu.Lock()
	blocked := g.blocked
	g.mu.Unlock()
	if blocked {
		select {
		case g.entered <- struct{}{}:
		default:
		}
		<-g.gate
	}
	return g.MemoryMachine.Apply(op, ts, operation, body)
}
