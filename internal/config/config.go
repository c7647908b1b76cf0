package config

import (
	_ "embed"
	"errors"
	"fmt"
	"net"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"
	"github.com/knadh/koanf/parsers/toml/v2"
	"github.com/knadh/koanf/providers/env/v2"
	"github.com/knadh/koanf/providers/file"
	"github.com/knadh/koanf/providers/posflag"
	"github.com/knadh/koanf/providers/rawbytes"
	"github.com/knadh/koanf/v2"
	"github.com/spf13/pflag"
)

// DefaultTOML is the built-in configuration: every key with its default.
//
//go:embed runnel.toml
var DefaultTOML []byte

// EnvPrefix starts every environment variable that sets a config key.
const EnvPrefix = "RUNNEL_"

// pluginConfigPrefixes are the free-form subtrees handed to plugins, which
// decode (and check) them with their own strict rules.
var pluginConfigPrefixes = []string{"storage.config."}

// Config is the whole server configuration.
type Config struct {
	System    System       `koanf:"system"`
	Root      Root         `koanf:"root"`
	TCP       TCP          `koanf:"tcp"`
	Storage   Storage      `koanf:"storage"`
	Archivers []PluginSlot `koanf:"archivers"`
	Plugins   Plugins      `koanf:"plugins"`
	Telemetry Telemetry    `koanf:"telemetry"`
}

// Telemetry holds OpenTelemetry export settings.
type Telemetry struct {
	Enabled     bool   `koanf:"enabled"`
	ServiceName string `koanf:"service_name"`
	Traces      Traces `koanf:"traces"`
}

// Trace exporter transports.
const (
	TransportGRPC = "grpc"
	TransportHTTP = "http"
)

// Traces holds the OTLP trace exporter and the sampler.
type Traces struct {
	Transport      string        `koanf:"transport"`
	Endpoint       string        `koanf:"endpoint"`
	SamplingRatio  float64       `koanf:"sampling_ratio"`
	ExportInterval time.Duration `koanf:"export_interval"`
}

// PluginSlot is one configured instance of a plugin kind that can have
// several ([[archivers]]): its own name, the implementation's name, and
// the implementation's config table.
type PluginSlot struct {
	Name   string         `koanf:"name"`
	Type   string         `koanf:"type"`
	Config map[string]any `koanf:"config"`
}

// Plugins locates external plugin bundles.
type Plugins struct {
	Dir     string   `koanf:"dir"`
	Bundles []Bundle `koanf:"bundles"`
}

// Bundle is one external plugin binary and the digest it must have.
type Bundle struct {
	Name   string `koanf:"name"`
	File   string `koanf:"file"`
	SHA256 string `koanf:"sha256"`
}

// System holds data placement and durability.
type System struct {
	Path      string    `koanf:"path"`
	Partition Partition `koanf:"partition"`
	Segment   Segment   `koanf:"segment"`
	Topic     Topic     `koanf:"topic"`
	Retention Retention `koanf:"retention"`
	Dedup     Dedup     `koanf:"message_deduplication"`
	Archive   Archive   `koanf:"archive"`
}

// Archive holds when sealed segments are copied to the archivers.
type Archive struct {
	Interval time.Duration `koanf:"interval"`
}

// Dedup holds per-partition message deduplication by id.
type Dedup struct {
	Enabled    bool          `koanf:"enabled"`
	MaxEntries int           `koanf:"max_entries"`
	Expiry     time.Duration `koanf:"expiry"`
}

// FsyncPolicy says when an acknowledged append is durable.
type FsyncPolicy string

const (
	FsyncAlways   FsyncPolicy = "always"
	FsyncInterval FsyncPolicy = "interval"
	FsyncNever    FsyncPolicy = "never"
)

// Partition holds the partition log's durability policy.
type Partition struct {
	Fsync         FsyncPolicy   `koanf:"fsync"`
	FsyncInterval time.Duration `koanf:"fsync_interval"`
}

// Segment holds segment rotation.
type Segment struct {
	Size ByteSize `koanf:"size"`
}

// Topic holds defaults for topics that leave these to the server.
type Topic struct {
	MessageExpiry OptionalDuration `koanf:"message_expiry"`
	MaxSize       ByteSize         `koanf:"max_size"`
}

// Retention holds how often retention runs.
type Retention struct {
	CheckInterval time.Duration `koanf:"check_interval"`
}

// Root holds the credentials of the root user created on first boot.
type Root struct {
	Username string `koanf:"username"`
	Password string `koanf:"password"`
}

// TCP holds the TCP transport's settings.
type TCP struct {
	Enabled            bool     `koanf:"enabled"`
	Address            string   `koanf:"address"`
	ConnectionsMax     int      `koanf:"connections_max"`
	SendPayloadSizeMax ByteSize `koanf:"send_payload_size_max"`
	TLS                TLS      `koanf:"tls"`
}

// TLS holds certificate settings of a transport.
type TLS struct {
	Enabled  bool   `koanf:"enabled"`
	CertFile string `koanf:"cert_file"`
	KeyFile  string `koanf:"key_file"`
}

// Storage selects the storage backend and holds its own config subtree.
type Storage struct {
	Backend string         `koanf:"backend"`
	Config  map[string]any `koanf:"config"`
}

// Load builds the configuration from the built-in default, then the file
// named by --config, then RUNNEL_* variables in environ, then flags in args.
// Every layer is checked for unknown keys, and the result is validated.
func Load(args []string, environ []string) (*Config, error) {
	k := koanf.New(".")
	if err := k.Load(rawbytes.Provider(DefaultTOML), toml.Parser()); err != nil {
		return nil, fmt.Errorf("config: built-in default: %w", err)
	}
	known := leafKeys(k)

	flags := pflag.NewFlagSet("runnel-server", pflag.ContinueOnError)
	configFile := flags.String("config", "", "TOML configuration file")
	for _, key := range known {
		flags.String(key, "", fmt.Sprintf("config key %s (default %v)", key, k.Get(key)))
	}
	if err := flags.Parse(args); err != nil {
		return nil, fmt.Errorf("config: flags: %w", err)
	}
	if flags.NArg() > 0 {
		return nil, fmt.Errorf("config: unexpected argument %q", flags.Arg(0))
	}

	if *configFile != "" {
		fileLayer := koanf.New(".")
		if err := fileLayer.Load(file.Provider(*configFile), toml.Parser()); err != nil {
			return nil, fmt.Errorf("config: %s: %w", *configFile, err)
		}
		if err := checkKeys(fileLayer, known, *configFile); err != nil {
			return nil, err
		}
		if err := k.Merge(fileLayer); err != nil {
			return nil, fmt.Errorf("config: %s: %w", *configFile, err)
		}
	}

	envLayer, err := loadEnv(environ, known)
	if err != nil {
		return nil, err
	}
	if err := k.Merge(envLayer); err != nil {
		return nil, fmt.Errorf("config: environment: %w", err)
	}

	flagLayer := posflag.ProviderWithValue(flags, ".", k, func(key, value string) (string, any) {
		if key == "config" {
			return "", nil // names the file layer, not a key
		}
		return key, value
	})
	if err := k.Load(flagLayer, nil); err != nil {
		return nil, fmt.Errorf("config: flags: %w", err)
	}

	var cfg Config
	err = k.UnmarshalWithConf("", &cfg, koanf.UnmarshalConf{DecoderConfig: &mapstructure.DecoderConfig{
		// Passing our own DecoderConfig drops koanf's hooks: add them back.
		DecodeHook: mapstructure.ComposeDecodeHookFunc(
			mapstructure.StringToTimeDurationHookFunc(),
			mapstructure.TextUnmarshallerHookFunc()),
		WeaklyTypedInput: true,
		ErrorUnused:      true,
		TagName:          "koanf",
	}})
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &cfg, nil
}

// leafKeys lists every key of the built-in default, sorted.
func leafKeys(k *koanf.Koanf) []string {
	keys := k.Keys()
	sort.Strings(keys)
	return keys
}

func isKnown(key string, known []string) bool {
	if _, found := slices.BinarySearch(known, key); found {
		return true
	}
	for _, p := range pluginConfigPrefixes {
		if strings.HasPrefix(key, p) {
			return true
		}
	}
	return false
}

func checkKeys(layer *koanf.Koanf, known []string, source string) error {
	var unknown []string
	for _, key := range layer.Keys() {
		if !isKnown(key, known) {
			unknown = append(unknown, key)
		}
	}
	if len(unknown) > 0 {
		return fmt.Errorf("config: %s: unknown key %s", source, strings.Join(unknown, ", "))
	}
	return nil
}

// EnvName is the environment variable that sets a config key.
func EnvName(key string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// loadEnv maps RUNNEL_* variables onto known keys by name: the key
// "tcp.tls.cert_file" is RUNNEL_TCP_TLS_CERT_FILE. Matching whole names
// against the key list is what makes underscores inside keys unambiguous.
func loadEnv(environ []string, known []string) (*koanf.Koanf, error) {
	byEnv := make(map[string]string, len(known))
	for _, key := range known {
		byEnv[EnvName(key)] = key
	}
	var unknown []string
	transform := func(name, value string) (string, any) {
		if key, ok := byEnv[name]; ok {
			return key, value
		}
		for _, p := range pluginConfigPrefixes {
			if envP := EnvName(p); strings.HasPrefix(name, envP) {
				return p + strings.ToLower(strings.TrimPrefix(name, envP)), value
			}
		}
		unknown = append(unknown, name)
		return "", nil
	}
	layer := koanf.New(".")
	err := layer.Load(env.Provider(".", env.Opt{
		Prefix:        EnvPrefix,
		TransformFunc: transform,
		EnvironFunc:   func() []string { return environ },
	}), nil)
	if err != nil {
		return nil, fmt.Errorf("config: environment: %w", err)
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, fmt.Errorf("config: environment: unknown variable %s (no such config key)", strings.Join(unknown, ", "))
	}
	return layer, nil
}

// checkInstanceName accepts names that are safe in paths and log keys.
func checkInstanceName(name string) error {
	if name == "" || len(name) > 64 {
		return fmt.Errorf("want 1 to 64 characters, got %q", name)
	}
	if strings.Trim(name, "abcdefghijklmnopqrstuvwxyz0123456789_-") != "" {
		return fmt.Errorf("%q: use a-z, 0-9, _ and -", name)
	}
	return nil
}

// Validate checks values that decode but make no sense, naming the key.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key string, format string, args ...any) {
		errs = append(errs, fmt.Errorf("config: %s: %s", key, fmt.Sprintf(format, args...)))
	}
	if c.System.Path == "" {
		bad("system.path", "must not be empty")
	}
	switch c.System.Partition.Fsync {
	case FsyncAlways, FsyncInterval, FsyncNever:
	default:
		bad("system.partition.fsync", "%q is not one of always, interval, never", c.System.Partition.Fsync)
	}
	if c.System.Partition.FsyncInterval <= 0 {
		bad("system.partition.fsync_interval", "must be positive, got %s", c.System.Partition.FsyncInterval)
	}
	const segmentSizeMax = 1<<32 - 1 // index positions are u32
	if c.System.Segment.Size < 1<<20 || c.System.Segment.Size > segmentSizeMax {
		bad("system.segment.size", "%s is outside 1MiB..4GiB-1", c.System.Segment.Size)
	}
	if c.System.Retention.CheckInterval <= 0 {
		bad("system.retention.check_interval", "must be positive, got %s", c.System.Retention.CheckInterval)
	}
	if c.System.Dedup.Enabled && (c.System.Dedup.MaxEntries <= 0 || c.System.Dedup.Expiry <= 0) {
		bad("system.message_deduplication", "max_entries and expiry must be positive when enabled")
	}
	if c.Root.Username == "" || len(c.Root.Username) < 3 || len(c.Root.Username) > 50 {
		bad("root.username", "must be 3..50 characters")
	}
	if c.Root.Password != "" && (len(c.Root.Password) < 3 || len(c.Root.Password) > 100) {
		bad("root.password", "must be 3..100 characters")
	}
	if c.TCP.Enabled {
		if _, _, err := net.SplitHostPort(c.TCP.Address); err != nil {
			bad("tcp.address", "%v", err)
		}
		if c.TCP.ConnectionsMax <= 0 {
			bad("tcp.connections_max", "must be positive, got %d", c.TCP.ConnectionsMax)
		}
		if c.TCP.SendPayloadSizeMax < 1<<20 || c.TCP.SendPayloadSizeMax > 1<<32-1 {
			bad("tcp.send_payload_size_max", "%s is outside 1MiB..4GiB-1", c.TCP.SendPayloadSizeMax)
		}
		if (c.TCP.TLS.CertFile == "") != (c.TCP.TLS.KeyFile == "") {
			bad("tcp.tls.cert_file", "cert_file and key_file must be set together")
		}
	}
	if c.Storage.Backend == "" {
		bad("storage.backend", "must not be empty")
	}
	if c.System.Archive.Interval <= 0 {
		bad("system.archive.interval", "must be positive, got %s", c.System.Archive.Interval)
	}
	names := map[string]bool{}
	for i, a := range c.Archivers {
		key := fmt.Sprintf("archivers[%d]", i)
		if err := checkInstanceName(a.Name); err != nil {
			bad(key+".name", "%v", err)
		} else if names[a.Name] {
			bad(key+".name", "%q is used twice", a.Name)
		}
		names[a.Name] = true
		if a.Type == "" {
			bad(key+".type", "must name an archiver plugin")
		}
	}
	bundles := map[string]bool{}
	for i, b := range c.Plugins.Bundles {
		key := fmt.Sprintf("plugins.bundles[%d]", i)
		if err := checkInstanceName(b.Name); err != nil {
			bad(key+".name", "%v", err)
		} else if bundles[b.Name] {
			bad(key+".name", "%q is used twice", b.Name)
		}
		bundles[b.Name] = true
		if b.File == "" {
			bad(key+".file", "must name the bundle's binary")
		}
		if len(b.SHA256) != 64 || strings.Trim(strings.ToLower(b.SHA256), "0123456789abcdef") != "" {
			bad(key+".sha256", "want the 64 hex digits of the binary's SHA-256")
		}
	}
	c.Telemetry.validate(bad)
	return errors.Join(errs...)
}

func (t Telemetry) validate(bad func(key, format string, args ...any)) {
	if t.Traces.Transport != TransportGRPC && t.Traces.Transport != TransportHTTP {
		bad("telemetry.traces.transport", "%q is not one of grpc, http", t.Traces.Transport)
	}
	if t.Traces.SamplingRatio < 0 || t.Traces.SamplingRatio > 1 {
		bad("telemetry.traces.sampling_ratio", "%g is outside 0..1", t.Traces.SamplingRatio)
	}
	if t.Traces.ExportInterval <= 0 || t.Traces.ExportInterval > time.Hour {
		bad("telemetry.traces.export_interval", "%s is outside 0..1h", t.Traces.ExportInterval)
	}
	if !t.Enabled {
		return
	}
	if t.ServiceName == "" {
		bad("telemetry.service_name", "must not be empty when telemetry is enabled")
	}
	if _, _, err := net.SplitHostPort(t.Traces.Endpoint); err != nil {
		bad("telemetry.traces.endpoint", "want host:port: %v", err)
	}
}
