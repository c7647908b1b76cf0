package client

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"sync"
	"testing"

	"github.com/runnel-io/runnel/sdk/wire"
)

// request is one frame the fake server received.
type request struct {
	conn    int // index of the accepted connection, from 0
	code    uint32
	payload []byte
}

// fakeServer answers canned frames on 127.0.0.1: handle returns the bytes
// to write for each request (nil: write nothing, keep reading).
type fakeServer struct {
	ln     net.Listener
	handle func(request) []byte
	reqs   chan request

	mu    sync.Mutex
	conns []net.Conn
	wg    sync.WaitGroup
}

func startServer(t *testing.T, handle func(request) []byte) *fakeServer {
	return startServerTLS(t, nil, handle)
}

func startServerTLS(t *testing.T, cfg *tls.Config, handle func(request) []byte) *fakeServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if cfg != nil {
		ln = tls.NewListener(ln, cfg)
	}
	s := &fakeServer{ln: ln, handle: handle, reqs: make(chan request, 1024)}
	s.wg.Add(1)
	go s.accept()
	t.Cleanup(s.close)
	return s
}

func (s *fakeServer) addr() string { return s.ln.Addr().String() }

func (s *fakeServer) accept() {
	defer s.wg.Done()
	for i := 0; ; i++ {
		conn, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns = append(s.conns, conn)
		s.mu.Unlock()
		s.wg.Add(1)
		go s.serve(i, conn)
	}
}

func (s *fakeServer) serve(idx int, conn net.Conn) {
	defer s.wg.Done()
	defer conn.Close()
	for {
		h, payload, err := wire.ReadRequest(conn, nil, 1<<30)
		if err != nil {
			return
		}
		r := request{conn: idx, code: h.Code, payload: append([]byte(nil), payload...)}
		s.reqs <- r
		if out := s.handle(r); out != nil {
			if _, err := conn.Write(out); err != nil {
				return
			}
		}
	}
}

// dropAll closes every accepted connection, as a server restart would.
func (s *fakeServer) dropAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.conns {
		_ = c.Close()
	}
}

func (s *fakeServer) close() {
	_ = s.ln.Close()
	s.dropAll()
	s.wg.Wait()
}

// next returns the next received request (the test timeout bounds the wait).
func (s *fakeServer) next(t *testing.T) request {
	t.Helper()
	return <-s.reqs
}

func okFrame(payload []byte) []byte {
	b := wire.StartResponse(nil)
	b = append(b, payload...)
	wire.FinishResponse(b, 0)
	return b
}

func errFrame(e *wire.Error) []byte { return wire.AppendErrorResponse(nil, e) }

var _ io.Closer = (*Client)(nil)

// errorsIsStatus reports whether err carries the status code.
func errorsIsStatus(err error, code uint32) bool {
	var e *wire.Error
	return errors.As(err, &e) && e.Code == code
}
