package clustertest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/runnel-io/runnel/internal/faultproxy"
	"github.com/runnel-io/runnel/internal/testserver"
	"github.com/runnel-io/runnel/sdk/client"
	"github.com/runnel-io/runnel/sdk/wire"
)

// serverBinary is built once per test process by TestMain.
var serverBinary string

func TestMain(m *testing.M) {
	testserver.Main(m, map[string]*string{"cmd/runnel-server": &serverBinary})
}

const (
	replicaCount = 3
	// callTimeout bounds one client call: a call that outlives it has an
	// unknown outcome, like one cut by a failover.
	callTimeout = 3 * time.Second
	// waitTimeout bounds waits for the cluster to settle (elections,
	// catch-up after a heal or restart).
	waitTimeout = 45 * time.Second
)

// cluster is three runnel-server processes whose replica links all pass
// through proxies owned by the test.
type cluster struct {
	t       testing.TB
	dir     string
	busAddr []string              // real bus listen address of each node
	tcpAddr []string              // client address of each node
	proxies [][]*faultproxy.Proxy // proxies[i][j]: node i's link to replica j
	nodes   []*testserver.Server
	args    [][]string
	env     [][]string

	mu    sync.Mutex
	down  []bool
	admin []*client.Client // per node, no redirect; nil until first used
}

// newCluster formats and starts a cluster of replicaCount nodes. extraEnv
// goes to every node.
func newCluster(t testing.TB, extraEnv ...string) *cluster {
	t.Helper()
	c := &cluster{t: t, dir: t.TempDir(), down: make([]bool, replicaCount), admin: make([]*client.Client, replicaCount)}
	for range replicaCount {
		c.busAddr = append(c.busAddr, freeAddr(t))
		c.tcpAddr = append(c.tcpAddr, freeAddr(t))
	}
	c.proxies = make([][]*faultproxy.Proxy, replicaCount)
	for i := range replicaCount {
		c.proxies[i] = make([]*faultproxy.Proxy, replicaCount)
		for j := range replicaCount {
			if i != j {
				p, err := faultproxy.New(c.busAddr[j])
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(p.Close)
				c.proxies[i][j] = p
			}
		}
	}
	key := randomHex(t, 24)
	for i := range replicaCount {
		file := filepath.Join(c.dir, fmt.Sprintf("node-%d.toml", i))
		if err := os.WriteFile(file, []byte(c.config(i, key)), 0o600); err != nil {
			t.Fatal(err)
		}
		c.args = append(c.args, []string{"--config", file})
		c.env = append(c.env, append([]string{
			"RUNNEL_CLUSTER_REPLICA=" + strconv.Itoa(i),
			"RUNNEL_SYSTEM_PATH=" + c.path(i),
			"RUNNEL_TCP_ADDRESS=" + c.tcpAddr[i],
		}, extraEnv...))
		c.format(i)
	}
	c.startAll()
	t.Cleanup(c.closeAdmins)
	t.Cleanup(func() {
		if t.Failed() {
			for i, n := range c.nodes {
				if n == nil {
					continue
				}
				t.Logf("node-%d output (tail; whole in %s):\n%s", i, keepOutput(t, i, n.Output()), tail(n.Output(), 40))
			}
		}
	})
	c.primary() // an elected primary before any scenario starts
	return c
}

// startAll starts every node at once: a fresh node creates the root user
// through the cluster before it listens, which needs a quorum.
func (c *cluster) startAll() {
	c.t.Helper()
	c.nodes = make([]*testserver.Server, replicaCount)
	var wg sync.WaitGroup
	for i := range replicaCount {
		wg.Add(1)
		go func() {
			defer wg.Done() // also when StartArgs fails the test and exits this goroutine
			c.nodes[i] = testserver.StartArgs(c.t, serverBinary, c.args[i], c.env[i]...)
		}()
	}
	wg.Wait()
	if c.t.Failed() {
		c.t.FailNow()
	}
}

// config is node i's file: the shared [cluster] and [root], and a roster
// where every other replica's bus address is i's proxy to it.
func (c *cluster) config(i int, key string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[root]\nusername = %q\npassword = %q\n", testserver.RootUser, testserver.RootPassword)
	fmt.Fprintf(&b, "[cluster]\nmode = \"vsr\"\nid = 7\nkey = %q\nrequest_timeout = \"5s\"\n", key)
	for j := range replicaCount {
		bus := c.busAddr[j]
		if j != i {
			bus = c.proxies[i][j].Addr()
		}
		fmt.Fprintf(&b, "[[cluster.replicas]]\nname = \"node-%d\"\nbus_address = %q\ntcp_address = %q\n", j, bus, c.tcpAddr[j])
	}
	return b.String()
}

func (c *cluster) path(i int) string { return filepath.Join(c.dir, fmt.Sprintf("node-%d", i)) }

// format creates node i's journal with `runnel-server format`.
func (c *cluster) format(i int) { c.formatWith(i, "format") }

// recoverFormat creates node i's journal with `runnel-server recover`,
// for a node whose data was lost.
func (c *cluster) recoverFormat(i int) { c.formatWith(i, "recover") }

func (c *cluster) formatWith(i int, command string) {
	c.t.Helper()
	cmd := exec.Command(serverBinary, append([]string{command}, c.args[i]...)...)
	cmd.Env = append(os.Environ(), c.env[i]...)
	if out, err := cmd.CombinedOutput(); err != nil {
		c.t.Fatalf("%s node-%d: %v\n%s", command, i, err, out)
	}
}

// kill9 kills node i with SIGKILL.
func (c *cluster) kill9(i int) {
	c.t.Helper()
	c.mu.Lock()
	c.down[i] = true
	c.mu.Unlock()
	c.nodes[i].Kill9()
}

// restart starts node i again on its data (after kill9 or not).
func (c *cluster) restart(i int) {
	c.t.Helper()
	c.nodes[i].Restart()
	c.mu.Lock()
	c.down[i] = false
	c.mu.Unlock()
}

func (c *cluster) isDown(i int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.down[i]
}

// partition cuts every link to and from node i; heal restores them.
func (c *cluster) partition(i int) { c.setCut(i, true) }
func (c *cluster) heal(i int)      { c.setCut(i, false) }

func (c *cluster) setCut(i int, cut bool) {
	for j := range replicaCount {
		if j != i {
			c.proxies[i][j].Partition(cut)
			c.proxies[j][i].Partition(cut)
		}
	}
}

// adminClient is a logged-in client pinned to node i (no redirect). It
// reconnects by itself after a restart.
func (c *cluster) adminClient(ctx context.Context, i int) (*client.Client, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.admin[i] != nil {
		return c.admin[i], nil
	}
	cli, err := client.Open(ctx, c.url(i), client.WithoutLeaderRedirect(), client.WithReconnect(1, 50*time.Millisecond))
	if err != nil {
		return nil, err
	}
	c.admin[i] = cli
	return cli, nil
}

func (c *cluster) closeAdmins() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, cli := range c.admin {
		if cli != nil {
			_ = cli.Close()
		}
	}
}

func (c *cluster) url(i int) string {
	return fmt.Sprintf("runnel://%s:%s@%s", testserver.RootUser, testserver.RootPassword, c.tcpAddr[i])
}

// leaderSeenBy is the node that node i's cluster metadata names as leader.
func (c *cluster) leaderSeenBy(ctx context.Context, i int) (int, error) {
	cli, err := c.adminClient(ctx, i)
	if err != nil {
		return -1, err
	}
	meta, err := cli.GetClusterMetadata(ctx)
	if err != nil {
		return -1, err
	}
	return c.leaderIn(meta), nil
}

// leaderIn maps the leader of meta to a node index (-1: none).
func (c *cluster) leaderIn(meta wire.ClusterMetadata) int {
	for _, n := range meta.Nodes {
		if n.Role != wire.NodeLeader {
			continue
		}
		addr := net.JoinHostPort(n.IP, strconv.Itoa(int(n.TCPPort)))
		for j, a := range c.tcpAddr {
			if a == addr {
				return j
			}
		}
	}
	return -1
}

// primary waits until every running node names the same running node as
// leader and returns it.
func (c *cluster) primary() int {
	c.t.Helper()
	p := -1
	eventually(c.t, "an agreed primary", func() bool {
		p = c.agreedPrimary(nil)
		return p >= 0
	})
	return p
}

// primaryExcept is primary among the nodes not in skip (for example a
// partitioned one, whose own view is stale).
func (c *cluster) primaryExcept(skip ...int) int {
	c.t.Helper()
	p := -1
	eventually(c.t, "an agreed primary", func() bool {
		p = c.agreedPrimary(skip)
		return p >= 0
	})
	return p
}

func (c *cluster) agreedPrimary(skip []int) int {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	agreed := -1
	for i := range replicaCount {
		if c.isDown(i) || contains(skip, i) {
			continue
		}
		l, err := c.leaderSeenBy(ctx, i)
		if err != nil || l < 0 || c.isDown(l) || contains(skip, l) || (agreed >= 0 && l != agreed) {
			return -1
		}
		agreed = l
	}
	return agreed
}

func contains(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// openAny opens a client (with leader redirect) on the first node of
// start, start+1, ... that accepts a login.
func (c *cluster) openAny(ctx context.Context, start int, opts ...client.Option) (*client.Client, error) {
	var errs []error
	for k := range replicaCount {
		i := (start + k) % replicaCount
		cli, err := client.Open(ctx, c.url(i), append([]client.Option{client.WithReconnect(0, 0)}, opts...)...)
		if err == nil {
			return cli, nil
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}

// eventually polls cond every 20 ms until it holds or waitTimeout passes.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	eventuallyWhy(t, what, func() (bool, string) { return cond(), "" })
}

// eventuallyWhy is eventually whose condition says why it does not hold
// yet; the last reason goes into the failure.
func eventuallyWhy(t testing.TB, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		ok, why := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s (last: %s)", what, why)
		}
		time.Sleep(20 * time.Millisecond) // polling interval, not a wait for an event
	}
}

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func randomHex(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// keepOutput saves a failed test's node output outside t.TempDir (which
// is removed) and returns the file, or why it could not.
func keepOutput(t testing.TB, i int, out string) string {
	f, err := os.CreateTemp("", fmt.Sprintf("clustertest-%s-node-%d-*.log", strings.ReplaceAll(t.Name(), "/", "_"), i))
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	if _, err := f.WriteString(out); err != nil {
		return err.Error()
	}
	return f.Name()
}

func tail(s string, lines int) string {
	parts := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(parts) > lines {
		parts = parts[len(parts)-lines:]
	}
	return strings.Join(parts, "\n")
}

func mustNoErr(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func callCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), callTimeout)
}
