package quictransport

import (
	"fmt"
	"math"
	"net"
	"time"

	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/transport/connset"
	"github.com/runnel-io/runnel/plugins/transport/transporttls"
)

// Defaults of Config.
const (
	DefaultAddress             = "127.0.0.1:8080"
	DefaultConnectionsMax      = 10000
	DefaultSendPayloadBytesMax = 64 << 20 // one maximal message fits, as over TCP
	DefaultMaxIdleTimeout      = 10 * time.Second
	DefaultKeepAliveInterval   = 5 * time.Second
	DefaultDrainTimeout        = 5 * time.Second
)

// Config is the QUIC transport's configuration. Zero fields take the
// default named beside them: DefaultConfig() equals Config{} with defaults.
type Config struct {
	// Address is host:port (UDP) to listen on; port 0 picks a free port.
	Address string // default 127.0.0.1:8080
	// TLS: QUIC is always encrypted, so TLS.Enabled is ignored. Empty
	// files generate a self-signed certificate at Start.
	TLS transporttls.Config
	// ConnectionsMax bounds open connections; one more is closed right
	// after its handshake (and logged).
	ConnectionsMax int // default 10000
	// SendPayloadBytesMax bounds a SendMessages (code 101) request payload.
	// Every other command is bounded by wire.ControlPayloadBytesMax.
	SendPayloadBytesMax uint32 // default 64 MiB
	// MaxIdleTimeout closes a connection without incoming packets for this
	// long (QUIC's idle timeout, negotiated down to the peer's if lower).
	MaxIdleTimeout time.Duration // default 10s
	// KeepAliveInterval is how often the server pings an idle connection;
	// negative disables it.
	KeepAliveInterval time.Duration // default 5s
	// DrainTimeout bounds how long Close waits for in-flight requests and
	// the status-8 answers before it forces connections shut.
	DrainTimeout time.Duration // default 5s
}

// DefaultConfig returns every default.
func DefaultConfig() Config {
	return Config{}.withDefaults()
}

func (c Config) withDefaults() Config {
	c.TLS.Enabled = true // always: the field only documents it
	if c.Address == "" {
		c.Address = DefaultAddress
	}
	if c.ConnectionsMax == 0 {
		c.ConnectionsMax = DefaultConnectionsMax
	}
	if c.SendPayloadBytesMax == 0 {
		c.SendPayloadBytesMax = DefaultSendPayloadBytesMax
	}
	if c.MaxIdleTimeout == 0 {
		c.MaxIdleTimeout = DefaultMaxIdleTimeout
	}
	if c.KeepAliveInterval == 0 {
		c.KeepAliveInterval = DefaultKeepAliveInterval
	}
	if c.DrainTimeout == 0 {
		c.DrainTimeout = DefaultDrainTimeout
	}
	return c
}

// Validate reports the first invalid field; zero fields count as their
// defaults.
func (c Config) Validate() error {
	c = c.withDefaults()
	if _, _, err := net.SplitHostPort(c.Address); err != nil {
		return fmt.Errorf("quictransport: address %q: %w", c.Address, err)
	}
	if err := c.TLS.Validate(); err != nil {
		return fmt.Errorf("quictransport: %w", err)
	}
	if err := c.connset().Validate(); err != nil {
		return fmt.Errorf("quictransport: %w", err)
	}
	if c.MaxIdleTimeout < 0 {
		return fmt.Errorf("quictransport: max_idle_timeout %s: must not be negative", c.MaxIdleTimeout)
	}
	return nil
}

// connset is the connection set's part of c.
func (c Config) connset() connset.Config {
	return connset.Config{Name: "quictransport", ConnectionsMax: c.ConnectionsMax, DrainTimeout: c.DrainTimeout}
}

// fileTLS is the [quic.tls] table: no "enabled", QUIC is always TLS.
type fileTLS struct {
	CertFile     string `koanf:"cert_file"`
	KeyFile      string `koanf:"key_file"`
	ClientCAFile string `koanf:"client_ca_file"`
}

// fileConfig is Config as written in the server's [quic] table.
type fileConfig struct {
	Address            string  `koanf:"address"`
	ConnectionsMax     int     `koanf:"connections_max"`
	SendPayloadSizeMax string  `koanf:"send_payload_size_max"`
	MaxIdleTimeout     string  `koanf:"max_idle_timeout"`
	KeepAliveInterval  string  `koanf:"keep_alive_interval"`
	DrainTimeout       string  `koanf:"drain_timeout"`
	TLS                fileTLS `koanf:"tls"`
}

// DecodeConfig reads the raw table (the layout of sample.toml) strictly:
// unknown keys are errors, missing keys take their defaults. The result is
// validated.
func DecodeConfig(raw map[string]any) (Config, error) {
	var f fileConfig
	if err := component.Decode(raw, &f); err != nil {
		return Config{}, fmt.Errorf("quictransport: config: %w", err)
	}
	c := DefaultConfig()
	if f.Address != "" {
		c.Address = f.Address
	}
	if f.ConnectionsMax != 0 {
		c.ConnectionsMax = f.ConnectionsMax
	}
	c.TLS = transporttls.Config{Enabled: true, CertFile: f.TLS.CertFile, KeyFile: f.TLS.KeyFile, ClientCAFile: f.TLS.ClientCAFile}
	if err := c.decodeUnits(f); err != nil {
		return Config{}, fmt.Errorf("quictransport: config: %w", err)
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// decodeUnits parses the size and duration strings of f into c.
func (c *Config) decodeUnits(f fileConfig) error {
	var err error
	if c.SendPayloadBytesMax, err = component.SizeField("send_payload_size_max", f.SendPayloadSizeMax, c.SendPayloadBytesMax, math.MaxUint32); err != nil {
		return err
	}
	if c.MaxIdleTimeout, err = component.DurationField("max_idle_timeout", f.MaxIdleTimeout, c.MaxIdleTimeout); err != nil {
		return err
	}
	if c.KeepAliveInterval, err = component.DurationField("keep_alive_interval", f.KeepAliveInterval, c.KeepAliveInterval); err != nil {
		return err
	}
	c.DrainTimeout, err = component.DurationField("drain_timeout", f.DrainTimeout, c.DrainTimeout)
	return err
}
