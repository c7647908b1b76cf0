package vsrstore

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/runnel-io/runnel/core/vsr"
	"github.com/runnel-io/runnel/internal/testchild"
)

// The kill -9 test re-executes this test binary as a child that runs a
// replica on a directory and streams appends, printing one line per
// acknowledged append (after the Persist that released the reply). The
// parent kills it with SIGKILL at varied moments, then reopens the
// directory and checks that every acknowledged append survived.
const (
	envKill9Dir         = "VSRSTORE_KILL9_DIR"
	envKill9Incarnation = "VSRSTORE_KILL9_INCARNATION"
	kill9Rounds         = 14
	kill9Clients        = 4
	kill9OpsMax         = 20000 // the child stops by itself if nobody kills it
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(envKill9Dir); dir != "" {
		os.Exit(kill9Child(dir, os.Getenv(envKill9Incarnation)))
	}
	os.Exit(m.Run())
}

// childTB lets the test harness run outside a test: a failure ends the
// child with status 2 (the parent then fails). Embedding testing.TB only
// satisfies its unexported method; everything the harness calls is here.
type childTB struct{ testing.TB }

func (childTB) Helper() {}
func (childTB) Fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "child: "+format+"\n", args...)
	os.Exit(2)
}
func (c childTB) Fatal(args ...any) { c.Fatalf("%s", fmt.Sprint(args...)) }

// kill9BodySize varies prepare sizes (100 B .. ~24 KiB) so kills land in
// writes of every length.
func kill9BodySize(client, req uint64) int { return 100 + int((client*131+req*977)%24000) }

func kill9Child(dir, incarnation string) int {
	inc, err := strconv.ParseUint(incarnation, 10, 32)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	vc, sc := testConfig(1)
	c := &cluster{t: childTB{}, ctx: context.Background(), vc: vc, sc: sc, replies: map[uint64]*vsr.Message{}}
	c.nodes = []*node{{dir: dir}}
	c.start(0)
	out := bufio.NewWriterSize(os.Stdout, 256)
	sessions := make(map[uint64]uint64, kill9Clients)
	next := make(map[uint64]uint64, kill9Clients)
	var done []*vsr.Message
	c.onReply = func(m *vsr.Message) { done = append(done, m) }
	for k := range uint64(kill9Clients) {
		id := inc<<16 | k
		sessions[id] = c.register(id)
	}
	done = nil
	n := c.nodes[0]
	submit := func(client uint64) {
		next[client]++
		req := next[client]
		n.r.Step(appendReq(client, sessions[client], req, uint32(client%3), payload(client, req, kill9BodySize(client, req))))
		c.flush(0)
	}
	for client := range sessions {
		submit(client)
	}
	for ops := 0; ops < kill9OpsMax; {
		if len(done) == 0 {
			n.r.Tick() // nothing came back: let timers run
			c.flush(0)
			continue
		}
		m := done[0]
		done = done[1:]
		res, err := vsr.DecodeAppendResult(m.Body)
		if err != nil || res.Code != vsr.CodeOK {
			c.t.Fatalf("append reply %+v %v", res, err)
		}
		// One write per line: a line the parent reads whole was printed
		// after the reply's Persist returned.
		fmt.Fprintf(out, "ack %d %d %d %d\n", m.Client, m.Request, res.FirstOffset, m.Op)
		if err := out.Flush(); err != nil {
			return 2
		}
		ops++
		submit(m.Client)
	}
	return 0
}

// ack is one acknowledged append read from the child.
type ack struct{ client, req, offset, op uint64 }

func parseAck(line string) (ack, bool) {
	var a ack
	_, err := fmt.Sscanf(line, "ack %d %d %d %d", &a.client, &a.req, &a.offset, &a.op)
	return a, err == nil
}

// runKill9Round starts a child on dir, kills it after killAfter acks (or
// after delay when killAfter < 0) and returns every ack it printed.
func runKill9Round(t *testing.T, dir string, inc int, killAfter int, delay time.Duration) []ack {
	t.Helper()
	var acks []ack
	testchild.Run(t, []string{envKill9Dir + "=" + dir, envKill9Incarnation + "=" + strconv.Itoa(inc)},
		func(c *testchild.Child, line string) {
			if a, ok := parseAck(line); ok {
				acks = append(acks, a)
			}
			switch {
			case len(acks) == killAfter:
				c.Kill()
			case len(acks) == 1 && killAfter < 0:
				// Timed kill, counted from the first ack: the stream is running.
				c.KillAfter(delay)
			}
		})
	return acks
}

// TestKill9 kills a real child process in the middle of a stream of
// persisted writes, many times with different timing, and checks after
// each kill: no acknowledged (Persist-ed, Advance-d, replied) append is
// lost; a torn tail is torn — never a slot whose redundant header names
// an op its prepare does not hold (which core/vsr would have to treat as
// possibly acknowledged); the replica of one restarts, becomes normal and
// executes every op it holds.
func TestKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary")
	}
	dir := t.TempDir()
	vc, sc := testConfig(1)
	if err := Format(context.Background(), dir, sc, 0, testCluster); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 9))
	var all []ack
	var tornTotal, headerlessTotal int
	for round := 1; round <= kill9Rounds; round++ {
		killAfter, delay := rng.IntN(120), time.Duration(0)
		if round%3 == 0 {
			killAfter, delay = -1, time.Duration(rng.IntN(20_000))*time.Microsecond
		}
		acks := runKill9Round(t, dir, round, killAfter, delay)
		all = append(all, acks...)
		torn, headerless := checkAfterKill(t, dir, vc, sc, all)
		tornTotal, headerlessTotal = tornTotal+torn, headerlessTotal+headerless
		t.Logf("round %d: kill after %d acks / %v: %d acked (total %d); restart found %d torn prepares, %d prepares without header",
			round, killAfter, delay, len(acks), len(all), torn, headerless)
	}
	t.Logf("kills left %d torn prepares and %d prepares without their header", tornTotal, headerlessTotal)
	if len(all) < kill9Rounds*10 {
		t.Fatalf("only %d appends acknowledged in %d rounds", len(all), kill9Rounds)
	}
}

func checkAfterKill(t *testing.T, dir string, vc vsr.Config, sc Config, acks []ack) (torn, headerless int) {
	t.Helper()
	c := &cluster{t: t, ctx: context.Background(), vc: vc, sc: sc, replies: map[uint64]*vsr.Message{}}
	c.nodes = []*node{{dir: dir}}
	c.start(0)
	defer c.crash(0)
	n := c.nodes[0]
	torn, headerless = checkTornNotFaulty(t, n)
	c.settle(2000, "normal after kill -9", c.normal)
	if op, _, missing := n.r.FirstMissing(); missing {
		t.Fatalf("op %d missing after kill -9: a slot was read as faulty", op)
	}
	for _, a := range acks {
		if a.op > n.r.CommitMin() {
			t.Fatalf("acknowledged op %d beyond the restarted commit %d", a.op, n.r.CommitMin())
		}
		batches := n.sm.Batches(vsr.PartitionRef{Partition: uint32(a.client % 3)})
		want := payload(a.client, a.req, kill9BodySize(a.client, a.req))
		if a.offset >= uint64(len(batches)) || !bytes.Equal(batches[a.offset], want) {
			t.Fatalf("acknowledged append (client %x request %d, offset %d, op %d) lost", a.client, a.req, a.offset, a.op)
		}
	}
	return torn, headerless
}

// checkTornNotFaulty: after a process crash every unreadable prepare is a
// torn (or never-written) one: restart found no op whose redundant header
// names it over an unreadable prepare (the header is written only after
// the prepare is durable).
// It counts torn prepares and readable prepares whose header never landed.
func checkTornNotFaulty(t *testing.T, n *node) (torn, headerless int) {
	t.Helper()
	rep := n.r.RestartReport()
	if rep.Faulty != 0 || rep.Misdirected != 0 {
		t.Fatalf("restart after kill -9: %+v (faulty ops: a header over an unreadable prepare)", rep)
	}
	for _, r := range n.rec.Records {
		if _, err := vsr.DecodePrepare(r.Prepare); err == nil && !bytes.Equal(r.Header, r.Prepare[:vsr.HeaderSize]) {
			headerless++
		}
	}
	return rep.Torn, headerless
}
