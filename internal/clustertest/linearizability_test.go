package clustertest

import (
	"context"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/runnel-io/runnel/sdk/client"
	"github.com/runnel-io/runnel/sdk/wire"
)

const (
	linClients      = 4
	linOpsPerClient = 100
	linReadPercent  = 30
	linCheckTimeout = 30 * time.Second
)

// linInput is one operation: an append of id, or a read. A strict read was
// served by a node that named itself leader just before and just after
// it, so it must return exactly the state; any other read (a follower
// serves its applied state, which may lag) must return a prefix of it.
type linInput struct {
	read   bool
	strict bool
	id     string
}

// logModel: the state is the partition as ",id1,id2,...".
var logModel = porcupine.Model{
	Init: func() interface{} { return "" },
	Step: func(state, input, output interface{}) (bool, interface{}) {
		s, in := state.(string), input.(linInput)
		if !in.read {
			return true, s + "," + in.id
		}
		got := output.(string)
		if in.strict {
			return got == s, s
		}
		return strings.HasPrefix(s+",", got+","), s
	},
	// Hash lets the checker's cache of visited (linearized set, state)
	// pairs skip most string comparisons.
	Hash: func(state interface{}) uint64 {
		h := fnv.New64a()
		_, _ = h.Write([]byte(state.(string)))
		return h.Sum64()
	},
	DescribeOperation: func(input, output interface{}) string {
		in := input.(linInput)
		if !in.read {
			return "append " + in.id
		}
		return fmt.Sprintf("read(strict=%v) -> %v", in.strict, output)
	},
}

// TestLinearizableAcrossFailover runs appends of unique single-message
// batches and whole-partition reads from linClients clients spread over
// the nodes, kills the primary once in the middle, and checks the history
// with porcupine. An append whose call failed has an unknown outcome: its
// return is the end of the history, so it may or may not have happened.
func TestLinearizableAcrossFailover(t *testing.T) {
	c := newCluster(t)
	c.createTopic()
	begin := time.Now()
	now := func() int64 { return time.Since(begin).Nanoseconds() }

	var (
		mu      sync.Mutex
		history []porcupine.Operation
		done    atomic.Int64
		pending []int // indexes of appends with an unknown outcome
	)
	record := func(op porcupine.Operation, unknown bool) {
		mu.Lock()
		defer mu.Unlock()
		if unknown {
			pending = append(pending, len(history))
		}
		history = append(history, op)
	}
	var wg sync.WaitGroup
	for cl := range linClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(cl), 42))
			w := &linWorker{c: c, start: cl}
			defer w.close()
			for n := range linOpsPerClient {
				in := linInput{read: rng.IntN(100) < linReadPercent, id: fmt.Sprintf("c%d-%03d", cl, n)}
				op, ok, unknown := w.do(in, now)
				done.Add(1)
				if !ok {
					continue // a failed read tells nothing
				}
				op.ClientId = cl
				record(op, unknown)
			}
		}()
	}
	eventually(t, "half the operations", func() bool { return done.Load() >= linClients*linOpsPerClient/2 })
	killed := c.primary()
	c.kill9(killed)
	wg.Wait()

	end := now()
	final := c.waitConverged(t, 0)
	mu.Lock()
	ops := resolveUnknown(history, pending, final, end)
	mu.Unlock()
	strict, reads := 0, 0
	for _, op := range ops {
		if in := op.Input.(linInput); in.read {
			reads++
			if in.strict {
				strict++
			}
		}
	}
	t.Logf("killed primary node-%d mid-run; %d operations checked (%d reads, %d strict; %d appends with unknown outcome, %d of them not in the final log)",
		killed, len(ops), reads, strict, len(pending), len(history)-len(ops))
	res, info := porcupine.CheckOperationsVerbose(logModel, ops, linCheckTimeout)
	switch res {
	case porcupine.Illegal:
		file := t.TempDir() + "/linearizability.html"
		if err := porcupine.VisualizePath(logModel, info, file); err == nil {
			t.Logf("visualization: %s", file)
		}
		t.Fatal("history is not linearizable")
	case porcupine.Unknown:
		t.Logf("porcupine gave up after %v: no violation found", linCheckTimeout)
	}
}

// resolveUnknown narrows the appends whose call failed, which keeps the
// checker's search small: one absent from the final log (every node
// agrees on it) never took effect and is dropped; one present took effect
// before the first read that returned it, so that read's return bounds
// it; any other gets the end of the history. A history linearizable with
// every unknown return at the end is linearizable with these, and the
// converse, so nothing is hidden.
func resolveUnknown(history []porcupine.Operation, pending []int, final []string, end int64) []porcupine.Operation {
	inFinal := map[string]bool{}
	for _, id := range final {
		inFinal[id] = true
	}
	drop := map[int]bool{}
	for _, i := range pending {
		id := history[i].Input.(linInput).id
		if !inFinal[id] {
			drop[i] = true
			continue
		}
		history[i].Return = end
		for _, op := range history {
			if in := op.Input.(linInput); in.read && op.Return < history[i].Return &&
				strings.Contains(op.Output.(string)+",", ","+id+",") {
				history[i].Return = op.Return
			}
		}
	}
	out := make([]porcupine.Operation, 0, len(history))
	for i, op := range history {
		if !drop[i] {
			out = append(out, op)
		}
	}
	return out
}

// linWorker is one client: a connection (with leader redirect) that is
// replaced, trying the next node, after any failed call.
type linWorker struct {
	c     *cluster
	start int
	cli   *client.Client
}

func (w *linWorker) close() {
	if w.cli != nil {
		_ = w.cli.Close()
	}
}

// do runs one operation. ok is false for a read that failed; unknown is
// true for an append that failed (it may still have happened).
func (w *linWorker) do(in linInput, now func() int64) (op porcupine.Operation, ok, unknown bool) {
	if w.cli == nil {
		ctx, cancel := callCtx()
		cli, err := w.c.openAny(ctx, w.start)
		cancel()
		w.start++
		if err != nil {
			if in.read {
				return op, false, false
			}
			// Never sent: record nothing, as if it were never invoked.
			return op, false, false
		}
		w.cli = cli
	}
	ctx, cancel := callCtx()
	defer cancel()
	op.Input, op.Call = in, now()
	if !in.read {
		err := w.cli.SendMessages(ctx, streamID, topicID, wire.ToPartition(0), []wire.Message{{Payload: []byte(in.id)}})
		op.Return = now()
		if err != nil {
			w.drop()
			return op, true, true
		}
		return op, true, false
	}
	leaderBefore := w.servedByLeader(ctx)
	got, err := readPartition(ctx, w.cli)
	leaderAfter := w.servedByLeader(ctx)
	op.Return = now()
	if err != nil {
		w.drop()
		return op, false, false
	}
	in.strict = leaderBefore && leaderAfter
	op.Input = in
	var b strings.Builder
	for _, p := range got {
		b.WriteString(",")
		b.WriteString(p)
	}
	op.Output = b.String()
	return op, true, false
}

// servedByLeader: the node this connection reached names itself leader.
func (w *linWorker) servedByLeader(ctx context.Context) bool {
	meta, err := w.cli.GetClusterMetadata(ctx)
	if err != nil {
		return false
	}
	l := w.c.leaderIn(meta)
	return l >= 0 && w.c.tcpAddr[l] == w.cli.Addr()
}

func (w *linWorker) drop() {
	_ = w.cli.Close()
	w.cli = nil
}
