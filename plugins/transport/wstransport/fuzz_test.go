package wstransport

import (
	"context"
	"encoding/binary"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/runnel-io/runnel/plugins/transport/transporttest"
	"github.com/runnel-io/runnel/sdk/wire"
)

// FuzzMessage sends arbitrary bytes as one binary message on a connection
// of one running transport, checks that the answer is one error frame
// without payload or a success frame whose length matches, or a close, and
// that a fresh connection still gets a correct Ping reply.
func FuzzMessage(f *testing.F) {
	frame := transporttest.Frame
	f.Add(frame(4, wire.CodePing))
	f.Add(frame(0, 1))
	f.Add(frame(7, 9001, 'a', 'b', 'c'))
	f.Add(frame(7, 9001, 'a'))
	f.Add(frame(4, 9001, 'x'))
	f.Add(frame(4+wire.ControlPayloadBytesMax+1, 9001))
	f.Add([]byte{0xff})

	cfg := testConfig()
	cfg.SendPayloadBytesMax = 64 << 10
	tr := startServing(f, cfg, echoHandler{})
	addr := tr.Addr()

	f.Fuzz(func(t *testing.T, data []byte) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		ws, _, err := websocket.Dial(ctx, "ws://"+addr+"/", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer ws.CloseNow()
		if err := ws.Write(ctx, websocket.MessageBinary, data); err == nil {
			if _, resp, err := ws.Read(ctx); err == nil {
				if len(resp) < wire.ResponseHeaderSize {
					t.Fatalf("%d-byte answer", len(resp))
				}
				status, n := wire.DecodeResponseHeader(resp)
				if status != 0 && n != 0 || int(n) != len(resp)-wire.ResponseHeaderSize {
					t.Fatalf("status %d, length %d in a %d-byte message", status, n, len(resp))
				}
			} else if ctx.Err() != nil {
				t.Fatal("server neither answered nor closed")
			}
		}
		fresh, _, err := websocket.Dial(ctx, "ws://"+addr+"/", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer fresh.CloseNow()
		fresh.Write(ctx, websocket.MessageBinary, frame(4, wire.CodePing))
		if _, resp, err := fresh.Read(ctx); err != nil || len(resp) != 8 || binary.LittleEndian.Uint64(resp) != 0 {
			t.Fatalf("ping on a fresh connection: %x %v", resp, err)
		}
	})
}
