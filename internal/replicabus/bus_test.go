package replicabus

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

func TestAllDirections(t *testing.T) {
	const perPair = 200
	buses, _, _ := cluster(t, 3, nil)
	// Sent before any connection exists: queued, delivered after connect.
	for _, a := range buses {
		for _, b := range buses {
			if a == b {
				continue
			}
			for k := range perPair {
				body := fmt.Sprintf("%d->%d #%d", a.cfg.Replica, b.cfg.Replica, k)
				if err := a.Send(b.cfg.Replica, []byte(body)); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	for _, b := range buses {
		next := map[int]int{}
		for _, m := range recvN(t, b, 2*perPair) {
			want := fmt.Sprintf("%d->%d #%d", m.From, b.cfg.Replica, next[m.From])
			if string(m.Body) != want {
				t.Fatalf("replica %d got %q, want %q (per-sender FIFO)", b.cfg.Replica, m.Body, want)
			}
			next[m.From]++
		}
	}
	for _, b := range buses {
		s := b.Stats()
		for id, p := range s.Peers {
			if id == b.cfg.Replica {
				continue
			}
			// The sender counts after its write returns, which may be
			// after the receiver has the frames.
			waitFor(t, "send counters", func() bool { return b.Stats().Peers[id].FramesSent == perPair },
				func() string { return fmt.Sprintf("%+v", b.Stats().Peers[id]) })
			p = b.Stats().Peers[id]
			if p.FramesReceived != perPair || !p.Connected || p.DroppedFrames != 0 || p.LostFrames != 0 {
				t.Fatalf("replica %d peer %d stats %+v", b.cfg.Replica, id, p)
			}
			if p.BytesSent == 0 || p.BytesReceived == 0 {
				t.Fatalf("byte counters not moving: %+v", p)
			}
		}
	}
}

func TestPeerRestart(t *testing.T) {
	buses, logs, roster := cluster(t, 3, nil)
	t.Cleanup(func() {
		if t.Failed() {
			for i, l := range logs {
				t.Logf("replica %d log:\n%s", i, l)
			}
		}
	})
	for _, a := range buses {
		for _, b := range buses {
			if a != b {
				exchange(t, a, b, "before")
			}
		}
	}
	if err := buses[1].Close(); err != nil {
		t.Fatal(err)
	}
	if err := buses[1].Close(); err != nil { // idempotent
		t.Fatal(err)
	}
	if err := buses[1].Send(0, []byte("x")); !errors.Is(err, ErrClosed) {
		t.Fatalf("send after close: %v", err)
	}
	// Same address, no pre-bound listener: the bus listens itself.
	cfg := fastConfig(1, roster)
	cfg.Logger = logs[1].logger()
	buses[1] = startBus(t, cfg)
	for _, a := range buses {
		for _, b := range buses {
			if a != b {
				exchangeRetry(t, a, b, "after")
			}
		}
	}
	for _, id := range []int{0, 2} {
		if p := buses[id].Stats().Peers[1]; p.Reconnects < 1 {
			t.Fatalf("replica %d sees no reconnect of replica 1: %+v", id, p)
		}
	}
}

func TestStrangerRefused(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*Config)
		want   error
	}{
		{"wrong key", func(c *Config) { c.Key = []byte("another-key-of-16-bytes") }, ErrWrongKey},
		{"wrong cluster", func(c *Config) { c.Cluster = ClusterIDFromUint64(43) }, ErrWrongCluster},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ln0, ln1 := listen(t), listen(t)
			roster := []string{ln0.Addr().String(), ln1.Addr().String()}
			realLog, strangerLog := &logBuf{}, &logBuf{}
			cfg := fastConfig(1, roster)
			cfg.Listener, cfg.Logger = ln1, realLog.logger()
			real := startBus(t, cfg)
			cfg = fastConfig(0, roster) // the stranger dials
			cfg.Listener, cfg.Logger = ln0, strangerLog.logger()
			tc.mutate(&cfg)
			stranger := startBus(t, cfg)
			if err := stranger.Send(1, []byte("let me in")); err != nil {
				t.Fatal(err)
			}
			// Both sides log the precise reason, and the stranger keeps failing.
			waitLog(t, realLog, "handshake refused", tc.want.Error())
			waitLog(t, strangerLog, "handshake failed", tc.want.Error())
			waitFor(t, "repeated refusals", func() bool { return real.Stats().HandshakeFailures >= 3 }, nil)
			if p := real.Stats().Peers[0]; p.Connects != 0 || p.FramesReceived != 0 {
				t.Fatalf("stranger got through: %+v", p)
			}
			select {
			case m := <-real.Inbox():
				t.Fatalf("delivered from stranger: %q", m.Body)
			default:
			}
		})
	}
}

// TestHelloRefusals checks the acceptor's answers to hellos that name the
// wrong replicas, over a raw socket.
func TestHelloRefusals(t *testing.T) {
	buses, logs, roster := cluster(t, 3, nil)
	for _, tc := range []struct {
		name     string
		from, to uint16
		want     error
	}{
		{"outside roster", 7, 1, ErrUnknownReplica},
		{"addressed to another replica", 0, 2, ErrUnknownReplica},
		{"higher id dialing", 2, 1, ErrWrongDirection},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nc, err := net.Dial("tcp", roster[1])
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			_ = nc.SetDeadline(time.Now().Add(waitTimeout))
			hello := hsRecord{step: stepHello, cluster: buses[1].cfg.Cluster, from: tc.from, to: tc.to}
			if err := writeRecord(nc, hello); err != nil {
				t.Fatal(err)
			}
			ch, err := readRecord(nc, stepChallenge)
			if err != nil {
				t.Fatal(err)
			}
			if !errors.Is(ch.status.err(), tc.want) {
				t.Fatalf("status %d, want %v", ch.status, tc.want)
			}
			waitLog(t, logs[1], tc.want.Error())
		})
	}
	exchange(t, buses[0], buses[1], "still serving")
}

// rawPeer authenticates to bus as replica `as` over a raw socket.
func rawPeer(t *testing.T, b *Bus, addr string, as uint16) net.Conn {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(waitTimeout))
	p := hsParams{cluster: b.cfg.Cluster, key: testKey, me: as, n: len(b.cfg.Roster)}
	if err := dialHandshake(nc, p, uint16(b.cfg.Replica)); err != nil {
		t.Fatal(err)
	}
	return nc
}

// waitClosed reads until the bus closes nc.
func waitClosed(t *testing.T, nc net.Conn) {
	t.Helper()
	buf := make([]byte, 512)
	for {
		if _, err := nc.Read(buf); err != nil {
			if errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "timeout") {
				t.Fatalf("bus did not close the connection: %v", err)
			}
			return
		}
	}
}

func TestBadBytes(t *testing.T) {
	// Replica 0 is played by the test; 1 and 2 are real and keep talking.
	buses, logs, roster := clusterWithout(t, 3, 0, nil)
	b1, b2 := buses[1], buses[2]
	exchange(t, b1, b2, "warm")

	t.Run("garbage before handshake", func(t *testing.T) {
		nc, err := net.Dial("tcp", roster[2])
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		_ = nc.SetDeadline(time.Now().Add(waitTimeout))
		if _, err := nc.Write([]byte(strings.Repeat("GET / HTTP/1.1\r\n", 8))); err != nil {
			t.Fatal(err)
		}
		waitClosed(t, nc)
		waitLog(t, logs[2], "handshake refused", "malformed handshake: magic")
		exchange(t, b1, b2, "after garbage")
	})
	t.Run("oversized length", func(t *testing.T) {
		nc := rawPeer(t, b2, roster[2], 0)
		hdr := validFrame(b2.cfg.Cluster, 0, 2, nil)
		putU32(hdr[28:32], uint32(b2.cfg.FrameBodyBytesMax+1))
		if _, err := nc.Write(hdr); err != nil {
			t.Fatal(err)
		}
		waitClosed(t, nc)
		waitLog(t, logs[2], fmt.Sprintf("body of %d bytes exceeds %d", b2.cfg.FrameBodyBytesMax+1, b2.cfg.FrameBodyBytesMax))
		exchange(t, b1, b2, "after oversized")
	})
	t.Run("bad checksum", func(t *testing.T) {
		nc := rawPeer(t, b2, roster[2], 0)
		f := validFrame(b2.cfg.Cluster, 0, 2, []byte("tampered body"))
		f[len(f)-1] ^= 1
		if _, err := nc.Write(f); err != nil {
			t.Fatal(err)
		}
		waitClosed(t, nc)
		waitLog(t, logs[2], "checksum mismatch")
		exchange(t, b1, b2, "after checksum")
	})
	t.Run("forged sender", func(t *testing.T) {
		nc := rawPeer(t, b2, roster[2], 0)
		if _, err := nc.Write(validFrame(b2.cfg.Cluster, 1, 2, []byte("i am 1"))); err != nil {
			t.Fatal(err)
		}
		waitClosed(t, nc)
		waitLog(t, logs[2], "sender 1 on the connection of replica 0")
		exchange(t, b1, b2, "after forged")
	})
	if p := b2.Stats().Peers[0]; p.BadFrames != 3 || p.FramesReceived != 0 {
		t.Fatalf("peer 0 stats %+v", p)
	}
	select {
	case m := <-b2.Inbox():
		t.Fatalf("bad frame delivered: %+v", m)
	default:
	}
}

func TestSendErrors(t *testing.T) {
	buses, _, _ := cluster(t, 2, func(c *Config) { c.FrameBodyBytesMax = 1024 })
	b := buses[0]
	for _, tc := range []struct {
		to   int
		body []byte
		want error
	}{
		{0, nil, ErrSelf},
		{2, nil, ErrUnknownReplica},
		{-1, nil, ErrUnknownReplica},
		{1, make([]byte, 1025), ErrTooLarge},
	} {
		if err := b.Send(tc.to, tc.body); !errors.Is(err, tc.want) {
			t.Fatalf("Send(%d, %d bytes) = %v, want %v", tc.to, len(tc.body), err, tc.want)
		}
	}
	if err := b.Send(1, make([]byte, 1024)); err != nil {
		t.Fatal(err)
	}
	if m := recvN(t, buses[1], 1)[0]; len(m.Body) != 1024 || m.From != 0 {
		t.Fatalf("got %d bytes from %d", len(m.Body), m.From)
	}
	if err := b.WaitConnected(ctxT(t), 1); err != nil {
		t.Fatal(err)
	}
	_ = b.Close()
	if _, err := b.Receive(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("receive after close: %v", err)
	}
	// Close before Start releases the given listener.
	ln := listen(t)
	nb, err := New(Config{Cluster: b.cfg.Cluster, Roster: []string{ln.Addr().String()}, Key: testKey, Listener: ln})
	if err != nil {
		t.Fatal(err)
	}
	_ = nb.Close()
	if _, err := ln.Accept(); err == nil {
		t.Fatal("listener still open after Close")
	}
}

// TestQueueDropsOldest: with the peer down, a full queue keeps the newest
// QueueFramesMax messages, which arrive in order once the peer starts.
func TestQueueDropsOldest(t *testing.T) {
	const framesMax, sent = 8, 20
	ln1 := listen(t)
	addr1 := ln1.Addr().String()
	ln1.Close() // nobody listens for replica 1 yet
	ln0 := listen(t)
	roster := []string{ln0.Addr().String(), addr1}
	cfg := fastConfig(0, roster)
	cfg.Listener, cfg.QueueFramesMax = ln0, framesMax
	b0 := startBus(t, cfg)
	for k := range sent {
		if err := b0.Send(1, []byte(fmt.Sprintf("m%02d", k))); err != nil {
			t.Fatal(err)
		}
	}
	p := b0.Stats().Peers[1]
	if p.DroppedFrames != sent-framesMax || p.QueuedFrames != framesMax || p.DroppedBytes != 3*(sent-framesMax) {
		t.Fatalf("stats %+v", p)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := b0.SendWait(ctx, 1, []byte("blocked")); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("SendWait on a full queue: %v", err)
	}
	b1 := startBus(t, fastConfig(1, roster))
	for i, m := range recvN(t, b1, framesMax) {
		if want := fmt.Sprintf("m%02d", sent-framesMax+i); string(m.Body) != want {
			t.Fatalf("got %q, want %q", m.Body, want)
		}
	}
}

func TestQueueUnit(t *testing.T) {
	q := newQueue(3, 10)
	push := func(s string) (int, int) {
		f, b, err := q.push([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return f, b
	}
	push("aaaa")
	push("bbbb")
	if f, b := push("cc"); f != 0 || b != 0 {
		t.Fatalf("dropped %d/%d below limits", f, b)
	}
	if f, b := push("dddd"); f != 1 || b != 4 { // 14 bytes > 10: drop "aaaa"
		t.Fatalf("dropped %d/%d, want 1/4", f, b)
	}
	got := q.take(nil, 2, 1<<20)
	if len(got) != 2 || string(got[0]) != "bbbb" || string(got[1]) != "cc" {
		t.Fatalf("take %q", got)
	}
	got = q.take(nil, 10, 1) // at least one even over the byte budget
	if len(got) != 1 || string(got[0]) != "dddd" {
		t.Fatalf("take %q", got)
	}
	q.close()
	if _, _, err := q.push([]byte("x")); !errors.Is(err, ErrClosed) {
		t.Fatalf("push after close: %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	ok := Config{Roster: []string{"127.0.0.1:1", "127.0.0.1:2"}, Key: testKey}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, mutate := range map[string]func(*Config){
		"short key":       func(c *Config) { c.Key = []byte("short") },
		"replica outside": func(c *Config) { c.Replica = 2 },
		"duplicate addr":  func(c *Config) { c.Roster = []string{"127.0.0.1:1", "127.0.0.1:1"} },
		"bad addr":        func(c *Config) { c.Roster = []string{"nonsense"} },
		"empty roster":    func(c *Config) { c.Roster = nil },
		"huge frame":      func(c *Config) { c.FrameBodyBytesMax = frameBodyBytesLimit + 1 },
		"queue < frame":   func(c *Config) { c.QueueBytesMax = 10 },
		"idle vs ping":    func(c *Config) { c.PingInterval, c.IdleTimeout = time.Second, time.Second },
		"backoff order":   func(c *Config) { c.BackoffMin, c.BackoffMax = time.Second, time.Millisecond },
	} {
		c := ok
		c.Roster = append([]string(nil), ok.Roster...)
		mutate(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestBackoff(t *testing.T) {
	lo, hi := 10*time.Millisecond, 80*time.Millisecond
	for n, cap := range []time.Duration{10, 20, 40, 80, 80, 80} {
		d := backoff(lo, hi, n)
		if want := cap * time.Millisecond; d < want/2 || d >= want {
			t.Fatalf("attempt %d: %v outside [%v, %v)", n, d, want/2, want)
		}
	}
}
