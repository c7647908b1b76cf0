package bundletest_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/runnel-io/runnel/plugins/bundletest"
	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/transport"
	"github.com/runnel-io/runnel/plugins/transport/transporttest"
	"github.com/runnel-io/runnel/sdk/httpapi"
	"github.com/runnel-io/runnel/sdk/wire"
)

// restHost is the server side of http_ext: it decodes each binary request
// with sdk/wire, answers a few commands and counts sessions. It offers a
// /metrics route, which must not appear on the plugin's port.
type restHost struct {
	mu           sync.Mutex
	codes        []uint32
	connects     int
	disconnected int
}

func (h *restHost) Connect(context.Context, transport.Session) (transport.Conn, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.connects++
	return h, nil
}

func (h *restHost) HTTPRoutes() map[string]http.Handler {
	return map[string]http.Handler{"/metrics": http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "runnel_up 1\n")
	})}
}

func (h *restHost) Handle(_ context.Context, req transport.Request) transport.Response {
	h.mu.Lock()
	h.codes = append(h.codes, req.Code)
	h.mu.Unlock()
	q, err := wire.DecodeRequest(req.Code, req.Payload)
	if err != nil {
		return transport.Response{Status: wire.StatusCode(err)}
	}
	switch q := q.(type) {
	case wire.LoginUserRequest:
		if q.Password != "pw" {
			return transport.Response{Status: wire.ErrInvalidCredentials.Code}
		}
		return transport.Response{Payload: [][]byte{wire.Identity{UserID: 5}.AppendTo(nil)}}
	case wire.CreateStreamRequest:
		b := wire.StreamHeader{ID: 3, Name: q.Name, CreatedAtMicros: 7}.AppendTo(nil)
		return transport.Response{Payload: [][]byte{b[:len(b)/2], b[len(b)/2:]}} // vectored, as a real host may answer
	}
	return transport.Response{}
}

func (h *restHost) Disconnected() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.disconnected++
}

func (h *restHost) counts() (connects, disconnected int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.connects, h.disconnected
}

// serveBinary starts the bundle's transport name with raw and serves h;
// the test's end closes it and checks that Serve returned cleanly.
func serveBinary(t *testing.T, name string, raw map[string]any, h transport.Handler) transport.Transport {
	t.Helper()
	f := bundletest.BinaryTransportFactory(t, transportBinary, name)
	tr, err := f.New(context.Background(), component.Env{Logger: slog.New(slog.DiscardHandler), DataDir: t.TempDir()}, raw)
	if err != nil {
		t.Fatal(err)
	}
	transporttest.Serve(t, tr, h)
	return tr
}

// httpDo sends one request with a 10 s limit and returns status and body.
func httpDo(t *testing.T, method, url, token, body string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
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
	return resp.StatusCode, string(b)
}

// TestHTTPTransportBinary: http_ext of the built bundle serves the REST
// API end to end. A login opens one host Conn (a gRPC stream that outlives
// the login request), the token's requests reach the host as the binary
// commands they translate to, and a failed login and a logout each end
// their Conn with one Disconnected. The host's /metrics route is not
// served: HTTPRoutes do not cross the process boundary.
func TestHTTPTransportBinary(t *testing.T) {
	h := &restHost{}
	tr := serveBinary(t, "http_ext", map[string]any{"address": "127.0.0.1:0", "drain_timeout": "200ms"}, h)
	base := "http://" + tr.Addr()

	if status, body := httpDo(t, "POST", base+"/users/login", "", `{"username":"u","password":"no"}`); status != http.StatusUnauthorized ||
		!strings.Contains(body, `"code":"invalid_credentials"`) {
		t.Fatalf("bad login: %d %s", status, body)
	}
	if c, d := h.counts(); c != 1 || d != 1 {
		t.Fatalf("after a failed login: %d connects, %d disconnects, want 1, 1", c, d)
	}
	status, body := httpDo(t, "POST", base+"/users/login", "", `{"username":"u","password":"pw"}`)
	var id httpapi.Identity
	if status != http.StatusOK || json.Unmarshal([]byte(body), &id) != nil || id.AccessToken == nil || id.UserID != 5 {
		t.Fatalf("login: %d %s", status, body)
	}
	tok := id.AccessToken.Token
	for range 3 { // the session's Conn serves request after request
		status, body = httpDo(t, "POST", base+"/streams", tok, `{"name":"orders"}`)
		if status != http.StatusCreated || body != `{"id":3,"created_at":7,"name":"orders","size":0,"messages_count":0,"topics_count":0}`+"\n" {
			t.Fatalf("create stream: %d %s", status, body)
		}
	}
	if status, body := httpDo(t, "GET", base+"/metrics", "", ""); status != http.StatusNotFound {
		t.Fatalf("host route /metrics on the plugin's port: %d %q, want 404", status, body)
	}
	if status, body := httpDo(t, "DELETE", base+"/users/logout", tok, ""); status != http.StatusNoContent {
		t.Fatalf("logout: %d %s", status, body)
	}
	if c, d := h.counts(); c != 2 || d != 2 {
		t.Fatalf("after logout: %d connects, %d disconnects, want 2, 2", c, d)
	}
	if status, _ := httpDo(t, "POST", base+"/streams", tok, `{"name":"orders"}`); status != http.StatusUnauthorized {
		t.Fatalf("token after logout: %d, want 401", status)
	}
	h.mu.Lock()
	codes := append([]uint32(nil), h.codes...)
	h.mu.Unlock()
	want := []uint32{wire.CodeLoginUser, wire.CodeLoginUser, wire.CodeCreateStream, wire.CodeCreateStream, wire.CodeCreateStream}
	if len(codes) < len(want) {
		t.Fatalf("host got codes %v, want %v first", codes, want)
	}
	for i, c := range want {
		if codes[i] != c {
			t.Fatalf("host got codes %v, want %v first", codes, want)
		}
	}
}

// TestWebSocketBinaryNoHostRoutes: websocket_ext serves its upgrade path
// and nothing else: the host's /metrics route does not cross the process
// boundary, while the built-in transport would serve it beside the path.
func TestWebSocketBinaryNoHostRoutes(t *testing.T) {
	tr := serveBinary(t, "websocket_ext", wsConfig(), &restHost{})
	if status, body := httpDo(t, "GET", "http://"+tr.Addr()+"/metrics", "", ""); status != http.StatusNotFound {
		t.Fatalf("host route /metrics on the plugin's port: %d %q, want 404", status, body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws://"+tr.Addr()+"/ws", nil)
	if err != nil {
		t.Fatalf("upgrade on /ws: %v", err)
	}
	defer ws.CloseNow()
	frame := make([]byte, wire.RequestHeaderSize)
	wire.EncodeRequestHeader(frame, wire.CodePing, 0)
	if err := ws.Write(ctx, websocket.MessageBinary, frame); err != nil {
		t.Fatal(err)
	}
	if _, resp, err := ws.Read(ctx); err != nil || len(resp) != wire.ResponseHeaderSize || resp[0] != 0 {
		t.Fatalf("ping over websocket_ext: %x %v", resp, err)
	}
}
