package httptransport

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/runnel-io/runnel/plugins/transport"
	"github.com/runnel-io/runnel/sdk/wire"
)

// Session errors, answered as 401 (or 503 for the limit).
var (
	errSessionGone    = errors.New("httptransport: session ended (logged out, expired or shut down)")
	errSessionsFull   = errors.New("httptransport: too many login sessions (connections_max)")
	errHandlerPanic   = errors.New("httptransport: the server failed handling the request")
	errTransportClose = errors.New("httptransport: shutting down")
)

// httpSession is one login: a host Conn and the tokens naming it. The Conn
// contract wants Handle calls one at a time, so mu is held across Handle;
// HTTP requests of one session therefore queue.
type httpSession struct {
	id     string
	userID uint32
	remote string

	mu     sync.Mutex // serializes Handle and guards closed, conn
	closed bool
	conn   transport.Conn
	buf    []byte // request payload scratch, reused under mu

	expiresAt time.Time // guarded by sessions.mu
}

// exec runs one command on the session's Conn and returns a copy of the
// answer payload. A non-zero status is returned as its *wire.Error. A
// Response with Close ends the session after the answer.
func (s *httpSession) exec(ctx context.Context, q wire.Request) (payload []byte, closeAfter bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, false, errSessionGone
	}
	s.buf = q.AppendTo(s.buf[:0])
	resp, panicked := handle(ctx, s.conn, transport.Request{Code: q.Code(), Payload: s.buf})
	if panicked {
		return nil, true, errHandlerPanic
	}
	if resp.Status == 0 {
		n := 0
		for _, c := range resp.Payload {
			n += len(c)
		}
		payload = make([]byte, 0, n)
		for _, c := range resp.Payload {
			payload = append(payload, c...)
		}
	} else {
		err = wire.ErrorFromCode(resp.Status)
	}
	if resp.Done != nil {
		resp.Done()
	}
	return payload, resp.Close, err
}

// handle calls Handle, turning a panic into panicked (the TCP transport
// answers status 1 and closes the connection; we end the session).
func handle(ctx context.Context, c transport.Conn, req transport.Request) (resp transport.Response, panicked bool) {
	defer func() {
		if recover() != nil {
			panicked = true
		}
	}()
	return c.Handle(ctx, req), false
}

// end closes the session once: it waits for an in-flight Handle (mu), then
// tells the host. Safe to call from any goroutine, more than once.
func (s *httpSession) end() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	s.conn.Disconnected()
	s.buf = nil
}

// sessions is the table of live logins, keyed by the id the JWTs carry.
type sessions struct {
	max int

	mu       sync.Mutex
	byID     map[string]*httpSession
	stopping bool
}

func newSessions(max int) *sessions {
	return &sessions{max: max, byID: make(map[string]*httpSession)}
}

// add registers s until expiresAt; it fails when full or shutting down.
func (t *sessions) add(s *httpSession, expiresAt time.Time) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case t.stopping:
		return errTransportClose
	case len(t.byID) >= t.max:
		return errSessionsFull
	}
	s.expiresAt = expiresAt
	t.byID[s.id] = s
	return nil
}

// get returns the live session id names, or nil.
func (t *sessions) get(id string, now time.Time) *httpSession {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.byID[id]
	if s == nil || !now.Before(s.expiresAt) {
		return nil
	}
	return s
}

// remove untracks the session and ends it.
func (t *sessions) remove(s *httpSession) {
	t.mu.Lock()
	if t.byID[s.id] == s {
		delete(t.byID, s.id)
	}
	t.mu.Unlock()
	s.end()
}

// sweep ends every session past its expiry and returns how many.
func (t *sessions) sweep(now time.Time) int {
	t.mu.Lock()
	var expired []*httpSession
	for id, s := range t.byID {
		if !now.Before(s.expiresAt) {
			expired = append(expired, s)
			delete(t.byID, id)
		}
	}
	t.mu.Unlock()
	for _, s := range expired {
		s.end()
	}
	return len(expired)
}

// closeAll refuses new sessions and ends every live one.
func (t *sessions) closeAll() {
	t.mu.Lock()
	t.stopping = true
	all := make([]*httpSession, 0, len(t.byID))
	for id, s := range t.byID {
		all = append(all, s)
		delete(t.byID, id)
	}
	t.mu.Unlock()
	for _, s := range all {
		s.end()
	}
}

// newSessionID returns 128 random bits as hex.
func newSessionID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("httptransport: session id: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// httpPeer is the transport.Session of a login.
type httpPeer struct{ remote string }

func (p httpPeer) RemoteAddr() string { return p.remote }
func (p httpPeer) Transport() string  { return Name }
