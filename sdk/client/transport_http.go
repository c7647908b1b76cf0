package client

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/runnel-io/runnel/sdk/httpapi"
	"github.com/runnel-io/runnel/sdk/wire"
)

// exchanger is a connection that carries whole requests instead of a byte
// stream: the HTTP transport. The request loop hands it the binary request
// (code and payload, encoded by sdk/wire as for TCP) and gets the binary
// answer payload back, so everything above the loop is unchanged.
type exchanger interface {
	exchange(ctx context.Context, code uint32, payload []byte) ([]byte, error)
}

// HTTP transport limits.
const (
	// httpLogoutTimeout bounds the best-effort logout when a client closes.
	httpLogoutTimeout = 2 * time.Second
	// httpRefreshMarginMax: the access token is refreshed this long before
	// it expires (or a quarter of its life, if shorter).
	httpRefreshMarginMax = 30 * time.Second
	// httpErrorBodyBytesMax bounds how much of an error answer is read.
	httpErrorBodyBytesMax = 64 << 10
	// httpAnswerSlackBytes: room for JSON around a base64 payload.
	httpAnswerSlackBytes = 1 << 20
)

// httpConn speaks the REST API (sdk/httpapi) for the request loop: each
// binary request becomes its route's call, each JSON answer the binary
// payload. A login keeps the JWTs; the access token is refreshed before
// it expires, and a 401 of the HTTP layer (token expired or revoked,
// session gone) logs in again with the same credentials and retries once,
// as the TCP client logs in again after a reconnect.
type httpConn struct {
	hc             *http.Client
	base           string // http://host:port or https://host:port
	answerBytesMax int64
	now            func() time.Time

	mu            sync.Mutex // the Client serializes calls; mu guards against Close during one
	access        string
	accessExp     time.Time
	refreshMargin time.Duration
	refresh       string
	refreshExp    time.Time
	login         []byte // JSON body of the last successful login
	loginRoute    httpapi.Route
}

var (
	_ net.Conn  = (*httpConn)(nil)
	_ exchanger = (*httpConn)(nil)
)

// dialHTTP checks the server answers GET /ping and returns the connection.
func dialHTTP(ctx context.Context, addr string, cfg config, tlsCfg *tls.Config) (*httpConn, error) {
	scheme := "http://"
	if tlsCfg != nil {
		scheme = "https://"
	}
	d := &net.Dialer{Timeout: cfg.dialTimeout}
	c := &httpConn{
		hc: &http.Client{Transport: &http.Transport{
			DialContext:         d.DialContext,
			TLSClientConfig:     tlsCfg,
			TLSHandshakeTimeout: cfg.dialTimeout,
			MaxIdleConnsPerHost: 2, // calls are serialized: one connection in use
			DisableCompression:  true,
		}},
		base:           scheme + addr,
		answerBytesMax: 2*int64(cfg.responseBytesMax) + httpAnswerSlackBytes, // base64 is 4/3 of the bytes
		now:            time.Now,
	}
	if cfg.dialTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.dialTimeout)
		defer cancel()
	}
	if _, err := c.exchange(ctx, wire.CodePing, nil); err != nil {
		c.hc.CloseIdleConnections()
		return nil, err
	}
	return c, nil
}

// exchange runs one command as its REST call.
func (c *httpConn) exchange(ctx context.Context, code uint32, payload []byte) ([]byte, error) {
	call, err := httpapi.Build(code, payload)
	if err != nil {
		return nil, err
	}
	body, err := jsonBody(call.Body)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !call.Route.Public {
		if err := c.freshen(ctx); err != nil {
			return nil, err
		}
	}
	answer, err := c.send(ctx, call, body)
	if errors.Is(err, httpapi.ErrSession) && c.login != nil {
		if err = c.relogin(ctx); err != nil {
			return nil, err
		}
		answer, err = c.send(ctx, call, body)
	}
	if err != nil {
		return nil, err
	}
	switch code {
	case wire.CodeLoginUser, wire.CodeLoginWithPersonalAccessToken:
		if err := c.keepTokens(answer); err != nil {
			return nil, err
		}
		c.login, c.loginRoute = body, call.Route
	case wire.CodeLogoutUser:
		c.forget()
	}
	return httpapi.Answer(code, answer)
}

func jsonBody(v any) ([]byte, error) {
	if v == nil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("http: encode %T: %w", v, err)
	}
	return b, nil
}

// send performs one call and returns the answer body, or the error the
// answer carries.
func (c *httpConn) send(ctx context.Context, call httpapi.Call, body []byte) ([]byte, error) {
	url := c.base + call.Path
	if len(call.Query) > 0 {
		url += "?" + call.Query.Encode()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, call.Route.Method, url, rd)
	if err != nil {
		return nil, fmt.Errorf("http: %w", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if !call.Route.Public && c.access != "" {
		req.Header.Set("Authorization", "Bearer "+c.access)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, httpErrorBodyBytesMax))
		return nil, httpapi.DecodeError(resp.StatusCode, b)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, c.answerBytesMax+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > c.answerBytesMax {
		return nil, fmt.Errorf("http: answer exceeds %d bytes (WithResponseBytesMax)", c.answerBytesMax)
	}
	return b, nil
}

// keepTokens stores the tokens of a login or refresh answer.
func (c *httpConn) keepTokens(answer []byte) error {
	var id httpapi.Identity
	if err := json.Unmarshal(answer, &id); err != nil || id.AccessToken == nil {
		return wire.ErrInvalidJSONResponse.Detail("login answer without an access token (%v)", err)
	}
	now := c.now()
	c.access, c.accessExp = id.AccessToken.Token, time.Unix(int64(id.AccessToken.Expiry), 0)
	c.refreshMargin = min(httpRefreshMarginMax, c.accessExp.Sub(now)/4)
	if id.RefreshToken != nil {
		c.refresh, c.refreshExp = id.RefreshToken.Token, time.Unix(int64(id.RefreshToken.Expiry), 0)
	}
	return nil
}

func (c *httpConn) forget() {
	c.access, c.refresh, c.login = "", "", nil
}

// freshen refreshes the access token when it is about to expire, or logs
// in again when the refresh token cannot.
func (c *httpConn) freshen(ctx context.Context) error {
	now := c.now()
	if c.access == "" || now.Add(c.refreshMargin).Before(c.accessExp) {
		return nil
	}
	if c.refresh != "" && now.Before(c.refreshExp) {
		body, err := json.Marshal(httpapi.Token{Token: c.refresh})
		if err != nil {
			return err
		}
		rt := httpapi.RefreshRoute()
		answer, err := c.send(ctx, httpapi.Call{Route: rt, Path: rt.Path}, body)
		if err == nil {
			return c.keepTokens(answer)
		}
		if !errors.Is(err, httpapi.ErrSession) {
			return err
		}
	}
	if c.login == nil {
		return nil // the server answers 401 itself
	}
	return c.relogin(ctx)
}

// relogin repeats the last login: a new server session.
func (c *httpConn) relogin(ctx context.Context) error {
	answer, err := c.send(ctx, httpapi.Call{Route: c.loginRoute, Path: c.loginRoute.Path}, c.login)
	if err != nil {
		return fmt.Errorf("http: login again: %w", err)
	}
	return c.keepTokens(answer)
}

// Close logs the session out (best effort, bounded) so the server frees
// it at once, as closing a TCP connection does.
func (c *httpConn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.access != "" && c.now().Before(c.accessExp) {
		ctx, cancel := context.WithTimeout(context.Background(), httpLogoutTimeout)
		rt, _ := httpapi.RouteOf(wire.CodeLogoutUser)
		_, _ = c.send(ctx, httpapi.Call{Route: rt, Path: rt.Path}, nil)
		cancel()
	}
	c.forget()
	c.hc.CloseIdleConnections()
	return nil
}

// errHTTPStream: the request loop never streams bytes over HTTP.
var errHTTPStream = errors.New("client: the http transport carries whole requests, not a byte stream")

func (c *httpConn) Read([]byte) (int, error)         { return 0, errHTTPStream }
func (c *httpConn) Write([]byte) (int, error)        { return 0, errHTTPStream }
func (c *httpConn) LocalAddr() net.Addr              { return httpAddr("") }
func (c *httpConn) RemoteAddr() net.Addr             { return httpAddr(c.base) }
func (c *httpConn) SetDeadline(time.Time) error      { return nil } // ctx bounds each call
func (c *httpConn) SetReadDeadline(time.Time) error  { return nil }
func (c *httpConn) SetWriteDeadline(time.Time) error { return nil }

// httpAddr is the base URL as a net.Addr.
type httpAddr string

func (a httpAddr) Network() string { return "http" }
func (a httpAddr) String() string  { return string(a) }
