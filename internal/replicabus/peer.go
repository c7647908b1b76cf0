package replicabus

import (
	"sync"
)

// peer is the bus's state for one other replica: its queue, counters and
// current connection (nil when down).
type peer struct {
	id       int
	addr     string
	q        *queue
	counters peerCounters

	mu  sync.Mutex
	cur *conn
	// changed is closed (and replaced) whenever cur changes.
	changed chan struct{}
}

func newPeer(id int, addr string, cfg *Config) *peer {
	return &peer{id: id, addr: addr, q: newQueue(cfg.QueueFramesMax, cfg.QueueBytesMax),
		changed: make(chan struct{})}
}

func (p *peer) connected() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cur != nil
}

// attach makes c the peer's connection. The previous one is closed and
// waited for, so only one writer drains the queue at a time (FIFO holds
// across reconnects).
func (p *peer) attach(c *conn) {
	p.mu.Lock()
	old := p.cur
	p.cur = c
	p.notifyLocked()
	p.mu.Unlock()
	p.counters.connects.Add(1)
	if old != nil {
		old.shut(errReplaced)
		<-old.exited
	}
}

// detach forgets c if it is still the current connection.
func (p *peer) detach(c *conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cur == c {
		p.cur = nil
		p.notifyLocked()
	}
}

func (p *peer) notifyLocked() {
	close(p.changed)
	p.changed = make(chan struct{})
}

// state returns whether the peer is connected and a channel closed on the
// next change.
func (p *peer) state() (bool, <-chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cur != nil, p.changed
}
