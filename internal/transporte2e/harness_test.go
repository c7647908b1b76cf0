package transporte2e

import (
	"context"
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/runnel-io/runnel/internal/testserver"
	"github.com/runnel-io/runnel/sdk/client"
)

var serverBinary string

func TestMain(m *testing.M) {
	testserver.Main(m, map[string]*string{"cmd/runnel-server": &serverBinary})
}

// medium is one transport of a running server as a client reaches it.
type medium struct {
	name string // "tcp", "quic", "ws", "http"
	addr string
	url  string // root user's connection string
}

// server is a runnel-server with every transport listening.
type server struct {
	*testserver.Server
	media []medium // tcp, quic, ws, http
}

var listeningRE = map[string]*regexp.Regexp{
	"quic": regexp.MustCompile(`msg=listening transport=quic address=(\S+)`),
	"ws":   regexp.MustCompile(`msg=listening transport=websocket address=(\S+)`),
	"http": regexp.MustCompile(`msg=listening transport=http address=(\S+)`),
}

// startServer starts the binary with QUIC, WebSocket and HTTP enabled on
// free loopback ports (QUIC with its generated certificate).
func startServer(t testing.TB, env ...string) *server {
	t.Helper()
	s := &server{Server: testserver.Start(t, serverBinary, append([]string{
		"RUNNEL_QUIC_ENABLED=true", "RUNNEL_QUIC_ADDRESS=127.0.0.1:0",
		"RUNNEL_WEBSOCKET_ENABLED=true", "RUNNEL_WEBSOCKET_ADDRESS=127.0.0.1:0",
		"RUNNEL_HTTP_ENABLED=true", "RUNNEL_HTTP_ADDRESS=127.0.0.1:0",
	}, env...)...)}
	creds := testserver.RootUser + ":" + testserver.RootPassword
	s.media = append(s.media, medium{"tcp", s.Addr, fmt.Sprintf("runnel://%s@%s", creds, s.Addr)})
	for _, name := range []string{"quic", "ws", "http"} {
		var addr string
		testserver.Eventually(t, name+" listening", func() bool {
			m := listeningRE[name].FindStringSubmatch(s.Output())
			if m != nil {
				addr = m[1]
			}
			return m != nil
		})
		url := fmt.Sprintf("runnel+%s://%s@%s", name, creds, addr)
		if name == "quic" {
			url += "?tls_insecure_skip_verify=true" // the generated certificate
		}
		s.media = append(s.media, medium{name, addr, url})
	}
	return s
}

// open logs in as root over m.
func open(t testing.TB, m medium, opts ...client.Option) *client.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := client.Open(ctx, m.url, opts...)
	if err != nil {
		t.Fatalf("%s: open %s: %v", m.name, m.url, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}
