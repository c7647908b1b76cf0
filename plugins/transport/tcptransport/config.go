package tcptransport

import (
	"fmt"
	"math"
	"net"
	"time"

	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/transport/connset"
	"github.com/runnel-io/runnel/plugins/transport/transporttls"
)

// Defaults and bounds of Config.
const (
	DefaultAddress             = "127.0.0.1:8090"
	DefaultConnectionsMax      = 10000
	DefaultSendPayloadBytesMax = 64 << 20 // one maximal message (64 000 000 B payload + 100 000 B headers) fits
	DefaultReadBufferBytes     = 16 << 10
	DefaultWriteBufferBytes    = 16 << 10
	DefaultKeepAlive           = 15 * time.Second
	DefaultDrainTimeout        = 5 * time.Second

	bufferBytesMin = 512 // holds any header and a few small responses
	bufferBytesMax = 16 << 20
)

// Config is the TCP transport's configuration. Zero fields take the default
// named beside them, except NoDelay, whose zero value (Nagle on) is kept:
// start from DefaultConfig to get every default.
type Config struct {
	// Address is host:port to listen on; port 0 picks a free port.
	Address string // default 127.0.0.1:8090
	TLS     transporttls.Config
	// ConnectionsMax bounds open connections; one more is accepted and
	// closed at once (and logged).
	ConnectionsMax int // default 10000
	// SendPayloadBytesMax bounds a SendMessages (code 101) request payload.
	// Every other command is bounded by wire.ControlPayloadBytesMax.
	SendPayloadBytesMax uint32 // default 64 MiB
	// ReadBufferBytes and WriteBufferBytes size the per-connection user-space
	// buffers (not SO_RCVBUF/SO_SNDBUF). Payloads larger than the read
	// buffer are read straight into the request buffer; responses larger than
	// the write buffer go out with writev without being copied.
	ReadBufferBytes  int // default 16 KiB
	WriteBufferBytes int // default 16 KiB
	// NoDelay sets TCP_NODELAY on accepted connections.
	NoDelay bool // DefaultConfig: true
	// KeepAlive is the TCP keep-alive period; negative disables it.
	KeepAlive time.Duration // default 15s
	// DrainTimeout bounds how long Close waits for in-flight requests and
	// the status-8 frames before it forces connections shut.
	DrainTimeout time.Duration // default 5s
}

// DefaultConfig returns every default, NoDelay included.
func DefaultConfig() Config {
	return Config{NoDelay: true}.withDefaults()
}

// withDefaults fills zero fields.
func (c Config) withDefaults() Config {
	if c.Address == "" {
		c.Address = DefaultAddress
	}
	if c.ConnectionsMax == 0 {
		c.ConnectionsMax = DefaultConnectionsMax
	}
	if c.SendPayloadBytesMax == 0 {
		c.SendPayloadBytesMax = DefaultSendPayloadBytesMax
	}
	if c.ReadBufferBytes == 0 {
		c.ReadBufferBytes = DefaultReadBufferBytes
	}
	if c.WriteBufferBytes == 0 {
		c.WriteBufferBytes = DefaultWriteBufferBytes
	}
	if c.KeepAlive == 0 {
		c.KeepAlive = DefaultKeepAlive
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
		return fmt.Errorf("tcptransport: address %q: %w", c.Address, err)
	}
	if err := c.TLS.Validate(); err != nil {
		return fmt.Errorf("tcptransport: %w", err)
	}
	if err := c.connset().Validate(); err != nil {
		return fmt.Errorf("tcptransport: %w", err)
	}
	if err := checkBuffer("read_buffer_size", c.ReadBufferBytes); err != nil {
		return err
	}
	return checkBuffer("write_buffer_size", c.WriteBufferBytes)
}

// connset is the connection set's part of c.
func (c Config) connset() connset.Config {
	return connset.Config{Name: "tcptransport", ConnectionsMax: c.ConnectionsMax, DrainTimeout: c.DrainTimeout}
}

func checkBuffer(key string, n int) error {
	if n < bufferBytesMin || n > bufferBytesMax {
		return fmt.Errorf("tcptransport: %s %d: must be between %d and %d bytes", key, n, bufferBytesMin, bufferBytesMax)
	}
	return nil
}

// fileConfig is Config as written in the server's [tcp] table: sizes and
// durations are strings with units ("64MiB", "5s").
type fileConfig struct {
	Address            string              `koanf:"address"`
	ConnectionsMax     int                 `koanf:"connections_max"`
	SendPayloadSizeMax string              `koanf:"send_payload_size_max"`
	ReadBufferSize     string              `koanf:"read_buffer_size"`
	WriteBufferSize    string              `koanf:"write_buffer_size"`
	NoDelay            *bool               `koanf:"nodelay"`
	KeepAlive          string              `koanf:"keepalive"`
	DrainTimeout       string              `koanf:"drain_timeout"`
	TLS                transporttls.Config `koanf:"tls"`
}

// DecodeConfig reads the raw table (the layout of sample.toml) strictly:
// unknown keys are errors, missing keys take their defaults. The result is
// validated.
func DecodeConfig(raw map[string]any) (Config, error) {
	var f fileConfig
	if err := component.Decode(raw, &f); err != nil {
		return Config{}, fmt.Errorf("tcptransport: config: %w", err)
	}
	c := DefaultConfig()
	if f.Address != "" {
		c.Address = f.Address
	}
	if f.ConnectionsMax != 0 {
		c.ConnectionsMax = f.ConnectionsMax
	}
	if f.NoDelay != nil {
		c.NoDelay = *f.NoDelay
	}
	c.TLS = f.TLS
	if err := c.decodeUnits(f); err != nil {
		return Config{}, fmt.Errorf("tcptransport: config: %w", err)
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
	if c.ReadBufferBytes, err = component.SizeField("read_buffer_size", f.ReadBufferSize, c.ReadBufferBytes, bufferBytesMax); err != nil {
		return err
	}
	if c.WriteBufferBytes, err = component.SizeField("write_buffer_size", f.WriteBufferSize, c.WriteBufferBytes, bufferBytesMax); err != nil {
		return err
	}
	if c.KeepAlive, err = component.DurationField("keepalive", f.KeepAlive, c.KeepAlive); err != nil {
		return err
	}
	c.DrainTimeout, err = component.DurationField("drain_timeout", f.DrainTimeout, c.DrainTimeout)
	return err
}
