package server

import (
	"context"
	"errors"
	"sync"

	"github.com/runnel-io/runnel/plugins/transport"
	"github.com/runnel-io/runnel/sdk/wire"
)

// scratchBytesKeepMax is the largest response buffer a connection keeps
// between requests; a bigger one (a large poll) goes back to the server's
// pool once written, so idle connections stay small and busy ones do not
// allocate per poll.
const scratchBytesKeepMax = 1 << 20

// clients is the registry of connected sessions, keyed by client id.
type clients struct {
	mu   sync.Mutex
	byID map[uint32]*session
}

func newClients() *clients { return &clients{byID: make(map[uint32]*session)} }

// add registers a new connection. The client id is XXH32 of the peer
// address, as in Iggy, moved to the next free value on a collision.
func (cs *clients) add(srv *Server, sess transport.Session) *session {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	id := wire.XXH32([]byte(sess.RemoteAddr()), 0)
	for id == 0 || cs.byID[id] != nil {
		id++
	}
	c := &session{srv: srv, id: id, addr: sess.RemoteAddr(), transport: wire.TransportCode(sess.Transport()), userID: wire.UserIDNone}
	cs.byID[id] = c
	return c
}

func (cs *clients) remove(id uint32) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	delete(cs.byID, id)
}

func (cs *clients) get(id uint32) *session {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return cs.byID[id]
}

func (cs *clients) list() []*session {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	out := make([]*session, 0, len(cs.byID))
	for _, c := range cs.byID {
		out = append(out, c)
	}
	return out
}

func (cs *clients) count() int {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return len(cs.byID)
}

// forgetUser logs out every session of a deleted user.
func (cs *clients) forgetUser(userID uint32) {
	for _, c := range cs.list() {
		c.mu.Lock()
		if c.userID == userID {
			c.userID = wire.UserIDNone
		}
		c.mu.Unlock()
	}
}

// session is one client connection. Handle runs sequentially per
// connection; mu guards what other connections read (GetClients).
type session struct {
	srv       *Server
	id        uint32
	addr      string
	transport uint8

	mu     sync.Mutex
	userID uint32 // wire.UserIDNone when not logged in

	scratch []byte // response buffer, reused between requests
}

func (c *session) user() (uint32, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.userID, c.userID != wire.UserIDNone
}

func (c *session) setUser(id uint32) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.userID = id
}

// Handle implements transport.Conn.
func (c *session) Handle(ctx context.Context, req transport.Request) transport.Response {
	if c.scratch == nil {
		if b, ok := c.srv.largeResponses.Get().(*[]byte); ok {
			c.scratch = *b
		}
	}
	var payload []byte
	var err error
	if c.srv.tracer != nil {
		payload, err = c.handleTraced(ctx, req)
	} else {
		payload, err = c.handle(ctx, req)
	}
	if err != nil {
		status := wire.StatusCode(err)
		if status == wire.ErrGeneric.Code || !isWireError(err) {
			c.srv.log.Error("request failed", "code", req.Code, "client", c.id, "error", err)
		}
		// An operation that may or may not have committed leaves the client
		// as a lost reply would: without the connection. So does a request
		// only the primary serves: the client comes back through login and
		// is sent to the primary.
		return transport.Response{Status: status, Close: errors.Is(err, errOutcomeUnknown) || errors.Is(err, errMoveToPrimary)}
	}
	var done func()
	if cap(c.scratch) > scratchBytesKeepMax {
		// Lend the big buffer to the response and recycle it once written.
		large := c.scratch[:0]
		c.scratch = nil
		done = func() { c.srv.largeResponses.Put(&large) }
	}
	if len(payload) == 0 {
		if done != nil {
			done()
		}
		return transport.Response{}
	}
	return transport.Response{Payload: [][]byte{payload}, Done: done}
}

func isWireError(err error) bool {
	var e *wire.Error
	return errors.As(err, &e)
}

func (c *session) handle(ctx context.Context, req transport.Request) ([]byte, error) {
	userID, r, err := c.decode(req)
	if err != nil {
		return nil, err
	}
	return c.dispatch(ctx, userID, r)
}

// decode checks the session may run req and decodes it.
func (c *session) decode(req transport.Request) (uint32, wire.Request, error) {
	public := req.Code == wire.CodePing || req.Code == wire.CodeLoginUser || req.Code == wire.CodeLoginWithPersonalAccessToken
	userID, authenticated := c.user()
	if !public && !authenticated {
		if !wire.KnownCommand(req.Code) {
			return 0, nil, wire.ErrInvalidCommand.Detail("unknown command code %d", req.Code)
		}
		return 0, nil, wire.ErrUnauthenticated
	}
	r, err := wire.DecodeRequest(req.Code, req.Payload)
	if err != nil {
		return 0, nil, err
	}
	return userID, r, nil
}

// Disconnected implements transport.Conn: the session leaves every group.
func (c *session) Disconnected() {
	c.srv.clients.remove(c.id)
	c.srv.groupsMu.Lock()
	c.srv.members.RemoveClient(c.id)
	c.srv.groupsMu.Unlock()
}
