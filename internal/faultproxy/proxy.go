package faultproxy

import (
	"fmt"
	"net"
	"sync"
	"time"
)

// copyBufferBytes is the forwarding buffer of each direction.
const copyBufferBytes = 64 << 10

// Proxy forwards connections accepted on 127.0.0.1 to a target address.
type Proxy struct {
	ln     net.Listener
	target string

	mu        sync.Mutex
	refuse    bool // a partition: new connections are closed at once
	blackhole bool // read everything, forward nothing, pass on no close
	delay     time.Duration
	closed    bool
	conns     map[net.Conn]struct{}
	wg        sync.WaitGroup
}

// New listens on a free loopback port and forwards to target.
func New(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("faultproxy: %w", err)
	}
	p := &Proxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.serve()
	return p, nil
}

// Addr is where the proxy listens.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Cut closes every connection the proxy carries (both halves); new ones
// are accepted as before.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		_ = c.Close()
	}
}

// Partition cuts every connection and refuses new ones (accepted and
// closed at once) while on; off heals the link.
func (p *Proxy) Partition(on bool) {
	p.mu.Lock()
	p.refuse = on
	p.mu.Unlock()
	if on {
		p.Cut()
	}
}

// SetBlackhole makes the proxy swallow traffic (and closes) while on.
func (p *Proxy) SetBlackhole(on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.blackhole = on
}

// SetDelay holds every forwarded read for d.
func (p *Proxy) SetDelay(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.delay = d
}

// Close stops listening, closes every connection and waits for the
// forwarding goroutines.
func (p *Proxy) Close() {
	_ = p.ln.Close()
	p.mu.Lock()
	p.closed = true
	for c := range p.conns {
		_ = c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

func (p *Proxy) state() (blackhole bool, delay time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.blackhole, p.delay
}

// track registers c unless the proxy refuses connections or is closed.
func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.refuse || p.closed {
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *Proxy) untrack(c net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.conns, c)
}

func (p *Proxy) serve() {
	defer p.wg.Done()
	for {
		down, err := p.ln.Accept()
		if err != nil {
			return
		}
		if !p.track(down) {
			_ = down.Close()
			continue
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil || !p.track(up) {
			p.untrack(down)
			_ = down.Close()
			if up != nil {
				_ = up.Close()
			}
			continue
		}
		p.wg.Add(2)
		go p.pipe(up, down)
		go p.pipe(down, up)
	}
}

// pipe forwards src to dst in the current mode. The end of either
// direction closes both, like a middlebox dropping the flow; a black hole
// does not pass on a close either, so the other end must find out itself.
func (p *Proxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	defer func() {
		_ = src.Close()
		if blackhole, _ := p.state(); !blackhole {
			_ = dst.Close()
		}
		p.untrack(src)
		p.untrack(dst)
	}()
	buf := make([]byte, copyBufferBytes)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			blackhole, delay := p.state()
			if blackhole {
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
