package replicabus

import (
	"net"
	"sync"
	"testing"
	"time"
)

type proxyMode int

const (
	modePass      proxyMode = iota
	modeBlackhole           // accept and read everything, forward nothing
)

// faultProxy is a TCP proxy between two buses that can cut every
// connection, delay forwarding, or black-hole traffic.
type faultProxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	mode  proxyMode
	delay time.Duration
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

func newFaultProxy(t *testing.T, target string) *faultProxy {
	p := &faultProxy{ln: listen(t), target: target, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(p.close)
	return p
}

func (p *faultProxy) addr() string { return p.ln.Addr().String() }

func (p *faultProxy) set(mode proxyMode, delay time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mode, p.delay = mode, delay
}

func (p *faultProxy) state() (proxyMode, time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.mode, p.delay
}

// cut closes every proxied connection (both halves).
func (p *faultProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		_ = c.Close()
	}
}

func (p *faultProxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conns == nil {
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *faultProxy) close() {
	_ = p.ln.Close()
	p.cut()
	p.mu.Lock()
	p.conns = nil
	p.mu.Unlock()
	p.wg.Wait()
}

func (p *faultProxy) serve() {
	defer p.wg.Done()
	for {
		down, err := p.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = down.Close()
			continue
		}
		if !p.track(down) || !p.track(up) {
			_ = down.Close()
			_ = up.Close()
			return
		}
		p.wg.Add(2)
		go p.pipe(up, down)
		go p.pipe(down, up)
	}
}

// pipe forwards src to dst subject to the current mode. Closing one side
// closes the other, like a dying middlebox.
func (p *faultProxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	defer src.Close()
	defer func() {
		// A black hole does not pass on a close either: the other end
		// must find out by itself.
		if mode, _ := p.state(); mode != modeBlackhole {
			_ = dst.Close()
		}
	}()
	buf := make([]byte, 64<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			mode, delay := p.state()
			if mode == modeBlackhole {
				continue
			}
			if delay > 0 {
				time.Sleep(delay) // injected latency, not a wait for an event
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return // EOF, reset or closed: end this direction
		}
	}
}

// TestProxyFaults runs replica 0 → proxy → replica 1 through a cut, a
// delay and a black hole, and checks reconnect and resumed delivery in
// both directions after each.
func TestProxyFaults(t *testing.T) {
	ln0, ln1 := listen(t), listen(t)
	proxy := newFaultProxy(t, ln1.Addr().String())
	logs := []*logBuf{{}, {}}
	cfg0 := fastConfig(0, []string{ln0.Addr().String(), proxy.addr()}) // 0 dials 1 via the proxy
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

	proxy.cut()
	waitFor(t, "reconnect after cut", func() bool { return connects() >= 2 }, nil)
	both("after cut")

	proxy.set(modePass, 30*time.Millisecond)
	both("delayed")
	proxy.set(modePass, 0)

	before := connects()
	proxy.set(modeBlackhole, 0)
	// Pings stop arriving, so both ends declare the connection dead.
	waitLog(t, logs[0], ErrIdle.Error())
	waitLog(t, logs[1], ErrIdle.Error())
	waitFor(t, "handshake attempts into the black hole", func() bool { return b0.Stats().HandshakeFailures >= 1 }, nil)
	proxy.set(modePass, 0)
	waitFor(t, "reconnect after black hole", func() bool { return connects() > before }, nil)
	both("after black hole")

	if r := b0.Stats().Peers[1].Reconnects; r < 2 {
		t.Fatalf("reconnects %d, want ≥ 2", r)
	}
	if r := b1.Stats().Peers[0].Reconnects; r < 2 {
		t.Fatalf("acceptor reconnects %d, want ≥ 2", r)
	}
}
