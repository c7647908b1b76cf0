package client

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"time"
)

// Defaults, chosen to stay modest: a client never waits long on its own.
const (
	dialTimeoutDefault       = 10 * time.Second
	reconnectAttemptsDefault = 3
	reconnectBackoffDefault  = 100 * time.Millisecond
	reconnectBackoffMax      = 2 * time.Second
	// responseBytesMaxDefault bounds one response payload (a large poll).
	responseBytesMaxDefault = 256 << 20
)

type config struct {
	transport         Transport
	wsPath            string
	tlsEnabled        bool
	tlsBase           *tls.Config
	tlsCAFile         string
	tlsServerName     string
	tlsInsecure       bool
	tlsCertFile       string
	tlsKeyFile        string
	dialTimeout       time.Duration
	reconnectAttempts int
	reconnectBackoff  time.Duration
	responseBytesMax  uint32
	followLeader      bool
}

func defaultConfig() config {
	return config{
		transport:         TransportTCP,
		wsPath:            "/",
		dialTimeout:       dialTimeoutDefault,
		reconnectAttempts: reconnectAttemptsDefault,
		reconnectBackoff:  reconnectBackoffDefault,
		responseBytesMax:  responseBytesMaxDefault,
		followLeader:      true,
	}
}

// Option configures Dial and Open.
type Option func(*config)

// WithTLS speaks TLS, starting from base (cloned; nil means defaults). The
// server name defaults to the host part of the address.
func WithTLS(base *tls.Config) Option {
	return func(c *config) {
		c.tlsEnabled = true
		if base != nil {
			c.tlsBase = base.Clone()
		}
	}
}

// WithTLSCAFile speaks TLS and trusts the PEM certificates in path.
func WithTLSCAFile(path string) Option {
	return func(c *config) { c.tlsEnabled, c.tlsCAFile = true, path }
}

// WithTLSServerName speaks TLS and verifies the certificate for name.
func WithTLSServerName(name string) Option {
	return func(c *config) { c.tlsEnabled, c.tlsServerName = true, name }
}

// WithTLSInsecureSkipVerify speaks TLS without verifying the server
// certificate. For tests only.
func WithTLSInsecureSkipVerify() Option {
	return func(c *config) { c.tlsEnabled, c.tlsInsecure = true, true }
}

// WithDialTimeout bounds each connection attempt (default 10 s) when the
// context has no earlier deadline.
func WithDialTimeout(d time.Duration) Option {
	return func(c *config) { c.dialTimeout = d }
}

// WithReconnect sets how many dials a call makes after the connection broke
// (0 disables reconnecting) and the first backoff between them, which
// doubles up to 2 s.
func WithReconnect(attempts int, backoff time.Duration) Option {
	return func(c *config) { c.reconnectAttempts, c.reconnectBackoff = attempts, backoff }
}

// WithResponseBytesMax bounds one response payload (default 256 MiB).
func WithResponseBytesMax(n uint32) Option {
	return func(c *config) { c.responseBytesMax = n }
}

// WithTransport picks the medium (default TransportTCP). QUIC is always
// encrypted: the TLS options configure how the server is verified.
func WithTransport(t Transport) Option {
	return func(c *config) { c.transport = t }
}

// WithWebSocketPath sets the URL path of TransportWebSocket (default "/").
func WithWebSocketPath(path string) Option {
	return func(c *config) { c.wsPath = path }
}

// WithTLSClientCertFile speaks TLS and presents the PEM certificate and key
// in certFile and keyFile, for servers that require client certificates.
func WithTLSClientCertFile(certFile, keyFile string) Option {
	return func(c *config) { c.tlsEnabled, c.tlsCertFile, c.tlsKeyFile = true, certFile, keyFile }
}

// tlsConfig builds the crypto/tls configuration, or nil for plain TCP and
// WebSocket.
func (c config) tlsConfig(host string) (*tls.Config, error) {
	if !c.tlsEnabled && c.transport != TransportQUIC {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.tlsBase != nil {
		cfg = c.tlsBase.Clone()
	}
	if c.tlsServerName != "" {
		cfg.ServerName = c.tlsServerName
	}
	if cfg.ServerName == "" {
		cfg.ServerName = host
	}
	if c.tlsInsecure {
		cfg.InsecureSkipVerify = true
	}
	if c.tlsCAFile != "" {
		pem, err := os.ReadFile(c.tlsCAFile)
		if err != nil {
			return nil, fmt.Errorf("client: read CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("client: no PEM certificates in %s", c.tlsCAFile)
		}
		cfg.RootCAs = pool
	}
	if c.tlsCertFile != "" || c.tlsKeyFile != "" {
		cert, err := tls.LoadX509KeyPair(c.tlsCertFile, c.tlsKeyFile)
		if err != nil {
			return nil, fmt.Errorf("client: client certificate: %w", err)
		}
		cfg.Certificates = append(cfg.Certificates, cert)
	}
	if c.transport == TransportQUIC {
		cfg.MinVersion = tls.VersionTLS13 // QUIC requires it
		cfg.NextProtos = nil              // no ALPN, as Iggy (wire reference §7.2)
	}
	return cfg, nil
}

// WithoutLeaderRedirect keeps the connection on the node dialled even when
// the server reports another node as the cluster's leader.
func WithoutLeaderRedirect() Option {
	return func(c *config) { c.followLeader = false }
}
