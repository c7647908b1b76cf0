package httptransport

import (
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/runnel-io/runnel/plugins/component"
	"github.com/runnel-io/runnel/plugins/transport/transporttls"
)

// Defaults and bounds of Config.
const (
	DefaultAddress            = "127.0.0.1:3000"
	DefaultConnectionsMax     = 10000
	DefaultBodyBytesMax       = 64 << 20 // one maximal SendMessages batch, base64 and all
	DefaultDrainTimeout       = 5 * time.Second
	DefaultAccessTokenExpiry  = time.Hour
	DefaultRefreshTokenExpiry = 24 * time.Hour

	// jwtSecretBytesMin: HS256 wants a key as long as its hash (RFC 7518 §3.2).
	jwtSecretBytesMin = 32
	bodyBytesMin      = 1 << 10 // a login body must fit
	bodyBytesMax      = 1 << 30
)

// Config is the HTTP transport's configuration. Start from DefaultConfig;
// zero fields take the default named beside them.
type Config struct {
	// Address is host:port to listen on; port 0 picks a free port.
	Address string // default 127.0.0.1:3000
	TLS     transporttls.Config
	// ConnectionsMax bounds open HTTP connections and, separately, live
	// login sessions (each holds a host Conn).
	ConnectionsMax int // default 10000
	// BodyBytesMax bounds a request body; larger bodies get 413.
	BodyBytesMax int64 // default 64 MiB
	// DrainTimeout bounds how long Close waits for in-flight requests.
	DrainTimeout time.Duration // default 5s
	JWT          JWTConfig
	CORS         CORSConfig
}

// JWTConfig is the [jwt] table.
type JWTConfig struct {
	// Secret is the HS256 key; empty means a random key per start.
	Secret             string
	AccessTokenExpiry  time.Duration // default 1h
	RefreshTokenExpiry time.Duration // default 24h; also the session's life
}

// CORSConfig is the [cors] table. Disabled, no CORS header is sent.
type CORSConfig struct {
	Enabled          bool
	AllowedOrigins   []string // "*" allows any origin
	AllowedMethods   []string
	AllowedHeaders   []string
	AllowCredentials bool
}

// DefaultConfig returns every default.
func DefaultConfig() Config {
	return Config{
		CORS: CORSConfig{
			AllowedOrigins: []string{"*"},
			AllowedMethods: []string{"GET", "POST", "PUT", "DELETE"},
			AllowedHeaders: []string{"content-type", "authorization"},
		},
	}.withDefaults()
}

// withDefaults fills zero fields.
func (c Config) withDefaults() Config {
	if c.Address == "" {
		c.Address = DefaultAddress
	}
	if c.ConnectionsMax == 0 {
		c.ConnectionsMax = DefaultConnectionsMax
	}
	if c.BodyBytesMax == 0 {
		c.BodyBytesMax = DefaultBodyBytesMax
	}
	if c.DrainTimeout == 0 {
		c.DrainTimeout = DefaultDrainTimeout
	}
	if c.JWT.AccessTokenExpiry == 0 {
		c.JWT.AccessTokenExpiry = DefaultAccessTokenExpiry
	}
	if c.JWT.RefreshTokenExpiry == 0 {
		c.JWT.RefreshTokenExpiry = DefaultRefreshTokenExpiry
	}
	return c
}

// Validate reports the first invalid field; zero fields count as defaults.
func (c Config) Validate() error {
	c = c.withDefaults()
	if _, _, err := net.SplitHostPort(c.Address); err != nil {
		return fmt.Errorf("httptransport: address %q: %w", c.Address, err)
	}
	if err := c.TLS.Validate(); err != nil {
		return fmt.Errorf("httptransport: %w", err)
	}
	switch {
	case c.ConnectionsMax < 1:
		return fmt.Errorf("httptransport: connections_max %d: must be at least 1", c.ConnectionsMax)
	case c.BodyBytesMax < bodyBytesMin || c.BodyBytesMax > bodyBytesMax:
		return fmt.Errorf("httptransport: body_size_max %d: must be between %d and %d bytes", c.BodyBytesMax, bodyBytesMin, bodyBytesMax)
	case c.DrainTimeout < 0:
		return fmt.Errorf("httptransport: drain_timeout %s: must not be negative", c.DrainTimeout)
	case c.JWT.Secret != "" && len(c.JWT.Secret) < jwtSecretBytesMin:
		return fmt.Errorf("httptransport: jwt.secret: %d bytes, want at least %d (or empty for a random key)", len(c.JWT.Secret), jwtSecretBytesMin)
	case c.JWT.AccessTokenExpiry < time.Second:
		return fmt.Errorf("httptransport: jwt.access_token_expiry %s: must be at least 1s", c.JWT.AccessTokenExpiry)
	case c.JWT.RefreshTokenExpiry < c.JWT.AccessTokenExpiry:
		return fmt.Errorf("httptransport: jwt.refresh_token_expiry %s: must not be shorter than access_token_expiry %s", c.JWT.RefreshTokenExpiry, c.JWT.AccessTokenExpiry)
	}
	return c.CORS.validate()
}

func (c CORSConfig) validate() error {
	if !c.Enabled {
		return nil
	}
	if len(c.AllowedOrigins) == 0 || len(c.AllowedMethods) == 0 {
		return fmt.Errorf("httptransport: cors: allowed_origins and allowed_methods must not be empty when enabled")
	}
	// Browsers refuse "*" with credentials; echoing any origin instead
	// would hand every site the user's session.
	if c.AllowCredentials && slices.Contains(c.AllowedOrigins, "*") {
		return fmt.Errorf("httptransport: cors: allow_credentials needs explicit allowed_origins, not \"*\"")
	}
	for _, m := range c.AllowedMethods {
		if m == "" || strings.ToUpper(m) != m {
			return fmt.Errorf("httptransport: cors: allowed_methods %q: want upper-case method names", m)
		}
	}
	return nil
}

// fileConfig is Config as written in the server's [http] table: sizes and
// durations are strings with units ("64MiB", "5s").
type fileConfig struct {
	Address        string              `koanf:"address"`
	ConnectionsMax int                 `koanf:"connections_max"`
	BodySizeMax    string              `koanf:"body_size_max"`
	DrainTimeout   string              `koanf:"drain_timeout"`
	JWT            fileJWT             `koanf:"jwt"`
	CORS           fileCORS            `koanf:"cors"`
	TLS            transporttls.Config `koanf:"tls"`
}

type fileJWT struct {
	Secret             string `koanf:"secret"`
	AccessTokenExpiry  string `koanf:"access_token_expiry"`
	RefreshTokenExpiry string `koanf:"refresh_token_expiry"`
}

// fileCORS uses pointers so an explicitly empty list or false differs from
// a missing key.
type fileCORS struct {
	Enabled          bool      `koanf:"enabled"`
	AllowedOrigins   *[]string `koanf:"allowed_origins"`
	AllowedMethods   *[]string `koanf:"allowed_methods"`
	AllowedHeaders   *[]string `koanf:"allowed_headers"`
	AllowCredentials bool      `koanf:"allow_credentials"`
}

// DecodeConfig reads the raw table (the layout of sample.toml) strictly:
// unknown keys are errors, missing keys take their defaults. The result is
// validated.
func DecodeConfig(raw map[string]any) (Config, error) {
	var f fileConfig
	if err := component.Decode(raw, &f); err != nil {
		return Config{}, fmt.Errorf("httptransport: config: %w", err)
	}
	c := DefaultConfig()
	if f.Address != "" {
		c.Address = f.Address
	}
	if f.ConnectionsMax != 0 {
		c.ConnectionsMax = f.ConnectionsMax
	}
	c.TLS = f.TLS
	c.JWT.Secret = f.JWT.Secret
	c.CORS.Enabled, c.CORS.AllowCredentials = f.CORS.Enabled, f.CORS.AllowCredentials
	for _, l := range []struct {
		dst *[]string
		src *[]string
	}{{&c.CORS.AllowedOrigins, f.CORS.AllowedOrigins}, {&c.CORS.AllowedMethods, f.CORS.AllowedMethods}, {&c.CORS.AllowedHeaders, f.CORS.AllowedHeaders}} {
		if l.src != nil {
			*l.dst = *l.src
		}
	}
	if err := c.decodeUnits(f); err != nil {
		return Config{}, err
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// decodeUnits parses the size and duration strings of f into c.
func (c *Config) decodeUnits(f fileConfig) error {
	var err error
	if c.BodyBytesMax, err = component.SizeField("body_size_max", f.BodySizeMax, c.BodyBytesMax, bodyBytesMax); err != nil {
		return fmt.Errorf("httptransport: config: %w", err)
	}
	for _, d := range []struct {
		key, text string
		dst       *time.Duration
	}{
		{"drain_timeout", f.DrainTimeout, &c.DrainTimeout},
		{"jwt.access_token_expiry", f.JWT.AccessTokenExpiry, &c.JWT.AccessTokenExpiry},
		{"jwt.refresh_token_expiry", f.JWT.RefreshTokenExpiry, &c.JWT.RefreshTokenExpiry},
	} {
		if *d.dst, err = component.DurationField(d.key, d.text, *d.dst); err != nil {
			return fmt.Errorf("httptransport: config: %w", err)
		}
	}
	return nil
}
