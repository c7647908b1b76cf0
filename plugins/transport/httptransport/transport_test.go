package httptransport

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/transport"
	"github.com/runnel-io/runnel/sdk/httpapi"
	"github.com/runnel-io/runnel/sdk/wire"
)

// fakeHandler is an in-process host: it decodes each binary request with
// sdk/wire and answers a few commands, recording what it saw.
type fakeHandler struct {
	mu           sync.Mutex
	requests     []wire.Request
	connects     int
	disconnected int
	active       atomic.Int32 // Handles running now, over all conns
	maxActive    atomic.Int32
}

type fakeConn struct {
	h       *fakeHandler
	peer    transport.Session
	active  atomic.Int32
	overlap atomic.Bool
}

func (h *fakeHandler) Connect(_ context.Context, s transport.Session) (transport.Conn, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.connects++
	return &fakeConn{h: h, peer: s}, nil
}

func (h *fakeHandler) HTTPRoutes() map[string]http.Handler {
	return map[string]http.Handler{"/metrics": http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "runnel_up 1\n")
	})}
}

func (c *fakeConn) Handle(_ context.Context, req transport.Request) transport.Response {
	if c.active.Add(1) > 1 {
		c.overlap.Store(true)
	}
	defer c.active.Add(-1)
	q, err := wire.DecodeRequest(req.Code, req.Payload)
	if err != nil {
		return transport.Response{Status: wire.StatusCode(err)}
	}
	c.h.mu.Lock()
	c.h.requests = append(c.h.requests, q)
	c.h.mu.Unlock()
	ok := func(b []byte) transport.Response {
		return transport.Response{Payload: [][]byte{b[:len(b)/2], b[len(b)/2:]}}
	}
	switch q := q.(type) {
	case wire.LoginUserRequest:
		if q.Password != "pw" {
			return transport.Response{Status: wire.ErrInvalidCredentials.Code}
		}
		return ok(wire.Identity{UserID: 5}.AppendTo(nil))
	case wire.CreateStreamRequest:
		return ok(wire.StreamHeader{ID: 3, Name: q.Name, CreatedAtMicros: 7}.AppendTo(nil))
	case wire.GetStreamRequest:
		return transport.Response{} // Iggy's "not found": an empty answer
	case wire.GetStatsRequest:
		for range 100 { // widen the window in which an overlap would show
			runtime.Gosched()
		}
		return ok(wire.Stats{StreamsCount: 2, Hostname: c.peer.Transport()}.AppendTo(nil))
	case wire.PingRequest:
		panic("ping handler broke")
	}
	return transport.Response{}
}

func (c *fakeConn) Disconnected() {
	c.h.mu.Lock()
	defer c.h.mu.Unlock()
	c.h.disconnected++
}

func (h *fakeHandler) counts() (connects, disconnected int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.connects, h.disconnected
}

// serve starts a transport on a free port with h; stopped at test end.
func serve(t *testing.T, h transport.Handler, edit func(*Config)) (*Transport, string) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Address = "127.0.0.1:0"
	if edit != nil {
		edit(&cfg)
	}
	tr, err := New(component.Env{}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- tr.Serve(context.Background(), h) }()
	t.Cleanup(func() {
		if err := tr.Close(context.Background()); err != nil {
			t.Error(err)
		}
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	return tr, "http://" + tr.Addr()
}

func do(t *testing.T, method, url, token, body string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func login(t *testing.T, base string) httpapi.Identity {
	t.Helper()
	status, body, _ := do(t, "POST", base+"/users/login", "", `{"username":"u","password":"pw"}`)
	var id httpapi.Identity
	if status != http.StatusOK || json.Unmarshal([]byte(body), &id) != nil || id.AccessToken == nil {
		t.Fatalf("login: %d %s", status, body)
	}
	return id
}

func TestTranslation(t *testing.T) {
	h := &fakeHandler{}
	_, base := serve(t, h, nil)
	if status, body, _ := do(t, "POST", base+"/users/login", "", `{"username":"u","password":"no"}`); status != http.StatusUnauthorized ||
		!strings.Contains(body, `"code":"invalid_credentials"`) {
		t.Fatalf("bad login: %d %s", status, body)
	}
	if c, d := h.counts(); c != 1 || d != 1 {
		t.Fatalf("failed login: %d connects, %d disconnects", c, d)
	}
	id := login(t, base)
	if id.UserID != 5 || id.RefreshToken == nil {
		t.Fatalf("identity %+v", id)
	}
	tok := id.AccessToken.Token

	status, body, _ := do(t, "POST", base+"/streams", tok, `{"name":"orders","ignored":1}`)
	if status != http.StatusCreated || body != `{"id":3,"created_at":7,"name":"orders","size":0,"messages_count":0,"topics_count":0}`+"\n" {
		t.Fatalf("create stream: %d %s", status, body)
	}
	status, body, _ = do(t, "GET", base+"/streams/orders", tok, "")
	if status != http.StatusNotFound || !strings.Contains(body, `"id":1009,"code":"stream_id_not_found"`) {
		t.Fatalf("missing stream: %d %s", status, body)
	}
	status, body, _ = do(t, "GET", base+"/stats", tok, "")
	if status != http.StatusOK || !strings.Contains(body, `"streams_count":2`) || !strings.Contains(body, `"hostname":"http"`) {
		t.Fatalf("stats: %d %s", status, body)
	}
	h.mu.Lock()
	got := h.requests[2] // login, login, create
	h.mu.Unlock()
	if q, ok := got.(wire.CreateStreamRequest); !ok || q.Name != "orders" {
		t.Fatalf("host got %#v", got)
	}
	if status, body, _ := do(t, "GET", base+"/metrics", "", ""); status != http.StatusOK || body != "runnel_up 1\n" {
		t.Fatalf("host route /metrics: %d %q", status, body)
	}
}

// TestSessionRequestsAreSequential: the Conn contract holds when one
// token's requests arrive in parallel.
func TestSessionRequestsAreSequential(t *testing.T) {
	h := &fakeHandler{}
	tr, base := serve(t, h, nil)
	tok := login(t, base).AccessToken.Token
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			if status, body, _ := do(t, "GET", base+"/stats", tok, ""); status != http.StatusOK {
				t.Errorf("stats: %d %s", status, body)
			}
		})
	}
	wg.Wait()
	s := tr.sessions.byID
	for _, sess := range s {
		if sess.conn.(*fakeConn).overlap.Load() {
			t.Fatal("two Handle calls overlapped on one Conn")
		}
	}
}

func TestLogoutPanicAndShutdownDisconnect(t *testing.T) {
	h := &fakeHandler{}
	tr, base := serve(t, h, nil)
	a, b, c := login(t, base), login(t, base), login(t, base)
	if status, _, _ := do(t, "DELETE", base+"/users/logout", a.AccessToken.Token, ""); status != http.StatusNoContent {
		t.Fatalf("logout: %d", status)
	}
	if status, _, _ := do(t, "GET", base+"/stats", a.AccessToken.Token, ""); status != http.StatusUnauthorized {
		t.Fatalf("after logout: %d", status)
	}
	if status, _, _ := do(t, "POST", base+"/users/refresh-token", "", fmt.Sprintf(`{"token":%q}`, a.RefreshToken.Token)); status != http.StatusUnauthorized {
		t.Fatalf("refresh after logout: %d", status)
	}
	// A panicking handler: 500, and the session is gone (as TCP closes).
	tr.mu.Lock()
	sess := tr.sessions.get(mustClaims(t, tr, b.AccessToken.Token).Session, tr.now())
	tr.mu.Unlock()
	if _, _, err := sess.exec(context.Background(), wire.PingRequest{}); err != errHandlerPanic {
		t.Fatalf("panic: %v", err)
	}
	tr.sessions.remove(sess)
	if _, d := h.counts(); d != 2 {
		t.Fatalf("%d disconnects after logout and panic, want 2", d)
	}
	_ = c
	if err := tr.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if conn, d := h.counts(); conn != 3 || d != 3 {
		t.Fatalf("after close: %d connects, %d disconnects", conn, d)
	}
}

func mustClaims(t *testing.T, tr *Transport, token string) claims {
	t.Helper()
	c, err := tr.issuer.verify(token, tokenAccess)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestExpirySweep(t *testing.T) {
	h := &fakeHandler{}
	tr, base := serve(t, h, nil)
	var now atomic.Int64
	now.Store(time.Now().UnixNano())
	tr.now = func() time.Time { return time.Unix(0, now.Load()) }
	tr.issuer.now = tr.now
	id := login(t, base)
	now.Add(int64(DefaultAccessTokenExpiry + time.Second))
	if status, body, _ := do(t, "GET", base+"/stats", id.AccessToken.Token, ""); status != http.StatusUnauthorized || !strings.Contains(body, "invalid_access_token") {
		t.Fatalf("expired access token: %d %s", status, body)
	}
	if status, _, _ := do(t, "POST", base+"/users/refresh-token", "", fmt.Sprintf(`{"token":%q}`, id.RefreshToken.Token)); status != http.StatusOK {
		t.Fatalf("refresh: %d", status)
	}
	if n := tr.sessions.sweep(tr.now()); n != 0 {
		t.Fatalf("swept %d live sessions", n)
	}
	now.Add(int64(DefaultRefreshTokenExpiry))
	if n := tr.sessions.sweep(tr.now()); n != 1 {
		t.Fatalf("swept %d sessions, want 1", n)
	}
	if _, d := h.counts(); d != 1 {
		t.Fatalf("%d disconnects after the sweep", d)
	}
}

func TestCORS(t *testing.T) {
	_, base := serve(t, &fakeHandler{}, func(c *Config) {
		c.CORS.Enabled = true
		c.CORS.AllowedOrigins = []string{"https://ui.example"}
	})
	req, _ := http.NewRequest("OPTIONS", base+"/streams", nil)
	req.Header.Set("Origin", "https://ui.example")
	req.Header.Set("Access-Control-Request-Method", "POST")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != "https://ui.example" ||
		!strings.Contains(resp.Header.Get("Access-Control-Allow-Methods"), "POST") {
		t.Fatalf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
	req.Header.Set("Origin", "https://evil.example")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("a foreign origin was allowed: %v", resp.Header)
	}
}

// TestOpenAPIDocumentsEveryRoute: the served document lists every route of
// the table with its path parameters, so it cannot drift from the code.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	tr, base := serve(t, &fakeHandler{}, nil)
	status, body, _ := do(t, "GET", base+"/openapi.json", "", "")
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if status != http.StatusOK || json.Unmarshal([]byte(body), &doc) != nil || doc.OpenAPI != "3.0.3" {
		t.Fatalf("/openapi.json: %d", status)
	}
	table := tr.routes()
	if len(table) < 40 {
		t.Fatalf("only %d routes", len(table))
	}
	for _, rt := range table {
		op, ok := doc.Paths[strings.TrimSuffix(rt.Path, "{$}")][strings.ToLower(rt.Method)]
		if !ok {
			t.Errorf("%s %s is not documented", rt.Method, rt.Path)
			continue
		}
		for _, m := range regexp.MustCompile(`\{([a-z_]+)\}`).FindAllStringSubmatch(rt.Path, -1) {
			if !strings.Contains(string(op), `"name":"`+m[1]+`","required":true`) && !strings.Contains(string(op), `"in":"path","name":"`+m[1]) {
				t.Errorf("%s %s: path parameter %s not documented: %s", rt.Method, rt.Path, m[1], op)
			}
		}
	}
}
