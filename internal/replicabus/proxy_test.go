package replicabus

import (
	"testing"
	"time"

	"github.com/runnel-io/runnel/internal/faultproxy"
)

// newFaultProxy starts a faultproxy in front of target for the test.
func newFaultProxy(t *testing.T, target string) *faultproxy.Proxy {
	t.Helper()
	p, err := faultproxy.New(target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// TestProxyFaults runs replica 0 → proxy → replica 1 through a cut, a
// delay and a black hole, and checks reconnect and resumed delivery in
// both directions after each.
func TestProxyFaults(t *testing.T) {
	ln0, ln1 := listen(t), listen(t)
	proxy := newFaultProxy(t, ln1.Addr().String())
	logs := []*logBuf{{}, {}}
	cfg0 := fastConfig(0, []string{ln0.Addr().String(), proxy.Addr()}) // 0 dials 1 via the proxy
	cfg0.Listener, cfg0.Logger = ln0, logs[0].logger()
	cfg1 := fastConfig(1, []string{ln0.Addr().String(), ln1.Addr().String()})
	cfg1.Listener, cfg1.Logger = ln1, logs[1].logger()
	b0, b1 := startBus(t, cfg0), startBus(t, cfg1)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("replica 0:\n%s\nreplica 1:\n%s", logs[0], logs[1])
		}
	})
	both := func(tag string) {
		exchangeRetry(t, b0, b1, tag)
		exchangeRetry(t, b1, b0, tag)
	}
	both("initial")
	connects := func() uint64 { return b0.Stats().Peers[1].Connects }

	proxy.Cut()
	waitFor(t, "reconnect after cut", func() bool { return connects() >= 2 }, nil)
	both("after cut")

	proxy.SetDelay(30 * time.Millisecond)
	both("delayed")
	proxy.SetDelay(0)

	before := connects()
	proxy.SetBlackhole(true)
	// Pings stop arriving, so both ends declare the connection dead.
	waitLog(t, logs[0], ErrIdle.Error())
	waitLog(t, logs[1], ErrIdle.Error())
	waitFor(t, "handshake attempts into the black hole", func() bool { return b0.Stats().HandshakeFailures >= 1 }, nil)
	proxy.SetBlackhole(false)
	waitFor(t, "reconnect after black hole", func() bool { return connects() > before }, nil)
	both("after black hole")

	if r := b0.Stats().Peers[1].Reconnects; r < 2 {
		t.Fatalf("reconnects %d, want ≥ 2", r)
	}
	if r := b1.Stats().Peers[0].Reconnects; r < 2 {
		t.Fatalf("acceptor reconnects %d, want ≥ 2", r)
	}
}
