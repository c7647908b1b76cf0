package transporttest

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"sync"

	"github.com/coder/websocket"
)

// msgConn presents a WebSocket connection as the byte stream the
// conformance suite speaks: written request frames go out one per binary
// message (cut by a Splitter, streamed as they arrive), and
// reads return the response messages back to back.
type msgConn struct {
	net.Conn // websocket.NetConn: reads, deadlines, close
	split    *Splitter
	local    net.Addr
}

func (c *msgConn) Write(p []byte) (int, error) { return c.split.Write(p) }
func (c *msgConn) LocalAddr() net.Addr         { return c.local }

// DialWebSocket dials ws:// (or wss:// with tlsCfg) on path.
func DialWebSocket(path string, tlsCfg *tls.Config) Dial {
	return func(ctx context.Context, addr string) (net.Conn, error) {
		var mu sync.Mutex
		var local net.Addr
		d := &net.Dialer{}
		hc := &http.Client{Transport: &http.Transport{
			TLSClientConfig: tlsCfg,
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
		scheme := "ws://"
		if tlsCfg != nil {
			scheme = "wss://"
		}
		ws, _, err := websocket.Dial(ctx, scheme+addr+path, &websocket.DialOptions{HTTPClient: hc})
		if err != nil {
			return nil, err
		}
		nc := websocket.NetConn(context.Background(), ws, websocket.MessageBinary)
		mu.Lock()
		defer mu.Unlock()
		return &msgConn{
			Conn:  nc,
			local: local,
			split: NewSplitter(func() (io.WriteCloser, error) {
				return &message{ws: ws}, nil
			}),
		}, nil
	}
}

// message collects one request frame and sends it as one binary message
// on Close, or early on Flush when the suite wrote only part of the frame
// (the rest of that frame is then dropped: a message is never extended).
type message struct {
	ws   *websocket.Conn
	buf  []byte
	sent bool
}

func (m *message) Write(p []byte) (int, error) {
	if !m.sent {
		m.buf = append(m.buf, p...)
	}
	return len(p), nil
}

func (m *message) Flush() error {
	if m.sent {
		return nil
	}
	m.sent = true
	return m.ws.Write(context.Background(), websocket.MessageBinary, m.buf)
}

func (m *message) Close() error { return m.Flush() }
