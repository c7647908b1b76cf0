package replicabus

import (
	"context"
	"fmt"
	"io"
	"net"
	"testing"
	"time"
)

// BenchmarkThroughput sends b.N messages from replica 0 to replica 1 over
// loopback, then copies the same number of bytes over a raw TCP socket in
// the same run, and reports both rates and their ratio. ns/op and MB/s are
// the bus's; raw_MB/s is the ceiling (large writes, no framing, no
// checksum, no per-message allocation or channel hand-off).
func BenchmarkThroughput(b *testing.B) {
	for _, size := range []int{1 << 10, 1 << 20} {
		b.Run(fmt.Sprintf("msg=%dB", size), func(b *testing.B) {
			body := make([]byte, size)
			for i := range body {
				body[i] = byte(i)
			}
			b.SetBytes(int64(size))
			b.ReportAllocs()
			busSecs := benchBus(b, body)
			b.StopTimer()
			rawSecs := benchRaw(b, int64(size)*int64(b.N))
			total := float64(size) * float64(b.N) / 1e6
			b.ReportMetric(total/busSecs, "bus_MB/s")
			b.ReportMetric(total/rawSecs, "raw_MB/s")
			b.ReportMetric(rawSecs/busSecs, "bus/raw")
		})
	}
}

func benchBus(b *testing.B, body []byte) float64 {
	ln0, ln1 := listenB(b), listenB(b)
	roster := []string{ln0.Addr().String(), ln1.Addr().String()}
	bus := make([]*Bus, 2)
	for i, ln := range []net.Listener{ln0, ln1} {
		cfg := Config{Cluster: ClusterIDFromUint64(1), Replica: i, Roster: roster, Key: testKey, Listener: ln}
		var err error
		if bus[i], err = New(cfg); err != nil {
			b.Fatal(err)
		}
		if err := bus[i].Start(context.Background()); err != nil {
			b.Fatal(err)
		}
		defer bus[i].Close()
	}
	ctx := context.Background()
	if err := bus[0].WaitConnected(ctx, 1); err != nil {
		b.Fatal(err)
	}
	sendErr := make(chan error, 1)
	b.ResetTimer()
	start := time.Now()
	go func() {
		for range b.N {
			if err := bus[0].SendWait(ctx, 1, body); err != nil {
				sendErr <- err
				return
			}
		}
		sendErr <- nil
	}()
	for i := range b.N {
		m, err := bus[1].Receive(ctx)
		if err != nil || len(m.Body) != len(body) {
			b.Fatalf("message %d: %d bytes, %v", i, len(m.Body), err)
		}
	}
	elapsed := time.Since(start).Seconds()
	if err := <-sendErr; err != nil {
		b.Fatal(err)
	}
	if d := bus[0].Stats().Peers[1].DroppedFrames; d != 0 {
		b.Fatalf("%d drops with SendWait", d)
	}
	return elapsed
}

// benchRaw copies n bytes through one loopback TCP connection.
func benchRaw(b *testing.B, n int64) float64 {
	ln := listenB(b)
	defer ln.Close()
	done := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			done <- err
			return
		}
		defer c.Close()
		_, err = io.Copy(io.Discard, c)
		done <- err
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 256<<10)
	start := time.Now()
	for left := n; left > 0; {
		k := min(left, int64(len(buf)))
		if _, err := c.Write(buf[:k]); err != nil {
			b.Fatal(err)
		}
		left -= k
	}
	_ = c.Close()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	return time.Since(start).Seconds()
}

func listenB(b *testing.B) net.Listener {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	return ln
}
