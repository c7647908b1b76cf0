package httpe2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/runnel-io/runnel/internal/testserver"
)

var serverBinary string

func TestMain(m *testing.M) {
	testserver.Main(m, map[string]*string{"cmd/runnel-server": &serverBinary})
}

var httpListeningRE = regexp.MustCompile(`listening transport=http address=(\S+)`)

// server is a runnel-server with the HTTP transport on a free port.
type server struct {
	*testserver.Server
	base string // http://127.0.0.1:port
}

func startServer(t testing.TB, env ...string) *server {
	t.Helper()
	env = append([]string{"RUNNEL_HTTP_ENABLED=true", "RUNNEL_HTTP_ADDRESS=127.0.0.1:0"}, env...)
	s := testserver.Start(t, serverBinary, env...)
	var addr string
	testserver.Eventually(t, "the http listener's address in the log", func() bool {
		m := httpListeningRE.FindStringSubmatch(s.Output())
		if m != nil {
			addr = m[1]
		}
		return m != nil
	})
	return &server{Server: s, base: "http://" + addr}
}

// api is a JSON client of one server; token is sent when set.
type api struct {
	t     testing.TB
	base  string
	hc    *http.Client
	token string
}

func newAPI(t testing.TB, s *server) *api {
	return &api{t: t, base: s.base, hc: &http.Client{Timeout: 30 * time.Second}}
}

// reply is one answer.
type reply struct {
	status int
	body   []byte
}

// errorBody decodes Iggy's error JSON.
func (r reply) errorBody(t testing.TB) (id uint32, code string) {
	t.Helper()
	var e struct {
		ID     uint32 `json:"id"`
		Code   string `json:"code"`
		Reason string `json:"reason"`
	}
	if err := json.Unmarshal(r.body, &e); err != nil || e.Reason == "" {
		t.Fatalf("error body %q: not {id, code, reason} (%v)", r.body, err)
	}
	return e.ID, e.Code
}

// raw sends body as is.
func (a *api) raw(method, path, contentType string, body []byte) reply {
	a.t.Helper()
	req, err := http.NewRequest(method, a.base+path, bytes.NewReader(body))
	if err != nil {
		a.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	resp, err := a.hc.Do(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		a.t.Fatalf("%s %s: read: %v", method, path, err)
	}
	return reply{status: resp.StatusCode, body: b}
}

// call sends in as JSON (nil: no body) and returns the answer.
func (a *api) call(method, path string, in any) reply {
	a.t.Helper()
	if in == nil {
		return a.raw(method, path, "", nil)
	}
	b, err := json.Marshal(in)
	if err != nil {
		a.t.Fatal(err)
	}
	return a.raw(method, path, "application/json", b)
}

// must calls and fails unless the status is want; out (if set) receives
// the JSON answer.
func (a *api) must(method, path string, in any, want int, out any) {
	a.t.Helper()
	r := a.call(method, path, in)
	if r.status != want {
		a.t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.status, want, r.body)
	}
	if out != nil {
		if err := json.Unmarshal(r.body, out); err != nil {
			a.t.Fatalf("%s %s: answer %q: %v", method, path, r.body, err)
		}
	}
}

type tokenInfo struct {
	Token  string `json:"token"`
	Expiry uint64 `json:"expiry"`
}

type identity struct {
	UserID       uint32     `json:"user_id"`
	AccessToken  *tokenInfo `json:"access_token"`
	RefreshToken *tokenInfo `json:"refresh_token"`
}

// login logs in as root and keeps the access token.
func (a *api) login() identity {
	a.t.Helper()
	var id identity
	a.must("POST", "/users/login", map[string]string{"username": testserver.RootUser, "password": testserver.RootPassword}, http.StatusOK, &id)
	if id.AccessToken == nil || id.AccessToken.Token == "" || id.RefreshToken == nil || id.RefreshToken.Token == "" {
		a.t.Fatalf("login answer without tokens: %+v", id)
	}
	a.token = id.AccessToken.Token
	return id
}

func topicPath(stream, topic any) string {
	return fmt.Sprintf("/streams/%v/topics/%v", stream, topic)
}

func contains(s []byte, sub string) bool { return strings.Contains(string(s), sub) }
