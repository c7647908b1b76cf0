package replicabus

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// waitTimeout bounds every poll in these tests; nothing should take close
// to it on a healthy machine.
const waitTimeout = 15 * time.Second

var testKey = []byte("0123456789abcdef-test-key")

// logBuf collects a bus's log lines for assertions.
type logBuf struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *logBuf) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// waitLog polls until the log contains every part.
func waitLog(t *testing.T, l *logBuf, parts ...string) {
	t.Helper()
	waitFor(t, fmt.Sprintf("log to contain %q", parts), func() bool {
		s := l.String()
		for _, p := range parts {
			if !strings.Contains(s, p) {
				return false
			}
		}
		return true
	}, func() string { return l.String() })
}

func waitFor(t *testing.T, what string, cond func() bool, detail func() string) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			msg := ""
			if detail != nil {
				msg = detail()
			}
			t.Fatalf("timed out waiting for %s\n%s", what, msg)
		}
		time.Sleep(2 * time.Millisecond) // poll interval, not a wait for an event
	}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	t.Cleanup(cancel)
	return ctx
}

// fastConfig has short timeouts so fault tests converge quickly.
func fastConfig(id int, roster []string) Config {
	return Config{Cluster: ClusterIDFromUint64(42), Replica: id, Roster: roster, Key: testKey,
		BackoffMin: 5 * time.Millisecond, BackoffMax: 100 * time.Millisecond,
		HandshakeTimeout: 500 * time.Millisecond, PingInterval: 20 * time.Millisecond,
		IdleTimeout: 300 * time.Millisecond, WriteTimeout: 2 * time.Second}
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// cluster starts n buses on pre-bound loopback listeners. mutate may edit
// each config (nil for none). Returns the buses, their log buffers and the
// roster.
func cluster(t *testing.T, n int, mutate func(*Config)) ([]*Bus, []*logBuf, []string) {
	t.Helper()
	return clusterWithout(t, n, -1, mutate)
}

// clusterWithout is cluster with replica skip left to the test (its
// Bus is nil).
func clusterWithout(t *testing.T, n, skip int, mutate func(*Config)) ([]*Bus, []*logBuf, []string) {
	t.Helper()
	lns := make([]net.Listener, n)
	roster := make([]string, n)
	for i := range lns {
		lns[i] = listen(t)
		roster[i] = lns[i].Addr().String()
	}
	buses := make([]*Bus, n)
	logs := make([]*logBuf, n)
	for i := range buses {
		logs[i] = &logBuf{}
		if i == skip {
			lns[i].Close()
			continue
		}
		cfg := fastConfig(i, roster)
		cfg.Listener, cfg.Logger = lns[i], logs[i].logger()
		if mutate != nil {
			mutate(&cfg)
		}
		buses[i] = startBus(t, cfg)
	}
	return buses, logs, roster
}

func startBus(t *testing.T, cfg Config) *Bus {
	t.Helper()
	b, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// recvN receives n messages or fails.
func recvN(t *testing.T, b *Bus, n int) []Message {
	t.Helper()
	ctx := ctxT(t)
	out := make([]Message, 0, n)
	for len(out) < n {
		m, err := b.Receive(ctx)
		if err != nil {
			t.Fatalf("replica %d: received %d of %d: %v", b.cfg.Replica, len(out), n, err)
		}
		out = append(out, m)
	}
	return out
}

// recvBody receives until a message with exactly body arrives, skipping
// others (leftovers of earlier phases), or fails.
func recvBody(t *testing.T, b *Bus, body string) Message {
	t.Helper()
	ctx := ctxT(t)
	for {
		m, err := b.Receive(ctx)
		if err != nil {
			t.Fatalf("replica %d waiting for %q: %v", b.cfg.Replica, body, err)
		}
		if string(m.Body) == body {
			return m
		}
	}
}

// exchange sends one tagged message from a to b and waits for it.
func exchange(t *testing.T, a, b *Bus, tag string) {
	t.Helper()
	body := fmt.Sprintf("%s %d->%d", tag, a.cfg.Replica, b.cfg.Replica)
	if err := a.Send(b.cfg.Replica, []byte(body)); err != nil {
		t.Fatal(err)
	}
	if m := recvBody(t, b, body); m.From != a.cfg.Replica {
		t.Fatalf("from %d, want %d", m.From, a.cfg.Replica)
	}
}

// exchangeRetry is exchange across a fault: a message written into a
// connection the peer already lost is gone (TCP accepted it), as VSR
// expects, so it resends fresh probes until one arrives.
func exchangeRetry(t *testing.T, a, b *Bus, tag string) {
	t.Helper()
	prefix := fmt.Sprintf("%s %d->%d #", tag, a.cfg.Replica, b.cfg.Replica)
	deadline := time.Now().Add(waitTimeout)
	for k := 0; time.Now().Before(deadline); k++ {
		if err := a.Send(b.cfg.Replica, []byte(fmt.Sprint(prefix, k))); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		for {
			m, err := b.Receive(ctx)
			if err != nil {
				break // no probe yet: send another
			}
			if strings.HasPrefix(string(m.Body), prefix) {
				cancel()
				return
			}
		}
		cancel()
	}
	t.Fatalf("no %q probe arrived", prefix)
}
