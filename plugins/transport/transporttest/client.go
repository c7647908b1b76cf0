package transporttest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/runnel-io/runnel/sdk/wire"
)

// ioTimeout is a safety net so a broken transport fails a test instead of
// hanging it; no assertion depends on it.
const ioTimeout = 20 * time.Second

// client speaks raw frames to the transport under test.
type client struct {
	conn net.Conn
	br   *bufio.Reader
}

func dialClient(ctx context.Context, dial func(ctx context.Context, addr string) (net.Conn, error), addr string) (*client, error) {
	ctx, cancel := context.WithTimeout(ctx, ioTimeout)
	defer cancel()
	conn, err := dial(ctx, addr)
	if err != nil {
		return nil, err
	}
	conn.SetDeadline(time.Now().Add(ioTimeout))
	return &client{conn: conn, br: bufio.NewReader(conn)}, nil
}

// frame encodes one request frame.
func frame(code uint32, payload []byte) []byte {
	b := make([]byte, wire.RequestHeaderSize, wire.RequestHeaderSize+len(payload))
	wire.EncodeRequestHeader(b, code, len(payload))
	return append(b, payload...)
}

func (c *client) send(code uint32, payload []byte) error {
	_, err := c.conn.Write(frame(code, payload))
	return err
}

// recv reads one response frame.
func (c *client) recv() (status uint32, payload []byte, err error) {
	var hdr [wire.ResponseHeaderSize]byte
	if _, err := io.ReadFull(c.br, hdr[:]); err != nil {
		return 0, nil, fmt.Errorf("read response header: %w", err)
	}
	status, n := wire.DecodeResponseHeader(hdr[:])
	payload = make([]byte, n)
	if _, err := io.ReadFull(c.br, payload); err != nil {
		return 0, nil, fmt.Errorf("read %d-byte response payload: %w", n, err)
	}
	return status, payload, nil
}

func (c *client) call(code uint32, payload []byte) (uint32, []byte, error) {
	if err := c.send(code, payload); err != nil {
		return 0, nil, fmt.Errorf("send code %d: %w", code, err)
	}
	return c.recv()
}

// ping checks a Ping round trip.
func (c *client) ping() error {
	status, payload, err := c.call(wire.CodePing, nil)
	if err != nil {
		return fmt.Errorf("ping: %w", err)
	}
	if status != 0 || len(payload) != 0 {
		return fmt.Errorf("ping: status %d with %d payload bytes, want 0 and none", status, len(payload))
	}
	return nil
}

// closed reports nil when the server has closed the connection: a read
// ends in EOF or a reset, with no further byte. It then closes the client
// side too, so the server stops lingering.
func (c *client) closed() error {
	defer c.conn.Close()
	var b [1]byte
	n, err := c.br.Read(b[:])
	switch {
	case n > 0:
		return fmt.Errorf("got byte %#x, want the connection closed", b[0])
	case errors.Is(err, os.ErrDeadlineExceeded):
		return errors.New("connection still open")
	case err == nil:
		return errors.New("read returned nothing and no error")
	}
	return nil
}

// expect checks a response against a status and payload.
func expect(status uint32, payload []byte, err error, wantStatus uint32, wantPayload []byte) error {
	if err != nil {
		return err
	}
	if status != wantStatus {
		return fmt.Errorf("status %d, want %d", status, wantStatus)
	}
	if string(payload) != string(wantPayload) {
		return fmt.Errorf("payload of %d bytes differs from the %d expected", len(payload), len(wantPayload))
	}
	return nil
}

// must fails the test on a non-nil error.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
