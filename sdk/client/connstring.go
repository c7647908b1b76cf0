package client

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/runnel-io/runnel/sdk/wire"
)

// DefaultPort is the Iggy TCP port used when a connection string has none.
const DefaultPort = "8090"

// ConnString is a parsed connection string:
//
//	runnel://user:password@host:port?tls=true
//	runnel://token@host:port
//	runnel+quic://user:password@host:8080?tls_insecure_skip_verify=true
//	runnel+ws://user:password@host:8092/path?tls=true
//	runnel+http://user:password@host:3000?tls=true
//
// The scheme picks the transport: runnel, runnel+tcp, iggy and iggy+tcp are
// TCP (default port 8090); runnel+quic and iggy+quic are QUIC (8080, always
// TLS); runnel+ws and iggy+ws are WebSocket (8092; wss with tls=true), whose
// URL path is the WebSocket path; runnel+http and iggy+http are the HTTP
// REST API (3000; https with tls=true). User info without a password is a
// personal access token; percent-encode characters such as '/' in it.
// Query parameters: tls (bool), tls_domain, tls_ca_file,
// tls_insecure_skip_verify (bool), tls_cert_file and tls_key_file (client
// certificate), leader_redirect (bool), reconnection_retries (int),
// reconnection_interval (Go duration). Unknown parameters are an error.
type ConnString struct {
	Addr      string
	Transport Transport
	Username  string
	Password  string
	Token     string
	Options   []Option
}

// schemeTransport maps connection-string schemes to transports.
func schemeTransport(scheme string) (Transport, error) {
	name, medium, _ := strings.Cut(scheme, "+")
	if name != "runnel" && name != "iggy" {
		return "", badConnString("scheme %q", scheme)
	}
	switch medium {
	case "", "tcp":
		return TransportTCP, nil
	case "quic":
		return TransportQUIC, nil
	case "ws":
		return TransportWebSocket, nil
	case "http":
		return TransportHTTP, nil
	}
	return "", badConnString("scheme %q", scheme)
}

// ParseConnString parses s without connecting.
func ParseConnString(s string) (ConnString, error) {
	u, err := url.Parse(s)
	if err != nil {
		return ConnString{}, fmt.Errorf("client: connection string: %w", err)
	}
	tr, err := schemeTransport(u.Scheme)
	if err != nil {
		return ConnString{}, err
	}
	if u.Host == "" {
		return ConnString{}, badConnString("no host")
	}
	cs := ConnString{Addr: u.Host, Transport: tr, Options: []Option{WithTransport(tr)}}
	switch {
	case tr == TransportWebSocket && u.Path != "":
		cs.Options = append(cs.Options, WithWebSocketPath(u.Path))
	case u.Path != "" && u.Path != "/":
		return ConnString{}, badConnString("unexpected path %q", u.Path)
	}
	if u.Port() == "" {
		cs.Addr = net.JoinHostPort(u.Hostname(), tr.defaultPort())
	}
	if u.User != nil {
		if pw, ok := u.User.Password(); ok {
			cs.Username, cs.Password = u.User.Username(), pw
		} else {
			cs.Token = u.User.Username()
		}
	}
	opts, err := queryOptions(u.Query())
	if err != nil {
		return ConnString{}, err
	}
	cs.Options = append(cs.Options, opts...)
	return cs, nil
}

func queryOptions(q url.Values) ([]Option, error) {
	var opts []Option
	retries, interval := reconnectAttemptsDefault, reconnectBackoffDefault
	reconnectSet := false
	var certFile, keyFile string
	for key, values := range q {
		v := values[len(values)-1]
		switch key {
		case "tls", "tls_insecure_skip_verify":
			on, err := strconv.ParseBool(v)
			if err != nil {
				return nil, badConnString("%s=%q", key, v)
			}
			if on && key == "tls" {
				opts = append(opts, WithTLS(nil))
			} else if on {
				opts = append(opts, WithTLSInsecureSkipVerify())
			}
		case "tls_domain":
			opts = append(opts, WithTLSServerName(v))
		case "tls_ca_file":
			opts = append(opts, WithTLSCAFile(v))
		case "tls_cert_file":
			certFile = v
		case "tls_key_file":
			keyFile = v
		case "leader_redirect":
			on, err := strconv.ParseBool(v)
			if err != nil {
				return nil, badConnString("%s=%q", key, v)
			}
			if !on {
				opts = append(opts, WithoutLeaderRedirect())
			}
		case "reconnection_retries":
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return nil, badConnString("%s=%q", key, v)
			}
			retries, reconnectSet = n, true
		case "reconnection_interval":
			d, err := time.ParseDuration(v)
			if err != nil || d < 0 {
				return nil, badConnString("%s=%q", key, v)
			}
			interval, reconnectSet = d, true
		default:
			return nil, badConnString("unknown parameter %q", key)
		}
	}
	if reconnectSet {
		opts = append(opts, WithReconnect(retries, interval))
	}
	if certFile != "" || keyFile != "" {
		if certFile == "" || keyFile == "" {
			return nil, badConnString("tls_cert_file and tls_key_file go together")
		}
		opts = append(opts, WithTLSClientCertFile(certFile, keyFile))
	}
	return opts, nil
}

func badConnString(format string, args ...any) error {
	return fmt.Errorf("client: %w", wire.ErrInvalidConnectionString.Detail(format, args...))
}

// Open parses a connection string, dials, and logs in with its credentials
// (user and password, or a personal access token) when it has any. opts
// apply after the string's own options.
func Open(ctx context.Context, connString string, opts ...Option) (*Client, error) {
	cs, err := ParseConnString(connString)
	if err != nil {
		return nil, err
	}
	c, err := Dial(ctx, cs.Addr, append(cs.Options, opts...)...)
	if err != nil {
		return nil, err
	}
	switch {
	case cs.Token != "":
		_, err = c.LoginWithPersonalAccessToken(ctx, cs.Token)
	case cs.Username != "":
		_, err = c.LoginUser(ctx, cs.Username, cs.Password)
	}
	if err != nil {
		_ = c.Close()
		return nil, err
	}
	return c, nil
}
