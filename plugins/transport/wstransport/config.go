package wstransport

import (
	"fmt"
	"math"
	"net"
	"strings"
	"time"

	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/transport/connset"
	"github.com/runnel-io/runnel/plugins/transport/transporttls"
)

// Defaults of Config.
const (
	DefaultAddress             = "127.0.0.1:8092"
	DefaultPath                = "/"
	DefaultConnectionsMax      = 10000
	DefaultSendPayloadBytesMax = 64 << 20 // one maximal message fits, as over TCP
	DefaultDrainTimeout        = 5 * time.Second
)

// Config is the WebSocket transport's configuration. Zero fields take the
// default named beside them.
type Config struct {
	// Address is host:port to listen on; port 0 picks a free port.
	Address string // default 127.0.0.1:8092
	// Path is the URL path upgraded to WebSocket, exactly (no prefix match).
	Path string // default "/"
	// TLS switches the listener to HTTPS (wss://), optionally requiring
	// client certificates.
	TLS transporttls.Config
	// ConnectionsMax bounds open WebSocket connections; one more upgrade
	// is refused with HTTP 503.
	ConnectionsMax int // default 10000
	// SendPayloadBytesMax bounds a SendMessages (code 101) request payload.
	// Every other command is bounded by wire.ControlPayloadBytesMax.
	SendPayloadBytesMax uint32 // default 64 MiB
	// DrainTimeout bounds how long Close waits for in-flight requests and
	// the status-8 frames before it forces connections shut.
	DrainTimeout time.Duration // default 5s
}

// DefaultConfig returns every default.
func DefaultConfig() Config {
	return Config{}.withDefaults()
}

func (c Config) withDefaults() Config {
	if c.Address == "" {
		c.Address = DefaultAddress
	}
	if c.Path == "" {
		c.Path = DefaultPath
	}
	if c.ConnectionsMax == 0 {
		c.ConnectionsMax = DefaultConnectionsMax
	}
	if c.SendPayloadBytesMax == 0 {
		c.SendPayloadBytesMax = DefaultSendPayloadBytesMax
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
		return fmt.Errorf("wstransport: address %q: %w", c.Address, err)
	}
	if !strings.HasPrefix(c.Path, "/") || strings.ContainsAny(c.Path, "{} ?#") {
		return fmt.Errorf("wstransport: path %q: must start with / and hold no {, }, space, ? or #", c.Path)
	}
	if err := c.TLS.Validate(); err != nil {
		return fmt.Errorf("wstransport: %w", err)
	}
	if err := c.connset().Validate(); err != nil {
		return fmt.Errorf("wstransport: %w", err)
	}
	return nil
}

// connset is the connection set's part of c.
func (c Config) connset() connset.Config {
	return connset.Config{Name: "wstransport", ConnectionsMax: c.ConnectionsMax, DrainTimeout: c.DrainTimeout}
}

// fileConfig is Config as written in the server's [websocket] table.
type fileConfig struct {
	Address            string              `koanf:"address"`
	Path               string              `koanf:"path"`
	ConnectionsMax     int                 `koanf:"connections_max"`
	SendPayloadSizeMax string              `koanf:"send_payload_size_max"`
	DrainTimeout       string              `koanf:"drain_timeout"`
	TLS                transporttls.Config `koanf:"tls"`
}

// DecodeConfig reads the raw table (the layout of sample.toml) strictly:
// unknown keys are errors, missing keys take their defaults. The result is
// validated.
func DecodeConfig(raw map[string]any) (Config, error) {
	var f fileConfig
	if err := component.Decode(raw, &f); err != nil {
		return Config{}, fmt.Errorf("wstransport: config: %w", err)
	}
	c := DefaultConfig()
	if f.Address != "" {
		c.Address = f.Address
	}
	if f.Path != "" {
		c.Path = f.Path
	}
	if f.ConnectionsMax != 0 {
		c.ConnectionsMax = f.ConnectionsMax
	}
	c.TLS = f.TLS
	var err error
	if c.SendPayloadBytesMax, err = component.SizeField("send_payload_size_max", f.SendPayloadSizeMax, c.SendPayloadBytesMax, math.MaxUint32); err != nil {
		return Config{}, fmt.Errorf("wstransport: config: %w", err)
	}
	if c.DrainTimeout, err = component.DurationField("drain_timeout", f.DrainTimeout, c.DrainTimeout); err != nil {
		return Config{}, fmt.Errorf("wstransport: config: %w", err)
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// pattern is the http.ServeMux pattern matching Path exactly.
func (c Config) pattern() string {
	if strings.HasSuffix(c.Path, "/") {
		return c.Path + "{$}"
	}
	return c.Path
}
