package s3archiver

import (
	_ "embed"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/runnel-io/runnel/plugins/archiver"
	"github.com/runnel-io/runnel/plugins/component"
)

// Name is the archiver type in config ([[archivers]] type = "s3").
const Name = "s3"

// SampleTOML is a commented example of the [archivers.config] table; a
// test decodes it strictly.
//
//go:embed sample.toml
var SampleTOML []byte

// S3's multipart limits: every part but the last is at least 5 MiB, at most
// 5 GiB, and an upload has at most 10,000 parts.
const (
	partBytesMin = 5 << 20
	partBytesMax = 5 << 30
	partsMax     = 10_000
	// partBytesDefault trades memory (one part is buffered per Put in
	// flight) against request count.
	partBytesDefault = 16 << 20
	retriesDefault   = 5
	retriesMax       = 100
	defaultRegion    = "us-east-1"

	connectTimeoutDefault  = 10 * time.Second
	responseTimeoutDefault = 60 * time.Second
)

// Config is the s3 archiver's [archivers.config] table.
type Config struct {
	// Bucket receives the objects; it must exist.
	Bucket string `koanf:"bucket"`
	// Region is the bucket's region; empty means "us-east-1".
	Region string `koanf:"region"`
	// Endpoint is the URL of any S3-compatible server; empty means AWS.
	Endpoint string `koanf:"endpoint"`
	// PathStyle addresses buckets as <endpoint>/<bucket> rather than
	// <bucket>.<endpoint>; most self-hosted servers need it.
	PathStyle bool `koanf:"path_style"`
	// AccessKeyID and SecretAccessKey are static credentials; both empty
	// means the SDK's default chain (environment, shared files, IAM role).
	AccessKeyID     string `koanf:"access_key_id"`
	SecretAccessKey string `koanf:"secret_access_key"`
	// Prefix is prepended to every key ("runnel/prod" stores
	// "runnel/prod/segments/..."); empty means the bucket's root.
	Prefix string `koanf:"prefix"`
	// PartSize is both the multipart threshold and the part size, with a
	// unit: "16MiB". Empty means 16MiB; at least 5MiB.
	PartSize string `koanf:"part_size"`
	// Retries is the most attempts per request (1 = no retry); 0 means 5.
	Retries int `koanf:"retries"`
	// ConnectTimeout bounds dialling and the TLS handshake ("10s").
	ConnectTimeout string `koanf:"connect_timeout"`
	// ResponseTimeout bounds the wait for a response's headers once a
	// request is sent ("60s"), so a hung server fails the attempt and
	// the retryer tries again. Whole transfers are bounded by ctx.
	ResponseTimeout string `koanf:"response_timeout"`
}

// settings is Config with defaults applied and units parsed.
type settings struct {
	Config
	prefix          string // "" or ending in "/"
	partBytes       int64
	retries         int
	connectTimeout  time.Duration
	responseTimeout time.Duration
}

// Validate reports the first invalid setting.
func (c Config) Validate() error {
	_, err := c.settings()
	return err
}

func (c Config) settings() (settings, error) {
	s := settings{Config: c, partBytes: partBytesDefault, retries: retriesDefault,
		connectTimeout: connectTimeoutDefault, responseTimeout: responseTimeoutDefault}
	if s.Region == "" {
		s.Region = defaultRegion
	}
	if err := checkBucket(c.Bucket); err != nil {
		return s, err
	}
	if c.Endpoint != "" {
		u, err := url.Parse(c.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return s, fmt.Errorf("endpoint %q: want http(s)://host[:port]", c.Endpoint)
		}
	}
	if (c.AccessKeyID == "") != (c.SecretAccessKey == "") {
		return s, errors.New("access_key_id and secret_access_key: set both or neither")
	}
	if p := strings.TrimSuffix(c.Prefix, "/"); p != "" {
		if err := archiver.Key(p).Check(); err != nil {
			return s, fmt.Errorf("prefix: %w", err)
		}
		s.prefix = p + "/"
	}
	if c.PartSize != "" {
		n, err := component.ParseBytes(c.PartSize)
		if err != nil {
			return s, fmt.Errorf("part_size: %w", err)
		}
		if n < partBytesMin || n > partBytesMax {
			return s, fmt.Errorf("part_size %q: want 5MiB to 5GiB", c.PartSize)
		}
		s.partBytes = int64(n)
	}
	if c.Retries < 0 || c.Retries > retriesMax {
		return s, fmt.Errorf("retries %d: want 0 (default %d) to %d", c.Retries, retriesDefault, retriesMax)
	}
	if c.Retries > 0 {
		s.retries = c.Retries
	}
	var err error
	if s.connectTimeout, err = durationField("connect_timeout", c.ConnectTimeout, s.connectTimeout); err != nil {
		return s, err
	}
	if s.responseTimeout, err = durationField("response_timeout", c.ResponseTimeout, s.responseTimeout); err != nil {
		return s, err
	}
	return s, nil
}

// checkBucket applies S3's naming rules loosely: enough to catch typos
// and path-like values before a request is sent.
func checkBucket(b string) error {
	if len(b) < 3 || len(b) > 63 {
		return fmt.Errorf("bucket %q: want 3 to 63 characters", b)
	}
	for _, r := range b {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '.') {
			return fmt.Errorf("bucket %q: character %q: want [a-z0-9.-]", b, r)
		}
	}
	return nil
}

func durationField(key, text string, def time.Duration) (time.Duration, error) {
	if text == "" {
		return def, nil
	}
	d, err := time.ParseDuration(text)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s %q: want a positive duration such as \"10s\"", key, text)
	}
	return d, nil
}

// DecodeConfig reads the raw table strictly and validates it.
func DecodeConfig(raw map[string]any) (Config, error) {
	c, err := component.DecodeConfig[Config](raw)
	if err != nil {
		return c, fmt.Errorf("s3archiver: config: %w", err)
	}
	return c, nil
}
