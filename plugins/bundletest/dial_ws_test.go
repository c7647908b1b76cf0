package bundletest_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"sync"

	"github.com/coder/websocket"

	"github.com/runnel-io/runnel/plugins/transport/transporttest"
)

// wsMsgConn presents a WebSocket connection as the byte stream the
// conformance suite speaks, as wstransport's own conformance test does (a
// copy: test helpers do not cross packages): written request frames go
// out one per binary message (cut by a transporttest.Splitter), and reads
// return the response messages back to back.
type wsMsgConn struct {
	net.Conn // websocket.NetConn: reads, deadlines, close
	split    *transporttest.Splitter
	local    net.Addr
}

func (c *wsMsgConn) Write(p []byte) (int, error) { return c.split.Write(p) }
func (c *wsMsgConn) LocalAddr() net.Addr         { return c.local }

// dialWS dials ws:// on path.
func dialWS(path string) transporttest.Dial {
	return func(ctx context.Context, addr string) (net.Conn, error) {
		var mu sync.Mutex
		var local net.Addr
		d := &net.Dialer{}
		// The suite reads LocalAddr as the address the server sees: remember
		// the socket's own.
		hc := &http.Client{Transport: &http.Transport{
			DialContext: func(ctx context.Context, network, a string) (net.Conn, error) {
				nc, err := d.DialContext(ctx, network, a)
				if err == nil {
					mu.Lock()
					local = nc.LocalAddr()
					mu.Unlock()
				}
				return nc, err
			},
		}}
		ws, _, err := websocket.Dial(ctx, "ws://"+addr+path, &websocket.DialOptions{HTTPClient: hc})
		if err != nil {
			return nil, err
		}
		nc := websocket.NetConn(context.Background(), ws, websocket.MessageBinary)
		mu.Lock()
		defer mu.Unlock()
		return &wsMsgConn{
			Conn:  nc,
			local: local,
			split: transporttest.NewSplitter(func() (io.WriteCloser, error) {
				return &wsMessage{ws: ws}, nil
			}),
		}, nil
	}
}

// wsMessage collects one request frame and sends it as one binary message
// on Close, or early on Flush when the suite wrote only part of the frame
// (the rest of that frame is then dropped: a message is never extended).
type wsMessage struct {
	ws   *websocket.Conn
	buf  []byte
	sent bool
}

func (m *wsMessage) Write(p []byte) (int, error) {
	if !m.sent {
		m.buf = append(m.buf, p...)
	}
	return len(p), nil
}

func (m *wsMessage) Flush() error {
	if m.sent {
		return nil
	}
	m.sent = true
	return m.ws.Write(context.Background(), websocket.MessageBinary, m.buf)
}

func (m *wsMessage) Close() error { return m.Flush() }
