package e2e

import (
	"encoding/binary"
	"io"
	"net"
	"testing"
	"time"
)

// rawConn speaks frames by hand so tests can send what no SDK would.
type rawConn struct {
	t *testing.T
	c net.Conn
}

func dialRaw(t *testing.T, s *server) *rawConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", s.Addr, 5*time.Second)
	mustNoErr(t, "dial", err)
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	return &rawConn{t: t, c: c}
}

func (r *rawConn) send(code uint32, payload []byte) {
	r.t.Helper()
	b := binary.LittleEndian.AppendUint32(nil, uint32(len(payload)+4))
	b = binary.LittleEndian.AppendUint32(b, code)
	_, err := r.c.Write(append(b, payload...))
	mustNoErr(r.t, "write", err)
}

// status reads one response and returns its status and payload.
func (r *rawConn) status() (uint32, []byte) {
	r.t.Helper()
	var h [8]byte
	_, err := io.ReadFull(r.c, h[:])
	mustNoErr(r.t, "read response", err)
	n := binary.LittleEndian.Uint32(h[4:])
	p := make([]byte, n)
	_, err = io.ReadFull(r.c, p)
	mustNoErr(r.t, "read payload", err)
	return binary.LittleEndian.Uint32(h[:]), p
}

func (r *rawConn) expect(what string, want uint32) []byte {
	r.t.Helper()
	got, p := r.status()
	if got != want {
		r.t.Fatalf("%s: status %d, want %d", what, got, want)
	}
	return p
}

func str8(s string) []byte { return append([]byte{byte(len(s))}, s...) }

func TestBadInputGetsErrorCodesAndServerKeepsServing(t *testing.T) {
	s := startServer(t)
	r := dialRaw(t, s)

	r.send(1, nil)
	r.expect("ping", 0)
	r.send(9999, []byte("junk"))
	r.expect("unknown code", 3)
	r.send(201, nil)
	r.expect("get streams before login", 40)
	r.send(38, append(str8(rootUser), str8("wrong-password")...))
	r.expect("wrong password", 42)
	r.send(38, []byte{5, 'a'})
	r.expect("truncated login", 3)
	r.send(38, append(str8(rootUser), str8(rootPassword)...))
	r.expect("login", 0)
	r.send(202, []byte{0})
	r.expect("empty stream name", 4)
	r.send(200, []byte{1, 3, 0, 0, 0})
	r.expect("numeric id of length 3", 4)
	r.send(200, []byte{7, 4, 0, 0, 0, 0})
	r.expect("unknown identifier kind", 3)
	r.send(101, []byte{1, 2, 3})
	r.expect("garbage send", 3)
	// length < 4: answered, and the connection stays in sync.
	_, err := r.c.Write([]byte{2, 0, 0, 0, 1, 0, 0, 0})
	mustNoErr(t, "write short frame", err)
	r.expect("short frame", 3)
	r.send(1, nil)
	r.expect("ping after bad frames", 0)

	// An oversized control frame is refused and the connection closed...
	big := dialRaw(t, s)
	h := binary.LittleEndian.AppendUint32(nil, 64<<20)
	h = binary.LittleEndian.AppendUint32(h, 202)
	_, err = big.c.Write(h)
	mustNoErr(t, "write oversized header", err)
	big.expect("oversized frame", 3)
	if _, err := big.c.Read(make([]byte, 1)); err == nil {
		t.Fatal("connection stayed open after an oversized frame")
	}
	// ...garbage bytes do not take the server down...
	junk := dialRaw(t, s)
	_, _ = junk.c.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
	_ = junk.c.Close()

	// ...and other connections keep working.
	r.send(1, nil)
	r.expect("ping on the first connection", 0)
	cli := iggyClient(t, s)
	mustNoErr(t, "sdk ping", cli.Ping())
}
