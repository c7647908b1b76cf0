package tcptransport

import (
	"errors"
	"io"
	"net"
	"os"
	"testing"

	"github.com/runnel-io/runnel/plugins/transport/transporttest"
	"github.com/runnel-io/runnel/sdk/wire"
)

// FuzzConnection writes arbitrary bytes to a live connection of one running
// transport (shared by every input of this fuzz process), checks that what
// comes back is well-framed, and that a fresh connection still gets a
// correct Ping reply.
func FuzzConnection(f *testing.F) {
	frame := transporttest.Frame
	f.Add(frame(4, wire.CodePing))
	f.Add(append(frame(0, 1), frame(4, 1)...))
	f.Add(frame(3, 77))
	f.Add(frame(7, 9001, 'a', 'b', 'c'))
	f.Add(frame(4+wire.ControlPayloadBytesMax+1, 9001))
	f.Add(frame(4+64<<10+1, wire.CodeSendMessages))
	f.Add(frame(4+100, wire.CodeSendMessages, 1, 2, 3))
	f.Add(frame(4, 9007))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff})

	cfg := testConfig()
	cfg.SendPayloadBytesMax = 64 << 10 // keep a worker's memory small
	tr := startServing(f, cfg)
	addr := tr.Addr()

	f.Fuzz(func(t *testing.T, data []byte) {
		c := dialWith(t, dialTCP, addr)
		written := make(chan struct{})
		go func() {
			defer close(written)
			c.Write(data) // the server may close first: ignore
			c.(*net.TCPConn).CloseWrite()
		}()
		resp, err := io.ReadAll(c)
		<-written
		if errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatal("server neither answered nor closed the connection")
		}
		checkFraming(t, resp, err == nil)
		c.Close()
		ping(t, dialWith(t, dialTCP, addr))
	})
}

// checkFraming parses a response stream: error frames carry no payload, and
// a clean close ends on a frame boundary.
func checkFraming(t *testing.T, resp []byte, cleanEOF bool) {
	for len(resp) >= wire.ResponseHeaderSize {
		status, n := wire.DecodeResponseHeader(resp)
		if status != 0 && n != 0 {
			t.Fatalf("error frame %d carries %d payload bytes", status, n)
		}
		if uint64(len(resp)-wire.ResponseHeaderSize) < uint64(n) {
			break
		}
		resp = resp[wire.ResponseHeaderSize+int(n):]
	}
	if cleanEOF && len(resp) > 0 {
		t.Fatalf("%d trailing bytes after the last whole response frame", len(resp))
	}
}
