package quictransport

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/quic-go/quic-go"
	"github.com/runnel-io/runnel/plugins/transport/transporttest"
	"github.com/runnel-io/runnel/sdk/wire"
)

// FuzzStreams writes arbitrary bytes to one connection of a running
// transport, one stream per request frame as cut by the header lengths
// (the last, possibly incomplete, ended by the client), and checks that
// every stream gets at most one well-formed response frame, and that a
// fresh connection still gets a correct Ping reply.
func FuzzStreams(f *testing.F) {
	frame := transporttest.Frame
	f.Add(frame(4, wire.CodePing))
	f.Add(append(frame(0, 1), frame(4, 1)...))
	f.Add(frame(3, 77))
	f.Add(frame(7, 9001, 'a', 'b', 'c'))
	f.Add(frame(4+wire.ControlPayloadBytesMax+1, 9001))
	f.Add(frame(4+64<<10+1, wire.CodeSendMessages))
	f.Add(frame(4+100, wire.CodeSendMessages, 1, 2, 3))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff})

	cfg := testConfig()
	cfg.SendPayloadBytesMax = 64 << 10
	tr := startServing(f, cfg, echoHandler{})
	addr := tr.Addr()

	f.Fuzz(func(t *testing.T, data []byte) {
		qc, err := dialRaw(t, addr, insecureTLS())
		if err != nil {
			t.Fatal(err)
		}
		var streams []*quic.Stream
		split := transporttest.NewSplitter(func() (io.WriteCloser, error) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			st, err := qc.OpenStreamSync(ctx)
			if err == nil {
				streams = append(streams, st)
			}
			return st, err
		})
		split.Write(data)
		for _, st := range streams {
			st.Close() // ends a truncated last frame; no-op on the others
		}
		for i, st := range streams {
			st.SetReadDeadline(time.Now().Add(10 * time.Second))
			resp, err := io.ReadAll(st)
			if err != nil && len(resp) == 0 {
				continue // the server closed the connection (oversized frame)
			}
			if len(resp) < wire.ResponseHeaderSize {
				t.Fatalf("stream %d: %d-byte answer", i, len(resp))
			}
			status, n := wire.DecodeResponseHeader(resp)
			if status != 0 && n != 0 {
				t.Fatalf("stream %d: error frame %d carries %d payload bytes", i, status, n)
			}
			if err == nil && int(n) != len(resp)-wire.ResponseHeaderSize {
				t.Fatalf("stream %d: frame of %d payload bytes in a %d-byte answer", i, n, len(resp))
			}
		}
		qc.CloseWithError(0, "")
		fresh, err := dialRaw(t, addr, insecureTLS())
		if err != nil {
			t.Fatal(err)
		}
		if status, _, err := roundTrip(fresh, wire.CodePing, nil); err != nil || status != 0 {
			t.Fatalf("ping on a fresh connection: %d %v", status, err)
		}
	})
}
